//! Round trips through the Linux kernel keyring (`ICLOUD_KEYRING_BACKEND=keyutils`).

#![cfg(target_os = "linux")]

use icloud_auth::{ExposeSecret, KeyringBackend, KeyringPasswordStore};

use super::{icloud, parts, unique_username};

const BACKEND: Option<&str> = Some("keyutils");

/// Returns the kernel-keyring store, failing the test with what to do when it is unusable.
fn kernel_keyring() -> KeyringPasswordStore {
    let store = KeyringPasswordStore::with_backend(
        KeyringBackend::KernelKeyutils,
        &icloud_auth::KeyringEnvironment::new(),
    )
    .expect("keyutils backend exists on Linux");
    if let Err(e) = store.get(&unique_username("probe")) {
        panic!(
            "the Linux kernel keyring is not usable here ({e}). These tests need the keyctl, \
             add_key and request_key system calls: a kernel built with CONFIG_KEYS and \
             CONFIG_PERSISTENT_KEYRINGS, and, in a container, a seccomp profile that allows \
             them (Docker's default profile blocks them: run with \
             --security-opt seccomp=unconfined or a profile that allows the three calls)"
        );
    }
    store
}

/// Removes the entry when the test ends, passed or not.
struct Cleanup<'a>(&'a KeyringPasswordStore, &'a str);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let _ = self.0.delete(self.1);
    }
}

#[test]
fn save_find_delete_and_delete_again() {
    let store = kernel_keyring();
    let user = unique_username("roundtrip");
    let _cleanup = Cleanup(&store, &user);
    let password = "correct horse battery staple";

    let (code, stdout, stderr) = parts(&icloud(
        &["--username", &user, "--password", password],
        "y\n",
        BACKEND,
    ));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("Save password in keyring? (y/N) \nPassword saved in keyring for {user}\n")
    );
    assert!(!stdout.contains(password) && !stderr.contains(password));

    // Another process (this one) finds it, through the user's persistent keyring.
    let found = store
        .get(&user)
        .expect("read back")
        .expect("password was saved");
    assert_eq!(found.expose_secret(), password);

    let (code, stdout, stderr) = delete_from_keyring(&user);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "Password delete from keyring\n"),
        "{stderr}"
    );
    assert!(store.get(&user).expect("read after delete").is_none());

    let (code, stdout, stderr) = delete_from_keyring(&user);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        format!("icloud: error: No password stored in keyring for {user}\n")
    );
}

#[test]
fn no_and_non_interactive_save_nothing() {
    let store = kernel_keyring();
    let user = unique_username("declined");
    let _cleanup = Cleanup(&store, &user);
    let args = ["--username", user.as_str(), "--password", "hunter2"];

    for answer in ["n\n", "\n", ""] {
        let (code, stdout, stderr) = parts(&icloud(&args, answer, BACKEND));
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.ends_with("Password not saved in keyring\n"),
            "{answer:?}: {stdout}"
        );
        assert!(store.get(&user).expect("read").is_none(), "{answer:?}");
    }

    let (code, stdout, stderr) = parts(&icloud(&[&args[..], &["-n"]].concat(), "y\n", BACKEND));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "Password not saved in keyring (--non-interactive)\n"
    );
    assert!(store.get(&user).expect("read").is_none());
}

#[test]
fn the_tool_deletes_what_the_library_stored() {
    let store = kernel_keyring();
    let user = unique_username("library");
    let _cleanup = Cleanup(&store, &user);
    store.set(&user, &"from the library".into()).expect("store");

    let (code, stdout, stderr) = delete_from_keyring(&user);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "Password delete from keyring\n"),
        "{stderr}"
    );
    assert!(store.get(&user).expect("read").is_none());
}

/// Runs `icloud --username USER --delete-from-keyring` on the kernel keyring.
fn delete_from_keyring(user: &str) -> (i32, String, String) {
    parts(&icloud(
        &["--username", user, "--delete-from-keyring"],
        "",
        BACKEND,
    ))
}
