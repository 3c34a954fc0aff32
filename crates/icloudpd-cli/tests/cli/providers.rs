//! The password providers and their rules, against the fake: the order they are asked in,
//! asked only when a password is needed, the keyring writer, the console, the web UI, and the
//! usage rules for `console` and `webui`.

use std::path::Path;
use std::process::Command;

use icloud_fake::{FakeAccount, FakeICloud};

use crate::live::{Running, http, wait_status, wait_status_where};
use crate::{PASSWORD, USER, command, fake, stderr, stdout};

const WRONG: &str = "not the password";
const OTHER_WRONG: &str = "not it either";

/// An `icloudpd --auth-only` command whose keyring is a private keyring file under `home`.
fn auth_only(fake: &FakeICloud, home: &Path, args: &[&str]) -> Command {
    let mut cmd = command(Some(fake));
    cmd.env("ICLOUD_KEYRING_BACKEND", "file")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .args(["-u", USER, "--auth-only", "--cookie-directory"])
        .arg(home.join("cookies"))
        .args(args);
    cmd
}

/// Runs `cmd`; returns its exit code and its stdout followed by its stderr.
fn run(cmd: Command, stdin: Option<&str>) -> (Option<i32>, String) {
    let out = crate::run(cmd, stdin);
    (
        out.status.code(),
        format!("{}{}", stdout(&out), stderr(&out)),
    )
}

fn providers(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| ["--password-provider".to_owned(), (*n).to_owned()])
        .collect()
}

fn args<'a>(list: &'a [String], more: &[&'a str]) -> Vec<&'a str> {
    list.iter()
        .map(String::as_str)
        .chain(more.iter().copied())
        .collect()
}

fn no_2fa() -> FakeICloud {
    fake([FakeAccount::new(USER, PASSWORD).without_two_factor()])
}

/// Stores `password` in the keyring file under `home` the way a user would: a sign-in with
/// `--password` and the keyring among the providers.
fn seed_keyring(fake: &FakeICloud, home: &Path, password: &str) {
    let p = providers(&["parameter", "keyring"]);
    let (code, text) = run(auth_only(fake, home, &args(&p, &["-p", password])), None);
    assert_eq!(code, Some(0), "{text}");
    fake.expire_web_sessions();
}

#[test]
fn providers_are_asked_in_the_given_order_and_the_first_password_is_the_one_sent() {
    let fake = no_2fa();
    let home = tempfile::tempdir().unwrap();
    seed_keyring(&fake, home.path(), PASSWORD);
    let before = fake.count("POST", "/signin/complete");

    // keyring first: its (right) password is used; the wrong parameter is never sent.
    let p = providers(&["keyring", "parameter"]);
    let (code, text) = run(
        auth_only(&fake, home.path(), &args(&p, &["-p", WRONG])),
        None,
    );
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(fake.count("POST", "/signin/complete"), before + 1);

    // parameter first: the wrong one is sent once, refused, and not replaced by the keyring's.
    fake.expire_web_sessions();
    let p = providers(&["parameter", "keyring"]);
    let (code, text) = run(
        auth_only(&fake, home.path(), &args(&p, &["-p", WRONG])),
        None,
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("Invalid email/password combination."),
        "{text}"
    );
    assert_eq!(fake.count("POST", "/signin/complete"), before + 2);
}

#[test]
fn an_empty_parameter_falls_through_to_the_next_provider() {
    let fake = no_2fa();
    let home = tempfile::tempdir().unwrap();
    seed_keyring(&fake, home.path(), PASSWORD);
    let p = providers(&["parameter", "keyring"]);
    let (code, text) = run(auth_only(&fake, home.path(), &args(&p, &["-p", ""])), None);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn no_provider_is_asked_while_the_session_is_valid_and_nothing_is_written() {
    let fake = no_2fa();
    let home = tempfile::tempdir().unwrap();
    let keyring_file = home.path().join("data/python_keyring/keyring_pass.cfg");
    // The keyring is not a provider: a password that worked is not stored anywhere.
    let p = providers(&["parameter"]);
    let (code, text) = run(
        auth_only(&fake, home.path(), &args(&p, &["-p", PASSWORD])),
        None,
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(!keyring_file.exists(), "{text}");

    // The session is valid: the console (stdin closed) is never asked, the keyring never written.
    let p = providers(&["keyring", "console"]);
    let before = fake.count("POST", "/signin/init");
    let (code, text) = run(auth_only(&fake, home.path(), &args(&p, &[])), None);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("iCloud Password for"), "{text}");
    assert_eq!(fake.count("POST", "/signin/init"), before);
    assert!(!keyring_file.exists(), "{text}");
}

#[test]
fn the_keyring_keeps_a_password_that_worked_and_only_that() {
    let fake = no_2fa();
    let home = tempfile::tempdir().unwrap();
    // A refused password is not saved.
    let p = providers(&["parameter", "keyring"]);
    let (code, text) = run(
        auth_only(&fake, home.path(), &args(&p, &["-p", WRONG])),
        None,
    );
    assert_eq!(code, Some(1), "{text}");
    let keyring_only = providers(&["keyring"]);
    let keyring_only = args(&keyring_only, &[]);
    let (code, text) = run(auth_only(&fake, home.path(), &keyring_only), None);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!("No password available for {USER}")),
        "{text}"
    );

    // One that worked is saved, and a later run finds it there alone.
    seed_keyring(&fake, home.path(), PASSWORD);
    let (code, text) = run(auth_only(&fake, home.path(), &keyring_only), None);
    assert_eq!(code, Some(0), "{text}");
    let mode = std::fs::metadata(home.path().join("data/python_keyring/keyring_pass.cfg"))
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
        .unwrap();
    assert_eq!(mode, 0o600);
}

#[test]
fn the_console_provider_reads_the_password_from_standard_input() {
    let fake = no_2fa();
    let home = tempfile::tempdir().unwrap();
    let p = providers(&["console"]);
    let (code, text) = run(
        auth_only(&fake, home.path(), &args(&p, &[])),
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!("iCloud Password for {USER}:")),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");
}

#[test]
fn without_any_password_the_run_ends_with_a_clear_message() {
    let fake = no_2fa();
    let home = tempfile::tempdir().unwrap();
    for list in [&["parameter"][..], &["parameter", "keyring", "console"]] {
        let p = providers(list);
        let (code, text) = run(auth_only(&fake, home.path(), &args(&p, &[])), None);
        assert_eq!(code, Some(1), "{text}");
        assert!(
            text.contains(&format!(
                "ERROR    No password available for {USER}: no password was given (--password, --password-file or ICLOUDPD_PASSWORD)"
            )),
            "{text}"
        );
        if list.contains(&"console") {
            // What went wrong, not advice to add what is there.
            assert!(
                text.contains("; there is no terminal to ask on (standard input is closed)"),
                "{text}"
            );
            assert!(text.contains("; the keyring (the file "), "{text}");
        }
        assert!(!text.contains("panicked"), "{text}");
    }
    assert_eq!(fake.count("POST", "/signin/init"), 0);
}

#[test]
fn console_and_webui_exclude_each_other_and_must_come_last() {
    let fake = no_2fa();
    let home = tempfile::tempdir().unwrap();
    for (list, message) in [
        (
            &["console", "webui"][..],
            "--password-provider console and --password-provider webui cannot be used together",
        ),
        (
            &["console", "keyring"],
            "--password-provider console must be the last password provider",
        ),
        (
            &["webui", "parameter"],
            "--password-provider webui must be the last password provider",
        ),
    ] {
        let p = providers(list);
        let (code, text) = run(
            auth_only(&fake, home.path(), &args(&p, &["-p", PASSWORD])),
            None,
        );
        assert_eq!(code, Some(2), "{list:?}: {text}");
        assert!(text.starts_with(message), "{list:?}: {text}");
    }
    assert_eq!(fake.count("POST", "/signin/init"), 0);
}

/// Starts `icloudpd` with the web UI on a free port; returns it and the UI's address.
fn with_web_ui(cmd: Command) -> (Running, std::net::SocketAddr) {
    let mut running = Running::spawn(cmd);
    let addr = running.web_addr();
    (running, addr)
}

#[test]
fn webui_asks_for_a_password_after_the_parameter_was_refused_and_again_after_a_wrong_one() {
    // Issue 12, item 8: the refused parameter typed in the page is not sent either.
    let fake = no_2fa();
    let home = tempfile::tempdir().unwrap();
    let p = providers(&["parameter", "webui"]);
    let cmd = auth_only(
        &fake,
        home.path(),
        &args(&p, &["-p", WRONG, "--webui-port", "0"]),
    );
    let (running, addr) = with_web_ui(cmd);

    wait_status(addr, "need_password");
    assert_eq!(fake.count("POST", "/signin/complete"), 1);
    // The refused parameter typed again: refused here, Apple is not asked.
    let (code, body) = http(addr, "POST", "/password", &[("password", WRONG)]);
    assert_eq!(code, 200, "{body}");
    assert!(!body.contains(WRONG), "{body}");
    let status = wait_status(addr, "need_password");
    assert_eq!(
        status["error"],
        "Apple refused this password before, so it is not sent again. Type the right one.",
        "{status}"
    );
    assert_eq!(fake.count("POST", "/signin/complete"), 1);
    // Another wrong one is sent, refused, and the page asks again.
    let (code, body) = http(addr, "POST", "/password", &[("password", OTHER_WRONG)]);
    assert_eq!(code, 200, "{body}");
    let status = wait_status_where(addr, "a second refusal", |s| {
        s["status"] == "need_password" && s["error"] == "Invalid email/password combination."
    });
    assert_eq!(fake.count("POST", "/signin/complete"), 2, "{status}");
    // A code is not a password.
    let (code, _) = http(addr, "POST", "/code", &[("code", "123456")]);
    assert_eq!(code, 400);
    let (code, body) = http(addr, "POST", "/password", &[("password", PASSWORD)]);
    assert_eq!(code, 200, "{body}");

    let (code, text) = running.finish();
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Authentication completed successfully"),
        "{text}"
    );
    // The parameter once, the web UI twice: a refused password is never sent again.
    assert_eq!(fake.count("POST", "/signin/complete"), 3, "{text}");
    assert!(!text.contains(WRONG) && !text.contains(PASSWORD), "{text}");
    assert!(!text.contains(OTHER_WRONG), "{text}");
}

#[test]
fn webui_second_factor_by_sms_then_the_loop_ends() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).fixed_code("123456")]);
    let home = tempfile::tempdir().unwrap();
    let cmd = auth_only(
        &fake,
        home.path(),
        &[
            "-p",
            PASSWORD,
            "--mfa-provider",
            "webui",
            "--webui-port",
            "0",
        ],
    );
    let (running, addr) = with_web_ui(cmd);

    let status = wait_status(addr, "need_mfa");
    assert_eq!(status["phones"][0], "(***) ***-**81", "{status}");
    assert_eq!(status["user"], USER);
    // A wrong code is shown and another one awaited.
    let (code, _) = http(addr, "POST", "/code", &[("code", "000000")]);
    assert_eq!(code, 200);
    let status = wait_status(addr, "need_mfa");
    assert_eq!(
        status["error"], "Failed to verify two-factor authentication code",
        "{status}"
    );

    let (code, body) = http(addr, "POST", "/sms", &[("phone", "0")]);
    assert_eq!(code, 200, "{body}");
    wait_status_where(addr, "an SMS sent to phone 0", |s| s["sms_sent_to"] == 0);
    let (code, body) = http(addr, "POST", "/code", &[("code", "123456"), ("phone", "0")]);
    assert_eq!(code, 200, "{body}");

    let (code, text) = running.finish();
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Authentication completed successfully"),
        "{text}"
    );
    assert_eq!(fake.count("PUT", "/verify/phone"), 1);
    assert_eq!(fake.count("POST", "/verify/phone/securitycode"), 1);
    // The loop ended with the first accepted code: one trust, no second sign-in.
    assert_eq!(fake.count("GET", "/2sv/trust"), 1);
    assert_eq!(fake.count("POST", "/signin/complete"), 1);
}

#[test]
fn a_two_step_account_with_the_webui_mfa_provider_uses_the_console() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .two_step()
        .fixed_code("123456")]);
    let home = tempfile::tempdir().unwrap();
    let cmd = auth_only(
        &fake,
        home.path(),
        &[
            "-p",
            PASSWORD,
            "--mfa-provider",
            "webui",
            "--webui-port",
            "0",
        ],
    );
    let (code, text) = run(cmd, Some("0\n123456\n"));
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Two-step authentication is required (2sa)"),
        "{text}"
    );
    assert!(
        text.contains("Please enter two-step authentication code: "),
        "{text}"
    );
}

#[test]
fn a_web_ui_port_in_use_is_a_clear_error() {
    let fake = no_2fa();
    let home = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let p = providers(&["webui"]);
    let (code, text) = run(
        auth_only(&fake, home.path(), &args(&p, &["--webui-port", &port])),
        None,
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Cannot start the web UI"), "{text}");
    assert!(text.contains("--webui-port"), "{text}");
}
