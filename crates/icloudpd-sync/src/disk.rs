//! The local disk: the problems that stop a run (full, read-only, out of file handles), free
//! space, temporary files opened without following links, and the clean-up of temporary files
//! an interrupted run left behind.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

/// What stops a run's downloads for good: the disk is full, read-only, or out of file
/// handles. Any later file would fail the same way, so no more are started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiskProblem {
    /// No space left (`ENOSPC`, `EDQUOT`).
    Full,
    /// The file system is read-only (`EROFS`).
    ReadOnly,
    /// The process may open no more files (`EMFILE`, `ENFILE`).
    TooManyOpenFiles,
}

impl DiskProblem {
    /// The disk problem an I/O error means, if it is one of those.
    pub(crate) fn of(e: &io::Error) -> Option<DiskProblem> {
        match e.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                return Some(DiskProblem::Full);
            }
            io::ErrorKind::ReadOnlyFilesystem => return Some(DiskProblem::ReadOnly),
            _ => {}
        }
        #[cfg(unix)]
        {
            let code = e.raw_os_error()?;
            let many = [rustix::io::Errno::MFILE, rustix::io::Errno::NFILE];
            if many.iter().any(|errno| errno.raw_os_error() == code) {
                return Some(DiskProblem::TooManyOpenFiles);
            }
        }
        None
    }
}

impl std::fmt::Display for DiskProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DiskProblem::Full => "the disk is full",
            DiskProblem::ReadOnly => "the file system is read-only",
            DiskProblem::TooManyOpenFiles => "too many files are open",
        })
    }
}

/// Opens a download's temporary file without following a link: for appending to what an
/// earlier attempt left, or as a new file (whatever had the name is removed first).
pub(crate) async fn open_temp(temp: &Path, append: bool) -> io::Result<tokio::fs::File> {
    let mut options = tokio::fs::OpenOptions::new();
    if append {
        options.append(true);
    } else {
        match tokio::fs::remove_file(temp).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        options.write(true).create_new(true);
    }
    #[cfg(unix)]
    {
        let nofollow = rustix::fs::OFlags::NOFOLLOW.bits();
        options.custom_flags(i32::try_from(nofollow).unwrap_or_default());
    }
    options.open(temp).await
}

/// Writes `bytes` into a new file at `path` (never through a link) and flushes it to disk.
pub(crate) async fn write_new_file(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    let mut file = open_temp(path, false).await?;
    file.write_all(bytes.as_ref()).await?;
    // Tokio writes in the background: `flush` reports a failed write (a full disk), which
    // `sync_all` alone would not.
    file.flush().await?;
    file.sync_all().await
}

/// Free bytes for an unprivileged user on the file system holding `path` (or its nearest
/// existing ancestor); `None` where unknown.
pub(crate) fn available_space(path: &Path) -> Option<u64> {
    let existing = path.ancestors().find(|p| p.exists())?;
    #[cfg(unix)]
    {
        let stats = rustix::fs::statvfs(existing).ok()?;
        Some(stats.f_bavail.saturating_mul(stats.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = existing;
        None
    }
}

/// The name of the marker a run keeps in the download directory while it has not finished a
/// clean pass: found at the start of a run, it says an earlier run was interrupted or failed
/// and may have left temporary files behind.
pub(crate) const RUN_MARKER: &str = ".icloudpd-unfinished";

/// A run's marker (see [`RUN_MARKER`]).
#[derive(Debug)]
pub(crate) struct RunMarker {
    path: PathBuf,
    started: SystemTime,
    earlier_unfinished: bool,
}

impl RunMarker {
    /// Notes whether an earlier run left the marker, and sets it for this one (best effort: a
    /// directory that cannot be written fails the downloads, which say why).
    pub(crate) fn begin(directory: &Path) -> RunMarker {
        let path = directory.join(RUN_MARKER);
        let earlier_unfinished = path.exists();
        if !earlier_unfinished {
            let _ = std::fs::create_dir_all(directory);
            let _ = std::fs::write(&path, b"");
        }
        RunMarker {
            path,
            started: SystemTime::now(),
            earlier_unfinished,
        }
    }

    /// After a clean pass over the whole library: removes what earlier runs left behind (if
    /// the marker said so) and the marker. Returns the temporary files removed.
    pub(crate) fn finish_clean(self) -> Vec<PathBuf> {
        let mut removed = Vec::new();
        if self.earlier_unfinished
            && let Some(directory) = self.path.parent()
        {
            remove_orphans(directory, self.started, &mut removed);
        }
        let _ = std::fs::remove_file(&self.path);
        removed
    }
}

/// Whether `name` is a temporary file of this program: `<BASE32>.part`, `<BASE32>.<n>.part`
/// (downloads), `….part.exif` (an EXIF rewrite), `.<16 hex digits>.xmp.part` (a sidecar).
pub(crate) fn is_temp_name(name: &str) -> bool {
    let base32 = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b) || b == b'=')
    };
    if let Some(hash) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(".xmp.part"))
    {
        return hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let name = name.strip_suffix(".exif").unwrap_or(name);
    let Some(stem) = name.strip_suffix(".part") else {
        return false;
    };
    match stem.rsplit_once('.') {
        Some((checksum, n)) => {
            base32(checksum) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
        }
        None => base32(stem),
    }
}

/// Removes this program's temporary files older than `before` under `directory`, never
/// following links; adds what it removed to `removed`.
fn remove_orphans(directory: &Path, before: SystemTime, removed: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            remove_orphans(&path, before, removed);
        } else if kind.is_file()
            && entry.file_name().to_str().is_some_and(is_temp_name)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < before)
            && std::fs::remove_file(&path).is_ok()
        {
            removed.push(path);
        }
    }
}

/// Whether the name ends in `.jpg` or `.jpeg`, any case (the files `--set-exif-datetime`
/// touches).
pub(crate) fn is_jpeg_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
}

/// Whether a file is a JPEG that `--set-exif-datetime` changed after download: its size no
/// longer matches Apple's, but its modification time is the asset's creation second, which we
/// set (icloudpd would download it again under a `-<size>` name on every run).
pub(crate) fn dated_by_us(path: &Path, meta: &std::fs::Metadata, created: &OffsetDateTime) -> bool {
    is_jpeg_name(path) && mtime_secs(meta) == Some(created.unix_timestamp())
}

/// The modification time in whole seconds since the epoch (negative before 1970).
fn mtime_secs(meta: &std::fs::Metadata) -> Option<i64> {
    let modified = meta.modified().ok()?;
    Some(match modified.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok()?,
        Err(e) => -i64::try_from(e.duration().as_secs()).ok()?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_ours_only() {
        for ours in [
            "AGHJZ6A3ATJDRWS7D5WZSUMJGNIPMVOBBY======.part",
            "AGHJZ6A3ATJDRWS7D5WZSUMJGNIPMVOBBY======.2.part",
            "AGHJZ6A3ATJDRWS7D5WZSUMJGNIPMVOBBY======.part.exif",
            ".0123456789abcdef.xmp.part",
        ] {
            assert!(is_temp_name(ours), "{ours}");
        }
        for theirs in [
            "IMG_0001.JPG",
            "IMG_0001.JPG.part",
            "notes.part",
            ".part",
            "ABC.x.part",
            ".0123.xmp.part",
            "IMG_0001.JPG.xmp",
        ] {
            assert!(!is_temp_name(theirs), "{theirs}");
        }
    }

    #[test]
    fn an_unfinished_run_is_cleaned_up_after_the_next_clean_pass() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("2024/01/02");
        std::fs::create_dir_all(&nested).unwrap();
        let orphan = nested.join("MFRGG===.part");
        let photo = nested.join("IMG_1.JPG");
        std::fs::write(&orphan, b"half").unwrap();
        std::fs::write(&photo, b"photo").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&nested, dir.path().join("MZXW6===.part")).unwrap();

        // A clean first run: nothing to clean, the marker goes.
        let marker = RunMarker::begin(dir.path());
        assert!(dir.path().join(RUN_MARKER).exists());
        assert!(marker.finish_clean().is_empty());
        assert!(orphan.exists() && !dir.path().join(RUN_MARKER).exists());

        // An interrupted run leaves the marker; the next clean pass removes the orphan.
        drop(RunMarker::begin(dir.path()));
        std::thread::sleep(std::time::Duration::from_millis(20));
        let marker = RunMarker::begin(dir.path());
        assert_eq!(marker.finish_clean(), std::slice::from_ref(&orphan));
        assert!(!orphan.exists() && photo.exists());
        assert!(
            nested.exists(),
            "a link named like a temporary file is not followed"
        );
    }
}
