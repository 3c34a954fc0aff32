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
//! - [`SharedAlbums`] is the other photo service of a session, Photos' "Shared Albums" (the
//!   `sharedstreams` webservice; not the iCloud Shared Photo Library, which is a
//!   [`Library`]): it lists the [`SharedAlbum`]s the account owns or subscribed to, lists an
//!   album's items as [`Asset`]s (an [`AssetStream`], complete or an error, in album order)
//!   and downloads their versions. An account without the service gets `None`, not an
//!   error; a call sent to the wrong partition (HTTP 330) is sent once more where Apple
//!   says. `cargo run -p icloud-photos --example shared_albums` shows it against the bundled
//!   fake.
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
//! None. TLS is what `icloud-auth` is built with (rustls by default).
#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

// The modules stand in layers, each using only those above it in this list
// (`scripts/check-layers.py` checks that no two import each other):
//
// values: what Apple's records become, and the errors.
mod album;
mod asset;
mod error;
mod redact;
// decoding and requests: records to values, CloudKit's request bodies, the stream type,
// downloads, and the CloudKit call with its retries.
mod call;
mod cloudkit;
mod download;
mod query;
mod stream;
// the state a client's handles share, and what runs on it: listings and change feeds.
mod changes;
mod context;
mod listing;
// the public handles: libraries, the client, and the shared albums' service.
mod client;
mod library;
mod shared;
// entry points for the fuzz targets, above everything they reach.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;

pub use album::{Album, AlbumKind, SmartFolder};
pub use asset::{Asset, AssetId, AssetVersion, MediaType, RawPolicy, VersionKind};
pub use call::Database;
pub use changes::{Change, ChangeFeed, ChangedZone, DatabaseChanges, SyncToken};
pub use client::{PhotosClient, PhotosClientBuilder};
pub use download::ByteStream;
pub use error::{DecodeError, Error, Result};
pub use library::{Library, LibraryHandle, LibraryKind, Lookup, PRIMARY_LIBRARY};
pub use listing::ListOptions;
pub use shared::{SHARED_ALBUMS, SharedAlbum, SharedAlbums, SharedAlbumsBuilder, SharingType};
pub use stream::AssetStream;
