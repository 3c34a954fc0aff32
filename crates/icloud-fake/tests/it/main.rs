//! HTTP-level tests of the fake, over real loopback sockets.

mod changes;
mod client;
mod cloudkit;
mod downloads;
mod faults;
mod https;
mod knobs_2026;
mod knobs_adp;
mod lookup;
mod paging;
mod photo_faults;
mod random_faults;
mod shared_albums;
mod signin;
mod two_factor;
mod two_step;
mod web_session;

use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};

/// Apple ID used by most tests.
pub const ID: &str = "jdoe@gmail.com";
/// Its password.
pub const PW: &str = "password1";

/// Returns a fake with one account, cheap PBKDF2 so tests stay fast, tweaked by `f`.
pub fn fake_with(f: impl FnOnce(FakeAccount) -> FakeAccount) -> FakeICloud {
    FakeICloud::builder()
        .account(f(FakeAccount::new(ID, PW).iterations(1000)))
        .start()
        .expect("fake starts")
}

/// Returns a fake whose one account (no 2FA) has `library` as PrimarySync, tweaked by `f`.
pub fn photos_fake_with(
    library: FakeLibrary,
    f: impl FnOnce(FakeAccount) -> FakeAccount,
) -> FakeICloud {
    fake_with(|a| f(a.without_two_factor().library(library)))
}

/// Returns a fake whose one account (no 2FA) has `library` as PrimarySync.
pub fn photos_fake(library: FakeLibrary) -> FakeICloud {
    photos_fake_with(library, |a| a)
}

/// Returns a client signed in to `fake`'s account, holding the web cookies.
pub fn ck_client(fake: &FakeICloud) -> client::Client {
    client::Client::signed_in(&fake.base_url(), ID, PW)
}

/// Fails when a `.rs` file in this directory is not declared as a module (jj's guard).
#[test]
fn no_forgotten_test_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("main.rs");
    for entry in std::fs::read_dir(&dir).expect("dir") {
        let path = entry.expect("entry").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.extension().is_some_and(|e| e == "rs") && stem != "main" {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/it/{stem}.rs is not declared in main.rs"
            );
        }
    }
}

/// The binary prints exactly its URL and serves until stdin closes.
#[test]
fn binary_prints_url_and_serves() {
    let (mut child, url) = spawn_binary(&[
        "--account",
        "a@b.c:pw",
        "--fixed-code",
        "123456",
        "--exit-on-stdin-close",
    ]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let mut c = client::Client::new(&url);
    assert_eq!(
        c.setup("POST", "validate", Some(serde_json::Value::Null))
            .status,
        421
    );
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("exit");
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("POST /setup/ws/1/validate 421"), "{log}");
}

/// `--library`, `--shared-library`, `--latency-ms` and `--quiet`.
#[test]
fn binary_serves_a_generated_library_quietly() {
    let (mut child, url) = spawn_binary(&[
        "--account",
        "a@b.c:pw",
        "--no-2fa",
        "--library",
        "250",
        "--seed",
        "7",
        "--shared-library",
        "--latency-ms",
        "1",
        "--quiet",
        "--exit-on-stdin-close",
    ]);
    let mut c = client::Client::signed_in(&url, "a@b.c", "pw");
    let zones = c.ck("private", "zones/list", &serde_json::json!({})).json();
    assert_eq!(zones["zones"].as_array().map(Vec::len), Some(2));
    let whole = paging::smart(None);
    let n = paging::count(&mut c, "private", "PrimarySync", &whole);
    assert!(n > 200 && n < 250, "{n}");
    let listed = paging::list_all(&mut c, "private", "PrimarySync", &whole, 200);
    assert_eq!(listed.len() as u64, n);
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("exit");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "--quiet");
}

/// Starts the `icloud-fake` binary with `args`; returns it and the URL it printed first.
fn spawn_binary(args: &[&str]) -> (std::process::Child, String) {
    let (child, mut stdout) = spawn_binary_with_stdout(args);
    let line = read_line(&mut stdout);
    (child, line)
}

/// Starts the `icloud-fake` binary with `args`; returns it and its buffered stdout.
pub fn spawn_binary_with_stdout(
    args: &[&str],
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_icloud-fake"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    (child, stdout)
}

/// Reads one line, without its line end.
pub fn read_line(reader: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("line");
    line.trim_end().to_owned()
}
