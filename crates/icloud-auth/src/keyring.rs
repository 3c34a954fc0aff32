//! The Apple ID password in the OS keyring, stored where Python icloudpd stores it.
//!
//! Entries live under the service [`KEYRING_SERVICE`] (`pyicloud://icloud-password`) with the
//! Apple ID as the account, so a password saved by Python icloudpd or its `icloud` tool is found
//! and vice versa. Which store holds them is a [`KeyringBackend`]; the default,
//! [`KeyringBackend::Platform`], makes the choice Python's `keyring` makes on the same machine:
//! the system store (the Secret Service on Linux and the BSDs, the Keychain, the Credential
//! Manager) when it is usable, else keyrings.alt's plain-text file
//! `~/.local/share/python_keyring/keyring_pass.cfg`, which is what a headless Linux box without
//! a Secret Service gets. [`KeyringPasswordStore::location`] tells which it is, for messages.
//!
//! # Environment
//!
//! Python's `keyring` decides by environment variables, and both programs must find the same
//! password: `HOME` and `XDG_DATA_HOME` (`LOCALAPPDATA` and `ProgramData` on Windows) locate
//! the file, and `DBUS_SESSION_BUS_ADDRESS` the session bus that may offer the Secret Service.
//! Like the rest of this crate, the keyring reads none of them itself: the caller hands them in
//! as a [`KeyringEnvironment`] ([`KeyringEnvironment::from_lookup`] with the process's own
//! variables gives Python's choice).
//!
//! # Blocking
//!
//! Every call blocks the calling thread (file I/O; D-Bus round trips for the Secret Service),
//! yet is safe from async code: keyring's Secret Service store drives its own small tokio
//! runtime, which panics when started on a thread that already drives one, so each read, write
//! or delete runs on a short-lived helper thread, as does the first question to the session
//! bus. In async code, prefer `spawn_blocking` all the same, so as not to stall a worker thread.

mod environment;
mod file;
#[cfg(fuzzing)]
pub(crate) mod fuzzing;
mod ini;
mod native;
mod platform;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use keyring::credential::{CredentialBuilder, CredentialBuilderApi};
use secrecy::{ExposeSecret, SecretString};

pub use self::environment::KeyringEnvironment;
use self::file::FileBuilder;
use self::platform::PlatformBuilder;
use crate::{Error, Result};

/// Keyring service name under which passwords are stored; the one pyicloud and icloudpd use.
pub const KEYRING_SERVICE: &str = "pyicloud://icloud-password";

/// A credential store that can hold the password.
///
/// [`KeyringBackend::Platform`] is the default. Choosing a store that does not exist on the
/// running operating system fails with [`Error::Keyring`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeyringBackend {
    /// The store Python's `keyring` uses on this machine, with keyrings.alt installed (as it is
    /// with icloudpd): the operating system's own store — the Keychain on macOS and iOS, the
    /// Credential Manager on Windows, the Secret Service (GNOME Keyring, KWallet, KeePassXC) on
    /// Linux and the BSDs — with [`KeyringBackend::File`] as a fallback for reading; or, where
    /// that store is not usable, the file alone.
    ///
    /// The Secret Service is usable when the [`KeyringEnvironment`] names a session bus on
    /// which `org.freedesktop.secrets` runs or can be started. This is asked once per
    /// [`KeyringPasswordStore`], on first use. A delete removes the password from both stores.
    #[default]
    Platform,
    /// The freedesktop Secret Service over the D-Bus session bus (Linux and the BSDs).
    SecretService,
    /// The Linux kernel key retention service (keyutils). It needs no daemon, which suits
    /// headless machines, but entries vanish on reboot and Python icloudpd does not read them.
    KernelKeyutils,
    /// Python keyrings.alt's plain-text keyring, `keyring_pass.cfg` in Python keyring's data
    /// directory (`$XDG_DATA_HOME/python_keyring`, by default
    /// `~/.local/share/python_keyring`; `%LOCALAPPDATA%\Python Keyring` on Windows): where
    /// Python icloudpd keeps the password when no Secret Service runs.
    ///
    /// The password is base64-encoded, not encrypted: the file is protected only by being
    /// readable by its owner alone (mode 0600, in a directory created with mode 0700). The
    /// path is the [`KeyringEnvironment`]'s; [`KeyringPasswordStore::with_file`] takes one
    /// directly.
    File,
    /// An in-memory store for tests: a password lives only as long as the [`KeyringEntry`] it
    /// was set through, so a test must set and read through the same entry.
    Mock,
}

impl KeyringBackend {
    /// Returns the backend with the given name: `platform`, `secret-service`, `keyutils`,
    /// `file` or `mock` (surrounding whitespace and case are ignored).
    ///
    /// This is the vocabulary the command-line tools accept in `ICLOUD_KEYRING_BACKEND`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for any other name; the message lists the accepted ones.
    pub fn from_name(name: &str) -> Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "platform" => Ok(Self::Platform),
            "secret-service" => Ok(Self::SecretService),
            "keyutils" => Ok(Self::KernelKeyutils),
            "file" => Ok(Self::File),
            "mock" => Ok(Self::Mock),
            _ => Err(Error::Config(format!(
                "unknown keyring backend '{}' (expected platform, secret-service, keyutils, \
                 file or mock)",
                name.trim()
            ))),
        }
    }

    /// Returns the name [`KeyringBackend::from_name`] accepts for this backend.
    pub fn name(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::SecretService => "secret-service",
            Self::KernelKeyutils => "keyutils",
            Self::File => "file",
            Self::Mock => "mock",
        }
    }

    /// Makes this backend, in `env`, the one [`KeyringPasswordStore::new`] uses,
    /// process-wide.
    ///
    /// This also replaces the `keyring` crate's default credential builder, so it affects any
    /// other code in the process that uses that crate's `Entry::new`. Call it once at start-up.
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] when the backend does not exist on this operating system, or (for
    /// [`KeyringBackend::File`]) `env` names no keyring file and has no home directory.
    pub fn install_as_default(self, env: &KeyringEnvironment) -> Result<()> {
        let store = Arc::new(Store::new(self, env)?);
        keyring::set_default_credential_builder(Box::new(Shared(Arc::clone(&store))));
        *INSTALLED.write().unwrap_or_else(PoisonError::into_inner) = Some(store);
        Ok(())
    }
}

/// Where a [`KeyringPasswordStore`] keeps passwords, from [`KeyringPasswordStore::location`].
///
/// Its `Display` names the place for a message: `the Secret Service`, `the file
/// /home/jane/.local/share/python_keyring/keyring_pass.cfg (readable only by you)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringLocation {
    /// The freedesktop Secret Service.
    SecretService,
    /// The Keychain of macOS or iOS.
    Keychain,
    /// The Windows Credential Manager.
    CredentialManager,
    /// The Linux kernel keyring.
    KernelKeyutils,
    /// Python keyrings.alt's plain-text keyring file at this path.
    File(PathBuf),
    /// Memory that keeps nothing ([`KeyringBackend::Mock`]).
    Memory,
}

impl KeyringLocation {
    /// Returns the path of the keyring file, if passwords go to one.
    pub fn file_path(&self) -> Option<&Path> {
        match self {
            Self::File(path) => Some(path),
            _ => None,
        }
    }
}

impl fmt::Display for KeyringLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretService => f.write_str("the Secret Service"),
            Self::Keychain => f.write_str("the Keychain"),
            Self::CredentialManager => f.write_str("the Windows Credential Manager"),
            Self::KernelKeyutils => f.write_str("the Linux kernel keyring"),
            Self::File(path) if cfg!(unix) => {
                write!(f, "the file {} (readable only by you)", path.display())
            }
            Self::File(path) => write!(f, "the file {}", path.display()),
            Self::Memory => f.write_str("memory, for tests (nothing is kept)"),
        }
    }
}

/// A backend's credential builder, and how to tell where it stores.
struct Store {
    backend: KeyringBackend,
    builder: Arc<CredentialBuilder>,
    locator: Locator,
}

enum Locator {
    Fixed(KeyringLocation),
    Platform(Arc<PlatformBuilder>),
}

impl Store {
    fn new(backend: KeyringBackend, env: &KeyringEnvironment) -> Result<Self> {
        let fixed = |builder: Box<CredentialBuilder>, location| Store {
            backend,
            builder: Arc::from(builder),
            locator: Locator::Fixed(location),
        };
        Ok(match backend {
            KeyringBackend::Platform => Store::platform(env),
            KeyringBackend::SecretService => {
                fixed(native::secret_service()?, KeyringLocation::SecretService)
            }
            KeyringBackend::KernelKeyutils => {
                fixed(native::keyutils()?, KeyringLocation::KernelKeyutils)
            }
            KeyringBackend::File => {
                Store::file(env.file().map(Path::to_owned).ok_or_else(|| {
                    Error::Keyring("cannot place the keyring file: no home directory".to_owned())
                })?)
            }
            KeyringBackend::Mock => fixed(
                keyring::mock::default_credential_builder(),
                KeyringLocation::Memory,
            ),
        })
    }

    fn platform(env: &KeyringEnvironment) -> Self {
        let builder = Arc::new(PlatformBuilder::new(env));
        Store {
            backend: KeyringBackend::Platform,
            builder: Arc::clone(&builder) as Arc<CredentialBuilder>,
            locator: Locator::Platform(builder),
        }
    }

    fn file(path: PathBuf) -> Self {
        Store {
            backend: KeyringBackend::File,
            builder: Arc::new(FileBuilder::new(path.clone())),
            locator: Locator::Fixed(KeyringLocation::File(path)),
        }
    }

    fn location(&self) -> Result<KeyringLocation> {
        match &self.locator {
            Locator::Fixed(location) => Ok(location.clone()),
            Locator::Platform(builder) => builder.location(),
        }
    }
}

/// The store installed with [`KeyringBackend::install_as_default`].
static INSTALLED: RwLock<Option<Arc<Store>>> = RwLock::new(None);

/// The process-wide default store, as installed or else the platform store in an environment
/// that knows nothing.
fn process_default() -> Arc<Store> {
    static PLATFORM: OnceLock<Arc<Store>> = OnceLock::new();
    let installed = INSTALLED.read().unwrap_or_else(PoisonError::into_inner);
    match &*installed {
        Some(store) => Arc::clone(store),
        None => Arc::clone(
            PLATFORM.get_or_init(|| Arc::new(Store::platform(&KeyringEnvironment::new()))),
        ),
    }
}

/// A store handed to the `keyring` crate as its default builder.
struct Shared(Arc<Store>);

impl CredentialBuilderApi for Shared {
    fn build(
        &self,
        target: Option<&str>,
        service: &str,
        user: &str,
    ) -> keyring::Result<Box<keyring::Credential>> {
        self.0.builder.build(target, service, user)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self.0.builder.as_any()
    }

    fn persistence(&self) -> keyring::credential::CredentialPersistence {
        self.0.builder.persistence()
    }
}

/// Reads, stores and removes Apple ID passwords in a keyring.
///
/// Cheap to clone. Each call opens the entry afresh, so a password stored by another program
/// in the meantime is seen.
///
/// ```no_run
/// use icloud_auth::{KeyringBackend, KeyringEnvironment, KeyringPasswordStore, SecretString};
///
/// # fn main() -> icloud_auth::Result<()> {
/// // Python keyring's choice: the process's variables decide, as they do for Python.
/// let home = std::env::home_dir();
/// let env = KeyringEnvironment::from_lookup(|name| std::env::var_os(name), home.as_deref());
/// let store = KeyringPasswordStore::with_backend(KeyringBackend::Platform, &env)?;
/// store.set("jane@example.com", &SecretString::from("hunter2"))?;
/// // "the Secret Service", or on a headless box "the file /home/jane/.local/share/…":
/// // the caller decides whether and how to tell the user.
/// let saved_in = store.location()?.to_string();
/// assert!(!saved_in.is_empty());
/// assert!(store.get("jane@example.com")?.is_some());
/// assert!(store.delete("jane@example.com")?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct KeyringPasswordStore {
    /// `None`: the process-wide default, looked up at each use.
    store: Option<Arc<Store>>,
}

impl KeyringPasswordStore {
    /// Returns a store that uses the process-wide default backend: the one installed with
    /// [`KeyringBackend::install_as_default`], otherwise [`KeyringBackend::Platform`] in
    /// [`KeyringEnvironment::new`], which knows of no file and no session bus (shared by all
    /// such stores, so the platform's choice is made once per process). Install a default
    /// first to get Python's choice.
    ///
    /// A default builder installed into the `keyring` crate by other means is not used.
    pub fn new() -> Self {
        KeyringPasswordStore { store: None }
    }

    /// Returns a store that uses the given backend in `env`, whatever the process-wide default
    /// is.
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] if the backend does not exist on this operating system (or, for
    /// [`KeyringBackend::File`], if `env` has no keyring file).
    pub fn with_backend(backend: KeyringBackend, env: &KeyringEnvironment) -> Result<Self> {
        Ok(KeyringPasswordStore {
            store: Some(Arc::new(Store::new(backend, env)?)),
        })
    }

    /// Returns a store that keeps passwords in the keyring file at `path`, in Python
    /// keyrings.alt's format ([`KeyringBackend::File`] at a path of your choosing).
    pub fn with_file(path: impl Into<PathBuf>) -> Self {
        KeyringPasswordStore {
            store: Some(Arc::new(Store::file(path.into()))),
        }
    }

    /// Returns where this store keeps passwords. For [`KeyringBackend::Platform`] this makes
    /// the platform's choice if not made yet, which may ask the D-Bus session bus.
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] if the platform store has nowhere to keep passwords (no system
    /// store and no home directory).
    pub fn location(&self) -> Result<KeyringLocation> {
        self.resolve().location()
    }

    /// Returns the keyring entry for `username` (the Apple ID exactly as given; icloudpd
    /// lowercases it, the `icloud` tool does not).
    ///
    /// Nothing is read or written yet, though the platform store makes its choice now. Use the
    /// entry when several operations must see the same credential, as tests with
    /// [`KeyringBackend::Mock`] must.
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] when the store has nowhere to keep passwords (as
    /// [`KeyringPasswordStore::location`]) or refuses the name.
    pub fn entry(&self, username: &str) -> Result<KeyringEntry> {
        let entry = self
            .resolve()
            .builder
            .build(None, KEYRING_SERVICE, username)
            .map(keyring::Entry::new_with_credential)
            .map_err(|e| keyring_error("cannot open the entry", username, e))?;
        Ok(KeyringEntry {
            entry,
            username: username.to_owned(),
        })
    }

    /// Returns the password stored for `username`, or `None` if there is none (an empty stored
    /// password counts as none).
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] when the store cannot be reached or read (a locked keyring, a
    /// Secret Service that does not answer, an unreadable file); the message names the Apple
    /// ID, never the password.
    pub fn get(&self, username: &str) -> Result<Option<SecretString>> {
        self.entry(username)?.get()
    }

    /// Stores `password` for `username`, replacing any password stored before.
    ///
    /// An empty password is refused: some stores cannot hold one and icloudpd would ignore it.
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] for an empty password, or when the store cannot be reached or
    /// written.
    pub fn set(&self, username: &str, password: &SecretString) -> Result<()> {
        self.entry(username)?.set(password)
    }

    /// Removes the password stored for `username`. Returns `false` if there was none.
    ///
    /// # Errors
    ///
    /// [`Error::Keyring`] when the store cannot be reached or written.
    pub fn delete(&self, username: &str) -> Result<bool> {
        self.entry(username)?.delete()
    }

    fn resolve(&self) -> Arc<Store> {
        match &self.store {
            Some(store) => Arc::clone(store),
            None => process_default(),
        }
    }
}

impl Default for KeyringPasswordStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for KeyringPasswordStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = self
            .store
            .as_ref()
            .map_or("process default", |s| s.backend.name());
        f.debug_struct("KeyringPasswordStore")
            .field("backend", &backend)
            .finish_non_exhaustive()
    }
}

/// The keyring entry of one Apple ID, from [`KeyringPasswordStore::entry`].
pub struct KeyringEntry {
    entry: keyring::Entry,
    username: String,
}

impl KeyringEntry {
    /// Returns the Apple ID this entry belongs to.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Returns the stored password, or `None` if there is none (or it is empty).
    ///
    /// # Errors
    ///
    /// As [`KeyringPasswordStore::get`].
    pub fn get(&self) -> Result<Option<SecretString>> {
        match off_runtime(|| self.entry.get_password()) {
            Ok(password) if password.is_empty() => Ok(None),
            Ok(password) => Ok(Some(SecretString::from(password))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error("cannot read the password", &self.username, e)),
        }
    }

    /// Stores `password`, replacing any password stored before. An empty password is refused.
    ///
    /// # Errors
    ///
    /// As [`KeyringPasswordStore::set`].
    pub fn set(&self, password: &SecretString) -> Result<()> {
        if password.expose_secret().is_empty() {
            return Err(Error::Keyring(format!(
                "refusing to store an empty password for {}",
                self.username
            )));
        }
        off_runtime(|| self.entry.set_password(password.expose_secret()))
            .map_err(|e| keyring_error("cannot store the password", &self.username, e))
    }

    /// Removes the stored password. Returns `false` if there was none.
    ///
    /// # Errors
    ///
    /// As [`KeyringPasswordStore::delete`].
    pub fn delete(&self) -> Result<bool> {
        match off_runtime(|| self.entry.delete_credential()) {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error(
                "cannot delete the password",
                &self.username,
                e,
            )),
        }
    }
}

impl fmt::Debug for KeyringEntry {
    // By hand: the mock credential's own Debug shows the stored secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringEntry")
            .field("service", &KEYRING_SERVICE)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Runs `op` on a new thread that drives no async runtime, and waits for it.
///
/// The thread starts with the caller's credentials, so it sees the same kernel keyrings.
fn off_runtime<T: Send>(op: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(op).join())
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Words a `keyring` error without the raw bytes or credential dumps some variants carry.
fn keyring_error(what: &str, username: &str, e: keyring::Error) -> Error {
    let detail = match e {
        keyring::Error::BadEncoding(_) => "the stored password is not valid UTF-8".to_owned(),
        keyring::Error::Ambiguous(items) => {
            format!("{} entries match; remove all but one", items.len())
        }
        keyring::Error::NoStorageAccess(inner) => format!("keyring not accessible: {inner}"),
        keyring::Error::PlatformFailure(inner) => inner.to_string(),
        other => other.to_string(),
    };
    Error::Keyring(format!("{what} for {username}: {detail}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails loudly where it unwraps")]
mod tests {
    use super::*;

    fn mock_entry(username: &str) -> KeyringEntry {
        let store =
            KeyringPasswordStore::with_backend(KeyringBackend::Mock, &KeyringEnvironment::new())
                .unwrap();
        store.entry(username).unwrap()
    }

    #[test]
    fn backend_names_round_trip() {
        for backend in [
            KeyringBackend::Platform,
            KeyringBackend::SecretService,
            KeyringBackend::KernelKeyutils,
            KeyringBackend::File,
            KeyringBackend::Mock,
        ] {
            assert_eq!(KeyringBackend::from_name(backend.name()).unwrap(), backend);
        }
        assert_eq!(
            KeyringBackend::from_name(" KeyUtils\n").unwrap(),
            KeyringBackend::KernelKeyutils
        );
        let err = KeyringBackend::from_name("kwallet")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown keyring backend 'kwallet'"), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_system_store_is_the_secret_service() {
        use keyring::secret_service::SsCredentialBuilder;
        let compiled_default = keyring::default::default_credential_builder();
        assert!(compiled_default.as_any().is::<SsCredentialBuilder>());
        let (builder, location) = native::platform_store().unwrap();
        assert!(builder.as_any().is::<SsCredentialBuilder>());
        assert_eq!(location, KeyringLocation::SecretService);
    }

    #[test]
    fn installed_default_is_used_by_new() {
        // The only test in this crate that touches the process-wide default.
        KeyringBackend::Mock
            .install_as_default(&KeyringEnvironment::new())
            .unwrap();
        let store = KeyringPasswordStore::new();
        assert!(store.get("jane@example.com").unwrap().is_none());
        assert!(!store.delete("jane@example.com").unwrap());
        assert!(format!("{store:?}").contains("process default"));
        assert_eq!(store.location().unwrap(), KeyringLocation::Memory);
        // The keyring crate's own default is the same store.
        let entry = keyring::Entry::new(KEYRING_SERVICE, "jane@example.com").unwrap();
        assert!(
            entry
                .get_credential()
                .downcast_ref::<keyring::mock::MockCredential>()
                .is_some()
        );
    }

    #[test]
    fn file_store_round_trip() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("python_keyring").join("keyring_pass.cfg");
        let store = KeyringPasswordStore::with_file(&path);
        assert_eq!(
            store.location().unwrap(),
            KeyringLocation::File(path.clone())
        );
        assert!(store.get("jane@example.com").unwrap().is_none());
        store
            .set("jane@example.com", &SecretString::from("hunter2"))
            .unwrap();
        // Another store, as another process would, finds it.
        let again = KeyringPasswordStore::with_file(&path);
        let found = again.get("jane@example.com").unwrap().unwrap();
        assert_eq!(found.expose_secret(), "hunter2");
        assert!(again.delete("jane@example.com").unwrap());
        assert!(store.get("jane@example.com").unwrap().is_none());
        assert_eq!(
            format!("{store:?}"),
            "KeyringPasswordStore { backend: \"file\", .. }"
        );

        // A file it cannot parse is named in the error, its contents are not.
        std::fs::write(&path, "hunter2\n").unwrap();
        let err = store.get("jane@example.com").unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "keyring: cannot read the password for jane@example.com: cannot read {}: \
                 line 1: text before the first [section] line",
                path.display()
            )
        );
    }

    #[test]
    fn locations_read_well_in_messages() {
        let file = KeyringLocation::File(PathBuf::from("/home/jane/keyring_pass.cfg"));
        assert_eq!(
            file.file_path(),
            Some(Path::new("/home/jane/keyring_pass.cfg"))
        );
        assert_eq!(KeyringLocation::SecretService.file_path(), None);
        assert_eq!(
            KeyringLocation::SecretService.to_string(),
            "the Secret Service"
        );
        #[cfg(unix)]
        assert_eq!(
            file.to_string(),
            "the file /home/jane/keyring_pass.cfg (readable only by you)"
        );
    }

    #[test]
    fn entry_round_trip_with_mock() {
        let entry = mock_entry("jane@example.com");
        assert_eq!(entry.username(), "jane@example.com");
        assert!(entry.get().unwrap().is_none());
        entry.set(&SecretString::from("hunter2")).unwrap();
        assert_eq!(entry.get().unwrap().unwrap().expose_secret(), "hunter2");
        entry.set(&SecretString::from("changed")).unwrap();
        assert_eq!(entry.get().unwrap().unwrap().expose_secret(), "changed");
        assert!(entry.delete().unwrap());
        assert!(entry.get().unwrap().is_none());
        assert!(!entry.delete().unwrap());
    }

    #[test]
    fn empty_password_is_refused() {
        let entry = mock_entry("jane@example.com");
        let err = entry.set(&SecretString::from("")).unwrap_err();
        assert!(matches!(err, Error::Keyring(_)));
        assert!(entry.get().unwrap().is_none());
    }

    #[test]
    fn store_without_entry_reports_nothing() {
        // The mock keeps nothing between entries: these exercise the NoEntry mapping.
        let store =
            KeyringPasswordStore::with_backend(KeyringBackend::Mock, &KeyringEnvironment::new())
                .unwrap();
        assert!(store.get("nobody@example.com").unwrap().is_none());
        assert!(!store.delete("nobody@example.com").unwrap());
        store
            .set("nobody@example.com", &SecretString::from("x"))
            .unwrap();
    }

    #[test]
    fn backend_errors_are_worded_without_secrets() {
        let entry = mock_entry("jane@example.com");
        let mock: &keyring::mock::MockCredential =
            entry.entry.get_credential().downcast_ref().unwrap();
        mock.set_error(keyring::Error::BadEncoding(b"hunter2\xff".to_vec()));
        let err = entry.get().unwrap_err().to_string();
        assert_eq!(
            err,
            "keyring: cannot read the password for jane@example.com: \
             the stored password is not valid UTF-8"
        );
        mock.set_error(keyring::Error::PlatformFailure("bus closed".into()));
        let err = entry
            .set(&SecretString::from("hunter2"))
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("cannot store the password for jane@example.com: bus closed"));
        assert!(!err.contains("hunter2"));
    }

    /// A regression test: keyring's Secret Service store panicked ("Cannot start a runtime from
    /// within a runtime") when called from async code. Without a D-Bus session it fails, which is
    /// fine here; it must not panic.
    #[cfg(target_os = "linux")]
    #[tokio::test(flavor = "multi_thread")]
    async fn secret_service_is_usable_from_async_code() {
        let env = KeyringEnvironment::new().session_bus("unix:path=/nonexistent/bus");
        let store =
            KeyringPasswordStore::with_backend(KeyringBackend::SecretService, &env).unwrap();
        let _ = store.get("nobody@example.com");
        let _ = store.delete("nobody@example.com");
        // The platform store's question to the session bus, too (whatever the answer here).
        let platform = KeyringPasswordStore::with_backend(KeyringBackend::Platform, &env).unwrap();
        let _ = platform.location();
    }

    #[test]
    fn debug_shows_no_secret() {
        let entry = mock_entry("jane@example.com");
        entry.set(&SecretString::from("hunter2")).unwrap();
        let shown = format!("{entry:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("104, 117"),
            "{shown}"
        );
        let store =
            KeyringPasswordStore::with_backend(KeyringBackend::Mock, &KeyringEnvironment::new())
                .unwrap();
        assert_eq!(
            format!("{store:?}"),
            "KeyringPasswordStore { backend: \"mock\", .. }"
        );
    }
}
