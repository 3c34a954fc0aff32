//! Errors that stop a sync. One asset's failure is not one of them: it is an
//! [`crate::AssetFailure`] in the [`crate::SyncReport`].
//!
//! The rule for what is an [`Error`] and what is a failure in the report: an error is what
//! no later asset can avoid (the listing failed, the session expired, the disk is full, the
//! options are unsafe), so going on would only produce the same failure for every asset.
//! Anything particular to one asset (its download failed after the retries, its record
//! cannot be decoded, its sidecar cannot be written) is reported and the run goes on.
//!
//! | Variant | Retry the run? | What the caller does |
//! |---|---|---|
//! | [`Error::Photos`] with [`Error::needs_reauth`] | after signing in | sign in, [`crate::SyncEngine::rebind`], run again |
//! | [`Error::Photos`], otherwise | later | report; the next run goes on where this stopped |
//! | [`Error::UnknownAlbum`] | no | fix the album name |
//! | [`Error::UnknownSharedAlbum`], [`Error::AmbiguousSharedAlbum`] | no | name the shared album by its GUID |
//! | [`Error::NotForSharedAlbums`] | no | drop the deletion mode or `align_raw` for shared albums |
//! | [`Error::Io`] | after a fix | make the path writable |
//! | [`Error::Disk`] | after a fix | free space, remount read-write, raise the file limit |
//! | [`Error::Locked`] | when the holder is done | wait, or stop the other process |
//! | [`Error::State`] | after a fix | make the state's folder writable (or drop the state) |
//! | [`Error::FilesMissing`] | after a fix | mount the disk, or force a full scan |
//! | [`Error::Unsafe`] | no | change the options |
//! | [`Error::Cancelled`] | when wanted | nothing: it was asked for |

use std::path::PathBuf;

use crate::disk::DiskProblem;

/// Why a sync could not continue.
///
/// Per-asset problems are not errors: they are [`crate::AssetFailure`]s in the report. An
/// `Error` means the run stopped: the files downloaded so far are complete and recorded, the
/// downloads in flight were finished first, and running again continues where it stopped.
/// [`Error::needs_reauth`] tells the one case a caller should handle itself: the session
/// expired, so sign in again, [`crate::SyncEngine::rebind`], and run again.
///
/// ```no_run
/// # async fn demo(engine: &mut icloudpd_sync::SyncEngine, auth: impl Fn() -> icloud_photos::PhotosClient) {
/// let mut total = icloudpd_sync::SyncReport::default();
/// while let Err(e) = engine.run_into(&mut total).await {
///     if !e.needs_reauth() {
///         tracing::warn!("sync stopped: {e}");
///         break;
///     }
///     engine.rebind(auth()); // a fresh session's client
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Listing, counting or deleting failed (after the photos client's own retries). When
    /// [`icloud_photos::Error::needs_reauth`] is true, sign in again and run again: files
    /// already on disk are not downloaded twice.
    #[error(transparent)]
    Photos(#[from] icloud_photos::Error),
    /// An `--album` name that the library does not have. The albums are looked up before
    /// any is listed, so nothing was downloaded. Album names are matched exactly (case
    /// included), as in icloudpd.
    #[error("Album not found: {0}")]
    UnknownAlbum(String),
    /// An `--album` text that is neither the name nor the GUID of a shared album.
    #[error("Unknown album: {0}")]
    UnknownSharedAlbum(String),
    /// An `--album` name several shared albums have: name one by its GUID.
    #[error("Album name {name} is ambiguous: {} shared albums have it; use one of their GUIDs: {}", .guids.len(), .guids.join(", "))]
    AmbiguousSharedAlbum {
        /// The name.
        name: String,
        /// The GUIDs of the albums with that name.
        guids: Vec<String>,
    },
    /// An option that cannot apply to shared albums (a deletion mode, `align_raw`): they are
    /// only read, and hold no RAW pairs. Nothing was done.
    #[error("{0} cannot be used with shared albums")]
    NotForSharedAlbums(&'static str),
    /// The local disk refused something that every asset needs (e.g. the download directory),
    /// or a local file [`crate::SyncEngine::execute`] was to delete. A file that only one
    /// asset needs fails that asset instead ([`crate::FailureKind::Disk`]).
    #[error("{path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The disk the files go to refused a file in a way no later file can avoid (full,
    /// read-only, out of file handles): no more downloads were started, those in flight were
    /// finished or left as resumable temporary files. Free the disk and run again.
    #[error("{problem}: {directory}")]
    Disk {
        /// What is wrong.
        problem: DiskProblem,
        /// The download directory.
        directory: PathBuf,
    },
    /// Another process holds the download directory's [`crate::DirectoryLock`]. Returned by
    /// [`crate::DirectoryLock::try_acquire`], not by a run (the engine takes no lock itself):
    /// try again once the holder is done (the `icloudpd` binary's `--wait-for-lock` polls).
    #[error(
        "download directory {} is in use by another process (pid {})",
        .directory.display(),
        .pid.map_or_else(|| "unknown".to_owned(), |pid| pid.to_string())
    )]
    Locked {
        /// The download directory.
        directory: PathBuf,
        /// The holder's process id, when it wrote it.
        pid: Option<u32>,
    },
    /// The [`crate::SyncState`] could not be created, read or written. The files on disk are
    /// not affected; a state that cannot be read is set aside and rebuilt by itself, so this
    /// is about the folder it lives in (permissions, a full disk).
    #[error("sync state {}: {reason}", .path.display())]
    State {
        /// The state's file.
        path: PathBuf,
        /// What SQLite or the file system said.
        reason: String,
    },
    /// Most files that earlier runs put in the download directory are gone (a disk that is
    /// not mounted, a directory that was moved): nothing was downloaded, so as not to fill
    /// the wrong disk. Mount the disk, or ask for a full scan to download them again.
    #[error(
        "{missing} of the {recorded} files earlier runs put in {} are missing: is its disk mounted? Nothing was downloaded; ask for a full scan (icloudpd --full-scan) to download them again",
        .directory.display()
    )]
    FilesMissing {
        /// The download directory.
        directory: PathBuf,
        /// Files missing or changed in size.
        missing: usize,
        /// Files the state records.
        recorded: usize,
    },
    /// The options could delete in iCloud what is not kept on disk (see
    /// [`crate::SyncOptions::check_safety`]); nothing was done.
    #[error("refusing to run: {0}")]
    Unsafe(#[from] crate::UnsafeOptions),
    /// The run was stopped on request ([`crate::StopHandle::stop`]): the downloads in flight
    /// finished, nothing was recorded as complete, and the next run goes on from there.
    #[error("stopped on request")]
    Cancelled,
}

impl Error {
    /// Whether signing in again and re-running would help.
    pub fn needs_reauth(&self) -> bool {
        matches!(self, Error::Photos(e) if e.needs_reauth())
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
