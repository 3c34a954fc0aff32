//! Shared albums against the fake's `sharedstreams` service: albums, complete listings across
//! pages (`limit` is an end index), downloads, the 330 partition redirect, a missing service,
//! and errors.

use futures_util::StreamExt;
use icloud_fake::{
    ExpectedSharedAlbum, FakeAccount, FakeAsset, FakeICloud, FakeSharedAlbum, FakeSharedStreams,
    Fault, PartitionRedirect, RecordedRequest,
};
use icloud_photos::{
    Asset, Error, SharedAlbum, SharedAlbums, SharedAlbumsBuilder, SharingType, VersionKind,
};

use crate::{PASSWORD, USER, drain, fast_retry, sign_in, start};

/// A fake whose account (no 2FA) has `streams`, and the shared albums of a session of it,
/// configured by `f` (fast retries already).
async fn env_with(
    streams: FakeSharedStreams,
    f: impl FnOnce(SharedAlbumsBuilder) -> SharedAlbumsBuilder,
) -> (FakeICloud, SharedAlbums) {
    let fake = start(
        FakeAccount::new(USER, PASSWORD)
            .without_two_factor()
            .shared_albums(streams),
    );
    let session = sign_in(&fake).await;
    let shared = f(SharedAlbums::builder(&session).retry(fast_retry()))
        .build()
        .unwrap()
        .expect("the service is announced");
    (fake, shared)
}

async fn env(streams: FakeSharedStreams) -> (FakeICloud, SharedAlbums) {
    env_with(streams, |b| b).await
}

async fn album(shared: &SharedAlbums, name: &str) -> SharedAlbum {
    let albums = shared.albums().await.unwrap();
    albums.into_iter().find(|a| a.name() == name).unwrap()
}

fn truth(fake: &FakeICloud, guid: &str) -> ExpectedSharedAlbum {
    let albums = fake.expected_shared_albums(USER);
    albums.into_iter().find(|a| a.guid == guid).unwrap()
}

/// Asserts that the listed assets are the album's items, in order, with their versions.
fn assert_listing(assets: &[Asset], expected: &ExpectedSharedAlbum) {
    let ids: Vec<&str> = assets.iter().map(|a| a.id().as_str()).collect();
    let want: Vec<&str> = expected
        .assets
        .iter()
        .map(|a| a.asset_record_name.as_str())
        .collect();
    assert_eq!(ids, want);
    for (asset, e) in assets.iter().zip(&expected.assets) {
        assert_eq!(asset.master_id(), e.master_record_name);
        assert_eq!(Some(asset.filename()), e.filename.as_deref());
        assert_eq!(asset.zone(), expected.guid);
        let date = asset.asset_date().unwrap();
        assert_eq!(
            date.unix_timestamp_nanos() / 1_000_000,
            i128::from(e.asset_date_ms)
        );
        assert!(asset.version(VersionKind::Original).is_some());
        let live = e.version("resOriginalVidCompl").is_some();
        assert_eq!(asset.is_live_photo(), live, "{}", asset.filename());
        for (kind, v) in asset.versions() {
            let prefix = kind.field_prefix(asset.media_type()).unwrap();
            assert_eq!(
                e.version(prefix),
                Some((v.size(), v.checksum())),
                "{kind:?}"
            );
            assert_eq!(e.file_type(prefix), Some(v.file_type()), "{kind:?}");
            assert!(v.size_is_known());
        }
    }
}

fn shared_requests(fake: &FakeICloud, endpoint: &str) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path.ends_with(endpoint))
        .collect()
}

#[tokio::test]
async fn albums_are_listed_with_their_attributes() {
    let (fake, shared) = env(FakeSharedStreams::generated(1)).await;
    let albums = shared.albums().await.unwrap();
    let expected = fake.expected_shared_albums(USER);
    assert_eq!(albums.len(), expected.len());
    for (a, e) in albums.iter().zip(&expected) {
        assert_eq!((a.guid(), a.name()), (e.guid.as_str(), e.name.as_str()));
        assert_eq!(a.is_owned(), e.owned);
        assert_eq!(a.owner_dsid(), Some(e.owner_dsid.as_str()));
        assert_eq!(a.public_url(), e.public_url.as_deref());
        assert_eq!(a.is_public(), e.public_url.is_some());
        assert!(a.ctag().is_some() && a.created().is_some() && a.allows_contributions());
        assert_eq!(
            shared.count(a).await.unwrap(),
            e.count() as u64,
            "{}",
            a.name()
        );
    }
    let subscribed = albums
        .iter()
        .filter(|a| a.sharing() == SharingType::Subscribed);
    assert_eq!(subscribed.count(), 3);
    assert_eq!(albums.iter().filter(|a| a.name() == "Trip").count(), 2);
    let list = shared_requests(&fake, "/webgetalbumslist");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].method, "POST");
    assert_eq!(list[0].json(), Some(serde_json::json!({})));
    assert_eq!(list[0].query_param("remapEnums"), None);
    assert!(list[0].query_param("clientId").is_some() && list[0].query_param("dsid").is_some());

    let (_fake, shared) = env(FakeSharedStreams::generated(1).string_booleans()).await;
    let family = album(&shared, "Family 2026").await;
    assert!(family.is_public() && family.web_upload_supported() && family.created().is_some());
    assert!(!album(&shared, "Leer").await.is_public());
}

#[tokio::test]
async fn every_item_is_listed_across_pages_with_end_indexes() {
    let (fake, shared) = env(FakeSharedStreams::generated(1)).await;
    let urlaub = album(&shared, "Urlaub 2025").await;
    let (assets, errors) = drain(shared.assets(&urlaub)).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_listing(&assets, &truth(&fake, urlaub.guid()));
    let ranges: Vec<(String, String)> = shared_requests(&fake, "/webgetassets")
        .iter()
        .map(|r| {
            let body = r.json().unwrap();
            assert_eq!(body["albumguid"], urlaub.guid());
            assert_eq!(body["albumctag"], urlaub.ctag().unwrap());
            let s = |k: &str| body[k].as_str().unwrap().to_owned();
            (s("offset"), s("limit"))
        })
        .collect();
    let want = [("0", "100"), ("100", "200"), ("200", "300")];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| ((*a).into(), (*b).into()))
        .collect();
    assert_eq!(
        ranges, want,
        "limit is the end index; no page after the count"
    );
    assert_eq!(shared_requests(&fake, "/webgetassetcount").len(), 1);

    let leer = album(&shared, "Leer").await;
    let before = shared_requests(&fake, "/webgetassets").len();
    let (assets, errors) = drain(shared.assets(&leer)).await;
    assert!(assets.is_empty() && errors.is_empty());
    assert_eq!(
        shared_requests(&fake, "/webgetassets").len(),
        before,
        "count 0: no page"
    );
}

#[tokio::test]
async fn small_pages_capped_pages_and_repeats_list_everything_once() {
    let items = || FakeSharedAlbum::owned("x").generated(23, 9);
    let (fake, shared) =
        env_with(FakeSharedStreams::new().album(items()), |b| b.page_size(5)).await;
    let x = album(&shared, "x").await;
    let (assets, errors) = drain(shared.assets(&x)).await;
    assert!(errors.is_empty());
    assert_listing(&assets, &truth(&fake, x.guid()));
    assert_eq!(shared_requests(&fake, "/webgetassets").len(), 5);

    for streams in [
        FakeSharedStreams::new().album(items()).page_cap(3),
        FakeSharedStreams::new()
            .album(items())
            .repeat_across_pages(),
        FakeSharedStreams::new()
            .album(items())
            .page_cap(4)
            .repeat_across_pages(),
    ] {
        let (fake, shared) = env_with(streams, |b| b.page_size(5)).await;
        let x = album(&shared, "x").await;
        let (assets, errors) = drain(shared.assets(&x)).await;
        assert!(errors.is_empty(), "{errors:?}");
        assert_listing(&assets, &truth(&fake, x.guid()));
    }
}

#[tokio::test]
async fn versions_download_with_the_right_bytes() {
    let streams = FakeSharedStreams::new().album(
        FakeSharedAlbum::subscribed("x")
            .item(FakeAsset::live("IMG_0001.HEIC"))
            .item(FakeAsset::video("IMG_0002.MP4")),
    );
    let (fake, shared) = env(streams).await;
    let x = album(&shared, "x").await;
    let (assets, _) = drain(shared.assets(&x)).await;
    let live = &assets[0];
    assert!(live.is_live_photo());
    let kinds: Vec<VersionKind> = live.versions().keys().copied().collect();
    assert_eq!(
        kinds,
        [
            VersionKind::Original,
            VersionKind::Medium,
            VersionKind::Thumb,
            VersionKind::LiveOriginal,
            VersionKind::LiveMedium,
            VersionKind::LiveThumb
        ]
    );
    for asset in &assets {
        for (kind, v) in asset.versions() {
            let prefix = kind.field_prefix(asset.media_type()).unwrap();
            let want = fake
                .shared_version_bytes(USER, x.guid(), asset.id().as_str(), prefix)
                .unwrap();
            let mut stream = shared.download(v, 0).await.unwrap();
            assert_eq!(stream.total_size(), Some(v.size()));
            let mut got = Vec::new();
            while let Some(chunk) = stream.next().await {
                got.extend_from_slice(&chunk.unwrap());
            }
            assert_eq!(got.len() as u64, v.size(), "{kind:?}");
            assert_eq!(got, want, "{kind:?}");
        }
    }
    let video = &assets[1];
    let original = video.version(VersionKind::Original).unwrap();
    assert_eq!(original.file_type(), "public.mpeg-4");
    let full = fake.resource_bytes(original.url()).unwrap();
    let mut tail = shared.download(original, 100).await.unwrap();
    assert!(tail.is_partial());
    assert_eq!(tail.offset(), 100);
    let mut got = Vec::new();
    while let Some(chunk) = tail.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, full[100..]);
    fake.expire_download_urls();
    let e = shared.download(original, 0).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}

fn moved() -> FakeSharedStreams {
    FakeSharedStreams::new().lives_on(108).album(
        FakeSharedAlbum::owned("moved")
            .moved_to(12)
            .generated(12, 4),
    )
}

fn hosts(fake: &FakeICloud, endpoint: &str) -> Vec<String> {
    shared_requests(fake, endpoint)
        .iter()
        .map(|r| {
            let host = r.path.trim_start_matches("/_h/");
            format!("{} {}", &host[..host.find('-').unwrap()], r.status)
        })
        .collect()
}

#[tokio::test]
async fn the_partition_redirect_is_followed_once_and_remembered() {
    let (fake, shared) = env_with(moved(), |b| b.page_size(5)).await;
    let albums = shared.albums().await.unwrap();
    shared.albums().await.unwrap();
    assert_eq!(
        hosts(&fake, "/webgetalbumslist"),
        ["p42 330", "p108 200", "p108 200"]
    );
    let a = &albums[0];
    let (assets, errors) = drain(shared.assets(a)).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_listing(&assets, &truth(&fake, a.guid()));
    assert_eq!(hosts(&fake, "/webgetassetcount"), ["p108 330", "p12 200"]);
    assert_eq!(
        hosts(&fake, "/webgetassets"),
        ["p12 200", "p12 200", "p12 200"]
    );
    let (again, _) = drain(shared.assets(a)).await;
    assert_eq!(again.len(), 12);
    assert_eq!(
        hosts(&fake, "/webgetassetcount").len(),
        3,
        "remembered: no second 330"
    );

    for how in [PartitionRedirect::HeaderOnly, PartitionRedirect::BodyOnly] {
        let (_fake, shared) = env(moved().redirect(how)).await;
        let albums = shared.albums().await.unwrap();
        assert_eq!(shared.count(&albums[0]).await.unwrap(), 12, "{how:?}");
    }
    for how in [
        PartitionRedirect::Empty,
        PartitionRedirect::InvalidHost,
        PartitionRedirect::Loop,
    ] {
        let (fake, shared) = env(moved().redirect(how)).await;
        let e = shared.albums().await.unwrap_err();
        assert!(
            matches!(e, Error::UnexpectedResponse { .. }),
            "{how:?}: {e:?}"
        );
        assert!(!e.to_string().contains("127.0.0.1"), "no url in {e}");
        assert!(
            hosts(&fake, "/webgetalbumslist").len() <= 2,
            "{how:?}: at most one hop"
        );
    }
}

#[tokio::test]
async fn an_account_without_the_service_has_no_shared_albums() {
    let fake = start(
        FakeAccount::new(USER, PASSWORD)
            .without_two_factor()
            .without_shared_albums(),
    );
    let session = sign_in(&fake).await;
    assert!(SharedAlbums::new(&session).unwrap().is_none());
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.path.contains("sharedstreams"))
    );
}

#[tokio::test]
async fn errors_are_classified_and_retried() {
    let (fake, shared) = env(FakeSharedStreams::generated(2)).await;
    let trip = album(&shared, "Trip").await;
    fake.set_fault(Fault::Status {
        path_suffix: "/webgetassets".into(),
        status: 500,
        times: Some(1),
    });
    fake.set_fault(Fault::throttle("/webgetassetcount", 503, Some(0), Some(1)));
    let (assets, errors) = drain(shared.assets(&trip)).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(assets.len(), 5, "500 and 503 retried");
    fake.set_fault(Fault::Status {
        path_suffix: "/webgetassetcount".into(),
        status: 404,
        times: Some(1),
    });
    let e = shared.count(&trip).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");

    fake.expire_web_sessions();
    let e = shared.albums().await.unwrap_err();
    assert!(e.needs_reauth(), "{e:?}");
    let mut listing = shared.assets(&trip);
    let e = listing.next().await.unwrap().unwrap_err();
    assert!(e.needs_reauth(), "{e:?}");
    assert!(listing.next().await.is_none());

    let (fake, shared) = env(FakeSharedStreams::generated(2).auth_status(421)).await;
    fake.expire_web_sessions();
    assert!(shared.albums().await.unwrap_err().needs_reauth());
}

#[tokio::test]
async fn a_stale_ctag_is_dropped_and_the_album_listed_whole() {
    let (fake, shared) = env(FakeSharedStreams::generated(2).reject_stale_ctag()).await;
    let trip = album(&shared, "Trip").await;
    let added = fake
        .add_shared_asset(USER, trip.guid(), FakeAsset::photo("NEW.JPG"))
        .unwrap();
    let (assets, errors) = drain(shared.assets(&trip)).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(assets.len(), 6);
    assert_eq!(assets.last().unwrap().id().as_str(), added);
    let statuses: Vec<u16> = shared_requests(&fake, "/webgetassets")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [409, 200]);
    assert!(
        shared_requests(&fake, "/webgetassets")[1]
            .json()
            .unwrap()
            .get("albumctag")
            .is_none()
    );
}
