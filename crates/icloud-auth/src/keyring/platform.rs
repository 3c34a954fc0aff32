//! [`KeyringBackend::Platform`](super::KeyringBackend::Platform): the store Python's `keyring`
//! (with keyrings.alt, which icloudpd installs) would pick on this machine.
//!
//! Python ranks the viable backends and takes the best. On Linux and the BSDs the Secret
//! Service is viable when a D-Bus session bus is reachable through `DBUS_SESSION_BUS_ADDRESS`
//! (here: [`KeyringEnvironment::bus_address`], which the caller fills in) and
//! `org.freedesktop.secrets` is running there or can be started by the bus; the Keychain
//! and the Credential Manager always are. keyrings.alt's plain-text file is viable everywhere,
//! at the lowest rank. So Python uses:
//!
//! * with a viable system store, a chain of the two: reads look in the system store, then in the
//!   file; writes and deletes go to the system store;
//! * without one, the file alone.
//!
//! This module does the same, except that a delete also removes the password from the file, so
//! that a deleted password is not found there by the next read.

use std::fmt;
use std::sync::OnceLock;

use keyring::credential::{Credential, CredentialApi, CredentialBuilder, CredentialBuilderApi};

use super::file::{FileBuilder, FileCredential, FileError};
use super::native;
use super::{KeyringEnvironment, KeyringLocation};
use crate::{Error, Result};

/// Builds the credentials of the platform store: decides once, on first use, between the
/// system store and the file.
pub(super) struct PlatformBuilder {
    system: Option<(Box<CredentialBuilder>, KeyringLocation)>,
    /// `None` when there is no home directory to put it in.
    file: Option<FileBuilder>,
    /// Tells whether the system store is usable; asked at most once.
    probe: Box<dyn Fn() -> bool + Send + Sync>,
    system_usable: OnceLock<bool>,
}

impl PlatformBuilder {
    /// Returns the builder of this operating system's platform store, with the file and the
    /// session bus of `env`. Asks nothing yet.
    pub(super) fn new(env: &KeyringEnvironment) -> Self {
        let bus = env.bus_address().map(ToOwned::to_owned);
        Self::with_parts(
            native::platform_store(),
            env.file().map(|path| FileBuilder::new(path.to_owned())),
            move || system_store_usable(bus.clone()),
        )
    }

    pub(super) fn with_parts(
        system: Option<(Box<CredentialBuilder>, KeyringLocation)>,
        file: Option<FileBuilder>,
        probe: impl Fn() -> bool + Send + Sync + 'static,
    ) -> Self {
        PlatformBuilder {
            system,
            file,
            probe: Box::new(probe),
            system_usable: OnceLock::new(),
        }
    }

    /// Returns the system store if it is to be used.
    fn system(&self) -> Option<&(Box<CredentialBuilder>, KeyringLocation)> {
        let system = self.system.as_ref()?;
        self.system_usable
            .get_or_init(&self.probe)
            .then_some(system)
    }

    /// Returns where passwords are stored.
    pub(super) fn location(&self) -> Result<KeyringLocation> {
        if let Some((_, location)) = self.system() {
            return Ok(location.clone());
        }
        match &self.file {
            Some(file) => Ok(KeyringLocation::File(file.path().to_owned())),
            None => Err(Error::Keyring(NO_STORE.to_owned())),
        }
    }
}

const NO_STORE: &str = "no system keyring is reachable, and the keyring file has no place: \
                        no home directory";

impl CredentialBuilderApi for PlatformBuilder {
    fn build(
        &self,
        target: Option<&str>,
        service: &str,
        user: &str,
    ) -> keyring::Result<Box<Credential>> {
        let file = self.file.as_ref().map(|f| f.credential(service, user));
        if let Some((system, _)) = self.system() {
            let system = system.build(target, service, user)?;
            return Ok(Box::new(Chain { system, file }));
        }
        match file {
            Some(file) => Ok(Box::new(file)),
            None => Err(keyring::Error::NoStorageAccess(Box::new(FileError(
                NO_STORE.to_owned(),
            )))),
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl fmt::Debug for PlatformBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformBuilder")
            .field("system", &self.system.as_ref().map(|(_, l)| l))
            .field("file", &self.file.as_ref().map(FileBuilder::path))
            .field("system_usable", &self.system_usable.get())
            .finish_non_exhaustive()
    }
}

/// The system store's entry, with the file's as a fallback for reading.
struct Chain {
    system: Box<Credential>,
    file: Option<FileCredential>,
}

impl Chain {
    /// Returns what `read` finds in the system store, else in the file.
    fn read<T>(
        &self,
        read: impl Fn(&dyn CredentialApi) -> keyring::Result<T>,
    ) -> keyring::Result<T> {
        match read(self.system.as_ref()) {
            Err(keyring::Error::NoEntry) => match &self.file {
                Some(file) => read(file),
                None => Err(keyring::Error::NoEntry),
            },
            found => found,
        }
    }
}

impl CredentialApi for Chain {
    fn set_password(&self, password: &str) -> keyring::Result<()> {
        self.system.set_password(password)
    }

    fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
        self.system.set_secret(secret)
    }

    fn get_password(&self) -> keyring::Result<String> {
        self.read(|c| c.get_password())
    }

    fn get_secret(&self) -> keyring::Result<Vec<u8>> {
        self.read(|c| c.get_secret())
    }

    fn delete_credential(&self) -> keyring::Result<()> {
        let system = self.system.delete_credential();
        if let Err(e) = &system
            && !matches!(e, keyring::Error::NoEntry)
        {
            return system;
        }
        let file = match &self.file {
            Some(file) => file.delete_credential(),
            None => Err(keyring::Error::NoEntry),
        };
        match (system, file) {
            (_, Err(e)) if !matches!(e, keyring::Error::NoEntry) => Err(e),
            (Ok(()), _) | (_, Ok(())) => Ok(()),
            _ => Err(keyring::Error::NoEntry),
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn debug_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the system credential's own Debug: the mock's shows the secret.
        f.debug_struct("Chain")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

/// Tells whether the operating system's store is usable, as Python's keyring decides: on
/// Linux and the BSDs, whether the session bus at `bus` offers the Secret Service.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn system_store_usable(bus: Option<std::ffi::OsString>) -> bool {
    secret_service::reachable(bus)
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn system_store_usable(_bus: Option<std::ffi::OsString>) -> bool {
    true
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
mod secret_service {
    use std::ffi::OsString;
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    /// The Secret Service's well-known name on the session bus.
    const NAME: &str = "org.freedesktop.secrets";

    /// Longest wait for the session bus; a bus that does not answer counts as absent.
    const TIMEOUT: Duration = Duration::from_secs(5);

    /// Tells whether the Secret Service runs, or can be started, on the session bus at
    /// `address` (the value of `DBUS_SESSION_BUS_ADDRESS`).
    ///
    /// Like Python's keyring (jeepney), no address means no bus, even where zbus would try
    /// `$XDG_RUNTIME_DIR/bus`. The question is asked on a thread of its own: zbus drives its
    /// own runtime, which cannot start on a thread that drives one, and a hung bus must not
    /// hang the caller.
    pub(super) fn reachable(address: Option<OsString>) -> bool {
        let Some(address) = address.filter(|a| !a.is_empty()) else {
            tracing::debug!("no session bus address (DBUS_SESSION_BUS_ADDRESS): no Secret Service");
            return false;
        };
        let (send, receive) = mpsc::channel();
        let asked = thread::Builder::new()
            .name("secret-service-probe".to_owned())
            .spawn(move || {
                let _ = send.send(ask(address));
            });
        if let Err(e) = asked {
            tracing::debug!("cannot start the Secret Service probe: {e}");
            return false;
        }
        match receive.recv_timeout(TIMEOUT) {
            Ok(Ok(found)) => {
                tracing::debug!(found, "asked the session bus for the Secret Service");
                found
            }
            Ok(Err(e)) => {
                tracing::debug!("session bus not usable, so no Secret Service: {e}");
                false
            }
            Err(_) => {
                tracing::debug!("session bus did not answer in {TIMEOUT:?}: no Secret Service");
                false
            }
        }
    }

    /// Connects to the bus and asks whether the Secret Service has an owner or is
    /// activatable, as Python's `secretstorage.check_service_availability`.
    fn ask(address: OsString) -> zbus::Result<bool> {
        let address = address
            .into_string()
            .map_err(|_| zbus::Error::Address("not UTF-8".to_owned()))?;
        let connection = zbus::blocking::connection::Builder::address(address.as_str())?.build()?;
        let bus = zbus::blocking::fdo::DBusProxy::new(&connection)?;
        let name = zbus::names::WellKnownName::from_static_str(NAME)?;
        if bus.name_has_owner(name.into())? {
            return Ok(true);
        }
        let activatable = bus.list_activatable_names()?;
        Ok(activatable.iter().any(|n| n.as_str() == NAME))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn no_bus_means_no_secret_service() {
            assert!(!reachable(None));
            assert!(!reachable(Some(OsString::new())));
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let missing = format!("unix:path={}/bus", dir.path().display());
            assert!(!reachable(Some(missing.into())));
            assert!(!reachable(Some("not an address".into())));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails loudly where it unwraps")]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::keyring::KEYRING_SERVICE;

    const USER: &str = "jdoe@gmail.com";

    fn mock_system() -> Option<(Box<CredentialBuilder>, KeyringLocation)> {
        Some((
            keyring::mock::default_credential_builder(),
            KeyringLocation::SecretService,
        ))
    }

    fn build(builder: &PlatformBuilder) -> keyring::Entry {
        keyring::Entry::new_with_credential(builder.build(None, KEYRING_SERVICE, USER).unwrap())
    }

    #[test]
    fn without_a_system_store_the_file_is_used() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("keyring_pass.cfg");
        let builder = PlatformBuilder::with_parts(
            mock_system(),
            Some(FileBuilder::new(path.clone())),
            || false,
        );
        assert_eq!(
            builder.location().unwrap(),
            KeyringLocation::File(path.clone())
        );
        let entry = build(&builder);
        entry.set_password("hunter2").unwrap();
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("aHVudGVyMg==")
        );
        assert_eq!(entry.get_password().unwrap(), "hunter2");
        entry.delete_credential().unwrap();
        assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));

        let nowhere = PlatformBuilder::with_parts(None, None, || true);
        let err = nowhere.location().unwrap_err().to_string();
        assert!(err.contains("no home directory"), "{err}");
        assert!(nowhere.build(None, KEYRING_SERVICE, USER).is_err());
    }

    #[test]
    fn with_a_system_store_the_file_is_read_as_a_fallback() {
        let temp = tempfile::tempdir().unwrap();
        let file = FileBuilder::new(temp.path().join("keyring_pass.cfg"));
        file.credential(KEYRING_SERVICE, USER)
            .set_password("from the file")
            .unwrap();
        let builder = PlatformBuilder::with_parts(mock_system(), Some(file.clone()), || true);
        assert_eq!(builder.location().unwrap(), KeyringLocation::SecretService);

        // The mock keeps its password in the entry, so one entry plays the system store.
        let entry = build(&builder);
        assert_eq!(entry.get_password().unwrap(), "from the file");
        entry.set_password("in the system store").unwrap();
        assert_eq!(entry.get_password().unwrap(), "in the system store");
        let in_file = file.credential(KEYRING_SERVICE, USER);
        assert_eq!(in_file.get_password().unwrap(), "from the file");

        // A delete removes both, so nothing is found afterwards.
        entry.delete_credential().unwrap();
        assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));
        assert!(matches!(
            in_file.get_password(),
            Err(keyring::Error::NoEntry)
        ));
        assert!(matches!(
            entry.delete_credential(),
            Err(keyring::Error::NoEntry)
        ));
        assert!(!format!("{entry:?}").contains("system store"));
    }

    #[test]
    fn the_probe_runs_once_and_only_when_needed() {
        static PROBES: AtomicUsize = AtomicUsize::new(0);
        fn probe() -> bool {
            PROBES.fetch_add(1, Ordering::SeqCst);
            false
        }
        let temp = tempfile::tempdir().unwrap();
        let file = Some(FileBuilder::new(temp.path().join("keyring_pass.cfg")));
        let builder = PlatformBuilder::with_parts(mock_system(), file, probe);
        assert_eq!(PROBES.load(Ordering::SeqCst), 0);
        build(&builder);
        build(&builder);
        builder.location().unwrap();
        assert_eq!(PROBES.load(Ordering::SeqCst), 1);

        // Without a system store there is nothing to ask.
        let file = Some(FileBuilder::new(temp.path().join("keyring_pass.cfg")));
        PlatformBuilder::with_parts(None, file, probe)
            .location()
            .unwrap();
        assert_eq!(PROBES.load(Ordering::SeqCst), 1);
    }
}
