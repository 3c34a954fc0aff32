//! Command-line parsing with icloudpd 1.32's model: GLOBAL options anywhere, COMMON options as
//! defaults before the first `-u` and per user after it, USER options only inside a user group.
//!
//! clap cannot express "split at every `-u` and inherit the defaults", so this is a small
//! table-driven parser; the table is also the help text.

use std::fmt::Write as _;

/// Which group an option belongs to (§1.1 of the CLI spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Global,
    Common,
    User,
}

/// How an option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    Flag,
    Value,
    /// A value from a fixed list, matched case-insensitively unless `case_sensitive`.
    Choice(&'static [&'static str], bool),
    Int,
}

#[derive(Debug)]
struct Spec {
    short: Option<&'static str>,
    long: &'static str,
    metavar: &'static str,
    scope: Scope,
    takes: Takes,
    help: &'static str,
}

const LOG_LEVELS: &[&str] = &["debug", "info", "error"];
const DOMAINS: &[&str] = &["com", "cn"];
const PASSWORD_PROVIDERS: &[&str] = &["console", "keyring", "parameter", "webui"];
const MFA_PROVIDERS: &[&str] = &["console", "webui"];

const fn spec(
    short: Option<&'static str>,
    long: &'static str,
    metavar: &'static str,
    scope: Scope,
    takes: Takes,
    help: &'static str,
) -> Spec {
    Spec {
        short,
        long,
        metavar,
        scope,
        takes,
        help,
    }
}

use Scope::{Common, Global, User};

static SPECS: &[Spec] = &[
    spec(
        Some("-h"),
        "--help",
        "",
        Global,
        Takes::Flag,
        "Show this information",
    ),
    spec(
        None,
        "--version",
        "",
        Global,
        Takes::Flag,
        "Show the version, commit hash, and timestamp",
    ),
    spec(
        None,
        "--use-os-locale",
        "",
        Global,
        Takes::Flag,
        "Use the locale of the host OS to format dates",
    ),
    spec(
        None,
        "--log-level",
        "",
        Global,
        Takes::Choice(LOG_LEVELS, false),
        "Log level. Default: debug",
    ),
    spec(
        None,
        "--no-progress-bar",
        "",
        Global,
        Takes::Flag,
        "Disable the one-line progress bar and print log messages on separate lines (progress bar is disabled by default if there is no TTY attached)",
    ),
    spec(
        None,
        "--threads-num",
        "THREADS_NUM",
        Global,
        Takes::Int,
        "Number of CPU threads - deprecated & always 1. To be removed in a future version",
    ),
    spec(
        None,
        "--domain",
        "",
        Global,
        Takes::Choice(DOMAINS, true),
        "Which iCloud root domain to use. Use 'cn' for mainland China. Default: com",
    ),
    spec(
        None,
        "--password-provider",
        "",
        Global,
        Takes::Choice(PASSWORD_PROVIDERS, false),
        "Specify password providers to check in the given order. Default: [`parameter`, `keyring`, `console`]",
    ),
    spec(
        None,
        "--mfa-provider",
        "",
        Global,
        Takes::Choice(MFA_PROVIDERS, false),
        "Specify where to get the MFA code from",
    ),
    spec(
        Some("-d"),
        "--directory",
        "DIRECTORY",
        Common,
        Takes::Value,
        "Local directory to use for downloads",
    ),
    spec(
        None,
        "--auth-only",
        "",
        Common,
        Takes::Flag,
        "Create/update cookie and session tokens only.",
    ),
    spec(
        None,
        "--cookie-directory",
        "COOKIE_DIRECTORY",
        Common,
        Takes::Value,
        "Directory to store cookies for authentication. Default: ~/.pyicloud",
    ),
    spec(
        Some("-l"),
        "--list-albums",
        "",
        Common,
        Takes::Flag,
        "List the available albums",
    ),
    spec(
        None,
        "--library",
        "LIBRARY",
        Common,
        Takes::Value,
        "Library to download. Default: PrimarySync",
    ),
    spec(
        None,
        "--list-libraries",
        "",
        Common,
        Takes::Flag,
        "List the available libraries",
    ),
    spec(
        Some("-u"),
        "--username",
        "USERNAME",
        User,
        Takes::Value,
        "Apple ID email address. Starts a new configuration group.",
    ),
    spec(
        Some("-p"),
        "--password",
        "PASSWORD",
        User,
        Takes::Value,
        "iCloud password for the account if `--password-provider` specifies `parameter`",
    ),
];

/// Process-wide options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalArgs {
    pub log_level: String,
    pub domain: String,
    pub password_providers: Vec<String>,
    pub mfa_provider: String,
}

/// One user configuration (COMMON defaults merged with the user's own options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserArgs {
    pub username: String,
    pub password: Option<String>,
    pub directory: Option<String>,
    pub auth_only: bool,
    pub cookie_directory: String,
    pub list_albums: bool,
    pub list_libraries: bool,
    pub library: String,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    Help,
    Version,
    Run {
        global: GlobalArgs,
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

fn find(token: &str) -> Option<&'static Spec> {
    SPECS
        .iter()
        .find(|s| s.long == token || s.short == Some(token))
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

/// Parsed occurrences of options, in order.
type Occurrences = Vec<(&'static Spec, Option<String>)>;

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
                if inline.is_some() {
                    return Err(ParseError::Argument(format!(
                        "argument {}: ignored explicit argument '{}'",
                        display_name(s),
                        inline.unwrap_or_default()
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
                            Some(v) if !v.starts_with('-') || v.len() == 1 => v.clone(),
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

fn check_value(s: &Spec, value: String) -> Result<String, ParseError> {
    match s.takes {
        Takes::Choice(choices, case_sensitive) => {
            let v = if case_sensitive {
                value.clone()
            } else {
                value.to_lowercase()
            };
            if choices.contains(&v.as_str()) {
                Ok(v)
            } else {
                let list = choices
                    .iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(ParseError::Argument(format!(
                    "argument {}: invalid choice: '{value}' (choose from {list})",
                    s.long
                )))
            }
        }
        Takes::Int => value
            .trim()
            .parse::<i64>()
            .map(|_| value.clone())
            .map_err(|_| {
                ParseError::Argument(format!("argument {}: invalid int value: '{value}'", s.long))
            }),
        Takes::Flag | Takes::Value => Ok(value),
    }
}

fn apply(user: &mut UserArgs, occurrences: &Occurrences) {
    for (s, v) in occurrences {
        let v = v.clone();
        match s.long {
            "--directory" => user.directory = v,
            "--auth-only" => user.auth_only = true,
            "--cookie-directory" => user.cookie_directory = v.unwrap_or_default(),
            "--username" => user.username = v.unwrap_or_default().to_lowercase(),
            "--password" => user.password = v,
            "--list-albums" => user.list_albums = true,
            "--list-libraries" => user.list_libraries = true,
            "--library" => user.library = v.unwrap_or_default(),
            _ => {}
        }
    }
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
    let last = |long: &str, default: &str| {
        globals
            .iter()
            .rev()
            .find(|(s, _)| s.long == long)
            .and_then(|(_, v)| v.clone())
            .unwrap_or_else(|| default.to_owned())
    };
    let mut providers: Vec<String> = Vec::new();
    for (s, v) in &globals {
        if s.long == "--password-provider" {
            if let Some(v) = v {
                if !providers.contains(v) {
                    providers.push(v.clone());
                }
            }
        }
    }
    if providers.is_empty() {
        providers = vec!["parameter".into(), "keyring".into(), "console".into()];
    }
    let global = GlobalArgs {
        log_level: last("--log-level", "debug"),
        domain: last("--domain", "com"),
        password_providers: providers,
        mfa_provider: last("--mfa-provider", "console"),
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
    let mut defaults = UserArgs {
        cookie_directory: "~/.pyicloud".to_owned(),
        library: "PrimarySync".to_owned(),
        ..UserArgs::default()
    };
    apply(&mut defaults, &common);
    let mut users = Vec::new();
    for chunk in chunks {
        let (occ, unknown) = extract(&chunk, &[Common, User])?;
        unrecognized.extend(unknown);
        let mut user = defaults.clone();
        apply(&mut user, &occ);
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
    Ok(Invocation::Run { global, users })
}

/// Returns the `--version` line.
pub fn version() -> String {
    let sha = option_env!("ICLOUDPD_COMMIT_SHA").unwrap_or("unknown");
    let ts = option_env!("ICLOUDPD_COMMIT_TIMESTAMP").unwrap_or("unknown");
    format!(
        "version:{}, commit sha:{sha}, commit timestamp:{ts}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Returns the usage line.
pub fn usage() -> &'static str {
    "usage: icloudpd [GLOBAL] [COMMON] [<USER> [COMMON] <USER> [COMMON] ...]"
}

/// Returns the help text (the three option groups, as icloudpd prints them).
pub fn help() -> String {
    let mut out = format!("{}\n", usage());
    let groups = [
        (Global, "GLOBAL options. Applied for all user settings."),
        (
            Common,
            "COMMON options. If specified before the first username, then used as defaults for settings for all users.",
        ),
        (
            User,
            "USER options. Can be specified for setting user configuration only.",
        ),
    ];
    for (scope, title) in groups {
        let _ = write!(out, "\n{title}\n");
        for s in SPECS.iter().filter(|s| s.scope == scope) {
            let value = match s.takes {
                Takes::Flag => String::new(),
                Takes::Choice(c, _) => format!(" {{{}}}", c.join(",")),
                Takes::Value | Takes::Int => format!(" {}", s.metavar),
            };
            let names = match s.short {
                Some(short) => format!("{short}{value}, {}{value}", s.long),
                None => format!("{}{value}", s.long),
            };
            let names = if s.long == "--help" {
                "--help, -h".to_owned()
            } else {
                names
            };
            if names.len() <= 20 {
                let _ = writeln!(out, "  {names:<22}{}", s.help);
            } else {
                let _ = writeln!(out, "  {names}\n{:24}{}", "", s.help);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn run(s: &str) -> (GlobalArgs, Vec<UserArgs>) {
        match parse(&args(s)).unwrap() {
            Invocation::Run { global, users } => (global, users),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_arguments_is_help() {
        assert_eq!(parse(&[]).unwrap(), Invocation::Help);
        assert_eq!(parse(&args("-h")).unwrap(), Invocation::Help);
        assert_eq!(parse(&args("--version")).unwrap(), Invocation::Version);
    }

    #[test]
    fn defaults_before_the_first_user_are_inherited_and_overridden() {
        let (g, users) = run("--directory abc --username U1 --username u2 --directory def");
        assert_eq!(g.password_providers, ["parameter", "keyring", "console"]);
        assert_eq!(g.log_level, "debug");
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].username, "u1");
        assert_eq!(users[0].directory.as_deref(), Some("abc"));
        assert_eq!(users[1].directory.as_deref(), Some("def"));
        assert_eq!(users[1].cookie_directory, "~/.pyicloud");
    }

    #[test]
    fn globals_may_appear_anywhere_and_providers_are_deduplicated() {
        let (g, users) = run(
            "-u a --password-provider weBui --auth-only --password-provider CoNSoLe --password-provider WeBuI --mfa-provider weBui",
        );
        assert_eq!(g.password_providers, ["webui", "console"]);
        assert_eq!(g.mfa_provider, "webui");
        assert!(users[0].auth_only);
    }

    #[test]
    fn invalid_choices_are_worded_like_argparse() {
        assert_eq!(
            parse(&args("--log-level warn")).unwrap_err(),
            ParseError::Argument(
                "argument --log-level: invalid choice: 'warn' (choose from 'debug', 'info', 'error')"
                    .into()
            )
        );
        // --domain is case-sensitive.
        assert!(matches!(
            parse(&args("--domain CN")),
            Err(ParseError::Argument(_))
        ));
        assert!(matches!(
            parse(&args("--help --version")),
            Err(ParseError::Argument(m)) if m == "argument --version: not allowed with argument --help/-h"
        ));
    }

    #[test]
    fn accepted_no_op_globals_and_int_validation() {
        let (_, users) = run("--no-progress-bar --use-os-locale --threads-num 4 -u a --auth-only");
        assert_eq!(users.len(), 1);
        assert_eq!(
            parse(&args("--threads-num x")).unwrap_err(),
            ParseError::Argument("argument --threads-num: invalid int value: 'x'".into())
        );
    }

    #[test]
    fn user_options_before_the_first_user_are_unrecognized() {
        assert_eq!(
            parse(&args("-p secret -u a --auth-only")).unwrap_err(),
            ParseError::Unrecognized(args("-p secret"))
        );
        assert_eq!(
            parse(&args("--username=a --auth-only")).unwrap_err(),
            ParseError::Unrecognized(args("--username=a"))
        );
        assert_eq!(
            parse(&args("-u a --dir x")).unwrap_err(),
            ParseError::Unrecognized(args("--dir x"))
        );
    }

    #[test]
    fn help_lists_the_three_groups() {
        let h = help();
        assert!(h.starts_with(usage()));
        for needle in [
            "GLOBAL options. Applied for all user settings.",
            "COMMON options. If specified before the first username",
            "USER options. Can be specified for setting user configuration only.",
            "--help, -h",
            "Show the version, commit hash, and timestamp",
            "-d DIRECTORY, --directory DIRECTORY",
            "Apple ID email address. Starts a new configuration",
            "--password-provider {console,keyring,parameter,webui}",
        ] {
            assert!(h.contains(needle), "{needle} missing from\n{h}");
        }
    }
}
