//! The loopback server: builder, lifecycle (own thread + runtime), the test handle and its
//! truth queries. HTTP goes through `axum::serve`, HTTPS through [`tls::serve`]; both run the
//! one handler of [`handler`], which answers each request.

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;

use crate::account::FakeAccount;
use crate::cdn;
use crate::faults::{Fault, Faults};
use crate::library::ExpectedAsset;
use crate::origins::Origins;
use crate::shared_albums::ExpectedSharedAlbum;
use crate::state::{DOWNLOAD_URL_TTL, State};
use crate::tls::{self, Tls};
use crate::zone::Db;

mod handler;

use handler::serve_one;

/// Largest request body accepted.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// One request the fake has answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Method, upper case (`POST`).
    pub method: String,
    /// Path without the query (`/appleauth/auth/signin/init`).
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Host the request named (the `Host` header, or `:authority` over HTTP/2), lower case,
    /// without the port.
    pub host: Option<String>,
    /// Status the fake answered.
    pub status: u16,
    /// Request headers in arrival order, names lower case.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// Parses the body as JSON (`None` if it is not JSON).
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Returns the percent-decoded query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        crate::http::query_param(self.query.as_deref(), name)
    }

    /// Returns the first request header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Callback invoked after every answered request.
type Hook = Arc<dyn Fn(&RecordedRequest) + Send + Sync>;

/// Everything the handlers and the test handle share.
struct Shared {
    /// The mode's origins (global region), for the host check.
    origins: Origins,
    state: Mutex<State>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<RecordedRequest>>,
    recording: bool,
    panicked: AtomicBool,
    hook: Option<Hook>,
    /// Requests being answered right now, and the most seen at once.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Locks a mutex, ignoring poisoning (a panicking handler is reported separately).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Builds a [`FakeICloud`]: accounts, initial faults and port.
///
/// From [`FakeICloud::builder`]. Everything about Apple's behaviour for one account lives on
/// its [`FakeAccount`]; the builder holds what concerns the whole server: which accounts
/// exist, the faults active from the first request, the transport (plain HTTP from one
/// origin, or HTTPS under Apple's host names), the port, how long download URLs stay valid,
/// and whether requests are recorded. [`FakeICloudBuilder::start`] turns it into a running
/// server.
///
/// ```
/// use std::time::Duration;
/// use icloud_fake::{FakeAccount, FakeICloud, Fault};
///
/// let fake = FakeICloud::builder()
///     .account(FakeAccount::new("jdoe@gmail.com", "password1"))
///     .account(FakeAccount::new("old@me.com", "password2").two_step())
///     .fault(Fault::latency(Duration::from_millis(5)))
///     .download_url_lifetime(Duration::from_secs(60))
///     .start()?;
/// assert!(fake.base_url().starts_with("http://127.0.0.1:"));
/// assert!(fake.host_overrides().is_empty()); // plain HTTP: one origin, no host names
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use]
pub struct FakeICloudBuilder {
    accounts: Vec<FakeAccount>,
    faults: Vec<Fault>,
    port: u16,
    hook: Option<Hook>,
    recording: bool,
    url_lifetime: Duration,
    https: bool,
}

impl fmt::Debug for FakeICloudBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeICloudBuilder")
            .field("accounts", &self.accounts)
            .field("faults", &self.faults)
            .field("port", &self.port)
            .field("https", &self.https)
            .finish_non_exhaustive()
    }
}

impl FakeICloudBuilder {
    /// Adds an account (default: none; every sign-in then fails with a wrong password).
    pub fn account(mut self, account: FakeAccount) -> Self {
        self.accounts.push(account);
        self
    }

    /// Adds a fault active from the first request (default: none).
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Chooses the port on 127.0.0.1 (default 0 = an ephemeral port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Serves HTTPS under Apple's host names instead of plain HTTP from one origin (default
    /// off).
    ///
    /// At start the fake makes a private CA ([`FakeICloud::ca_certificate_pem`]) and a
    /// certificate signed by it for `idmsa.apple.com`, `setup.icloud.com`, `www.icloud.com`,
    /// `*.icloud.com`, `*.icloud-content.com`, each also under `.cn`, and `127.0.0.1`; it
    /// speaks HTTP/1.1 and HTTP/2 (ALPN). It then announces Apple's URLs
    /// (`https://p61-ckdatabasews.icloud.com:PORT`, downloads on
    /// `https://cvws.icloud-content.com:PORT`, `configBag` on `https://setup.icloud.com` and
    /// `https://idmsa.apple.com`), sets cookies with Apple's `Domain` and `Secure`, and answers
    /// 421 to a request that arrives on the wrong host (`/appleauth/auth…` only on
    /// `idmsa.apple.com`, `/setup/ws/1/…` only on `setup.icloud.com`, `/database/…` only on
    /// the CloudKit host, `/B/…` only on the CDN host, `/` only on `www.icloud.com`; the
    /// `….cn` twins too; test routes on any host). A request to a `….cn` host sees the `.cn`
    /// names. Point a client at Apple's real URLs, map [`FakeICloud::host_overrides`] to the
    /// fake's address and trust the CA.
    pub fn https(mut self) -> Self {
        self.https = true;
        self
    }

    /// Chooses whether answered requests are kept for [`FakeICloud::requests`] and
    /// [`FakeICloud::count`] (default `true`; turn it off for long benchmarks, where the
    /// recorded headers and bodies would pile up).
    pub fn recording(mut self, yes: bool) -> Self {
        self.recording = yes;
        self
    }

    /// Sets how long download URLs stay valid after the listing that handed them out (default
    /// one hour, as Apple's `e=`).
    pub fn download_url_lifetime(mut self, lifetime: Duration) -> Self {
        self.url_lifetime = lifetime;
        self
    }

    /// Calls `hook` after every answered request (default: none). The binary uses it to log.
    pub fn on_request(mut self, hook: impl Fn(&RecordedRequest) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Binds 127.0.0.1 and starts serving on a thread with its own Tokio runtime, so it works
    /// from plain tests, async tests and binaries alike.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the port, making the certificates (HTTPS mode) or
    /// starting the runtime.
    pub fn start(self) -> io::Result<FakeICloud> {
        let listener = StdListener::bind(("127.0.0.1", self.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (origins, tls) = if self.https {
            let tls = Tls::generate(Origins::certificate_names())?;
            (Origins::apple(addr), Some(tls))
        } else {
            (Origins::plain(addr), None)
        };
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        let acceptor = tls.map(|t| t.acceptor);
        let mut state = State::new(self.accounts, origins);
        state.url_lifetime = self.url_lifetime;
        let mut faults = Faults::default();
        for fault in self.faults {
            faults.add(fault);
        }
        let shared = Arc::new(Shared {
            origins,
            state: Mutex::new(state),
            faults: Mutex::new(faults),
            requests: Mutex::new(Vec::new()),
            recording: self.recording,
            panicked: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            hook: self.hook,
        });
        // Several workers: downloads are generated and latency is slept outside the state
        // lock, so concurrent requests overlap.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .thread_name(format!("icloud-fake-{}", addr.port()))
            .enable_all()
            .build()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let app = Router::new()
            .fallback(serve_one)
            .with_state(Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name(format!("icloud-fake-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    match acceptor {
                        None => tokio::select! {
                            _ = axum::serve(listener, app) => {}
                            _ = stop_rx => {}
                        },
                        Some(acceptor) => tokio::select! {
                            () = tls::serve(listener, acceptor, app) => {}
                            _ = stop_rx => {}
                        },
                    }
                });
                // Dropping the runtime here cancels connection tasks still held open by clients.
            })?;
        Ok(FakeICloud {
            addr,
            ca_pem,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

/// A running fake of Apple's iCloud servers (idmsa, setup, CloudKit and the download CDN) on
/// loopback: plain HTTP from one origin, or HTTPS under Apple's host names
/// ([`FakeICloudBuilder::https`]).
///
/// Dropping it stops the server; the drop panics (unless the thread is already panicking) if a
/// handler panicked while serving, so bugs in the fake cannot hide behind a client's retry.
///
/// A test holds it for as long as the client under test runs, and uses it three ways:
///
/// - as the server: hand [`FakeICloud::base_url`] (or, in HTTPS mode, Apple's own URLs with
///   [`FakeICloud::host_overrides`] and [`FakeICloud::ca_certificate_pem`]) to the client;
/// - as the other side of the test: play the account holder ([`FakeICloud::current_code`]
///   reads the code "shown" on a device), or Apple changing its mind while the client runs
///   ([`FakeICloud::expire_web_sessions`], [`FakeICloud::set_fault`],
///   [`FakeICloud::add_asset`], [`FakeICloud::delete_asset`], …);
/// - as the oracle: [`FakeICloud::requests`] and [`FakeICloud::count`] say what the client
///   sent, [`FakeICloud::expected_listing`], [`FakeICloud::album_names`] and
///   [`FakeICloud::version_bytes`] what it should have found.
///
/// All methods take `&self` and are safe to call from any thread while requests are served.
///
/// ```
/// use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary};
///
/// let fake = FakeICloud::builder()
///     .account(
///         FakeAccount::new("jdoe@gmail.com", "password1")
///             .library(FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG"))),
///     )
///     .start()?;
///
/// // Apple's side changes while a client would be running: a new photo arrives.
/// let added = fake.add_asset("jdoe@gmail.com", "PrimarySync", FakeAsset::photo("IMG_0002.JPG"));
/// assert!(added.is_some());
/// let listing = fake.expected_listing("jdoe@gmail.com", "PrimarySync", None);
/// let names: Vec<_> = listing.iter().filter_map(|a| a.filename.as_deref()).collect();
/// assert_eq!(names.len(), 2);
/// assert!(names.contains(&"IMG_0002.JPG"));
/// assert!(fake.requests().is_empty()); // no client has called yet
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct FakeICloud {
    addr: SocketAddr,
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakeICloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeICloud")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl FakeICloud {
    /// Returns a builder with no accounts and no faults.
    pub fn builder() -> FakeICloudBuilder {
        FakeICloudBuilder {
            accounts: Vec::new(),
            faults: Vec::new(),
            port: 0,
            hook: None,
            recording: true,
            url_lifetime: DOWNLOAD_URL_TTL,
            https: false,
        }
    }

    /// Returns `http://127.0.0.1:PORT` in HTTP mode: idmsa lives under `/appleauth/auth/…`,
    /// setup under `/setup/ws/1/…`, CloudKit under `/database/1/…`, downloads under `/B/…`,
    /// and the same origin stands in for the home page and every webservice.
    ///
    /// In HTTPS mode returns `https://127.0.0.1:PORT` (the certificate covers `127.0.0.1`),
    /// which reaches only the test routes (`/__fake/…`): every Apple path must arrive on its
    /// Apple host name (see [`FakeICloudBuilder::https`]).
    pub fn base_url(&self) -> String {
        self.shared.origins.base_url()
    }

    /// Returns the address the fake listens on (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the PEM of the CA that signed the fake's certificate (HTTPS mode), for a client
    /// to trust; `None` in HTTP mode. A new CA is made at every start.
    pub fn ca_certificate_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// Returns every host name a client must resolve to the fake, each with the fake's address
    /// (as reqwest's `ClientBuilder::resolve` takes them): `idmsa.apple.com`,
    /// `setup.icloud.com`, `www.icloud.com`, the announced webservice hosts
    /// (`p61-ckdatabasews.icloud.com`, …), the CDN host `cvws.icloud-content.com`, and each of
    /// them under `.cn`, and the shared albums' partition hosts the accounts use
    /// (`p42-sharedstreams.icloud.com`, …). Empty in HTTP mode.
    pub fn host_overrides(&self) -> Vec<(String, SocketAddr)> {
        let mut names = self.shared.origins.host_names();
        if self.shared.origins.is_apple() {
            names.extend(lock(&self.shared.state).sharedstreams_hosts());
        }
        names.into_iter().map(|host| (host, self.addr)).collect()
    }

    /// Returns the pending 2FA/2SA code of `apple_id` (case-insensitive), or `None` if no code
    /// has been delivered (or the last one was used).
    pub fn current_code(&self, apple_id: &str) -> Option<String> {
        lock(&self.shared.state).current_code(apple_id)
    }

    /// Returns every request answered so far, in order (test routes excluded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Returns how many `method` requests had a path ending with `path`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.ends_with(path))
            .count()
    }

    /// Invalidates every web session (`X-APPLE-WEBAUTH-TOKEN`) and session token: `validate`
    /// and `accountLogin` with old values then answer 421.
    pub fn expire_web_sessions(&self) {
        lock(&self.shared.state).expire_web_sessions();
    }

    /// Invalidates every trust token: the next `signin/complete` answers 409 again.
    pub fn expire_trust_tokens(&self) {
        lock(&self.shared.state).expire_trust_tokens();
    }

    /// Invalidates every PCS cookie an ADP account got from `requestPCS`: CloudKit answers 423
    /// until the client asks for new ones.
    pub fn expire_pcs_cookies(&self) {
        lock(&self.shared.state).expire_pcs_cookies();
    }

    /// Returns the largest number of requests the fake was answering at the same time (a
    /// request counts from its arrival, through any injected latency, to its answer).
    pub fn max_concurrent_requests(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Adds a fault from now on.
    pub fn set_fault(&self, fault: Fault) {
        lock(&self.shared.faults).add(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Returns what a correct client lists from zone `zone` (`PrimarySync`, `SharedSync-…`) of
    /// `apple_id`, in listing order (newest first): the whole collection for `album` `None`,
    /// else the album a client would pick for that name (a user album, or a smart folder such
    /// as `Favorites`, `Videos`, `Recently Deleted`, `Hidden`). Empty for unknown zones or
    /// names. Rank anomalies are skipped: this is the truth, not the wire.
    pub fn expected_listing(
        &self,
        apple_id: &str,
        zone: &str,
        album: Option<&str>,
    ) -> Vec<ExpectedAsset> {
        let mut state = lock(&self.shared.state);
        match state.find_zone(apple_id, zone) {
            Some(zi) => state.zones[zi].expected(album),
            None => Vec::new(),
        }
    }

    /// Returns the album names icloudpd `--list-albums` prints after `Albums:` for zone `zone`:
    /// the ten smart folders, then user albums and folders (deleted ones and the root-folder
    /// sentinels excluded, duplicates once); for a shared-database zone only the smart folders.
    pub fn album_names(&self, apple_id: &str, zone: &str) -> Vec<String> {
        let state = lock(&self.shared.state);
        match state.find_zone(apple_id, zone) {
            Some(zi) => state.zones[zi].album_names(),
            None => Vec::new(),
        }
    }

    /// Returns the zone names `--list-libraries` prints for `apple_id`: private database zones,
    /// then shared database zones.
    pub fn library_names(&self, apple_id: &str) -> Vec<String> {
        let state = lock(&self.shared.state);
        let key = apple_id.to_lowercase();
        let mut zones: Vec<_> = state.zones.iter().filter(|z| z.account == key).collect();
        zones.sort_by_key(|z| z.db == Db::Shared);
        zones.into_iter().map(|z| z.name.clone()).collect()
    }

    /// Returns the shared albums of `apple_id` as a correct client lists them: in
    /// `webgetalbumslist` order, each with its items in album order. Empty for an unknown
    /// account or one without the service.
    pub fn expected_shared_albums(&self, apple_id: &str) -> Vec<ExpectedSharedAlbum> {
        let state = lock(&self.shared.state);
        let key = apple_id.to_lowercase();
        state
            .shared_albums
            .iter()
            .filter(|a| a.account == key)
            .map(|a| ExpectedSharedAlbum {
                guid: a.guid.clone(),
                name: a.name.clone(),
                owned: a.owned,
                owner_dsid: a.owner_dsid.clone(),
                public_url: a.public_url(),
                partition: a.home,
                assets: (0..a.lib.len()).map(|i| a.expected(i)).collect(),
            })
            .collect()
    }

    /// Returns the bytes of resource `prefix` (`resOriginal`, `resOriginalVidCompl`, …) of the
    /// item whose CPLAsset record is `asset_record_name` in the shared album `album_guid` of
    /// `apple_id`; `None` when there is no such item or the album does not serve that resource.
    pub fn shared_version_bytes(
        &self,
        apple_id: &str,
        album_guid: &str,
        asset_record_name: &str,
        prefix: &str,
    ) -> Option<Vec<u8>> {
        let res = {
            let state = lock(&self.shared.state);
            let key = apple_id.to_lowercase();
            let album = state
                .shared_albums
                .iter()
                .find(|a| a.account == key && a.guid == album_guid)?;
            let i = (0..album.lib.len()).find(|&i| album.lib.asset_name(i) == asset_record_name)?;
            album
                .resources(i)
                .into_iter()
                .find(|r| r.prefix.name() == prefix)?
        };
        Some(cdn::bytes(&res))
    }

    /// Adds `item` at the end of the shared album `album_guid` of `apple_id`, as a
    /// contributor's upload does: it is counted and listed, and the album's `albumctag`
    /// changes. Returns its CPLAsset record name, or `None` when there is no such album.
    pub fn add_shared_asset(
        &self,
        apple_id: &str,
        album_guid: &str,
        item: crate::FakeAsset,
    ) -> Option<String> {
        let mut state = lock(&self.shared.state);
        let key = apple_id.to_lowercase();
        let album = state
            .shared_albums
            .iter_mut()
            .find(|a| a.account == key && a.guid == album_guid)?;
        Some(album.push(item))
    }

    /// Returns the bytes a download URL (as found in a listing, `${f}` raw or percent-encoded;
    /// with or without the origin) serves, ignoring its expiry; `None` if it names no resource.
    pub fn resource_bytes(&self, url: &str) -> Option<Vec<u8>> {
        let path = match url.find("://") {
            Some(i) => {
                let rest = &url[i + 3..];
                &rest[rest.find('/')?..]
            }
            None => url,
        };
        let path = path.split('?').next().unwrap_or_default();
        let res = {
            let state = lock(&self.shared.state);
            cdn::locate(&state, path)?.0
        };
        Some(cdn::bytes(&res))
    }

    /// Returns the bytes of resource `prefix` (`resOriginal`, `resOriginalVidCompl`, …) of the
    /// asset whose CPLAsset record is `asset_record_name` in zone `zone` of `apple_id` (the
    /// CPLAsset's resource when both records have one), as [`ExpectedAsset::versions`] lists it.
    pub fn version_bytes(
        &self,
        apple_id: &str,
        zone: &str,
        asset_record_name: &str,
        prefix: &str,
    ) -> Option<Vec<u8>> {
        let res = {
            let mut state = lock(&self.shared.state);
            let zi = state.find_zone(apple_id, zone)?;
            let z = &mut state.zones[zi];
            let i = z.asset_by_name(asset_record_name)?;
            crate::library::version_of(&z.lib, i, prefix)?
        };
        Some(cdn::bytes(&res))
    }

    /// Replaces the resources of the asset whose CPLAsset record is `asset_record_name` in zone
    /// `zone` of `apple_id`, as an edit or a re-upload in iCloud does: every version gets a new
    /// checksum, size and bytes, the record a new change tag, and download URLs handed out
    /// before answer 400 `{}`, as any URL the CDN cannot serve does. Returns `false` when there
    /// is no such asset.
    pub fn revise_asset(&self, apple_id: &str, zone: &str, asset_record_name: &str) -> bool {
        let mut state = lock(&self.shared.state);
        let Some(zi) = state.find_zone(apple_id, zone) else {
            return false;
        };
        let Some(i) = state.zones[zi].asset_by_name(asset_record_name) else {
            return false;
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let asset = &mut state.zones[zi].lib.assets[i];
        asset.revision += 1;
        asset.tag += 1;
        asset.modified_ms = now;
        state.touch_asset(zi, i);
        true
    }

    /// Adds `asset` to zone `zone` of `apple_id` as an upload from a phone does: it is listed
    /// (by its date), counted, and reported by the change feeds. Returns its CPLAsset record
    /// name, or `None` when there is no such zone.
    pub fn add_asset(&self, apple_id: &str, zone: &str, asset: crate::FakeAsset) -> Option<String> {
        let mut state = lock(&self.shared.state);
        let zi = state.find_zone(apple_id, zone)?;
        let i = state.zones[zi].push_asset(asset);
        state.touch_asset(zi, i);
        Some(state.zones[zi].lib.asset_name(i))
    }

    /// Moves the asset whose CPLAsset record is `asset_record_name` in zone `zone` of
    /// `apple_id` to Recently Deleted, as the user deleting it on a phone does (`isDeleted`, a
    /// new change tag, reported by the change feeds). Returns `false` when there is no such
    /// asset.
    pub fn delete_asset(&self, apple_id: &str, zone: &str, asset_record_name: &str) -> bool {
        let mut state = lock(&self.shared.state);
        let Some(zi) = state.find_zone(apple_id, zone) else {
            return false;
        };
        let Some(i) = state.zones[zi].asset_by_name(asset_record_name) else {
            return false;
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let asset = &mut state.zones[zi].lib.assets[i];
        asset.flags |= crate::library::flag::DELETED;
        asset.expunged_ms = now + 30 * 86_400_000;
        asset.tag += 1;
        asset.modified_ms = now;
        state.touch_asset(zi, i);
        true
    }

    /// Revokes every download URL handed out so far: they answer 400 `{}` (as expired ones do)
    /// and new listings carry new URLs.
    pub fn expire_download_urls(&self) {
        lock(&self.shared.state).url_generation += 1;
    }
}

impl Drop for FakeICloud {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if self.shared.panicked.load(Ordering::SeqCst) && !std::thread::panicking() {
            panic!("icloud-fake: a request handler panicked (see the panic message above)");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;

    fn get(fake: &FakeICloud, path: &str) -> String {
        let mut stream = TcpStream::connect(fake.addr).expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("write");
        let mut out = String::new();
        stream.read_to_string(&mut out).expect("read");
        out
    }

    #[test]
    fn drop_panics_after_a_handler_panic() {
        let fake = FakeICloud::builder().start().expect("start");
        assert!(get(&fake, "/__fake/panic").starts_with("HTTP/1.1 500"));
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(fake)));
        assert!(dropped.is_err(), "drop must report the handler panic");
    }

    #[test]
    fn drop_is_quiet_otherwise_and_home_answers() {
        let fake = FakeICloud::builder().start().expect("start");
        assert!(get(&fake, "/").starts_with("HTTP/1.1 200"));
        assert!(get(&fake, "/nowhere").starts_with("HTTP/1.1 404"));
        assert_eq!(fake.count("get", "/nowhere"), 1);
        drop(fake);
    }
}
