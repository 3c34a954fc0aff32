//! Apple ID sign-in for iCloud web services, as Apple's web client and icloudpd do it.
//!
//! The principal types:
//!
//! - [`AuthClient`] signs an Apple ID in: [`AuthClient::resume`] reuses a stored session,
//!   [`AuthClient::sign_in`] runs the password step (SRP-6a in Apple's `s2k` / `s2k_fo`
//!   variant — the password never leaves the process).
//! - [`SignIn`] says where the sign-in stands: [`SignIn::Complete`] with a [`Session`], or a
//!   second factor to provide — [`TwoFactorChallenge`] (a code from a trusted device or by SMS
//!   to a [`TrustedPhone`]) or, for old accounts, [`TwoStepChallenge`]. Submitting a code
//!   consumes the challenge and yields the [`Session`].
//! - [`Session`] is the trusted web session: account data ([`AccountInfo`]) and the
//!   [`Webservice`] map (where iCloud Photos lives, for example).
//! - [`SessionStore`] persists cookies and tokens after every response. [`FileSessionStore`]
//!   reads and writes Python icloudpd's cookie directory (`~/.pyicloud`), so a user switching
//!   between the two programs keeps the trusted session; [`MemorySessionStore`] is for tests.
//!   [`FileSessionStore::try_lock`] keeps a second process off an account's session files
//!   ([`FileLock`], an advisory lock the kernel drops with the process).
//!
//! - [`Network`] says how the HTTP clients reach Apple beyond the defaults (the operating
//!   system's certificate store plus bundled roots, system DNS, `HTTPS_PROXY`/`NO_PROXY`):
//!   extra root certificates and host overrides, e.g. to reach `icloud-fake --https` under
//!   Apple's real host names. Sessions hand it on to the clients of their web services.
//!
//! What Apple changed in 2026 is handled inside the sign-in: the escrow password proof Apple
//! may ask for after the code or at a sign-in with a trust token, and the 409 answers that mean
//! success. Two things are left to the caller because they involve the account holder:
//! [`Error::AccountActionRequired`] (something to do on icloud.com first), and Advanced Data
//! Protection accounts, whose session needs the photos keys from one of the account's devices
//! ([`Session::ensure_pcs`], which reports when the person should approve the request). Before
//! the trust of a session runs out, [`Session::trust_expires`] says when.
//!
//! The library never prompts, prints or retries a sign-in: the caller decides how to obtain a
//! password or a code. Errors are one [`Error`] enum with [`Error::retry_class`] and
//! [`Error::needs_reauth`]; secrets never appear in errors, logs or `Debug` output. Answers
//! are read into memory up to [`MAX_RESPONSE_BYTES`]; a larger one fails with
//! [`Error::ResponseTooLarge`].
//!
//! ```no_run
//! # async fn demo() -> icloud_auth::Result<()> {
//! use std::sync::Arc;
//! use icloud_auth::{AuthClient, FileSessionStore, SecretString, SignIn};
//!
//! let client = AuthClient::builder().build()?;
//! let store = Arc::new(FileSessionStore::new("/home/me/.pyicloud"));
//! let password = SecretString::from("correct horse battery staple".to_owned());
//! let session = match client.sign_in("me@example.com", &password, store).await? {
//!     SignIn::Complete(session) => session,
//!     SignIn::TwoFactor(challenge) => {
//!         challenge.request_code().await?; // shows a code on the user's devices
//!         let code = "123456"; // ask the user
//!         challenge.submit_code(code).await?
//!     }
//!     other => panic!("unsupported: {other:?}"),
//! };
//! let photos = session.webservice("ckdatabasews")?.url(); // where iCloud Photos lives
//! # Ok(()) }
//! ```
//!
//! Endpoints: Apple's hosts for [`Region::Global`] (`--domain com`) and [`Region::China`]
//! (`--domain cn`); [`Endpoints::from_lookup`] applies the `ICLOUD_AUTH_ENDPOINT`,
//! `ICLOUD_SETUP_ENDPOINT` and `ICLOUD_HOME_ENDPOINT` overrides (base URLs, `http://` allowed)
//! from the variables a program hands it, which is how tests point the client at a fake
//! server.
//!
//! The crate reads no environment variable: whatever the environment should decide (endpoint
//! overrides, the client id, the keyring's file and session bus) the caller passes explicitly,
//! so an embedder is never redirected by variables it did not ask about.
//!
//! # Features
//!
//! - `rustls` (default): TLS with rustls.
//! - `native-tls`: TLS with the platform's library instead.
//! - `keyring`: `KeyringPasswordStore`, passwords under Python icloudpd's service name
//!   `pyicloud://icloud-password` in the store Python's `keyring` would choose: the OS keyring
//!   (Secret Service, Keychain, Credential Manager) or, where none is usable (a headless Linux
//!   box), Python keyrings.alt's file `~/.local/share/python_keyring/keyring_pass.cfg`. To find
//!   what Python finds, the caller hands in `HOME`, `XDG_DATA_HOME` and
//!   `DBUS_SESSION_BUS_ADDRESS` as a `KeyringEnvironment`.
#![deny(missing_docs)]
// docs.rs builds with `--cfg docsrs` (package.metadata.docs.rs) and shows which feature
// or platform an item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod client;
mod conn;
mod cookies;
mod endpoints;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "keyring")]
mod keyring;
mod lock;
mod network;
mod pcs;
mod private_fs;
mod retry;
mod session;
mod signin;
mod srp;
mod store;
mod two_factor;

pub use client::{AuthClient, AuthClientBuilder, DEFAULT_USER_AGENT};
pub use conn::MAX_RESPONSE_BYTES;
pub use cookies::Cookie;
pub use endpoints::{AUTH_ENDPOINT_ENV, Endpoints, HOME_ENDPOINT_ENV, Region, SETUP_ENDPOINT_ENV};
pub use error::{Error, Result, TransportError};
#[cfg(feature = "keyring")]
#[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
pub use keyring::{
    KEYRING_SERVICE, KeyringBackend, KeyringEntry, KeyringEnvironment, KeyringLocation,
    KeyringPasswordStore,
};
pub use lock::FileLock;
pub use network::{Certificate, Network};
pub use pcs::{PcsEvent, PcsOutcome, PcsPolicy, WebAccessState};
pub use retry::{RetryClass, RetryPolicy, Retryable};
pub use secrecy::{ExposeSecret, SecretString};
pub use session::{AccountInfo, Session, Webservice};
pub use signin::SignIn;
pub use store::{FileSessionStore, MemorySessionStore, SessionState, SessionStore};
pub use two_factor::{TrustedPhone, TwoFactorChallenge, TwoStepChallenge, TwoStepDevice};

#[cfg(test)]
mod assert_impls {
    fn send_sync<T: Send + Sync>() {}
    #[test]
    fn handles_are_send_and_sync() {
        send_sync::<super::AuthClient>();
        send_sync::<super::Session>();
        send_sync::<super::TwoFactorChallenge>();
        send_sync::<super::TwoStepChallenge>();
        send_sync::<super::Error>();
        send_sync::<super::FileLock>();
        #[cfg(feature = "keyring")]
        send_sync::<super::KeyringPasswordStore>();
    }
}
