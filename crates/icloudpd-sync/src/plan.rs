//! What one asset needs on disk: its files, which of them are present, which must be
//! downloaded (cli.md §6.1). Planning is sequential in listing order, so icloudpd's
//! "first come, first named" de-duplication holds even though downloads run concurrently:
//! files being downloaded are *claimed* and count as present for later assets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset};
use icloud_photos::{Asset, AssetVersion, VersionKind};

use crate::execute;
use crate::options::{FileMatchPolicy, LiveSize, Size, SyncOptions};
use crate::paths::{PathPolicy, SizeChoice, dedup_path, legacy_original_name};
use crate::report::{Reporter, SyncEvent};

/// One file to download.
#[derive(Debug, Clone)]
pub(crate) struct FileTask {
    /// Final path.
    pub path: PathBuf,
    /// The version whose bytes go there.
    pub version: AssetVersion,
    /// The file name used in `Could not find URL to download <name> for size <size>`.
    pub url_name: String,
    /// The size word of that message.
    pub size_word: &'static str,
}

/// The files of one asset.
#[derive(Debug, Clone)]
pub(crate) struct AssetPlan {
    /// Display name (messages).
    pub name: String,
    /// Local creation time.
    pub created: DateTime<FixedOffset>,
    /// Files to download, primary sizes in `--size` order, then the live video.
    pub downloads: Vec<FileTask>,
    /// Final paths of the primary files, and whether each was found present (perhaps under
    /// its legacy `-original` name). XMP sidecars go next to them.
    pub primaries: Vec<(PathBuf, bool)>,
    /// Some requested size could not be satisfied (`--force-size`).
    pub incomplete: bool,
    /// Files found on disk already.
    pub present: u64,
    /// The versions found on disk already, with their paths (what a deletion in iCloud
    /// relies on besides the downloads).
    pub on_disk: Vec<(VersionKind, PathBuf)>,
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
            claims,
        }
    }

    pub(crate) fn policy(&self) -> &PathPolicy {
        &self.policy
    }

    /// Plans `asset` (RAW alignment already applied). `until_found` is icloudpd's counter of
    /// consecutive present primary files: +1 per present file, reset by any file to fetch.
    /// Files to download are claimed.
    pub(crate) fn plan(
        &self,
        asset: &Asset,
        created: DateTime<FixedOffset>,
        reporter: &dyn Reporter,
        until_found: &mut u64,
    ) -> AssetPlan {
        let name = self.policy.display_name(asset);
        let folder = self.policy.folder(&created);
        let mut plan = AssetPlan {
            name,
            created,
            downloads: Vec::new(),
            primaries: Vec::new(),
            incomplete: false,
            present: 0,
            on_disk: Vec::new(),
        };
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
            let size_word = requested.as_str();
            match self.locate(&path, version, original, &created, reporter) {
                Located::Present(path) => {
                    *until_found += 1;
                    plan.present += 1;
                    plan.on_disk.push((version.kind(), path.clone()));
                    plan.primaries.push((path, true));
                }
                Located::Fetch(path) => {
                    *until_found = 0;
                    plan.primaries.push((path.clone(), false));
                    plan.downloads.push(FileTask {
                        path,
                        version: version.clone(),
                        url_name: file.name.clone(),
                        size_word,
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
                Located::Present(path) => {
                    plan.present += 1;
                    plan.on_disk.push((version.kind(), path));
                }
                Located::Fetch(path) => plan.downloads.push(FileTask {
                    path,
                    version: version.clone(),
                    url_name: self.policy.live_name_for_messages(&plan.name),
                    size_word: live.as_str(),
                }),
            }
        }
        for task in &plan.downloads {
            self.claims.claim(&task.path, task.version.size());
        }
        plan
    }

    /// icloudpd's existence check for one file: the legacy `-original` name, then the size
    /// comparison and `-<size>` de-duplication of the default policy.
    fn locate(
        &self,
        path: &Path,
        version: &AssetVersion,
        original: bool,
        created: &DateTime<FixedOffset>,
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
    fn dated_by_us(&self, path: &Path, created: &DateTime<FixedOffset>) -> bool {
        self.exif
            && std::fs::metadata(path).is_ok_and(|meta| execute::dated_by_us(path, &meta, created))
    }
}

enum Located {
    Present(PathBuf),
    Fetch(PathBuf),
}
