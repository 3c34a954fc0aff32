use std::path::PathBuf;

use icloud_auth::ExposeSecret;
use icloud_photos::RawPolicy;
use icloudpd_sync::{
    DateBound, FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize, RunMode, Size,
};

use super::*;
use crate::error::{EXIT_FAILED, EXIT_USAGE, Shown};

fn check(line: &str) -> Result<Settings, String> {
    from_line(line).map_err(|e| e.message)
}

fn check_in(line: &str, pairs: &[(&str, &str)]) -> Result<Settings, CliError> {
    from_line_in(line, &Environment::of(pairs, Some("/home/me")))
}

#[test]
fn each_user_needs_something_to_do() {
    assert_eq!(
        check("-u a").unwrap_err(),
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
    assert_eq!(
        check("--watch-with-interval 60 -u a -d x").unwrap().watch,
        Some(60)
    );
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
    let s = check("-u a -d x").unwrap();
    assert_eq!(s.password_providers, DEFAULT_PASSWORD_PROVIDERS);
    assert!(s.web_ui.is_none());
    let s = check("--mfa-provider webui --webui-port 0 -u a -d x").unwrap();
    assert_eq!(s.web_ui.unwrap().port, 0);
}

#[test]
fn notification_defaults_follow_icloudpd() {
    let s =
        check("-u a -d x --smtp-username s@x.org --smtp-password pw --notification-email n@x.org")
            .unwrap();
    let email = s.users[0].notifications.email.clone().unwrap();
    assert_eq!(
        (email.host.as_str(), email.port, email.starttls),
        ("smtp.gmail.com", 587, true)
    );
    assert_eq!(email.from, "iCloud Photos Downloader <s@x.org>");
    assert_eq!(email.to, "n@x.org");
    assert_eq!(email.login.as_ref().unwrap().0, "s@x.org");
    assert!(!format!("{email:?}").contains("pw\""));

    let s = check("-u a -d x --smtp-no-tls --notification-email n@x.org --smtp-port 2525").unwrap();
    let email = s.users[0].notifications.email.clone().unwrap();
    assert_eq!(
        (email.from.as_str(), email.to.as_str()),
        ("n@x.org", "n@x.org")
    );
    assert!(!email.starttls && email.login.is_none());
    assert_eq!(email.port, 2525);

    let s = check("--notification-script ./n.sh -u a -d x").unwrap();
    let n = s.users[0].notifications.clone();
    assert!(n.email.is_none());
    assert_eq!(n.script.unwrap(), PathBuf::from("./n.sh"));
}

#[test]
fn sync_options_carry_every_download_option() {
    let argv: Vec<String> =
        "--threads-num 3 --only-print-filenames -u a -d /photos --size medium --size thumb \
         --live-photo-size thumb --recent 5 --until-found 2 -a A -a B --skip-videos \
         --skip-live-photos --xmp-sidecar --force-size --auto-delete --set-exif-datetime \
         --keep-icloud-recent-days 7 --dry-run --keep-unicode-in-filenames \
         --live-photo-mov-filename-policy original --align-raw alternative \
         --file-match-policy name-id7 --skip-created-before 3d --skip-created-after 1d"
            .split_whitespace()
            .map(str::to_owned)
            .collect();
    let Ok(Parsed::Run(low)) = args::parse(&argv) else {
        panic!("parses");
    };
    let (global, users) = low.resolve(&EnvArgs::default());
    // Every option at once makes unsafe mixes (deletion without originals): map them without
    // the checks.
    let o = user::sync_options(&users[0], "/photos", &global, None);
    assert_eq!(o.directory, PathBuf::from("/photos"));
    assert_eq!(o.sizes, [Size::Medium, Size::Thumb]);
    assert_eq!(o.live_photo_size, LiveSize::Thumb);
    assert_eq!((o.recent, o.until_found), (Some(5), Some(2)));
    assert_eq!(o.albums, ["A", "B"]);
    assert!(o.skip_videos && !o.skip_photos && o.skip_live_photos);
    assert!(o.xmp_sidecar && o.force_size && o.auto_delete && o.set_exif_datetime);
    assert!(o.mode == RunMode::OnlyPrintFilenames && o.keep_unicode_in_filenames);
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
    assert_eq!(
        check("-u a -d x --size thumb --delete-after-download").unwrap_err(),
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
    let s = check("-u a -d x").unwrap();
    let o = s.users[0].download.clone().unwrap();
    assert_eq!(o.sizes, [Size::Original]);
    assert_eq!(o.concurrency, icloudpd_sync::DEFAULT_CONCURRENCY);
    assert_eq!(o.mode, RunMode::Download);
    assert_eq!(o.keep_icloud_recent_days, None);
    assert_eq!(
        s.log,
        LogSettings {
            level: LogLevel::Debug,
            silent: false,
            directives: None
        }
    );
}

#[test]
fn tilde_is_expanded_against_home() {
    let home = std::path::Path::new("/home/me");
    assert_eq!(
        user::expand_tilde("~/.pyicloud", Some(home)),
        PathBuf::from("/home/me/.pyicloud")
    );
    assert_eq!(
        user::expand_tilde("~", Some(home)),
        PathBuf::from("/home/me")
    );
    assert_eq!(
        user::expand_tilde("~bob/x", Some(home)),
        PathBuf::from("~bob/x")
    );
    assert_eq!(user::expand_tilde("/x", Some(home)), PathBuf::from("/x"));
    let s = check_in("-u a -d x", &[]).unwrap();
    assert_eq!(
        s.users[0].cookie_directory,
        PathBuf::from("/home/me/.pyicloud")
    );
}

#[test]
fn no_argument_is_the_help_unless_the_environment_configures_a_run() {
    let bare = || args::parse(&[]).unwrap();
    let help = resolve(bare(), &Environment::default()).unwrap();
    assert!(matches!(help, Command::Print(text) if text.starts_with("usage: icloudpd")));
    let env = Environment::of(
        &[("ICLOUDPD_USERNAME", "a"), ("ICLOUDPD_AUTH_ONLY", "true")],
        None,
    );
    let Command::Run(settings) = resolve(bare(), &env).unwrap() else {
        panic!("a run");
    };
    assert_eq!(settings.users[0].username, "a");
    assert!(settings.users[0].auth_only);
}

#[test]
fn no_user_is_a_note_after_the_checks() {
    let env = Environment::default();
    let argv = vec!["-d".to_owned(), "/x".to_owned()];
    match resolve(args::parse(&argv).unwrap(), &env).unwrap() {
        Command::Note(note) => assert!(note.starts_with("No --username"), "{note}"),
        other => panic!("{other:?}"),
    }
    let argv: Vec<String> = ["--watch-with-interval", "5", "--only-print-filenames"]
        .map(str::to_owned)
        .to_vec();
    assert!(resolve(args::parse(&argv).unwrap(), &env).is_err());
}

#[test]
fn the_environment_is_read_here_and_only_here() {
    let s = check_in(
        "-u a -d x",
        &[
            ("ICLOUDPD_LOG_LEVEL", "info"),
            ("RUST_LOG", "icloud_auth=debug"),
            ("FORCE_TQDM", "1"),
            ("COLUMNS", "132"),
            ("ICLOUD_KEYRING_BACKEND", "mock"),
            ("ICLOUD_AUTH_ENDPOINT", "http://127.0.0.1:9"),
            ("ICLOUD_RESOLVE", "idmsa.apple.com=127.0.0.1:4443"),
            ("CLIENT_ID", "DE309E26-942E-11E8-92F5-14109FE0B321"),
        ],
    )
    .unwrap();
    assert_eq!(s.log.level, LogLevel::Info);
    assert_eq!(s.log.directives.as_deref(), Some("icloud_auth=debug"));
    assert_eq!(s.display.forced_columns, Some(132));
    assert_eq!(
        s.client.endpoints().auth(),
        "http://127.0.0.1:9/appleauth/auth"
    );
    assert_eq!(
        s.client.endpoints().setup(),
        "https://setup.icloud.com/setup/ws/1"
    );
    assert!(s.keyring.unwrap().location().is_ok());

    for (pairs, message) in [
        (
            &[("ICLOUD_KEYRING_BACKEND", "kwallet")][..],
            "ICLOUD_KEYRING_BACKEND: unknown keyring backend 'kwallet'",
        ),
        (
            &[("ICLOUD_RESOLVE", "x")][..],
            "ICLOUD_RESOLVE: \"x\" is not HOST=IP:PORT",
        ),
        (
            &[("ICLOUD_SETUP_ENDPOINT", "ftp://x")][..],
            "ICLOUD_SETUP_ENDPOINT: ",
        ),
        (
            &[("ICLOUDPD_RECENT", "-1")][..],
            "environment variable ICLOUDPD_RECENT: invalid non-negative int value: '-1'",
        ),
    ] {
        let err = check_in("-u a -d x", pairs).unwrap_err();
        assert!(err.message.starts_with(message), "{}", err.message);
        assert_eq!(err.exit_code, EXIT_USAGE);
    }
    let err = check_in("-u a -d x --use-os-locale", &[("LANG", "xx_YY")]).unwrap_err();
    assert_eq!(
        (err.message.as_str(), err.exit_code, err.shown),
        (
            "unsupported locale setting (LANG=xx_YY)",
            EXIT_FAILED,
            Shown::Stderr
        )
    );
}

#[test]
fn password_files_are_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "from-file\n").unwrap();
    let path = file.display().to_string();
    let s = check_in(
        &format!("-u a -d x --password-file {path} --smtp-username s --smtp-password-file {path}"),
        &[],
    )
    .unwrap();
    let u = &s.users[0];
    assert_eq!(u.password.as_ref().unwrap().expose_secret(), "from-file");
    let login = u
        .notifications
        .email
        .as_ref()
        .unwrap()
        .login
        .as_ref()
        .unwrap();
    assert_eq!(login.1.expose_secret(), "from-file");

    // From the environment too; the command line's -p wins over it.
    let s = check_in("-u a -d x", &[("ICLOUDPD_PASSWORD_FILE", &path)]).unwrap();
    assert_eq!(
        s.users[0].password.as_ref().unwrap().expose_secret(),
        "from-file"
    );
    let s = check_in(
        "-u a -d x -p given",
        &[("ICLOUDPD_PASSWORD_FILE", "/nonexistent")],
    )
    .unwrap();
    assert_eq!(
        s.users[0].password.as_ref().unwrap().expose_secret(),
        "given"
    );

    let err = check_in("-u a -d x --password-file /nonexistent/pw", &[]).unwrap_err();
    assert!(
        err.message
            .starts_with("Cannot read /nonexistent/pw (--password-file): "),
        "{}",
        err.message
    );
    assert_eq!((err.exit_code, err.shown), (EXIT_USAGE, Shown::Stderr));
}
