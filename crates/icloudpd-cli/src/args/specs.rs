//! The option table: every option icloudpd accepts, spelled once. Each entry names the option,
//! its group, how it takes its value, its help text and what it sets; its environment variable
//! follows from its name ([`Spec::env_var`]). Parsing, the help text, the environment and
//! `--generate` all read [`SPECS`].

use icloud_auth::Region;
use icloud_photos::RawPolicy;
use icloudpd_sync::{FileMatchPolicy, LiveMovPolicy, LiveSize, Size};

use super::raw::{GlobalArgs, Hidden, Secret, UserArgs, Value};
use crate::settings::{LogLevel, MfaProvider, PasswordProvider};

/// Which group an option belongs to (§1.1 of the CLI spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Global,
    Common,
    User,
}

/// What kind of path an option names, for shell completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathKind {
    Directory,
    File,
}

/// How an option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Takes {
    Flag,
    Value,
    /// A file or directory name.
    Path(PathKind),
    /// A value from a fixed list, matched case-insensitively unless `case_sensitive`.
    Choice(&'static [&'static str], bool),
    /// An integer of at least this much.
    Int(u64),
    /// A TCP port number (0 to 65535).
    Port,
    /// `--skip-created-*`: an ISO timestamp or `<N>d`.
    Date,
    /// `--folder-structure`: `none` or a template that renders.
    Folder,
    /// `--webui-token`: a token a URL and a cookie carry as it is.
    Token,
}

/// What an option does once parsed.
#[derive(Clone, Copy)]
pub(crate) enum Set {
    /// Handled by the parser itself (`--help`, `--version`, `--generate`); no environment
    /// variable.
    Action,
    Global(fn(&mut GlobalArgs, &Value)),
    User(fn(&mut UserArgs, &Value)),
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Set::Action => "Action",
            Set::Global(_) => "Global",
            Set::User(_) => "User",
        })
    }
}

/// One option: its names, metavar, group, value, help text and effect.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) short: Option<&'static str>,
    pub(crate) long: &'static str,
    pub(crate) metavar: &'static str,
    pub(crate) scope: Scope,
    pub(crate) takes: Takes,
    /// Given more than once, the values add up (`--size`, `--album`); its environment
    /// variable then holds a comma-separated list.
    pub(crate) repeats: bool,
    pub(crate) help: &'static str,
    pub(crate) set: Set,
}

/// Options are the same when their names are (each is in the table once).
impl PartialEq for Spec {
    fn eq(&self, other: &Spec) -> bool {
        self.long == other.long
    }
}

impl Eq for Spec {}

impl Spec {
    /// Returns the environment variable that gives this option a default: `ICLOUDPD_` and the
    /// long name in upper case, `-` as `_` (`--log-level` → `ICLOUDPD_LOG_LEVEL`); `None` for
    /// `--help`, `--version` and `--generate`.
    pub(crate) fn env_var(&self) -> Option<String> {
        if matches!(self.set, Set::Action) {
            return None;
        }
        let name = self.long.trim_start_matches('-').replace('-', "_");
        Some(format!("ICLOUDPD_{}", name.to_ascii_uppercase()))
    }

    /// Whether this option and `other` set the same thing (`--password` and
    /// `--password-file`, …), so that one given later replaces the other.
    pub(crate) fn same_setting(&self, other: &Spec) -> bool {
        self.long == other.long
            || ALTERNATIVES.iter().any(|(a, b)| {
                (self.long, other.long) == (a, b) || (self.long, other.long) == (b, a)
            })
    }

    const fn short(mut self, short: &'static str) -> Spec {
        self.short = Some(short);
        self
    }

    const fn metavar(mut self, metavar: &'static str) -> Spec {
        self.metavar = metavar;
        self
    }

    const fn repeats(mut self) -> Spec {
        self.repeats = true;
        self
    }
}

/// Options that set one thing in two ways: not both in one place on the command line (or both
/// in the environment), and a later one replaces an earlier one.
pub(crate) const ALTERNATIVES: &[(&str, &str)] = &[
    ("--password", "--password-file"),
    ("--smtp-password", "--smtp-password-file"),
    ("--webui-token", "--webui-token-file"),
];

/// What `--generate` makes.
pub(crate) const GENERATE: &[&str] = &["complete-bash", "complete-zsh", "complete-fish", "man"];

const LOG_LEVELS: &[&str] = LogLevel::NAMES;
const DOMAINS: &[&str] = &["com", "cn"];
const PASSWORD_PROVIDERS: &[&str] = PasswordProvider::NAMES;
const MFA_PROVIDERS: &[&str] = MfaProvider::NAMES;
const SIZES: &[&str] = &["original", "medium", "thumb", "adjusted", "alternative"];
const LIVE_SIZES: &[&str] = &["original", "medium", "thumb"];
const MOV_POLICIES: &[&str] = &["suffix", "original"];
const RAW_POLICIES: &[&str] = &["as-is", "original", "alternative"];
const MATCH_POLICIES: &[&str] = &["name-size-dedup-with-suffix", "name-id7"];

const DIR: Takes = Takes::Path(PathKind::Directory);
const FILE: Takes = Takes::Path(PathKind::File);

const fn spec(
    long: &'static str,
    scope: Scope,
    takes: Takes,
    help: &'static str,
    set: Set,
) -> Spec {
    Spec {
        short: None,
        long,
        metavar: "",
        scope,
        takes,
        repeats: false,
        help,
        set,
    }
}

const fn action(long: &'static str, takes: Takes, help: &'static str) -> Spec {
    spec(long, Scope::Global, takes, help, Set::Action)
}

const fn global(
    long: &'static str,
    takes: Takes,
    help: &'static str,
    set: fn(&mut GlobalArgs, &Value),
) -> Spec {
    spec(long, Scope::Global, takes, help, Set::Global(set))
}

const fn common(
    long: &'static str,
    takes: Takes,
    help: &'static str,
    set: fn(&mut UserArgs, &Value),
) -> Spec {
    spec(long, Scope::Common, takes, help, Set::User(set))
}

const fn user(
    long: &'static str,
    takes: Takes,
    help: &'static str,
    set: fn(&mut UserArgs, &Value),
) -> Spec {
    spec(long, Scope::User, takes, help, Set::User(set))
}

fn text(v: &Value) -> String {
    v.text().to_owned()
}

fn days(v: &Value) -> u32 {
    u32::try_from(v.int()).unwrap_or(u32::MAX)
}

fn port(v: &Value) -> u16 {
    u16::try_from(v.int()).unwrap_or(u16::MAX)
}

/// Every option, in the order of icloudpd's help (`--wait-for-lock`, `--webui-*`, the
/// `*-file` options, `--generate` and the sync state's options are ours).
pub(crate) static SPECS: &[Spec] = &[
    action("--help", Takes::Flag, "Show this information").short("-h"),
    action(
        "--version",
        Takes::Flag,
        "Show the version, commit hash, and timestamp",
    ),
    action(
        "--generate",
        Takes::Choice(GENERATE, false),
        "Print a shell completion script (bash, zsh, fish) or the man page, made from this option table, and exit",
    ),
    global(
        "--use-os-locale",
        Takes::Flag,
        "Use the locale of the host OS to format dates",
        |g, _| g.use_os_locale = true,
    ),
    global(
        "--only-print-filenames",
        Takes::Flag,
        "Only print the filenames of all files that will be downloaded (not including files that are already downloaded). (Does not download or delete any files.)",
        |g, _| g.only_print_filenames = true,
    ),
    global(
        "--log-level",
        Takes::Choice(LOG_LEVELS, false),
        "Log level. Default: debug",
        |g, v| g.log_level = LogLevel::from_name(v.text()).unwrap_or(LogLevel::Debug),
    ),
    global(
        "--no-progress-bar",
        Takes::Flag,
        "Disable the one-line progress bar and print log messages on separate lines (progress bar is disabled by default if there is no TTY attached)",
        |g, _| g.no_progress_bar = true,
    ),
    global(
        "--threads-num",
        Takes::Int(1),
        "Number of files downloaded concurrently. Default: 16",
        |g, v| g.concurrency = usize::try_from(v.int()).unwrap_or(usize::MAX),
    )
    .metavar("THREADS_NUM"),
    global(
        "--domain",
        Takes::Choice(DOMAINS, true),
        "Which iCloud root domain to use. Use 'cn' for mainland China. Default: com",
        |g, v| g.region = Region::from_domain(v.text()).unwrap_or_default(),
    ),
    global(
        "--watch-with-interval",
        Takes::Int(0),
        "Run downloading in an infinite cycle, waiting the specified seconds between runs",
        |g, v| g.watch_with_interval = Some(v.int()).filter(|n| *n > 0),
    )
    .metavar("WATCH_WITH_INTERVAL"),
    global(
        "--wait-for-lock",
        Takes::Flag,
        "When another icloudpd process is using a download directory or the session files of a user, wait for it to finish instead of stopping at once. Default: stop with exit code 1",
        |g, _| g.wait_for_lock = true,
    ),
    global(
        "--password-provider",
        Takes::Choice(PASSWORD_PROVIDERS, false),
        "Specify password providers to check in the given order. Default: [`parameter`, `keyring`, `console`]",
        |g, v| {
            if let Some(p) = PasswordProvider::from_name(v.text())
                && !g.password_providers.contains(&p)
            {
                g.password_providers.push(p);
            }
        },
    )
    .repeats(),
    global(
        "--mfa-provider",
        Takes::Choice(MFA_PROVIDERS, false),
        "Specify where to get the MFA code from",
        |g, v| g.mfa_provider = MfaProvider::from_name(v.text()).unwrap_or(MfaProvider::Console),
    ),
    global(
        "--webui-host",
        Takes::Value,
        "Address the web UI listens on when a `webui` provider is used. Default: 127.0.0.1 (this computer only; use 0.0.0.0 to accept other computers)",
        |g, v| g.webui_host = text(v),
    )
    .metavar("WEBUI_HOST"),
    global(
        "--webui-port",
        Takes::Port,
        "Port the web UI listens on when a `webui` provider is used (0: any free port). Default: 8080",
        |g, v| g.webui_port = port(v),
    )
    .metavar("WEBUI_PORT"),
    global(
        "--webui-allowed-host",
        Takes::Value,
        "A host name the web UI is reached under (repeatable), e.g. nas.local. IP addresses, localhost and this computer's name are accepted on a network address without it",
        |g, v| {
            let name = v.text().trim().trim_end_matches('.').to_ascii_lowercase();
            if !name.is_empty() && !g.webui_allowed_hosts.contains(&name) {
                g.webui_allowed_hosts.push(name);
            }
        },
    )
    .metavar("NAME")
    .repeats(),
    global(
        "--webui-token",
        Takes::Token,
        "Token the web UI asks for (16 to 256 of A-Z a-z 0-9 - . _ ~). Default: a random one, logged at start, when it listens on a network address; none on 127.0.0.1. Prefer --webui-token-file or the environment, which `ps` does not show",
        |g, v| g.webui_token = Some(Secret::Given(Hidden(text(v)))),
    )
    .metavar("TOKEN"),
    global(
        "--webui-token-file",
        FILE,
        "Read the web UI token from the first line of this file (e.g. a Docker secret) instead",
        |g, v| g.webui_token = Some(Secret::File(text(v))),
    )
    .metavar("PATH"),
    global(
        "--report-json",
        FILE,
        "After each run or watch pass, write a JSON report of what every account did to this file (replaced atomically; see the README)",
        |g, v| g.report_json = Some(text(v)),
    )
    .metavar("PATH"),
    global(
        "--metrics-port",
        Takes::Port,
        "Serve Prometheus metrics on /metrics and a health check on /healthz at this port while running (0: any free port, logged)",
        |g, v| g.metrics_port = Some(port(v)),
    )
    .metavar("PORT"),
    global(
        "--metrics-host",
        Takes::Value,
        "Address the metrics server listens on. Default: 127.0.0.1 (this computer only; use 0.0.0.0 in a container)",
        |g, v| g.metrics_host = text(v),
    )
    .metavar("HOST"),
    common(
        "--directory",
        DIR,
        "Local directory to use for downloads",
        |u, v| u.directory = Some(text(v)),
    )
    .short("-d")
    .metavar("DIRECTORY"),
    common(
        "--auth-only",
        Takes::Flag,
        "Create/update cookie and session tokens only.",
        |u, _| u.auth_only = true,
    ),
    common(
        "--cookie-directory",
        DIR,
        "Directory to store cookies for authentication. Default: ~/.pyicloud",
        |u, v| u.cookie_directory = text(v),
    )
    .metavar("COOKIE_DIRECTORY"),
    common(
        "--size",
        Takes::Choice(SIZES, false),
        "Image size to download. `medium` and `thumb` will always be added as suffixes to filenames, `adjusted` and `alternative` only if conflicting, `original` never. If `adjusted` or `alternative` is specified and missing, then `original` is used. Default: None",
        |u, v| u.sizes.extend(Size::parse(v.text())),
    )
    .repeats(),
    common(
        "--live-photo-size",
        Takes::Choice(LIVE_SIZES, false),
        "Live Photo video size to download. Default: original",
        |u, v| u.live_photo_size = LiveSize::parse(v.text()).unwrap_or(LiveSize::Original),
    ),
    common(
        "--recent",
        Takes::Int(0),
        "Number of recent photos to download (default: download all photos)",
        |u, v| u.recent = Some(v.int()),
    )
    .metavar("RECENT"),
    common(
        "--until-found",
        Takes::Int(0),
        "Download the most recently added photos until we find X number of previously downloaded consecutive photos (default: download all photos)",
        |u, v| u.until_found = Some(v.int()),
    )
    .metavar("UNTIL_FOUND"),
    common(
        "--album",
        Takes::Value,
        "Album(s) to download, or the whole collection if not specified",
        |u, v| u.albums.push(text(v)),
    )
    .short("-a")
    .metavar("ALBUMS")
    .repeats(),
    common(
        "--list-albums",
        Takes::Flag,
        "List the available albums",
        |u, _| u.list_albums = true,
    )
    .short("-l"),
    common(
        "--library",
        Takes::Value,
        "Library to download. Default: PrimarySync",
        |u, v| u.library = text(v),
    )
    .metavar("LIBRARY"),
    common(
        "--list-libraries",
        Takes::Flag,
        "List the available libraries",
        |u, _| u.list_libraries = true,
    ),
    common(
        "--skip-videos",
        Takes::Flag,
        "Don't download any videos (default: download all photos and videos)",
        |u, _| u.skip_videos = true,
    ),
    common(
        "--skip-live-photos",
        Takes::Flag,
        "Don't download any live photos (default: download live photos)",
        |u, _| u.skip_live_photos = true,
    ),
    common(
        "--xmp-sidecar",
        Takes::Flag,
        "Export additional data as XMP sidecar files (default: don't export)",
        |u, _| u.xmp_sidecar = true,
    ),
    common(
        "--force-size",
        Takes::Flag,
        "Only download the requested size (`adjusted` and `alternative` will not be forced). Default: download original if size is not available",
        |u, _| u.force_size = true,
    ),
    common(
        "--auto-delete",
        Takes::Flag,
        "Scan the \"Recently Deleted\" folder and delete any files found there. (If you restore the photo in iCloud, it will be downloaded again.)",
        |u, _| u.auto_delete = true,
    ),
    common(
        "--folder-structure",
        Takes::Folder,
        "Folder structure. If set to `none`, all photos will be placed into the download directory. Default: {:%Y/%m/%d}",
        |u, v| {
            if let Value::Folder(f) = v {
                u.folder_structure = f.clone();
            }
        },
    )
    .metavar("FOLDER_STRUCTURE"),
    common(
        "--set-exif-datetime",
        Takes::Flag,
        "Write the DateTimeOriginal EXIF tag from file creation date, if it doesn't exist.",
        |u, _| u.set_exif_datetime = true,
    ),
    common(
        "--smtp-username",
        Takes::Value,
        "SMTP username for sending email notifications when two-step authentication expires.",
        |u, v| u.smtp_username = Some(text(v)),
    )
    .metavar("SMTP_USERNAME"),
    common(
        "--smtp-password",
        Takes::Value,
        "SMTP password for sending email notifications when two-step authentication expires.",
        |u, v| u.smtp_password = Some(Secret::Given(Hidden(text(v)))),
    )
    .metavar("SMTP_PASSWORD"),
    common(
        "--smtp-password-file",
        FILE,
        "Read the SMTP password from the first line of this file instead (e.g. a Docker secret), unseen by `ps`",
        |u, v| u.smtp_password = Some(Secret::File(text(v))),
    )
    .metavar("PATH"),
    common(
        "--smtp-host",
        Takes::Value,
        "SMTP server host for notifications",
        |u, v| u.smtp_host = text(v),
    )
    .metavar("SMTP_HOST"),
    common(
        "--smtp-port",
        Takes::Port,
        "SMTP server port. Default: 587",
        |u, v| u.smtp_port = port(v),
    )
    .metavar("SMTP_PORT"),
    common(
        "--smtp-no-tls",
        Takes::Flag,
        "Disable TLS for SMTP (TLS is required for Gmail)",
        |u, _| u.smtp_no_tls = true,
    ),
    common(
        "--notification-email",
        Takes::Value,
        "Email address where you would like to receive email notifications. Default: SMTP username",
        |u, v| u.notification_email = Some(text(v)),
    )
    .metavar("NOTIFICATION_EMAIL"),
    common(
        "--notification-email-from",
        Takes::Value,
        "Email address from which you would like to receive email notifications. Default: SMTP username or notification-email",
        |u, v| u.notification_email_from = Some(text(v)),
    )
    .metavar("NOTIFICATION_EMAIL_FROM"),
    common(
        "--notification-script",
        FILE,
        "Path to external script to run when two-factor authentication expires.",
        |u, v| u.notification_script = Some(text(v)),
    )
    .metavar("NOTIFICATION_SCRIPT"),
    common(
        "--mfa-expiry-warning-days",
        Takes::Int(0),
        "Send the notification (e-mail, script) when Apple's trust of this session runs out in fewer than this many days, at most once a day (0: never). Default: 7",
        |u, v| u.mfa_expiry_warning_days = days(v),
    )
    .metavar("MFA_EXPIRY_WARNING_DAYS"),
    common(
        "--full-scan",
        Takes::Flag,
        "List the whole library this run, even when the sync state of the last run could ask iCloud only for what changed since",
        |u, _| u.full_scan = true,
    ),
    common(
        "--full-scan-interval",
        Takes::Int(0),
        "List the whole library when the last full listing is this many days old, and ask only for changes in between (0: list every run, as icloudpd does). Default: 7",
        |u, v| u.full_scan_interval_days = v.int(),
    )
    .metavar("DAYS"),
    common(
        "--state-directory",
        DIR,
        "Directory for the sync state (one SQLite file per Apple ID, library and download directory). Default: the cookie directory",
        |u, v| u.state_directory = Some(text(v)),
    )
    .metavar("DIRECTORY"),
    common(
        "--delete-after-download",
        Takes::Flag,
        "Delete the photo/video after downloading it. The deleted items will appear in \"Recently Deleted\". Therefore, should not be combined with --auto-delete option.",
        |u, _| u.delete_after_download = true,
    ),
    common(
        "--keep-icloud-recent-days",
        Takes::Int(0),
        "Keep photos newer than this many days in iCloud. Delete the rest. If set to 0, all photos will be deleted from iCloud.",
        |u, v| u.keep_icloud_recent_days = Some(days(v)),
    )
    .metavar("KEEP_ICLOUD_RECENT_DAYS"),
    common(
        "--dry-run",
        Takes::Flag,
        "Do not modify the local system or iCloud",
        |u, _| u.dry_run = true,
    ),
    common(
        "--keep-unicode-in-filenames",
        Takes::Flag,
        "Keep Unicode characters in filenames, or remove all non-ASCII characters",
        |u, _| u.keep_unicode_in_filenames = true,
    ),
    common(
        "--live-photo-mov-filename-policy",
        Takes::Choice(MOV_POLICIES, false),
        "How to produce filenames for the video portion of live photos: `suffix` will add _HEVC suffix and `original` will keep the filename as is. Default: suffix",
        |u, v| {
            u.live_photo_mov_filename_policy = match v.text() {
                "original" => LiveMovPolicy::Original,
                _ => LiveMovPolicy::Suffix,
            };
        },
    ),
    common(
        "--align-raw",
        Takes::Choice(RAW_POLICIES, false),
        "For photo assets with RAW and JPEG, always treat RAW in the specified size: `original` (RAW+JPEG), `alternative` (JPEG+RAW), or unchanged (as-is). This matters when choosing sizes to download. Default: as-is",
        |u, v| {
            u.align_raw = match v.text() {
                "original" => RawPolicy::Original,
                "alternative" => RawPolicy::Alternative,
                _ => RawPolicy::AsIs,
            };
        },
    ),
    common(
        "--file-match-policy",
        Takes::Choice(MATCH_POLICIES, false),
        "Policy to identify existing files and de-duplicate. `name-size-dedup-with-suffix` appends file size to de-duplicate. `name-id7` adds asset ID from iCloud to all filenames and does not de-duplicate. Default: name-size-dedup-with-suffix",
        |u, v| {
            u.file_match_policy = match v.text() {
                "name-id7" => FileMatchPolicy::NameId7,
                _ => FileMatchPolicy::NameSizeDedupWithSuffix,
            };
        },
    ),
    common(
        "--skip-created-before",
        Takes::Date,
        "Do not process assets created before the specified timestamp in ISO format (2025-01-02) or interval backwards from now (20d = 20 days ago)",
        |u, v| {
            if let Value::Date(d) = v {
                u.skip_created_before = Some(*d);
            }
        },
    )
    .metavar("SKIP_CREATED_BEFORE"),
    common(
        "--skip-created-after",
        Takes::Date,
        "Do not process assets created after the specified timestamp in ISO format (2025-01-02) or interval backwards from now (20d = 20 days ago)",
        |u, v| {
            if let Value::Date(d) = v {
                u.skip_created_after = Some(*d);
            }
        },
    )
    .metavar("SKIP_CREATED_AFTER"),
    common(
        "--skip-photos",
        Takes::Flag,
        "Don't download any photos (default: download all photos and videos)",
        |u, _| u.skip_photos = true,
    ),
    user(
        "--username",
        Takes::Value,
        "Apple ID email address. Starts a new configuration group.",
        |u, v| u.username = v.text().to_lowercase(),
    )
    .short("-u")
    .metavar("USERNAME"),
    user(
        "--password",
        Takes::Value,
        "iCloud password for the account if `--password-provider` specifies `parameter`",
        |u, v| u.password = Some(Secret::Given(Hidden(text(v)))),
    )
    .short("-p")
    .metavar("PASSWORD"),
    user(
        "--password-file",
        FILE,
        "Read the iCloud password from the first line of this file instead (e.g. a Docker secret), unseen by `ps`; for the `parameter` provider",
        |u, v| u.password = Some(Secret::File(text(v))),
    )
    .metavar("PATH"),
];

/// Returns the option named `token` (long or short form).
pub(crate) fn find(token: &str) -> Option<&'static Spec> {
    SPECS
        .iter()
        .find(|s| s.long == token || s.short == Some(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_variables_follow_the_long_names() {
        let var = |long: &str| find(long).and_then(Spec::env_var);
        assert_eq!(var("--directory").as_deref(), Some("ICLOUDPD_DIRECTORY"));
        assert_eq!(
            var("--password-file").as_deref(),
            Some("ICLOUDPD_PASSWORD_FILE")
        );
        assert_eq!(
            var("--webui-token").as_deref(),
            Some("ICLOUDPD_WEBUI_TOKEN")
        );
        assert_eq!(var("--help"), None);
        assert_eq!(var("--generate"), None);
        let mut names: Vec<String> = SPECS.iter().filter_map(Spec::env_var).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SPECS.len() - 3, "one variable per option");
    }

    #[test]
    fn every_option_is_spelled_once_and_alternatives_exist() {
        for (i, s) in SPECS.iter().enumerate() {
            assert!(s.long.starts_with("--"), "{}", s.long);
            assert!(
                SPECS[i + 1..]
                    .iter()
                    .all(|o| o.long != s.long && (o.short.is_none() || o.short != s.short)),
                "{} twice",
                s.long
            );
        }
        for (a, b) in ALTERNATIVES {
            let (a, b) = (find(a).unwrap(), find(b).unwrap());
            assert!(a.same_setting(b) && b.same_setting(a));
            assert_eq!(a.scope, b.scope);
        }
        assert!(
            !find("--password")
                .unwrap()
                .same_setting(find("--smtp-password").unwrap())
        );
    }
}
