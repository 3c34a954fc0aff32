//! A password Apple refused is never sent again in the same process, whichever provider gives
//! it, watch mode included (issue 12, item 8): each run of `--watch-with-interval` signs in
//! anew once the session expired, and used to send the keyring's wrong password every time
//! until Apple locked the account.

use std::path::{Path, PathBuf};
use std::process::Command;

use icloud_auth::{KeyringPasswordStore, SecretString};
use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};

use crate::live::{PATIENCE, Running, http, wait_status, wait_until};
use crate::{PASSWORD, USER, command, fake};

const WRONG: &str = "not the password";

fn account() -> FakeICloud {
    fake([FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .library(FakeLibrary::generated(2, 1))])
}

/// `icloudpd --watch-with-interval 1` for `USER` with a keyring file under `home` and `args`.
fn watch(fake: &FakeICloud, home: &Path, args: &[&str]) -> Command {
    let mut cmd = command(Some(fake));
    cmd.env("ICLOUD_KEYRING_BACKEND", "file")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .args([
            "--watch-with-interval",
            "1",
            "-u",
            USER,
            "--cookie-directory",
        ])
        .arg(home.join("cookies"))
        .arg("-d")
        .arg(home.join("photos"))
        .args(args);
    cmd
}

/// The keyring file `watch` makes the program use.
fn keyring(home: &Path) -> KeyringPasswordStore {
    let file: PathBuf = home.join("data/python_keyring/keyring_pass.cfg");
    KeyringPasswordStore::with_file(file)
}

fn sign_ins(fake: &FakeICloud) -> usize {
    fake.count("POST", "/signin/complete")
}

#[test]
fn a_refused_password_parameter_is_sent_once_then_the_watch_stops() {
    let fake = account();
    let home = tempfile::tempdir().unwrap();
    let cmd = watch(
        &fake,
        home.path(),
        &["--password-provider", "parameter", "-p", WRONG],
    );
    let (code, output) = Running::spawn(cmd).finish();
    assert_eq!(code, Some(1), "{output}");
    assert_eq!(sign_ins(&fake), 1, "{output}");
    assert_eq!(
        output
            .matches("Invalid email/password combination.")
            .count(),
        1,
        "{output}"
    );
    assert!(
        output.contains(&format!(
            "Apple refused the password given with --password for {USER}, so it is not sent again. Restart icloudpd with the right one"
        )),
        "{output}"
    );
    assert!(output.contains("Waiting for 1 sec..."), "{output}");
    assert!(
        output.contains("No user can be processed until the account holder acts; stopping"),
        "{output}"
    );
    assert!(!output.contains(WRONG), "{output}");
}

#[test]
fn a_refused_keyring_password_is_not_sent_again_until_the_keyring_holds_another() {
    let fake = account();
    let home = tempfile::tempdir().unwrap();
    keyring(home.path())
        .set(USER, &SecretString::from(WRONG))
        .unwrap();
    let cmd = watch(&fake, home.path(), &["--password-provider", "keyring"]);
    let mut running = Running::spawn(cmd);

    // Four runs: the first sends the keyring's password, the next three do not.
    running.wait_for_nth("Apple refused the password stored in the keyring", 3);
    assert_eq!(sign_ins(&fake), 1);
    let line = running.wait_for("Apple refused the password stored in the keyring");
    assert!(
        line.contains(&format!(
            "Store the right one with `icloud --username {USER}`"
        )),
        "{line}"
    );

    // The right one stored while the program waits is read at the next run.
    keyring(home.path())
        .set(USER, &SecretString::from(PASSWORD))
        .unwrap();
    running.wait_for("Summary: ");
    assert_eq!(sign_ins(&fake), 2);
}

#[test]
fn with_the_web_ui_a_refused_parameter_is_skipped_in_later_runs_and_the_page_asked() {
    let fake = account();
    let home = tempfile::tempdir().unwrap();
    let cmd = watch(
        &fake,
        home.path(),
        &[
            "--password-provider",
            "parameter",
            "--password-provider",
            "webui",
            "-p",
            WRONG,
            "--webui-port",
            "0",
        ],
    );
    let mut running = Running::spawn(cmd);
    let addr = running.web_addr();

    wait_status(addr, "need_password");
    assert_eq!(sign_ins(&fake), 1);
    let (code, body) = http(addr, "POST", "/password", &[("password", PASSWORD)]);
    assert_eq!(code, 200, "{body}");
    running.wait_for("Waiting for 1 sec...");
    assert_eq!(sign_ins(&fake), 2);

    // The session expires: the next run needs a password again. `--password` still holds the
    // refused one, so the page is asked and Apple is not.
    fake.expire_web_sessions();
    wait_status(addr, "need_password");
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(sign_ins(&fake), 2);
    let (code, body) = http(addr, "POST", "/password", &[("password", PASSWORD)]);
    assert_eq!(code, 200, "{body}");
    let third = wait_until(PATIENCE, || (sign_ins(&fake) == 3).then_some(()));
    assert!(third.is_some(), "the password typed in the page is sent");
}

#[test]
fn the_same_wrong_password_typed_again_at_the_console_is_not_sent() {
    let fake = account();
    let home = tempfile::tempdir().unwrap();
    let answers = home.path().join("stdin");
    std::fs::write(&answers, format!("{WRONG}\n{WRONG}\n{PASSWORD}\n")).unwrap();
    let mut cmd = watch(&fake, home.path(), &["--password-provider", "console"]);
    cmd.stdin(std::fs::File::open(&answers).unwrap());
    let mut running = Running::spawn(cmd);

    running.wait_for("Apple refused this password before, so it is not sent again. Try again");
    running.wait_for("Summary: ");
    assert_eq!(sign_ins(&fake), 2, "the wrong one once, then the right one");
}
