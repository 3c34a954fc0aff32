//! One user configuration's settings: paths resolved against the home directory, the password
//! read, the sync engine's options and the notifications.

use std::path::{Path, PathBuf};
use std::time::Duration;

use icloud_auth::SecretString;
use icloudpd_sync::{RunMode, SyncOptions, TimeNames};

use super::environment::Environment;
use super::secrets;
use crate::args::{self, GlobalArgs, UserArgs};
use crate::error::CliError;
use crate::notify::{Email, Notifications};

/// One user's validated settings: what the CLI itself acts on, and the download options
/// handed to the sync engine.
#[derive(Debug, Clone)]
pub struct UserSettings {
    pub username: String,
    /// `--password` or `--password-file`, for the `parameter` provider (`None` when not given
    /// or empty).
    pub password: Option<SecretString>,
    pub auth_only: bool,
    pub cookie_directory: PathBuf,
    pub list_albums: bool,
    pub list_libraries: bool,
    /// CloudKit zone name of the library (`--library`, default `PrimarySync`).
    pub library: String,
    /// What to download and how; `None` without `--directory`.
    pub download: Option<SyncOptions>,
    /// Who to tell when a second factor is needed.
    pub notifications: Notifications,
    /// Warn when Apple's trust ends in fewer days than this (0: never).
    pub mfa_expiry_warning_days: u32,
    /// The sync state's file; `None` without `--directory`.
    pub state_file: Option<PathBuf>,
    /// List the whole library this run (`--full-scan`).
    pub full_scan: bool,
    /// Time between full listings (`--full-scan-interval`).
    pub full_scan_interval: Duration,
}

/// An empty `--directory ""` counts as missing, as in icloudpd.
pub(super) fn has_directory(user: &UserArgs) -> bool {
    user.directory.as_ref().is_some_and(|d| !d.is_empty())
}

/// Returns the settings of `u`, reading the secret files it names; a file others may read adds
/// to `warnings`.
pub(super) fn settings(
    u: &UserArgs,
    global: &GlobalArgs,
    env: &Environment,
    time_names: Option<&TimeNames>,
    warnings: &mut Vec<String>,
) -> Result<UserSettings, CliError> {
    let password = match &u.password {
        Some(secret) => secrets::read(secret, "--password-file", warnings)?,
        None => None,
    };
    let smtp_password = match &u.smtp_password {
        Some(secret) => secrets::read(secret, "--smtp-password-file", warnings)?,
        None => None,
    };
    Ok(paths_and_options(
        u,
        global,
        env.home(),
        time_names,
        password,
        smtp_password,
    ))
}

/// The settings of `u` once its secrets are known (pure).
pub(super) fn paths_and_options(
    u: &UserArgs,
    global: &GlobalArgs,
    home: Option<&Path>,
    time_names: Option<&TimeNames>,
    password: Option<SecretString>,
    smtp_password: Option<SecretString>,
) -> UserSettings {
    let cookie_directory = expand_tilde(&u.cookie_directory, home);
    let state_directory = match &u.state_directory {
        Some(dir) if !dir.is_empty() => expand_tilde(dir, home),
        _ => cookie_directory.clone(),
    };
    let directory = u.directory.as_ref().filter(|_| has_directory(u));
    let state_file = directory.map(|dir| {
        state_directory.join(icloudpd_sync::SyncState::file_name(
            &u.username,
            &u.library,
            Path::new(dir),
        ))
    });
    UserSettings {
        state_file,
        full_scan: u.full_scan,
        full_scan_interval: Duration::from_secs(u.full_scan_interval_days.saturating_mul(86_400)),
        username: u.username.clone(),
        password,
        auth_only: u.auth_only,
        cookie_directory,
        list_albums: u.list_albums,
        list_libraries: u.list_libraries,
        library: u.library.clone(),
        download: directory.map(|dir| sync_options(u, dir, global, time_names)),
        notifications: notifications(u, smtp_password),
        mfa_expiry_warning_days: u.mfa_expiry_warning_days,
    }
}

/// The sync engine's options for one user (download directory, sizes, filters, naming,
/// deletion modes) plus the process-wide `--only-print-filenames` and `--threads-num`.
pub(super) fn sync_options(
    u: &UserArgs,
    directory: &str,
    global: &GlobalArgs,
    time_names: Option<&TimeNames>,
) -> SyncOptions {
    let mut o = SyncOptions::new(directory);
    o.sizes = u.sizes.clone();
    o.live_photo_size = u.live_photo_size;
    o.force_size = u.force_size;
    o.align_raw = u.align_raw;
    o.file_match_policy = u.file_match_policy;
    o.live_mov_policy = u.live_photo_mov_filename_policy;
    o.folder_structure = u.folder_structure.clone();
    if let Some(names) = time_names {
        o.time_names = names.clone();
    }
    o.keep_unicode_in_filenames = u.keep_unicode_in_filenames;
    o.skip_videos = u.skip_videos;
    o.skip_photos = u.skip_photos;
    o.skip_live_photos = u.skip_live_photos;
    o.recent = u.recent;
    o.until_found = u.until_found;
    o.skip_created_before = u.skip_created_before;
    o.skip_created_after = u.skip_created_after;
    o.albums = u.albums.clone();
    o.set_exif_datetime = u.set_exif_datetime;
    o.xmp_sidecar = u.xmp_sidecar;
    o.xmp_toolkit = args::xmp_toolkit();
    o.mode = match (global.only_print_filenames, u.dry_run) {
        (true, _) => RunMode::OnlyPrintFilenames,
        (false, true) => RunMode::DryRun,
        (false, false) => RunMode::Download,
    };
    o.time_zone = crate::timestamp::local_zone();
    o.auto_delete = u.auto_delete;
    o.delete_after_download = u.delete_after_download;
    o.keep_icloud_recent_days = u.keep_icloud_recent_days;
    o.concurrency = global.concurrency;
    o
}

/// The notification settings of one user configuration, with icloudpd's defaults for sender
/// and recipient.
fn notifications(u: &UserArgs, smtp_password: Option<SecretString>) -> Notifications {
    let email = (u.smtp_username.is_some() || u.notification_email.is_some()).then(|| {
        let to = u
            .notification_email
            .clone()
            .or_else(|| u.smtp_username.clone())
            .unwrap_or_default();
        let from = u.notification_email_from.clone().unwrap_or_else(|| {
            match u.smtp_username.as_deref().filter(|s| !s.is_empty()) {
                Some(user) => format!("iCloud Photos Downloader <{user}>"),
                None => to.clone(),
            }
        });
        let login = match (&u.smtp_username, smtp_password) {
            (Some(user), Some(password)) => Some((user.clone(), password)),
            _ => None,
        };
        Email {
            host: u.smtp_host.clone(),
            port: u.smtp_port,
            starttls: !u.smtp_no_tls,
            login,
            from,
            to,
        }
    });
    Notifications {
        script: u.notification_script.as_ref().map(PathBuf::from),
        email,
    }
}

/// `~` and `~/…` against the home directory, as Python's `expanduser`; anything else as is.
pub(super) fn expand_tilde(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(path),
    }
}
