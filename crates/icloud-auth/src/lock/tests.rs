//! The lock within one process. Another process is played by a second open file description
//! of the same file: `flock` locks of two descriptions conflict even within one process.

use std::fs::{self, File};
use std::io::Write as _;

use super::*;

/// Locks `path` as another process would, writing `pid` into it.
fn other_process(path: &Path, pid: &str) -> File {
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    file.try_lock().unwrap();
    file.set_len(0).unwrap();
    file.write_all(pid.as_bytes()).unwrap();
    file
}

#[test]
fn the_holder_writes_its_pid_and_removes_the_file_when_released() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.lock");
    let lock = FileLock::try_acquire(&path).unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{}\n", std::process::id())
    );
    assert_eq!(lock.path(), fs::canonicalize(&path).unwrap());
    drop(lock);
    assert!(!path.exists(), "released: removed");
}

#[test]
fn the_lock_is_reentrant_within_the_process_under_any_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.lock");
    let first = FileLock::try_acquire(&path).unwrap();
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    let second = FileLock::try_acquire(sub.join("..").join("x.lock")).unwrap();
    assert_eq!(first.path(), second.path());
    drop(first);
    assert!(path.exists(), "still held by the second handle");
    let err = FileLock::try_acquire(&path).map(|_| ());
    assert!(err.is_ok(), "a third handle: {err:?}");
    drop(second);
    assert!(!path.exists(), "the last handle released it");
}

#[test]
fn a_lock_held_elsewhere_is_refused_with_the_holders_pid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.lock");
    let holder = other_process(&path, "4242\n");
    let err = FileLock::try_acquire(&path).unwrap_err();
    assert!(
        matches!(&err, Error::Locked { pid: Some(4242), path: p } if p.ends_with("x.lock")),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .ends_with("x.lock is locked by another process (pid 4242)")
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "4242\n", "untouched");
    drop(holder);
    // Freed (as when the holder dies): the next one takes it, and its own pid.
    let lock = FileLock::try_acquire(&path).unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap().trim(),
        std::process::id().to_string()
    );
    drop(lock);
}

#[test]
fn a_holder_that_wrote_no_pid_yet_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.lock");
    let _holder = other_process(&path, "");
    let err = FileLock::try_acquire(&path).unwrap_err();
    assert!(matches!(err, Error::Locked { pid: None, .. }), "{err:?}");
    assert!(
        err.to_string()
            .ends_with("locked by another process (pid unknown)")
    );
}

#[test]
fn a_file_left_by_a_dead_holder_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.lock");
    fs::write(&path, "99999999\n").unwrap();
    let lock = FileLock::try_acquire(&path).unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap().trim(),
        std::process::id().to_string()
    );
    drop(lock);
}

#[test]
fn a_file_removed_by_a_release_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.lock");
    let file = other_process(&path, "1\n");
    assert!(is_at(&file, &path));
    fs::remove_file(&path).unwrap();
    assert!(!is_at(&file, &path), "removed");
    fs::write(&path, "").unwrap();
    assert!(!is_at(&file, &path), "another file at the path");
}

#[test]
fn a_missing_directory_is_a_store_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = FileLock::try_acquire(dir.path().join("no/such/x.lock")).unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err:?}");
    let err = FileLock::try_acquire("/").unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err:?}");
}
