//! Options in environment variables (`ICLOUDPD_*`, issue 14): a run configured by the
//! environment alone, the command line winning over it, and the password read from a file.

use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::PASSWORD;

/// Writes `text` and a newline to `<root>/<name>` with `mode`; returns its path.
fn secret_file(env: &Env, name: &str, text: &str, mode: u32) -> String {
    let path = env.root.path().join(name);
    std::fs::write(&path, format!("{text}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path.display().to_string()
}

#[test]
fn a_run_configured_by_the_environment_alone_and_the_command_line_winning() {
    let env = Env::new(fixture_first(3));
    let password = secret_file(&env, "password", PASSWORD, 0o644);
    let data = env.data().display().to_string();
    let cookie = env.root.path().join("cookie").display().to_string();
    let vars = [
        ("ICLOUDPD_USERNAME", USER),
        ("ICLOUDPD_PASSWORD_FILE", password.as_str()),
        ("ICLOUDPD_DIRECTORY", data.as_str()),
        ("ICLOUDPD_COOKIE_DIRECTORY", cookie.as_str()),
        ("ICLOUDPD_RECENT", "1"),
        ("ICLOUDPD_SKIP_VIDEOS", "true"),
        ("ICLOUDPD_SKIP_LIVE_PHOTOS", "yes"),
        ("ICLOUDPD_FOLDER_STRUCTURE", "none"),
        ("ICLOUDPD_LOG_LEVEL", "info"),
        ("ICLOUDPD_NO_PROGRESS_BAR", "1"),
    ];

    // No argument at all: the environment is the whole configuration, not a reason for help.
    let run = env.raw(&[], &vars);
    run.assert_code(0)
        .assert_logged("INFO", &format!("Processing user: {USER}"))
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing(PASSWORD);
    assert!(run.logs().iter().all(|(l, _)| *l != "DEBUG"), "{run}");
    assert_files(&env, &["IMG_7409.JPG"], &run);
    // The password file can be read by others: said once, without the password.
    let warning = format!(
        "{password} (--password-file) can be read by other users (mode 644); make it private with `chmod 600 {password}`"
    );
    run.assert_logged("WARNING", &warning);

    // The command line wins, for process-wide and per-user options alike.
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = env.raw(
        &[
            "--recent",
            "2",
            "--log-level",
            "debug",
            "--folder-structure",
            "{:%Y}",
        ],
        &vars,
    );
    run.assert_code(0)
        .assert_logged("DEBUG", "Authenticating...")
        .assert_not_logged(&warning);
    assert_files(
        &env,
        &["IMG_7409.JPG", "2018/IMG_7409.JPG", "2018/IMG_7408.JPG"],
        &run,
    );

    // A user on the command line replaces ICLOUDPD_USERNAME, and its -p the password file;
    // the environment's other options stay defaults for it.
    let wrong = secret_file(&env, "wrong", "not the password", 0o600);
    let other_cookies = env.root.path().join("cookie2");
    let mut vars = vars.to_vec();
    vars.retain(|(k, _)| *k != "ICLOUDPD_PASSWORD_FILE");
    vars.push(("ICLOUDPD_PASSWORD_FILE", wrong.as_str()));
    vars.push(("ICLOUDPD_USERNAME", "nobody@example.com"));
    let before = env.fake.count("POST", "/signin/complete");
    let run = env.raw(
        &["-u", USER, "-p", PASSWORD, "--cookie-directory"]
            .into_iter()
            .chain([other_cookies.to_str().unwrap()])
            .collect::<Vec<_>>(),
        &vars,
    );
    run.assert_code(0)
        .assert_logged("INFO", &format!("Processing user: {USER}"))
        .assert_no_line_containing("nobody@example.com");
    assert_eq!(
        env.fake.count("POST", "/signin/complete"),
        before + 1,
        "{run}"
    );
    assert!(other_cookies.join("jdoegmailcom.session").exists(), "{run}");
}

#[test]
fn a_bad_value_in_the_environment_is_a_usage_error_naming_the_variable() {
    let env = Env::new(fixture_first(1));
    let run = env.run_env(&[], &[("ICLOUDPD_RECENT", "many")]);
    run.assert_code(2);
    assert_eq!(
        run.stdout.trim(),
        "environment variable ICLOUDPD_RECENT: invalid int value: 'many'"
    );
    let run = env.run_env(&[], &[("ICLOUDPD_PASSWORD_FILE", "/nonexistent/password")]);
    // The command line's --password replaces the file: nothing to read.
    run.assert_code(0);
    let run = env.raw(
        &[
            "-u",
            USER,
            "--auth-only",
            "--password-file",
            "/nonexistent/password",
        ],
        &[],
    );
    run.assert_code(2);
    assert!(
        run.stderr
            .starts_with("icloudpd: Cannot read /nonexistent/password (--password-file): "),
        "{run}"
    );
}
