//! MFA-required notifications (auth.md §15): the `--smtp-*` e-mail, received by a real SMTP
//! server (Python's aiosmtpd, `tests/python/smtp_server.py`, from the venv that
//! `scripts/python-icloudpd.sh` builds), and the `--notification-script`.
//!
//! With `--auth-only` and standard input closed nobody can answer the 2FA prompt: icloudpd exits
//! with 3, after notifying. Feeding the fake's code instead lets the sign-in complete.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, Output};

use icloud_fake::{FakeAccount, FakeICloud};

use crate::{PASSWORD, USER, command, cookie_dir, fake, free_port, run, stderr, stdout};

mod script;
mod smtp_server;

pub(crate) use script::Script;
// Also used by other test modules (e.g. `accounts`).
pub(crate) use smtp_server::{Mail, SmtpServer};

const CODE: &str = "123456";
/// The AUTH credentials `SmtpServer` accepts.
pub(crate) const SMTP_USER: &str = "jdoe+smtp@gmail.com";
pub(crate) const SMTP_PASSWORD: &str = "password1";
const NOTIFICATION_EMAIL: &str = "jdoe+notifications@gmail.com";

const TWO_FA_REQUIRED: &str = "INFO     Two-factor authentication is required (2fa)";
const SENDING: &str = "INFO     Sending 'two-step expired' notification via email...";
const FAILED: &str = "ERROR    Notification of the required MFA failed";
const EXECUTING: &str = "DEBUG    Executing notification script...";
const AUTH_OK: &str = "Authentication completed successfully";
/// icloudpd's exit code when a second factor is needed and nobody can type it.
const EXIT_MFA_UNANSWERABLE: i32 = 3;

// ---------------------------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------------------------

#[test]
fn email_over_starttls_with_login() {
    let fake = start_fake();
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = auth_only(&fake, dir.path());
    smtp.point_at(&mut cmd);
    cmd.args([
        "--smtp-username",
        SMTP_USER,
        "--smtp-password",
        SMTP_PASSWORD,
    ])
    .args(["--notification-email", NOTIFICATION_EMAIL]);

    let out = run(cmd, None);
    let mails = smtp.finish();

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(EXIT_MFA_UNANSWERABLE), "{log}");
    assert_in_order(
        &log,
        &[TWO_FA_REQUIRED, SENDING, "standard input is closed"],
    );
    assert!(!log.contains(FAILED), "{log}");
    assert!(
        !log.contains(SMTP_PASSWORD),
        "the SMTP password leaked:\n{log}"
    );
    let [mail] = mails.as_slice() else {
        panic!("expected exactly one mail, got {mails:#?}\n{log}");
    };
    assert!(mail.tls, "not sent over STARTTLS: {mail:#?}");
    assert_eq!(mail.auth_login.as_deref(), Some(SMTP_USER), "{mail:#?}");
    assert_eq!(mail.mail_from, SMTP_USER, "{mail:#?}");
    assert_eq!(mail.rcpt_tos, [NOTIFICATION_EMAIL], "{mail:#?}");
    assert_message(
        mail,
        &format!("iCloud Photos Downloader <{SMTP_USER}>"),
        NOTIFICATION_EMAIL,
    );
}

#[test]
fn email_without_tls_or_login() {
    let fake = start_fake();
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = auth_only(&fake, dir.path());
    smtp.point_at(&mut cmd);
    cmd.args(["--smtp-no-tls", "--notification-email", "x@example.com"]);

    let out = run(cmd, None);
    let mails = smtp.finish();

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(EXIT_MFA_UNANSWERABLE), "{log}");
    assert!(log.contains(SENDING), "{log}");
    let [mail] = mails.as_slice() else {
        panic!("expected exactly one mail, got {mails:#?}\n{log}");
    };
    assert!(!mail.tls, "STARTTLS despite --smtp-no-tls: {mail:#?}");
    assert_eq!(mail.auth_login, None, "AUTH without credentials: {mail:#?}");
    assert_eq!(mail.mail_from, "x@example.com", "{mail:#?}");
    assert_eq!(mail.rcpt_tos, ["x@example.com"], "{mail:#?}");
    assert_message(mail, "x@example.com", "x@example.com");
}

#[test]
fn email_then_code_on_stdin_signs_in() {
    let fake = start_fake();
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = auth_only(&fake, dir.path());
    smtp.point_at(&mut cmd);
    cmd.args([
        "--smtp-username",
        SMTP_USER,
        "--smtp-password",
        SMTP_PASSWORD,
    ]);

    let out = run(cmd, Some(&format!("{CODE}\n")));
    let mails = smtp.finish();

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert_in_order(&log, &[TWO_FA_REQUIRED, SENDING, AUTH_OK]);
    assert_eq!(mails.len(), 1, "{mails:#?}\n{log}");
    // The recipient defaults to the SMTP user.
    assert_eq!(mails[0].rcpt_tos, [SMTP_USER], "{mails:#?}");
}

#[test]
fn no_email_when_the_session_is_valid() {
    let fake = start_fake();
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let signed_in = run(auth_only(&fake, dir.path()), Some(&format!("{CODE}\n")));
    assert_eq!(
        signed_in.status.code(),
        Some(0),
        "{}",
        transcript(&signed_in)
    );

    let mut cmd = auth_only(&fake, dir.path());
    smtp.point_at(&mut cmd);
    cmd.args(["--smtp-no-tls", "--notification-email", "x@example.com"]);
    let out = run(cmd, None);
    let mails = smtp.finish();

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains(AUTH_OK), "{log}");
    assert!(!log.contains(SENDING), "{log}");
    assert!(mails.is_empty(), "{mails:#?}\n{log}");
}

#[test]
fn unreachable_smtp_server_does_not_stop_the_sign_in() {
    let fake = start_fake();
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = auth_only(&fake, dir.path());
    cmd.args(["--smtp-host", "localhost", "--smtp-port", &port.to_string()])
        .args([
            "--smtp-username",
            SMTP_USER,
            "--smtp-password",
            SMTP_PASSWORD,
        ]);

    let out = run(cmd, Some(&format!("{CODE}\n")));

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert_in_order(&log, &[TWO_FA_REQUIRED, SENDING, FAILED, AUTH_OK]);
    // The cause follows at DEBUG, on the next line.
    let next = log[log.find(FAILED).unwrap()..].lines().nth(1);
    assert!(
        next.is_some_and(|l| l.contains("DEBUG    sending the e-mail failed: ")),
        "no DEBUG line with the cause after the ERROR:\n{log}"
    );
    assert!(
        !log.contains(SMTP_PASSWORD),
        "the SMTP password leaked:\n{log}"
    );
}

// ---------------------------------------------------------------------------------------------
// Script
// ---------------------------------------------------------------------------------------------

#[test]
fn script_runs_once_without_arguments_with_the_event_in_its_environment() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    let script = Script::new(dir.path(), 0);
    let mut cmd = auth_only(&fake, &dir.path().join("cookies"));
    cmd.arg("--notification-script")
        .arg(&script.path)
        .env("ICLOUDPD_NOTIFY_TEST", "inherited");
    let expected_env = environment_of(&cmd);

    let out = run(cmd, None);

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(EXIT_MFA_UNANSWERABLE), "{log}");
    assert_in_order(
        &log,
        &[TWO_FA_REQUIRED, EXECUTING, "standard input is closed"],
    );
    assert!(!log.contains(FAILED), "{log}");
    assert_eq!(script.runs(), ["argc=0 args="], "{log}");
    let seen = script.environment();
    assert!(
        seen.contains(&("ICLOUDPD_NOTIFY_TEST".into(), "inherited".into())),
        "icloudpd's environment was not inherited: {seen:?}"
    );
    // What /bin/sh itself adds to the environment it passes on.
    let shell: [&OsStr; 4] = ["PWD", "OLDPWD", "SHLVL", "_"].map(OsStr::new);
    let expected: BTreeSet<&OsString> = expected_env.iter().map(|(k, _)| k).collect();
    let added: BTreeSet<(String, String)> = seen
        .iter()
        .filter(|(k, _)| !expected.contains(k) && !shell.contains(&k.as_os_str()))
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let wanted: BTreeSet<(String, String)> = [
        ("ICLOUDPD_EVENT", "mfa-required"),
        ("ICLOUDPD_USERNAME", USER),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(
        added, wanted,
        "the script gets icloudpd's environment plus the event, nothing else"
    );
}

#[test]
fn relative_script_runs_from_the_working_directory() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    let script = Script::new(dir.path(), 0);
    let mut cmd = auth_only(&fake, &dir.path().join("cookies"));
    cmd.args(["--notification-script", "./notify.sh"])
        .current_dir(dir.path());

    let out = run(cmd, None);

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(EXIT_MFA_UNANSWERABLE), "{log}");
    assert!(!log.contains(FAILED), "{log}");
    assert_eq!(script.runs(), ["argc=0 args="], "{log}");
}

#[test]
fn failing_script_does_not_stop_the_sign_in() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    let script = Script::new(dir.path(), 7);
    let mut cmd = auth_only(&fake, &dir.path().join("cookies"));
    cmd.arg("--notification-script").arg(&script.path);

    let out = run(cmd, Some(&format!("{CODE}\n")));

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert_in_order(&log, &[EXECUTING, AUTH_OK]);
    // The exit status is ignored, as icloudpd's `subprocess.call` does.
    assert!(!log.contains(FAILED), "{log}");
    assert_eq!(script.runs().len(), 1, "{log}");
}

#[test]
fn missing_script_is_reported_and_the_sign_in_goes_on() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-script.sh");
    let mut cmd = auth_only(&fake, &dir.path().join("cookies"));
    cmd.arg("--notification-script").arg(&missing);

    let out = run(cmd, Some(&format!("{CODE}\n")));

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert_in_order(&log, &[EXECUTING, FAILED, AUTH_OK]);
}

#[test]
fn a_script_that_cannot_start_does_not_stop_the_email() {
    let fake = start_fake();
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = auth_only(&fake, &dir.path().join("cookies"));
    cmd.arg("--notification-script")
        .arg(dir.path().join("no-such-script.sh"));
    smtp.point_at(&mut cmd);
    cmd.args(["--smtp-no-tls", "--notification-email", "x@example.com"]);

    let out = run(cmd, Some(&format!("{CODE}\n")));
    let mails = smtp.finish();

    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert_in_order(&log, &[EXECUTING, FAILED, SENDING, AUTH_OK]);
    assert_eq!(mails.len(), 1, "{mails:#?}\n{log}");
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn start_fake() -> FakeICloud {
    fake([FakeAccount::new(USER, PASSWORD).fixed_code(CODE)])
}

/// Returns `icloudpd --auth-only` for the fake's 2FA account, sessions kept in `cookies`.
fn auth_only(fake: &FakeICloud, cookies: &Path) -> Command {
    let mut cmd = command(Some(fake));
    cmd.args(["--username", USER, "--password", PASSWORD, "--auth-only"])
        .args(["--cookie-directory", &cookie_dir(cookies)]);
    cmd
}

/// Returns icloudpd's output for assertions and failure messages.
pub(crate) fn transcript(out: &Output) -> String {
    format!(
        "--- exit: {} ---\n--- stdout ---\n{}--- stderr ---\n{}",
        out.status,
        stdout(out),
        stderr(out)
    )
}

/// Asserts that `needles` occur in `text` in this order.
pub(crate) fn assert_in_order(text: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match text[from..].find(needle) {
            Some(at) => from += at + needle.len(),
            None => panic!("{needle:?} missing (after {needles:?}'s earlier items) in\n{text}"),
        }
    }
}

/// Asserts icloudpd's exact message (auth.md §15), as aiosmtpd received it: CRLF line ends, and
/// the CRLF that ends the data.
fn assert_message(mail: &Mail, from: &str, to: &str) {
    let (head, date_and_rest) = mail
        .data
        .split_once("Date: ")
        .unwrap_or_else(|| panic!("no Date header: {:?}", mail.data));
    assert_eq!(
        head,
        format!(
            "From: {from}\r\nTo: {to}\r\nSubject: icloud_photos_downloader: Two step \
             authentication has expired\r\n"
        ),
        "{mail:#?}"
    );
    let (date, body) = date_and_rest.split_once("\r\n").unwrap();
    assert!(
        is_icloudpd_date(date),
        "Date is not DD/MM/YYYY HH:MM: {date:?}"
    );
    assert_eq!(
        body,
        format!(
            "\r\nHello,\r\n\r\n{USER}'s two-step authentication has expired for the \
             icloud_photos_downloader script.\r\nPlease log in to your server and run the \
             script manually to update two-step authentication.\r\n"
        ),
        "{mail:#?}"
    );
}

/// Whether `date` looks like `31/12/2024 23:59`.
fn is_icloudpd_date(date: &str) -> bool {
    let shape = date
        .chars()
        .map(|c| if c.is_ascii_digit() { 'D' } else { c })
        .collect::<String>();
    shape == "DD/DD/DDDD DD:DD"
}

/// The environment `cmd` gives its program: ours, with its changes applied.
fn environment_of(cmd: &Command) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    for (key, value) in cmd.get_envs() {
        env.retain(|(k, _)| k != key);
        if let Some(value) = value {
            env.push((key.to_owned(), value.to_owned()));
        }
    }
    env
}
