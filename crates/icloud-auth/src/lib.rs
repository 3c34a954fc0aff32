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
//! # Signing in, step by step
//!
//! The walk-through below runs as it stands against [`icloud-fake`], the fake of Apple's
//! servers this workspace tests with (a dev-dependency: your own tests can do the same). The
//! only difference from a real sign-in is the [`Endpoints`]: Apple's hosts by default, the
//! fake's loopback address here.
//!
//! 1. Build one [`AuthClient`]; it is cheap to clone and holds no account.
//! 2. Pick a [`SessionStore`]. [`FileSessionStore`] keeps each Apple ID's cookies and tokens
//!    in a cookie directory, saved after every answer from Apple.
//! 3. Try [`AuthClient::resume`] first: with a trusted session in the store it needs no
//!    password at all.
//! 4. Otherwise [`AuthClient::sign_in`] with the password. It returns a [`SignIn`], and the
//!    type says what is left to do: nothing ([`SignIn::Complete`]), or a code.
//! 5. For a [`TwoFactorChallenge`], ask Apple to show a code on the account's devices
//!    ([`TwoFactorChallenge::request_code`]), ask the person for it, and submit it
//!    ([`TwoFactorChallenge::submit_code`]). Submitting consumes the challenge and yields the
//!    trusted [`Session`]; a wrong code is [`Error::TwoFactorRejected`] (clone the challenge
//!    first to allow another try).
//! 6. Use the [`Session`]: its account data, its web services, authenticated calls to them.
//!    The next run resumes it from the store without a password or a code.
//!
//! ```
//! use std::sync::Arc;
//! use icloud_auth::{AuthClient, Endpoints, FileSessionStore, Region, SecretString, SignIn};
//! use icloud_fake::{FakeAccount, FakeICloud};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A fake Apple with one account whose devices always show the code 123456.
//! let fake = FakeICloud::builder()
//!     .account(FakeAccount::new("jdoe@gmail.com", "password1").fixed_code("123456"))
//!     .start()?;
//! let client = AuthClient::builder()
//!     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
//!     .build()?;
//! let dir = tempfile::tempdir()?; // in a program: the user's ~/.pyicloud
//! let store = Arc::new(FileSessionStore::new(dir.path()));
//!
//! // Nothing stored yet, so there is nothing to resume.
//! assert!(client.resume("jdoe@gmail.com", store.clone()).await?.is_none());
//!
//! let password = SecretString::from("password1".to_owned());
//! let session = match client.sign_in("jdoe@gmail.com", &password, store.clone()).await? {
//!     SignIn::Complete(session) => session,
//!     SignIn::TwoFactor(challenge) => {
//!         challenge.request_code().await?; // Apple shows a code on the trusted devices
//!         let code = "123456"; // a program asks the person here
//!         challenge.submit_code(code).await?
//!     }
//!     other => return Err(format!("not handled here: {other:?}").into()),
//! };
//! tracing::info!("signed in as {}", session.account().apple_id());
//! let photos = session.webservice("ckdatabasews")?.url(); // where iCloud Photos lives
//! assert!(photos.starts_with(&fake.base_url()));
//!
//! // The store now holds a trusted session: the next run needs neither password nor code.
//! assert!(store.session_path("jdoe@gmail.com").exists());
//! let resumed = client.resume("jdoe@gmail.com", store).await?;
//! assert!(matches!(resumed, Some(SignIn::Complete(_))));
//! # Ok(()) }
//! ```
//!
//! [`icloud-fake`]: https://docs.rs/icloud-fake
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

// The modules stand in layers: each group below uses only itself and the groups above it,
// never one further down (`scripts/check-layers.py crates/icloud-auth/src` prints the layers
// and fails on an import loop).
//
// Foundations, no I/O of their own: retry classes, the error type, SRP arithmetic, cookies,
// endpoints, network settings, files.
mod cookies;
mod endpoints;
mod error;
#[cfg(feature = "keyring")]
mod keyring;
mod lock;
mod network;
mod private_fs;
mod retry;
mod srp;
mod store;
// The connection: one HTTP client per Apple ID, Apple's headers, capture and persistence of
// the session data after every answer, the classification of Apple's replies.
mod conn;
// What Apple says about the account, and the calls several sign-in states make.
mod account;
mod calls;
// The product of a sign-in, and what it can do (web-service calls, the ADP keys).
mod pcs;
mod session;
// The sign-in states: a pending second factor, and where a sign-in stands.
mod signin;
mod two_factor;
// The entry point.
mod client;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;

pub use account::{AccountInfo, Webservice};
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
pub use session::{RawReply, Session};
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
