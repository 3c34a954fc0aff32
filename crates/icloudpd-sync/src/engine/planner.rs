//! Planning one asset after another (cli.md §6.1). Planning is sequential in listing order,
//! so icloudpd's "first come, first named" de-duplication holds even though downloads run
//! concurrently: files being downloaded are *claimed* and count as present for later assets.
//!
//! # Is a file there? ([`Planner::locate`], icloudpd's check)
//!
//! 1. The planned name is looked up (a claimed path counts, with its claimed size). For a
//!    file that stands for the original, a legacy `<stem>-original.<ext>` stands in when
//!    the plain name is absent (older icloudpd versions wrote those).
//! 2. Under [`FileMatchPolicy::NameSizeDedupWithSuffix`], a file found with a size other
//!    than Apple's is another asset's (or the user's), unless it is a JPEG this program
//!    dated under `--set-exif-datetime` ([`dated_by_us`]: its size changed, its
//!    modification time is the creation second). The file is then planned as
//!    `<stem>-<size>.<ext>`, and that name is looked up in turn.
//! 3. Whatever is found under the final name counts as present, whatever its size: icloudpd
//!    never replaces a file. Under [`FileMatchPolicy::NameId7`] no size is compared at all,
//!    since the name already holds the asset's id.
//!
//! A present primary file (a size asked for, not the live video) adds one to
//! `--until-found`'s counter and a primary file to fetch resets it. Every file to fetch is
//! claimed until its download ends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use icloud_photos::{Asset, AssetVersion};
use time::OffsetDateTime;

use crate::disk::dated_by_us;
use crate::options::{FileMatchPolicy, LiveSize, Size, SyncOptions};
use crate::paths::{PathPolicy, SizeChoice, dedup_path, legacy_original_name};
use crate::plan::{IcloudDeletion, PlannedAsset, PlannedDownload, Rendition};
use crate::report::{Reporter, SyncEvent};
use crate::select::age_days;

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

    /// Under `--set-exif-datetime`, a JPEG we dated ourselves (see [`dated_by_us`]).
    fn dated_by_us(&self, path: &Path, created: &OffsetDateTime) -> bool {
        self.exif && std::fs::metadata(path).is_ok_and(|meta| dated_by_us(path, &meta, created))
    }
}

enum Located {
    Present(PathBuf),
    Fetch(PathBuf),
}
