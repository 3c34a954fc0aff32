//! Parsed arguments → validated settings (icloudpd's per-user consistency checks).

use std::path::PathBuf;

use icloud_auth::SecretString;
use icloudpd_sync::{SyncOptions, TimeNames};

use crate::args::{self, GlobalArgs, UserArgs};
use crate::notify::Notifications;

/// One user's validated settings: what the CLI itself acts on, and the download options
/// handed to the sync engine.
#[derive(Debug, Clone)]
pub struct UserSettings {
    pub username: String,
    /// `--password`, for the `parameter` provider (`None` when not given or empty).
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
    pub full_scan_interval: std::time::Duration,
}

/// Runs the per-user consistency checks of icloudpd and resolves paths. Each check looks at
/// every user before the next check runs, so the first failing check wins. The error is the
/// message icloudpd prints on stdout before exiting with status 2.
pub fn validate(
    global: &GlobalArgs,
    users: &[UserArgs],
    time_names: Option<&TimeNames>,
) -> Result<Vec<UserSettings>, String> {
    check_password_providers(&global.password_providers)?;
    check_webui_token(global)?;
    let any = |check: fn(&UserArgs) -> bool| users.iter().any(check);
    if any(|u| u.skip_videos && u.skip_photos) {
        return Err(
            "Only one of --skip-videos and --skip-photos can be used at a time for each configuration"
                .to_owned(),
        );
    }
    if any(|u| !u.auth_only && !has_directory(u) && !u.list_albums && !u.list_libraries) {
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
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let users: Vec<UserSettings> = users
        .iter()
        .map(|u| settings(u, global, home.as_deref(), time_names))
        .collect();
    // Option mixes that could delete in iCloud what is never kept on disk (not checked by
    // icloudpd 1.32; see docs/compatibility.md).
    for user in &users {
        // Every download runs with a sync state, which makes `--auto-delete` spare what
        // `--keep-icloud-recent-days` moved.
        if let Some(Err(unsafe_mix)) = user.download.as_ref().map(|o| o.check_safety_with_state()) {
            return Err(format!(
                "Refusing to run: {unsafe_mix}. Change the options of {}.",
                user.username
            ));
        }
    }
    Ok(users)
}

/// The documented rule icloudpd 1.32 does not enforce: `console` and `webui` wait for a person,
/// so they exclude each other and must come last (a provider after them would never be asked).
fn check_password_providers(providers: &[String]) -> Result<(), String> {
    let interactive = |p: &&String| p.as_str() == "console" || p.as_str() == "webui";
    let waiting: Vec<&String> = providers.iter().filter(interactive).collect();
    if waiting.len() > 1 {
        return Err(
            "--password-provider console and --password-provider webui cannot be used together"
                .to_owned(),
        );
    }
    match (waiting.first(), providers.last()) {
        (Some(p), Some(last)) if *p != last => Err(format!(
            "--password-provider {p} must be the last password provider: it waits for an answer, so the providers after it would never be asked"
        )),
        _ => Ok(()),
    }
}

/// `--webui-token` and `--webui-token-file` exclude each other; a token given on the command
/// line must be one a URL and a cookie carry as it is.
fn check_webui_token(global: &GlobalArgs) -> Result<(), String> {
    if global.webui_token.is_some() && global.webui_token_file.is_some() {
        return Err("--webui-token and --webui-token-file cannot be used together".to_owned());
    }
    match &global.webui_token {
        Some(token) => {
            crate::webui::check_token(&token.0).map_err(|e| format!("--webui-token: {e}"))
        }
        None => Ok(()),
    }
}

/// An empty `--directory ""` counts as missing, as in icloudpd.
fn has_directory(user: &UserArgs) -> bool {
    user.directory.as_ref().is_some_and(|d| !d.is_empty())
}

fn settings(
    u: &UserArgs,
    global: &GlobalArgs,
    home: Option<&std::path::Path>,
    time_names: Option<&TimeNames>,
) -> UserSettings {
    let cookie_directory = expand_tilde(&u.cookie_directory, home);
    let state_directory = match &u.state_directory {
        Some(dir) if !dir.is_empty() => expand_tilde(dir, home),
        _ => cookie_directory.clone(),
    };
    let state_file = u
        .directory
        .as_ref()
        .filter(|_| has_directory(u))
        .map(|dir| {
            state_directory.join(icloudpd_sync::SyncState::file_name(
                &u.username,
                &u.library,
                std::path::Path::new(dir),
            ))
        });
    UserSettings {
        state_file,
        full_scan: u.full_scan,
        full_scan_interval: std::time::Duration::from_secs(
            u.full_scan_interval_days.saturating_mul(86_400),
        ),
        username: u.username.clone(),
        password: u
            .password
            .as_ref()
            .filter(|p| !p.0.is_empty())
            .map(|p| SecretString::from(p.0.clone())),
        auth_only: u.auth_only,
        cookie_directory,
        list_albums: u.list_albums,
        list_libraries: u.list_libraries,
        library: u.library.clone(),
        download: u
            .directory
            .as_ref()
            .filter(|_| has_directory(u))
            .map(|dir| sync_options(u, dir, global, time_names)),
        notifications: Notifications::from_args(u),
        mfa_expiry_warning_days: u.mfa_expiry_warning_days,
    }
}

/// The sync engine's options for one user (download directory, sizes, filters, naming,
/// deletion modes) plus the process-wide `--only-print-filenames` and `--threads-num`.
fn sync_options(
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
    o.dry_run = u.dry_run;
    o.only_print_filenames = global.only_print_filenames;
    o.auto_delete = u.auto_delete;
    o.delete_after_download = u.delete_after_download;
    o.keep_icloud_recent_days = u.keep_icloud_recent_days;
    o.concurrency = global.concurrency;
    o
}

fn expand_tilde(path: &str, home: Option<&std::path::Path>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use icloud_photos::RawPolicy;
    use icloudpd_sync::{
        DateBound, FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize, Size,
    };

    use super::*;
    use crate::args::{Invocation, parse};

    fn parsed(line: &str) -> (GlobalArgs, Vec<UserArgs>) {
        let argv: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        match parse(&argv).unwrap() {
            Invocation::Run { global, users } => (*global, users),
            other => panic!("{other:?}"),
        }
    }

    fn check(line: &str) -> Result<Vec<UserSettings>, String> {
        let (global, users) = parsed(line);
        validate(&global, &users, None)
    }

    fn global() -> GlobalArgs {
        GlobalArgs {
            password_providers: vec!["parameter".into()],
            ..GlobalArgs::default()
        }
    }

    #[test]
    fn each_user_needs_something_to_do() {
        let users = vec![UserArgs {
            username: "a".into(),
            ..UserArgs::default()
        }];
        assert_eq!(
            validate(&global(), &users, None).unwrap_err(),
            "--auth-only, --directory, --list-libraries, or --list-albums are required for each configuration"
        );
        assert!(check("-u a --directory=").is_err());
    }

    #[test]
    fn consistency_checks_run_in_icloudpds_order_over_all_users() {
        // Check 1 wins over check 2 even when an earlier user fails check 2.
        assert_eq!(
            check("-u a -u b -d x --skip-videos --skip-photos").unwrap_err(),
            "Only one of --skip-videos and --skip-photos can be used at a time for each configuration"
        );
        assert_eq!(
            check("-u a -d x --auto-delete --delete-after-download").unwrap_err(),
            "--auto-delete and --delete-after-download are mutually exclusive per configuration"
        );
        assert_eq!(
            check("-u a -d x --keep-icloud-recent-days 1 --delete-after-download").unwrap_err(),
            "--keep-icloud-recent-days and --delete-after-download should not be used together in one configuration"
        );
        assert!(check("-u a -d x --keep-icloud-recent-days 0 --delete-after-download").is_ok());
        let watch = "--watch-with-interval is not compatible with --list-albums, --list-libraries, --only-print-filenames, and --auth-only";
        assert_eq!(
            check("--watch-with-interval 5 -u a --auth-only").unwrap_err(),
            watch
        );
        assert_eq!(
            check("--watch-with-interval 5 -u a -d x -u b -l").unwrap_err(),
            watch
        );
        assert_eq!(
            check("--watch-with-interval 5 --only-print-filenames -u a -d x").unwrap_err(),
            watch
        );
        // `0` is no watching at all.
        assert!(check("--watch-with-interval 0 -u a --auth-only").is_ok());
        assert!(check("--watch-with-interval 60 -u a -d x").is_ok());
    }

    #[test]
    fn a_webui_token_is_url_safe_and_given_one_way() {
        check("--webui-token abcdefghijklmnop-_.~ -u a -d x").unwrap();
        assert_eq!(
            check("--webui-token abcdefghijklmnop --webui-token-file t -u a -d x").unwrap_err(),
            "--webui-token and --webui-token-file cannot be used together"
        );
        let short = check("--webui-token abc -u a -d x").unwrap_err();
        assert!(
            short.starts_with("--webui-token: the web UI token must have 16"),
            "{short}"
        );
        let odd = check("--webui-token abcdefghijklmnop; -u a -d x").unwrap_err();
        assert!(odd.contains("may only contain"), "{odd}");
    }

    #[test]
    fn console_and_webui_exclude_each_other_and_come_last() {
        let together =
            "--password-provider console and --password-provider webui cannot be used together";
        assert_eq!(
            check("--password-provider console --password-provider webui -u a -d x").unwrap_err(),
            together
        );
        assert_eq!(
            check("--password-provider webui --password-provider keyring --password-provider console -u a -d x")
                .unwrap_err(),
            together
        );
        let err =
            check("--password-provider console --password-provider keyring -u a -d x").unwrap_err();
        assert!(
            err.starts_with("--password-provider console must be the last password provider"),
            "{err}"
        );
        let err =
            check("--password-provider webui --password-provider parameter -u a -d x").unwrap_err();
        assert!(
            err.starts_with("--password-provider webui must be the last"),
            "{err}"
        );
        for ok in [
            "-u a -d x",
            "--password-provider webui -u a -d x",
            "--password-provider keyring --password-provider webui -u a -d x",
            "--password-provider parameter --password-provider keyring -u a -d x",
            "--password-provider console --password-provider console -u a -d x",
            "--mfa-provider webui --password-provider console -u a -d x",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn notification_defaults_follow_icloudpd() {
        let (global, users) = parsed(
            "-u a -d x --smtp-username s@x.org --smtp-password pw --notification-email n@x.org",
        );
        let n = validate(&global, &users, None).unwrap()[0]
            .notifications
            .clone();
        let email = n.email.unwrap();
        assert_eq!(
            (email.host.as_str(), email.port, email.starttls),
            ("smtp.gmail.com", 587, true)
        );
        assert_eq!(email.from, "iCloud Photos Downloader <s@x.org>");
        assert_eq!(email.to, "n@x.org");
        assert_eq!(email.login.as_ref().unwrap().0, "s@x.org");
        assert!(!format!("{email:?}").contains("pw\""));

        let (global, users) =
            parsed("-u a -d x --smtp-no-tls --notification-email n@x.org --smtp-port 2525");
        let email = validate(&global, &users, None).unwrap()[0]
            .notifications
            .email
            .clone()
            .unwrap();
        assert_eq!(
            (email.from.as_str(), email.to.as_str()),
            ("n@x.org", "n@x.org")
        );
        assert!(!email.starttls && email.login.is_none());
        assert_eq!(email.port, 2525);

        let (global, users) = parsed("--notification-script ./n.sh -u a -d x");
        let n = validate(&global, &users, None).unwrap()[0]
            .notifications
            .clone();
        assert!(n.email.is_none());
        assert_eq!(n.script.unwrap(), PathBuf::from("./n.sh"));
    }

    #[test]
    fn sync_options_carry_every_download_option() {
        let (global, users) = parsed(
            "--threads-num 3 --only-print-filenames -u a -d /photos --size medium --size thumb \
             --live-photo-size thumb --recent 5 --until-found 2 -a A -a B --skip-videos \
             --skip-live-photos --xmp-sidecar --force-size --auto-delete --set-exif-datetime \
             --keep-icloud-recent-days 7 --dry-run --keep-unicode-in-filenames \
             --live-photo-mov-filename-policy original --align-raw alternative \
             --file-match-policy name-id7 --skip-created-before 3d --skip-created-after 1d",
        );
        // Every option at once makes unsafe mixes (deletion without originals): map them
        // without the checks.
        let o = settings(&users[0], &global, None, None).download.unwrap();
        assert_eq!(o.directory, PathBuf::from("/photos"));
        assert_eq!(o.sizes, [Size::Medium, Size::Thumb]);
        assert_eq!(o.live_photo_size, LiveSize::Thumb);
        assert_eq!((o.recent, o.until_found), (Some(5), Some(2)));
        assert_eq!(o.albums, ["A", "B"]);
        assert!(o.skip_videos && !o.skip_photos && o.skip_live_photos);
        assert!(o.xmp_sidecar && o.force_size && o.auto_delete && o.set_exif_datetime);
        assert!(o.dry_run && o.keep_unicode_in_filenames && o.only_print_filenames);
        assert!(!o.delete_after_download);
        assert_eq!(o.keep_icloud_recent_days, Some(7));
        assert_eq!(o.live_mov_policy, LiveMovPolicy::Original);
        assert_eq!(o.align_raw, RawPolicy::Alternative);
        assert_eq!(o.file_match_policy, FileMatchPolicy::NameId7);
        assert_eq!(o.skip_created_before, Some(DateBound::DaysAgo(3)));
        assert_eq!(o.skip_created_after, Some(DateBound::DaysAgo(1)));
        assert_eq!(o.concurrency, 3);
        assert_eq!(o.folder_structure, FolderStructure::default());
        assert!(
            o.xmp_toolkit
                .starts_with(&format!("icloudpd {}+", env!("CARGO_PKG_VERSION")))
        );
    }

    #[test]
    fn mixes_that_could_delete_what_is_not_kept_are_refused() {
        for line in [
            "-u a -d x --size thumb --delete-after-download",
            "-u a -d x --size medium --keep-icloud-recent-days 3",
            "-u a -d x -u b -d y --size adjusted --delete-after-download",
        ] {
            let err = check(line).unwrap_err();
            assert!(err.starts_with("Refusing to run: "), "{line}: {err}");
        }
        let err = check("-u a -d x --size thumb --delete-after-download").unwrap_err();
        assert_eq!(
            err,
            "Refusing to run: --delete-after-download without --size original would delete in iCloud originals that are never downloaded. Change the options of a."
        );
        for ok in [
            "-u a -d x --delete-after-download",
            "-u a -d x --size original --size thumb --keep-icloud-recent-days 3",
            "-u a -d x --auto-delete",
            "-u a -d x --size thumb --auto-delete",
            "-u a -d x --size thumb",
            "-u a -d x --skip-live-photos --delete-after-download",
            "-u a -d x --live-photo-size medium --keep-icloud-recent-days 0",
            // The sync state tells what this program moved to Recently Deleted.
            "-u a -d x --auto-delete --keep-icloud-recent-days 30",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn sync_options_defaults() {
        let (global, users) = parsed("-u a -d x");
        let users = validate(&global, &users, None).unwrap();
        let o = users[0].download.clone().unwrap();
        assert_eq!(o.sizes, [Size::Original]);
        assert_eq!(o.concurrency, icloudpd_sync::DEFAULT_CONCURRENCY);
        assert!(!o.only_print_filenames && !o.dry_run);
        assert_eq!(o.keep_icloud_recent_days, None);
    }

    #[test]
    fn tilde_is_expanded_against_home() {
        let home = std::path::Path::new("/home/me");
        assert_eq!(
            expand_tilde("~/.pyicloud", Some(home)),
            PathBuf::from("/home/me/.pyicloud")
        );
        assert_eq!(expand_tilde("~", Some(home)), PathBuf::from("/home/me"));
        assert_eq!(expand_tilde("~bob/x", Some(home)), PathBuf::from("~bob/x"));
        assert_eq!(expand_tilde("/x", Some(home)), PathBuf::from("/x"));
    }
}
