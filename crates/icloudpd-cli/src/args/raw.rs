//! What the options say, folded in order over icloudpd's defaults, before the settings stage
//! reads files, checks combinations and resolves paths: the process-wide [`GlobalArgs`] and one
//! [`UserArgs`] per user configuration. Only the option table writes them and only
//! [`crate::settings`] reads them.

use icloud_auth::Region;
use icloud_photos::RawPolicy;
use icloudpd_sync::{
    DEFAULT_CONCURRENCY, DateBound, FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize, Size,
};

use crate::settings::{LogLevel, MfaProvider, PasswordProvider};

/// An option's value, checked and converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A flag was given.
    Flag,
    Text(String),
    Int(u64),
    Date(DateBound),
    Folder(FolderStructure),
}

impl Value {
    /// The text of a value (empty for any other kind).
    pub fn text(&self) -> &str {
        match self {
            Value::Text(t) => t,
            _ => "",
        }
    }

    /// The number of a value (0 for any other kind).
    pub fn int(&self) -> u64 {
        match self {
            Value::Int(n) => *n,
            _ => 0,
        }
    }
}

/// A secret given as an option's value (`--password`, `--smtp-password`, `--webui-token`):
/// compared like a string, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hidden(********)")
    }
}

/// A secret given as such or as a file holding it (`--password` or `--password-file`): the
/// option given last wins, as both set one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    Given(Hidden),
    /// The path of a file whose first line is the secret.
    File(String),
}

/// Process-wide options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalArgs {
    pub log_level: LogLevel,
    pub region: Region,
    /// `--password-provider`, de-duplicated; empty: the default list.
    pub password_providers: Vec<PasswordProvider>,
    pub mfa_provider: MfaProvider,
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
    /// The web UI's token (`--webui-token` or `--webui-token-file`).
    pub webui_token: Option<Secret>,
    /// Where the JSON report goes (`--report-json`).
    pub report_json: Option<String>,
    /// Port of the metrics server (`--metrics-port`); `None`: no server.
    pub metrics_port: Option<u16>,
    /// Address the metrics server binds to (`--metrics-host`, default `127.0.0.1`).
    pub metrics_host: String,
}

impl Default for GlobalArgs {
    fn default() -> Self {
        GlobalArgs {
            log_level: LogLevel::Debug,
            region: Region::Global,
            password_providers: Vec::new(),
            mfa_provider: MfaProvider::Console,
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
            report_json: None,
            metrics_port: None,
            metrics_host: "127.0.0.1".to_owned(),
        }
    }
}

/// One user configuration (COMMON defaults merged with the user's own options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserArgs {
    pub username: String,
    /// `--password` or `--password-file`.
    pub password: Option<Secret>,
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
    /// `--smtp-password` or `--smtp-password-file`.
    pub smtp_password: Option<Secret>,
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

/// The sizes of a finished user configuration: de-duplicated in order, or `[original]`.
pub(super) fn unique_sizes(sizes: &[Size]) -> Vec<Size> {
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
