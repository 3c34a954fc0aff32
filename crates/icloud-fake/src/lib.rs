//! A stateful fake of Apple's iCloud sign-in servers (idmsa + setup) on loopback HTTP.
//!
//! [`FakeICloud`] serves, from one origin `http://127.0.0.1:PORT`:
//!
//! * idmsa under `/appleauth/auth/…`: `signin/init` and `signin/complete` with a real
//!   server-side SRP-6a verifier (Apple's `s2k`/`s2k_fo` variant), `repair/complete`, the
//!   boot-args page with the trusted phone numbers, 2FA codes on trusted devices and by SMS,
//!   and `2sv/trust`;
//! * setup under `/setup/ws/1/…`: `accountLogin`, `validate` and the legacy 2SA endpoints
//!   (`listDevices`, `sendVerificationCode`, `validateVerificationCode`);
//! * a test route `GET /__fake/code?account=<apple id>` returning the pending code.
//!
//! Accounts are configured with [`FakeAccount`], failures injected with [`Fault`]. The fake
//! depends on none of the project's crates, so it stays an independent oracle: the SRP math here
//! is a separate implementation of the spec, checked against its test vectors.
//!
//! ```no_run
//! use icloud_fake::{FakeAccount, FakeICloud};
//!
//! let fake = FakeICloud::builder()
//!     .account(FakeAccount::new("jdoe@gmail.com", "password1").fixed_code("123456"))
//!     .start()?;
//! let base = fake.base_url(); // point the client's idmsa, setup and home URLs here
//! # let _ = base;
//! assert_eq!(fake.count("POST", "/signin/init"), 0);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Cookies are host-only (no `Domain`, no `Secure`) so that cookie jars accept them on plain
//! HTTP to 127.0.0.1; values keep Apple's literal double quotes. There are no cargo features.

#![deny(missing_docs)]

mod account;
mod faults;
mod http;
mod idmsa;
mod server;
mod setup;
mod shapes;
mod srp;
mod state;

pub use account::FakeAccount;
pub use faults::Fault;
pub use server::{FakeICloud, FakeICloudBuilder, RecordedRequest};

/// The widget key (= OAuth client id) the fake requires on idmsa requests.
pub const WIDGET_KEY: &str = idmsa::WIDGET_KEY;

#[cfg(test)]
mod tests {
    use super::*;

    fn _assert_impls() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FakeICloud>();
        assert_send_sync::<FakeAccount>();
        assert_send_sync::<Fault>();
    }
}
