//! Deleting assets: the exact request, ranks shifting under a running listing, Recently
//! Deleted, per-record refusals.

use std::collections::HashSet;

use futures_util::StreamExt;
use icloud_fake::{FakeAsset, FakeLibrary, SharedPlacement};
use icloud_photos::{Error, SmartFolder};

use crate::{USER, account, drain, env_with, expected_ids, ids};

#[tokio::test]
async fn deleting_while_listing_keeps_the_listing_complete() {
    let e = env_with(account(FakeLibrary::generated(400, 8)), |b| {
        b.page_size(20).concurrency(4)
    })
    .await;
    let library = e.photos.primary().await.unwrap();
    let before = expected_ids(&e.fake.expected_listing(USER, "PrimarySync", None));
    let mut listed = Vec::new();
    let mut deleted = Vec::new();
    let mut stream = library.assets(&library.all_photos());
    while let Some(item) = stream.next().await {
        let asset = item.unwrap();
        if listed.len() % 3 == 0 {
            library.delete(&asset).await.unwrap();
            deleted.push(asset.id().to_string());
        }
        listed.push(asset.id().to_string());
    }
    assert_eq!(
        listed, before,
        "every asset exactly once, in order, despite the shifts"
    );

    let after = expected_ids(&e.fake.expected_listing(USER, "PrimarySync", None));
    assert_eq!(after.len(), before.len() - deleted.len());
    let rd = library
        .albums()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.name() == "Recently Deleted")
        .unwrap();
    let (trash, errors) = drain(library.assets(&rd)).await;
    assert!(errors.is_empty());
    let trash: HashSet<_> = ids(&trash).into_iter().collect();
    assert!(deleted.iter().all(|d| trash.contains(d)));
    assert_eq!(
        library.count(&library.all_photos()).await.unwrap(),
        after.len() as u64
    );
    assert_eq!(library.count(&rd).await.unwrap(), trash.len() as u64);
    assert_eq!(
        rd.kind(),
        &icloud_photos::AlbumKind::Smart(SmartFolder::RecentlyDeleted)
    );
}

#[tokio::test]
async fn the_modify_request_is_icloudpds() {
    let e = env_with(
        account(FakeLibrary::new().asset(FakeAsset::photo("A.JPG"))),
        |b| b,
    )
    .await;
    let library = e.photos.primary().await.unwrap();
    let (assets, _) = drain(library.assets(&library.all_photos())).await;
    let asset = &assets[0];
    library.delete(asset).await.unwrap();
    let req = e
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/private/records/modify"))
        .unwrap();
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.query_param("remapEnums").as_deref(), Some("True"));
    let body = req.json().unwrap();
    let zone = body["zoneID"].clone();
    assert_eq!(zone["zoneName"], "PrimarySync");
    assert!(
        zone["ownerRecordName"].is_string(),
        "the zone object of zones/list"
    );
    assert_eq!(
        body,
        serde_json::json!({"atomic": true, "desiredKeys": ["isDeleted"],
            "operations": [{"operationType": "update", "record": {
                "fields": {"isDeleted": {"value": 1}},
                "recordChangeTag": asset.record_change_tag().unwrap(),
                "recordName": asset.id().as_str(), "recordType": "CPLAsset"}}],
            "zoneID": zone})
    );
}

#[tokio::test]
async fn refused_records_are_errors() {
    let shared = "SharedSync-1";
    let acct = account(FakeLibrary::new().asset(FakeAsset::photo("A.JPG"))).shared_library(
        shared,
        FakeLibrary::with_seed(3).asset(FakeAsset::photo("S.JPG")),
        SharedPlacement::PrivateDb,
    );
    let e = env_with(acct, |b| b).await;
    let primary = e.photos.primary().await.unwrap();
    let other = e.photos.library(shared).await.unwrap();
    let (assets, _) = drain(other.assets(&other.all_photos())).await;
    let err = primary.delete(&assets[0]).await.unwrap_err();
    assert!(
        matches!(err, Error::Rejected { ref code, .. } if code == "NOT_FOUND"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_asset_changed_since_it_was_listed_is_not_deleted() {
    let e = env_with(
        account(
            FakeLibrary::new()
                .asset(FakeAsset::photo("A.JPG"))
                .asset(FakeAsset::photo("B.JPG")),
        ),
        |b| b,
    )
    .await;
    let library = e.photos.primary().await.unwrap();
    let (assets, _) = drain(library.assets(&library.all_photos())).await;
    // Edited on a phone after the listing: what was downloaded is no longer what iCloud has.
    let edited = &assets[0];
    assert!(
        e.fake
            .revise_asset(USER, "PrimarySync", edited.id().as_str())
    );
    let err = library.delete(edited).await.unwrap_err();
    assert!(
        matches!(err, Error::Rejected { ref code, .. } if code == "CONFLICT"),
        "{err:?}"
    );
    let listed = expected_ids(&e.fake.expected_listing(USER, "PrimarySync", None));
    assert!(
        listed.contains(&edited.id().to_string()),
        "still in the library"
    );
    // The other one, unchanged, goes; listed again, the edited one goes too.
    library.delete(&assets[1]).await.unwrap();
    let fresh = library.refresh(edited).await.unwrap();
    library.delete(&fresh).await.unwrap();
    assert!(expected_ids(&e.fake.expected_listing(USER, "PrimarySync", None)).is_empty());
}
