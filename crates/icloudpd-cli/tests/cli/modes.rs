//! Run modes: several `--username` sections in one run, watch mode, and a session that
//! expires in the middle of a sync.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary, Fault};

use crate::live::{Running, http};
use crate::{PASSWORD, USER, command, cookie_dir, fake, icloudpd, stdout};

const OTHER: &str = "other@example.com";
const OTHER_PASSWORD: &str = "other password";

fn count_files(dir: &Path) -> usize {
    crate::files_under(dir).len()
}

#[test]
fn each_username_section_syncs_its_own_library_into_its_own_directory() {
    let fake = fake([
        FakeAccount::new(USER, PASSWORD)
            .without_two_factor()
            .library(FakeLibrary::generated(12, 1)),
        FakeAccount::new(OTHER, OTHER_PASSWORD)
            .without_two_factor()
            .library(FakeLibrary::generated(7, 2)),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let cookies = cookie_dir(tmp.path());
    let out = icloudpd(
        Some(&fake),
        &[
            "--cookie-directory",
            &cookies,
            "--skip-live-photos",
            "--folder-structure",
            "none",
            "-u",
            USER,
            "-p",
            PASSWORD,
            "-d",
            a.to_str().unwrap(),
            "-u",
            OTHER,
            "-p",
            OTHER_PASSWORD,
            "-d",
            b.to_str().unwrap(),
            "--recent",
            "3",
        ],
        None,
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    let users: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split("Processing user: ").nth(1))
        .collect();
    assert_eq!(users, [USER, OTHER]);
    let visible = fake.expected_listing(USER, "PrimarySync", None).len();
    assert_eq!(count_files(&a), visible, "{text}");
    // The second section overrides --recent for itself only.
    assert_eq!(count_files(&b), 3, "{text}");
}

#[test]
fn watch_mode_runs_again_after_the_interval() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .library(FakeLibrary::generated(5, 3))]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("photos");
    let log = tmp.path().join("out.log");
    let mut child = command(Some(&fake))
        .args([
            "--cookie-directory",
            &cookie_dir(tmp.path()),
            "--watch-with-interval",
            "1",
            "-u",
            USER,
            "-p",
            PASSWORD,
            "-d",
            dir.to_str().unwrap(),
        ])
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut text = String::new();
    while Instant::now() < deadline {
        text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.matches("Processing user: ").count() >= 3
            && text.matches("No changes since the last run").count() >= 2
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.matches("Processing user: ").count() >= 3, "{text}");
    assert!(text.contains("Waiting for 1 sec..."), "{text}");
    // The later rounds ask only for changes, and there are none.
    let downloaded = text.matches(" Downloaded ").count();
    assert!(downloaded > 0);
    assert!(
        text.matches("No changes since the last run").count() >= 2,
        "{text}"
    );
    assert_eq!(text.matches(" Downloaded ").count(), downloaded, "{text}");
}

#[test]
fn a_session_that_expires_mid_sync_is_renewed_and_the_sync_completes() {
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(USER, PASSWORD)
                .without_two_factor()
                .library(FakeLibrary::generated(400, 4)),
        )
        .fault(Fault::expire_session_after(6))
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("photos");
    let args = [
        "--cookie-directory",
        &cookie_dir(tmp.path()),
        "--skip-live-photos",
        "-u",
        USER,
        "-p",
        PASSWORD,
        "-d",
        dir.to_str().unwrap(),
    ];
    let out = icloudpd(Some(&fake), &args, None);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(
        text.matches("Session error, re-authenticating...").count(),
        1,
        "{text}"
    );
    let visible = fake.expected_listing(USER, "PrimarySync", None).len();
    assert_eq!(count_files(&dir), visible, "{text}");
    // The summary counts both passes.
    assert!(
        text.contains(&format!("Summary: {visible} downloaded")),
        "{text}"
    );
}

/// Starts a watch run of `USER` with the web UI on a free port.
fn watch_with_web_ui(fake: &FakeICloud, tmp: &Path, interval: &str) -> (Running, SocketAddr) {
    let mut cmd = command(Some(fake));
    cmd.args(["--cookie-directory", &cookie_dir(tmp)])
        .args(["--watch-with-interval", interval])
        .args(["--mfa-provider", "webui", "--webui-port", "0"])
        .args(["--folder-structure", "none", "--skip-live-photos"])
        .args(["-u", USER, "-p", PASSWORD, "-d"])
        .arg(tmp.join("photos"));
    let mut running = Running::spawn(cmd);
    let addr = running.web_addr();
    (running, addr)
}

#[test]
fn resume_in_the_web_ui_cuts_the_watch_wait_short() {
    let fake = fake([FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .library(FakeLibrary::generated(3, 5))]);
    let tmp = tempfile::tempdir().unwrap();
    // An hour between runs: a second run can only come from the web UI.
    let (mut running, addr) = watch_with_web_ui(&fake, tmp.path(), "3600");
    running.wait_for("Waiting for 3600 sec...");
    let (code, body) = http(addr, "POST", "/resume", &[]);
    assert_eq!((code, body.as_str()), (200, "Ok"));
    // The second run: a second `Processing user` line, then the wait again.
    running.wait_for_nth("Processing user: ", 2);
    running.wait_for_nth("Waiting for 3600 sec...", 2);
}

#[test]
fn cancel_in_the_web_ui_stops_the_iteration_and_leaves_no_partial_file() {
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(USER, PASSWORD)
                .without_two_factor()
                .library(FakeLibrary::generated(40, 6)),
        )
        // Slow enough that the run is surely still downloading when the cancel arrives.
        .fault(Fault::bandwidth(20_000))
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (mut running, addr) = watch_with_web_ui(&fake, tmp.path(), "3600");
    running.wait_for("Downloading ");
    let (code, _) = http(addr, "POST", "/cancel", &[]);
    assert_eq!(code, 200);
    running.wait_for("Iteration was cancelled");
    running.wait_for("Waiting for 3600 sec...");
    drop(running);
    // Whatever was cut short is a `.part` file, never a final name with partial content.
    let visible = fake.expected_listing(USER, "PrimarySync", None);
    assert!(count_files(&tmp.path().join("photos")) < visible.len());
    for entry in std::fs::read_dir(tmp.path().join("photos"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().into_string().unwrap();
        let len = entry.metadata().unwrap().len();
        // Bookkeeping (the lock file of the killed watch process, the unfinished-run
        // marker) stays too.
        if !name.ends_with(".part") && !crate::is_bookkeeping(&entry.path()) {
            assert!(
                visible
                    .iter()
                    .any(|a| a.versions.iter().any(|(_, size, _)| *size == len)),
                "{name} has {len} bytes, the size of no asset"
            );
        }
    }
}
