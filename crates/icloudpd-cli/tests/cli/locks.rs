//! One writer at a time (issue 12): two real `icloudpd` processes on one download directory or
//! one account's session files. The second stops at once naming the first, or waits with
//! `--wait-for-lock`; a lock left by a killed process blocks nobody; several `-u` sections of
//! one process share their directories.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary, Fault};

use crate::live::{PATIENCE, Running};
use crate::{PASSWORD, USER, command, fake, icloudpd, stdout};

const LOCK: &str = ".icloudpd.lock";

fn account() -> FakeAccount {
    FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .library(FakeLibrary::generated(24, 21))
}

/// `icloudpd` downloading into `data` with its session in `cookies`.
fn download(fake: &FakeICloud, data: &Path, cookies: &Path, extra: &[&str]) -> Running {
    let mut cmd = command(Some(fake));
    cmd.args(["-u", USER, "-p", PASSWORD, "--no-progress-bar", "-d"])
        .arg(data)
        .arg("--cookie-directory")
        .arg(cookies)
        .args(extra)
        .env("TZ", "UTC");
    Running::spawn(cmd)
}

/// Every file under `root` by relative path, with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The tree an uninterrupted run downloads (fake without faults).
fn reference(fake: &FakeICloud, tmp: &Path) -> BTreeMap<String, Vec<u8>> {
    let data = tmp.join("reference");
    let (code, text) = download(fake, &data, &tmp.join("reference-cookies"), &[]).finish();
    assert_eq!(code, Some(0), "{text}");
    let files = tree(&data);
    assert!(files.len() >= 24, "{}", files.len());
    files
}

/// Waits until `path` exists (the first process holds its lock).
fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + PATIENCE;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// Starts a slow first run (every request 150 ms late), then 0.3 s later a second one with
/// `second_cookies` and `second_data`; returns both, the second finished.
fn two_runs(
    fake: &FakeICloud,
    tmp: &Path,
    second_cookies: &Path,
    second_data: &Path,
    extra: &[&str],
) -> (Running, (Option<i32>, String)) {
    fake.set_fault(Fault::latency(Duration::from_millis(150)));
    let data = tmp.join("data");
    let started = Instant::now();
    let first = download(fake, &data, &tmp.join("cookies"), &[]);
    wait_for_file(&data.join(LOCK));
    thread::sleep(Duration::from_millis(300).saturating_sub(started.elapsed()));
    let second = download(fake, second_data, second_cookies, extra).finish();
    (first, second)
}

fn assert_stopped_at_once(second: &(Option<i32>, String), first: &Running, shown: &Path) {
    let (code, text) = second;
    assert_eq!(*code, Some(1), "{text}");
    let message = format!(
        "Another icloudpd process (pid {}) is using {}; wait for it to finish, or stop it",
        first.id(),
        shown.display()
    );
    assert!(text.contains(&message), "{message:?} not in\n{text}");
    assert!(!text.contains("Authenticating"), "nothing touched:\n{text}");
}

#[test]
fn a_second_run_into_the_same_directory_stops_at_once_and_the_first_completes() {
    let fake = fake([account()]);
    let tmp = tempfile::tempdir().unwrap();
    let want = reference(&fake, tmp.path());
    let data = tmp.path().join("data");
    let other_cookies = tmp.path().join("other-cookies");
    let (first, second) = two_runs(&fake, tmp.path(), &other_cookies, &data, &[]);
    assert_stopped_at_once(&second, &first, &data);
    assert!(
        tree(&other_cookies).is_empty(),
        "no session of the second run"
    );
    let (code, text) = first.finish();
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(tree(&data), want, "every file whole, no lock file left");
}

#[test]
fn a_second_run_with_the_same_session_files_stops_at_once() {
    let fake = fake([account()]);
    let tmp = tempfile::tempdir().unwrap();
    let cookies = tmp.path().join("cookies");
    let other_data = tmp.path().join("other-data");
    let (first, second) = two_runs(&fake, tmp.path(), &cookies, &other_data, &[]);
    assert_stopped_at_once(&second, &first, &cookies);
    assert!(!other_data.exists(), "nothing touched");
    let (code, text) = first.finish();
    assert_eq!(code, Some(0), "{text}");
    let mut names: Vec<String> = tree(&cookies)
        .into_keys()
        .filter(|n| !n.ends_with(".sqlite"))
        .collect();
    names.sort();
    assert_eq!(names, ["jdoegmailcom", "jdoegmailcom.session"]);
}

#[test]
fn with_wait_for_lock_the_second_run_waits_and_then_runs() {
    let fake = fake([account()]);
    let tmp = tempfile::tempdir().unwrap();
    let want = reference(&fake, tmp.path());
    let data = tmp.path().join("data");
    let other_cookies = tmp.path().join("other-cookies");
    let (first, (code, text)) = two_runs(
        &fake,
        tmp.path(),
        &other_cookies,
        &data,
        &["--wait-for-lock"],
    );
    assert_eq!(code, Some(0), "{text}");
    let waiting = format!(
        "Another icloudpd process (pid {}) is using {}; waiting for it to finish",
        first.id(),
        data.display()
    );
    assert!(text.contains(&waiting), "{waiting:?} not in\n{text}");
    assert!(
        text.contains("Summary: 0 downloaded"),
        "the second run synced once the first was done:\n{text}"
    );
    let (first_code, first_text) = first.finish();
    assert_eq!(first_code, Some(0), "{first_text}");
    assert_eq!(tree(&data), want);
}

#[test]
fn a_lock_left_by_a_killed_run_does_not_block_the_next_one() {
    let fake = fake([account()]);
    let tmp = tempfile::tempdir().unwrap();
    let want = reference(&fake, tmp.path());
    fake.set_fault(Fault::latency(Duration::from_millis(150)));
    let (data, cookies) = (tmp.path().join("data"), tmp.path().join("cookies"));
    let mut first = download(&fake, &data, &cookies, &[]);
    wait_for_file(&data.join(LOCK));
    thread::sleep(Duration::from_millis(500));
    let pid = first.id();
    first.kill();
    let left = fs::read_to_string(data.join(LOCK)).expect("the killed run's lock file is left");
    assert_eq!(left.trim(), pid.to_string());
    assert!(cookies.join("jdoegmailcom.lock").exists());
    fake.clear_faults();
    let (code, text) = download(&fake, &data, &cookies, &[]).finish();
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(tree(&data), want, "complete, and the lock file is gone");
    assert!(!cookies.join("jdoegmailcom.lock").exists());
}

#[test]
fn several_sections_of_one_run_share_a_download_directory_and_a_cookie_directory() {
    const OTHER: &str = "other@example.com";
    let fake = fake([
        account(),
        FakeAccount::new(OTHER, PASSWORD)
            .without_two_factor()
            .library(FakeLibrary::generated(6, 22)),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let (data, cookies) = (tmp.path().join("data"), tmp.path().join("cookies"));
    let dirs = [
        "--cookie-directory",
        cookies.to_str().unwrap(),
        "-d",
        data.to_str().unwrap(),
    ];
    let mut args = vec!["--no-progress-bar", "--recent", "2"];
    for user in [USER, OTHER, USER] {
        args.extend(["-u", user, "-p", PASSWORD]);
        args.extend(dirs);
    }
    let out = icloudpd(Some(&fake), &args, None);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("Processing user: ").count(), 3, "{text}");
    assert!(!data.join(LOCK).exists());
    let files: Vec<PathBuf> = tree(&cookies).into_keys().map(PathBuf::from).collect();
    assert!(
        files.iter().all(|f| f
            .extension()
            .is_none_or(|e| e == "session" || e == "sqlite")),
        "no lock file left: {files:?}"
    );
}
