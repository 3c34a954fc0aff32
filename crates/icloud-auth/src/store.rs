//! Session persistence: the session-data map and the cookies of one Apple ID, stored in Python
//! icloudpd's cookie-directory files so that existing `~/.pyicloud` directories keep working
//! (spec §10).

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::cookies::{self, Cookie};
use crate::lock::FileLock;
use crate::private_fs::{create_private_dir, write_atomic};
use crate::{Error, Result};

/// Everything persisted for one Apple ID between runs.
///
/// `data` is the `.session` map (`client_id`, `scnt`, `session_id`, `session_token`,
/// `account_country`, `trust_token`, …); `cookies` is the whole cookie jar, expired and session
/// cookies included. The `Debug` output lists the data keys and the cookie count, never values.
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SessionState {
    /// Session data by key, as in the `.session` file.
    pub data: BTreeMap<String, String>,
    /// All cookies of the session, in creation order.
    pub cookies: Vec<Cookie>,
}

impl fmt::Debug for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionState")
            .field("data_keys", &self.data.keys().collect::<Vec<_>>())
            .field("cookies", &self.cookies.len())
            .finish()
    }
}

/// Where sessions are kept between runs. Deliberately synchronous: loads and saves are small
/// local writes.
///
/// A store is what makes a sign-in last: the cookies and tokens Apple hands out (the trust
/// token that spares the second factor for about a month among them) are saved after every
/// answer that changes them, and loaded when a sign-in or [`crate::AuthClient::resume`]
/// starts. The crate provides [`FileSessionStore`] (Python icloudpd's files, so both programs
/// share a session) and [`MemorySessionStore`] (tests, or a program that does not want to
/// remember sessions). An embedder that keeps its state elsewhere (a database, a secrets
/// service) implements the two methods; treat [`SessionState`] as a secret, since it holds
/// the account's session cookies.
///
/// # Example
///
/// A store that keeps one account's state in memory behind a `Mutex`, and counts saves:
///
/// ```
/// use std::sync::Mutex;
/// use icloud_auth::{Result, SessionState, SessionStore};
///
/// #[derive(Debug, Default)]
/// struct Counting {
///     state: Mutex<SessionState>,
///     saves: Mutex<usize>,
/// }
///
/// impl SessionStore for Counting {
///     fn load(&self, _apple_id: &str) -> Result<SessionState> {
///         Ok(self.state.lock().unwrap().clone())
///     }
///
///     fn save(&self, _apple_id: &str, state: &SessionState) -> Result<()> {
///         *self.state.lock().unwrap() = state.clone();
///         *self.saves.lock().unwrap() += 1;
///         Ok(())
///     }
/// }
///
/// let store = Counting::default();
/// let mut state = SessionState::default();
/// state.data.insert("client_id".to_owned(), "auth-1234".to_owned());
/// store.save("jdoe@gmail.com", &state)?;
/// assert_eq!(store.load("jdoe@gmail.com")?, state);
/// assert_eq!(*store.saves.lock().unwrap(), 1);
/// # Ok::<(), icloud_auth::Error>(())
/// ```
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// Returns the stored session of `apple_id`, or an empty state if there is none.
    ///
    /// # Errors
    ///
    /// An implementation returns [`Error::Store`] when what is stored cannot be read at all;
    /// the sign-in that called it fails with that error. Prefer an empty state for what is
    /// merely missing or unusable, as a fresh sign-in repairs it.
    fn load(&self, apple_id: &str) -> Result<SessionState>;

    /// Replaces the stored session of `apple_id` with `state`.
    ///
    /// Called after every answer from Apple that changed the state, so it should be cheap
    /// and atomic (a reader never sees half a state).
    ///
    /// # Errors
    ///
    /// An implementation returns [`Error::Store`] when the state cannot be kept; the request
    /// whose answer was being saved then fails with it.
    fn save(&self, apple_id: &str, state: &SessionState) -> Result<()>;
}

/// Stores sessions in a cookie directory exactly as Python icloudpd does: the LWP cookie jar in
/// `<dir>/<base>` and the session data as JSON in `<dir>/<base>.session`, where `<base>` is the
/// Apple ID without its non-word characters ([`FileSessionStore::base_name`]).
///
/// Saving creates the directory (and its parents) with mode 0700 and replaces both files
/// atomically with mode 0600. Several Apple IDs can share one directory.
///
/// Two processes saving the same account's session would overwrite each other's tokens; a
/// program that may run twice holds [`FileSessionStore::try_lock`] while it works.
///
/// ```
/// use std::sync::Arc;
/// use icloud_auth::{FileSessionStore, SessionState, SessionStore};
///
/// let dir = tempfile::tempdir()?;
/// let store = FileSessionStore::new(dir.path().join("pyicloud"));
/// let _lock = store.try_lock("jdoe@gmail.com")?; // a second run would fail here
///
/// let mut state = SessionState::default();
/// state.data.insert("client_id".to_owned(), "auth-1234".to_owned());
/// store.save("jdoe@gmail.com", &state)?;
/// assert!(store.session_path("jdoe@gmail.com").ends_with("pyicloud/jdoegmailcom.session"));
/// assert_eq!(store.load("jdoe@gmail.com")?.data["client_id"], "auth-1234");
///
/// // What an AuthClient takes:
/// let _shared: Arc<dyn SessionStore> = Arc::new(store);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FileSessionStore {
    dir: PathBuf,
}

impl FileSessionStore {
    /// Returns a store for the cookie directory `dir` (not created until the first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileSessionStore { dir: dir.into() }
    }

    /// Returns the cookie directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Returns the file base name for `apple_id`: every character that is not a letter, digit or
    /// `_` removed (Python's Unicode `\w`), e.g. `jdoe@gmail.com` → `jdoegmailcom`.
    ///
    /// The case is kept; icloudpd lowercases the Apple ID before it gets here.
    pub fn base_name(apple_id: &str) -> String {
        apple_id
            .chars()
            .filter(|&c| cookies::is_word_char(c))
            .collect()
    }

    /// Returns the path of the cookie jar of `apple_id`: `<dir>/<base>`.
    pub fn cookie_path(&self, apple_id: &str) -> PathBuf {
        self.dir.join(Self::base_name(apple_id))
    }

    /// Returns the path of the session data of `apple_id`: `<dir>/<base>.session`.
    pub fn session_path(&self, apple_id: &str) -> PathBuf {
        self.dir
            .join(format!("{}.session", Self::base_name(apple_id)))
    }

    /// Returns the path of the lock of `apple_id`'s session files: `<dir>/<base>.lock`.
    pub fn lock_path(&self, apple_id: &str) -> PathBuf {
        self.dir.join(format!("{}.lock", Self::base_name(apple_id)))
    }

    /// Locks the session files of `apple_id` for this process ([`FileLock`] on
    /// [`FileSessionStore::lock_path`]), creating the directory as saving does. Hold the lock
    /// for as long as sessions of this store may be saved: a second process using the same
    /// files fails here instead of overwriting them. Other Apple IDs in the directory are not
    /// locked. Never waits.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`] when another process holds the lock; [`Error::Store`] when the
    /// directory or the lock file cannot be created or locked, or the Apple ID has no letters
    /// or digits.
    pub fn try_lock(&self, apple_id: &str) -> Result<FileLock> {
        let path = self.lock_path(apple_id);
        if Self::base_name(apple_id).is_empty() {
            return Err(Error::Store {
                path,
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "apple id has no letters or digits",
                ),
            });
        }
        create_private_dir(&self.dir).map_err(|source| Error::Store {
            path: self.dir.clone(),
            source,
        })?;
        FileLock::try_acquire(path)
    }
}

impl SessionStore for FileSessionStore {
    /// Returns the stored session. Missing files give empty parts; a corrupt `.session` file is
    /// treated as empty and an unreadable cookie jar as an empty jar (with a warning), as
    /// icloudpd does.
    fn load(&self, apple_id: &str) -> Result<SessionState> {
        if Self::base_name(apple_id).is_empty() {
            return Ok(SessionState::default());
        }
        let session_path = self.session_path(apple_id);
        let data = match fs::read_to_string(&session_path) {
            Ok(text) => parse_session_data(&text).unwrap_or_else(|| {
                tracing::debug!(
                    "Session file {} is not a JSON object",
                    session_path.display()
                );
                BTreeMap::new()
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::debug!("Session file does not exist");
                BTreeMap::new()
            }
            Err(e) => {
                tracing::debug!(
                    "Failed to read session file {}: {e}",
                    session_path.display()
                );
                BTreeMap::new()
            }
        };

        let cookie_path = self.cookie_path(apple_id);
        let cookies = match fs::read(&cookie_path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            read => read
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| cookies::parse_lwp(&text).ok())
                .unwrap_or_else(|| {
                    tracing::warn!("Failed to read cookiejar {}", cookie_path.display());
                    Vec::new()
                }),
        };
        Ok(SessionState { data, cookies })
    }

    fn save(&self, apple_id: &str, state: &SessionState) -> Result<()> {
        let cookie_path = self.cookie_path(apple_id);
        if Self::base_name(apple_id).is_empty() {
            return Err(Error::Store {
                path: cookie_path,
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "apple id has no letters or digits",
                ),
            });
        }
        create_private_dir(&self.dir).map_err(|source| Error::Store {
            path: self.dir.clone(),
            source,
        })?;
        let session_path = self.session_path(apple_id);
        write_atomic(&session_path, python_json(&state.data).as_bytes()).map_err(|source| {
            Error::Store {
                path: session_path,
                source,
            }
        })?;
        write_atomic(&cookie_path, cookies::to_lwp(&state.cookies).as_bytes()).map_err(|source| {
            Error::Store {
                path: cookie_path,
                source,
            }
        })
    }
}

/// Keeps sessions in memory, for tests and for embedders that persist elsewhere.
///
/// Sessions live as long as the store: a program using it signs in (and answers a second
/// factor) at every start. Several accounts can share one store; clones are not provided,
/// share it through the `Arc` the client takes.
#[derive(Default)]
pub struct MemorySessionStore {
    sessions: Mutex<HashMap<String, SessionState>>,
}

impl fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("MemorySessionStore")
            .field("accounts", &sessions.len())
            .finish()
    }
}

impl SessionStore for MemorySessionStore {
    fn load(&self, apple_id: &str) -> Result<SessionState> {
        let sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(sessions.get(apple_id).cloned().unwrap_or_default())
    }

    fn save(&self, apple_id: &str, state: &SessionState) -> Result<()> {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.insert(apple_id.to_owned(), state.clone());
        Ok(())
    }
}

/// Returns the string entries of a JSON object; other values are skipped. `None` if the text is
/// not a JSON object.
fn parse_session_data(text: &str) -> Option<BTreeMap<String, String>> {
    match serde_json::from_str(text).ok()? {
        serde_json::Value::Object(map) => Some(
            map.into_iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// Returns `data` as Python's `json.dump` writes it: `{"k": "v", "k2": "v2"}`, non-ASCII
/// escaped as `\uXXXX`, no trailing newline.
fn python_json(data: &BTreeMap<String, String>) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in data.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_string(&mut out, key);
        out.push_str(": ");
        push_json_string(&mut out, value);
    }
    out.push('}');
    out
}

/// Python's `json.encoder.py_encode_basestring_ascii`.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
mod tests;
