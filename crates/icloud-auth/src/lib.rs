//! Apple ID sign-in for iCloud web services, as Apple's web client and icloudpd do it.
//!
//! Work in progress: see the crate README.
#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod cookies;
mod endpoints;
mod error;
#[cfg(feature = "keyring")]
mod keyring;
mod retry;
mod srp;
mod store;

// pub use cookies::Cookie;
pub use endpoints::{AUTH_ENDPOINT_ENV, Endpoints, HOME_ENDPOINT_ENV, Region, SETUP_ENDPOINT_ENV};
pub use error::{Error, Result, TransportError};
// #[cfg(feature = "keyring")]
// pub use keyring::KeyringPasswordStore;
pub use retry::{RetryClass, RetryPolicy, Retryable};
pub use secrecy::{ExposeSecret, SecretString};
// pub use store::{FileSessionStore, MemorySessionStore, SessionState, SessionStore};
