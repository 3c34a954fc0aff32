//! iCloud Photos as an embedder uses it: sign in, find the libraries and albums with their
//! counts, list an album, resume a download, delete an asset.

use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use icloud_auth::{MemorySessionStore, SecretString, SignIn};
use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary, SharedPlacement};
use icloud_photos::{Asset, ByteStream, Library, PRIMARY_LIBRARY, PhotosClient, VersionKind};
use icloud_workspace::{APPLE_ID, PASSWORD, client_for, start_fake};

const SHARED: &str = "SharedSync-00000000-1111-2222-3333-444444444444";

/// A fake whose account has a generated personal library and a generated shared one.
fn fake() -> FakeICloud {
    start_fake(
        FakeAccount::new(APPLE_ID, PASSWORD)
            .without_two_factor()
            .library(FakeLibrary::generated(300, 3))
            .shared_library(
                SHARED,
                FakeLibrary::generated(40, 5),
                SharedPlacement::PrivateDb,
            ),
    )
}

async fn photos(fake: &FakeICloud) -> PhotosClient {
    let password = SecretString::from(PASSWORD.to_owned());
    let store = Arc::new(MemorySessionStore::default());
    let SignIn::Complete(session) = client_for(fake)
        .sign_in(APPLE_ID, &password, store)
        .await
        .unwrap()
    else {
        panic!("the account has no second factor");
    };
    PhotosClient::new(&session).unwrap()
}

async fn list(library: &Library, album: &str) -> Vec<Asset> {
    let album = library.album(album).await.unwrap();
    library.assets(&album).try_collect().await.unwrap()
}

fn ids(assets: &[Asset]) -> Vec<String> {
    assets.iter().map(|a| a.id().to_string()).collect()
}

async fn read(mut stream: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

#[tokio::test]
async fn libraries_albums_and_counts_are_what_the_account_holds() {
    let fake = fake();
    let photos = photos(&fake).await;
    let libraries = photos.libraries().await.unwrap();
    let names: Vec<&str> = libraries.iter().map(Library::name).collect();
    assert_eq!(names, [PRIMARY_LIBRARY, SHARED]);
    assert_eq!(names, fake.library_names(APPLE_ID));
    for library in &libraries {
        let zone = library.name();
        let all = library.count(&library.all_photos()).await.unwrap();
        assert_eq!(
            all as usize,
            fake.expected_listing(APPLE_ID, zone, None).len()
        );
        let albums = library.albums().await.unwrap();
        let names: Vec<String> = albums.iter().map(|a| a.name().to_owned()).collect();
        assert_eq!(names, fake.album_names(APPLE_ID, zone), "{zone}");
        for album in &albums {
            let expected = fake.expected_listing(APPLE_ID, zone, Some(album.name()));
            let count = library.count(album).await.unwrap();
            assert_eq!(count as usize, expected.len(), "{zone} {}", album.name());
        }
    }
}

#[tokio::test]
async fn an_album_lists_its_assets_newest_first_with_their_versions() {
    let fake = fake();
    let library = photos(&fake).await.primary().await.unwrap();
    let assets = list(&library, "Bilderrahmen").await;
    let expected = fake.expected_listing(APPLE_ID, PRIMARY_LIBRARY, Some("Bilderrahmen"));
    assert!(!expected.is_empty());
    let expected_ids: Vec<_> = expected
        .iter()
        .map(|e| e.asset_record_name.clone())
        .collect();
    assert_eq!(ids(&assets), expected_ids);
    for (asset, truth) in assets.iter().zip(&expected) {
        let original = asset.version(VersionKind::Original).unwrap();
        let (size, checksum) = truth.version("resOriginal").unwrap();
        assert_eq!((original.size(), original.checksum()), (size, checksum));
        if let Some(name) = &truth.filename {
            assert_eq!(asset.filename(), name);
        }
    }
}

#[tokio::test]
async fn an_interrupted_download_resumes_where_it_stopped() {
    let fake = fake();
    let photos = photos(&fake).await;
    let library = photos.primary().await.unwrap();
    let assets = list(&library, "Favorites").await;
    let (asset, original) = assets
        .iter()
        .filter_map(|a| Some((a, a.version(VersionKind::Original)?)))
        .find(|(_, v)| v.size() > 256 * 1024)
        .expect("a favourite larger than a download chunk");
    let whole = fake
        .version_bytes(
            APPLE_ID,
            PRIMARY_LIBRARY,
            asset.id().as_str(),
            "resOriginal",
        )
        .unwrap();
    assert_eq!(Some(&whole), fake.resource_bytes(original.url()).as_ref());

    // The first attempt stops after a chunk or so (the stream is dropped mid-body).
    let mut first = photos.download(original, 0).await.unwrap();
    assert_eq!(first.total_size(), Some(whole.len() as u64));
    let head = first.next().await.unwrap().unwrap().to_vec();
    drop(first);
    assert!(!head.is_empty() && head.len() < whole.len());
    let offset = head.len() as u64;
    let rest = photos.download(original, offset).await.unwrap();
    assert!(rest.is_partial(), "a Range request is answered with 206");
    assert_eq!((rest.status(), rest.offset()), (206, offset));
    let tail = read(rest).await;
    assert_eq!([head, tail].concat(), whole);
}

#[tokio::test]
async fn a_deleted_asset_moves_to_recently_deleted() {
    let fake = fake();
    let library = photos(&fake).await.primary().await.unwrap();
    let all = library.all_photos();
    let before = library.count(&all).await.unwrap();
    let victim = library.assets(&all).try_next().await.unwrap().unwrap();
    library.delete(&victim).await.unwrap();

    let id = victim.id().to_string();
    let listed: Vec<Asset> = library.assets(&all).try_collect().await.unwrap();
    assert!(!ids(&listed).contains(&id));
    assert_eq!(library.count(&all).await.unwrap(), before - 1);
    let trash = list(&library, "Recently Deleted").await;
    let trashed = trash.iter().find(|a| a.id().to_string() == id).unwrap();
    assert!(trashed.is_deleted());
    let truth = fake.expected_listing(APPLE_ID, PRIMARY_LIBRARY, Some("Recently Deleted"));
    assert!(truth.iter().any(|e| e.asset_record_name == id));
}
