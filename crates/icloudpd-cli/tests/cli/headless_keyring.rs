//! The keyring password provider on a headless Linux box: no D-Bus session, so no Secret
//! Service, and the platform keyring is Python keyrings.alt's file
//! `~/.local/share/python_keyring/keyring_pass.cfg`, as for Python icloudpd.
//!
//! The chain `icloud --username X` (answer y) → `icloudpd -u X --password-provider keyring` runs
//! both real binaries; the real Python keyring is run both ways against `icloudpd` itself.
//!
//! Every run gets its own `HOME`, an empty `XDG_RUNTIME_DIR`, no `DBUS_SESSION_BUS_ADDRESS`,
//! no `XDG_DATA_HOME` and no `ICLOUD_KEYRING_BACKEND` (the platform default).

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use icloud_auth::{ExposeSecret, KeyringPasswordStore};
use icloud_fake::{FakeAccount, FakeICloud};

use crate::{cookie_dir, stderr, stdout};

const USER: &str = "headless@example.com";
/// Escaped and multi-byte characters in the file.
const PASSWORD: &str = "pä:s=[m]od+/.@ 🔑";

/// A temporary home with no Secret Service in reach.
struct Headless {
    home: tempfile::TempDir,
    runtime: tempfile::TempDir,
    cookies: tempfile::TempDir,
}

impl Headless {
    fn new() -> Self {
        Headless {
            home: tempfile::tempdir().unwrap(),
            runtime: tempfile::tempdir().unwrap(),
            cookies: tempfile::tempdir().unwrap(),
        }
    }

    /// Where Python keyring keeps its file in this home.
    fn keyring_file(&self) -> PathBuf {
        self.home
            .path()
            .join(".local/share/python_keyring/keyring_pass.cfg")
    }

    fn env(&self, command: &mut Command) {
        command
            .env("HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("PYTHON_KEYRING_BACKEND")
            .env_remove("ICLOUD_KEYRING_BACKEND");
    }

    /// Runs `icloudpd -u USER --auth-only` against `fake` with the given provider options.
    fn auth_only(&self, fake: &FakeICloud, user: &str, providers: &[&str]) -> Output {
        let mut command = crate::command(Some(fake));
        self.env(&mut command);
        command
            .args(["-u", user, "--auth-only", "--cookie-directory"])
            .arg(cookie_dir(self.cookies.path()))
            .args(providers)
            .output()
            .unwrap()
    }

    /// Runs the real Python keyring (icloudpd 1.32.3's venv) with `script` and `args`, after
    /// checking that it chose the plain-text file, as we did; returns its stdout.
    fn python(&self, script: &str, args: &[&str]) -> String {
        let mut command = Command::new(crate::python::python());
        command
            .arg("-c")
            .arg(format!("{PYTHON_CHECK}{script}"))
            .args(args)
            .stdin(Stdio::null());
        self.env(&mut command);
        let out = command.output().expect("run the venv's python");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "python failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }
}

const PYTHON_CHECK: &str = "\
import sys, keyring
backend = type(keyring.get_keyring())
assert backend.__module__ + '.' + backend.__name__ == 'keyrings.alt.file.PlaintextKeyring', backend
";

fn signed_in(out: &Output) {
    let text = stdout(out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(out));
    assert!(
        text.contains("Authentication completed successfully"),
        "{text}"
    );
}

fn fake() -> FakeICloud {
    crate::fake([FakeAccount::new(USER, PASSWORD).without_two_factor()])
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The `icloud` binary, built next to `icloudpd` by `cargo test --workspace` (the
/// `icloud-keyring-cli` package; a binary of another package has no `CARGO_BIN_EXE_*`).
fn icloud_binary() -> PathBuf {
    let icloudpd = Path::new(env!("CARGO_BIN_EXE_icloudpd"));
    let icloud = icloudpd.with_file_name(format!("icloud{}", std::env::consts::EXE_SUFFIX));
    assert!(
        icloud.is_file(),
        "{} is missing: build it with `cargo build -p icloud-keyring-cli` (`cargo test \
         --workspace` builds it before running the tests)",
        icloud.display()
    );
    icloud
}

/// The acceptance test: on a headless box, `icloud --username X` stores the password
/// (in Python's keyring file), then `icloudpd --password-provider keyring` signs in with it.
#[test]
fn icloudpd_signs_in_with_the_password_icloud_saved_without_a_secret_service() {
    let machine = Headless::new();
    let mut icloud = Command::new(icloud_binary());
    machine.env(&mut icloud);
    icloud.args(["--username", USER, "--password", PASSWORD]);
    let out = crate::run(icloud, Some("y\n"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("No Secret Service is running; the password is stored in"),
        "{}",
        stderr(&out)
    );
    assert_eq!(mode(&machine.keyring_file()), 0o600);
    let fake = fake();

    let out = machine.auth_only(&fake, USER, &["--password-provider", "keyring"]);

    signed_in(&out);
    assert_eq!(fake.count("POST", "/signin/complete"), 1);
    assert!(!stdout(&out).contains(PASSWORD) && !stderr(&out).contains(PASSWORD));

    // Someone with no stored password gets no sign-in from the keyring.
    let other = crate::fake([FakeAccount::new("other@example.com", "x").without_two_factor()]);
    let out = machine.auth_only(
        &other,
        "other@example.com",
        &["--password-provider", "keyring"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(other.count("POST", "/signin/complete"), 0);
}

/// A password that worked is saved to the platform keyring, here the file, where the real
/// Python keyring finds it.
#[test]
fn a_password_that_worked_is_saved_where_python_finds_it() {
    let machine = Headless::new();
    let fake = fake();
    let providers = [
        "--password-provider",
        "parameter",
        "--password-provider",
        "keyring",
        "--password",
        PASSWORD,
    ];

    signed_in(&machine.auth_only(&fake, USER, &providers));

    let file = machine.keyring_file();
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let found = machine.python(
        "sys.stdout.write(keyring.get_password('pyicloud://icloud-password', sys.argv[1]))",
        &[USER],
    );
    assert_eq!(found, PASSWORD);
}

/// A password the real Python keyring stored (as Python icloudpd or its `icloud` tool would)
/// signs our `icloudpd` in.
#[test]
fn icloudpd_signs_in_with_a_password_python_stored() {
    let machine = Headless::new();
    machine.python(
        "keyring.set_password('pyicloud://icloud-password', sys.argv[1], sys.argv[2])",
        &[USER, PASSWORD],
    );
    assert_eq!(mode(&machine.keyring_file()), 0o600);
    let found = KeyringPasswordStore::with_file(machine.keyring_file())
        .get(USER)
        .unwrap()
        .expect("Python's entry");
    assert_eq!(found.expose_secret(), PASSWORD);
    let fake = fake();

    signed_in(&machine.auth_only(&fake, USER, &["--password-provider", "keyring"]));
    assert_eq!(fake.count("POST", "/signin/complete"), 1);
}
