//! Integration tests of the sync engine against `icloud-fake` over loopback HTTP.

mod faults;
mod incremental;
mod plan;
mod safety;
mod sync;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use icloud_auth::{
    AuthClient, Endpoints, MemorySessionStore, Region, RetryPolicy, SecretString, Session, SignIn,
};
use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};
use icloud_photos::PhotosClient;
use icloudpd_sync::{Reporter, SyncEngine, SyncEvent, SyncOptions, SyncReport};

pub const USER: &str = "jdoe@gmail.com";
pub const PASSWORD: &str = "password1";

/// An account without 2FA holding `library` as PrimarySync.
pub fn account(library: FakeLibrary) -> FakeAccount {
    FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .library(library)
}

pub fn start(account: FakeAccount) -> FakeICloud {
    FakeICloud::builder()
        .account(account)
        .start()
        .expect("fake starts")
}

pub async fn sign_in(fake: &FakeICloud) -> Session {
    sign_in_at(&fake.base_url()).await
}

pub async fn sign_in_at(base: &str) -> Session {
    let client = AuthClient::builder()
        .endpoints(Endpoints::single_origin(Region::Global, base).unwrap())
        .build()
        .unwrap();
    let password = SecretString::from(PASSWORD.to_owned());
    match client
        .sign_in(USER, &password, Arc::new(MemorySessionStore::default()))
        .await
        .unwrap()
    {
        SignIn::Complete(s) => s,
        other => panic!("{other:?}"),
    }
}

/// Retries fast enough for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(8)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(200))
}

/// Options for `dir` with fast retries.
pub fn options(dir: &Path) -> SyncOptions {
    let mut o = SyncOptions::new(dir);
    o.download_retry = fast_retry();
    o
}

/// Signs in and runs one sync of PrimarySync.
pub async fn sync(fake: &FakeICloud, options: SyncOptions) -> icloudpd_sync::Result<SyncReport> {
    sync_with(fake, options, Arc::new(Events::default())).await
}

/// Signs in to the fake at `base` and runs one sync of PrimarySync (for a sync on another
/// task than the test's).
pub async fn sync_at(base: &str, options: SyncOptions) -> icloudpd_sync::Result<SyncReport> {
    let session = sign_in_at(base).await;
    let photos = PhotosClient::builder(&session)
        .retry(fast_retry())
        .build()
        .unwrap();
    let library = photos.primary().await?;
    SyncEngine::new(photos, library, options).run().await
}

/// Signs in and returns an engine for PrimarySync with `options`, reporting to `reporter`.
pub async fn engine(
    fake: &FakeICloud,
    options: SyncOptions,
    reporter: Arc<dyn Reporter>,
) -> SyncEngine {
    let session = sign_in(fake).await;
    let photos = PhotosClient::builder(&session)
        .retry(fast_retry())
        .build()
        .unwrap();
    let library = photos.primary().await.unwrap();
    SyncEngine::new(photos, library, options).reporter(reporter)
}

pub async fn sync_with(
    fake: &FakeICloud,
    options: SyncOptions,
    reporter: Arc<dyn Reporter>,
) -> icloudpd_sync::Result<SyncReport> {
    let session = sign_in(fake).await;
    let photos = PhotosClient::builder(&session)
        .retry(fast_retry())
        .build()
        .unwrap();
    let library = photos.primary().await?;
    SyncEngine::new(photos, library, options)
        .reporter(reporter)
        .run()
        .await
}

/// Signs in and runs one sync of PrimarySync with `state`.
pub async fn sync_with_state(
    fake: &FakeICloud,
    options: SyncOptions,
    state: Arc<icloudpd_sync::SyncState>,
) -> SyncReport {
    let session = sign_in(fake).await;
    let photos = PhotosClient::builder(&session)
        .retry(fast_retry())
        .build()
        .unwrap();
    let library = photos.primary().await.unwrap();
    SyncEngine::new(photos, library, options)
        .state(state)
        .run()
        .await
        .unwrap()
}

/// Records events as text lines.
#[derive(Debug, Default)]
pub struct Events(pub Mutex<Vec<String>>);

impl Reporter for Events {
    fn event(&self, event: &SyncEvent<'_>) {
        if matches!(event, SyncEvent::Progress { .. } | SyncEvent::AssetDone) {
            return;
        }
        self.0.lock().unwrap().push(format!("{event:?}"));
    }
}

impl Events {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Every regular file under `root`, relative, sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if !entry.file_name().to_string_lossy().starts_with(".icloudpd") {
                // (`.icloudpd…` is the engine's bookkeeping, e.g. the unfinished-run marker.)
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// The bytes of every resource of every listed asset of PrimarySync.
pub fn all_resource_bytes(fake: &FakeICloud) -> HashSet<Vec<u8>> {
    let mut out = HashSet::new();
    for asset in fake.expected_listing(USER, "PrimarySync", None) {
        for (prefix, _, _) in &asset.versions {
            if let Some(bytes) =
                fake.version_bytes(USER, "PrimarySync", &asset.asset_record_name, prefix)
            {
                out.insert(bytes);
            }
        }
    }
    out
}

/// Asserts that every file under `root` is a complete copy of some resource and that no
/// temporary file is left.
pub fn assert_tree_is_clean(fake: &FakeICloud, root: &Path) -> usize {
    let resources = all_resource_bytes(fake);
    let files = files_under(root);
    for file in &files {
        let name = file.to_string_lossy();
        assert!(!name.ends_with(".part"), "temporary file left: {name}");
        if name.ends_with(".xmp") {
            continue;
        }
        let bytes = std::fs::read(root.join(file)).unwrap();
        assert!(
            resources.contains(&bytes),
            "{name} ({} bytes) is not a complete copy of any resource",
            bytes.len()
        );
    }
    files.len()
}
