//! `--auth-only` against the fake: 2FA on stdin, session reuse, failures.

use icloud_fake::{FakeAccount, Fault};

use crate::{PASSWORD, USER, cookie_dir, fake, icloudpd, stderr, stdout};

fn auth_only<'a>(dir: &'a str, password: &'a str) -> Vec<&'a str> {
    vec![
        "--username",
        USER,
        "--password",
        password,
        "--auth-only",
        "--cookie-directory",
        dir,
    ]
}

#[test]
fn two_factor_code_on_stdin_then_reuse_without_asking() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).fixed_code("123456")]);
    let dir = tempfile::tempdir().unwrap();
    let d = cookie_dir(dir.path());

    let out = icloudpd(Some(&fake), &auth_only(&d, PASSWORD), Some("123456\n"));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    for line in [
        "INFO     Processing user: jdoe@gmail.com",
        "DEBUG    Authenticating...",
        "INFO     Two-factor authentication is required (2fa)",
        "  a: (***) ***-**81",
        "Please enter two-factor authentication code or device index (a) to send SMS with a code: ",
        "INFO     Great, you're all set up.",
        "INFO     Authentication completed successfully",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    assert!(dir.path().join("jdoegmailcom.session").exists());
    assert!(dir.path().join("jdoegmailcom").exists());
    let inits = fake.count("POST", "/signin/init");

    // Second run: stdin closed, no password needed, no code asked.
    let out = icloudpd(
        Some(&fake),
        &["--username", USER, "--auth-only", "--cookie-directory", &d],
        None,
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("Authentication completed successfully"),
        "{text}"
    );
    assert!(!text.contains("Two-factor"), "{text}");
    assert_eq!(fake.count("POST", "/signin/init"), inits);
}

#[test]
fn sms_code_by_device_letter() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).fixed_code("654321")]);
    let dir = tempfile::tempdir().unwrap();
    let d = cookie_dir(dir.path());
    let out = icloudpd(
        Some(&fake),
        &auth_only(&d, PASSWORD),
        Some("x\n12345a\na\n654321\n"),
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("Invalid index, should be (a). Try again"),
        "{text}"
    );
    assert!(
        text.contains("Invalid code, should be six digits. Try again"),
        "{text}"
    );
    assert!(
        text.contains("Please enter two-factor authentication code that you received over SMS: "),
        "{text}"
    );
    assert_eq!(fake.count("PUT", "/verify/phone"), 1);
}

#[test]
fn wrong_code_fails_with_icloudpds_message() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).fixed_code("123456")]);
    let dir = tempfile::tempdir().unwrap();
    let out = icloudpd(
        Some(&fake),
        &auth_only(&cookie_dir(dir.path()), PASSWORD),
        Some("000000\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("Failed to verify two-factor authentication code"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn two_factor_with_stdin_closed_fails_at_once() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)]);
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = icloudpd(
        Some(&fake),
        &auth_only(&cookie_dir(dir.path()), PASSWORD),
        None,
    );
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("standard input is closed"),
        "{}",
        stdout(&out)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn wrong_password_is_one_clean_line() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)]);
    let dir = tempfile::tempdir().unwrap();
    let out = icloudpd(
        Some(&fake),
        &auth_only(&cookie_dir(dir.path()), "not-the-password"),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("ERROR    Invalid email/password combination.\n"),
        "{text}"
    );
    let all = format!("{text}{}", stderr(&out));
    assert!(
        !all.contains("panicked") && !all.contains("backtrace"),
        "{all}"
    );
    assert!(
        !all.contains("not-the-password"),
        "the password leaked: {all}"
    );
}

#[test]
fn throttling_on_init_is_reported_without_retrying() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)]);
    fake.set_fault(Fault::ServiceUnavailable {
        path_suffix: "/signin/init".into(),
        times: None,
    });
    let dir = tempfile::tempdir().unwrap();
    let out = icloudpd(
        Some(&fake),
        &auth_only(&cookie_dir(dir.path()), PASSWORD),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("Apple iCloud is temporary refusing to serve icloudpd"),
        "{}",
        stdout(&out)
    );
    assert_eq!(fake.count("POST", "/signin/init"), 1);
}

#[test]
fn several_users_in_one_run() {
    let fake = fake([
        FakeAccount::new("a@example.com", "pa").without_two_factor(),
        FakeAccount::new("b@example.com", "pb").without_two_factor(),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let d = cookie_dir(dir.path());
    let out = icloudpd(
        Some(&fake),
        &[
            "--auth-only",
            "--cookie-directory",
            &d,
            "-u",
            "a@example.com",
            "-p",
            "pa",
            "-u",
            "B@example.com",
            "-p",
            "pb",
        ],
        None,
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Processing user: a@example.com"), "{text}");
    assert!(text.contains("Processing user: b@example.com"), "{text}");
    assert_eq!(
        text.matches("Authentication completed successfully")
            .count(),
        2
    );
    assert!(dir.path().join("aexamplecom.session").exists());
    assert!(dir.path().join("bexamplecom.session").exists());
}

#[test]
fn legacy_two_step_on_the_console() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .two_step()
        .fixed_code("222333")]);
    let dir = tempfile::tempdir().unwrap();
    let out = icloudpd(
        Some(&fake),
        &auth_only(&cookie_dir(dir.path()), PASSWORD),
        Some("7\n\n222333\n"),
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("Two-step authentication is required (2sa)"),
        "{text}"
    );
    assert!(text.contains("Please choose an option: [0]: "), "{text}");
    assert!(
        text.contains("Invalid input: 7 is not in the range 0-"),
        "{text}"
    );
    assert!(text.contains("Great, you're all set up. The script can now be run without user interaction until 2SA expires."), "{text}");
}

#[test]
fn domain_cn_uses_the_china_redirect_uri() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).without_two_factor()]);
    let dir = tempfile::tempdir().unwrap();
    let d = cookie_dir(dir.path());
    let mut args = auth_only(&d, PASSWORD);
    args.extend(["--domain", "cn"]);
    let out = icloudpd(Some(&fake), &args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let init = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/signin/init"))
        .unwrap();
    assert_eq!(
        init.header("X-Apple-OAuth-Redirect-URI"),
        Some("https://www.icloud.com.cn")
    );
}
