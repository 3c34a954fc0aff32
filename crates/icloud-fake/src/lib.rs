//! A stateful fake of Apple's iCloud servers (sign-in, CloudKit photos, download CDN) on
//! loopback, over plain HTTP or HTTPS.
//!
//! [`FakeICloud`] serves, by default from one origin `http://127.0.0.1:PORT` (HTTPS mode below):
//!
//! * idmsa under `/appleauth/auth/…`: `signin/init` and `signin/complete` with a real
//!   server-side SRP-6a verifier (Apple's `s2k`/`s2k_fo` variant), `repair/complete`, the
//!   boot-args page with the trusted phone numbers, 2FA codes on trusted devices and by SMS,
//!   and `2sv/trust`;
//! * setup under `/setup/ws/1/…`: `accountLogin`, `validate` and the legacy 2SA endpoints
//!   (`listDevices`, `sendVerificationCode`, `validateVerificationCode`);
//! * CloudKit under `/database/1/com.apple.photos.cloud/production/{private,shared}/…` (the
//!   `ckdatabasews` webservice URL): `zones/list`, `records/query` (indexing state, albums,
//!   every listing index with rank paging), `records/lookup` (CPLAssets and CPLMasters by
//!   name, with fresh download URLs), `internal/records/query/batch` (counts),
//!   `records/modify` (delete, hide, favorite), `changes/database` and `changes/zone`; all
//!   require the web cookies of a live session;
//! * shared albums (the `sharedstreams` webservice, spec shared-albums.md): `webgetalbumslist`,
//!   `webgetassetcount` and `webgetassets` (`limit` is an end index) on partition hosts
//!   `pNN-sharedstreams.icloud.com`, served in HTTP mode under `/_h/<host>/…`; a request on the
//!   wrong partition is answered HTTP 330 naming the right host; configured with
//!   [`FakeSharedStreams`] and [`FakeSharedAlbum`] on [`FakeAccount::shared_albums`] (every
//!   account has the service, without albums, unless [`FakeAccount::without_shared_albums`]);
//! * the download CDN under `/B/<token>/${f}?…`: deterministic bytes generated on the fly,
//!   `Range` requests answered with 206, signed URLs that expire (shared albums' too);
//! * a test route `GET /__fake/code?account=<apple id>` returning the pending code.
//!
//! Accounts are configured with [`FakeAccount`], their photos with [`FakeLibrary`] (built from
//! [`FakeAsset`]s and [`FakeAlbum`]s, or generated), failures injected with [`Fault`] (fixed
//! or seeded-random error statuses, throttling, expiring sessions, latency, truncated or reset
//! downloads, a bandwidth cap, listings that ignore `startRank`, oversized answers). Truth
//! queries ([`FakeICloud::expected_listing`], [`FakeICloud::album_names`],
//! [`FakeICloud::resource_bytes`], [`FakeICloud::expected_shared_albums`]) say what a correct
//! client must see. The fake depends on none
//! of the project's crates, so it stays an independent oracle: the SRP math here is a separate
//! implementation of the spec, checked against its test vectors.
//!
//! # Using the fake in a test, step by step
//!
//! 1. Describe the accounts: [`FakeAccount::new`] with an Apple ID and a password is a
//!    two-factor account as Apple serves them in 2026; its builder methods change one
//!    behaviour each (a fixed code, no second factor, a locked account, Advanced Data
//!    Protection, …). Give it photos with [`FakeAccount::library`].
//! 2. Add the [`Fault`]s the test is about, from the start ([`FakeICloudBuilder::fault`]) or
//!    at any point while it runs ([`FakeICloud::set_fault`]).
//! 3. [`FakeICloudBuilder::start`] binds an ephemeral port on 127.0.0.1 and serves on a
//!    thread of its own, so the same code works in plain and in async tests.
//! 4. Point the client under test at [`FakeICloud::base_url`]: it is the sign-in, setup and
//!    home URL at once, and the fake announces it again as the photos web service and in
//!    download URLs.
//! 5. Check what the client did against the recorded requests ([`FakeICloud::requests`],
//!    [`FakeICloud::count`]) and what it found against the truth queries
//!    ([`FakeICloud::expected_listing`] and its siblings).
//!
//! The example below plays the client with a bare HTTP client; a test of a real client (such
//! as `icloud-auth`'s examples, which sign in with a password and a code) does the same with
//! its own calls.
//!
//! ```
//! use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary, Fault};
//!
//! let library = FakeLibrary::generated(300, 42)
//!     .asset(FakeAsset::live("IMG_0001.HEIC").favorite().in_album("Bilderrahmen"));
//! let fake = FakeICloud::builder()
//!     .account(
//!         FakeAccount::new("jdoe@gmail.com", "password1")
//!             .fixed_code("123456")
//!             .library(library),
//!     )
//!     // Apple throttles the first sign-in attempt.
//!     .fault(Fault::status("/signin/init", 503, Some(1)))
//!     .start()?;
//! let base = fake.base_url(); // the client's idmsa, setup and home URL
//!
//! let http = reqwest::blocking::Client::new();
//! let init = format!("{base}/appleauth/auth/signin/init");
//! let answer = http.post(&init).body("{}").send().map_err(std::io::Error::other)?;
//! assert_eq!(answer.status().as_u16(), 503);
//! assert_eq!(fake.count("POST", "/signin/init"), 1);
//! let recorded = &fake.requests()[0];
//! assert_eq!((recorded.method.as_str(), recorded.status), ("POST", 503));
//!
//! // What a correct client must list: the favourite is among the favourites.
//! let favorites = fake.expected_listing("jdoe@gmail.com", "PrimarySync", Some("Favorites"));
//! assert!(favorites.iter().any(|a| a.filename.as_deref() == Some("IMG_0001.HEIC")));
//! assert!(fake.album_names("jdoe@gmail.com", "PrimarySync").contains(&"Bilderrahmen".to_owned()));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Listings follow the paging contract of the photos spec (§6.5): `startRank = k` returns the
//! assets at ranks `[k, k + resultsLimit / 2)` of the index, newest first, all masters of the
//! page then their assets; `startRank` past the end returns `{"records": [], "syncToken": …}`;
//! `records/modify` shifts later ranks at once. Counts always equal what a listing returns.
//!
//! Records are rendered straight into JSON and file bytes are generated on the fly, so a
//! generated 100k-asset library costs about 30 MB and a 100-pair page a few milliseconds in a
//! release build. For long benchmarks turn request recording off
//! ([`FakeICloudBuilder::recording`]); [`Fault::latency`] sleeps outside the server's lock.
//!
//! The fake runs in one of two modes:
//!
//! * **HTTP** (default): everything from one origin, `http://127.0.0.1:PORT`, which the client
//!   takes as its idmsa, setup and home URL and finds again in `webservices` and download
//!   URLs. Cookies are host-only (no `Domain`, no `Secure`) so that cookie jars accept them on
//!   plain HTTP to 127.0.0.1. The `Host` header is not looked at.
//! * **HTTPS** ([`FakeICloudBuilder::https`]): TLS on the same port with a certificate from a
//!   private CA made at start ([`FakeICloud::ca_certificate_pem`]), under Apple's host names.
//!   The client keeps Apple's real URLs (`https://idmsa.apple.com/appleauth/auth`,
//!   `https://setup.icloud.com/setup/ws/1`, `https://www.icloud.com`), resolves
//!   [`FakeICloud::host_overrides`] to the fake and trusts the CA. The fake announces
//!   `https://p61-ckdatabasews.icloud.com:PORT` and downloads on
//!   `https://cvws.icloud-content.com:PORT`, sets cookies with Apple's attributes
//!   (`Domain=.icloud.com;Secure` for setup, `Domain=idmsa.apple.com; …; Secure` for `aasp`,
//!   `Domain=apple.com` for `dslang` and `site`), and answers 421 to a request sent to the
//!   wrong host. Requests to the `….cn` hosts see the `.cn` names.
//!
//! In both modes cookie values keep Apple's literal double quotes. There are no cargo features.
//!
//! Benchmarks that measure a client against the fake in a child process share the helpers of
//! [`bench`](mod@bench): re-running the benchmark binary as its child, the child's CPU time and
//! peak RSS, and the summary of verdicts.

#![deny(missing_docs)]
// docs.rs builds with `--cfg docsrs` (package.metadata.docs.rs) and shows which feature
// or platform an item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bench;
// Runs the repository's scripts/python-icloudpd.sh: usable from a clone only, so not part of
// the published API.
#[doc(hidden)]
pub mod python;

mod account;
mod bandwidth;
mod cdn;
mod changes;
mod cloudkit;
mod faults;
mod http;
mod idmsa;
mod library;
mod origins;
mod records;
mod server;
mod setup;
mod shapes;
mod shared_albums;
mod sharedstreams;
mod srp;
mod state;
mod tls;
mod zone;

pub use account::{Escrow, FakeAccount, SharedPlacement};
pub use faults::Fault;
pub use library::{ExpectedAsset, FakeAlbum, FakeAsset, FakeLibrary};
pub use server::{FakeICloud, FakeICloudBuilder, RecordedRequest};
pub use shared_albums::{
    ExpectedSharedAlbum, FakeSharedAlbum, FakeSharedStreams, PartitionRedirect,
};

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
        assert_send_sync::<FakeLibrary>();
        assert_send_sync::<FakeSharedStreams>();
    }
}
