//! The keyring backend chosen by `ICLOUD_KEYRING_BACKEND` (default: the platform's own).

use icloud_auth::{KeyringBackend, KeyringPasswordStore};

/// Returns the password store, using the backend named in `ICLOUD_KEYRING_BACKEND` if set.
pub fn store() -> Result<KeyringPasswordStore, String> {
    match std::env::var("ICLOUD_KEYRING_BACKEND")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(name) => KeyringBackend::from_name(&name)
            .and_then(KeyringPasswordStore::with_backend)
            .map_err(|e| e.to_string()),
        None => Ok(KeyringPasswordStore::new()),
    }
}
