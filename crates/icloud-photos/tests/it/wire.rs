//! What goes over the wire: URLs, query strings, content types and bodies as icloudpd sends
//! them.

use icloud_fake::{FakeLibrary, SharedPlacement};

use crate::{account, drain, env_with};

#[tokio::test]
async fn requests_look_like_icloudpds() {
    let acct = account(FakeLibrary::generated(30, 1)).shared_library(
        "SharedSync-2",
        FakeLibrary::generated(4, 2),
        SharedPlacement::SharedDb,
    );
    let e = env_with(acct, |b| b.page_size(10)).await;
    let library = e.photos.primary().await.unwrap();
    let videos = library.album("Videos").await.unwrap();
    drain(library.assets(&videos)).await;
    let shared = e.photos.library("SharedSync-2").await.unwrap();
    shared.albums().await.unwrap();

    let requests = e.fake.requests();
    let ck: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/database/"))
        .collect();
    for r in &ck {
        let zones = r.path.ends_with("/zones/list");
        assert_eq!(r.query.is_none(), zones, "{}", r.path);
        assert_eq!(r.header("content-type"), Some("text/plain"), "{}", r.path);
        assert_eq!(r.header("origin"), Some(e.fake.base_url().as_str()));
        assert!(
            r.header("cookie")
                .is_some_and(|c| c.contains("X-APPLE-WEBAUTH-TOKEN"))
        );
    }
    let query = ck
        .iter()
        .find(|r| r.query.is_some())
        .unwrap()
        .query
        .clone()
        .unwrap();
    let keys: Vec<_> = query
        .split('&')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "clientBuildNumber",
            "clientMasteringNumber",
            "clientId",
            "dsid",
            "remapEnums",
            "getCurrentSyncToken"
        ]
    );
    assert!(query.starts_with("clientBuildNumber=2522Project44&clientMasteringNumber=2522B2&"));
    assert!(query.ends_with("&remapEnums=True&getCurrentSyncToken=True"));

    let bodies: Vec<_> = ck.iter().filter_map(|r| r.json()).collect();
    let page = bodies
        .iter()
        .find(|b| b["query"]["recordType"] == "CPLAssetAndMasterInSmartAlbumByAssetDate")
        .unwrap();
    assert_eq!(page["resultsLimit"], 20);
    assert_eq!(page["desiredKeys"].as_array().unwrap().len(), 101);
    assert_eq!(page["zoneID"]["zoneType"], "REGULAR_CUSTOM_ZONE");
    let filters = page["query"]["filterBy"].as_array().unwrap();
    let names: Vec<_> = filters
        .iter()
        .map(|f| f["fieldName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["startRank", "direction", "smartAlbum"]);
    assert_eq!(filters[2]["fieldValue"]["value"], "VIDEO");
    let count = bodies.iter().find(|b| b.get("batch").is_some()).unwrap();
    assert_eq!(
        count["batch"][0]["query"]["filterBy"]["fieldValue"]["value"][0],
        "CPLAssetInSmartAlbumByAssetDate:Video"
    );
    let album_queries = bodies
        .iter()
        .filter(|b| b["query"]["recordType"] == "CPLAlbumByPositionLive")
        .count();
    assert_eq!(album_queries, 1, "none for the shared-database library");
    assert_eq!(e.fake.count("POST", "/shared/zones/list"), 1);
}
