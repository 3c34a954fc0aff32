//! `Library::refresh`: the same asset with fresh download URLs, by `records/lookup`.

use futures_util::StreamExt;
use icloud_fake::{FakeAsset, FakeLibrary, Fault, SharedPlacement};
use icloud_photos::{Asset, Error};
use serde_json::Value;

use crate::{account, drain, env, env_with};

const SHARED: &str = "SharedSync-00000000-1111-2222-3333-444444444444";

fn library() -> FakeLibrary {
    FakeLibrary::new()
        .asset(FakeAsset::photo("IMG_0001.JPG").size(20_000).favorite())
        .asset(FakeAsset::live("IMG_0002.HEIC").edited().caption())
        .asset(FakeAsset::video("IMG_0003.MOV").size(50_000))
}

async fn bytes(e: &crate::Env, version: &icloud_photos::AssetVersion) -> Result<Vec<u8>, Error> {
    let mut s = e.photos.download(version, 0).await?;
    let mut out = Vec::new();
    while let Some(chunk) = s.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

/// The raw records without their download URLs.
fn without_urls(asset: &Asset) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("downloadURL");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: Value = serde_json::from_str(&asset.raw_records()).unwrap();
    strip(&mut v);
    v
}

#[tokio::test]
async fn expired_urls_are_refreshed_and_download_the_same_bytes() {
    let e = env(library()).await;
    let library = e.photos.primary().await.unwrap();
    let (listed, errors) = drain(library.assets(&library.all_photos())).await;
    assert!(errors.is_empty() && listed.len() == 3, "{errors:?}");
    e.fake.expire_download_urls();

    for old in &listed {
        for version in old.versions().values() {
            let err = bytes(&e, version).await.unwrap_err();
            assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        }
        let new = library.refresh(old).await.unwrap();
        assert_eq!(
            format!("{new:?}"),
            format!("{old:?}"),
            "URLs aside, all equal"
        );
        assert_eq!(new.record_change_tag(), old.record_change_tag());
        assert_eq!(new.zone(), old.zone());
        assert_eq!(without_urls(&new), without_urls(old));
        assert_eq!(new.versions().len(), old.versions().len());
        for (kind, version) in new.versions() {
            let before = old.version(*kind).unwrap();
            assert_ne!(version.url(), before.url(), "{kind:?}");
            let got = bytes(&e, version).await.unwrap();
            assert_eq!(Some(got), e.fake.resource_bytes(before.url()), "{kind:?}");
        }
    }
    let lookup = e
        .fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/records/lookup"))
        .unwrap();
    let body = lookup.json().unwrap();
    let last = &listed[2];
    assert_eq!(
        body["records"],
        serde_json::json!([{"recordName": last.id().as_str()}, {"recordName": last.master_id()}])
    );
    assert_eq!(body["zoneID"]["zoneName"], "PrimarySync");
    assert_eq!(e.fake.count("POST", "/records/lookup"), 3);
}

#[tokio::test]
async fn an_asset_not_in_the_library_is_not_found() {
    let account = account(library()).shared_library(
        SHARED,
        FakeLibrary::generated(3, 9),
        SharedPlacement::PrivateDb,
    );
    let e = env_with(account, |b| b).await;
    let shared = e.photos.library(SHARED).await.unwrap();
    let (elsewhere, _) = drain(shared.assets(&shared.all_photos())).await;
    let primary = e.photos.primary().await.unwrap();
    let err = primary.refresh(&elsewhere[0]).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(shared.refresh(&elsewhere[0]).await.is_ok());
}

#[tokio::test]
async fn refreshes_are_retried_and_an_expired_session_needs_reauth() {
    let e = env(library()).await;
    let library = e.photos.primary().await.unwrap();
    let (listed, _) = drain(library.assets(&library.all_photos())).await;
    e.fake
        .set_fault(Fault::status("/records/lookup", 500, Some(2)));
    let fresh = library.refresh(&listed[0]).await.unwrap();
    assert_eq!(fresh.id(), listed[0].id());
    assert_eq!(e.fake.count("POST", "/records/lookup"), 3);

    e.fake.set_fault(Fault::expire_session_after(0));
    let err = library.refresh(&listed[0]).await.unwrap_err();
    assert!(err.needs_reauth(), "{err:?}");
    assert_eq!(e.fake.count("POST", "/records/lookup"), 4, "never retried");
}
