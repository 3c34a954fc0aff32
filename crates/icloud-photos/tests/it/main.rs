//! Integration tests of `icloud-photos` against `icloud-fake` over loopback HTTP.

mod albums;
mod changes;
mod deletion;
mod download;
mod faults;
mod libraries;
mod limit;
mod listing;
mod reauth;
mod refresh;
mod shared_albums;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use icloud_auth::{
    AuthClient, Endpoints, MemorySessionStore, Region, RetryPolicy, SecretString, Session, SignIn,
};
use icloud_fake::{ExpectedAsset, FakeAccount, FakeICloud, FakeLibrary};
use icloud_photos::{Asset, AssetStream, Error, PhotosClient, PhotosClientBuilder};

pub const USER: &str = "jdoe@gmail.com";
pub const PASSWORD: &str = "password1";

/// A fake with one account and a photos client signed in to it.
#[derive(Debug)]
pub struct Env {
    pub fake: FakeICloud,
    pub photos: PhotosClient,
}

/// An account without 2FA holding `library` as PrimarySync.
pub fn account(library: FakeLibrary) -> FakeAccount {
    FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .library(library)
}

/// A retry policy fast enough for tests, still honouring short `Retry-After`s.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(6)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_secs(2))
}

pub fn start(account: FakeAccount) -> FakeICloud {
    FakeICloud::builder()
        .account(account)
        .start()
        .expect("fake starts")
}

pub async fn sign_in(fake: &FakeICloud) -> Session {
    let client = AuthClient::builder()
        .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url()).unwrap())
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

/// Starts a fake with `account` and builds a client configured by `f` (fast retries already).
pub async fn env_with(
    account: FakeAccount,
    f: impl FnOnce(PhotosClientBuilder) -> PhotosClientBuilder,
) -> Env {
    let fake = start(account);
    let session = sign_in(&fake).await;
    let photos = f(PhotosClient::builder(&session).retry(fast_retry()))
        .build()
        .unwrap();
    Env { fake, photos }
}

pub async fn env(library: FakeLibrary) -> Env {
    env_with(account(library), |b| b).await
}

/// Drains a listing into the assets and the errors, in order.
pub async fn drain(mut stream: AssetStream) -> (Vec<Asset>, Vec<Error>) {
    let (mut ok, mut err) = (Vec::new(), Vec::new());
    while let Some(item) = stream.next().await {
        match item {
            Ok(a) => ok.push(a),
            Err(e) => err.push(e),
        }
    }
    (ok, err)
}

pub fn ids(assets: &[Asset]) -> Vec<String> {
    assets.iter().map(|a| a.id().to_string()).collect()
}

pub fn expected_ids(expected: &[ExpectedAsset]) -> Vec<String> {
    expected
        .iter()
        .map(|e| e.asset_record_name.clone())
        .collect()
}

/// Asserts that `asset` has the filename and exactly the versions the fake says.
pub fn assert_matches(asset: &Asset, expected: &ExpectedAsset) {
    assert_eq!(asset.id().as_str(), expected.asset_record_name);
    assert_eq!(asset.master_id(), expected.master_record_name);
    if let Some(name) = &expected.filename {
        assert_eq!(asset.filename(), name);
    }
    for (kind, v) in asset.versions() {
        let prefix = kind.field_prefix(asset.media_type()).unwrap();
        assert_eq!(
            expected.version(prefix),
            Some((v.size(), v.checksum())),
            "{kind:?} of {}",
            asset.filename()
        );
    }
    let original = asset.version(icloud_photos::VersionKind::Original).unwrap();
    assert!(original.size() > 0);
}

#[test]
fn every_test_module_is_included() {
    // Forgotten-file guard: every .rs file in this directory must be a module of main.rs.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".rs")
            && stem != "main"
        {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/it/{name} is not included in main.rs"
            );
        }
    }
}
