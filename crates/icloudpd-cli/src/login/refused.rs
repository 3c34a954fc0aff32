//! The passwords Apple refused in this process, per user, so that no provider sends one of
//! them again: watch mode signs in anew every time a session expires, and a wrong password sent
//! on every interval ends in a locked account.
//!
//! Only fingerprints are kept: SHA-256 of a random salt made at start and the password. The
//! salt never leaves memory, so a fingerprint says nothing about the password outside this
//! process.

use std::collections::HashMap;
use std::fmt;

use icloud_auth::{ExposeSecret, SecretString};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// Fingerprints of refused passwords, by username.
pub struct RefusedPasswords {
    salt: [u8; 32],
    by_user: HashMap<String, Vec<[u8; 32]>>,
}

impl RefusedPasswords {
    /// Returns an empty record with a new random salt.
    pub fn new() -> RefusedPasswords {
        let mut salt = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        RefusedPasswords {
            salt,
            by_user: HashMap::new(),
        }
    }

    fn fingerprint(&self, password: &SecretString) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(self.salt);
        hash.update(password.expose_secret().as_bytes());
        hash.finalize().into()
    }

    /// Records that Apple refused `password` for `username`.
    pub fn remember(&mut self, username: &str, password: &SecretString) {
        let fingerprint = self.fingerprint(password);
        let refused = self.by_user.entry(username.to_owned()).or_default();
        if !refused.contains(&fingerprint) {
            refused.push(fingerprint);
        }
    }

    /// Returns whether Apple refused `password` for `username` before.
    pub fn contains(&self, username: &str, password: &SecretString) -> bool {
        self.by_user
            .get(username)
            .is_some_and(|refused| refused.contains(&self.fingerprint(password)))
    }
}

impl Default for RefusedPasswords {
    fn default() -> Self {
        RefusedPasswords::new()
    }
}

/// Shows how many passwords are recorded per user, never a fingerprint or the salt.
impl fmt::Debug for RefusedPasswords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts: HashMap<&str, usize> = self
            .by_user
            .iter()
            .map(|(user, refused)| (user.as_str(), refused.len()))
            .collect();
        f.debug_struct("RefusedPasswords")
            .field("by_user", &counts)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_password_is_known_for_its_user_only() {
        let mut refused = RefusedPasswords::new();
        let wrong = SecretString::from("wrong");
        assert!(!refused.contains("a@example.com", &wrong));
        refused.remember("a@example.com", &wrong);
        refused.remember("a@example.com", &wrong);
        assert!(refused.contains("a@example.com", &wrong));
        assert!(!refused.contains("b@example.com", &wrong));
        assert!(!refused.contains("a@example.com", &SecretString::from("right")));
        let shown = format!("{refused:?}");
        assert!(
            shown.contains("\"a@example.com\": 1") && !shown.contains("wrong"),
            "{shown}"
        );
    }

    #[test]
    fn fingerprints_are_salted_per_process() {
        let password = SecretString::from("same");
        let (a, b) = (RefusedPasswords::new(), RefusedPasswords::new());
        assert_ne!(a.fingerprint(&password), b.fingerprint(&password));
        let unsalted: [u8; 32] = Sha256::digest(b"same").into();
        assert_ne!(a.fingerprint(&password), unsalted);
    }
}
