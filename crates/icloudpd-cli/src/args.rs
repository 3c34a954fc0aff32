//! Command-line parsing with icloudpd 1.32's model: GLOBAL options anywhere, COMMON options as
//! defaults before the first `-u` and per user after it, USER options only inside a user group.
//!
//! clap cannot express "split at every `-u` and inherit the defaults", so this is a small
//! table-driven parser; the table is also the help text.

use std::fmt::Write as _;

use icloud_photos::RawPolicy;
use icloudpd_sync::{
    DEFAULT_CONCURRENCY, DateBound, FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize, Size,
};

use crate::timestamp;

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
    /// An integer of at least this much.
    Int(u64),
    /// `--skip-created-*`: an ISO timestamp or `<N>d`.
    Date,
    /// `--folder-structure`: `none` or a template that renders.
    Folder,
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

/// Every option, in the order of icloudpd's help (SMTP and notification options are not here).
static SPECS: &[Spec] = &[
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
        }
    }
}

/// One user configuration (COMMON defaults merged with the user's own options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserArgs {
    pub username: String,
    pub password: Option<String>,
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
        }
    }
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
            ("--password", _) => user.password = Some(text()),
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
        if let (true, Some(Value::Text(v))) = (s.long == "--password-provider", v) {
            if !providers.contains(v) {
                providers.push(v.clone());
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
    Ok(Invocation::Run { global, users })
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

/// Returns the usage line.
pub fn usage() -> &'static str {
    "usage: icloudpd [GLOBAL] [COMMON] [<USER> [COMMON] <USER> [COMMON] ...]"
}

/// Column where help texts start, and the width argparse fills (100 columns minus 2).
const HELP_COLUMN: usize = 24;
const HELP_WIDTH: usize = 98;

/// Returns the help text (the three option groups, as icloudpd prints them on 100 columns).
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
                _ => format!(" {}", s.metavar),
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
            let lines = wrap(s.help, HELP_WIDTH - HELP_COLUMN);
            let indent = " ".repeat(HELP_COLUMN);
            if names.len() <= HELP_COLUMN - 4 {
                let _ = write!(out, "  {names:<22}");
            } else {
                let _ = write!(out, "  {names}\n{indent}");
            }
            let _ = writeln!(out, "{}", lines.join(&format!("\n{indent}")));
        }
    }
    out.pop(); // printed with a newline, like Python's `print`
    out
}

/// Greedy line filling as Python's `textwrap.wrap`, which may also break after a hyphen inside
/// a word (`--auto-` / `delete`, `(as-` / `is)`).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut chunks = hyphen_chunks(word).into_iter();
        let first = chunks.next().unwrap_or_default();
        let sep = usize::from(!line.is_empty());
        if !line.is_empty() && line.len() + sep + first.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(first);
        for chunk in chunks {
            if line.len() + chunk.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push_str(chunk);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A word split after each hyphen that textwrap breaks at: preceded by two letters (or
/// letter-hyphen-letter) and followed by a letter, an optional hyphen and a letter.
fn hyphen_chunks(word: &str) -> Vec<&str> {
    let c: Vec<char> = word.chars().collect();
    let letter = |i: usize| c.get(i).is_some_and(|ch| ch.is_alphabetic() || *ch == '_');
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut byte = 0;
    for (i, ch) in c.iter().enumerate() {
        byte += ch.len_utf8();
        if *ch != '-' || i < 2 {
            continue;
        }
        let before = (letter(i - 1) && letter(i - 2))
            || (i >= 3 && letter(i - 1) && c[i - 2] == '-' && letter(i - 3));
        let after =
            letter(i + 1) && (letter(i + 2) || (c.get(i + 2) == Some(&'-') && letter(i + 3)));
        if before && after {
            chunks.push(&word[start..byte]);
            start = byte;
        }
    }
    chunks.push(&word[start..]);
    chunks
}

#[cfg(test)]
mod tests;
