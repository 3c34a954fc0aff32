//! A round trip through the Secret Service, the store Python icloudpd uses on Linux, served by
//! a GNOME Keyring daemon on a private D-Bus session bus.

#![cfg(target_os = "linux")]

use std::process::Command;

use super::{parts, run, unique_username};

/// Starts an unlocked keyring whose files live in `$HOME`, then saves, deletes and deletes
/// again. Each step prints its exit code so the test can tell them apart.
const SCRIPT: &str = r#"
printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 90
echo y | "$ICLOUD" --username "$APPLE_ID" --password "$PASSWORD"; echo "rc=$?"
"$ICLOUD" --username "$APPLE_ID" --delete-from-keyring; echo "rc=$?"
"$ICLOUD" --username "$APPLE_ID" --delete-from-keyring; echo "rc=$?"
"#;

/// Fails, saying how to install them, without `dbus-run-session` and `gnome-keyring-daemon`
/// (Debian packages `dbus`, `gnome-keyring`; `.ci/run` installs them).
fn require_tools() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{tool} is missing: install the Debian packages dbus and gnome-keyring \
             (apt-get install --no-install-recommends dbus gnome-keyring)"
        );
    }
}

#[test]
fn save_and_delete_through_gnome_keyring() {
    require_tools();
    let home = tempfile::tempdir().expect("temp home");
    let runtime = tempfile::tempdir().expect("temp runtime dir");
    let user = unique_username("secret-service");
    let mut command = Command::new("dbus-run-session");
    command
        .args(["--", "sh", "-c", SCRIPT])
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("ICLOUD", env!("CARGO_BIN_EXE_icloud"))
        .env("APPLE_ID", &user)
        .env("PASSWORD", "hunter2");
    let (code, stdout, stderr) = parts(&run(command, "", Some("secret-service")));
    assert_ne!(code, 90, "gnome-keyring-daemon did not start: {stderr}");
    assert_eq!(
        stdout,
        format!(
            "Save password in keyring? (y/N) \nPassword saved in keyring for {user}\nrc=0\n\
             Password delete from keyring\nrc=0\nrc=1\n"
        ),
        "stderr: {stderr}"
    );
    assert!(stderr.contains(&format!(
        "icloud: error: No password stored in keyring for {user}\n"
    )));
    assert!(!stdout.contains("hunter2") && !stderr.contains("hunter2"));
}

/// The platform default picks the Secret Service when one runs, as Python's keyring does, and
/// then writes no keyring file and says nothing about one.
#[test]
fn platform_default_uses_a_running_secret_service() {
    require_tools();
    let home = tempfile::tempdir().expect("temp home");
    let runtime = tempfile::tempdir().expect("temp runtime dir");
    let user = unique_username("platform");
    let mut command = Command::new("dbus-run-session");
    command
        .args(["--", "sh", "-c", SCRIPT])
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("XDG_DATA_HOME")
        .env("ICLOUD", env!("CARGO_BIN_EXE_icloud"))
        .env("APPLE_ID", &user)
        .env("PASSWORD", "hunter2");
    let (code, stdout, stderr) = parts(&run(command, "", None));
    assert_ne!(code, 90, "gnome-keyring-daemon did not start: {stderr}");
    assert_eq!(
        stdout,
        format!(
            "Save password in keyring? (y/N) \nPassword saved in keyring for {user}\nrc=0\n\
             Password delete from keyring\nrc=0\nrc=1\n"
        ),
        "stderr: {stderr}"
    );
    assert!(!stderr.contains("No Secret Service"), "{stderr}");
    assert!(!home.path().join(".local/share/python_keyring").exists());
}
