//! Downloads: bytes as served, Range resume with 206, truncated bodies, expired URLs,
//! throttling, no cookies.

use futures_util::StreamExt;
use icloud_fake::{FakeAsset, FakeLibrary, Fault};
use icloud_photos::{Asset, ByteStream, Error, VersionKind};

use crate::{Env, account, drain, env_with};

async fn first_asset(e: &Env) -> Asset {
    let library = e.photos.primary().await.unwrap();
    let (assets, errors) = drain(library.assets(&library.all_photos())).await;
    assert!(errors.is_empty());
    assets.into_iter().next().unwrap()
}

async fn body(mut s: ByteStream) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    while let Some(chunk) = s.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

fn lib() -> FakeLibrary {
    FakeLibrary::new().asset(FakeAsset::live("IMG_0001.HEIC").size(3_000_000))
}

#[tokio::test]
async fn versions_download_with_the_served_bytes() {
    let e = env_with(account(lib()), |b| b).await;
    let asset = first_asset(&e).await;
    for (kind, version) in asset.versions() {
        let stream = e.photos.download(version, 0).await.unwrap();
        assert!(!stream.is_partial() || stream.offset() == 0, "{kind:?}");
        assert_eq!(stream.total_size(), Some(version.size()));
        let bytes = body(stream).await.unwrap();
        assert_eq!(bytes.len() as u64, version.size(), "{kind:?}");
        assert_eq!(
            Some(bytes),
            e.fake.resource_bytes(version.url()),
            "{kind:?}"
        );
    }
    let get = e
        .fake
        .requests()
        .into_iter()
        .find(|r| r.method == "GET")
        .unwrap();
    assert_eq!(get.header("range"), Some("bytes=0-"));
    assert_eq!(get.header("cookie"), None, "no cookies to the CDN");
    assert_eq!(get.header("origin"), Some(e.fake.base_url().as_str()));
    assert!(
        get.header("user-agent")
            .is_some_and(|ua| ua.contains("Mozilla"))
    );
}

#[tokio::test]
async fn a_truncated_download_resumes_with_a_range() {
    let e = env_with(account(lib()), |b| b).await;
    let asset = first_asset(&e).await;
    let original = asset.version(VersionKind::Original).unwrap();
    let full = e.fake.resource_bytes(original.url()).unwrap();
    e.fake
        .set_fault(Fault::truncate_download(1_500_000, Some(1)));
    let mut part = Vec::new();
    let mut s = e.photos.download(original, 0).await.unwrap();
    let mut failed = false;
    while let Some(chunk) = s.next().await {
        match chunk {
            Ok(c) => part.extend_from_slice(&c),
            Err(err) => {
                assert!(matches!(err, Error::Transport(_)), "{err:?}");
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the body was cut");
    drop(s);
    assert!(!part.is_empty() && part.len() < full.len());
    let rest = e
        .photos
        .download(original, part.len() as u64)
        .await
        .unwrap();
    assert!(rest.is_partial());
    assert_eq!(rest.offset(), part.len() as u64);
    assert_eq!(rest.total_size(), Some(full.len() as u64));
    assert_eq!(
        rest.content_length(),
        Some((full.len() - part.len()) as u64)
    );
    part.extend(body(rest).await.unwrap());
    assert_eq!(part, full);
}

#[tokio::test]
async fn expired_urls_and_throttling_are_typed() {
    let e = env_with(account(lib()), |b| b).await;
    let asset = first_asset(&e).await;
    let original = asset.version(VersionKind::Original).unwrap();
    e.fake.set_fault(Fault::download_error(400, Some(1)));
    let err = e.photos.download(original, 0).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    e.fake.set_fault(Fault::download_error(503, Some(1)));
    let err = e.photos.download(original, 0).await.unwrap_err();
    assert!(matches!(err, Error::Throttled { .. }), "{err:?}");
    e.fake.set_fault(Fault::download_error(502, Some(1)));
    let err = e.photos.download(original, 0).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Download { status: 502 } | Error::NotFound { .. }
        ),
        "{err:?}"
    );
    e.fake.expire_download_urls();
    let err = e.photos.download(original, 0).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// Downloads every original at once; returns (size, bytes received, whether the body failed).
async fn download_all(e: &Env, assets: &[Asset]) -> Vec<(u64, u64, bool)> {
    let tasks: Vec<_> = assets
        .iter()
        .map(|a| {
            let version = a.version(VersionKind::Original).unwrap().clone();
            let photos = e.photos.clone();
            tokio::spawn(async move {
                // A pooled connection the fake closed after an aborted body fails at send:
                // a transport error before any byte, which callers retry.
                let mut tries = 0;
                let mut s = loop {
                    match photos.download(&version, 0).await {
                        Ok(s) => break s,
                        Err(Error::Transport(_)) if tries < 5 => tries += 1,
                        Err(err) => panic!("{err:?}"),
                    }
                };
                let mut got = 0;
                while let Some(chunk) = s.next().await {
                    match chunk {
                        Ok(c) => got += c.len() as u64,
                        Err(err) => {
                            assert!(matches!(err, Error::Transport(_)), "{err:?}");
                            return (version.size(), got, true);
                        }
                    }
                }
                (version.size(), got, false)
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Regression: cut-short bodies of a few KB fail as bodies (hyper's `IncompleteBody`), they
/// never end cleanly short, and what arrived is exactly the prefix the fault sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn small_bodies_cut_short_or_reset_are_body_errors() {
    let lib = FakeLibrary::generated(150, 3).max_resource_size(4000);
    let e = env_with(account(lib), |b| b).await;
    let library = e.photos.primary().await.unwrap();
    let (assets, _) = drain(library.assets(&library.all_photos())).await;
    assert!(assets.len() > 100);

    e.fake.set_fault(Fault::truncate_download(1000, None));
    for (size, got, failed) in download_all(&e, &assets).await {
        assert!(size > 1000);
        assert_eq!((got, failed), (1000, true), "of {size}");
    }
    e.fake.clear_faults();
    e.fake.set_fault(Fault::reset_downloads(1000, 5));
    for (size, got, failed) in download_all(&e, &assets).await {
        assert!(failed && got >= 1 && got < size, "{got} of {size}");
    }
    e.fake.clear_faults();
    for (size, got, failed) in download_all(&e, &assets).await {
        assert_eq!((got, failed), (size, false));
    }
}
