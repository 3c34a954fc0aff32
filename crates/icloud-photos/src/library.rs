//! [`Library`]: one CloudKit zone (`PrimarySync`, `SharedSync-…`) with its albums, counts,
//! listings, deletion and change feed.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::album::{Album, SmartFolder};
use crate::asset::{Asset, AssetId};
use crate::call::{Call, Database};
use crate::changes::{ChangeFeed, SyncToken};
use crate::cloudkit::{self, Record, RecordsReply, decode};
use crate::context::Inner;
use crate::error::{Error, Result};
use crate::listing::{self, ListOptions};
use crate::query;
use crate::stream::AssetStream;

/// Whether a library is the personal one or an iCloud Shared Photo Library
/// ([`Library::kind`]).
///
/// icloudpd downloads the personal library unless told otherwise (`--library`); a shared
/// library holds what its participants put in it, which the account may not own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LibraryKind {
    /// The personal library, zone `PrimarySync`.
    Primary,
    /// Any other zone, typically `SharedSync-<UUID>`.
    Shared,
}

/// The zone name of the personal library.
pub const PRIMARY_LIBRARY: &str = "PrimarySync";

/// What [`Library::lookup`] found for one asset.
///
/// A program that keeps a local mirror uses it to check, asset by asset, what happened to
/// files it downloaded earlier: still there (with fresh URLs), gone from iCloud, or unknown
/// for now. Only [`Lookup::Gone`] is a reason to delete a local copy; a [`Lookup::Failed`]
/// asset should be asked about again later.
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
/// use futures_util::TryStreamExt;
/// use icloud_photos::{AssetId, Lookup, PhotosClient};
///
/// let library = PhotosClient::new(&session)?.primary().await?;
/// let listed: Vec<_> = library.assets(&library.all_photos()).try_collect().await?;
/// let mut ids: Vec<(AssetId, String)> =
///     listed.iter().map(|a| (a.id().clone(), a.master_id().to_owned())).collect();
/// ids.push((AssetId::new("no-such-asset"), "no-such-master".to_owned()));
/// for found in library.lookup(&ids).await? {
///     match found {
///         Lookup::Found(asset) => tracing::info!("{} is still there", asset.filename()),
///         Lookup::Gone(id) => tracing::info!("{id} was purged"),
///         Lookup::Failed(id, error) => tracing::info!("{id}: ask again later ({error})"),
///         _ => {} // later kinds of answer
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Lookup {
    /// The asset, with fresh download URLs; it may be in Recently Deleted or hidden now.
    Found(Asset),
    /// Apple has no such asset in this library: purged, or never of it.
    Gone(AssetId),
    /// The asset could not be read: a per-record error other than "not found", its master
    /// missing from the answer, or records that do not decode. It may well still exist.
    Failed(AssetId, Error),
}

/// What identifies a [`Library`] between runs: its database and zone. Store it with
/// [`LibraryHandle::to_text`] and open the library again with
/// [`crate::PhotosClient::reopen`], which asks Apple nothing.
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
/// use icloud_photos::{LibraryHandle, PhotosClient};
///
/// let photos = PhotosClient::new(&session)?;
/// let text = photos.primary().await?.handle().to_text(); // stored with the program's state
/// // The next run:
/// let handle = LibraryHandle::from_text(&text).expect("written by to_text");
/// let library = photos.reopen(&handle);
/// assert_eq!(library.name(), "PrimarySync");
/// assert_eq!(LibraryHandle::from_text("garbage"), None);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryHandle {
    database: Database,
    zone: String,
}

impl LibraryHandle {
    /// Returns the handle as one line of text.
    pub fn to_text(&self) -> String {
        format!("{} {}", self.database.as_str(), self.zone)
    }

    pub(crate) fn open(&self, inner: Arc<Inner>) -> Library {
        let zone: Value = serde_json::from_str(&self.zone).unwrap_or(Value::Null);
        Library::new(inner, self.database, zone, Some("FINISHED".to_owned()))
    }

    /// Reads a handle written by [`LibraryHandle::to_text`]; `None` when it is not one.
    pub fn from_text(text: &str) -> Option<LibraryHandle> {
        let (db, zone) = text.split_once(' ')?;
        let database = match db {
            "private" => Database::Private,
            "shared" => Database::Shared,
            _ => return None,
        };
        let value: Value = serde_json::from_str(zone).ok()?;
        cloudkit::zone_name(&value)?;
        Some(LibraryHandle {
            database,
            zone: zone.to_owned(),
        })
    }
}

/// One photo library (a CloudKit zone). Cheap to clone.
///
/// The personal library is zone `PrimarySync`; each iCloud Shared Photo Library the account
/// owns or joined is another zone (`SharedSync-…`), in the private or the shared
/// [`Database`]. A library offers what icloudpd does with one: its [`Album`]s
/// ([`Library::albums`], [`Library::all_photos`]), counts ([`Library::count`]), listings as
/// [`AssetStream`]s ([`Library::assets`], [`Library::assets_with`]), fresh download URLs for
/// listed assets ([`Library::refresh`], [`Library::lookup`]), moving assets to Recently
/// Deleted ([`Library::delete`]) and its change feed ([`Library::changes`]).
///
/// Get one from [`crate::PhotosClient`]: [`crate::PhotosClient::primary`],
/// [`crate::PhotosClient::library`] by name, [`crate::PhotosClient::libraries`] for all, or
/// [`crate::PhotosClient::reopen`] from a stored [`LibraryHandle`].
///
/// # Example
///
/// The favourites of the personal library:
///
/// ```
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// # use icloud_fake::*;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let account = FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor()
/// #     .library(FakeLibrary::new().album(FakeAlbum::new("Rom 2019")).asset(FakeAsset::photo("IMG_0001.JPG").in_album("Rom 2019")).asset(FakeAsset::live("IMG_0002.HEIC").favorite()));
/// # let fake = FakeICloud::builder().account(account).start()?;
/// # let auth = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?).build()?;
/// # let (password, store) = (SecretString::from("password1".to_owned()), Arc::new(MemorySessionStore::default()));
/// # let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await? else { unreachable!() };
/// use futures_util::TryStreamExt;
/// use icloud_photos::{PhotosClient, SmartFolder};
///
/// let library = PhotosClient::new(&session)?.primary().await?;
/// let favorites = library.album(SmartFolder::Favorites.name()).await?;
/// assert_eq!(library.count(&favorites).await?, 1);
/// let mut assets = library.assets(&favorites);
/// while let Some(asset) = assets.try_next().await? {
///     assert!(asset.is_favorite());
///     tracing::info!("{}", asset.filename());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Library {
    pub(crate) inner: Arc<Inner>,
    db: Database,
    zone: Arc<Value>,
    name: String,
    state: Option<String>,
}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Library")
            .field("name", &self.name)
            .field("database", &self.db)
            .field("indexing_state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Library {
    pub(crate) fn new(inner: Arc<Inner>, db: Database, zone: Value, state: Option<String>) -> Self {
        let name = cloudkit::zone_name(&zone).unwrap_or_default().to_owned();
        Library {
            inner,
            db,
            zone: Arc::new(zone),
            name,
            state,
        }
    }

    pub(crate) async fn query_indexing(
        inner: &Inner,
        db: Database,
        zone: &Value,
    ) -> Result<Option<String>> {
        let reply = inner
            .ck
            .post(db, Call::QUERY, &query::indexing(zone))
            .await?;
        Ok(decode::indexing_state(reply))
    }

    pub(crate) fn ensure_ready(&self) -> Result<()> {
        match self.state.as_deref() {
            Some("FINISHED") => Ok(()),
            other => Err(Error::LibraryNotReady {
                state: other.unwrap_or("unknown").to_owned(),
            }),
        }
    }

    /// Returns the library's name: its zone name, e.g. `PrimarySync`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns whether this is the personal library.
    pub fn kind(&self) -> LibraryKind {
        if self.name == PRIMARY_LIBRARY {
            LibraryKind::Primary
        } else {
            LibraryKind::Shared
        }
    }

    /// Returns the database the library was found in.
    pub fn database(&self) -> Database {
        self.db
    }

    /// Returns the indexing state reported when the library was looked up (`FINISHED` when
    /// ready; `None` if Apple sent none).
    pub fn indexing_state(&self) -> Option<&str> {
        self.state.as_deref()
    }

    /// Asks Apple again whether the library has finished indexing.
    ///
    /// # Errors
    ///
    /// [`Error::LibraryNotReady`] unless the state is `FINISHED`; otherwise as every
    /// CloudKit request ([`Error::Throttled`], [`Error::Transport`], an error whose
    /// [`Error::needs_reauth`] is `true`, …).
    pub async fn check_indexing(&self) -> Result<()> {
        let state = Library::query_indexing(&self.inner, self.db, &self.zone).await?;
        Library {
            state,
            ..self.clone()
        }
        .ensure_ready()
    }

    /// Returns the whole collection (icloudpd without `--album`): everything neither hidden
    /// nor deleted. It is not among [`Library::albums`].
    pub fn all_photos(&self) -> Album {
        Album::all()
    }

    /// Returns the albums: the ten smart folders in icloudpd's order, then the user albums
    /// and folders in Apple's order (none for libraries of the shared database, as in
    /// icloudpd). Root folders and deleted albums are skipped. Names are unique: as in
    /// icloudpd's album map, a later album of an existing name replaces the earlier one in
    /// its place (so a user album called `Videos` hides the smart folder).
    ///
    /// # Errors
    ///
    /// As every CloudKit request: [`Error::Throttled`] once the retries are used up,
    /// [`Error::WebAccessDisabled`], [`Error::NotFound`] when the library's zone is gone,
    /// [`Error::Transport`], and an error whose [`Error::needs_reauth`] is `true` when the
    /// session expired. Album records that cannot be read are skipped.
    pub async fn albums(&self) -> Result<Vec<Album>> {
        let mut out: Vec<Album> = SmartFolder::ALL.into_iter().map(Album::smart).collect();
        if self.db == Database::Shared {
            return Ok(out);
        }
        let reply = self.post(Call::QUERY, &query::albums(&self.zone)).await?;
        for (name, record) in cloudkit::records(reply)
            .iter()
            .filter_map(decode::user_album)
        {
            let album = Album::user(name, record);
            match out.iter_mut().find(|a| a.name() == album.name()) {
                Some(slot) => *slot = album,
                None => out.push(album),
            }
        }
        Ok(out)
    }

    /// Returns the album called `name` (exact match): a smart folder's name as
    /// [`SmartFolder::name`] spells it, or a user album's.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no album has that name; otherwise as [`Library::albums`].
    pub async fn album(&self, name: &str) -> Result<Album> {
        self.albums()
            .await?
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| Error::NotFound {
                what: format!("album {name}"),
            })
    }

    /// Returns how many assets `album` holds (`HyperionIndexCountLookup`), as Apple's index
    /// counts them; a listing checks that it yields as many.
    ///
    /// # Errors
    ///
    /// [`Error::UnexpectedResponse`] when the answer holds no count; otherwise as
    /// [`Library::albums`].
    pub async fn count(&self, album: &Album) -> Result<u64> {
        let reply = self
            .post(Call::BATCH, &query::count(album, &self.zone))
            .await?;
        decode::count(&reply).map_err(|d| Error::unexpected("internal/records/query/batch", d))
    }

    /// Lists `album`, newest first, with the client's settings; see [`Library::assets_with`].
    pub fn assets(&self, album: &Album) -> AssetStream {
        self.assets_with(album, ListOptions::default())
    }

    /// Lists `album`, newest first. Paging is invisible: several pages are fetched at once
    /// and yielded in rank order.
    ///
    /// The stream first counts the album, then lists it. Each asset is yielded once. A record
    /// that cannot be decoded is an `Err` item ([`Error::Decode`]) and the listing goes on.
    /// Empty pages are crossed while fewer assets than the count were seen; if the listing
    /// still falls short, the last item is [`Error::Incomplete`]. Pages that keep answering
    /// assets already listed (a server ignoring `startRank`) end the listing after a bounded
    /// number of requests with [`Error::ListingStalled`]. Any other error ends the stream
    /// after being yielded.
    ///
    /// # Example
    ///
    /// The three newest assets, with the count asked for once:
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
    /// # use icloud_fake::*;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let account = FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor()
    /// #     .library(FakeLibrary::generated(10, 3));
    /// # let fake = FakeICloud::builder().account(account).start()?;
    /// # let auth = AuthClient::builder()
    /// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?).build()?;
    /// # let (password, store) = (SecretString::from("password1".to_owned()), Arc::new(MemorySessionStore::default()));
    /// # let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await? else { unreachable!() };
    /// use futures_util::TryStreamExt;
    /// use icloud_photos::{ListOptions, PhotosClient};
    ///
    /// let library = PhotosClient::new(&session)?.primary().await?;
    /// let all = library.all_photos();
    /// let count = library.count(&all).await?;
    /// let options = ListOptions::default().expected_count(count).limit(3);
    /// let newest: Vec<_> = library.assets_with(&all, options).try_collect().await?;
    /// assert_eq!(newest.len(), 3);
    /// # Ok(()) }
    /// ```
    pub fn assets_with(&self, album: &Album, options: ListOptions) -> AssetStream {
        listing::stream(listing::Listing {
            inner: self.inner.clone(),
            db: self.db,
            zone: self.zone.clone(),
            zone_name: self.name.clone(),
            album: album.clone(),
            options,
        })
    }

    /// Moves `asset` to Recently Deleted (`records/modify` setting `isDeleted` on the
    /// CPLAsset, with the change tag it was listed with).
    ///
    /// Listings of this library running at the same time through the same [`PhotosClient`]
    /// keep their place: each deletion moves every later rank down by one, and they correct
    /// their ranks (a page whose request overlapped a deletion is fetched again). Deletions
    /// made elsewhere are not seen; a listing falling short because of them ends with
    /// [`Error::Incomplete`].
    ///
    /// Not retried on transport failures (the deletion may have happened); retried when
    /// throttled.
    ///
    /// # Errors
    ///
    /// [`Error::Rejected`] when CloudKit refuses the record (e.g. `CONFLICT` on a stale change
    /// tag: [`Library::refresh`] the asset and try again); otherwise as every CloudKit
    /// request.
    ///
    /// [`PhotosClient`]: crate::PhotosClient
    pub async fn delete(&self, asset: &Asset) -> Result<()> {
        let body = query::delete(asset.id().as_str(), asset.record_change_tag(), &self.zone);
        let shift = self.inner.shift(self.db, &self.name);
        let guard = shift.begin();
        let reply = match self.post(Call::MODIFY, &body).await {
            Ok(reply) => reply,
            Err(e) => {
                // If the deletion may have happened, listings assume it did: a rank counted
                // twice only repeats an asset (which they skip), one missed would lose one.
                if matches!(e, Error::Transport(_) | Error::UnexpectedResponse { .. }) {
                    guard.commit();
                }
                return Err(e);
            }
        };
        for record in cloudkit::records(reply) {
            if let Some((code, reason)) = record.server_error() {
                return Err(Error::Rejected {
                    record: record.name().to_owned(),
                    code: code.to_owned(),
                    reason: reason.to_owned(),
                });
            }
        }
        guard.commit();
        Ok(())
    }

    /// Returns `asset` (listed from this library) as Apple has it now, with fresh download
    /// URLs.
    ///
    /// Download URLs expire (after about an hour) and a download of an expired one fails with
    /// [`Error::NotFound`]; this fetches the asset's CPLAsset and CPLMaster records again in
    /// one `records/lookup` and decodes them exactly as a listing does. Unless the asset
    /// changed in the meantime (favourite, hidden, moved to Recently Deleted, edited), every
    /// field of the result equals the listed asset's except the version URLs. Retried like
    /// every CloudKit read.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when either record is gone (purged, or not of this library),
    /// [`Error::Decode`] when the records cannot be decoded, an error whose
    /// [`Error::needs_reauth`] is `true` when the session expired, and otherwise as every
    /// CloudKit request.
    pub async fn refresh(&self, asset: &Asset) -> Result<Asset> {
        let names = [asset.id().as_str(), asset.master_id()];
        let body = query::lookup(&names, &self.zone);
        let reply: RecordsReply = self.inner.ck.post_as(self.db, Call::LOOKUP, &body).await?;
        let gone = || Error::NotFound {
            what: format!("asset {}", asset.id()),
        };
        let (mut master, mut cpl_asset) = (None, None);
        for record in reply.into_records() {
            if let Some((code, reason)) = record.server_error() {
                return Err(match code {
                    "NOT_FOUND" => gone(),
                    _ => Error::from_server_code(Call::LOOKUP.path, code, reason, None),
                });
            }
            if record.is_tombstone() {
                return Err(gone());
            }
            let slot = match record.record_type() {
                Some("CPLAsset") if record.name() == names[0] => &mut cpl_asset,
                Some("CPLMaster") if record.name() == names[1] => &mut master,
                _ => continue,
            };
            *slot = Some(record);
        }
        match (master, cpl_asset) {
            (Some(master), Some(cpl_asset)) => decode::pair(master, cpl_asset, &self.name),
            _ => Err(Error::unexpected(
                Call::LOOKUP.path,
                "the answer lacks the asset or its master",
            )),
        }
    }

    /// Fetches the assets named by `ids` (pairs of CPLAsset and CPLMaster record names, as
    /// [`Asset::id`] and [`Asset::master_id`] give them) with fresh download URLs, in
    /// `records/lookup` requests of up to 100 assets. Returns one [`Lookup`] per asset, in the
    /// order asked: found (perhaps now in Recently Deleted or hidden: [`Asset::is_deleted`],
    /// [`Asset::is_hidden`]), gone, or failed.
    ///
    /// # Errors
    ///
    /// Fails as [`Library::refresh`] does for errors of a whole request; what concerns one
    /// asset is its [`Lookup::Failed`].
    pub async fn lookup(&self, ids: &[(AssetId, String)]) -> Result<Vec<Lookup>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let names: Vec<&str> = chunk
                .iter()
                .flat_map(|(asset, master)| [asset.as_str(), master.as_str()])
                .collect();
            let body = query::lookup(&names, &self.zone);
            let reply: RecordsReply = self.inner.ck.post_as(self.db, Call::LOOKUP, &body).await?;
            let mut records: std::collections::HashMap<String, Record> = Default::default();
            for record in reply.into_records() {
                records.insert(record.name().to_owned(), record);
            }
            for (asset, master) in chunk {
                let found = (records.remove(asset.as_str()), records.remove(master));
                out.push(self.looked_up(asset, found));
            }
        }
        Ok(out)
    }

    /// Makes one [`Lookup`] of the records found for an asset and its master.
    fn looked_up(&self, id: &AssetId, (asset, master): (Option<Record>, Option<Record>)) -> Lookup {
        let gone = |r: &Record| {
            r.is_tombstone()
                || r.server_error()
                    .is_some_and(|(code, _)| code == "NOT_FOUND")
        };
        let failed = |what: &str| {
            Lookup::Failed(
                id.clone(),
                Error::unexpected(Call::LOOKUP.path, format!("{what} of asset {id}")),
            )
        };
        let asset = match asset {
            None => return failed("no record"),
            Some(r) if gone(&r) || r.record_type().is_some_and(|t| t != "CPLAsset") => {
                return Lookup::Gone(id.clone());
            }
            Some(r) => r,
        };
        if let Some((code, reason)) = asset.server_error() {
            let error = Error::from_server_code(Call::LOOKUP.path, code, reason, None);
            return Lookup::Failed(id.clone(), error);
        }
        let master = match master {
            Some(m) if !gone(&m) && m.server_error().is_none() => m,
            _ => return failed("no usable master record"),
        };
        match decode::pair(master, asset, &self.name) {
            Ok(found) => Lookup::Found(found),
            Err(e) => Lookup::Failed(id.clone(), e),
        }
    }

    /// Returns what identifies this library for [`crate::PhotosClient::reopen`]: its database
    /// and zone, as text to store between runs.
    pub fn handle(&self) -> LibraryHandle {
        LibraryHandle {
            database: self.db,
            zone: self.zone.to_string(),
        }
    }

    /// Returns the changes of this library since `token` (the full history without one):
    /// assets added or modified, and assets deleted. See [`ChangeFeed`].
    ///
    /// Nothing is requested until the feed is polled. A program that mirrors a library lists
    /// it in full once, keeps the token of [`crate::PhotosClient::database_changes`] taken
    /// before (or [`ChangeFeed::next_token`] of a feed read to its end), and reads only the
    /// changes on later runs.
    pub fn changes(&self, token: Option<SyncToken>) -> ChangeFeed {
        ChangeFeed::new(
            self.inner.clone(),
            self.db,
            self.zone.clone(),
            self.name.clone(),
            token,
        )
    }

    async fn post(&self, call: Call, body: &Value) -> Result<Value> {
        self.inner.ck.post(self.db, call, body).await
    }
}
