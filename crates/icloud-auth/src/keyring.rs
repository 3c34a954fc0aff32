//! The Apple ID password in the OS keyring, stored where Python icloudpd stores it.
//!
//! Entries live under the service [`KEYRING_SERVICE`] (`pyicloud://icloud-password`) with the
//! Apple ID as the account, so a password saved by Python icloudpd or its `icloud` tool is found
//! and vice versa. Which store holds them is a [`KeyringBackend`].
//!
//! Every call blocks the calling thread (D-Bus round trips for the Secret Service), yet is safe
//! from async code: keyring's Secret Service store drives its own small tokio runtime, which
//! panics when started on a thread that already drives one, so each read, write or delete runs on
//! a short-lived helper thread. In async code, prefer `spawn_blocking` all the same, so as not to
//! stall a worker thread.

use std::fmt;
use std::sync::Arc;

use keyring::credential::CredentialBuilder;
use secrecy::{ExposeSecret, SecretString};

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
    /// The operating system's own store, the one Python's `keyring` also uses by default: the
    /// Keychain on macOS and iOS, the Credential Manager on Windows, and the Secret Service
    /// (GNOME Keyring, KWallet via its Secret Service API) on Linux and the BSDs.
    #[default]
    Platform,
    /// The freedesktop Secret Service over the D-Bus session bus (Linux and the BSDs).
    SecretService,
    /// The Linux kernel key retention service (keyutils). It needs no daemon, which suits
    /// headless machines, but entries vanish on reboot and Python icloudpd does not read them.
    KernelKeyutils,
    /// An in-memory store for tests: a password lives only as long as the [`KeyringEntry`] it
    /// was set through, so a test must set and read through the same entry.
    Mock,
}

impl KeyringBackend {
    /// Returns the backend with the given name: `platform`, `secret-service`, `keyutils` or
    /// `mock` (surrounding whitespace and case are ignored).
    ///
    /// This is the vocabulary the command-line tools accept in `ICLOUD_KEYRING_BACKEND`; the
    /// library itself reads no environment variables.
    pub fn from_name(name: &str) -> Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "platform" => Ok(Self::Platform),
            "secret-service" => Ok(Self::SecretService),
            "keyutils" => Ok(Self::KernelKeyutils),
            "mock" => Ok(Self::Mock),
            _ => Err(Error::Config(format!(
                "unknown keyring backend '{}' (expected platform, secret-service, keyutils or mock)",
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
            Self::Mock => "mock",
        }
    }

    /// Makes this backend the one [`KeyringPasswordStore::new`] uses, process-wide.
    ///
    /// This replaces the `keyring` crate's default credential builder, so it also affects any
    /// other code in the process that uses that crate's `Entry::new`. Call it once at start-up.
    pub fn install_as_default(self) -> Result<()> {
        keyring::set_default_credential_builder(self.credential_builder()?);
        Ok(())
    }

    fn credential_builder(self) -> Result<Box<CredentialBuilder>> {
        match self {
            Self::Platform => Ok(platform_builder()),
            Self::SecretService => secret_service_builder(),
            Self::KernelKeyutils => keyutils_builder(),
            Self::Mock => Ok(keyring::mock::default_credential_builder()),
        }
    }
}

/// On Linux and the BSDs this is chosen explicitly rather than left to `keyring`'s compile-time
/// default, which would switch to keyutils if a build ever lost the Secret Service feature.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn platform_builder() -> Box<CredentialBuilder> {
    keyring::secret_service::default_credential_builder()
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn platform_builder() -> Box<CredentialBuilder> {
    keyring::default::default_credential_builder()
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn secret_service_builder() -> Result<Box<CredentialBuilder>> {
    Ok(keyring::secret_service::default_credential_builder())
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn secret_service_builder() -> Result<Box<CredentialBuilder>> {
    Err(unavailable(KeyringBackend::SecretService))
}

#[cfg(target_os = "linux")]
fn keyutils_builder() -> Result<Box<CredentialBuilder>> {
    Ok(Box::new(KeyutilsInSession(
        keyring::keyutils::default_credential_builder(),
    )))
}

/// keyring's keyutils store, used from a thread that surely has a session keyring.
///
/// That store reads the session keyring without creating one, then asks for the persistent
/// keyring, which gives a thread without a session keyring a new, empty one. The keyring read
/// first (the user-session keyring, which the thread possessed only as a fallback) stops being
/// possessed, so every search in it fails with `EACCES`, which keyring reports as "no entry".
/// That is the normal state of containers, CI runners and services started without
/// `pam_keyinit`. Creating the session keyring first avoids it: passwords then go into that
/// keyring and into the user's persistent keyring, where later processes find them.
#[cfg(target_os = "linux")]
struct KeyutilsInSession(Box<CredentialBuilder>);

#[cfg(target_os = "linux")]
impl keyring::credential::CredentialBuilderApi for KeyutilsInSession {
    fn build(
        &self,
        target: Option<&str>,
        service: &str,
        user: &str,
    ) -> keyring::Result<Box<keyring::Credential>> {
        use linux_keyutils::{KeyRing, KeyRingIdentifier};
        KeyRing::from_special_id(KeyRingIdentifier::Session, true)
            .map_err(|e| keyring::Error::NoStorageAccess(Box::new(e)))?;
        self.0.build(target, service, user)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn persistence(&self) -> keyring::credential::CredentialPersistence {
        self.0.persistence()
    }
}

#[cfg(not(target_os = "linux"))]
fn keyutils_builder() -> Result<Box<CredentialBuilder>> {
    Err(unavailable(KeyringBackend::KernelKeyutils))
}

#[cfg(not(target_os = "linux"))]
fn unavailable(backend: KeyringBackend) -> Error {
    Error::Keyring(format!(
        "the {} keyring is not available on this operating system",
        backend.name()
    ))
}

/// Reads, stores and removes Apple ID passwords in a keyring.
///
/// Cheap to clone. Each call opens the entry afresh, so a password stored by another program
/// in the meantime is seen.
///
/// ```no_run
/// use icloud_auth::{KeyringBackend, KeyringPasswordStore, SecretString};
///
/// # fn main() -> icloud_auth::Result<()> {
/// let store = KeyringPasswordStore::with_backend(KeyringBackend::Platform)?;
/// store.set("jane@example.com", &SecretString::from("hunter2"))?;
/// assert!(store.get("jane@example.com")?.is_some());
/// assert!(store.delete("jane@example.com")?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct KeyringPasswordStore {
    /// `None`: the `keyring` crate's process-wide default builder.
    builder: Option<Arc<CredentialBuilder>>,
    backend: Option<KeyringBackend>,
}

impl KeyringPasswordStore {
    /// Returns a store that uses the process-wide default backend: the one installed with
    /// [`KeyringBackend::install_as_default`], otherwise the `keyring` crate's default for this
    /// operating system (with this crate's features, the same store as
    /// [`KeyringBackend::Platform`]).
    pub fn new() -> Self {
        KeyringPasswordStore {
            builder: None,
            backend: None,
        }
    }

    /// Returns a store that uses the given backend, whatever the process-wide default is.
    ///
    /// Fails with [`Error::Keyring`] if the backend does not exist on this operating system.
    pub fn with_backend(backend: KeyringBackend) -> Result<Self> {
        Ok(KeyringPasswordStore {
            builder: Some(Arc::from(backend.credential_builder()?)),
            backend: Some(backend),
        })
    }

    /// Returns the keyring entry for `username` (the Apple ID exactly as given; icloudpd
    /// lowercases it, the `icloud` tool does not).
    ///
    /// Nothing is read or written yet. Use the entry when several operations must see the same
    /// credential, as tests with [`KeyringBackend::Mock`] must.
    pub fn entry(&self, username: &str) -> Result<KeyringEntry> {
        let entry = match &self.builder {
            Some(builder) => builder
                .build(None, KEYRING_SERVICE, username)
                .map(keyring::Entry::new_with_credential),
            None => keyring::Entry::new(KEYRING_SERVICE, username),
        }
        .map_err(|e| keyring_error("cannot open the entry", username, e))?;
        Ok(KeyringEntry {
            entry,
            username: username.to_owned(),
        })
    }

    /// Returns the password stored for `username`, or `None` if there is none (an empty stored
    /// password counts as none).
    pub fn get(&self, username: &str) -> Result<Option<SecretString>> {
        self.entry(username)?.get()
    }

    /// Stores `password` for `username`, replacing any password stored before.
    ///
    /// An empty password is refused: some stores cannot hold one and icloudpd would ignore it.
    pub fn set(&self, username: &str, password: &SecretString) -> Result<()> {
        self.entry(username)?.set(password)
    }

    /// Removes the password stored for `username`. Returns `false` if there was none.
    pub fn delete(&self, username: &str) -> Result<bool> {
        self.entry(username)?.delete()
    }
}

impl Default for KeyringPasswordStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for KeyringPasswordStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = self.backend.map_or("process default", KeyringBackend::name);
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
    pub fn get(&self) -> Result<Option<SecretString>> {
        match off_runtime(|| self.entry.get_password()) {
            Ok(password) if password.is_empty() => Ok(None),
            Ok(password) => Ok(Some(SecretString::from(password))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error("cannot read the password", &self.username, e)),
        }
    }

    /// Stores `password`, replacing any password stored before. An empty password is refused.
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
        let store = KeyringPasswordStore::with_backend(KeyringBackend::Mock).unwrap();
        store.entry(username).unwrap()
    }

    #[test]
    fn backend_names_round_trip() {
        for backend in [
            KeyringBackend::Platform,
            KeyringBackend::SecretService,
            KeyringBackend::KernelKeyutils,
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
    fn linux_default_is_the_secret_service() {
        use keyring::secret_service::SsCredentialBuilder;
        // What `KeyringPasswordStore::new` gets when no backend was installed.
        let compiled_default = keyring::default::default_credential_builder();
        assert!(compiled_default.as_any().is::<SsCredentialBuilder>());
        assert!(platform_builder().as_any().is::<SsCredentialBuilder>());
    }

    #[test]
    fn installed_default_is_used_by_new() {
        // The only test in this crate that touches the process-wide default.
        KeyringBackend::Mock.install_as_default().unwrap();
        let store = KeyringPasswordStore::new();
        assert!(store.get("jane@example.com").unwrap().is_none());
        assert!(!store.delete("jane@example.com").unwrap());
        assert!(format!("{store:?}").contains("process default"));
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
        let store = KeyringPasswordStore::with_backend(KeyringBackend::Mock).unwrap();
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
        let store = KeyringPasswordStore::with_backend(KeyringBackend::SecretService).unwrap();
        let _ = store.get("nobody@example.com");
        let _ = store.delete("nobody@example.com");
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
        let store = KeyringPasswordStore::with_backend(KeyringBackend::Mock).unwrap();
        assert_eq!(
            format!("{store:?}"),
            "KeyringPasswordStore { backend: \"mock\", .. }"
        );
    }
}
