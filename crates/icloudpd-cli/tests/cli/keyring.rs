//! The `keyring` password provider against a real OS keyring (the Linux kernel keyring).

use icloud_auth::{ExposeSecret, KeyringBackend, KeyringPasswordStore};
use icloud_fake::{FakeAccount, FakeICloud};

use crate::{cookie_dir, stdout};

fn run(fake: &FakeICloud, args: &[&str]) -> std::process::Output {
    let url = fake.base_url();
    std::process::Command::new(env!("CARGO_BIN_EXE_icloudpd"))
        .args(args)
        .env("ICLOUD_AUTH_ENDPOINT", &url)
        .env("ICLOUD_SETUP_ENDPOINT", &url)
        .env("ICLOUD_HOME_ENDPOINT", &url)
        .env("ICLOUD_KEYRING_BACKEND", "keyutils")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_password_that_worked_is_saved_and_found_in_the_keyring() {
    let user = format!("kr-{}@example.com", std::process::id());
    let store = KeyringPasswordStore::with_backend(KeyringBackend::KernelKeyutils).expect(
        "the kernel keyring (keyctl syscalls) must be usable; in Docker allow them with --security-opt seccomp=unconfined",
    );
    let _ = store.delete(&user);
    let fake = crate::fake([FakeAccount::new(&user, "kr-pass").without_two_factor()]);
    let dir = tempfile::tempdir().unwrap();
    let d = cookie_dir(dir.path());

    let out = run(
        &fake,
        &[
            "--password-provider",
            "parameter",
            "--password-provider",
            "keyring",
            "-u",
            &user,
            "-p",
            "kr-pass",
            "--auth-only",
            "--cookie-directory",
            &d,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let saved = store.get(&user).unwrap().expect("the password was saved");
    assert_eq!(saved.expose_secret(), "kr-pass");

    // A new run that must sign in again finds the password in the keyring alone.
    fake.expire_web_sessions();
    let out = run(
        &fake,
        &[
            "--password-provider",
            "keyring",
            "-u",
            &user,
            "--auth-only",
            "--cookie-directory",
            &d,
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(fake.count("POST", "/signin/complete"), 2, "{text}");
    assert!(store.delete(&user).unwrap());

    // Without it, no provider has a password: a clear error, not a hang or crash.
    fake.expire_web_sessions();
    let out = run(
        &fake,
        &[
            "--password-provider",
            "keyring",
            "-u",
            &user,
            "--auth-only",
            "--cookie-directory",
            &d,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!("No password available for {user}")),
        "{}",
        stdout(&out)
    );
}
