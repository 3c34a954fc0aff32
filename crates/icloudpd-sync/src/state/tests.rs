use super::*;

fn row(path: &str, asset: &str) -> FileRow {
    FileRow {
        path: PathBuf::from(path),
        asset: asset.to_owned(),
        master: format!("M-{asset}"),
        kind: VersionKind::Original,
        size: 10,
        checksum: "c".to_owned(),
        disk_size: 12,
    }
}

#[test]
fn records_tokens_and_files_per_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s/a.sqlite");
    let state = SyncState::open(&path).unwrap();
    assert!(state.is_new());
    state
        .record("one", &AssetId::new("A"), vec![row("/d/a.jpg", "A")], false)
        .unwrap();
    state
        .record("two", &AssetId::new("B"), vec![row("/d/b.jpg", "B")], false)
        .unwrap();
    state
        .set_all(
            "one",
            &[(key::DB_TOKEN, Some("d1")), (key::ZONE_TOKEN, Some("z1"))],
        )
        .unwrap();
    drop(state);

    let state = SyncState::open(&path).unwrap();
    assert!(!state.is_new());
    let (db, zone) = state.tokens("one").unwrap().unwrap();
    assert_eq!((db.as_str(), zone.as_str()), ("d1", "z1"));
    assert_eq!(state.tokens("two").unwrap(), None);
    assert_eq!(state.files("one").unwrap(), vec![row("/d/a.jpg", "A")]);
    assert_eq!(
        state.files_of("two", &AssetId::new("B")).unwrap(),
        vec![row("/d/b.jpg", "B")]
    );
    state.forget_asset("one", &AssetId::new("A")).unwrap();
    assert!(state.files("one").unwrap().is_empty());
}

#[test]
fn a_corrupt_file_is_set_aside_and_a_new_state_started() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    std::fs::write(
        &path,
        b"this is not a database, but it is long enough to look like one",
    )
    .unwrap();
    let state = SyncState::open(&path).unwrap();
    assert!(state.is_new());
    assert!(dir.path().join("a.sqlite.corrupt").is_file());
    state
        .record("c", &AssetId::new("X"), vec![row("/x", "X")], false)
        .unwrap();
    assert_eq!(state.files("c").unwrap().len(), 1);
}

#[test]
fn a_newer_schema_is_an_error_and_stays_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = SyncState::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer icloudpd"), "{err}");
    assert!(path.is_file());
    assert!(!dir.path().join("a.sqlite.corrupt").exists());
}

#[test]
fn a_state_that_cannot_be_written_is_an_error_not_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    SyncState::open(&path).unwrap();
    // Another connection holds a write lock: busy, not corrupt.
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let opening = std::thread::spawn({
        let path = path.clone();
        move || SyncState::open(path)
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    other.execute_batch("COMMIT").unwrap();
    // The open waited for the lock (busy timeout) and then succeeded.
    assert!(opening.join().unwrap().is_ok());
    assert!(!dir.path().join("a.sqlite.corrupt").exists());
}

#[test]
fn deletions_by_us_are_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let state = SyncState::open(dir.path().join("a.sqlite")).unwrap();
    let id = AssetId::new("A");
    assert!(!state.was_deleted_by_us(&id).unwrap());
    state.deleted_by_us(&id).unwrap();
    assert!(state.was_deleted_by_us(&id).unwrap());
}

#[test]
fn stale_configurations_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let state = SyncState::open(dir.path().join("a.sqlite")).unwrap();
    state
        .record("old", &AssetId::new("O"), vec![row("/o", "O")], false)
        .unwrap();
    state
        .record("recent", &AssetId::new("R"), vec![row("/r", "R")], false)
        .unwrap();
    state
        .record("current", &AssetId::new("C"), vec![row("/c", "C")], false)
        .unwrap();
    let now = unix_now().to_string();
    state
        .set_all("recent", &[(key::LAST_FULL_SCAN, Some(&now))])
        .unwrap();
    state
        .set_all("old", &[(key::LAST_FULL_SCAN, Some("1000"))])
        .unwrap();
    state.prune("current").unwrap();
    assert!(state.files("old").unwrap().is_empty());
    assert_eq!(state.files("recent").unwrap().len(), 1);
    assert_eq!(state.files("current").unwrap().len(), 1);
}

#[test]
fn file_names_separate_accounts_libraries_and_directories() {
    let a = SyncState::file_name("j.doe@example.com", "PrimarySync", Path::new("/p"));
    assert!(
        a.starts_with("jdoeexamplecom.") && a.ends_with(".sqlite"),
        "{a}"
    );
    assert_eq!(
        a,
        SyncState::file_name("J.Doe@example.com", "PrimarySync", Path::new("/p"))
    );
    for other in [
        SyncState::file_name("j.doe@example.com", "SharedSync-1", Path::new("/p")),
        SyncState::file_name("j.doe@example.com", "PrimarySync", Path::new("/q")),
        SyncState::file_name("other@example.com", "PrimarySync", Path::new("/p")),
    ] {
        assert_ne!(a, other);
    }
}

#[test]
fn a_complete_record_replaces_the_assets_earlier_files() {
    let dir = tempfile::tempdir().unwrap();
    let state = SyncState::open(dir.path().join("a.sqlite")).unwrap();
    let id = AssetId::new("A");
    let rows = vec![row("/d/a.jpg", "A"), row("/d/a.mov", "A")];
    state.record("c", &id, rows, true).unwrap();
    // A partial record adds: the file that failed stays recorded.
    state
        .record("c", &id, vec![row("/d/a-1.jpg", "A")], false)
        .unwrap();
    assert_eq!(state.files_of("c", &id).unwrap().len(), 3);
    // A complete one replaces.
    state
        .record("c", &id, vec![row("/d/a-2.jpg", "A")], true)
        .unwrap();
    let paths: Vec<PathBuf> = state
        .files_of("c", &id)
        .unwrap()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(paths, [PathBuf::from("/d/a-2.jpg")]);
}

#[cfg(unix)]
#[test]
fn the_state_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let state = SyncState::open(&path).unwrap();
    state.set_all("c", &[(key::DB_TOKEN, Some("t"))]).unwrap();
    for file in [path.clone(), with_suffix(&path, "-wal")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{}: {mode:o}", file.display());
    }
}
