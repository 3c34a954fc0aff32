//! Downloading one file safely: a temporary file in the target directory, resumed with
//! `Range` when a previous run left one, checked against the size Apple announced, dated,
//! optionally EXIF-dated, flushed to disk and renamed into place. Transient failures are
//! retried with jittered backoff; an expired or refused URL is replaced by a fresh one.
//!
//! # One file, step by step ([`Fetcher::fetch`])
//!
//! 1. If the disk already refused a file of this run for good, the file is not tried
//!    ([`FetchError::NotTried`]); otherwise its folder is created.
//! 2. A temporary name is reserved: `<BASE32(checksum)>.part` in the target folder, or
//!    `<BASE32>.<n>.part` when another download of this run uses that name (two files with
//!    the same bytes in one folder). Named by content, a temporary file is resumable by any
//!    later run that wants the same bytes there, and never resumed onto other bytes.
//! 3. [`Fetcher::attempt`]: whatever is at the temporary name is looked at without following
//!    links. Bytes already there are resumed with `Range`; more bytes than expected start
//!    the file over. The answer must announce the expected total, and a partial answer must
//!    start where asked; a body longer than announced is an error page, not a photo.
//! 4. Each failure is classified ([`Next`]): transient (connection cut, 5xx, a stall: the
//!    bytes so far are kept and the next attempt resumes), throttled (Apple's `Retry-After`),
//!    refresh (another 4xx, or a wrong size: the URL expired or the asset changed; one fresh
//!    URL is fetched from the asset's current records, and a version with another checksum
//!    starts over in its own temporary file), disk, or fatal. The loop's delays come from
//!    the options' [`RetryPolicy`]; a second refused URL makes the file missing.
//! 5. [`Fetcher::finish`]: EXIF date if asked (a second temporary file, `<temp>.exif`,
//!    renamed over the first), modification time set to the creation time, `fsync`, and the
//!    rename to the final name. A failure before the rename leaves the temporary file whole,
//!    so the next run finishes it without downloading again.
//!
//! A download is also cut when it stalls: [`Window`] requires
//! `min_download_speed × stall_window` bytes in every `stall_window`, and silence for a
//! whole window counts as a stall. A cut download is a transient failure and resumes.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use icloud_auth::RetryPolicy;
use icloud_photos::{
    Asset, AssetVersion, ByteStream, Library, PhotosClient, RawPolicy, SharedAlbum, SharedAlbums,
};
use time::{OffsetDateTime, PrimitiveDateTime};
use tokio::io::AsyncWriteExt;

use crate::disk::{DiskProblem, is_jpeg_name, open_temp, write_new_file};
use crate::metadata::{exif, xmp};
use crate::options::RunMode;
use crate::paths::temp_file_name;
use crate::plan::PlannedDownload;
use crate::report::{Reporter, SyncEvent};

/// Size of the write buffer between the network and the disk.
const WRITE_BUFFER: usize = 256 * 1024;

/// Why a file could not be downloaded.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// The folder could not be created.
    Folder(String),
    /// Apple answered the download with an error status, even with a fresh URL.
    MissingUrl(String),
    /// Writing to disk failed; `Some` when no later file can be written either.
    Io(String, Option<DiskProblem>),
    /// Anything else, after the retries.
    Failed(String),
    /// Not tried: the disk failed for an earlier file of this run.
    NotTried(DiskProblem),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Folder(e)
            | FetchError::MissingUrl(e)
            | FetchError::Io(e, _)
            | FetchError::Failed(e) => f.write_str(e),
            FetchError::NotTried(p) => write!(f, "not downloaded: {p}"),
        }
    }
}

/// How a failed attempt may continue.
enum Next {
    /// Try again (resuming) after the backoff.
    Transient(String),
    /// Apple asked to wait.
    Throttled(Option<Duration>, String),
    /// The URL (or what it returned) is bad: get a fresh one and try again.
    Refresh(String),
    /// The local disk failed.
    Io(String, Option<DiskProblem>),
    /// Give up.
    Fatal(String),
}

/// Where the assets of a sync come from: a library, or one shared album.
#[derive(Clone)]
pub(crate) enum Source {
    Library {
        photos: PhotosClient,
        library: Library,
    },
    Shared {
        shared: SharedAlbums,
        album: SharedAlbum,
    },
}

impl Source {
    async fn download(
        &self,
        version: &AssetVersion,
        offset: u64,
    ) -> icloud_photos::Result<ByteStream> {
        match self {
            Source::Library { photos, .. } => photos.download(version, offset).await,
            Source::Shared { shared, .. } => shared.download(version, offset).await,
        }
    }

    async fn refresh(&self, asset: &Asset) -> icloud_photos::Result<Asset> {
        match self {
            Source::Library { library, .. } => library.refresh(asset).await,
            Source::Shared { shared, album } => shared.refresh(album, asset).await,
        }
    }

    /// Moves `asset` to Recently Deleted; a shared album's items are never deleted.
    pub(crate) async fn delete(&self, asset: &Asset) -> Result<(), String> {
        match self {
            Source::Library { library, .. } => {
                library.delete(asset).await.map_err(|e| e.to_string())
            }
            Source::Shared { .. } => Err("shared albums are only read".to_owned()),
        }
    }
}

/// Downloads files; shared by all download tasks of a sync.
#[derive(Clone)]
pub(crate) struct Fetcher {
    pub source: Source,
    pub retry: RetryPolicy,
    pub align_raw: RawPolicy,
    pub set_exif: bool,
    pub reporter: Arc<dyn Reporter>,
    /// A download that brings fewer bytes than `stall.min_bytes` in `stall.window` is cut
    /// and resumed.
    pub stall: Stall,
    temps: Arc<Mutex<HashSet<PathBuf>>>,
    /// Set by the first file the disk refuses for good: later files are not tried.
    disk: Arc<Mutex<Option<DiskProblem>>>,
}

/// When a download counts as stalled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stall {
    /// The span over which progress is measured.
    pub window: Duration,
    /// The fewest bytes a window must bring.
    pub min_bytes: u64,
}

impl Fetcher {
    pub(crate) fn new(
        source: Source,
        options: &crate::SyncOptions,
        reporter: Arc<dyn Reporter>,
    ) -> Fetcher {
        Fetcher {
            source,
            retry: options.download_retry.clone(),
            align_raw: options.align_raw,
            set_exif: options.set_exif_datetime && options.mode != RunMode::DryRun,
            reporter,
            stall: Stall {
                window: options.stall_window,
                min_bytes: (options.min_download_speed as f64 * options.stall_window.as_secs_f64())
                    as u64,
            },
            temps: Arc::default(),
            disk: Arc::default(),
        }
    }

    /// The disk problem that stopped this run's downloads, if any.
    pub(crate) fn disk_problem(&self) -> Option<DiskProblem> {
        self.disk.lock().ok().and_then(|d| *d)
    }

    /// Records a disk problem that no later file can avoid.
    fn disk_failed(&self, problem: DiskProblem) {
        if let Ok(mut d) = self.disk.lock() {
            d.get_or_insert(problem);
        }
    }

    /// Downloads `task` of `asset` to its final path; returns the bytes written.
    pub(crate) async fn fetch(
        &self,
        asset: &Asset,
        task: &PlannedDownload,
        created: &OffsetDateTime,
    ) -> Result<u64, FetchError> {
        if let Some(problem) = self.disk_problem() {
            return Err(FetchError::NotTried(problem));
        }
        let path = &task.path;
        let dir = path.parent().unwrap_or(Path::new("."));
        if !dir.is_dir()
            && let Err(e) = tokio::fs::create_dir_all(dir).await
        {
            let error = e.to_string();
            self.reporter.event(&SyncEvent::FolderFailed {
                path: dir,
                error: &error,
            });
            if let Some(problem) = DiskProblem::of(&e) {
                self.disk_failed(problem);
            }
            return Err(FetchError::Folder(format!("{}: {e}", dir.display())));
        }
        self.reporter.event(&SyncEvent::DownloadStarted { path });
        let result = self.fetch_versions(asset, task, dir, created).await;
        if let Err(FetchError::Io(_, Some(problem))) = &result {
            self.disk_failed(*problem);
        }
        result
    }

    /// Downloads `task`, into the temporary file of the version being fetched: a fresh URL of
    /// another version (the asset changed) starts over in that version's file, so bytes of
    /// one version are never resumed onto another.
    async fn fetch_versions(
        &self,
        asset: &Asset,
        task: &PlannedDownload,
        dir: &Path,
        created: &OffsetDateTime,
    ) -> Result<u64, FetchError> {
        let path = &task.path;
        let mut version = task.version.clone();
        let mut temp = self.reserve_temp(dir, version.checksum());
        let mut attempt = 1u32;
        let mut refused = false;
        let result = loop {
            let failure = match self.attempt(&version, &temp, path, attempt == 1).await {
                Ok(()) => break Ok(()),
                Err(next) => next,
            };
            let (class, message) = match failure {
                Next::Transient(m) => (icloud_auth::RetryClass::Transient, m),
                Next::Throttled(after, m) => {
                    (icloud_auth::RetryClass::Throttled { retry_after: after }, m)
                }
                Next::Refresh(m) => {
                    // One fresh URL, at once; refused again, the file is missing.
                    if refused {
                        break Err(FetchError::MissingUrl(m));
                    }
                    refused = true;
                    let Some(fresh) = self.fresh_version(asset, &version).await else {
                        break Err(FetchError::MissingUrl(m));
                    };
                    if fresh.checksum() != version.checksum() {
                        // Another version now: what was fetched of the old one is worthless.
                        let _ = tokio::fs::remove_file(&temp).await;
                        self.release_temp(&temp);
                        temp = self.reserve_temp(dir, fresh.checksum());
                    }
                    version = fresh;
                    attempt += 1;
                    continue;
                }
                Next::Io(m, problem) => break Err(FetchError::Io(m, problem)),
                Next::Fatal(m) => break Err(FetchError::Failed(m)),
            };
            let Some(after) = self.retry.delay(attempt, class) else {
                break Err(FetchError::Failed(message));
            };
            self.reporter.event(&SyncEvent::Retrying {
                path,
                error: &message,
                after,
            });
            tokio::time::sleep(after).await;
            attempt += 1;
        };
        // A version Apple gave no size (some shared-album records) is as long as its download.
        let size = match (version.size_is_known(), tokio::fs::metadata(&temp).await) {
            (false, Ok(meta)) => meta.len(),
            _ => version.size(),
        };
        let result = match result {
            Ok(()) => self.finish(&temp, path, size, created).await.map_err(|e| {
                FetchError::Io(format!("{}: {e}", path.display()), DiskProblem::of(&e))
            }),
            Err(e) => Err(e),
        };
        self.release_temp(&temp);
        result
    }

    /// One GET into the temporary file, resuming what is there.
    async fn attempt(
        &self,
        version: &AssetVersion,
        temp: &Path,
        path: &Path,
        first: bool,
    ) -> Result<(), Next> {
        let known = version.size_is_known();
        let mut expected = version.size();
        let io = |e: io::Error| {
            let problem = DiskProblem::of(&e);
            Next::Io(format!("{}: {e}", temp.display()), problem)
        };
        // Never through a link: anything but a plain file is removed and fetched anew.
        let mut offset = match tokio::fs::symlink_metadata(temp).await {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => {
                tokio::fs::remove_file(temp).await.map_err(io)?;
                0
            }
            Err(_) => 0,
        };
        // Without a known size, a leftover cannot be told complete: start over.
        if offset > expected || (!known && offset > 0) {
            tokio::fs::remove_file(temp).await.map_err(io)?;
            offset = 0;
        }
        if known && offset == expected && expected > 0 {
            return Ok(());
        }
        if offset > 0 && first {
            self.reporter
                .event(&SyncEvent::Resuming { path, from: offset });
        }
        let mut body = self
            .source
            .download(version, offset)
            .await
            .map_err(classify)?;
        if !known {
            expected = body.total_size().unwrap_or(u64::MAX);
            tracing::debug!(path = %path.display(), size = ?body.total_size(), "no size announced: taking the download's");
        }
        if let Some(total) = body.total_size()
            && total != expected
        {
            return Err(Next::Refresh(format!(
                "the server sent a body of {total} bytes where {expected} were expected"
            )));
        }
        if body.is_partial() && body.offset() != offset {
            // A range we did not ask for cannot be placed: start the file over.
            let _ = tokio::fs::remove_file(temp).await;
            return Err(Next::Transient(format!(
                "the server answered bytes from {} instead of {offset}",
                body.offset()
            )));
        }
        let resume = offset > 0 && body.is_partial();
        let file = open_temp(temp, resume).await.map_err(io)?;
        let mut out = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut written = if resume { offset } else { 0 };
        let mut window = Window::new(self.stall);
        loop {
            let Some(chunk) = window.next(&mut body).await else {
                break;
            };
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(stalled) => {
                    // Keep what arrived: the next attempt resumes from there.
                    out.flush().await.map_err(io)?;
                    return Err(Next::Transient(stalled));
                }
            };
            match chunk {
                Ok(bytes) => {
                    written += bytes.len() as u64;
                    if written > expected {
                        drop(out);
                        let _ = tokio::fs::remove_file(temp).await;
                        return Err(Next::Refresh(format!(
                            "the server sent more than the {expected} bytes expected"
                        )));
                    }
                    out.write_all(&bytes).await.map_err(io)?;
                    self.reporter.event(&SyncEvent::Progress {
                        bytes: bytes.len() as u64,
                    });
                }
                Err(e) => {
                    // Keep what arrived: the next attempt resumes from there.
                    out.flush().await.map_err(io)?;
                    return Err(match classify(e) {
                        Next::Fatal(m) => Next::Transient(m),
                        other => other,
                    });
                }
            }
        }
        out.flush().await.map_err(io)?;
        if written < expected && expected != u64::MAX {
            return Err(Next::Transient(format!(
                "the connection ended after {written} of {expected} bytes"
            )));
        }
        Ok(())
    }

    /// A fresh download URL for `version`'s kind, from the asset's current records.
    async fn fresh_version(&self, asset: &Asset, version: &AssetVersion) -> Option<AssetVersion> {
        let mut fresh = self.source.refresh(asset).await.ok()?;
        fresh.align_raw(self.align_raw);
        fresh.version(version.kind()).cloned()
    }

    /// EXIF, times, flush, rename. A failed EXIF rewrite fails the file and leaves the
    /// temporary file as it was (whole, so the next run finishes it without downloading).
    async fn finish(
        &self,
        temp: &Path,
        path: &Path,
        size: u64,
        created: &OffsetDateTime,
    ) -> io::Result<u64> {
        if self.set_exif && is_jpeg_name(path) {
            self.write_exif(temp, path, created).await?;
        }
        let temp_owned = temp.to_path_buf();
        let when = system_time(created.unix_timestamp());
        tokio::task::spawn_blocking(move || -> io::Result<()> {
            let file = std::fs::OpenOptions::new().write(true).open(&temp_owned)?;
            file.set_times(
                std::fs::FileTimes::new()
                    .set_accessed(when)
                    .set_modified(when),
            )?;
            file.sync_all()
        })
        .await
        .map_err(io::Error::other)??;
        tokio::fs::rename(temp, path).await?;
        Ok(size)
    }

    /// Writes the EXIF date into the downloaded JPEG when it has none, atomically: the new
    /// bytes go to a second temporary file, which is flushed and renamed over the first. A
    /// JPEG whose EXIF cannot be read or patched is kept as downloaded (reported); only a
    /// failed write is an error.
    async fn write_exif(
        &self,
        temp: &Path,
        path: &Path,
        created: &OffsetDateTime,
    ) -> io::Result<()> {
        let bytes = tokio::fs::read(temp).await?;
        match exif::date_time_original(&bytes) {
            Ok(Some(_)) => return Ok(()),
            Ok(None) => {}
            Err(_) => self
                .reporter
                .event(&SyncEvent::ExifFailed { path, read: true }),
        }
        self.reporter.event(&SyncEvent::SettingExif {
            path,
            when: created,
        });
        let Ok(patched) = exif::with_date_time(
            &bytes,
            PrimitiveDateTime::new(created.date(), created.time()),
        ) else {
            self.reporter
                .event(&SyncEvent::ExifFailed { path, read: false });
            return Ok(());
        };
        let rewrite = exif_temp(temp);
        let written = write_new_file(&rewrite, patched).await;
        match written {
            Ok(()) => tokio::fs::rename(&rewrite, temp).await,
            Err(e) => {
                let _ = tokio::fs::remove_file(&rewrite).await;
                self.reporter
                    .event(&SyncEvent::ExifFailed { path, read: false });
                Err(e)
            }
        }
    }

    /// `<dir>/<BASE32(checksum)>.part`, or a numbered variant when another download of this
    /// run uses that name (two files with the same bytes in one folder).
    fn reserve_temp(&self, dir: &Path, checksum: &str) -> PathBuf {
        let name = temp_file_name(checksum);
        let Ok(mut temps) = self.temps.lock() else {
            return dir.join(name);
        };
        let mut candidate = dir.join(&name);
        let mut n = 1;
        while temps.contains(&candidate) {
            n += 1;
            candidate = dir.join(format!("{}.{n}.part", name.trim_end_matches(".part")));
        }
        temps.insert(candidate.clone());
        candidate
    }

    fn release_temp(&self, temp: &Path) {
        if let Ok(mut temps) = self.temps.lock() {
            temps.remove(temp);
        }
    }
}

/// The second temporary file of an EXIF rewrite, beside the download's: `<temp>.exif`.
fn exif_temp(temp: &Path) -> PathBuf {
    let mut name = temp.as_os_str().to_owned();
    name.push(".exif");
    PathBuf::from(name)
}

/// Watches a download's progress: each `window` must bring `min_bytes`, and a body silent for
/// a whole window counts as stalled.
struct Window {
    stall: Stall,
    started: tokio::time::Instant,
    bytes: u64,
}

impl Window {
    fn new(stall: Stall) -> Window {
        Window {
            stall,
            started: tokio::time::Instant::now(),
            bytes: 0,
        }
    }

    /// The next chunk of `body`; `Err` when the download stalled (silent through a whole
    /// window) or is too slow (fewer than `min_bytes` in a window).
    async fn next(
        &mut self,
        body: &mut icloud_photos::ByteStream,
    ) -> Option<Result<icloud_photos::Result<bytes::Bytes>, String>> {
        loop {
            let deadline = self.started + self.stall.window;
            match tokio::time::timeout_at(deadline, body.next()).await {
                Ok(chunk) => {
                    let chunk = chunk?;
                    if let Ok(bytes) = &chunk {
                        self.bytes += bytes.len() as u64;
                    }
                    if tokio::time::Instant::now() >= deadline
                        && let Err(slow) = self.close_window()
                    {
                        return Some(Err(slow));
                    }
                    return Some(Ok(chunk));
                }
                Err(_) => {
                    if let Err(slow) = self.close_window() {
                        return Some(Err(slow));
                    }
                }
            }
        }
    }

    /// Ends the current window: `Err` when it brought too little, else a new window starts.
    fn close_window(&mut self) -> Result<(), String> {
        let seconds = self.stall.window.as_secs_f32();
        if self.bytes == 0 {
            return Err(format!("the download stalled: no data for {seconds} s"));
        }
        if self.bytes < self.stall.min_bytes {
            return Err(format!(
                "the download is too slow: {} bytes in {seconds} s",
                self.bytes
            ));
        }
        self.started = tokio::time::Instant::now();
        self.bytes = 0;
        Ok(())
    }
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").finish_non_exhaustive()
    }
}

fn classify(e: icloud_photos::Error) -> Next {
    use icloud_photos::Error as E;
    let message = e.to_string();
    match e {
        E::Throttled { retry_after } => Next::Throttled(retry_after, message),
        E::Transport(_) => Next::Transient(message),
        E::Download { status } if status >= 500 => Next::Transient(message),
        E::Download { .. } | E::NotFound { .. } => Next::Refresh(message),
        _ => Next::Fatal(message),
    }
}

/// `secs` since the epoch (negative before 1970) as a `SystemTime`.
pub(crate) fn system_time(secs: i64) -> SystemTime {
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        SystemTime::UNIX_EPOCH
            .checked_add(magnitude)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    } else {
        SystemTime::UNIX_EPOCH
            .checked_sub(magnitude)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// Writes the XMP sidecar of a primary file unless one from another tool is there.
pub(crate) async fn write_sidecar(
    media: &Path,
    asset: &Asset,
    toolkit: &str,
    reporter: &dyn Reporter,
) -> io::Result<()> {
    let mut name = media.as_os_str().to_owned();
    name.push(".xmp");
    let sidecar = PathBuf::from(name);
    if let Ok(existing) = tokio::fs::read(&sidecar).await
        && let xmp::Existing::Keep(reason) = xmp::check_existing(&existing)
    {
        reporter.event(&SyncEvent::XmpKept {
            path: &sidecar,
            reason: &reason,
        });
        return Ok(());
    }
    let content = xmp::render(asset, toolkit);
    // A short temporary name: `<sidecar>.part` could exceed the file-name limit.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sidecar.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let temp = sidecar.with_file_name(format!(".{hash:016x}.xmp.part"));
    tokio::fs::write(&temp, content).await?;
    tokio::fs::rename(&temp, &sidecar).await
}
