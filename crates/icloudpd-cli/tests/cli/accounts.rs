//! Several accounts in one run: one that needs a second factor nobody can give must not stop
//! the others, its notification names it, and the exit status says so.

use std::path::Path;

use icloud_fake::{FakeAccount, FakeLibrary};

use crate::notify::SmtpServer;
use crate::{PASSWORD, USER, command, stdout};

const OTHER: &str = "other@example.com";
const OTHER_PASSWORD: &str = "other password";
const ADMIN: &str = "admin@example.com";
/// `EXIT_MFA_UNANSWERABLE`: a second factor is needed and nobody can type it.
const EXIT_MFA: i32 = 3;

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.path().is_file() && !crate::is_bookkeeping(&e.path()))
            .count()
    })
}

#[test]
fn an_account_needing_mfa_does_not_stop_the_next_one() {
    let fake = crate::fake([
        FakeAccount::new(USER, PASSWORD).library(FakeLibrary::generated(5, 1)),
        FakeAccount::new(OTHER, OTHER_PASSWORD)
            .without_two_factor()
            .library(FakeLibrary::generated(6, 2)),
    ]);
    let smtp = SmtpServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let mut cmd = command(Some(&fake));
    smtp.point_at(&mut cmd);
    cmd.args(["--smtp-no-tls", "--notification-email", ADMIN])
        .args(["--cookie-directory", tmp.path().to_str().unwrap()])
        .args(["--folder-structure", "none", "--skip-live-photos"])
        .args(["-u", USER, "-p", PASSWORD, "-d", a.to_str().unwrap()])
        .args(["-u", OTHER, "-p", OTHER_PASSWORD, "-d", b.to_str().unwrap()]);
    let out = cmd.output().unwrap();
    let text = stdout(&out);
    let mails = smtp.finish();

    assert_eq!(out.status.code(), Some(EXIT_MFA), "{text}");
    assert!(
        text.contains(&format!(
            "Error processing user {USER}, continuing with next user..."
        )),
        "{text}"
    );
    let users: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split("Processing user: ").nth(1))
        .collect();
    assert_eq!(users, [USER, OTHER], "{text}");
    // The first account downloaded nothing, the second everything.
    assert_eq!(files_in(&a), 0, "{text}");
    let listed = fake.expected_listing(OTHER, "PrimarySync", None).len();
    assert!(listed > 0);
    assert_eq!(files_in(&b), listed, "{text}");
    // One mail, about the first account.
    let [mail] = mails.as_slice() else {
        panic!("expected one mail, got {mails:#?}\n{text}");
    };
    assert_eq!(mail.rcpt_tos, [ADMIN]);
    assert!(
        mail.data.contains(&format!(
            "{USER}'s two-step authentication has expired for the icloud_photos_downloader script."
        )),
        "{mail:#?}"
    );
    assert!(!mail.data.contains(OTHER), "{mail:#?}");
}

#[test]
fn the_first_failure_gives_the_exit_status_after_every_account_ran() {
    let fake = crate::fake([
        FakeAccount::new(USER, PASSWORD).without_two_factor(),
        FakeAccount::new(OTHER, OTHER_PASSWORD)
            .without_two_factor()
            .library(FakeLibrary::generated(3, 3)),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path().join("b");
    let out = command(Some(&fake))
        .args(["--cookie-directory", tmp.path().to_str().unwrap()])
        .args(["--folder-structure", "none", "--skip-live-photos"])
        .args(["-u", USER, "-p", "wrong password", "--auth-only"])
        .args(["-u", OTHER, "-p", OTHER_PASSWORD, "-d", b.to_str().unwrap()])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Invalid email/password combination."),
        "{text}"
    );
    let listed = fake.expected_listing(OTHER, "PrimarySync", None).len();
    assert_eq!(files_in(&b), listed, "{text}");
}
