//! iCloud Photos over CloudKit, as icloud.com's web client and icloudpd use it: libraries,
//! albums, typed assets, change feeds and download streams. Never touches the disk.
//!
//! The principal types:
//!
//! - [`PhotosClient`] wraps a signed-in [`icloud_auth::Session`]: it finds [`Library`]s
//!   (`PrimarySync`, shared libraries) and downloads [`AssetVersion`]s as [`ByteStream`]s.
//! - [`Library`] lists its [`Album`]s (the ten smart folders of [`SmartFolder`], then user
//!   albums), counts them, lists their [`Asset`]s as a stream ([`AssetStream`], all of them or
//!   the newest few, see [`ListOptions`]), refreshes an asset whose download URLs expired,
//!   deletes assets and reads its change feed ([`ChangeFeed`] of [`Change`]s since a
//!   [`SyncToken`]).
//! - [`Asset`] is one photo or video: filename, [`MediaType`], versions by [`VersionKind`],
//!   dates and the metadata icloudpd writes to XMP sidecars.
//!
//! Listings are `Stream`s of `Result<Asset>`; paging is invisible. Several pages are fetched
//! at once and yielded in order. A record that cannot be decoded is an `Err` item for that
//! asset and the listing goes on; a listing that returns fewer assets than the library's count
//! ends with [`Error::Incomplete`], and one whose pages stop bringing new assets (a server
//! that ignores `startRank`) ends with [`Error::ListingStalled`] instead of asking forever.
//! Throttling is retried per the [`icloud_auth::RetryPolicy`]
//! (honouring `Retry-After`) and lowers the number of requests in flight; an expired session
//! is an error whose [`Error::needs_reauth`] is `true`.
//!
//! ```no_run
//! # async fn demo(session: icloud_auth::Session) -> icloud_photos::Result<()> {
//! use futures_util::TryStreamExt;
//! use icloud_photos::PhotosClient;
//!
//! let photos = PhotosClient::new(&session)?;
//! let library = photos.primary().await?;
//! let names: Vec<String> = library
//!     .albums()
//!     .await?
//!     .iter()
//!     .map(|a| a.name().to_owned())
//!     .collect(); // what `icloudpd --list-albums` prints
//! let all = library.all_photos();
//! let total = library.count(&all).await?;
//! let mut assets = library.assets(&all);
//! while let Some(asset) = assets.try_next().await? {
//!     let original = asset.version(icloud_photos::VersionKind::Original);
//!     let _ = (asset.filename(), original.map(|v| v.size()));
//! }
//! # let _ = (names, total);
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! - `rustls` (default): TLS with rustls, passed through to `icloud-auth/rustls`.
//! - `native-tls`: TLS with the platform's library, passed through to `icloud-auth/native-tls`.
//!   With `default-features = false` and only this feature, rustls is not compiled in.
#![deny(missing_docs)]
// docs.rs builds with `--cfg docsrs` (package.metadata.docs.rs) and shows which feature
// or platform an item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod album;
mod asset;
mod call;
mod changes;
mod client;
mod cloudkit;
mod download;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod library;
mod listing;
mod query;

pub use album::{Album, AlbumKind, SmartFolder};
pub use asset::{Asset, AssetId, AssetVersion, MediaType, RawPolicy, VersionKind};
pub use changes::{Change, ChangeFeed, ChangedZone, DatabaseChanges, SyncToken};
pub use client::{PRIMARY_LIBRARY, PhotosClient, PhotosClientBuilder};
pub use download::ByteStream;
pub use error::{DecodeError, Error, Result};
pub use library::{Database, Library, LibraryHandle, LibraryKind, Lookup};
pub use listing::{AssetStream, ListOptions};
