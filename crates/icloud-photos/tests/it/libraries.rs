//! Libraries: zones of both databases, lookup, indexing state, disabled web access.

use icloud_fake::{FakeAsset, FakeLibrary, SharedPlacement};
use icloud_photos::{Database, Error, LibraryKind, PhotosClient};

use crate::{USER, account, drain, env, env_with, ids, sign_in, start};

const SHARED: &str = "SharedSync-00000000-1111-2222-3333-444444444444";

fn shared_lib() -> FakeLibrary {
    FakeLibrary::with_seed(9)
        .asset(FakeAsset::photo("S1.JPG"))
        .asset(FakeAsset::live("S2.HEIC").in_album("Shared album"))
}

#[tokio::test]
async fn shared_libraries_are_found_in_either_database() {
    for placement in [SharedPlacement::PrivateDb, SharedPlacement::SharedDb] {
        let acct =
            account(FakeLibrary::generated(5, 1)).shared_library(SHARED, shared_lib(), placement);
        let e = env_with(acct, |b| b).await;
        let libs = e.photos.libraries().await.unwrap();
        let names: Vec<_> = libs.iter().map(|l| l.name().to_owned()).collect();
        assert_eq!(names, e.fake.library_names(USER));
        assert_eq!(names, ["PrimarySync", SHARED]);
        assert_eq!(libs[0].kind(), LibraryKind::Primary);
        assert_eq!(libs[1].kind(), LibraryKind::Shared);
        assert!(libs.iter().all(|l| l.indexing_state() == Some("FINISHED")));

        let shared = e.photos.library(SHARED).await.unwrap();
        let db = match placement {
            SharedPlacement::PrivateDb => Database::Private,
            _ => Database::Shared,
        };
        assert_eq!(shared.database(), db);
        let albums = shared.albums().await.unwrap();
        let names: Vec<_> = albums.iter().map(|a| a.name().to_owned()).collect();
        assert_eq!(names, e.fake.album_names(USER, SHARED), "{placement:?}");
        let (assets, errors) = drain(shared.assets(&shared.all_photos())).await;
        assert!(errors.is_empty(), "{errors:?}");
        let expected = e.fake.expected_listing(USER, SHARED, None);
        assert_eq!(ids(&assets), crate::expected_ids(&expected));
        assert!(assets.iter().all(|a| a.zone() == SHARED));
    }
}

#[tokio::test]
async fn unknown_libraries_are_not_found() {
    let e = env(FakeLibrary::generated(3, 1)).await;
    let err = e.photos.library("NoSuchZone").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(err.to_string(), "library NoSuchZone not found");
    assert_eq!(e.photos.primary().await.unwrap().name(), "PrimarySync");
}

#[tokio::test]
async fn a_library_still_indexing_is_listed_but_not_opened() {
    let e = env(FakeLibrary::generated(3, 1).indexing("RUNNING")).await;
    let libs = e.photos.libraries().await.unwrap();
    assert_eq!(libs[0].indexing_state(), Some("RUNNING"));
    assert!(matches!(
        libs[0].check_indexing().await,
        Err(Error::LibraryNotReady { ref state }) if state == "RUNNING"
    ));
    let err = e.photos.primary().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "icloud photo library has not finished indexing yet (state RUNNING)"
    );
}

#[tokio::test]
async fn disabled_web_access_is_reported() {
    let e = env_with(account(FakeLibrary::new()).web_access_disabled(), |b| b).await;
    let err = e.photos.libraries().await.unwrap_err();
    assert!(matches!(err, Error::WebAccessDisabled { .. }), "{err:?}");
    assert!(!err.needs_reauth());
}

#[tokio::test]
async fn accounts_without_photos_have_no_database() {
    let fake = start(account(FakeLibrary::new()).without_photos());
    let session = sign_in(&fake).await;
    let err = PhotosClient::new(&session).unwrap_err();
    assert_eq!(err.to_string(), "webservice not available (ckdatabasews)");
}
