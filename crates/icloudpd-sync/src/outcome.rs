//! What a run did: [`SyncReport`], with one [`AssetFailure`] per asset that could not be
//! mirrored and the [`FailureKind`] of a failed download.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Where a file's download went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The folder could not be created (already reported by [`crate::SyncEvent::FolderFailed`]).
    Folder,
    /// Writing to the local disk failed.
    Disk,
    /// Apple refused the download, even with a fresh URL.
    Refused,
    /// The network or the server failed, after the retries.
    Network,
}

/// One asset that could not be mirrored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFailure {
    /// Display name (or the record name when the record could not be decoded).
    pub name: String,
    /// The file concerned, if any.
    pub path: Option<PathBuf>,
    /// What went wrong.
    pub error: String,
}

/// The outcome of one sync.
///
/// Counts and failures, never an error for one asset: a run that could list the library
/// returns `Ok` with a report, and [`SyncReport::is_complete`] says whether every asset made
/// it. A caller that signs in again after an expired session keeps one report across its
/// attempts with [`crate::SyncEngine::run_into`] or [`SyncReport::merge`].
///
/// ```
/// use icloudpd_sync::{AssetFailure, SyncReport};
///
/// let mut total = SyncReport::default();
/// let mut one = SyncReport::default();
/// one.downloaded = 3;
/// one.failed.push(AssetFailure {
///     name: "IMG_0001.HEIC".to_owned(),
///     path: None,
///     error: "HTTP 503".to_owned(),
/// });
/// total.merge(one);
/// assert_eq!(total.downloaded, 3);
/// assert!(!total.is_complete());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncReport {
    /// Files downloaded (or, in a dry run, that would have been).
    pub downloaded: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Files that were already on disk.
    pub present: u64,
    /// Assets filtered out.
    pub skipped: u64,
    /// Assets moved to Recently Deleted in iCloud.
    pub deleted_in_icloud: u64,
    /// Local files removed by `--auto-delete`.
    pub deleted_locally: u64,
    /// Assets that failed.
    pub failed: Vec<AssetFailure>,
    /// Wall time.
    pub elapsed: Duration,
}

impl SyncReport {
    /// Whether every asset was mirrored.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }

    /// Adds another report's counts (several albums or users).
    pub fn merge(&mut self, other: SyncReport) {
        self.downloaded += other.downloaded;
        self.bytes += other.bytes;
        self.present += other.present;
        self.skipped += other.skipped;
        self.deleted_in_icloud += other.deleted_in_icloud;
        self.deleted_locally += other.deleted_locally;
        self.failed.extend(other.failed);
        self.elapsed += other.elapsed;
    }

    /// Takes what a run that started at `started` gathered in `run` (whatever became of the
    /// run, even if a task panicked holding it), stamps its wall time and adds it to `self`;
    /// returns the run's own report.
    pub(crate) fn absorb_run(&mut self, run: &Mutex<SyncReport>, started: Instant) -> SyncReport {
        let mut done = run.lock().unwrap_or_else(PoisonError::into_inner).clone();
        done.elapsed = started.elapsed();
        self.merge(done.clone());
        done
    }
}
