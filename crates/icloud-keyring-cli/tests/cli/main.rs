//! Tests of the real `icloud` binary: argument handling, and keyring round trips through an
//! actual OS keyring (the Linux kernel keyring; the Secret Service when a daemon can be started;
//! Python keyring's file on a headless box, checked against the real Python keyring).

mod headless;
mod keyutils;
mod secret_service;
mod usage;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs `icloud` with `args`, feeding `stdin`, with `ICLOUD_KEYRING_BACKEND` set to `backend`
/// (or removed).
fn icloud(args: &[&str], stdin: &str, backend: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_icloud"));
    command.args(args);
    run(command, stdin, backend)
}

fn run(mut command: Command, stdin: &str, backend: Option<&str>) -> Output {
    match backend {
        Some(name) => command.env("ICLOUD_KEYRING_BACKEND", name),
        None => command.env_remove("ICLOUD_KEYRING_BACKEND"),
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn icloud");
    let written = child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes());
    // A tool that fails early may exit before reading its input.
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().expect("wait for icloud")
}

/// The exit code, stdout and stderr of a finished run, as text.
fn parts(output: &Output) -> (i32, String, String) {
    (
        output.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// An Apple ID no other test run uses, so runs never see each other's entries.
fn unique_username(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    format!(
        "icloud-cli-test-{tag}-{}-{nanos}@example.com",
        std::process::id()
    )
}

#[test]
fn every_test_file_is_a_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("read main.rs");
    for entry in std::fs::read_dir(&dir).expect("read tests/cli") {
        let path = entry.expect("dir entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs") && stem != "main" {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/cli/{stem}.rs is not declared in main.rs, so it never runs"
            );
        }
    }
}
