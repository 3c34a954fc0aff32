//! Command-line parsing with icloudpd 1.32's model: GLOBAL options anywhere, COMMON options as
//! defaults before the first `-u` and per user after it, USER options only inside a user group.
//!
//! clap cannot express "split at every `-u` and inherit the defaults", so this is a small
//! table-driven parser; the table is also the help text.

mod help;
mod specs;

use icloud_photos::RawPolicy;
use icloudpd_sync::{
    DEFAULT_CONCURRENCY, DateBound, FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize, Size,
};

use crate::timestamp;
use specs::Scope::{self, Common, Global, User};
use specs::{Spec, Takes, find};

pub use help::{help, usage};

/// Process-wide options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalArgs {
    pub log_level: String,
    pub domain: String,
    pub password_providers: Vec<String>,
    pub mfa_provider: String,
    /// Month and day names from the OS locale in folder templates (`--use-os-locale`).
    pub use_os_locale: bool,
    /// Print what would be downloaded, change nothing, log nothing (`--only-print-filenames`).
    pub only_print_filenames: bool,
    pub no_progress_bar: bool,
    /// Downloads in flight at once (`--threads-num`, default [`DEFAULT_CONCURRENCY`]).
    pub concurrency: usize,
    /// Seconds between runs (`--watch-with-interval`); `0` means no watching, as in icloudpd.
    pub watch_with_interval: Option<u64>,
    /// Wait for another process to release a directory or session lock instead of failing
    /// (`--wait-for-lock`).
    pub wait_for_lock: bool,
    /// Address the web UI binds to (`--webui-host`, default `127.0.0.1`).
    pub webui_host: String,
    /// Port the web UI binds to (`--webui-port`, default 8080; 0 picks a free port).
    pub webui_port: u16,
    /// More names the web UI answers to (`--webui-allowed-host`, repeatable, lowercased).
    pub webui_allowed_hosts: Vec<String>,
    /// The web UI's token (`--webui-token`).
    pub webui_token: Option<Hidden>,
    /// A file holding the web UI's token (`--webui-token-file`).
    pub webui_token_file: Option<String>,
}

impl Default for GlobalArgs {
    fn default() -> Self {
        GlobalArgs {
            log_level: "debug".to_owned(),
            domain: "com".to_owned(),
            password_providers: vec!["parameter".into(), "keyring".into(), "console".into()],
            mfa_provider: "console".to_owned(),
            use_os_locale: false,
            only_print_filenames: false,
            no_progress_bar: false,
            concurrency: DEFAULT_CONCURRENCY,
            watch_with_interval: None,
            wait_for_lock: false,
            webui_host: "127.0.0.1".to_owned(),
            webui_port: 8080,
            webui_allowed_hosts: Vec::new(),
            webui_token: None,
            webui_token_file: None,
        }
    }
}

/// A secret given on the command line (`--password`, `--smtp-password`, `--webui-token`):
/// compared like a string, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hidden(********)")
    }
}

/// One user configuration (COMMON defaults merged with the user's own options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserArgs {
    pub username: String,
    pub password: Option<Hidden>,
    pub directory: Option<String>,
    pub auth_only: bool,
    pub cookie_directory: String,
    pub list_albums: bool,
    pub list_libraries: bool,
    pub library: String,
    /// `--size` values as given (defaults first); de-duplicated, or `[original]`, per user.
    pub sizes: Vec<Size>,
    pub live_photo_size: LiveSize,
    pub recent: Option<u64>,
    pub until_found: Option<u64>,
    pub albums: Vec<String>,
    pub skip_videos: bool,
    pub skip_photos: bool,
    pub skip_live_photos: bool,
    pub xmp_sidecar: bool,
    pub force_size: bool,
    pub auto_delete: bool,
    pub folder_structure: FolderStructure,
    pub set_exif_datetime: bool,
    pub delete_after_download: bool,
    pub keep_icloud_recent_days: Option<u32>,
    pub dry_run: bool,
    pub keep_unicode_in_filenames: bool,
    pub live_photo_mov_filename_policy: LiveMovPolicy,
    pub align_raw: RawPolicy,
    pub file_match_policy: FileMatchPolicy,
    pub skip_created_before: Option<DateBound>,
    pub skip_created_after: Option<DateBound>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Hidden>,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_no_tls: bool,
    pub notification_email: Option<String>,
    pub notification_email_from: Option<String>,
    pub notification_script: Option<String>,
    /// Warn this many days before the trust expires (`--mfa-expiry-warning-days`, default 7).
    pub mfa_expiry_warning_days: u32,
    /// List the whole library this run (`--full-scan`).
    pub full_scan: bool,
    /// Days between full listings (`--full-scan-interval`, default 7; 0: every run).
    pub full_scan_interval_days: u64,
    /// Where the sync state goes (`--state-directory`); `None`: the cookie directory.
    pub state_directory: Option<String>,
}

impl Default for UserArgs {
    /// icloudpd's defaults.
    fn default() -> Self {
        UserArgs {
            username: String::new(),
            password: None,
            directory: None,
            auth_only: false,
            cookie_directory: "~/.pyicloud".to_owned(),
            list_albums: false,
            list_libraries: false,
            library: "PrimarySync".to_owned(),
            sizes: Vec::new(),
            live_photo_size: LiveSize::Original,
            recent: None,
            until_found: None,
            albums: Vec::new(),
            skip_videos: false,
            skip_photos: false,
            skip_live_photos: false,
            xmp_sidecar: false,
            force_size: false,
            auto_delete: false,
            folder_structure: FolderStructure::default(),
            set_exif_datetime: false,
            delete_after_download: false,
            keep_icloud_recent_days: None,
            dry_run: false,
            keep_unicode_in_filenames: false,
            live_photo_mov_filename_policy: LiveMovPolicy::default(),
            align_raw: RawPolicy::default(),
            file_match_policy: FileMatchPolicy::default(),
            skip_created_before: None,
            skip_created_after: None,
            smtp_username: None,
            smtp_password: None,
            smtp_host: "smtp.gmail.com".to_owned(),
            smtp_port: 587,
            smtp_no_tls: false,
            notification_email: None,
            notification_email_from: None,
            notification_script: None,
            mfa_expiry_warning_days: 7,
            full_scan: false,
            full_scan_interval_days: 7,
            state_directory: None,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    Help,
    Version,
    Run {
        /// Boxed: the process-wide options outweigh the other variants many times.
        global: Box<GlobalArgs>,
        users: Vec<UserArgs>,
    },
}

/// A parse failure, worded as argparse words it.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// `argument --x: …` (printed on stdout by icloudpd).
    Argument(String),
    /// Unknown tokens (usage + `icloudpd: error: unrecognized arguments: …` on stderr).
    Unrecognized(Vec<String>),
}

/// An option's value, checked and converted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Int(u64),
    Date(DateBound),
    Folder(FolderStructure),
}

impl Value {
    fn text(&self) -> &str {
        match self {
            Value::Text(t) => t,
            _ => "",
        }
    }
}

/// A token split into option name and inline value (`--x=v`; never for `-u`, see quirk 13).
fn split_inline(token: &str) -> (&str, Option<&str>) {
    match token.split_once('=') {
        Some((name, value)) if name.starts_with("--") && name != "--username" => {
            (name, Some(value))
        }
        _ => (token, None),
    }
}

/// Whether argparse takes `token` as an option's value rather than as an option: it does not
/// start with `-`, or is `-` alone, a negative number, or contains a space.
fn is_value(token: &str) -> bool {
    let negative_number = token.strip_prefix('-').is_some_and(|n| {
        let (int, frac) = n.split_once('.').unwrap_or((n, ""));
        let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        !n.is_empty() && digits(int) && digits(frac) && !(n.contains('.') && frac.is_empty())
    });
    !token.starts_with('-') || token.len() == 1 || negative_number || token.contains(' ')
}

/// Parsed occurrences of options, in order.
type Occurrences = Vec<(&'static Spec, Option<Value>)>;

/// Takes the options of `scopes` out of `tokens`; returns them and the tokens left over.
fn extract(tokens: &[String], scopes: &[Scope]) -> Result<(Occurrences, Vec<String>), ParseError> {
    let mut found = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (name, inline) = split_inline(&tokens[i]);
        match find(name).filter(|s| scopes.contains(&s.scope)) {
            None => rest.push(tokens[i].clone()),
            Some(s) if s.takes == Takes::Flag => {
                if let Some(inline) = inline {
                    return Err(ParseError::Argument(format!(
                        "argument {}: ignored explicit argument '{inline}'",
                        display_name(s),
                    )));
                }
                found.push((s, None));
            }
            Some(s) => {
                let value = match inline {
                    Some(v) => v.to_owned(),
                    None => {
                        i += 1;
                        match tokens.get(i) {
                            Some(v) if is_value(v) => v.clone(),
                            _ => {
                                return Err(ParseError::Argument(format!(
                                    "argument {}: expected one argument",
                                    display_name(s)
                                )));
                            }
                        }
                    }
                };
                found.push((s, Some(check_value(s, value)?)));
            }
        }
        i += 1;
    }
    Ok((found, rest))
}

fn display_name(s: &Spec) -> String {
    match s.short {
        Some(short) => format!("{short}/{}", s.long),
        None => s.long.to_owned(),
    }
}

fn check_value(s: &Spec, value: String) -> Result<Value, ParseError> {
    let error = |reason: String| ParseError::Argument(format!("argument {}: {reason}", s.long));
    match s.takes {
        Takes::Choice(choices, case_sensitive) => {
            let v = if case_sensitive {
                value.clone()
            } else {
                value.to_lowercase()
            };
            if choices.contains(&v.as_str()) {
                Ok(Value::Text(v))
            } else {
                let list = choices
                    .iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(error(format!(
                    "invalid choice: '{value}' (choose from {list})"
                )))
            }
        }
        Takes::Int(min) => {
            let n = value
                .trim()
                .parse::<i64>()
                .map_err(|_| error(format!("invalid int value: '{value}'")))?;
            match u64::try_from(n) {
                Ok(n) if n >= min => Ok(Value::Int(n)),
                _ => {
                    let kind = if min == 0 { "non-negative" } else { "positive" };
                    Err(error(format!("invalid {kind} int value: '{value}'")))
                }
            }
        }
        Takes::Port => value
            .trim()
            .parse::<u16>()
            .map(|n| Value::Int(u64::from(n)))
            .map_err(|_| error(format!("invalid port value: '{value}'"))),
        Takes::Date => timestamp::parse_date_bound(&value)
            .map(Value::Date)
            .ok_or_else(|| error("Not an ISO timestamp or time interval in days".to_owned())),
        Takes::Folder => FolderStructure::parse(&value)
            .map(Value::Folder)
            .map_err(|_| {
                error(format!(
                    "Format {value} specified in --folder-structure is incorrect"
                ))
            }),
        Takes::Flag | Takes::Value => Ok(Value::Text(value)),
    }
}

fn apply(user: &mut UserArgs, occurrences: &Occurrences) {
    for (s, v) in occurrences {
        let text = || v.as_ref().map(Value::text).unwrap_or_default().to_owned();
        let int = || match v {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        };
        match (s.long, v) {
            ("--directory", _) => user.directory = Some(text()),
            ("--auth-only", _) => user.auth_only = true,
            ("--cookie-directory", _) => user.cookie_directory = text(),
            ("--username", _) => user.username = text().to_lowercase(),
            ("--password", _) => user.password = Some(Hidden(text())),
            ("--list-albums", _) => user.list_albums = true,
            ("--list-libraries", _) => user.list_libraries = true,
            ("--library", _) => user.library = text(),
            ("--size", _) => user.sizes.extend(Size::parse(&text())),
            ("--live-photo-size", _) => {
                user.live_photo_size = LiveSize::parse(&text()).unwrap_or(LiveSize::Original);
            }
            ("--recent", _) => user.recent = int(),
            ("--until-found", _) => user.until_found = int(),
            ("--album", _) => user.albums.push(text()),
            ("--skip-videos", _) => user.skip_videos = true,
            ("--skip-photos", _) => user.skip_photos = true,
            ("--skip-live-photos", _) => user.skip_live_photos = true,
            ("--xmp-sidecar", _) => user.xmp_sidecar = true,
            ("--force-size", _) => user.force_size = true,
            ("--auto-delete", _) => user.auto_delete = true,
            ("--folder-structure", Some(Value::Folder(f))) => user.folder_structure = f.clone(),
            ("--set-exif-datetime", _) => user.set_exif_datetime = true,
            ("--delete-after-download", _) => user.delete_after_download = true,
            ("--keep-icloud-recent-days", _) => {
                user.keep_icloud_recent_days = int().map(|n| u32::try_from(n).unwrap_or(u32::MAX));
            }
            ("--dry-run", _) => user.dry_run = true,
            ("--keep-unicode-in-filenames", _) => user.keep_unicode_in_filenames = true,
            ("--live-photo-mov-filename-policy", _) => {
                user.live_photo_mov_filename_policy = match text().as_str() {
                    "original" => LiveMovPolicy::Original,
                    _ => LiveMovPolicy::Suffix,
                };
            }
            ("--align-raw", _) => {
                user.align_raw = match text().as_str() {
                    "original" => RawPolicy::Original,
                    "alternative" => RawPolicy::Alternative,
                    _ => RawPolicy::AsIs,
                };
            }
            ("--file-match-policy", _) => {
                user.file_match_policy = match text().as_str() {
                    "name-id7" => FileMatchPolicy::NameId7,
                    _ => FileMatchPolicy::NameSizeDedupWithSuffix,
                };
            }
            ("--skip-created-before", Some(Value::Date(d))) => user.skip_created_before = Some(*d),
            ("--skip-created-after", Some(Value::Date(d))) => user.skip_created_after = Some(*d),
            ("--smtp-username", _) => user.smtp_username = Some(text()),
            ("--smtp-password", _) => user.smtp_password = Some(Hidden(text())),
            ("--smtp-host", _) => user.smtp_host = text(),
            ("--smtp-port", _) => {
                user.smtp_port = int().and_then(|n| u16::try_from(n).ok()).unwrap_or(587);
            }
            ("--smtp-no-tls", _) => user.smtp_no_tls = true,
            ("--notification-email", _) => user.notification_email = Some(text()),
            ("--notification-email-from", _) => user.notification_email_from = Some(text()),
            ("--notification-script", _) => user.notification_script = Some(text()),
            ("--full-scan", _) => user.full_scan = true,
            ("--full-scan-interval", _) => user.full_scan_interval_days = int().unwrap_or(7),
            ("--state-directory", _) => user.state_directory = Some(text()),
            ("--mfa-expiry-warning-days", _) => {
                user.mfa_expiry_warning_days =
                    int().map_or(7, |n| u32::try_from(n).unwrap_or(u32::MAX));
            }
            _ => {}
        }
    }
}

/// The sizes of a finished user configuration: de-duplicated in order, or `[original]`.
fn unique_sizes(sizes: &[Size]) -> Vec<Size> {
    let mut unique = Vec::new();
    for size in sizes {
        if !unique.contains(size) {
            unique.push(*size);
        }
    }
    if unique.is_empty() {
        unique.push(Size::Original);
    }
    unique
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Invocation, ParseError> {
    if args.is_empty() {
        return Ok(Invocation::Help);
    }
    let (globals, rest) = extract(args, &[Global])?;
    let has = |long: &str| globals.iter().any(|(s, _)| s.long == long);
    if has("--help") && has("--version") {
        return Err(ParseError::Argument(
            "argument --version: not allowed with argument --help/-h".to_owned(),
        ));
    }
    let last = |long: &str| {
        globals
            .iter()
            .rev()
            .find(|(s, _)| s.long == long)
            .and_then(|(_, v)| v.clone())
    };
    let last_text = |long: &str, default: &str| match last(long) {
        Some(Value::Text(t)) => t,
        _ => default.to_owned(),
    };
    let last_int = |long: &str| match last(long) {
        Some(Value::Int(n)) => Some(n),
        _ => None,
    };
    let mut providers: Vec<String> = Vec::new();
    for (s, v) in &globals {
        if let (true, Some(Value::Text(v))) = (s.long == "--password-provider", v)
            && !providers.contains(v)
        {
            providers.push(v.clone());
        }
    }
    let mut allowed_hosts: Vec<String> = Vec::new();
    for (s, v) in &globals {
        if let (true, Some(Value::Text(v))) = (s.long == "--webui-allowed-host", v) {
            let name = v.trim().trim_end_matches('.').to_ascii_lowercase();
            if !name.is_empty() && !allowed_hosts.contains(&name) {
                allowed_hosts.push(name);
            }
        }
    }
    let defaults = GlobalArgs::default();
    if providers.is_empty() {
        providers = defaults.password_providers.clone();
    }
    let global = GlobalArgs {
        log_level: last_text("--log-level", &defaults.log_level),
        domain: last_text("--domain", &defaults.domain),
        password_providers: providers,
        mfa_provider: last_text("--mfa-provider", &defaults.mfa_provider),
        use_os_locale: has("--use-os-locale"),
        only_print_filenames: has("--only-print-filenames"),
        no_progress_bar: has("--no-progress-bar"),
        concurrency: last_int("--threads-num")
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(DEFAULT_CONCURRENCY),
        watch_with_interval: last_int("--watch-with-interval").filter(|n| *n > 0),
        wait_for_lock: has("--wait-for-lock"),
        webui_host: last_text("--webui-host", &defaults.webui_host),
        webui_port: last_int("--webui-port")
            .and_then(|n| u16::try_from(n).ok())
            .unwrap_or(defaults.webui_port),
        webui_allowed_hosts: allowed_hosts,
        webui_token: match last("--webui-token") {
            Some(Value::Text(t)) => Some(Hidden(t)),
            _ => None,
        },
        webui_token_file: match last("--webui-token-file") {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        },
    };

    // Split at every `-u` / `--username` token.
    let mut chunks: Vec<Vec<String>> = vec![Vec::new()];
    for t in rest {
        if t == "-u" || t == "--username" {
            chunks.push(Vec::new());
        }
        if let Some(chunk) = chunks.last_mut() {
            chunk.push(t);
        }
    }
    let defaults_chunk = chunks.remove(0);
    let (common, unknown) = extract(&defaults_chunk, &[Common])?;
    let mut unrecognized = unknown;
    let mut defaults = UserArgs::default();
    apply(&mut defaults, &common);
    let mut users = Vec::new();
    for chunk in chunks {
        let (occ, unknown) = extract(&chunk, &[Common, User])?;
        unrecognized.extend(unknown);
        let mut user = defaults.clone();
        apply(&mut user, &occ);
        user.sizes = unique_sizes(&user.sizes);
        users.push(user);
    }
    if !unrecognized.is_empty() {
        return Err(ParseError::Unrecognized(unrecognized));
    }
    if has("--help") {
        return Ok(Invocation::Help);
    }
    if has("--version") {
        return Ok(Invocation::Version);
    }
    Ok(Invocation::Run {
        global: Box::new(global),
        users,
    })
}

/// The commit this binary was built from, or `unknown`.
fn commit_sha() -> &'static str {
    option_env!("ICLOUDPD_COMMIT_SHA").unwrap_or("unknown")
}

/// Returns the `--version` line.
pub fn version() -> String {
    let ts = option_env!("ICLOUDPD_COMMIT_TIMESTAMP").unwrap_or("unknown");
    format!(
        "version:{}, commit sha:{}, commit timestamp:{ts}",
        env!("CARGO_PKG_VERSION"),
        commit_sha()
    )
}

/// Returns the `x:xmptk` of XMP sidecars: `icloudpd <version>+<commit sha>`.
pub fn xmp_toolkit() -> String {
    format!("icloudpd {}+{}", env!("CARGO_PKG_VERSION"), commit_sha())
}

#[cfg(test)]
mod tests;
