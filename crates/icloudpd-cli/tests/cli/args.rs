//! Argument handling: help, version, validation messages and exit codes.

use crate::{icloudpd, stderr, stdout};

#[test]
fn help_shows_the_three_option_groups() {
    for args in [&["--help"][..], &["-h"], &[]] {
        let out = icloudpd(None, args, None);
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        assert!(
            text.starts_with(
                "usage: icloudpd [GLOBAL] [COMMON] [<USER> [COMMON] <USER> [COMMON] ...]"
            ),
            "{text}"
        );
        assert!(
            text.contains("USER options. Can be specified for setting user configuration only.")
        );
    }
}

#[test]
fn version_names_this_implementation_and_its_commit() {
    let out = icloudpd(None, &["--version"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    let expected = format!("icloudpd-rs {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected), "{text}");
    assert!(
        text.contains("a Rust reimplementation of icloudpd 1.32"),
        "{text}"
    );
    // Built from a git checkout, the commit is known.
    let sha = text[expected.len()..]
        .split([',', ')'])
        .next()
        .unwrap_or_default();
    assert!(
        sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
        "no commit in {text}"
    );
}

#[test]
fn each_user_needs_a_directory_or_auth_only() {
    let out = icloudpd(None, &["-u", "a@b.c", "-p", "x"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout(&out).trim(),
        "--auth-only, --directory, --list-libraries, or --list-albums are required for each configuration"
    );
}

#[test]
fn invalid_choices_exit_2_with_argparses_words() {
    let out = icloudpd(
        None,
        &["--log-level", "warn", "-u", "a", "--auth-only"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout(&out).trim(),
        "argument --log-level: invalid choice: 'warn' (choose from 'debug', 'info', 'error')"
    );
}

#[test]
fn unrecognized_arguments_exit_2_on_stderr() {
    let out = icloudpd(None, &["-p", "secret", "-u", "a", "--auth-only"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("icloudpd: error: unrecognized arguments: -p secret"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_user_does_nothing_and_says_so_on_stderr() {
    let out = icloudpd(None, &["-d", "/nonexistent"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out).trim(),
        "icloudpd: No --username (or ICLOUDPD_USERNAME) was given, so there is nothing to do. See icloudpd --help"
    );
}
