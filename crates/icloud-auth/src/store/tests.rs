use std::os::unix::fs::PermissionsExt as _;

use super::*;

/// Same shape as a session saved by Python icloudpd (fake values).
const SESSION_FIXTURE: &str = r#"{"client_id": "auth-7f1c2a9e-1111-4222-8333-944455556666", "account_country": "GBR", "session_id": "sess-0000000001", "session_token": "token-0000000001", "trust_eligible": "true", "apple_rscd": "409", "scnt": "scnt-0000000001"}"#;

const COOKIE_FIXTURE: &str = r#"#LWP-Cookies-2.0
Set-Cookie3: X-APPLE-UNIQUE-CLIENT-ID="\"Ab==\""; path="/"; domain=".icloud.com"; path_spec; domain_dot; secure; discard; version=0
Set-Cookie3: X-APPLE-WEBAUTH-LOGIN="\"v=1:t=Ab==BST_IAAAAAAABLw0000~~\""; path="/"; domain=".icloud.com"; path_spec; domain_dot; secure; discard; HttpOnly=None; version=0
Set-Cookie3: X-APPLE-WEBAUTH-HSA-LOGIN="\"v=2:t=Ab==BST_IAAAAAAABLw0001~~\""; path="/"; domain=".icloud.com"; path_spec; domain_dot; secure; discard; HttpOnly=None; version=0
"#;

const APPLE_ID: &str = "jdoe@gmail.com";

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn sample_state() -> SessionState {
    let mut state = SessionState::default();
    state.data.insert("client_id".into(), "auth-1234".into());
    state
        .data
        .insert("session_token".into(), "tök\"en\\".into());
    state.cookies = cookies::parse_lwp(COOKIE_FIXTURE).unwrap();
    state
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn base_name_keeps_word_characters() {
    assert_eq!(
        FileSessionStore::base_name("jdoe@gmail.com"),
        "jdoegmailcom"
    );
    assert_eq!(
        FileSessionStore::base_name("J.Doe+x_1@mail.example"),
        "JDoex_1mailexample"
    );
    assert_eq!(
        FileSessionStore::base_name("jöhn.dœ@例え.jp"),
        "jöhndœ例えjp"
    );
    assert_eq!(FileSessionStore::base_name("@.-"), "");

    let store = FileSessionStore::new("/tmp/cookies");
    assert_eq!(store.dir(), Path::new("/tmp/cookies"));
    assert_eq!(
        store.cookie_path(APPLE_ID),
        Path::new("/tmp/cookies/jdoegmailcom")
    );
    assert_eq!(
        store.session_path(APPLE_ID),
        Path::new("/tmp/cookies/jdoegmailcom.session")
    );
}

#[test]
fn round_trip_with_private_modes_and_no_leftovers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/b/cookies");
    let store = FileSessionStore::new(&dir);
    assert_eq!(store.load(APPLE_ID).unwrap(), SessionState::default());

    let state = sample_state();
    store.save(APPLE_ID, &state).unwrap();
    store.save(APPLE_ID, &state).unwrap();
    assert_eq!(store.load(APPLE_ID).unwrap(), state);

    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&tmp.path().join("a")), 0o700);
    assert_eq!(mode(&store.cookie_path(APPLE_ID)), 0o600);
    assert_eq!(mode(&store.session_path(APPLE_ID)), 0o600);
    assert_eq!(dir_entries(&dir), ["jdoegmailcom", "jdoegmailcom.session"]);

    // Another account shares the directory.
    store
        .save("other@icloud.com", &SessionState::default())
        .unwrap();
    assert_eq!(store.load(APPLE_ID).unwrap(), state);
    assert_eq!(dir_entries(&dir).len(), 4);
}

#[test]
fn replaces_existing_files_and_keeps_existing_dir_mode() {
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let store = FileSessionStore::new(tmp.path());
    fs::write(store.session_path(APPLE_ID), "{}").unwrap();
    fs::set_permissions(
        store.session_path(APPLE_ID),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();

    store.save(APPLE_ID, &sample_state()).unwrap();
    assert_eq!(mode(&store.session_path(APPLE_ID)), 0o600);
    assert_eq!(mode(tmp.path()), 0o755);
}

#[test]
fn writes_python_format_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileSessionStore::new(tmp.path());
    let mut state = SessionState::default();
    state.data.insert("client_id".into(), "auth-1".into());
    state.data.insert(
        "kéy".into(),
        "a\"\\\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é€😀/<>&".into(),
    );
    state.cookies = cookies::parse_lwp(COOKIE_FIXTURE).unwrap();
    store.save(APPLE_ID, &state).unwrap();

    // `json.dumps` of the same dict, by CPython 3.11.
    let expected = r#"{"client_id": "auth-1", "k\u00e9y": "a\"\\\n\r\t\b\f\u0001\u001f\u007f\u00e9\u20ac\ud83d\ude00/<>&"}"#;
    assert_eq!(
        fs::read_to_string(store.session_path(APPLE_ID)).unwrap(),
        expected
    );
    assert_eq!(
        fs::read_to_string(store.cookie_path(APPLE_ID)).unwrap(),
        COOKIE_FIXTURE
    );
    assert_eq!(store.load(APPLE_ID).unwrap(), state);

    store.save(APPLE_ID, &SessionState::default()).unwrap();
    assert_eq!(
        fs::read_to_string(store.session_path(APPLE_ID)).unwrap(),
        "{}"
    );
    assert_eq!(
        fs::read_to_string(store.cookie_path(APPLE_ID)).unwrap(),
        "#LWP-Cookies-2.0\n"
    );
}

#[test]
fn reads_files_written_by_python_icloudpd() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileSessionStore::new(tmp.path());
    fs::write(store.session_path(APPLE_ID), SESSION_FIXTURE).unwrap();
    fs::write(store.cookie_path(APPLE_ID), COOKIE_FIXTURE).unwrap();

    let state = store.load(APPLE_ID).unwrap();
    assert_eq!(state.data.len(), 7);
    assert_eq!(state.data["session_token"], "token-0000000001");
    assert_eq!(state.data["account_country"], "GBR");
    assert_eq!(state.cookies.len(), 3);
    assert_eq!(state.cookies[1].name(), "X-APPLE-WEBAUTH-LOGIN");
    assert_eq!(
        state.cookies[1].value(),
        r#""v=1:t=Ab==BST_IAAAAAAABLw0000~~""#
    );
}

#[test]
fn tolerates_odd_and_broken_files() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileSessionStore::new(tmp.path());
    fs::write(
        store.session_path(APPLE_ID),
        r#"{"scnt": "s", "n": 1, "b": true, "z": null, "o": {"x": "y"}, "future_key": "kept"}"#,
    )
    .unwrap();
    fs::write(store.cookie_path(APPLE_ID), b"\x80\x04\x95pickled jar").unwrap();
    let state = store.load(APPLE_ID).unwrap();
    let keys: Vec<&str> = state.data.keys().map(String::as_str).collect();
    assert_eq!(keys, ["future_key", "scnt"]);
    assert!(state.cookies.is_empty());

    fs::write(store.session_path(APPLE_ID), "{not json").unwrap();
    fs::write(store.cookie_path(APPLE_ID), "# Netscape HTTP Cookie File\n").unwrap();
    assert_eq!(store.load(APPLE_ID).unwrap(), SessionState::default());
    fs::write(store.session_path(APPLE_ID), r#"["a", "b"]"#).unwrap();
    assert_eq!(store.load(APPLE_ID).unwrap(), SessionState::default());
}

#[test]
fn save_errors_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    fs::write(&file, "").unwrap();
    let store = FileSessionStore::new(&file);
    match store.save(APPLE_ID, &SessionState::default()) {
        Err(Error::Store { path, .. }) => assert_eq!(path, file),
        other => panic!("unexpected {other:?}"),
    }

    let store = FileSessionStore::new(tmp.path());
    fs::create_dir(store.session_path(APPLE_ID)).unwrap();
    match store.save(APPLE_ID, &SessionState::default()) {
        Err(Error::Store { path, .. }) => assert_eq!(path, store.session_path(APPLE_ID)),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        dir_entries(tmp.path()),
        ["jdoegmailcom.session", "not-a-dir"]
    );

    assert!(matches!(
        store.save("@", &SessionState::default()),
        Err(Error::Store { .. })
    ));
    assert_eq!(store.load("@").unwrap(), SessionState::default());
}

#[test]
fn memory_store_round_trip() {
    let store = MemorySessionStore::default();
    assert_eq!(store.load(APPLE_ID).unwrap(), SessionState::default());
    store.save(APPLE_ID, &sample_state()).unwrap();
    assert_eq!(store.load(APPLE_ID).unwrap(), sample_state());
    assert_eq!(store.load("other").unwrap(), SessionState::default());
    assert_eq!(format!("{store:?}"), "MemorySessionStore { accounts: 1 }");
}

#[test]
fn debug_shows_keys_not_values() {
    let text = format!("{:?}", sample_state());
    assert_eq!(
        text,
        r#"SessionState { data_keys: ["client_id", "session_token"], cookies: 3 }"#
    );
}

#[test]
fn session_files_are_locked_per_apple_id() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cookies");
    let store = FileSessionStore::new(&dir);
    assert_eq!(store.lock_path(APPLE_ID), dir.join("jdoegmailcom.lock"));
    let lock = store.try_lock(APPLE_ID).unwrap();
    assert_eq!(mode(&dir), 0o700, "created as saving does");
    assert_eq!(dir_entries(&dir), ["jdoegmailcom.lock"]);
    let other = store.try_lock("other@example.com").unwrap();
    assert_eq!(
        dir_entries(&dir),
        ["jdoegmailcom.lock", "otherexamplecom.lock"]
    );
    store.save(APPLE_ID, &sample_state()).unwrap();
    drop((lock, other));
    assert_eq!(dir_entries(&dir), ["jdoegmailcom", "jdoegmailcom.session"]);
    assert!(matches!(store.try_lock("@."), Err(Error::Store { .. })));
}
