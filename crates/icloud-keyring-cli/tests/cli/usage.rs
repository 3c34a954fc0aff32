//! Help, version and argument errors: no keyring is touched.

use super::{icloud, parts};

#[test]
fn help_says_what_the_tool_does_and_does_not() {
    let (code, stdout, stderr) = parts(&icloud(&["--help"], "", None));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("pyicloud://icloud-password"), "{stdout}");
    assert!(stdout.contains("does not sign in to Apple"), "{stdout}");
    assert!(stdout.contains("ICLOUD_KEYRING_BACKEND"), "{stdout}");
    for flag in [
        "--username",
        "--password",
        "--non-interactive",
        "--delete-from-keyring",
        "--domain",
    ] {
        assert!(stdout.contains(flag), "{flag} missing from\n{stdout}");
    }
}

#[test]
fn version() {
    let (code, stdout, _) = parts(&icloud(&["--version"], "", None));
    assert_eq!(code, 0);
    assert_eq!(stdout, format!("icloud {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn no_username_is_a_usage_error() {
    for args in [
        &[][..],
        &["--username", "  "],
        &["--password", "x", "--delete-from-keyring"],
    ] {
        let (code, stdout, stderr) = parts(&icloud(args, "", Some("mock")));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert_eq!(stdout, "");
        assert!(stderr.starts_with("Usage: icloud"), "{stderr}");
        assert!(
            stderr.ends_with("\nicloud: error: No username supplied\n"),
            "{stderr}"
        );
    }
}

#[test]
fn unsupported_domain() {
    let (code, _, stderr) = parts(&icloud(
        &["--username", "a@b.c", "--domain", "fr"],
        "",
        None,
    ));
    assert_eq!(code, 2);
    assert!(
        stderr.ends_with("icloud: error: Domain 'fr' is not supported yet\n"),
        "{stderr}"
    );
}

#[test]
fn unknown_backend_is_named() {
    let args = ["--username", "a@b.c", "--password", "p"];
    let (code, stdout, stderr) = parts(&icloud(&args, "y\n", Some("kwallet")));
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "icloud: error: ICLOUD_KEYRING_BACKEND: unknown keyring backend 'kwallet' \
         (expected platform, secret-service, keyutils, file or mock)\n"
    );
}

#[test]
fn unknown_flag_is_rejected_by_the_parser() {
    let (code, _, stderr) = parts(&icloud(&["--username", "a", "--bogus"], "", None));
    assert_eq!(code, 2);
    assert!(stderr.contains("--bogus"), "{stderr}");
}

/// Without `--password` and without a terminal there is nothing to ask on. `setsid` runs the
/// tool in a new session with no controlling terminal, so this also holds when the tests run
/// in one.
#[cfg(target_os = "linux")]
#[test]
fn no_password_and_no_terminal() {
    let mut command = std::process::Command::new("setsid");
    command.args([
        "--wait",
        env!("CARGO_BIN_EXE_icloud"),
        "--username",
        "a@b.c",
        "--password",
        " ",
    ]);
    let (code, stdout, stderr) = parts(&super::run(command, "", Some("mock")));
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("icloud: error: No password supplied\n"),
        "{stderr}"
    );
    assert!(stderr.contains("give it with --password"), "{stderr}");
}

#[test]
fn mock_backend_keeps_nothing_between_runs() {
    let args = ["--username", "a@b.c", "--password", "hunter2"];
    let (code, stdout, stderr) = parts(&icloud(&args, "yes\n", Some("mock")));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("Password saved in keyring for a@b.c\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2") && !stderr.contains("hunter2"));
    let (code, _, stderr) = parts(&icloud(
        &["--username", "a@b.c", "--delete-from-keyring"],
        "",
        Some("mock"),
    ));
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "icloud: error: No password stored in keyring for a@b.c\n"
    );
}
