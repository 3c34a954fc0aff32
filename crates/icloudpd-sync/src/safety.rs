//! The rules that keep a photo from existing nowhere: which option mixes are refused, and
//! when an asset may be moved to Recently Deleted in iCloud. They live here, in one place,
//! and the engine asks them; `docs/compatibility.md` lists them for people.
//!
//! 1. An asset is deleted in iCloud only when its original and every version the run was
//!    asked for (the `--size`s, and the live-photo video unless `--skip-live-photos`) are on
//!    disk under their final names, durably (file and folder flushed).
//! 2. Option mixes that would delete in iCloud what is never kept locally are refused before
//!    anything happens: a deletion mode without the original size.
//! 3. `--auto-delete` removes local files of assets found in Recently Deleted. Combined with
//!    `--keep-icloud-recent-days`, which itself moves assets there, it would delete the only
//!    local copy of what this program moved. Without a [`crate::SyncState`] the combination is
//!    refused; with one, the engine notes each asset it moves (before moving it) and
//!    `--auto-delete` leaves those alone and removes only files the state recorded.

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use icloud_photos::{Asset, VersionKind};

use crate::options::{LiveSize, Size, SyncOptions};

/// An option mix that could delete in iCloud what is not kept on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnsafeOptions {
    /// A deletion mode without `--size original`: the originals would be deleted in iCloud
    /// and never downloaded.
    DeletionWithoutOriginal {
        /// The deletion option, e.g. `--delete-after-download`.
        mode: &'static str,
    },
    /// `--auto-delete` with `--keep-icloud-recent-days`: the first would delete the local
    /// files of the assets the second moved to Recently Deleted.
    AutoDeleteWithKeepRecent,
    /// `--auto-delete` with `--delete-after-download`: the first would delete the local files
    /// of the assets the second moved to Recently Deleted.
    AutoDeleteWithDeleteAfterDownload,
}

impl fmt::Display for UnsafeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsafeOptions::DeletionWithoutOriginal { mode } => write!(
                f,
                "{mode} without --size original would delete in iCloud originals that are never downloaded"
            ),
            UnsafeOptions::AutoDeleteWithDeleteAfterDownload => f.write_str(
                "--auto-delete with --delete-after-download would delete the local files of the assets that --delete-after-download moves to Recently Deleted",
            ),
            UnsafeOptions::AutoDeleteWithKeepRecent => f.write_str(
                "--auto-delete with --keep-icloud-recent-days would delete the local files of the assets that --keep-icloud-recent-days moves to Recently Deleted, leaving no copy anywhere after 30 days",
            ),
        }
    }
}

impl std::error::Error for UnsafeOptions {}

impl SyncOptions {
    /// Checks the option mixes that could lose photos when the engine runs without a
    /// [`crate::SyncState`]; the first one found is returned.
    ///
    /// # Errors
    ///
    /// Returns the [`UnsafeOptions`] the options make.
    pub fn check_safety(&self) -> Result<(), UnsafeOptions> {
        if self.auto_delete && self.keep_icloud_recent_days.is_some() {
            return Err(UnsafeOptions::AutoDeleteWithKeepRecent);
        }
        if self.auto_delete && self.delete_after_download {
            return Err(UnsafeOptions::AutoDeleteWithDeleteAfterDownload);
        }
        self.check_safety_with_state()
    }

    /// Checks the option mixes that could lose photos when the engine runs with a
    /// [`crate::SyncState`] ([`crate::SyncEngine::state`]): `--auto-delete` with
    /// `--keep-icloud-recent-days` or `--delete-after-download` is then allowed, because the
    /// state tells the assets this program moved to Recently Deleted from the ones the user
    /// deleted.
    ///
    /// # Errors
    ///
    /// Returns the [`UnsafeOptions`] the options make.
    pub fn check_safety_with_state(&self) -> Result<(), UnsafeOptions> {
        let mode = if self.delete_after_download {
            "--delete-after-download"
        } else if self.keep_icloud_recent_days.is_some() {
            "--keep-icloud-recent-days"
        } else {
            return Ok(());
        };
        if !self.sizes.contains(&Size::Original) {
            return Err(UnsafeOptions::DeletionWithoutOriginal { mode });
        }
        Ok(())
    }
}

/// The versions an asset has (RAW alignment applied).
pub(crate) fn versions_of(asset: &Asset) -> BTreeSet<VersionKind> {
    asset.versions().keys().copied().collect()
}

/// The versions that must be on disk before an asset with versions `has` may be deleted in
/// iCloud: its original, the version of every size asked for (`sizes`) and the live-photo
/// video of `live` (`None`: not asked for), each when the asset has it.
pub(crate) fn required_versions(
    has: &BTreeSet<VersionKind>,
    sizes: &[Size],
    live: Option<LiveSize>,
) -> BTreeSet<VersionKind> {
    let mut required = BTreeSet::from([VersionKind::Original]);
    if let Some(live) = live {
        required.insert(match live {
            LiveSize::Original => VersionKind::LiveOriginal,
            LiveSize::Medium => VersionKind::LiveMedium,
            LiveSize::Thumb => VersionKind::LiveThumb,
        });
    }
    for size in sizes {
        let kind = match size {
            Size::Original => VersionKind::Original,
            Size::Alternative => VersionKind::Alternative,
            Size::Medium => VersionKind::Medium,
            Size::Thumb => VersionKind::Thumb,
            Size::Adjusted => VersionKind::Adjusted,
        };
        required.insert(kind);
    }
    required.retain(|kind| has.contains(kind));
    required
}

/// The first required version not on disk, or `None` when the asset may be deleted.
pub(crate) fn missing_version(
    required: &BTreeSet<VersionKind>,
    on_disk: &BTreeSet<VersionKind>,
) -> Option<VersionKind> {
    required.difference(on_disk).next().copied()
}

/// Flushes `files` and their folders to disk, so that a deletion in iCloud never outlives a
/// power cut's worth of local copies.
///
/// # Errors
///
/// Returns the first I/O error, with its path.
pub(crate) fn make_durable(files: &[PathBuf]) -> Result<(), (PathBuf, io::Error)> {
    let mut folders: BTreeSet<&Path> = BTreeSet::new();
    for file in files {
        std::fs::File::open(file)
            .and_then(|f| f.sync_all())
            .map_err(|e| (file.clone(), e))?;
        if let Some(folder) = file.parent() {
            folders.insert(folder);
        }
    }
    for folder in folders {
        sync_folder(folder).map_err(|e| (folder.to_path_buf(), e))?;
    }
    Ok(())
}

/// Flushes a folder's entries (the renames into it) to disk. Windows has no such call; its
/// renames are flushed with the file.
fn sync_folder(folder: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(folder)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = folder;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests;
