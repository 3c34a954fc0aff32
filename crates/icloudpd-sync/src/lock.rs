//! [`DirectoryLock`]: one writer at a time in a download directory.

use std::path::{Path, PathBuf};

use icloud_auth::FileLock;

use crate::error::{Error, Result};

/// The file [`DirectoryLock`] locks in a download directory. It exists while a process holds
/// the lock (and after one that held it was killed); it is no photo and no sync touches it.
pub const LOCK_FILE_NAME: &str = ".icloudpd.lock";

/// An advisory lock on a download directory: while one process holds it, no other process
/// that asks for it (another icloudpd run, a cron job overlapping a long first sync) writes
/// into the directory, so none truncates a `.part` file another one is appending to.
///
/// The engine does not take it: its embedder does, before the first [`crate::SyncEngine`]
/// run, and holds it for as long as it writes into the directory (in a watch loop, for the
/// whole process). It is an [`icloud_auth::FileLock`] on [`LOCK_FILE_NAME`] in the directory:
/// the holder's process id is written there, the kernel releases the lock when the process
/// ends however it ends (a file left by a killed run never blocks), several locks of one
/// directory within a process share it, and the file is removed when the last is dropped.
#[derive(Debug)]
pub struct DirectoryLock {
    dir: PathBuf,
    _lock: FileLock,
}

impl DirectoryLock {
    /// Returns a lock on the download directory `dir`, creating the directory (and its
    /// parents) if needed. Never waits: to wait for the holder, try again later.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`] when another process holds the directory, with its process id when
    /// known; [`Error::Io`] when the directory or its lock file cannot be created or locked.
    pub fn try_acquire(dir: impl Into<PathBuf>) -> Result<DirectoryLock> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        match FileLock::try_acquire(dir.join(LOCK_FILE_NAME)) {
            Ok(lock) => Ok(DirectoryLock { dir, _lock: lock }),
            Err(icloud_auth::Error::Locked { pid, .. }) => Err(Error::Locked {
                directory: dir,
                pid,
            }),
            Err(icloud_auth::Error::Store { path, source }) => Err(Error::Io { path, source }),
            Err(other) => Err(Error::Io {
                path: dir.join(LOCK_FILE_NAME),
                source: std::io::Error::other(other.to_string()),
            }),
        }
    }

    /// Returns the locked directory, as given.
    pub fn directory(&self) -> &Path {
        &self.dir
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
mod tests {
    use std::fs;
    use std::io::Write as _;

    use super::*;

    #[test]
    fn a_directory_is_created_locked_shared_within_the_process_and_left_clean() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("photos/2024");
        let lock = DirectoryLock::try_acquire(&dir).unwrap();
        assert_eq!(lock.directory(), dir);
        let pid = fs::read_to_string(dir.join(LOCK_FILE_NAME)).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
        let again = DirectoryLock::try_acquire(tmp.path().join("photos/./2024")).unwrap();
        drop(lock);
        assert!(dir.join(LOCK_FILE_NAME).exists(), "still held");
        drop(again);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "no lock file left");
    }

    #[test]
    fn a_directory_held_by_another_process_is_refused_with_its_pid() {
        let tmp = tempfile::tempdir().unwrap();
        // Another process: a second open file description, locked.
        let mut other = fs::File::create(tmp.path().join(LOCK_FILE_NAME)).unwrap();
        other.try_lock().unwrap();
        other.write_all(b"777\n").unwrap();
        let err = DirectoryLock::try_acquire(tmp.path()).unwrap_err();
        assert!(
            matches!(&err, Error::Locked { pid: Some(777), directory } if directory == tmp.path()),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "download directory {} is in use by another process (pid 777)",
                tmp.path().display()
            )
        );
        let file = tmp.path().join("file");
        fs::write(&file, "").unwrap();
        let err = DirectoryLock::try_acquire(&file).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "not a directory: {err:?}");
    }
}
