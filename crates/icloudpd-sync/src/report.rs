//! What a sync tells its caller while it runs ([`Reporter`], [`SyncEvent`]) and when it ends
//! ([`SyncReport`](crate::SyncReport)).

use std::path::Path;
use std::time::Duration;

use icloud_photos::VersionKind;
use time::OffsetDateTime;

use crate::options::Size;
use crate::outcome::FailureKind;
#[cfg(doc)]
use crate::plan::PlannedDownload;
use crate::plan::{PlannedAsset, Rendition};
use crate::select::SkipReason;

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
    /// A plan is being made ([`crate::SyncEngine::plan`]): it lists everything and keeps no
    /// state.
    Planned,
    /// An earlier listing of this run was interrupted (the session expired): it goes on
    /// where it stopped.
    Resumed,
}

/// Why an existing XMP sidecar was left alone ([`SyncEvent::XmpKept`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeptSidecar {
    /// Another tool wrote it: the `x:xmptk` of its root element (`None` when it has none),
    /// which does not start with `icloudpd`.
    OtherTool(Option<String>),
    /// It could not be parsed as XML; what the parser said.
    Unreadable(String),
}

/// Something that happened during a sync, in the order it happened. Paths are full paths
/// (download directory included).
///
/// Events carry facts, not messages: the `icloudpd` binary turns them into Python icloudpd's
/// log lines, a GUI into progress. The enum is `#[non_exhaustive]`; match the events you
/// use and ignore the rest with `_ => {}`.
///
/// # The shape of a run
///
/// ```text
/// ListingAll { reason }                 or  ListingChanges, ChangesFound { .. }
/// LookingUp                                 (full listings only)
/// AlbumStarted { album, count }             per album; `All Photos` for the library
///   per asset, in listing order, on the listing's task:
///     AssetSkipped                          filtered out, then AssetDone
///     SizeMissing, FileExists, FileDeduplicated, Planned
///   per planned asset, on its download task (assets overlap):
///     DownloadStarted, [Resuming], Progress…, [Retrying…], Downloaded | DownloadFailed
///     [SettingExif], [XmpKept | XmpFailed]
///     [AgeChecked], [DeletingInIcloud, DeletedInIcloud | IcloudDeleteSkipped]
///     AssetDone
///   [UntilFound]
/// AlbumFinished { album }                   after the album's downloads finished
/// [AutoDeleteStarted, LocalDeleting, LocalDeleted…]
/// [TempRemoved…]                            after a clean pass over the whole library
/// ```
///
/// Every asset offered to the pipeline ends with exactly one [`SyncEvent::AssetDone`]
/// (skipped, present, downloaded or failed), so `AssetDone` events against
/// `AlbumStarted::count` make a progress bar. Events of one asset's download task come in
/// order, but the tasks of different assets interleave. Under [`crate::RunMode::DryRun`]
/// the `Would…` events stand in for the downloads and deletions; under
/// [`crate::RunMode::OnlyPrintFilenames`] each planned file is one
/// [`SyncEvent::FileListed`].
///
/// An event borrows from the engine and lives only for the [`Reporter::event`] call: copy
/// out (`path.to_path_buf()`, `name.to_owned()`) what you keep.
#[derive(Debug)]
#[non_exhaustive]
pub enum SyncEvent<'a> {
    /// The albums of [`crate::SyncOptions::albums`] (or the whole library) are about to be
    /// looked up.
    LookingUp,
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
        /// The folder its files go into: [`crate::SyncOptions::directory`], or for a shared
        /// album its own folder there ([`crate::shared_album_folders`]).
        directory: &'a Path,
        /// Assets to consider: the album's count, or `recent` when that is set; `None` when
        /// `until_found` makes it unknown.
        count: Option<u64>,
    },
    /// An asset passed the filters and was planned: what it needs on disk, which of its
    /// files are there already, which will be downloaded. Sent in every [`crate::RunMode`],
    /// before the asset's downloads start.
    Planned {
        /// The plan of the asset.
        asset: &'a PlannedAsset,
    },
    /// An asset was filtered out by the type or date filters of [`crate::SyncOptions`]; it
    /// is counted in [`crate::SyncReport::skipped`], and [`SyncEvent::AssetDone`] follows.
    AssetSkipped {
        /// Display name.
        name: &'a str,
        /// Why.
        reason: &'a SkipReason,
    },
    /// A requested size does not exist and `--force-size` forbids the fallback. The asset's
    /// other files are still planned ([`PlannedAsset::is_incomplete`] is then true).
    SizeMissing {
        /// The size.
        size: Size,
        /// Display name.
        name: &'a str,
    },
    /// The file is on disk already (what counts is [`crate::FileMatchPolicy`]'s rule), or
    /// an earlier asset of this run is downloading it: it is not downloaded again. Sent while
    /// planning, so also by [`crate::SyncEngine::plan`].
    FileExists {
        /// Its path.
        path: &'a Path,
    },
    /// A same-named file of another size exists (another asset's, or the user's); this one
    /// gets a size suffix, `<stem>-<bytes>.<ext>`, under
    /// [`crate::FileMatchPolicy::NameSizeDedupWithSuffix`]. Sent while planning.
    FileDeduplicated {
        /// The new path.
        path: &'a Path,
    },
    /// [`crate::RunMode::OnlyPrintFilenames`]: this file would be downloaded.
    FileListed {
        /// Its path.
        path: &'a Path,
    },
    /// [`crate::RunMode::DryRun`]: the folder does not exist and would be created.
    WouldCreateFolder {
        /// The folder.
        path: &'a Path,
    },
    /// [`crate::RunMode::DryRun`]: the file would be downloaded.
    WouldDownload {
        /// Its path.
        path: &'a Path,
    },
    /// A download begins, once its folder exists (first attempt only; retries send
    /// [`SyncEvent::Retrying`]).
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
    /// Bytes arrived and were written to the temporary file (for byte progress). Sent for
    /// every chunk the network delivers, from every download task: keep it cheap. Bytes of
    /// an attempt that is later retried were counted already; the total can exceed the
    /// files' sizes.
    Progress {
        /// How many.
        bytes: u64,
    },
    /// A download attempt failed and will be retried after `after` (jittered backoff, or
    /// Apple's `Retry-After`). What arrived so far is kept and resumed.
    Retrying {
        /// Final path.
        path: &'a Path,
        /// What went wrong.
        error: &'a str,
        /// The wait before the next attempt.
        after: Duration,
    },
    /// A file is complete under its final name: checked, dated, flushed and renamed. Under
    /// [`crate::RunMode::DryRun`] this is never sent ([`SyncEvent::WouldDownload`] is).
    Downloaded {
        /// Final path.
        path: &'a Path,
        /// Its size.
        bytes: u64,
    },
    /// A file could not be downloaded, after the retries; the asset is reported as failed
    /// ([`crate::AssetFailure`]), is not deleted in iCloud, and is tried again by the next
    /// run. The asset's other files are still downloaded.
    DownloadFailed {
        /// Display name of the asset.
        name: &'a str,
        /// The final path it would have had.
        path: &'a Path,
        /// Its file name before de-duplication ([`PlannedDownload::file_name`]).
        file_name: &'a str,
        /// What the file stands for.
        rendition: Rendition,
        /// What went wrong.
        error: &'a str,
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
        /// The creation time whose wall-clock reading is written (in
        /// [`crate::SyncOptions::time_zone`]).
        when: &'a OffsetDateTime,
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
        /// Why.
        reason: &'a KeptSidecar,
    },
    /// [`crate::SyncOptions::until_found`] consecutive files were present: the album
    /// stops here.
    UntilFound,
    /// [`crate::SyncOptions::keep_icloud_recent_days`] looked at an asset's age.
    AgeChecked {
        /// Display name.
        name: &'a str,
        /// Creation time, in [`crate::SyncOptions::time_zone`].
        created: &'a OffsetDateTime,
        /// Whole days since creation, counted from the start of the album.
        age_days: i64,
        /// Whether it stays in iCloud.
        kept: bool,
    },
    /// An asset is being moved to Recently Deleted in iCloud: its files are on disk and
    /// flushed, and (with a state) the deletion was noted first.
    DeletingInIcloud {
        /// Display name.
        name: &'a str,
    },
    /// An asset was moved to Recently Deleted in iCloud.
    DeletedInIcloud {
        /// Display name.
        name: &'a str,
    },
    /// [`crate::RunMode::DryRun`]: the asset would be moved to Recently Deleted.
    WouldDeleteInIcloud {
        /// Display name.
        name: &'a str,
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
    },
    /// [`crate::SyncOptions::auto_delete`] begins.
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
    /// [`crate::RunMode::DryRun`]: the local file would be deleted.
    WouldDeleteLocal {
        /// The file.
        path: &'a Path,
    },
    /// An asset is finished (downloaded, present, skipped or failed), for progress bars.
    AssetDone,
    /// The files planned so far need more space than the disk has free: the run goes on, and
    /// stops cleanly ([`crate::Error::Disk`]) if the disk fills up.
    LowDiskSpace {
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
    /// The run asks Apple only for what changed since the last one (a [`crate::SyncState`]
    /// with fresh tokens for these options). [`SyncEvent::ChangesFound`] follows, or
    /// [`SyncEvent::ListingAll`] when the feed cannot answer.
    ListingChanges,
    /// What changed since the last run, sent once per incremental run, zeros included. The
    /// changed and missing assets then go through the pipeline as an `All Photos` album.
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
    /// A listing record could not be understood; the asset is reported as failed (so an
    /// incremental run keeps its old tokens and meets the record again next time).
    BadRecord {
        /// What was wrong.
        error: &'a str,
    },
}

/// Receives [`SyncEvent`]s. Called from the engine's tasks, so it must be quick and must not
/// block; it is never called concurrently with itself for one album's planning, but download
/// events come from several tasks.
///
/// The trait is synchronous and object-safe on purpose: an event is a borrowed view of the
/// engine's data (`SyncEvent<'_>`), valid only during the call, so nothing is cloned for a
/// reporter that ignores it. Keep what you need by copying it out. A reporter that talks to
/// a slow consumer (a socket, a GUI thread) should hand the facts to a channel and return.
///
/// ```
/// use std::sync::Mutex;
///
/// use icloudpd_sync::{Reporter, SyncEvent};
///
/// /// Collects the paths written, for a summary at the end.
/// #[derive(Default)]
/// struct Written(Mutex<Vec<std::path::PathBuf>>);
///
/// impl Reporter for Written {
///     fn event(&self, event: &SyncEvent<'_>) {
///         if let SyncEvent::Downloaded { path, .. } = event {
///             self.0.lock().unwrap().push(path.to_path_buf());
///         }
///     }
/// }
/// ```
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
