//! The keyring backend chosen by `ICLOUD_KEYRING_BACKEND` (default: the platform's own).
//!
//! The platform default is the store Python icloudpd would use on this machine: the Secret
//! Service (Keychain, Credential Manager) when usable, else Python keyring's plain-text file
//! `~/.local/share/python_keyring/keyring_pass.cfg`, as on a headless Linux box.

use std::sync::OnceLock;

use icloud_auth::{KeyringBackend, KeyringPasswordStore};

/// Returns the password store, using the backend named in `ICLOUD_KEYRING_BACKEND` if set.
///
/// The store is made once per process, so the platform's choice is made once too.
pub fn store() -> Result<KeyringPasswordStore, String> {
    static STORE: OnceLock<Result<KeyringPasswordStore, String>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let backend = match std::env::var("ICLOUD_KEYRING_BACKEND") {
                Ok(name) if !name.trim().is_empty() => {
                    KeyringBackend::from_name(&name).map_err(|e| e.to_string())?
                }
                _ => KeyringBackend::Platform,
            };
            KeyringPasswordStore::with_backend(backend).map_err(|e| e.to_string())
        })
        .clone()
}
