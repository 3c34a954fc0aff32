use chrono::TimeZone;
use icloud_photos::RawPolicy;
use icloudpd_sync::{
    DEFAULT_CONCURRENCY, DateBound, FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize, Size,
};

use super::help::wrap;
use super::*;
use crate::settings::{LogLevel, MfaProvider, PasswordProvider};

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn run(s: &str) -> (GlobalArgs, Vec<UserArgs>) {
    run_in(s, &[])
}

/// Parses `s` and folds it over the variables `env`.
fn run_in(s: &str, env: &[(&str, &str)]) -> (GlobalArgs, Vec<UserArgs>) {
    let env = EnvArgs::from_lookup(|name| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })
    .unwrap();
    match parse(&args(s)).unwrap() {
        Parsed::Run(low) => low.resolve(&env),
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_arguments_is_help() {
    assert!(matches!(parse(&[]).unwrap(), Parsed::Run(low) if low.bare));
    assert_eq!(parse(&args("-h")).unwrap(), Parsed::Help);
    assert_eq!(parse(&args("--version")).unwrap(), Parsed::Version);
    assert_eq!(
        parse(&args("--generate MAN -u a")).unwrap(),
        Parsed::Generate("man".into())
    );
}

#[test]
fn defaults_before_the_first_user_are_inherited_and_overridden() {
    let (g, users) = run("--directory abc --username U1 --username u2 --directory def");
    assert!(
        g.password_providers.is_empty(),
        "the default list is the settings' to choose"
    );
    assert_eq!(g.log_level, LogLevel::Debug);
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
    assert_eq!(
        g.password_providers,
        [PasswordProvider::WebUi, PasswordProvider::Console]
    );
    assert_eq!(g.mfa_provider, MfaProvider::WebUi);
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

fn user(s: &str) -> UserArgs {
    let (_, mut users) = run(s);
    assert_eq!(users.len(), 1);
    users.remove(0)
}

fn error(s: &str) -> String {
    match parse(&args(s)).unwrap_err() {
        ParseError::Argument(m) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn download_globals() {
    let (g, _) = run("--only-print-filenames --watch-with-interval 60 --threads-num 4 -u a");
    assert!(g.only_print_filenames && !g.no_progress_bar && !g.use_os_locale);
    assert_eq!(g.watch_with_interval, Some(60));
    assert_eq!(g.concurrency, 4);
    assert!(!g.wait_for_lock);
    let (g, _) = run("-u a --watch-with-interval 0 --wait-for-lock");
    assert_eq!(g.watch_with_interval, None);
    assert!(g.wait_for_lock);
    assert_eq!(g.concurrency, DEFAULT_CONCURRENCY);
    assert_eq!(
        error("--threads-num 0"),
        "argument --threads-num: invalid positive int value: '0'"
    );
    assert_eq!(
        error("--watch-with-interval x"),
        "argument --watch-with-interval: invalid int value: 'x'"
    );
}

#[test]
fn sizes_accumulate_deduplicate_and_default_to_original() {
    assert_eq!(user("-u a").sizes, [Size::Original]);
    assert_eq!(
        user("--size medium -u a --size THUMB --size medium").sizes,
        [Size::Medium, Size::Thumb]
    );
    let (_, users) = run("--size adjusted -u a --size alternative -u b");
    assert_eq!(users[0].sizes, [Size::Adjusted, Size::Alternative]);
    assert_eq!(users[1].sizes, [Size::Adjusted]);
    assert_eq!(
        error("--size foo"),
        "argument --size: invalid choice: 'foo' (choose from 'original', 'medium', 'thumb', 'adjusted', 'alternative')"
    );
}

#[test]
fn albums_accumulate_and_scalars_override() {
    let u = user("--album A --recent 3 -u a -a B --recent 5 --until-found 2");
    assert_eq!(u.albums, ["A", "B"]);
    assert_eq!((u.recent, u.until_found), (Some(5), Some(2)));
    assert_eq!(user("-u a --album=-x").albums, ["-x"]);
}

#[test]
fn negative_counts_are_argument_errors() {
    assert_eq!(
        error("-u a --recent -1"),
        "argument --recent: invalid non-negative int value: '-1'"
    );
    assert_eq!(
        error("--recent abc"),
        "argument --recent: invalid int value: 'abc'"
    );
    assert_eq!(
        error("-u a --until-found -3"),
        "argument --until-found: invalid non-negative int value: '-3'"
    );
    assert_eq!(
        error("-u a --keep-icloud-recent-days -1"),
        "argument --keep-icloud-recent-days: invalid non-negative int value: '-1'"
    );
    assert_eq!(user("-u a --recent 0").recent, Some(0));
}

#[test]
fn flags_and_choices() {
    let u = user(
        "-u a --skip-videos --skip-photos --skip-live-photos --xmp-sidecar --force-size \
         --auto-delete --set-exif-datetime --delete-after-download --dry-run \
         --keep-unicode-in-filenames --keep-icloud-recent-days 30",
    );
    assert!(u.skip_videos && u.skip_photos && u.skip_live_photos && u.xmp_sidecar);
    assert!(u.force_size && u.auto_delete && u.set_exif_datetime && u.delete_after_download);
    assert!(u.dry_run && u.keep_unicode_in_filenames);
    assert_eq!(u.keep_icloud_recent_days, Some(30));
    let d = user("-u a");
    assert!(!d.skip_videos && !d.dry_run && d.keep_icloud_recent_days.is_none());
    assert_eq!(d.live_photo_size, LiveSize::Original);
    assert_eq!(d.align_raw, RawPolicy::AsIs);
    assert_eq!(
        d.file_match_policy,
        FileMatchPolicy::NameSizeDedupWithSuffix
    );
    assert_eq!(d.live_photo_mov_filename_policy, LiveMovPolicy::Suffix);
    assert_eq!(d.folder_structure, FolderStructure::default());
    let u = user(
        "-u a --live-photo-size Medium --live-photo-mov-filename-policy ORIGINAL \
         --align-raw alternative --file-match-policy NAME-ID7",
    );
    assert_eq!(u.live_photo_size, LiveSize::Medium);
    assert_eq!(u.live_photo_mov_filename_policy, LiveMovPolicy::Original);
    assert_eq!(u.align_raw, RawPolicy::Alternative);
    assert_eq!(u.file_match_policy, FileMatchPolicy::NameId7);
    assert_eq!(
        user("-u a --live-photo-size thumb").live_photo_size,
        LiveSize::Thumb
    );
    assert_eq!(
        user("-u a --align-raw original").align_raw,
        RawPolicy::Original
    );
    assert_eq!(
        error("--align-raw raw"),
        "argument --align-raw: invalid choice: 'raw' (choose from 'as-is', 'original', 'alternative')"
    );
    assert_eq!(
        error("-u a --dry-run=yes"),
        "argument --dry-run: ignored explicit argument 'yes'"
    );
}

#[test]
fn skip_created_dates_and_intervals() {
    let u = user("-u a --skip-created-before 2025-01-02 --skip-created-after 2d");
    let local = chrono::Local
        .with_ymd_and_hms(2025, 1, 2, 0, 0, 0)
        .unwrap()
        .fixed_offset();
    let Some(DateBound::At(before)) = u.skip_created_before else {
        panic!("{:?}", u.skip_created_before)
    };
    assert_eq!(before.unix_timestamp(), local.timestamp());
    assert_eq!(
        before.offset().whole_seconds(),
        local.offset().local_minus_utc()
    );
    assert_eq!(u.skip_created_after, Some(DateBound::DaysAgo(2)));
    for value in [
        "20250102",
        "2025-01-02T10:00",
        "2025-01-02T10:00:00.123456",
        "2025-01-02T10:00:00Z",
        "2025-01-02T10:00:00+02:00",
        "2025-01-02T10:00:00+0200",
    ] {
        let u = user(&format!("-u a --skip-created-after {value}"));
        assert!(
            matches!(u.skip_created_after, Some(DateBound::At(_))),
            "{value}"
        );
    }
    let u = user("-u a --skip-created-before 2025-01-02T10:00:00+02:00");
    let Some(DateBound::At(at)) = u.skip_created_before else {
        panic!("{:?}", u.skip_created_before)
    };
    assert_eq!(
        crate::timestamp::python_str(&at),
        "2025-01-02 10:00:00+02:00"
    );
    // Space-separated forms arrive as one argument.
    let argv = vec![
        "-u".to_owned(),
        "a".to_owned(),
        "--skip-created-before".to_owned(),
        "2025-01-02 10:00:00".to_owned(),
    ];
    assert!(parse(&argv).is_ok());
    for bad in ["2025-01-33", "2"] {
        assert_eq!(
            error(&format!("-u a --skip-created-before {bad}")),
            "argument --skip-created-before: Not an ISO timestamp or time interval in days"
        );
        assert_eq!(
            error(&format!("--skip-created-after {bad}")),
            "argument --skip-created-after: Not an ISO timestamp or time interval in days"
        );
    }
}

#[test]
fn folder_structure_is_checked_when_parsed() {
    assert_eq!(
        user("-u a --folder-structure none").folder_structure,
        FolderStructure::Flat
    );
    assert_eq!(
        user("-u a --folder-structure={:%Y/%m}").folder_structure,
        FolderStructure::Template("{:%Y/%m}".to_owned())
    );
    assert_eq!(
        error("--folder-structure {%Y}{%Y}"),
        "argument --folder-structure: Format {%Y}{%Y} specified in --folder-structure is incorrect"
    );
}

#[test]
fn help_wraps_like_argparse() {
    let h = help();
    assert!(h.contains(
        "  --file-match-policy {name-size-dedup-with-suffix,name-id7}\n\
         \x20                       Policy to identify existing files and de-duplicate. `name-size-dedup-with-\n\
         \x20                       suffix` appends file size to de-duplicate. `name-id7` adds asset ID from\n"
    ), "{h}");
    assert!(h.contains(
        "  --recent RECENT       Number of recent photos to download (default: download all photos)\n"
    ));
    assert!(h.contains("  -a ALBUMS, --album ALBUMS\n"));
    assert!(h.contains("then `original` is used. Default: None [env: ICLOUDPD_SIZE]\n"));
    assert!(h.contains("--threads-num THREADS_NUM\n                        Number of files downloaded concurrently. Default: 16"));
    assert!(!h.ends_with('\n'));
    assert_eq!(
        wrap(
            "in \"Recently Deleted\". Therefore, should not be combined with --auto-delete option.",
            74
        ),
        [
            "in \"Recently Deleted\". Therefore, should not be combined with --auto-",
            "delete option."
        ]
    );
}

#[test]
fn secrets_are_kept_but_never_shown() {
    let (_, users) = run(
        "--smtp-password smtp-secret --smtp-port 2525 -u a -p icloud-secret --webui-port 0 -d x",
    );
    let u = &users[0];
    assert_eq!(
        u.password,
        Some(Secret::Given(Hidden("icloud-secret".into())))
    );
    assert_eq!(
        u.smtp_password,
        Some(Secret::Given(Hidden("smtp-secret".into())))
    );
    assert_eq!(u.smtp_port, 2525);
    let shown = format!("{u:?}");
    assert!(!shown.contains("secret"), "{shown}");
    assert_eq!(
        parse(&args("--smtp-port 70000 -u a -d x")).unwrap_err(),
        ParseError::Argument("argument --smtp-port: invalid port value: '70000'".into())
    );
}

#[test]
fn webui_address_defaults_to_this_computer() {
    let (g, _) = run("-u a -d x");
    assert_eq!((g.webui_host.as_str(), g.webui_port), ("127.0.0.1", 8080));
    let (g, _) = run("-u a -d x --webui-host 0.0.0.0 --webui-port 9000");
    assert_eq!((g.webui_host.as_str(), g.webui_port), ("0.0.0.0", 9000));
    assert!(g.webui_allowed_hosts.is_empty() && g.webui_token.is_none());
}

#[test]
fn webui_allowed_hosts_repeat_and_the_token_stays_hidden() {
    let (g, _) = run(
        "--webui-allowed-host NAS.local. -u a -d x --webui-allowed-host photos.example --webui-allowed-host nas.local --webui-token t0ken-t0ken-t0ken",
    );
    assert_eq!(g.webui_allowed_hosts, ["nas.local", "photos.example"]);
    assert_eq!(
        g.webui_token,
        Some(Secret::Given(Hidden("t0ken-t0ken-t0ken".into())))
    );
    assert!(!format!("{g:?}").contains("t0ken"));
    let (g, _) = run("-u a -d x --webui-token-file /run/secrets/webui");
    assert_eq!(
        g.webui_token,
        Some(Secret::File("/run/secrets/webui".into()))
    );
    assert_eq!(
        error("--webui-token abcdefghijklmnop --webui-token-file t -u a -d x"),
        "argument --webui-token-file: not allowed with argument --webui-token"
    );
    let short = error("--webui-token abc -u a -d x");
    assert!(
        short.starts_with("argument --webui-token: the web UI token must have 16"),
        "{short}"
    );
    assert!(error("--webui-token abcdefghijklmnop; -u a -d x").contains("may only contain"));
}

#[test]
fn password_files_are_user_options_and_replace_passwords() {
    let u = user("-u a --password-file /run/secrets/a");
    assert_eq!(u.password, Some(Secret::File("/run/secrets/a".into())));
    assert_eq!(
        error("-u a --password-file p --password x"),
        "argument --password: not allowed with argument --password-file"
    );
    assert_eq!(
        parse(&args("--password-file p -u a")).unwrap_err(),
        ParseError::Unrecognized(args("--password-file p"))
    );
    // A user's own --smtp-password-file replaces the default --smtp-password.
    let u = user("--smtp-password x -u a --smtp-password-file f");
    assert_eq!(u.smtp_password, Some(Secret::File("f".into())));
}

#[test]
fn the_environment_gives_defaults_that_the_command_line_replaces() {
    let env = [
        ("ICLOUDPD_DIRECTORY", "/env"),
        ("ICLOUDPD_SIZE", "medium,thumb"),
        ("ICLOUDPD_LOG_LEVEL", "error"),
        ("ICLOUDPD_PASSWORD_PROVIDER", "keyring"),
        ("ICLOUDPD_PASSWORD", "env-secret"),
        ("ICLOUDPD_RECENT", "3"),
        ("ICLOUDPD_USERNAME", "Env@Example.com"),
    ];
    // No -u: the environment's user, with the environment's options.
    let (g, users) = run_in("--log-level info", &env);
    assert_eq!(g.log_level, LogLevel::Info);
    assert_eq!(g.password_providers, [PasswordProvider::Keyring]);
    assert_eq!(users.len(), 1);
    let u = &users[0];
    assert_eq!(u.username, "env@example.com");
    assert_eq!(u.directory.as_deref(), Some("/env"));
    assert_eq!(u.sizes, [Size::Medium, Size::Thumb]);
    assert_eq!(u.password, Some(Secret::Given(Hidden("env-secret".into()))));

    // Users on the command line: ICLOUDPD_USERNAME is not one more; every user gets the
    // environment's defaults unless the command line gives the option (before the first -u,
    // or in that user's group), repeatable ones replaced whole.
    let (_, users) = run_in(
        "--recent 5 -u a -u b -d /b --size original -u c --password-file f",
        &env,
    );
    assert_eq!(
        users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(users[0].recent, Some(5));
    assert_eq!(users[0].directory.as_deref(), Some("/env"));
    assert_eq!(users[0].sizes, [Size::Medium, Size::Thumb]);
    assert_eq!(users[1].directory.as_deref(), Some("/b"));
    assert_eq!(users[1].sizes, [Size::Original]);
    assert_eq!(users[2].password, Some(Secret::File("f".into())));
    assert_eq!(
        users[0].password,
        Some(Secret::Given(Hidden("env-secret".into())))
    );

    // A flag set in the environment.
    let (_, users) = run_in(
        "-u a",
        &[
            ("ICLOUDPD_DRY_RUN", "true"),
            ("ICLOUDPD_AUTH_ONLY", "false"),
        ],
    );
    assert!(users[0].dry_run && !users[0].auth_only);
}
