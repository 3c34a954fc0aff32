//! Tests of the real `icloudpd` binary against `icloud-fake` over loopback HTTP.

mod accounts;
mod apple_2026;
mod apple_hosts;
mod args;
mod auth_only;
mod download;
mod front_end;
mod headless_keyring;
mod keyring;
mod kill;
mod live;
mod locks;
mod misbehaving_servers;
mod modes;
mod notify;
mod providers;
mod python;
mod refused_passwords;
mod service;
mod webui;
mod webui_network;

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use icloud_fake::{FakeAccount, FakeICloud};

pub const USER: &str = "jdoe@gmail.com";
pub const PASSWORD: &str = "password1";

pub fn fake(accounts: impl IntoIterator<Item = FakeAccount>) -> FakeICloud {
    let mut b = FakeICloud::builder();
    for a in accounts {
        b = b.account(a);
    }
    b.start().expect("fake starts")
}

/// Returns an `icloudpd` command with none of the variables that would change what it does
/// (`ICLOUDPD_*` options, `RUST_LOG`, `CLIENT_ID`) inherited from the test's environment.
pub fn bare_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_icloudpd"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ICLOUDPD_") {
            cmd.env_remove(name);
        }
    }
    cmd.env_remove("RUST_LOG").env_remove("CLIENT_ID");
    cmd
}

/// Returns an `icloudpd` command pointed at `fake` (if any), with output captured and the mock
/// keyring, so no test touches a real keyring unless it asks for one.
pub fn command(fake: Option<&FakeICloud>) -> Command {
    let mut cmd = bare_command();
    cmd.env("ICLOUD_KEYRING_BACKEND", "mock")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    if let Some(f) = fake {
        let url = f.base_url();
        cmd.env("ICLOUD_AUTH_ENDPOINT", &url)
            .env("ICLOUD_SETUP_ENDPOINT", &url)
            .env("ICLOUD_HOME_ENDPOINT", &url);
    }
    cmd
}

/// Runs `icloudpd` with `args`, pointed at `fake` (if any), feeding `stdin` (None = closed).
pub fn icloudpd(fake: Option<&FakeICloud>, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = command(fake);
    cmd.args(args);
    run(cmd, stdin)
}

/// Runs `cmd` to its end with both outputs captured, feeding `stdin` (None: as `cmd` says).
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("the program starts");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // The program may exit before reading; its output tells why.
        let _ = pipe.write_all(input.as_bytes());
    }
    child.wait_with_output().unwrap()
}

/// Returns a loopback port nobody listens on (now).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether a file name is the program's own bookkeeping in a download directory (the
/// unfinished-run marker, the lock), which photo trees leave out.
pub fn is_bookkeeping(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(".icloudpd"))
}

/// The files under `dir` (not the program's bookkeeping) with their sizes, sorted by path.
pub fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if !is_bookkeeping(&p) {
                found.push((p, entry.metadata().unwrap().len()));
            }
        }
    }
    found.sort();
    found
}

pub fn cookie_dir(dir: &Path) -> String {
    dir.to_str().unwrap().to_owned()
}

#[test]
fn every_test_module_is_included() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".rs")
            && stem != "main"
        {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/cli/{name} is not included in main.rs"
            );
        }
    }
}
