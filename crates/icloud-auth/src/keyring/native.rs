//! The operating systems' own credential stores, as the `keyring` crate provides them.

use keyring::credential::CredentialBuilder;

use super::KeyringLocation;
use crate::Result;

/// Returns the operating system's own store and where it keeps passwords, or `None` where
/// there is none and Python's keyring would use its file.
///
/// On Linux and the BSDs this is the Secret Service chosen explicitly rather than `keyring`'s
/// compile-time default, which would switch to keyutils if a build ever lost that feature.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub(super) fn platform_store() -> Option<(Box<CredentialBuilder>, KeyringLocation)> {
    Some((
        keyring::secret_service::default_credential_builder(),
        KeyringLocation::SecretService,
    ))
}

#[cfg(any(target_os = "macos", target_os = "ios"))]
pub(super) fn platform_store() -> Option<(Box<CredentialBuilder>, KeyringLocation)> {
    Some((
        keyring::default::default_credential_builder(),
        KeyringLocation::Keychain,
    ))
}

#[cfg(target_os = "windows")]
pub(super) fn platform_store() -> Option<(Box<CredentialBuilder>, KeyringLocation)> {
    Some((
        keyring::default::default_credential_builder(),
        KeyringLocation::CredentialManager,
    ))
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows"
)))]
pub(super) fn platform_store() -> Option<(Box<CredentialBuilder>, KeyringLocation)> {
    None
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub(super) fn secret_service() -> Result<Box<CredentialBuilder>> {
    Ok(keyring::secret_service::default_credential_builder())
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
pub(super) fn secret_service() -> Result<Box<CredentialBuilder>> {
    Err(unavailable(super::KeyringBackend::SecretService))
}

#[cfg(target_os = "linux")]
pub(super) fn keyutils() -> Result<Box<CredentialBuilder>> {
    Ok(Box::new(KeyutilsInSession(
        keyring::keyutils::default_credential_builder(),
    )))
}

#[cfg(not(target_os = "linux"))]
pub(super) fn keyutils() -> Result<Box<CredentialBuilder>> {
    Err(unavailable(super::KeyringBackend::KernelKeyutils))
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
fn unavailable(backend: super::KeyringBackend) -> crate::Error {
    crate::Error::Keyring(format!(
        "the {} keyring is not available on this operating system",
        backend.name()
    ))
}
