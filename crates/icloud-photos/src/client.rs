//! [`PhotosClient`] and its builder: the CloudKit database of a signed-in session, the
//! library lookups and the download client.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use icloud_auth::{RetryPolicy, Session};
use serde_json::Value;

use crate::call::{Call, CloudKit, Database};
use crate::changes::{ChangedZone, DatabaseChanges, SyncToken};
use crate::cloudkit::{decode, zone_name};
use crate::context::Inner;
use crate::download::{self, ByteStream};
use crate::error::{Error, Result};
use crate::library::{Library, PRIMARY_LIBRARY};
use crate::{AssetVersion, query};

/// A client for iCloud Photos of one signed-in [`Session`]. Cheap to clone; `Send + Sync`.
///
/// Every request carries the session's cookies and headers; CloudKit requests are retried per
/// the [`RetryPolicy`] (throttling honours `Retry-After` and lowers the number of requests in
/// flight). An expired session is never retried: it surfaces as an [`Error`] whose
/// [`Error::needs_reauth`] is `true`.
///
/// The entry point of the crate: it finds the account's [`Library`]s (the personal library
/// and iCloud Shared Photo Libraries, each a CloudKit zone), reads the database's change feed
/// ([`PhotosClient::database_changes`]) and downloads [`AssetVersion`]s. Listing, counting,
/// deleting and refreshing happen on the [`Library`] it returns, which shares the client's
/// connection, settings and request limit. Build one client per session and clone it where
/// needed; after signing in again, [`Library::rebind`] moves libraries to the new client.
///
/// # Example
///
/// Every library of an account, with its kind and whether it is ready to be listed:
///
/// ```
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// # use icloud_fake::*;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let account = FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor()
/// #     .library(FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG")).asset(FakeAsset::live("IMG_0002.HEIC")));
/// # let fake = FakeICloud::builder().account(account).start()?;
/// # let auth = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?).build()?;
/// # let (password, store) = (SecretString::from("password1".to_owned()), Arc::new(MemorySessionStore::default()));
/// # let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await? else { unreachable!() };
/// use icloud_photos::{LibraryKind, PhotosClient};
///
/// let photos = PhotosClient::new(&session)?;
/// for library in photos.libraries().await? {
///     let ready = library.indexing_state() == Some("FINISHED");
///     tracing::info!("{} ({:?}), ready: {ready}", library.name(), library.kind());
/// }
/// let primary = photos.primary().await?;
/// assert_eq!(primary.kind(), LibraryKind::Primary);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PhotosClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for PhotosClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhotosClient")
            .field("page_size", &self.inner.page_size)
            .field("concurrency", &self.inner.concurrency)
            .finish_non_exhaustive()
    }
}

/// Builds a [`PhotosClient`]; see [`PhotosClient::builder`].
///
/// The defaults are icloudpd's: pages of 100 assets, 8 CloudKit requests in flight, 20 empty
/// pages crossed, [`RetryPolicy::default`] and a 30 s download timeout. A program that lists
/// huge libraries over a slow link may want fewer requests in flight; a test wants fast
/// retries.
///
/// # Example
///
/// ```
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// # use icloud_fake::*;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let account = FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor()
/// #     .library(FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG")).asset(FakeAsset::live("IMG_0002.HEIC")));
/// # let fake = FakeICloud::builder().account(account).start()?;
/// # let auth = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?).build()?;
/// # let (password, store) = (SecretString::from("password1".to_owned()), Arc::new(MemorySessionStore::default()));
/// # let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await? else { unreachable!() };
/// use std::time::Duration;
///
/// use icloud_auth::RetryPolicy;
/// use icloud_photos::PhotosClient;
///
/// let photos = PhotosClient::builder(&session)
///     .page_size(200)
///     .concurrency(4)
///     .retry(RetryPolicy::default().max_attempts(3))
///     .download_timeout(Duration::from_secs(60))
///     .build()?;
/// assert_eq!(photos.page_size(), 200);
/// assert_eq!(photos.in_flight_limit(), 4);
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
pub struct PhotosClientBuilder {
    session: Session,
    page_size: usize,
    concurrency: usize,
    empty_page_probes: usize,
    retry: RetryPolicy,
    timeout: Duration,
}

impl PhotosClientBuilder {
    /// Sets how many assets one listing page asks for (default 100, i.e. `resultsLimit` 200:
    /// icloudpd's value). At least 1.
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Sets how many CloudKit requests may be in flight at once (default 8). Listings keep
    /// that many page requests in flight and hold at most twice that many pages; throttling
    /// lowers the limit temporarily. At least 1.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Sets how many consecutive empty pages a listing crosses while it has seen fewer assets
    /// than the album's count (default 20). Apple's listings can hold empty pages, or pages of
    /// deleted records only, in the middle.
    ///
    /// It also bounds a listing that stops making progress: once `n + 2` pages in a row bring
    /// no new asset while some of them hold assets (a server that ignores `startRank` answers
    /// the first page to every request), the listing ends with [`Error::ListingStalled`].
    pub fn empty_page_probes(mut self, n: usize) -> Self {
        self.empty_page_probes = n;
        self
    }

    /// Sets the retry policy of CloudKit requests (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the connect and read timeout of downloads (default 30 s; there is no total
    /// timeout, so big files can take as long as they need).
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the client. Asks Apple nothing: the first request is sent by the first call
    /// that needs one.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] (`webservice not available (ckdatabasews)`) when the account has no
    /// CloudKit database service (iCloud Photos never set up), and [`Error::Config`] or
    /// [`Error::Transport`] when the download client cannot be built from the session's
    /// endpoints and network settings.
    pub fn build(self) -> Result<PhotosClient> {
        let root = self.session.webservice("ckdatabasews")?.url().to_owned();
        let http = download::http_client(&self.session, self.timeout)?;
        Ok(PhotosClient {
            inner: Arc::new(Inner {
                ck: CloudKit::new(self.session, &root, self.retry, self.concurrency),
                http,
                page_size: self.page_size,
                concurrency: self.concurrency,
                empty_page_probes: self.empty_page_probes,
                shifts: Default::default(),
            }),
        })
    }
}

impl PhotosClient {
    /// Returns a client with the default settings; see [`PhotosClientBuilder`] for them.
    ///
    /// # Errors
    ///
    /// As [`PhotosClientBuilder::build`].
    pub fn new(session: &Session) -> Result<PhotosClient> {
        PhotosClient::builder(session).build()
    }

    /// Returns a builder for a client of `session`.
    pub fn builder(session: &Session) -> PhotosClientBuilder {
        PhotosClientBuilder {
            session: session.clone(),
            page_size: 100,
            concurrency: 8,
            empty_page_probes: 20,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Returns the session this client uses.
    pub fn session(&self) -> &Session {
        self.inner.ck.session()
    }

    /// Returns how many assets one listing request asks for ([`PhotosClientBuilder::page_size`]).
    pub fn page_size(&self) -> usize {
        self.inner.page_size
    }

    /// Returns the current limit of CloudKit requests in flight: the configured concurrency,
    /// or less while Apple throttles.
    pub fn in_flight_limit(&self) -> usize {
        self.inner.ck.in_flight_limit()
    }

    /// Returns every library: the private database's zones, then the shared database's.
    ///
    /// Deleted zones, `CMM-*` zones (shared-link bundles) and `SharedCollection-*` zones
    /// (iOS 26 shared albums, which this crate does not read yet) are skipped. Each library's
    /// indexing state is queried (see [`Library::indexing_state`]); a library still indexing
    /// is listed all the same, so its name can be shown.
    ///
    /// # Errors
    ///
    /// An error of the zone listing or of an indexing query that concerns the whole account:
    /// [`Error::WebAccessDisabled`], [`Error::Throttled`] once the retries are used up, an
    /// error whose [`Error::needs_reauth`] is `true`, [`Error::Transport`]. A zone whose
    /// indexing state cannot be read is listed without one instead.
    pub async fn libraries(&self) -> Result<Vec<Library>> {
        let mut out = self.zones(Database::Private).await?;
        out.extend(self.zones(Database::Shared).await?);
        Ok(out)
    }

    /// Returns the library of zone `name` (e.g. `PrimarySync`, `SharedSync-…`), searching
    /// the private database first, then the shared one.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown name, [`Error::LibraryNotReady`] when the library
    /// has not finished indexing (try again later), and the errors of
    /// [`PhotosClient::libraries`].
    pub async fn library(&self, name: &str) -> Result<Library> {
        for db in [Database::Private, Database::Shared] {
            let zones = self.zone_ids(db).await?;
            if let Some(zone) = zones.into_iter().find(|z| zone_name(z) == Some(name)) {
                let library = self.open(db, zone).await?;
                library.ensure_ready()?;
                return Ok(library);
            }
        }
        Err(Error::NotFound {
            what: format!("library {name}"),
        })
    }

    /// Opens the library `handle` names ([`Library::handle`] of an earlier run) without asking
    /// Apple anything: no zone listing, no indexing check. A library that no longer exists
    /// fails later, at its first request, with [`Error::NotFound`].
    pub fn reopen(&self, handle: &crate::LibraryHandle) -> Library {
        handle.open(self.inner.clone())
    }

    /// Returns the personal library ([`PRIMARY_LIBRARY`]); see [`PhotosClient::library`].
    ///
    /// # Errors
    ///
    /// As [`PhotosClient::library`]; [`Error::NotFound`] means the account has no photo
    /// library at all.
    pub async fn primary(&self) -> Result<Library> {
        self.library(PRIMARY_LIBRARY).await
    }

    /// Returns the zones of the private database that changed since `token` (all zones
    /// without one; deleted zones left out) and the database token to pass next time (§6.9
    /// `changes/database`).
    ///
    /// Database tokens are not valid for [`Library::changes`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSyncToken`] when Apple refuses `token` (start again without one);
    /// otherwise as every CloudKit request.
    pub async fn changed_zones(
        &self,
        token: Option<&SyncToken>,
    ) -> Result<(Vec<String>, SyncToken)> {
        let changes = self.database_changes(Database::Private, token).await?;
        let names = changes
            .zones
            .into_iter()
            .filter(|z| !z.deleted)
            .map(|z| z.name)
            .collect();
        Ok((names, changes.token))
    }

    /// Like [`PhotosClient::changed_zones`] for database `db` ([`Library::database`]), with each
    /// changed zone's own sync token and deleted zones included (marked
    /// [`ChangedZone::deleted`]): without a `token` (every zone), the tokens to start
    /// [`Library::changes`] from later, taken before a full listing so that nothing changed
    /// during it is missed.
    ///
    /// # Errors
    ///
    /// As [`PhotosClient::changed_zones`].
    pub async fn database_changes(
        &self,
        db: Database,
        token: Option<&SyncToken>,
    ) -> Result<DatabaseChanges> {
        let mut token = token.cloned();
        let mut zones: Vec<ChangedZone> = Vec::new();
        loop {
            let body = query::changes_database(token.as_ref().map(SyncToken::as_str));
            let reply = self
                .inner
                .ck
                .post(db, Call::CHANGES_DATABASE, &body)
                .await
                .map_err(|e| match e {
                    Error::Api { code, reason } if code == "BAD_REQUEST" => {
                        Error::InvalidSyncToken { reason }
                    }
                    other => other,
                })?;
            let next = reply
                .get("syncToken")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::unexpected("changes/database", "no syncToken"))?;
            for zone in crate::changes::changed_zones(&reply) {
                // A zone may change on several pages of the feed: the last word counts.
                zones.retain(|z| z.name != zone.name);
                zones.push(zone);
            }
            let more = reply.get("moreComing").and_then(Value::as_bool) == Some(true);
            if !more || token.as_ref().map(SyncToken::as_str) == Some(next) {
                return Ok(DatabaseChanges {
                    zones,
                    token: SyncToken::new(next),
                });
            }
            token = Some(SyncToken::new(next));
        }
    }

    /// Starts downloading `version` from byte `offset` (`Range: bytes=<offset>-`, always sent).
    ///
    /// The URL is used exactly as Apple gave it, without cookies. Check
    /// [`ByteStream::is_partial`] before appending to a partial file: a server that ignores
    /// the range answers 200 with the whole file.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the URL expired or was revoked (Apple's URLs last about an
    /// hour: [`Library::refresh`] the asset and try again), [`Error::Throttled`] on 429/503
    /// (with Apple's `Retry-After`), [`Error::Download`] for any other error status, and
    /// [`Error::Transport`] when the request fails. Not retried here: the caller knows how
    /// much of the file it already has. Errors while reading the body are items of the
    /// [`ByteStream`].
    ///
    /// # Example
    ///
    /// Resuming a download: the bytes already written are skipped only if the server
    /// answered the range.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
    /// # use icloud_fake::*;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let account = FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor()
    /// #     .library(FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG")).asset(FakeAsset::live("IMG_0002.HEIC")));
    /// # let fake = FakeICloud::builder().account(account).start()?;
    /// # let auth = AuthClient::builder()
    /// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?).build()?;
    /// # let (password, store) = (SecretString::from("password1".to_owned()), Arc::new(MemorySessionStore::default()));
    /// # let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await? else { unreachable!() };
    /// use futures_util::StreamExt;
    /// use icloud_photos::{PhotosClient, VersionKind};
    ///
    /// let photos = PhotosClient::new(&session)?;
    /// let library = photos.primary().await?;
    /// # use futures_util::TryStreamExt;
    /// let asset = library.assets(&library.all_photos()).try_next().await?.unwrap();
    /// let original = asset.version(VersionKind::Original).unwrap();
    /// let mut file = vec![0u8; 100]; // the part written by an earlier, interrupted run
    /// let mut body = photos.download(original, file.len() as u64).await?;
    /// if !body.is_partial() {
    ///     file.clear(); // a 200: the whole file again
    /// }
    /// while let Some(chunk) = body.next().await {
    ///     file.extend_from_slice(&chunk?);
    /// }
    /// assert_eq!(file.len() as u64, original.size());
    /// # Ok(()) }
    /// ```
    pub async fn download(&self, version: &AssetVersion, offset: u64) -> Result<ByteStream> {
        download::get(&self.inner.http, version.url(), offset).await
    }

    async fn zone_ids(&self, db: Database) -> Result<Vec<Value>> {
        let reply = self
            .inner
            .ck
            .post(db, Call::ZONES, &serde_json::json!({}))
            .await?;
        Ok(decode::zones(&reply))
    }

    async fn zones(&self, db: Database) -> Result<Vec<Library>> {
        let mut out = Vec::new();
        for zone in self.zone_ids(db).await? {
            let name = zone_name(&zone).unwrap_or_default().to_owned();
            // Shared-link bundles, and iOS 26's CloudKit shared albums (not read yet).
            if name.starts_with("CMM-") || name.starts_with("SharedCollection-") {
                tracing::debug!(zone = %name, "not a library, skipped");
                continue;
            }
            // As icloudpd, a zone whose state cannot be read is still a library to name; the
            // session, access and throttling errors concern every zone and end the listing.
            let state = match Library::query_indexing(&self.inner, db, &zone).await {
                Ok(state) => state,
                Err(e) if matches!(e, Error::Api { .. } | Error::UnexpectedResponse { .. }) => {
                    tracing::warn!(zone = %name, error = %e, "indexing state unavailable");
                    None
                }
                Err(e) => return Err(e),
            };
            out.push(Library::new(self.inner.clone(), db, zone, state));
        }
        Ok(out)
    }

    /// Builds the library of a zone, querying its indexing state.
    async fn open(&self, db: Database, zone: Value) -> Result<Library> {
        let state = Library::query_indexing(&self.inner, db, &zone).await?;
        Ok(Library::new(self.inner.clone(), db, zone, state))
    }
}

impl Library {
    /// Returns this library bound to `client` (another session's, after signing in again),
    /// without asking Apple anything. Assets listed before stay valid with it.
    pub fn rebind(&self, client: &PhotosClient) -> Library {
        let mut library = self.clone();
        library.inner = client.inner.clone();
        library
    }
}

#[cfg(test)]
mod tests {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}

    #[test]
    fn handles_are_send_and_sync() {
        send_sync::<super::PhotosClient>();
        send_sync::<crate::Library>();
        send_sync::<crate::Asset>();
        send_sync::<crate::Error>();
        send::<crate::ByteStream>();
        send::<crate::AssetStream>();
        send::<crate::ChangeFeed>();
    }
}
