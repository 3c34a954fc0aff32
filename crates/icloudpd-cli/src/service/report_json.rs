//! `--report-json PATH`: after each run (each pass in watch mode), a JSON document a script
//! can read, written atomically (a temporary file renamed over the last one).
//!
//! ```json
//! {"version": 1, "program": "icloudpd-rs 0.1.0", "status": "ok",
//!  "started": "2026-12-06T10:00:00Z", "finished": "2026-12-06T10:05:00Z",
//!  "accounts": [{"username": "jdoe@example.com", "status": "ok", "error": null,
//!                "started": "…", "finished": "…", "downloaded": 12, "bytes": 40960,
//!                "present": 3400, "skipped": 0, "failed": 0, "deleted_in_icloud": 0,
//!                "deleted_locally": 0, "failures": []}]}
//! ```
//!
//! `version` changes only when a field changes meaning or goes away; new fields may appear.

use std::io::Write as _;
use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use icloudpd_sync::SyncReport;
use serde_json::{Value, json};

/// The document's `version`.
pub const VERSION: u32 = 1;

/// One account's part of a pass.
#[derive(Debug, Clone)]
pub struct AccountRun {
    /// The Apple ID.
    pub username: String,
    /// What the sync did (empty when it never started).
    pub report: SyncReport,
    /// Why the run failed, when it did (files that failed alone also make it fail).
    pub error: Option<String>,
    /// When this account's run started and ended.
    pub started: SystemTime,
    /// See `started`.
    pub finished: SystemTime,
}

impl AccountRun {
    /// `ok` when the run succeeded and every asset was mirrored.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.report.failed.is_empty()
    }

    fn to_json(&self) -> Value {
        let r = &self.report;
        let failures: Vec<Value> = r
            .failed
            .iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "path": f.path.as_ref().map(|p| p.display().to_string()),
                    "error": f.error,
                })
            })
            .collect();
        json!({
            "username": self.username,
            "status": if self.ok() { "ok" } else { "failed" },
            "error": self.error,
            "started": timestamp(self.started),
            "finished": timestamp(self.finished),
            "downloaded": r.downloaded,
            "bytes": r.bytes,
            "present": r.present,
            "skipped": r.skipped,
            "failed": r.failed.len(),
            "deleted_in_icloud": r.deleted_in_icloud,
            "deleted_locally": r.deleted_locally,
            "failures": failures,
        })
    }
}

/// Returns the document of one pass that started at `started` and ended at `finished`.
pub fn document(accounts: &[AccountRun], started: SystemTime, finished: SystemTime) -> Value {
    let ok = accounts.iter().all(AccountRun::ok);
    json!({
        "version": VERSION,
        "program": format!("icloudpd-rs {}", env!("CARGO_PKG_VERSION")),
        "status": if ok { "ok" } else { "failed" },
        "started": timestamp(started),
        "finished": timestamp(finished),
        "accounts": accounts.iter().map(AccountRun::to_json).collect::<Vec<_>>(),
    })
}

/// Writes `document` to `path` atomically: to a temporary file next to it, flushed, then
/// renamed over `path`.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write(path: &Path, document: &Value) -> std::io::Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!(".{}.tmp", std::process::id()));
    let temp = std::path::PathBuf::from(temp);
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        serde_json::to_writer_pretty(&mut file, document)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

fn timestamp(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn a_pass_with_a_failed_account_is_failed_and_lists_the_failures() {
        let t = UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        let mut good = SyncReport::default();
        good.downloaded = 2;
        good.bytes = 20;
        let mut bad = SyncReport::default();
        bad.failed.push(icloudpd_sync::AssetFailure {
            name: "IMG_1.JPG".to_owned(),
            path: Some("/d/IMG_1.JPG".into()),
            error: "refused".to_owned(),
        });
        let accounts = [
            AccountRun {
                username: "a@example.com".to_owned(),
                report: good,
                error: None,
                started: t,
                finished: t,
            },
            AccountRun {
                username: "b@example.com".to_owned(),
                report: bad,
                error: None,
                started: t,
                finished: t,
            },
        ];
        let doc = document(&accounts, t, t);
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["status"], "failed");
        assert_eq!(doc["started"], "2025-12-06T05:46:40Z");
        assert_eq!(doc["accounts"][0]["status"], "ok");
        assert_eq!(doc["accounts"][0]["downloaded"], 2);
        assert_eq!(doc["accounts"][1]["status"], "failed");
        assert_eq!(doc["accounts"][1]["failed"], 1);
        assert_eq!(doc["accounts"][1]["failures"][0]["path"], "/d/IMG_1.JPG");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write(&path, &doc).unwrap();
        let read: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(read, doc);
    }
}
