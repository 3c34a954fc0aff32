//! The `keyring` password provider against a real OS keyring (the Linux kernel keyring).

use icloud_auth::{ExposeSecret, KeyringBackend, KeyringPasswordStore};
use std::process::Output;

use icloud_fake::{FakeAccount, FakeICloud};

use crate::{cookie_dir, stdout};

/// Runs `icloudpd --auth-only` for `user` with the kernel keyring as its keyring.
fn auth_only(fake: &FakeICloud, dir: &str, user: &str, extra: &[&str]) -> Output {
    crate::command(Some(fake))
        .env("ICLOUD_KEYRING_BACKEND", "keyutils")
        .args(["-u", user, "--auth-only", "--cookie-directory", dir])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_password_that_worked_is_saved_and_found_in_the_keyring() {
    let user = format!("kr-{}@example.com", std::process::id());
    let store = KeyringPasswordStore::with_backend(
        KeyringBackend::KernelKeyutils,
        &icloud_auth::KeyringEnvironment::new(),
    ).expect(
        "the kernel keyring (keyctl syscalls) must be usable; in Docker allow them with --security-opt seccomp=unconfined",
    );
    let _ = store.delete(&user);
    let fake = crate::fake([FakeAccount::new(&user, "kr-pass").without_two_factor()]);
    let dir = tempfile::tempdir().unwrap();
    let d = cookie_dir(dir.path());

    let providers = [
        "--password-provider",
        "parameter",
        "--password-provider",
        "keyring",
    ];
    let out = auth_only(
        &fake,
        &d,
        &user,
        &[&providers[..], &["-p", "kr-pass"]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let saved = store.get(&user).unwrap().expect("the password was saved");
    assert_eq!(saved.expose_secret(), "kr-pass");

    // A new run that must sign in again finds the password in the keyring alone.
    fake.expire_web_sessions();
    let out = auth_only(&fake, &d, &user, &["--password-provider", "keyring"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(fake.count("POST", "/signin/complete"), 2, "{text}");
    assert!(store.delete(&user).unwrap());

    // Without it, no provider has a password: a clear error, not a hang or crash.
    fake.expire_web_sessions();
    let out = auth_only(&fake, &d, &user, &["--password-provider", "keyring"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!("No password available for {user}")),
        "{}",
        stdout(&out)
    );
}
