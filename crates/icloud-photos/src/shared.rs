//! Shared albums (Photos' "Shared Albums", the legacy shared photo streams of the
//! `sharedstreams` webservice): [`SharedAlbums`] lists the albums an account owns or
//! subscribed to ([`SharedAlbum`]), lists an album's items as [`Asset`]s and downloads their
//! versions. Not the iCloud Shared Photo Library, which is a [`crate::Library`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use icloud_auth::{RetryPolicy, Session};
use serde_json::json;
use time::OffsetDateTime;

use crate::asset::AssetVersion;
use crate::download::{self, ByteStream};
use crate::error::{Error, Result};
use crate::redact::redact_url;
use crate::stream::AssetStream;

mod call;
mod decode;
mod listing;

use call::Streams;

/// The name under which icloudpd offers shared albums next to the libraries (`--library
/// SharedAlbums`); no library zone can be called so.
pub const SHARED_ALBUMS: &str = "SharedAlbums";

/// Whose a shared album is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SharingType {
    /// The account's own album (`sharingtype` `owned`).
    Owned,
    /// Someone else's album the account subscribed to (`subscribed`, and anything Apple may
    /// call it otherwise).
    Subscribed,
}

/// One shared album, as `webgetalbumslist` describes it.
///
/// `Debug` leaves out the album's location and public URL: both are capabilities.
///
/// Returned by [`SharedAlbums::albums`]; pass it back to [`SharedAlbums::count`],
/// [`SharedAlbums::assets`] and [`SharedAlbums::refresh`]. Identify albums between runs by
/// [`SharedAlbum::guid`] (names can change and repeat); [`SharedAlbum::ctag`] changes
/// whenever the album's content does, so a program that stored it can skip an unchanged
/// album without listing it.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedAlbum {
    pub(crate) guid: String,
    pub(crate) name: String,
    pub(crate) ctag: Option<String>,
    pub(crate) location: String,
    pub(crate) owner_dsid: Option<String>,
    pub(crate) sharing: SharingType,
    pub(crate) public_url: Option<String>,
    pub(crate) public: bool,
    pub(crate) contributions: bool,
    pub(crate) web_upload: bool,
    pub(crate) created: Option<OffsetDateTime>,
}

impl SharedAlbum {
    /// Returns the album's id (`albumguid`, an upper-case UUID): stable, unlike its name.
    pub fn guid(&self) -> &str {
        &self.guid
    }

    /// Returns the album's name. Names are not unique: two albums may share one.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the album's change tag (`albumctag`), which changes when the album does.
    pub fn ctag(&self) -> Option<&str> {
        self.ctag.as_deref()
    }

    /// Returns the owner's dsid (`ownerdsid`).
    pub fn owner_dsid(&self) -> Option<&str> {
        self.owner_dsid.as_deref()
    }

    /// Returns whether the account owns the album or subscribed to it.
    pub fn sharing(&self) -> SharingType {
        self.sharing
    }

    /// Returns `true` for the account's own album.
    pub fn is_owned(&self) -> bool {
        self.sharing == SharingType::Owned
    }

    /// Returns the public website's address (`publicurl`), when "Public Website" is on. Anyone
    /// with it sees the album: treat it as a secret.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// Returns `true` when "Public Website" is on (`ispublic`).
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// Returns `true` when subscribers may add items (`allowcontributions`).
    pub fn allows_contributions(&self) -> bool {
        self.contributions
    }

    /// Returns `iswebuploadsupported`.
    pub fn web_upload_supported(&self) -> bool {
        self.web_upload
    }

    /// Returns when the album was created (`creationDate`), if Apple said.
    pub fn created(&self) -> Option<OffsetDateTime> {
        self.created
    }
}

impl fmt::Debug for SharedAlbum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedAlbum")
            .field("guid", &self.guid)
            .field("name", &self.name)
            .field("sharing", &self.sharing)
            .field("public", &self.public)
            .field(
                "location",
                &redact_url(&self.location)
                    .split('/')
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("/"),
            )
            .finish_non_exhaustive()
    }
}

/// The shared albums of a signed-in [`Session`]. Cheap to clone; `Send + Sync`.
///
/// Requests go to the account's `sharedstreams` webservice and to each album's
/// `albumlocation`, with the session's cookies. A call sent to the wrong partition is answered
/// HTTP 330 naming another `pNN-sharedstreams.icloud.com`: the call is sent once more there,
/// and later calls of that account or album go there directly; a second 330 in a row is an
/// error. Throttling and server errors are retried per the [`RetryPolicy`]; an expired session
/// is an error whose [`Error::needs_reauth`] is `true`.
///
/// ```no_run
/// # async fn demo(session: icloud_auth::Session) -> icloud_photos::Result<()> {
/// use futures_util::TryStreamExt;
/// use icloud_photos::{SharedAlbums, VersionKind};
///
/// let Some(shared) = SharedAlbums::new(&session)? else {
///     return Ok(()); // the account has no shared albums service
/// };
/// for album in shared.albums().await? {
///     let n = shared.count(&album).await?;
///     let mut items = shared.assets(&album);
///     while let Some(asset) = items.try_next().await? {
///         let original = asset.version(VersionKind::Original);
///         let _ = (album.name(), n, asset.filename(), original.map(|v| v.size()));
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SharedAlbums {
    inner: Arc<Inner>,
}

struct Inner {
    streams: Arc<Streams>,
    http: reqwest::Client,
    page_size: usize,
}

impl fmt::Debug for SharedAlbums {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedAlbums")
            .field("page_size", &self.inner.page_size)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SharedAlbums`]; see [`SharedAlbums::builder`].
#[derive(Debug)]
#[must_use]
pub struct SharedAlbumsBuilder {
    session: Session,
    page_size: usize,
    retry: RetryPolicy,
    timeout: Duration,
}

impl SharedAlbumsBuilder {
    /// Sets how many items one `webgetassets` request asks for (default 100, what the web
    /// clients that work use; Apple's maximum is unknown). At least 1.
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Sets the retry policy of the service's requests (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the connect and read timeout of downloads (default 30 s, no total timeout).
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the service, or returns `None` when the account has none (its `webservices`
    /// lack `sharedstreams`): such an account has no shared albums.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] or [`Error::Transport`] when the download client cannot be built
    /// (a root certificate refused by the TLS library).
    pub fn build(self) -> Result<Option<SharedAlbums>> {
        let Ok(service) = self.session.webservice("sharedstreams") else {
            tracing::debug!("no sharedstreams webservice: the account has no shared albums");
            return Ok(None);
        };
        let root = service.url().to_owned();
        let http = download::http_client(&self.session, self.timeout)?;
        Ok(Some(SharedAlbums {
            inner: Arc::new(Inner {
                streams: Arc::new(Streams::new(self.session, &root, self.retry)),
                http,
                page_size: self.page_size,
            }),
        }))
    }
}

impl SharedAlbums {
    /// Returns the shared albums service of `session` with the default settings, or `None`
    /// when the account has none; see [`SharedAlbumsBuilder::build`].
    ///
    /// # Errors
    ///
    /// As [`SharedAlbumsBuilder::build`].
    pub fn new(session: &Session) -> Result<Option<SharedAlbums>> {
        SharedAlbums::builder(session).build()
    }

    /// Returns a builder for the service of `session`.
    pub fn builder(session: &Session) -> SharedAlbumsBuilder {
        SharedAlbumsBuilder {
            session: session.clone(),
            page_size: 100,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Returns the session this service uses.
    pub fn session(&self) -> &Session {
        self.inner.streams.session()
    }

    /// Returns every shared album of the account, owned and subscribed, in Apple's order
    /// (`webgetalbumslist`). Albums Apple describes without a GUID or a location are left
    /// out.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] with [`Error::needs_reauth`] when the session expired,
    /// [`Error::Throttled`] and server errors once the retries are used up,
    /// [`Error::UnexpectedResponse`] for an answer without an album list or a partition
    /// redirect that cannot be followed, [`Error::Transport`].
    pub async fn albums(&self) -> Result<Vec<SharedAlbum>> {
        let reply = self
            .inner
            .streams
            .account("webgetalbumslist", &json!({}))
            .await?;
        decode::albums(&reply).map_err(|d| Error::unexpected("sharedstreams/webgetalbumslist", d))
    }

    /// Returns how many items `album` holds (`webgetassetcount`).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an album that no longer exists (or was unshared); otherwise as
    /// [`SharedAlbums::albums`].
    pub async fn count(&self, album: &SharedAlbum) -> Result<u64> {
        count(&self.inner.streams, album).await
    }

    /// Lists every item of `album` in album order (oldest addition first), as [`Asset`]s
    /// whose [`Asset::zone`] is the album's GUID.
    ///
    /// The count comes first; then ranges of [`SharedAlbumsBuilder::page_size`] items are
    /// requested one after the other (`offset`, and `limit` as the end index), each starting
    /// after the items the ranges before brought, until the count is reached or a page comes
    /// back empty. Masters are paired with assets by `masterRef`; an item repeated on two pages
    /// is yielded once. A record that cannot be decoded is an `Err` item and the listing goes
    /// on; a listing that ends with fewer items than counted ends with
    /// [`Error::Incomplete`], one whose pages keep repeating items with
    /// [`Error::ListingStalled`]. A refused `albumctag` (409: the album changed since it was
    /// listed) is dropped and the page asked again.
    ///
    /// Versions: [`crate::VersionKind::Original`] is Apple's shared copy (photos at most 2048
    /// pixels, videos at most 720p), `Medium`/`Thumb` its renderings, `LiveOriginal` a live
    /// photo's motion part. Sizes come from `res…FileSize`; see
    /// [`AssetVersion::size_is_known`]. The capture date ([`Asset::asset_date`]) is the
    /// master's `originalCreationDate`.
    ///
    /// [`Asset`]: crate::Asset
    /// [`Asset::zone`]: crate::Asset::zone
    /// [`Asset::asset_date`]: crate::Asset::asset_date
    pub fn assets(&self, album: &SharedAlbum) -> AssetStream {
        listing::stream(
            self.inner.streams.clone(),
            album.clone(),
            self.inner.page_size,
        )
    }

    /// Returns `asset` of `album` as Apple describes it now, with fresh download URLs (they
    /// expire): the album is listed again until the item turns up.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the item is no longer in the album; otherwise as
    /// [`SharedAlbums::assets`].
    pub async fn refresh(&self, album: &SharedAlbum, asset: &crate::Asset) -> Result<crate::Asset> {
        use futures_util::StreamExt;
        let mut items = self.assets(album);
        while let Some(item) = items.next().await {
            match item {
                Ok(found) if found.id() == asset.id() => return Ok(found),
                Ok(_) | Err(Error::Decode(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Err(Error::NotFound {
            what: format!("shared album item {}", asset.id().as_str()),
        })
    }

    /// Starts downloading `version` of a shared album's item from byte `offset`, as
    /// [`crate::PhotosClient::download`] does (the URL as Apple gave it, no cookies, `Range`
    /// always sent).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an expired or revoked URL (list the album again for fresh
    /// ones), [`Error::Download`] for another error status, [`Error::Throttled`],
    /// [`Error::Transport`].
    pub async fn download(&self, version: &AssetVersion, offset: u64) -> Result<ByteStream> {
        download::get(&self.inner.http, version.url(), offset).await
    }
}

/// `webgetassetcount` of `album`.
async fn count(streams: &Streams, album: &SharedAlbum) -> Result<u64> {
    let body = json!({"albumguid": album.guid});
    let reply = streams
        .album(&album.location, "webgetassetcount", &body)
        .await?;
    decode::count(&reply).map_err(|d| Error::unexpected("sharedstreams/webgetassetcount", d))
}

#[cfg(test)]
mod tests {
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_are_send_and_sync() {
        send_sync::<super::SharedAlbums>();
        send_sync::<super::SharedAlbum>();
    }
}
