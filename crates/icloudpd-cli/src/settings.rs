//! The second stage of the front end (ripgrep's `LowArgs` → `HiArgs`): the raw flags of
//! [`crate::args`], the environment and the files they name become validated, typed
//! [`Settings`], with the library objects built from them (the sign-in client with its region,
//! endpoints and network; the keyring). This is the only module that reads the environment;
//! nothing after it sees a raw flag.

mod choices;
mod environment;
mod secrets;
mod services;
mod user;

use std::path::PathBuf;

use icloud_auth::{AuthClient, KeyringPasswordStore};

use crate::args::{self, EnvArgs, GlobalArgs, LowArgs, Parsed, UserArgs};
use crate::error::CliError;
use crate::report::Display;
use crate::webui::Listen;

pub use choices::{DEFAULT_PASSWORD_PROVIDERS, LogLevel, MfaProvider, PasswordProvider};
pub use environment::Environment;
pub use user::UserSettings;

/// What the program is to do.
#[derive(Debug)]
pub enum Command {
    /// Print this on stdout and exit 0 (`--help`, `--version`, `--generate`).
    Print(String),
    /// Say this on stderr and exit 0: there is nothing to do.
    Note(String),
    /// Run.
    Run(Box<Settings>),
}

/// Everything a run needs, checked.
#[derive(Debug)]
pub struct Settings {
    pub log: LogSettings,
    /// The sign-in client: region (`--domain`), endpoints (`ICLOUD_*_ENDPOINT`), network
    /// (`ICLOUD_RESOLVE`), client id (`CLIENT_ID`).
    pub client: AuthClient,
    /// The keyring (`ICLOUD_KEYRING_BACKEND`), or why it cannot be used.
    pub keyring: Result<KeyringPasswordStore, String>,
    /// `--password-provider`, in order.
    pub password_providers: Vec<PasswordProvider>,
    pub mfa_provider: MfaProvider,
    /// Where the web UI listens, when a provider needs it.
    pub web_ui: Option<Listen>,
    /// Seconds between runs (`--watch-with-interval`).
    pub watch: Option<u64>,
    /// `--wait-for-lock`.
    pub wait_for_lock: bool,
    /// Where the JSON report of each run goes (`--report-json`).
    pub report_json: Option<PathBuf>,
    /// The address (host, port) of the metrics and health server (`--metrics-host`,
    /// `--metrics-port`).
    pub metrics: Option<(String, u16)>,
    /// How syncs are shown (progress bar, `--only-print-filenames`).
    pub display: Display,
    /// Every user configuration, in command-line order.
    pub users: Vec<UserSettings>,
    /// Warnings for the log once it is set up (a password file others can read).
    pub warnings: Vec<String>,
}

/// What the log shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// `--log-level`, for this program's own lines.
    pub level: LogLevel,
    /// `--only-print-filenames` silences this program's own lines.
    pub silent: bool,
    /// `RUST_LOG`: more filter directives, for the libraries' lines.
    pub directives: Option<String>,
}

/// Resolves what was parsed against `env`: help and version text, or the settings of a run.
pub fn resolve(parsed: Parsed, env: &Environment) -> Result<Command, CliError> {
    let low = match parsed {
        Parsed::Help => return Ok(Command::Print(args::help())),
        Parsed::Version => return Ok(Command::Print(args::version())),
        Parsed::Generate(what) => return Ok(Command::Print(args::generate(&what))),
        Parsed::Run(low) => low,
    };
    resolve_run(&low, env)
}

fn resolve_run(low: &LowArgs, env: &Environment) -> Result<Command, CliError> {
    if let Some(name) = env.not_utf8("ICLOUDPD_") {
        return Err(CliError::config(format!("{name} is not valid UTF-8")));
    }
    let env_args = EnvArgs::from_lookup(|name| env.var(name))?;
    // No argument is icloudpd's help, unless the environment holds the configuration.
    if low.bare && env_args.is_empty() {
        return Ok(Command::Print(args::help()));
    }
    let (global, users) = low.resolve(&env_args);
    let time_names = crate::locale::time_names(global.use_os_locale, env)
        .map_err(|e| CliError::startup(e.to_string()))?;
    validate(&global, &users).map_err(CliError::usage)?;
    let providers = if global.password_providers.is_empty() {
        DEFAULT_PASSWORD_PROVIDERS.to_vec()
    } else {
        global.password_providers.clone()
    };
    check_password_providers(&providers).map_err(CliError::usage)?;
    if users.is_empty() {
        return Ok(Command::Note(
            "No --username (or ICLOUDPD_USERNAME) was given, so there is nothing to do. See icloudpd --help".to_owned(),
        ));
    }
    let mut warnings = Vec::new();
    let users = users
        .iter()
        .map(|u| user::settings(u, &global, env, time_names.as_ref(), &mut warnings))
        .collect::<Result<Vec<_>, _>>()?;
    check_safety(&users).map_err(CliError::usage)?;
    let web_ui = services::web_ui(&global, &providers)?;
    Ok(Command::Run(Box::new(Settings {
        log: LogSettings {
            level: global.log_level,
            silent: global.only_print_filenames,
            directives: env.set("RUST_LOG"),
        },
        client: services::auth_client(global.region, env)?,
        keyring: services::keyring(env)?,
        password_providers: providers,
        mfa_provider: global.mfa_provider,
        web_ui,
        watch: global.watch_with_interval,
        wait_for_lock: global.wait_for_lock,
        report_json: global.report_json.as_ref().map(PathBuf::from),
        metrics: global
            .metrics_port
            .map(|port| (global.metrics_host.clone(), port)),
        display: Display {
            progress_bar: !global.no_progress_bar && !global.only_print_filenames,
            forced_columns: env.set("FORCE_TQDM").map(|_| {
                env.var("COLUMNS")
                    .and_then(|c| c.trim().parse().ok())
                    .unwrap_or(80)
            }),
            only_print_filenames: global.only_print_filenames,
        },
        users,
        warnings,
    })))
}

/// Runs the per-user consistency checks of icloudpd. Each check looks at every user before the
/// next check runs, so the first failing check wins. The error is the message icloudpd prints
/// on stdout before exiting with status 2.
fn validate(global: &GlobalArgs, users: &[UserArgs]) -> Result<(), String> {
    let any = |check: fn(&UserArgs) -> bool| users.iter().any(check);
    if any(|u| u.skip_videos && u.skip_photos) {
        return Err(
            "Only one of --skip-videos and --skip-photos can be used at a time for each configuration"
                .to_owned(),
        );
    }
    if any(|u| !u.auth_only && !user::has_directory(u) && !u.list_albums && !u.list_libraries) {
        return Err(
            "--auth-only, --directory, --list-libraries, or --list-albums are required for each configuration"
                .to_owned(),
        );
    }
    if any(|u| u.auto_delete && u.delete_after_download) {
        return Err(
            "--auto-delete and --delete-after-download are mutually exclusive per configuration"
                .to_owned(),
        );
    }
    // As in icloudpd, `--keep-icloud-recent-days 0` passes this check (Python truthiness).
    if any(|u| u.keep_icloud_recent_days.is_some_and(|d| d > 0) && u.delete_after_download) {
        return Err(
            "--keep-icloud-recent-days and --delete-after-download should not be used together in one configuration"
                .to_owned(),
        );
    }
    if global.watch_with_interval.is_some()
        && (global.only_print_filenames
            || any(|u| u.list_albums || u.auth_only || u.list_libraries))
    {
        return Err(
            "--watch-with-interval is not compatible with --list-albums, --list-libraries, --only-print-filenames, and --auth-only"
                .to_owned(),
        );
    }
    Ok(())
}

/// The documented rule icloudpd 1.32 does not enforce: `console` and `webui` wait for a person,
/// so they exclude each other and must come last (a provider after them would never be asked).
fn check_password_providers(providers: &[PasswordProvider]) -> Result<(), String> {
    let waiting: Vec<PasswordProvider> = providers.iter().copied().filter(|p| p.waits()).collect();
    if waiting.len() > 1 {
        return Err(
            "--password-provider console and --password-provider webui cannot be used together"
                .to_owned(),
        );
    }
    match (waiting.first(), providers.last()) {
        (Some(p), Some(last)) if p != last => Err(format!(
            "--password-provider {} must be the last password provider: it waits for an answer, so the providers after it would never be asked",
            p.name()
        )),
        _ => Ok(()),
    }
}

/// Option mixes that could delete in iCloud what is never kept on disk (not checked by
/// icloudpd 1.32; see docs/compatibility.md).
fn check_safety(users: &[UserSettings]) -> Result<(), String> {
    for user in users {
        // Every download runs with a sync state, which makes `--auto-delete` spare what
        // `--keep-icloud-recent-days` moved.
        if let Some(Err(unsafe_mix)) = user.download.as_ref().map(|o| o.check_safety_with_state()) {
            return Err(format!(
                "Refusing to run: {unsafe_mix}. Change the options of {}.",
                user.username
            ));
        }
    }
    Ok(())
}

/// Returns the settings of a command line (words split at spaces) in an empty environment.
#[cfg(test)]
pub(crate) fn from_line(line: &str) -> Result<Settings, CliError> {
    from_line_in(line, &Environment::default())
}

/// Returns the settings of a command line (words split at spaces) in `env`.
#[cfg(test)]
pub(crate) fn from_line_in(line: &str, env: &Environment) -> Result<Settings, CliError> {
    let argv: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    match resolve(args::parse(&argv)?, env)? {
        Command::Run(settings) => Ok(*settings),
        other => panic!("{line}: {other:?}"),
    }
}

#[cfg(test)]
mod tests;
