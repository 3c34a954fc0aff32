//! The plan as values: what each asset needs on disk, which of its files are present, which
//! must be downloaded ([`PlannedAsset`], [`PlannedDownload`]), and which local files go
//! ([`PlannedDeletion`]); a whole run's worth is a [`Plan`]. The engine's planner
//! (`engine/planner.rs`) makes them; nothing here touches the disk or the network.

use std::path::{Path, PathBuf};

use icloud_photos::{Asset, AssetId, AssetVersion, VersionKind};
use time::OffsetDateTime;

#[cfg(doc)]
use crate::options::SyncOptions;
use crate::options::{LiveSize, Size};
use crate::outcome::SyncReport;

/// What a planned file stands for: a size asked for, or the video of a live photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rendition {
    /// A size of [`SyncOptions::sizes`]. A medium or thumb that iCloud does not have is
    /// replaced by the original, which is then planned as [`Size::Original`].
    Size(Size),
    /// The video of a live photo, in [`SyncOptions::live_photo_size`].
    LiveVideo(LiveSize),
}

/// One file the plan downloads.
///
/// Its bytes are those of [`PlannedDownload::version`] (size and checksum as Apple announced
/// them); they go to a temporary file next to [`PlannedDownload::path`] and are renamed there
/// once complete.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlannedDownload {
    /// The asset the file belongs to.
    pub asset: AssetId,
    /// The final path (download directory, folder, file name).
    pub path: PathBuf,
    /// The file name the naming rules give, before a same-named file of another size on disk
    /// made it `<stem>-<size>.<ext>`: the file name of `path` unless de-duplicated.
    pub file_name: String,
    /// The version downloaded.
    pub version: AssetVersion,
    /// What the file stands for.
    pub rendition: Rendition,
}

impl PlannedDownload {
    /// Returns the file's size in bytes, as Apple announced it.
    pub fn size(&self) -> u64 {
        self.version.size()
    }

    /// Returns whether the file was renamed `<stem>-<size>.<ext>` because a same-named file
    /// of another size is on disk.
    pub fn is_deduplicated(&self) -> bool {
        self.path
            .file_name()
            .is_some_and(|name| name != self.file_name.as_str())
    }
}

/// Why the plan moves an asset to Recently Deleted in iCloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IcloudDeletion {
    /// [`SyncOptions::delete_after_download`]: once its downloads succeed.
    AfterDownload,
    /// [`SyncOptions::keep_icloud_recent_days`]: it is this many whole days old.
    Aged {
        /// Whole days since creation.
        age_days: i64,
    },
}

/// The plan of one asset: its files, which are on disk already, which will be downloaded.
///
/// Made by the engine for every asset that passes the filters, in listing order, and handed
/// to the [`Reporter`](crate::Reporter) as [`SyncEvent::Planned`](crate::SyncEvent::Planned) in every run, and collected in a [`Plan`] by
/// [`crate::SyncEngine::plan`].
#[derive(Debug, Clone)]
pub struct PlannedAsset {
    pub(crate) asset: Asset,
    pub(crate) name: String,
    pub(crate) created: OffsetDateTime,
    pub(crate) downloads: Vec<PlannedDownload>,
    /// Final paths of the primary files, and whether each was found present (perhaps under
    /// its legacy `-original` name). XMP sidecars go next to them.
    pub(crate) primaries: Vec<(PathBuf, bool)>,
    /// Some requested size could not be satisfied (`force_size`).
    pub(crate) incomplete: bool,
    /// The versions found on disk already, with their paths (what a deletion in iCloud
    /// relies on besides the downloads).
    pub(crate) on_disk: Vec<(VersionKind, PathBuf)>,
    pub(crate) icloud_deletion: Option<IcloudDeletion>,
    /// When the album began, for the age of [`IcloudDeletion::Aged`].
    pub(crate) album_now: OffsetDateTime,
}

impl PlannedAsset {
    /// Returns the asset (RAW alignment applied).
    pub fn asset(&self) -> &Asset {
        &self.asset
    }

    /// Returns its display name: the cleaned file name used in messages and as the base of
    /// its files' names.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns its creation time in [`SyncOptions::time_zone`], which chose its folder.
    pub fn created(&self) -> OffsetDateTime {
        self.created
    }

    /// Returns the files to download, the sizes in [`SyncOptions::sizes`] order, then the
    /// live-photo video.
    pub fn downloads(&self) -> &[PlannedDownload] {
        &self.downloads
    }

    /// Returns the files found on disk already (or about to be, when an earlier asset of the
    /// run downloads them), with the version each holds.
    pub fn present(&self) -> impl ExactSizeIterator<Item = (VersionKind, &Path)> + '_ {
        self.on_disk
            .iter()
            .map(|(kind, path)| (*kind, path.as_path()))
    }

    /// Returns whether a requested size is missing and [`SyncOptions::force_size`] forbade
    /// the original in its place ([`SyncEvent::SizeMissing`](crate::SyncEvent::SizeMissing) said which).
    pub fn is_incomplete(&self) -> bool {
        self.incomplete
    }

    /// Returns whether, and why, the asset is moved to Recently Deleted after its downloads
    /// (only if every version that makes it up is then on disk).
    pub fn icloud_deletion(&self) -> Option<IcloudDeletion> {
        self.icloud_deletion
    }

    pub(crate) fn primaries(&self) -> &[(PathBuf, bool)] {
        &self.primaries
    }

    pub(crate) fn on_disk(&self) -> &[(VersionKind, PathBuf)] {
        &self.on_disk
    }
}

/// A local file the plan deletes: a file of an asset found in Recently Deleted
/// ([`SyncOptions::auto_delete`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannedDeletion {
    /// The asset in Recently Deleted.
    pub asset: AssetId,
    /// The file.
    pub path: PathBuf,
}

/// Everything one run would do, computed without doing it: [`crate::SyncEngine::plan`] makes
/// it, an embedder inspects (and may narrow) it, [`crate::SyncEngine::execute`] carries it out.
///
/// A plan holds every asset with a file to download (and each asset's [`icloud_photos::Asset`],
/// about a kilobyte), so a first sync of a large library makes a large plan; assets whose
/// files are all present cost nothing. [`crate::SyncEngine::run`] plans and executes asset by
/// asset instead, in constant memory, and reports each asset's plan as
/// [`SyncEvent::Planned`](crate::SyncEvent::Planned).
///
/// ```
/// # use icloudpd_sync::Plan;
/// # fn show(plan: &Plan) {
/// for download in plan.downloads() {
///     tracing::info!("{} ({} bytes)", download.path.display(), download.size());
/// }
/// for deletion in plan.deletions() {
///     tracing::info!("delete {}", deletion.path.display());
/// }
/// tracing::info!("{} bytes to download", plan.bytes());
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub(crate) assets: Vec<PlannedAsset>,
    pub(crate) deletions: Vec<PlannedDeletion>,
    /// What planning found: files present, assets skipped, records that failed.
    pub(crate) report: SyncReport,
}

impl Plan {
    /// Returns the planned assets in listing order: those with a file to download, or to be
    /// moved to Recently Deleted.
    pub fn assets(&self) -> &[PlannedAsset] {
        &self.assets
    }

    /// Returns every file to download, in order.
    pub fn downloads(&self) -> impl Iterator<Item = &PlannedDownload> + '_ {
        self.assets.iter().flat_map(|a| a.downloads.iter())
    }

    /// Returns the local files to delete, after the downloads.
    pub fn deletions(&self) -> &[PlannedDeletion] {
        &self.deletions
    }

    /// Returns the bytes of all planned downloads.
    pub fn bytes(&self) -> u64 {
        self.downloads().map(PlannedDownload::size).sum()
    }

    /// Returns whether the plan does nothing.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty() && self.deletions.is_empty()
    }

    /// Returns what planning counted: files already present, assets filtered out, and
    /// assets that could not be planned (an unreadable record). [`crate::SyncEngine::execute`]
    /// adds these to its report.
    pub fn report(&self) -> &SyncReport {
        &self.report
    }

    /// Keeps only the assets `keep` returns `true` for: the others are neither downloaded
    /// nor deleted in iCloud.
    pub fn retain_assets(&mut self, keep: impl FnMut(&PlannedAsset) -> bool) {
        self.assets.retain(keep);
    }

    /// Keeps only the local deletions `keep` returns `true` for.
    pub fn retain_deletions(&mut self, keep: impl FnMut(&PlannedDeletion) -> bool) {
        self.deletions.retain(keep);
    }
}
