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
//! # From a session to a file, step by step
//!
//! The walk-through below runs as it stands against [`icloud-fake`], the fake of Apple's
//! servers this workspace tests with (a dev-dependency: an embedder's own tests can do the
//! same). Against Apple, only the sign-in differs: `icloud-auth`'s [`Endpoints`] default to
//! Apple's hosts, and a real account usually asks for a second factor (see `icloud-auth`).
//!
//! 1. Sign in with `icloud-auth` and keep the [`Session`]: this crate never sees a password.
//! 2. Build one [`PhotosClient`] for the session ([`PhotosClient::builder`] to tune paging,
//!    concurrency, retries and download timeouts). It fails when the account has no CloudKit
//!    service.
//! 3. Open a [`Library`]: [`PhotosClient::primary`] for the personal one, or
//!    [`PhotosClient::libraries`] for all of them (iCloud Shared Photo Libraries included).
//! 4. Pick what to list: [`Library::all_photos`] (the whole collection, what icloudpd
//!    downloads without `--album`) or one of [`Library::albums`] (smart folders first, then
//!    user albums). [`Library::count`] says how many assets it holds.
//! 5. List it with [`Library::assets`]: an [`AssetStream`] of [`Asset`]s, newest first. Each
//!    asset has a filename, dates and up to ten [`AssetVersion`]s (the original, edits,
//!    previews, the video of a live photo), each with its size, checksum and download URL.
//! 6. Download a version with [`PhotosClient::download`]: a [`ByteStream`] of chunks to write
//!    wherever the caller likes (this crate never touches the disk). Download URLs expire
//!    after about an hour: [`Library::refresh`] fetches fresh ones.
//! 7. Next time, read only what changed: [`Library::changes`] from a [`SyncToken`].
//!
//! ```
//! use std::sync::Arc;
//!
//! use futures_util::{StreamExt, TryStreamExt};
//! use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
//! use icloud_fake::{FakeAccount, FakeAlbum, FakeAsset, FakeICloud, FakeLibrary};
//! use icloud_photos::{PhotosClient, VersionKind};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A fake Apple with one account (no second factor) and a small photo library.
//! let library = FakeLibrary::new()
//!     .album(FakeAlbum::new("Rom 2019"))
//!     .asset(FakeAsset::photo("IMG_0001.JPG").in_album("Rom 2019"))
//!     .asset(FakeAsset::live("IMG_0002.HEIC").favorite());
//! let account = FakeAccount::new("jdoe@gmail.com", "password1")
//!     .without_two_factor()
//!     .library(library);
//! let fake = FakeICloud::builder().account(account).start()?;
//!
//! // 1. Sign in (icloud-auth). Against Apple: the default endpoints, and perhaps a code.
//! let auth = AuthClient::builder()
//!     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
//!     .build()?;
//! let store = Arc::new(MemorySessionStore::default());
//! let password = SecretString::from("password1".to_owned());
//! let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await?
//! else {
//!     return Err("this account needs no second factor".into());
//! };
//!
//! // 2. and 3. The client and the personal library.
//! let photos = PhotosClient::new(&session)?;
//! let library = photos.primary().await?;
//! assert_eq!(library.name(), "PrimarySync");
//!
//! // 4. Its albums (what `icloudpd --list-albums` prints) and the whole collection.
//! let albums = library.albums().await?;
//! assert_eq!(albums[0].name(), "Time-lapse"); // the smart folders come first
//! assert!(albums.iter().any(|a| a.name() == "Rom 2019"));
//! let all = library.all_photos();
//! assert_eq!(library.count(&all).await?, 2);
//!
//! // 5. List it, newest first.
//! let assets: Vec<_> = library.assets(&all).try_collect().await?;
//! for asset in &assets {
//!     let original = asset.version(VersionKind::Original).expect("every asset has one");
//!     tracing::info!("{} {} bytes, live: {}", asset.filename(), original.size(), asset.is_live_photo());
//! }
//!
//! // 6. Download one version into memory (a program writes the chunks to a file).
//! let original = assets[0].version(VersionKind::Original).expect("an original");
//! let mut body = photos.download(original, 0).await?;
//! let mut bytes = Vec::new();
//! while let Some(chunk) = body.next().await {
//!     bytes.extend_from_slice(&chunk?);
//! }
//! assert_eq!(bytes.len() as u64, original.size());
//! # Ok(()) }
//! ```
//!
//! `cargo run -p icloud-photos --example list_and_download` does the same with a generated
//! library and writes the file; `--example shared_albums` shows [`SharedAlbums`].
//!
//! [`icloud-fake`]: https://docs.rs/icloud-fake
//! [`Endpoints`]: icloud_auth::Endpoints
//! [`Session`]: icloud_auth::Session
//!
//! # Other crates in the public API
//!
//! Besides `icloud-auth` (the [`Session`] and [`icloud_auth::RetryPolicy`] taken, the
//! [`icloud_auth::Error`] and [`icloud_auth::TransportError`] wrapped), the public API names
//! types of three crates, each stable or the ecosystem's common currency, so that their
//! values pass to other libraries without conversion:
//!
//! - [`time`] 0.3: the dates of [`Asset`] and [`SharedAlbum`] are `time::OffsetDateTime`.
//! - [`bytes`] 1: [`ByteStream`] yields `bytes::Bytes` chunks.
//! - [`futures-core`] 0.3: [`AssetStream`], [`ChangeFeed`] and [`ByteStream`] implement its
//!   `Stream`; `futures_util::StreamExt` and `TryStreamExt` drive them.
//!
//! The HTTP client (`reqwest`) stays private: transport failures are [`Error::Transport`]
//! around an opaque source.
//!
//! [`time`]: https://docs.rs/time/0.3
//! [`bytes`]: https://docs.rs/bytes/1
//! [`futures-core`]: https://docs.rs/futures-core/0.3
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
