//! Advisory locks on files: one process at a time, shared within it. They keep two runs off
//! the same session files ([`crate::FileSessionStore::try_lock`]) and, through icloudpd-sync,
//! off the same download directory.

use std::collections::BTreeMap;
use std::fs::{self, File, TryLockError};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::{Error, Result};

/// How often [`lock_file`] opens the path again after the file it locked was removed by the
/// holder releasing it meanwhile.
const ATTEMPTS: usize = 8;

/// The files this process holds a lock on, by canonical path, with their handle counts.
static HELD: Mutex<BTreeMap<PathBuf, Held>> = Mutex::new(BTreeMap::new());

/// One locked file.
#[derive(Debug)]
struct Held {
    /// Open, locked; closing it releases the lock.
    file: File,
    /// Live [`FileLock`]s of this path.
    handles: usize,
}

/// An advisory lock on one file, held by this process until its last handle is dropped.
///
/// [`FileLock::try_acquire`] creates the file if needed and locks it with the operating
/// system's advisory lock ([`File::try_lock`]: `flock` on Unix, `LockFileEx` on Windows).
/// The kernel releases that lock when the process ends, however it ends, so a file left behind
/// by a killed process never blocks a later one. The holder writes its process id into the
/// file, so that a process refused the lock can say who holds it.
///
/// Within one process the lock is reentrant: acquiring a path this process already holds
/// (under any spelling of it) returns another handle, and the lock is released when the last
/// handle is dropped. On release the file is removed (on Unix; elsewhere it is emptied), under
/// the lock, so that a process that opened it meanwhile notices and opens the path again.
///
/// Advisory means that only processes asking for the lock respect it: it stops no other
/// writer. On network file systems it is as reliable as their locking.
#[derive(Debug)]
pub struct FileLock {
    key: PathBuf,
}

impl FileLock {
    /// Returns a lock on the file at `path`, creating the file if needed; its directory must
    /// exist. Never waits: to wait for the holder, try again later.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`] when another process holds the lock, with that process's id when
    /// the file says it; [`Error::Store`] when the file cannot be created, opened or locked.
    pub fn try_acquire(path: impl AsRef<Path>) -> Result<FileLock> {
        let path = path.as_ref();
        let key = canonical(path).map_err(|source| Error::Store {
            path: path.to_owned(),
            source,
        })?;
        let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = held.get_mut(&key) {
            h.handles += 1;
            return Ok(FileLock { key });
        }
        let file = lock_file(&key)?;
        held.insert(key.clone(), Held { file, handles: 1 });
        Ok(FileLock { key })
    }

    /// Returns the locked file's path (its directory canonical).
    pub fn path(&self) -> &Path {
        &self.key
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(h) = held.get_mut(&self.key) else {
            return;
        };
        h.handles -= 1;
        if h.handles > 0 {
            return;
        }
        if let Some(h) = held.remove(&self.key) {
            release(h.file, &self.key);
        }
    }
}

/// Returns `path` with its directory canonical, so that every spelling of one file gives the
/// same key.
fn canonical(path: &Path) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a lock needs a file name"))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Ok(fs::canonicalize(dir)?.join(name))
}

/// Opens and locks the file at `path`, then writes this process's id into it.
fn lock_file(path: &Path) -> Result<File> {
    let store = |source| Error::Store {
        path: path.to_owned(),
        source,
    };
    for _ in 0..ATTEMPTS {
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(store)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    path: path.to_owned(),
                    pid: read_pid(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(store(e)),
        }
        if !is_at(&file, path) {
            // The holder released it between our open and our lock: a new file may be there.
            continue;
        }
        let pid = format!("{}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()))
            .map_err(store)?;
        return Ok(file);
    }
    Err(store(io::Error::other(
        "the lock file keeps being replaced",
    )))
}

/// Returns the process id written in a lock file, if it holds one.
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Returns whether `file` is still the file at `path` (not removed by a release).
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Returns whether `file` is still the file at `path`; without removal, it always is.
#[cfg(not(unix))]
fn is_at(_file: &File, _path: &Path) -> bool {
    true
}

/// Releases a lock: removes (on Unix) or empties the file while still holding it, then closes
/// it, which unlocks it.
fn release(file: File, path: &Path) {
    #[cfg(unix)]
    let gone = fs::remove_file(path);
    #[cfg(not(unix))]
    let gone = file.set_len(0);
    if let Err(e) = gone {
        tracing::debug!("cannot clear lock file {}: {e}", path.display());
    }
    drop(file);
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
mod tests;
