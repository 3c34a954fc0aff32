//! The sign-in as Apple does it since mid-2026, through the real binary (auth.md §16): the
//! escrow proof, 409 answers that mean success, the repair cookie, Advanced Data Protection
//! accounts, and the warning before the trust runs out.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use icloud_fake::{Escrow, FakeAccount, FakeICloud, FakeLibrary, Fault};

use crate::notify::{Script, SmtpServer, assert_in_order, transcript};
use crate::{PASSWORD, USER, command, cookie_dir, fake, run};

const CODE: &str = "123456";

fn auth_only(fake: &FakeICloud, cookies: &std::path::Path) -> Command {
    let mut cmd = command(Some(fake));
    cmd.args(["--username", USER, "--password", PASSWORD, "--auth-only"])
        .args(["--cookie-directory", &cookie_dir(cookies)]);
    cmd
}

#[test]
fn escrow_after_the_code_and_at_a_later_sign_in_without_one() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .escrow(Escrow::Edp)
        .fixed_code(CODE)]);
    let dir = tempfile::tempdir().unwrap();

    let out = run(auth_only(&fake, dir.path()), Some(&format!("{CODE}\n")));
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert_eq!(fake.count("POST", "/escrow/complete"), 1, "{log}");

    // Days later the web session is gone; the trust token is not: no code, one more escrow.
    fake.expire_web_sessions();
    let out = run(auth_only(&fake, dir.path()), None);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(
        log.contains("Authentication completed successfully"),
        "{log}"
    );
    assert!(
        !log.contains("Two-factor authentication is required"),
        "{log}"
    );
    assert_eq!(fake.count("POST", "/escrow/complete"), 2, "{log}");
}

#[test]
fn sms_code_when_every_2fa_answer_is_a_409() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .boot_page_409()
        .sms_409()
        .code_409_valid_only()
        .fixed_code(CODE)]);
    let dir = tempfile::tempdir().unwrap();
    let out = run(auth_only(&fake, dir.path()), Some(&format!("a\n{CODE}\n")));
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert_in_order(
        &log,
        &[
            "  a: (***) ***-**81",
            "Please enter two-factor authentication code that you received over SMS: ",
            "Authentication completed successfully",
        ],
    );
}

#[test]
fn device_code_answered_409_with_only_a_session_token() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .code_409_token_only()
        .fixed_code(CODE)]);
    let dir = tempfile::tempdir().unwrap();
    let out = run(auth_only(&fake, dir.path()), Some(&format!("{CODE}\n")));
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("Great, you're all set up."), "{log}");
}

#[test]
fn a_repair_stops_at_once_even_in_watch_mode() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .needs_web_repair()]);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(Some(&fake));
    cmd.args(["--username", USER, "--password", PASSWORD])
        .args(["--cookie-directory", &cookie_dir(&dir.path().join("c"))])
        .args(["--directory", &cookie_dir(&dir.path().join("photos"))])
        .args(["--watch-with-interval", "1"]);
    let out = run(cmd, None);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        log.contains("Sign in once at https://www.icloud.com with this Apple ID, complete what Apple asks, then run icloudpd again."),
        "{log}"
    );
    assert_eq!(fake.count("POST", "/signin/complete"), 1, "no retry: {log}");
    assert_eq!(fake.count("POST", "/accountLogin"), 1, "no retry: {log}");
}

#[test]
fn an_adp_account_with_web_access_downloads_after_the_device_approves() {
    let library = FakeLibrary::generated(12, 7);
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .adp(true)
        .pcs_polls_before_consent(1)
        .library(library)]);
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    let mut cmd = command(Some(&fake));
    cmd.args(["--username", USER, "--password", PASSWORD])
        .args(["--cookie-directory", &cookie_dir(&dir.path().join("c"))])
        .args(["--directory", &cookie_dir(&photos)])
        .args(["--folder-structure", "none", "--no-progress-bar"]);
    let out = run(cmd, None);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let approve =
        "approve the request to access your iCloud data on the web on one of your Apple devices";
    assert_eq!(log.matches(approve).count(), 1, "told once: {log}");
    assert_eq!(fake.count("POST", "/requestPCS"), 2, "{log}");
    let expected = fake.expected_listing(USER, "PrimarySync", None);
    let files = std::fs::read_dir(&photos).unwrap().count();
    assert!(
        files >= expected.len() && !expected.is_empty(),
        "{files} files\n{log}"
    );
}

#[test]
fn adp_keys_refused_in_a_long_run_are_asked_for_again() {
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(USER, PASSWORD)
                .without_two_factor()
                .adp(true)
                .pcs_polls_before_consent(0)
                .library(FakeLibrary::generated(30, 3)),
        )
        .fault(Fault::expire_pcs_after(3))
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    let mut cmd = command(Some(&fake));
    cmd.args(["--username", USER, "--password", PASSWORD])
        .args(["--cookie-directory", &cookie_dir(&dir.path().join("c"))])
        .args(["--directory", &cookie_dir(&photos)])
        .args(["--folder-structure", "none", "--no-progress-bar"]);
    let out = run(cmd, None);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("Session error, re-authenticating..."), "{log}");
    assert_eq!(fake.count("POST", "/requestPCS"), 2, "asked again: {log}");
    assert_eq!(
        fake.count("POST", "/enableDeviceConsentForPCS"),
        1,
        "no second prompt: {log}"
    );
    assert_eq!(
        fake.count("POST", "/signin/init"),
        1,
        "the session was reused: {log}"
    );
    let expected = fake.expected_listing(USER, "PrimarySync", None).len();
    let files = std::fs::read_dir(&photos).unwrap().count();
    assert!(files >= expected, "{files} of {expected} files\n{log}");
}

#[test]
fn an_adp_account_without_web_access_names_the_setting() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .adp(false)]);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(Some(&fake));
    cmd.args(["--username", USER, "--password", PASSWORD])
        .args(["--cookie-directory", &cookie_dir(&dir.path().join("c"))])
        .args(["--directory", &cookie_dir(&dir.path().join("photos"))]);
    let out = run(cmd, None);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("Advanced Data Protection is on"), "{log}");
    assert!(
        log.contains("\"Access iCloud Data on the Web\" is off"),
        "{log}"
    );
    assert!(
        log.contains("Turn on \"Access iCloud Data on the Web\""),
        "{log}"
    );
    assert!(!log.contains("throttle"), "{log}");
    assert_eq!(fake.count("POST", "/records/query"), 0, "{log}");
}

#[test]
fn the_trust_expiry_is_printed_and_warned_about_once_a_day() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .trust_lifetime(Duration::from_secs(3 * 24 * 3600 + 600))
        .fixed_code(CODE)]);
    let dir = tempfile::tempdir().unwrap();
    let cookies = dir.path().join("cookies");
    let lifetime = chrono::Duration::seconds(3 * 24 * 3600 + 600);
    let before = (chrono::Local::now() + lifetime).date_naive();

    // First sign-in with a code: the date is printed.
    let out = run(auth_only(&fake, &cookies), Some(&format!("{CODE}\n")));
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    // The day the trust ends, as the fake set it during the run (midnight may have passed).
    let after = (chrono::Local::now() + lifetime).date_naive();
    let expires = [before, after]
        .iter()
        .map(ToString::to_string)
        .find(|day| {
            log.contains(&format!(
                "Apple trusts this session until {day} (3 days left)"
            ))
        })
        .unwrap_or_else(|| panic!("no trust date with 3 days left in {log}"));

    // A later run finds 3 days left, fewer than the default 7: e-mail and script, once.
    let smtp = SmtpServer::start();
    let script = Script::new(dir.path(), 0);
    let notified = |smtp: &SmtpServer| {
        let mut cmd = auth_only(&fake, &cookies);
        smtp.point_at(&mut cmd);
        cmd.args(["--smtp-no-tls", "--notification-email", "x@example.com"])
            .arg("--notification-script")
            .arg(&script.path);
        run(cmd, None)
    };
    let out = notified(&smtp);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(
        log.contains(&format!(
            "WARNING  Apple's trust of this session ends on {expires}"
        )),
        "{log}"
    );
    assert!(
        log.contains("Sending 'trust expiring' notification via email..."),
        "{log}"
    );
    let out = notified(&smtp);
    let again = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{again}");
    assert!(
        again.contains("WARNING  Apple's trust"),
        "still in the log: {again}"
    );
    assert!(
        !again.contains("Sending 'trust expiring'"),
        "not twice a day: {again}"
    );
    let mails = smtp.finish();

    let [mail] = mails.as_slice() else {
        panic!("one mail, got {mails:#?}\n{log}\n{again}");
    };
    assert!(
        mail.data.contains(&format!(
            "Subject: icloud_photos_downloader: Two-factor authentication expires on {expires}"
        )),
        "{mail:#?}"
    );
    assert!(mail.data.contains("icloudpd --auth-only"), "{mail:#?}");
    assert_eq!(script.runs().len(), 1, "the script ran once");
    let env: BTreeMap<String, String> = script
        .environment()
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .filter(|(k, _)| k.starts_with("ICLOUDPD_"))
        .collect();
    assert_eq!(env["ICLOUDPD_EVENT"], "trust-expiring");
    assert_eq!(env["ICLOUDPD_USERNAME"], USER);
    assert_eq!(env["ICLOUDPD_TRUST_EXPIRES"], expires);

    // `--mfa-expiry-warning-days 2` finds 3 days enough: no warning at all.
    let mut cmd = auth_only(&fake, &cookies);
    cmd.args(["--mfa-expiry-warning-days", "2"]);
    let out = run(cmd, None);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(!log.contains("WARNING  Apple's trust"), "{log}");
}
