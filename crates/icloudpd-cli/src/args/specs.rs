//! The option table: every option icloudpd accepts, its group, how it takes its value and its
//! help text. The parser and the help text both read [`SPECS`].

/// Which group an option belongs to (§1.1 of the CLI spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Global,
    Common,
    User,
}

/// How an option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Takes {
    Flag,
    Value,
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
}

/// One option: its names, metavar, group, value and help text.
#[derive(Debug)]
pub(super) struct Spec {
    pub(super) short: Option<&'static str>,
    pub(super) long: &'static str,
    pub(super) metavar: &'static str,
    pub(super) scope: Scope,
    pub(super) takes: Takes,
    pub(super) help: &'static str,
}

const LOG_LEVELS: &[&str] = &["debug", "info", "error"];
const DOMAINS: &[&str] = &["com", "cn"];
const PASSWORD_PROVIDERS: &[&str] = &["console", "keyring", "parameter", "webui"];
const MFA_PROVIDERS: &[&str] = &["console", "webui"];
const SIZES: &[&str] = &["original", "medium", "thumb", "adjusted", "alternative"];
const LIVE_SIZES: &[&str] = &["original", "medium", "thumb"];
const MOV_POLICIES: &[&str] = &["suffix", "original"];
const RAW_POLICIES: &[&str] = &["as-is", "original", "alternative"];
const MATCH_POLICIES: &[&str] = &["name-size-dedup-with-suffix", "name-id7"];

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

const fn flag(long: &'static str, scope: Scope, help: &'static str) -> Spec {
    spec(None, long, "", scope, Takes::Flag, help)
}

const fn choice(
    long: &'static str,
    scope: Scope,
    choices: &'static [&'static str],
    help: &'static str,
) -> Spec {
    spec(None, long, "", scope, Takes::Choice(choices, false), help)
}

use Scope::{Common, Global, User};

/// Every option, in the order of icloudpd's help (`--wait-for-lock` and the `--webui-*`
/// options are ours).
pub(super) static SPECS: &[Spec] = &[
    spec(
        Some("-h"),
        "--help",
        "",
        Global,
        Takes::Flag,
        "Show this information",
    ),
    flag(
        "--version",
        Global,
        "Show the version, commit hash, and timestamp",
    ),
    flag(
        "--use-os-locale",
        Global,
        "Use the locale of the host OS to format dates",
    ),
    flag(
        "--only-print-filenames",
        Global,
        "Only print the filenames of all files that will be downloaded (not including files that are already downloaded). (Does not download or delete any files.)",
    ),
    choice(
        "--log-level",
        Global,
        LOG_LEVELS,
        "Log level. Default: debug",
    ),
    flag(
        "--no-progress-bar",
        Global,
        "Disable the one-line progress bar and print log messages on separate lines (progress bar is disabled by default if there is no TTY attached)",
    ),
    spec(
        None,
        "--threads-num",
        "THREADS_NUM",
        Global,
        Takes::Int(1),
        "Number of files downloaded concurrently. Default: 16",
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
        "--watch-with-interval",
        "WATCH_WITH_INTERVAL",
        Global,
        Takes::Int(0),
        "Run downloading in an infinite cycle, waiting the specified seconds between runs",
    ),
    flag(
        "--wait-for-lock",
        Global,
        "When another icloudpd process is using a download directory or the session files of a user, wait for it to finish instead of stopping at once. Default: stop with exit code 1",
    ),
    choice(
        "--password-provider",
        Global,
        PASSWORD_PROVIDERS,
        "Specify password providers to check in the given order. Default: [`parameter`, `keyring`, `console`]",
    ),
    choice(
        "--mfa-provider",
        Global,
        MFA_PROVIDERS,
        "Specify where to get the MFA code from",
    ),
    spec(
        None,
        "--webui-host",
        "WEBUI_HOST",
        Global,
        Takes::Value,
        "Address the web UI listens on when a `webui` provider is used. Default: 127.0.0.1 (this computer only; use 0.0.0.0 to accept other computers)",
    ),
    spec(
        None,
        "--webui-port",
        "WEBUI_PORT",
        Global,
        Takes::Port,
        "Port the web UI listens on when a `webui` provider is used (0: any free port). Default: 8080",
    ),
    spec(
        None,
        "--webui-allowed-host",
        "NAME",
        Global,
        Takes::Value,
        "A host name the web UI is reached under (repeatable), e.g. nas.local. IP addresses, localhost and this computer's name are accepted on a network address without it",
    ),
    spec(
        None,
        "--webui-token",
        "TOKEN",
        Global,
        Takes::Value,
        "Token the web UI asks for (16 to 256 of A-Z a-z 0-9 - . _ ~). Default: a random one, logged at start, when it listens on a network address; none on 127.0.0.1. The environment variable ICLOUDPD_WEBUI_TOKEN does the same, unseen by `ps`",
    ),
    spec(
        None,
        "--webui-token-file",
        "PATH",
        Global,
        Takes::Value,
        "Read the web UI token from this file (e.g. a Docker secret) instead",
    ),
    spec(
        Some("-d"),
        "--directory",
        "DIRECTORY",
        Common,
        Takes::Value,
        "Local directory to use for downloads",
    ),
    flag(
        "--auth-only",
        Common,
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
    choice(
        "--size",
        Common,
        SIZES,
        "Image size to download. `medium` and `thumb` will always be added as suffixes to filenames, `adjusted` and `alternative` only if conflicting, `original` never. If `adjusted` or `alternative` is specified and missing, then `original` is used. Default: None",
    ),
    choice(
        "--live-photo-size",
        Common,
        LIVE_SIZES,
        "Live Photo video size to download. Default: original",
    ),
    spec(
        None,
        "--recent",
        "RECENT",
        Common,
        Takes::Int(0),
        "Number of recent photos to download (default: download all photos)",
    ),
    spec(
        None,
        "--until-found",
        "UNTIL_FOUND",
        Common,
        Takes::Int(0),
        "Download the most recently added photos until we find X number of previously downloaded consecutive photos (default: download all photos)",
    ),
    spec(
        Some("-a"),
        "--album",
        "ALBUMS",
        Common,
        Takes::Value,
        "Album(s) to download, or the whole collection if not specified",
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
    flag("--list-libraries", Common, "List the available libraries"),
    flag(
        "--skip-videos",
        Common,
        "Don't download any videos (default: download all photos and videos)",
    ),
    flag(
        "--skip-live-photos",
        Common,
        "Don't download any live photos (default: download live photos)",
    ),
    flag(
        "--xmp-sidecar",
        Common,
        "Export additional data as XMP sidecar files (default: don't export)",
    ),
    flag(
        "--force-size",
        Common,
        "Only download the requested size (`adjusted` and `alternative` will not be forced). Default: download original if size is not available",
    ),
    flag(
        "--auto-delete",
        Common,
        "Scan the \"Recently Deleted\" folder and delete any files found there. (If you restore the photo in iCloud, it will be downloaded again.)",
    ),
    spec(
        None,
        "--folder-structure",
        "FOLDER_STRUCTURE",
        Common,
        Takes::Folder,
        "Folder structure. If set to `none`, all photos will be placed into the download directory. Default: {:%Y/%m/%d}",
    ),
    flag(
        "--set-exif-datetime",
        Common,
        "Write the DateTimeOriginal EXIF tag from file creation date, if it doesn't exist.",
    ),
    spec(
        None,
        "--smtp-username",
        "SMTP_USERNAME",
        Common,
        Takes::Value,
        "SMTP username for sending email notifications when two-step authentication expires.",
    ),
    spec(
        None,
        "--smtp-password",
        "SMTP_PASSWORD",
        Common,
        Takes::Value,
        "SMTP password for sending email notifications when two-step authentication expires.",
    ),
    spec(
        None,
        "--smtp-host",
        "SMTP_HOST",
        Common,
        Takes::Value,
        "SMTP server host for notifications",
    ),
    spec(
        None,
        "--smtp-port",
        "SMTP_PORT",
        Common,
        Takes::Port,
        "SMTP server port. Default: 587",
    ),
    flag(
        "--smtp-no-tls",
        Common,
        "Disable TLS for SMTP (TLS is required for Gmail)",
    ),
    spec(
        None,
        "--notification-email",
        "NOTIFICATION_EMAIL",
        Common,
        Takes::Value,
        "Email address where you would like to receive email notifications. Default: SMTP username",
    ),
    spec(
        None,
        "--notification-email-from",
        "NOTIFICATION_EMAIL_FROM",
        Common,
        Takes::Value,
        "Email address from which you would like to receive email notifications. Default: SMTP username or notification-email",
    ),
    spec(
        None,
        "--notification-script",
        "NOTIFICATION_SCRIPT",
        Common,
        Takes::Value,
        "Path to external script to run when two-factor authentication expires.",
    ),
    spec(
        None,
        "--mfa-expiry-warning-days",
        "MFA_EXPIRY_WARNING_DAYS",
        Common,
        Takes::Int(0),
        "Send the notification (e-mail, script) when Apple's trust of this session runs out in fewer than this many days, at most once a day (0: never). Default: 7",
    ),
    flag(
        "--full-scan",
        Common,
        "List the whole library this run, even when the sync state of the last run could ask iCloud only for what changed since",
    ),
    spec(
        None,
        "--full-scan-interval",
        "DAYS",
        Common,
        Takes::Int(0),
        "List the whole library when the last full listing is this many days old, and ask only for changes in between (0: list every run, as icloudpd does). Default: 7",
    ),
    spec(
        None,
        "--state-directory",
        "DIRECTORY",
        Common,
        Takes::Value,
        "Directory for the sync state (one SQLite file per Apple ID, library and download directory). Default: the cookie directory",
    ),
    flag(
        "--delete-after-download",
        Common,
        "Delete the photo/video after downloading it. The deleted items will appear in \"Recently Deleted\". Therefore, should not be combined with --auto-delete option.",
    ),
    spec(
        None,
        "--keep-icloud-recent-days",
        "KEEP_ICLOUD_RECENT_DAYS",
        Common,
        Takes::Int(0),
        "Keep photos newer than this many days in iCloud. Delete the rest. If set to 0, all photos will be deleted from iCloud.",
    ),
    flag(
        "--dry-run",
        Common,
        "Do not modify the local system or iCloud",
    ),
    flag(
        "--keep-unicode-in-filenames",
        Common,
        "Keep Unicode characters in filenames, or remove all non-ASCII characters",
    ),
    choice(
        "--live-photo-mov-filename-policy",
        Common,
        MOV_POLICIES,
        "How to produce filenames for the video portion of live photos: `suffix` will add _HEVC suffix and `original` will keep the filename as is. Default: suffix",
    ),
    choice(
        "--align-raw",
        Common,
        RAW_POLICIES,
        "For photo assets with RAW and JPEG, always treat RAW in the specified size: `original` (RAW+JPEG), `alternative` (JPEG+RAW), or unchanged (as-is). This matters when choosing sizes to download. Default: as-is",
    ),
    choice(
        "--file-match-policy",
        Common,
        MATCH_POLICIES,
        "Policy to identify existing files and de-duplicate. `name-size-dedup-with-suffix` appends file size to de-duplicate. `name-id7` adds asset ID from iCloud to all filenames and does not de-duplicate. Default: name-size-dedup-with-suffix",
    ),
    spec(
        None,
        "--skip-created-before",
        "SKIP_CREATED_BEFORE",
        Common,
        Takes::Date,
        "Do not process assets created before the specified timestamp in ISO format (2025-01-02) or interval backwards from now (20d = 20 days ago)",
    ),
    spec(
        None,
        "--skip-created-after",
        "SKIP_CREATED_AFTER",
        Common,
        Takes::Date,
        "Do not process assets created after the specified timestamp in ISO format (2025-01-02) or interval backwards from now (20d = 20 days ago)",
    ),
    flag(
        "--skip-photos",
        Common,
        "Don't download any photos (default: download all photos and videos)",
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

/// Returns the option named `token` (long or short form).
pub(super) fn find(token: &str) -> Option<&'static Spec> {
    SPECS
        .iter()
        .find(|s| s.long == token || s.short == Some(token))
}
