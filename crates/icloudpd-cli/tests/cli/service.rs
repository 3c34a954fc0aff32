//! Running as a service (issue 14): the `--report-json` document of a good and a failed run,
//! `/metrics` and `/healthz` during a watch loop, SIGTERM ending a watch loop or a sync in
//! progress with status 0, and the `sync-failed` notification.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary, Fault};
use serde_json::Value;

use crate::live::{Running, http};
use crate::notify::Script;
use crate::{PASSWORD, USER, command, cookie_dir, fake, icloudpd, stderr};

const OTHER: &str = "other@example.com";

fn account(user: &str, assets: usize) -> FakeAccount {
    FakeAccount::new(user, PASSWORD)
        .without_two_factor()
        .library(FakeLibrary::generated(assets, 7))
}

fn fake_with(accounts: Vec<FakeAccount>, faults: Vec<Fault>) -> FakeICloud {
    let mut builder = FakeICloud::builder();
    for a in accounts {
        builder = builder.account(a);
    }
    for f in faults {
        builder = builder.fault(f);
    }
    builder.start().unwrap()
}

/// The arguments of one user's download into `tmp/photos`.
fn download_args(tmp: &Path, user: &str, password: &str) -> Vec<String> {
    [
        "--cookie-directory",
        &cookie_dir(tmp),
        "--folder-structure",
        "none",
        "-u",
        user,
        "-p",
        password,
        "-d",
        tmp.join("photos").to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn files(dir: &Path) -> Vec<(PathBuf, u64)> {
    crate::files_under(dir)
}

/// Whether a name is a temporary file: a download's `.part`, the report's `.tmp`.
fn is_temporary(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name.ends_with(".part") || name.ends_with(".tmp")
}

#[test]
fn the_json_report_of_a_good_run_counts_the_files_written() {
    let fake = fake([account(USER, 4)]);
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let mut args = download_args(tmp.path(), USER, PASSWORD);
    args.extend(["--report-json".to_owned(), report.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = icloudpd(Some(&fake), &args, None);
    assert!(out.status.success(), "{}", stderr(&out));

    let written = files(&tmp.path().join("photos"));
    assert!(!written.is_empty());
    let doc = read_json(&report);
    assert_eq!(doc["version"], 1, "{doc}");
    assert_eq!(doc["status"], "ok");
    let accounts = doc["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!(a["username"], USER);
    assert_eq!(a["status"], "ok");
    assert_eq!(a["error"], Value::Null);
    assert_eq!(a["downloaded"], written.len() as u64);
    assert_eq!(a["bytes"], written.iter().map(|(_, n)| n).sum::<u64>());
    assert_eq!(a["failed"], 0);
    assert_eq!(a["failures"], serde_json::json!([]));
    assert!(a["started"].as_str().unwrap() <= a["finished"].as_str().unwrap());
    // Written atomically: nothing but the report beside it.
    let beside: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("report"))
        .collect();
    assert_eq!(beside, ["report.json"]);

    // A second run finds everything present and says so.
    let out = icloudpd(Some(&fake), &args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = &read_json(&report)["accounts"][0];
    assert_eq!(
        (a["downloaded"].as_u64(), a["status"].as_str()),
        (Some(0), Some("ok"))
    );
}

#[test]
fn the_json_report_of_a_failed_run_names_the_failed_files_and_the_failed_account() {
    let fake = fake_with(
        vec![account(USER, 3), account(OTHER, 2)],
        vec![Fault::download_error(400, None)],
    );
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let mut args = download_args(tmp.path(), USER, PASSWORD);
    args.extend(download_args(
        &tmp.path().join("other"),
        OTHER,
        "not the password",
    ));
    args.extend(["--report-json".to_owned(), report.display().to_string()]);
    std::fs::create_dir(tmp.path().join("other")).unwrap();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = icloudpd(Some(&fake), &args, None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    let doc = read_json(&report);
    assert_eq!(doc["status"], "failed", "{doc}");
    let (first, second) = (&doc["accounts"][0], &doc["accounts"][1]);
    // Every download was refused: the account failed, file by file, with the reasons.
    assert_eq!(first["username"], USER);
    assert_eq!(first["status"], "failed");
    assert_eq!(first["downloaded"], 0);
    let failures = first["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    assert_eq!(first["failed"], failures.len() as u64);
    for f in failures {
        assert!(!f["name"].as_str().unwrap().is_empty(), "{f}");
        assert!(!f["error"].as_str().unwrap().is_empty(), "{f}");
    }
    // The second account could not sign in: the run failed with its reason.
    assert_eq!(second["username"], OTHER);
    assert_eq!(second["status"], "failed");
    let error = second["error"].as_str().unwrap();
    assert!(!error.is_empty());
    assert!(!error.contains("not the password"), "{error}");
}

/// Runs the container's health check (`contrib/docker/healthcheck.sh`) against the metrics
/// server at `addr`; returns whether it said healthy, and what it printed.
fn docker_health_check(addr: SocketAddr) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contrib/docker/healthcheck.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .env("ICLOUDPD_METRICS_PORT", addr.port().to_string())
        .output()
        .expect("bash runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Starts a watch loop of `USER` (an hour between passes) with metrics on a free port and the
/// report; returns it and the metrics server's address.
fn watch(fake: &FakeICloud, tmp: &Path) -> (Running, SocketAddr) {
    let mut cmd = command(Some(fake));
    cmd.args(download_args(tmp, USER, PASSWORD))
        .args(["--watch-with-interval", "3600", "--metrics-port", "0"])
        .arg("--report-json")
        .arg(tmp.join("report.json"));
    let mut running = Running::spawn(cmd);
    let line = running.wait_for("Metrics on http://");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line}"));
    (running, addr)
}

#[test]
fn metrics_and_health_during_a_watch_loop_then_sigterm_ends_it_with_status_0() {
    let fake = fake([account(USER, 4)]);
    let tmp = tempfile::tempdir().unwrap();
    let (mut running, addr) = watch(&fake, tmp.path());
    running.wait_for("Waiting for 3600 sec...");

    let written = files(&tmp.path().join("photos"));
    let (code, metrics) = http(addr, "GET", "/metrics", &[]);
    assert_eq!(code, 200, "{metrics}");
    for line in [
        format!(
            "icloudpd_files_downloaded_total{{username=\"{USER}\"}} {}",
            written.len()
        ),
        format!(
            "icloudpd_bytes_downloaded_total{{username=\"{USER}\"}} {}",
            written.iter().map(|(_, n)| n).sum::<u64>()
        ),
        format!("icloudpd_files_failed_total{{username=\"{USER}\"}} 0"),
        format!("icloudpd_runs_total{{username=\"{USER}\",status=\"ok\"}} 1"),
        "icloudpd_healthy 1".to_owned(),
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
    assert!(
        metrics.contains("icloudpd_last_success_timestamp_seconds{username="),
        "{metrics}"
    );
    assert_eq!(http(addr, "GET", "/healthz", &[]).0, 200);
    let (healthy, said) = docker_health_check(addr);
    assert!(healthy, "{said}");
    assert_eq!(read_json(&tmp.path().join("report.json"))["status"], "ok");

    // `docker stop`: SIGTERM ends the wait at once, status 0, nothing half-written left.
    running.terminate();
    let (code, out) = running.finish();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Stopped by SIGTERM"), "{out}");
    for (path, _) in files(tmp.path()) {
        assert!(!is_temporary(&path), "{} left behind", path.display());
    }
}

#[test]
fn health_is_503_after_a_failed_pass() {
    let fake = fake_with(
        vec![account(USER, 2)],
        vec![Fault::download_error(400, None)],
    );
    let tmp = tempfile::tempdir().unwrap();
    let (mut running, addr) = watch(&fake, tmp.path());
    running.wait_for("Waiting for 3600 sec...");
    let (code, body) = http(addr, "GET", "/healthz", &[]);
    assert_eq!((code, body.trim()), (503, "the last pass failed"));
    let (_, metrics) = http(addr, "GET", "/metrics", &[]);
    assert!(
        metrics.lines().any(|l| l == "icloudpd_healthy 0"),
        "{metrics}"
    );
    let (healthy, said) = docker_health_check(addr);
    assert!(!healthy && said.contains("503"), "{said}");
    assert!(
        metrics
            .lines()
            .any(|l| l == format!("icloudpd_runs_total{{username=\"{USER}\",status=\"failed\"}} 1")),
        "{metrics}"
    );
    running.terminate();
    assert_eq!(running.finish().0, Some(0));
}

#[test]
fn sigterm_during_downloads_stops_cleanly_and_the_next_run_completes() {
    let fake = fake_with(
        vec![account(USER, 24)],
        // Slow enough that the run is surely still downloading when the signal arrives.
        vec![Fault::bandwidth(40_000)],
    );
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let mut cmd = command(Some(&fake));
    cmd.args(download_args(tmp.path(), USER, PASSWORD))
        .args(["--threads-num", "2", "--report-json"])
        .arg(&report);
    let mut running = Running::spawn(cmd);
    running.wait_for("Downloading ");
    running.terminate();
    let (code, out) = running.finish();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("SIGTERM received"), "{out}");
    assert!(out.contains("Stopped by SIGTERM"), "{out}");

    // What finished has its full size; what did not is a `.part` file, never a final name.
    let sizes: Vec<u64> = fake
        .expected_listing(USER, "PrimarySync", None)
        .iter()
        .flat_map(|a| a.versions.iter().map(|(_, size, _)| *size))
        .collect();
    let after_stop = files(&tmp.path().join("photos"));
    for (path, len) in &after_stop {
        assert!(
            is_temporary(path) || sizes.contains(len),
            "{} has {len} bytes, the size of no asset",
            path.display()
        );
    }
    let a = &read_json(&report)["accounts"][0];
    assert_eq!(a["status"], "failed");
    assert!(
        a["error"].as_str().unwrap().contains("stopped by SIGTERM"),
        "{a}"
    );

    // The next run (at full speed) goes on and completes the tree.
    fake.clear_faults();
    let args = download_args(tmp.path(), USER, PASSWORD);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = icloudpd(Some(&fake), &args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let complete = files(&tmp.path().join("photos"));
    assert!(
        complete.iter().all(|(p, _)| !is_temporary(p)),
        "{complete:?}"
    );
    assert!(complete.len() > after_stop.iter().filter(|(p, _)| !is_temporary(p)).count());
}

#[test]
fn the_notification_script_hears_of_a_failed_sync_without_the_secrets() {
    let fake = fake_with(
        vec![account(USER, 2)],
        vec![Fault::download_error(400, None)],
    );
    let tmp = tempfile::tempdir().unwrap();
    let script = Script::new(tmp.path(), 0);
    let mut cmd = command(Some(&fake));
    cmd.args(download_args(tmp.path(), USER, PASSWORD))
        .arg("--notification-script")
        .arg(&script.path)
        .env("ICLOUDPD_SMTP_PASSWORD", "smtp secret");
    let out = crate::run(cmd, None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(script.runs().len(), 1);
    let var = |name: &str| {
        script
            .environment()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string_lossy().into_owned())
    };
    assert_eq!(var("ICLOUDPD_EVENT").as_deref(), Some("sync-failed"));
    assert_eq!(var("ICLOUDPD_USERNAME").as_deref(), Some(USER));
    // Only some files failed: no error, their count.
    assert_eq!(var("ICLOUDPD_ERROR").as_deref(), Some(""));
    let failed: u64 = var("ICLOUDPD_FAILED_FILES").unwrap().parse().unwrap();
    assert!(failed >= 1);
    assert_eq!(var("ICLOUDPD_SMTP_PASSWORD"), None);

    // A run that cannot sign in: the error, one line.
    let other = tempfile::tempdir().unwrap();
    let mut cmd = command(Some(&fake));
    cmd.args(download_args(other.path(), USER, "not the password"))
        .arg("--notification-script")
        .arg(&script.path);
    let out = crate::run(cmd, None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let error = var("ICLOUDPD_ERROR").unwrap();
    assert!(!error.is_empty() && !error.contains('\n'), "{error:?}");
    assert!(!error.contains("not the password"));
}
