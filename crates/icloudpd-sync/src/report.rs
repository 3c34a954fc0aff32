//! What a sync tells its caller while it runs ([`Reporter`], [`SyncEvent`]) and when it ends
//! ([`SyncReport`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use icloud_photos::VersionKind;

use crate::options::Size;

/// Which media a sync takes (from `--skip-videos` / `--skip-photos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaScope {
    /// Photos and videos.
    Both,
    /// Photos only (`--skip-videos`).
    Photos,
    /// Videos only (`--skip-photos`).
    Videos,
}

/// Why an asset was not considered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A video while only photos are wanted.
    Video,
    /// A photo while only videos are wanted.
    Photo,
    /// Created before `bound`.
    CreatedBefore {
        /// Local creation time.
        created: DateTime<FixedOffset>,
        /// The instant it was compared with.
        bound: DateTime<FixedOffset>,
    },
    /// Created after `bound`.
    CreatedAfter {
        /// Local creation time.
        created: DateTime<FixedOffset>,
        /// The instant it was compared with.
        bound: DateTime<FixedOffset>,
    },
}

/// Where a file's download went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The folder could not be created (already reported by [`SyncEvent::FolderFailed`]).
    Folder,
    /// Writing to the local disk failed.
    Disk,
    /// Apple refused the download, even with a fresh URL.
    Refused,
    /// The network or the server failed, after the retries.
    Network,
}

/// Why a run lists the whole library instead of asking only for changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FullScanReason {
    /// No [`crate::SyncState`] was given to the engine.
    NoState,
    /// The state is new: the first run, or a damaged state was set aside.
    NewState,
    /// No complete listing with these options yet: the first run with them, or an option that
    /// shapes the plan changed (sizes, naming, folders, filters).
    NewConfiguration,
    /// Asked for ([`crate::SyncEngine::full_scan`], `--full-scan`).
    Forced,
    /// The last full listing is older than [`crate::SyncEngine::full_scan_interval`].
    Due,
    /// Options that must see every asset each run: `--keep-icloud-recent-days` (assets grow
    /// old without changing) or a `--skip-created-*` bound in days (it moves with time).
    OptionsNeedListing,
    /// A run that does not mirror the whole library (`--album`, `--recent`, `--until-found`)
    /// or does not write (`--dry-run`, `--only-print-filenames`): it keeps no state.
    NotWholeLibrary,
    /// Apple refused the stored sync token (expired or damaged).
    TokenRefused,
    /// The library's zone is gone or was made anew.
    LibraryChanged,
    /// More changed assets than a run keeps in memory; a listing streams them.
    TooManyChanges,
    /// The library changed while the last full listing ran, in a way that may have moved
    /// assets past it.
    ListingDisturbed,
    /// An earlier listing of this run was interrupted (the session expired): it goes on
    /// where it stopped.
    Resumed,
}

impl std::fmt::Display for FullScanReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FullScanReason::NoState => "no sync state",
            FullScanReason::NewState => "no earlier run recorded in the sync state",
            FullScanReason::NewConfiguration => {
                "no complete run with these options yet (first run, or an option changed)"
            }
            FullScanReason::Forced => "a full scan was asked for",
            FullScanReason::Due => "the periodic full scan is due",
            FullScanReason::OptionsNeedListing => {
                "--keep-icloud-recent-days and day-relative --skip-created-* bounds need every asset"
            }
            FullScanReason::NotWholeLibrary => {
                "this run does not mirror the whole library, or does not write"
            }
            FullScanReason::TokenRefused => "Apple refused the stored sync token",
            FullScanReason::LibraryChanged => "the library was made anew",
            FullScanReason::TooManyChanges => "too many changes to hold in memory",
            FullScanReason::ListingDisturbed => {
                "the library changed while the last full listing ran"
            }
            FullScanReason::Resumed => "continuing the interrupted listing",
        })
    }
}

/// Something that happened during a sync, in the order it happened. Paths are full paths
/// (download directory included).
#[derive(Debug)]
#[non_exhaustive]
pub enum SyncEvent<'a> {
    /// Albums are about to be looked up.
    LookingUp {
        /// Which media are wanted.
        scope: MediaScope,
        /// The `--album` names (empty: the whole library).
        albums: &'a [String],
    },
    /// A shared album was not listed: it has not changed since its last complete listing,
    /// and every file recorded then is on disk.
    AlbumUnchanged {
        /// Album name.
        album: &'a str,
    },
    /// A shared album could not be listed; the other albums go on.
    AlbumFailed {
        /// Album name.
        album: &'a str,
        /// Why.
        error: &'a str,
    },
    /// An album is about to be processed.
    AlbumStarted {
        /// Album name (`All Photos` for the whole library).
        album: &'a str,
        /// Assets to consider; `None` when `--until-found` makes it unknown.
        count: Option<u64>,
        /// The requested sizes.
        sizes: &'a [Size],
        /// Which media are wanted.
        scope: MediaScope,
        /// The download directory.
        directory: &'a Path,
    },
    /// An asset was filtered out.
    AssetSkipped {
        /// Display name.
        name: &'a str,
        /// Why.
        reason: &'a SkipReason,
    },
    /// A requested size does not exist and `--force-size` forbids the fallback.
    SizeMissing {
        /// The size.
        size: Size,
        /// Display name.
        name: &'a str,
    },
    /// The file is on disk already.
    FileExists {
        /// Its path.
        path: &'a Path,
    },
    /// A same-named file of another size exists; this one gets a size suffix.
    FileDeduplicated {
        /// The new path.
        path: &'a Path,
    },
    /// `--only-print-filenames`: this file would be downloaded.
    FileListed {
        /// Its path.
        path: &'a Path,
    },
    /// `--dry-run`: the folder does not exist and would be created.
    WouldCreateFolder {
        /// The folder.
        path: &'a Path,
    },
    /// `--dry-run`: the file would be downloaded.
    WouldDownload {
        /// Its path.
        path: &'a Path,
    },
    /// A download begins.
    DownloadStarted {
        /// Final path.
        path: &'a Path,
    },
    /// A download continues a partial file left by an earlier run.
    Resuming {
        /// Final path.
        path: &'a Path,
        /// Bytes already on disk.
        from: u64,
    },
    /// Bytes arrived (for byte progress).
    Progress {
        /// How many.
        bytes: u64,
    },
    /// A download attempt failed and will be retried.
    Retrying {
        /// Final path.
        path: &'a Path,
        /// What went wrong.
        error: &'a str,
        /// The wait before the next attempt.
        after: Duration,
    },
    /// A file is complete under its final name.
    Downloaded {
        /// Final path.
        path: &'a Path,
        /// Its size.
        bytes: u64,
    },
    /// A file could not be downloaded; the asset is reported as failed.
    DownloadFailed {
        /// Display name of the asset.
        name: &'a str,
        /// Final path it would have had.
        path: &'a Path,
        /// What went wrong.
        error: &'a str,
        /// Apple answered the download with an error status: `Could not find URL to download
        /// <file> for size <size>`.
        missing_url: Option<(&'a str, &'a str)>,
        /// Where it went wrong.
        kind: FailureKind,
    },
    /// The folder could not be created.
    FolderFailed {
        /// The folder.
        path: &'a Path,
        /// What the OS said.
        error: &'a str,
    },
    /// EXIF dates are being written.
    SettingExif {
        /// The file.
        path: &'a Path,
        /// The local creation time written.
        when: &'a DateTime<FixedOffset>,
    },
    /// EXIF could not be read (`read`) or written.
    ExifFailed {
        /// The file.
        path: &'a Path,
        /// Reading (`true`) or writing.
        read: bool,
    },
    /// The sidecar of a media file could not be written; the asset is reported as failed.
    XmpFailed {
        /// The media file.
        path: &'a Path,
        /// What went wrong.
        error: &'a str,
    },
    /// An existing sidecar written by another tool is left alone.
    XmpKept {
        /// The sidecar.
        path: &'a Path,
        /// `created by <tool>` or `due to parser error: <error>`.
        why: &'a str,
    },
    /// `--until-found` stopped the album.
    UntilFound {
        /// The limit.
        count: u64,
    },
    /// `--keep-icloud-recent-days` looked at an asset's age.
    AgeChecked {
        /// Display name.
        name: &'a str,
        /// Local creation time.
        created: &'a DateTime<FixedOffset>,
        /// The configured N.
        keep_days: u32,
        /// Whole days since creation.
        age_days: i64,
        /// Whether it stays in iCloud.
        kept: bool,
    },
    /// An asset is being moved to Recently Deleted in iCloud.
    DeletingInIcloud {
        /// Display name.
        name: &'a str,
    },
    /// An asset was moved to Recently Deleted in iCloud.
    DeletedInIcloud {
        /// Display name.
        name: &'a str,
    },
    /// `--dry-run`: the asset would be moved to Recently Deleted.
    WouldDeleteInIcloud {
        /// Display name.
        name: &'a str,
        /// Library (zone) name.
        library: &'a str,
    },
    /// An asset was not moved to Recently Deleted because a version that makes it up is not
    /// on disk (see [`crate::SyncOptions::check_safety`] for the rules).
    IcloudDeleteSkipped {
        /// Display name.
        name: &'a str,
        /// A version that makes up the asset and is not on disk (its original, the
        /// alternative of a RAW+JPEG pair, the live video, or a size asked for).
        missing: VersionKind,
    },
    /// Every asset of the album was processed.
    AlbumFinished {
        /// Album name.
        album: &'a str,
        /// Which media were wanted.
        scope: MediaScope,
    },
    /// `--auto-delete` begins.
    AutoDeleteStarted,
    /// A local file is being deleted.
    LocalDeleting {
        /// The file.
        path: &'a Path,
    },
    /// A local file was deleted.
    LocalDeleted {
        /// The file.
        path: &'a Path,
    },
    /// `--dry-run`: the local file would be deleted.
    WouldDeleteLocal {
        /// The file.
        path: &'a Path,
    },
    /// An asset is finished (downloaded, present, skipped or failed), for progress bars.
    AssetDone,
    /// The files planned so far need more space than the disk has free: the run goes on, and
    /// stops cleanly ([`crate::Error::Disk`]) if the disk fills up.
    LowDiskSpace {
        /// The download directory.
        directory: &'a Path,
        /// Bytes of the downloads planned so far.
        needed: u64,
        /// Bytes free on its disk when the run started.
        available: u64,
    },
    /// A temporary file that an interrupted earlier run left behind was removed, after a
    /// clean pass over the whole library.
    TempRemoved {
        /// The file.
        path: &'a Path,
    },
    /// The run asks Apple only for what changed since the last one.
    ListingChanges,
    /// What changed since the last run.
    ChangesFound {
        /// Assets added or changed in iCloud.
        changed: u64,
        /// Assets deleted in iCloud (or moved to Recently Deleted).
        deleted: u64,
        /// Assets with a recorded file missing on disk, to be restored.
        missing: u64,
    },
    /// The run lists the whole library.
    ListingAll {
        /// Why.
        reason: FullScanReason,
    },
    /// A listing interrupted by an expired session goes on at this rank (a little before
    /// where it stopped: ranks move when assets are added or deleted meanwhile).
    ListingResumed {
        /// The rank of the first asset listed again.
        rank: u64,
    },
    /// A listing record could not be understood; the asset is reported as failed.
    BadRecord {
        /// What was wrong.
        error: &'a str,
    },
}

/// Receives [`SyncEvent`]s. Called from the engine's tasks, so it must be quick and must not
/// block; it is never called concurrently with itself for one album's planning, but download
/// events come from several tasks.
pub trait Reporter: Send + Sync {
    /// One event.
    fn event(&self, event: &SyncEvent<'_>);
}

/// A [`Reporter`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopReporter;

impl Reporter for NoopReporter {
    fn event(&self, _: &SyncEvent<'_>) {}
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
}
