//! The plan: what each asset needs on disk, which of its files are present, which must be
//! downloaded, and which local files go (cli.md §6.1). Planning is sequential in listing order,
//! so icloudpd's "first come, first named" de-duplication holds even though downloads run
//! concurrently: files being downloaded are *claimed* and count as present for later assets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use icloud_photos::{Asset, AssetId, AssetVersion, VersionKind};
use time::OffsetDateTime;

use crate::execute;
use crate::options::{FileMatchPolicy, LiveSize, Size, SyncOptions};
use crate::paths::{PathPolicy, SizeChoice, dedup_path, legacy_original_name};
use crate::report::{Reporter, SyncEvent, SyncReport};
use crate::select::age_days;

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
/// to the [`Reporter`] as [`SyncEvent::Planned`] in every run, and collected in a [`Plan`] by
/// [`crate::SyncEngine::plan`].
#[derive(Debug, Clone)]
pub struct PlannedAsset {
    asset: Asset,
    name: String,
    created: OffsetDateTime,
    downloads: Vec<PlannedDownload>,
    /// Final paths of the primary files, and whether each was found present (perhaps under
    /// its legacy `-original` name). XMP sidecars go next to them.
    primaries: Vec<(PathBuf, bool)>,
    /// Some requested size could not be satisfied (`force_size`).
    incomplete: bool,
    /// The versions found on disk already, with their paths (what a deletion in iCloud
    /// relies on besides the downloads).
    on_disk: Vec<(VersionKind, PathBuf)>,
    icloud_deletion: Option<IcloudDeletion>,
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
    /// the original in its place ([`SyncEvent::SizeMissing`] said which).
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
/// [`SyncEvent::Planned`].
///
/// ```
/// # use icloudpd_sync::Plan;
/// # fn show(plan: &Plan) {
/// for download in plan.downloads() {
///     println!("{} ({} bytes)", download.path.display(), download.size());
/// }
/// for deletion in plan.deletions() {
///     println!("delete {}", deletion.path.display());
/// }
/// println!("{} bytes to download", plan.bytes());
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

/// Paths being downloaded right now, with the size they will have. Shared with the download
/// tasks, which release their claim when done (the file then exists, or not).
#[derive(Debug, Default, Clone)]
pub(crate) struct Claims(Arc<Mutex<HashMap<PathBuf, u64>>>);

impl Claims {
    fn get(&self, path: &Path) -> Option<u64> {
        self.0.lock().ok()?.get(path).copied()
    }

    fn claim(&self, path: &Path, size: u64) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(path.to_path_buf(), size);
        }
    }

    pub(crate) fn release(&self, path: &Path) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(path);
        }
    }
}

/// Plans assets one after another.
#[derive(Debug)]
pub(crate) struct Planner {
    policy: PathPolicy,
    sizes: Vec<Size>,
    force_size: bool,
    live: Option<LiveSize>,
    dedup: bool,
    exif: bool,
    delete_after_download: bool,
    keep_days: Option<u32>,
    claims: Claims,
}

impl Planner {
    pub(crate) fn new(options: &SyncOptions, claims: Claims) -> Planner {
        Planner {
            policy: PathPolicy::new(options),
            sizes: options.sizes.clone(),
            force_size: options.force_size,
            live: (!options.skip_live_photos).then_some(options.live_photo_size),
            dedup: options.file_match_policy == FileMatchPolicy::NameSizeDedupWithSuffix,
            exif: options.set_exif_datetime,
            delete_after_download: options.delete_after_download,
            keep_days: options.keep_icloud_recent_days,
            claims,
        }
    }

    pub(crate) fn policy(&self) -> &PathPolicy {
        &self.policy
    }

    /// Plans `asset` (RAW alignment already applied), created at `created` and considered in
    /// an album that began at `album_now`. `until_found` is icloudpd's counter of consecutive
    /// present primary files: +1 per present file, reset by any file to fetch. Files to
    /// download are claimed.
    pub(crate) fn plan(
        &self,
        asset: Asset,
        created: OffsetDateTime,
        album_now: OffsetDateTime,
        reporter: &dyn Reporter,
        until_found: &mut u64,
    ) -> PlannedAsset {
        let name = self.policy.display_name(&asset);
        let folder = self.policy.folder(&created);
        let mut plan = PlannedAsset {
            name,
            created,
            downloads: Vec::new(),
            primaries: Vec::new(),
            incomplete: false,
            on_disk: Vec::new(),
            icloud_deletion: None,
            album_now,
            asset,
        };
        // Disjoint from the fields filled below.
        let asset = &plan.asset;
        for choice in self
            .policy
            .primary_files(asset, &plan.name, &self.sizes, self.force_size)
        {
            let file = match choice {
                SizeChoice::File(file) => file,
                SizeChoice::Missing(size) => {
                    reporter.event(&SyncEvent::SizeMissing {
                        size,
                        name: &plan.name,
                    });
                    plan.incomplete = true;
                    continue;
                }
                SizeChoice::Skip => continue,
            };
            let Some(version) = asset.version(file.version) else {
                continue;
            };
            let path = folder.join(&file.name);
            // Python's rules go by the size asked for: a medium/thumb falling back to the
            // original is an original; a copy standing in for adjusted/alternative is not.
            let requested = file.requested.unwrap_or(Size::Original);
            let original = requested == Size::Original;
            match self.locate(&path, version, original, &created, reporter) {
                Located::Present(path) => {
                    *until_found += 1;
                    plan.on_disk.push((version.kind(), path.clone()));
                    plan.primaries.push((path, true));
                }
                Located::Fetch(path) => {
                    *until_found = 0;
                    plan.primaries.push((path.clone(), false));
                    plan.downloads.push(PlannedDownload {
                        asset: asset.id().clone(),
                        path,
                        file_name: file.name,
                        version: version.clone(),
                        rendition: Rendition::Size(requested),
                    });
                }
            }
        }
        if let Some(live) = self.live
            && let Some(file) = self.policy.live_file(asset, &plan.name, live)
            && let Some(version) = asset.version(file.version)
        {
            let path = folder.join(&file.name);
            match self.locate(&path, version, false, &created, reporter) {
                Located::Present(path) => plan.on_disk.push((version.kind(), path)),
                Located::Fetch(path) => plan.downloads.push(PlannedDownload {
                    asset: asset.id().clone(),
                    path,
                    file_name: file.name,
                    version: version.clone(),
                    rendition: Rendition::LiveVideo(live),
                }),
            }
        }
        for task in &plan.downloads {
            self.claims.claim(&task.path, task.version.size());
        }
        plan.icloud_deletion = if self.delete_after_download {
            (!plan.downloads.is_empty()).then_some(IcloudDeletion::AfterDownload)
        } else {
            self.keep_days.and_then(|keep| {
                let age_days = age_days(&created, &album_now);
                (age_days >= i64::from(keep)).then_some(IcloudDeletion::Aged { age_days })
            })
        };
        plan
    }

    /// icloudpd's existence check for one file: the legacy `-original` name, then the size
    /// comparison and `-<size>` de-duplication of the default policy.
    fn locate(
        &self,
        path: &Path,
        version: &AssetVersion,
        original: bool,
        created: &OffsetDateTime,
        reporter: &dyn Reporter,
    ) -> Located {
        // As icloudpd: a legacy `-original` file stands in for the file (its size is compared),
        // but messages, de-duplication and sidecars use the normal name.
        let mut path = path.to_path_buf();
        let mut found = self.size_of(&path);
        let mut legacy = None;
        if found.is_none()
            && original
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            let candidate = path.with_file_name(legacy_original_name(name));
            if let Some(size) = self.size_of(&candidate) {
                found = Some(size);
                legacy = Some(candidate);
            }
        }
        if let (Some(size), true) = (found, self.dedup) {
            let existing = legacy.as_deref().unwrap_or(&path);
            if size != version.size() && !self.dated_by_us(existing, created) {
                path = dedup_path(&path, version.size());
                reporter.event(&SyncEvent::FileDeduplicated { path: &path });
                found = self.size_of(&path);
            }
        }
        if found.is_some() {
            reporter.event(&SyncEvent::FileExists { path: &path });
            Located::Present(path)
        } else {
            Located::Fetch(path)
        }
    }

    /// The size of a file about to exist (claimed) or existing.
    fn size_of(&self, path: &Path) -> Option<u64> {
        if let Some(size) = self.claims.get(path) {
            return Some(size);
        }
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    /// Under `--set-exif-datetime`, a JPEG we dated ourselves (see [`execute::dated_by_us`]).
    fn dated_by_us(&self, path: &Path, created: &OffsetDateTime) -> bool {
        self.exif
            && std::fs::metadata(path).is_ok_and(|meta| execute::dated_by_us(path, &meta, created))
    }
}

enum Located {
    Present(PathBuf),
    Fetch(PathBuf),
}
