//! Throttling slows a listing down but completes it; an expired session ends it with an error
//! that asks for re-authentication; errors never show secrets.

use std::time::{Duration, Instant};

use icloud_auth::{RetryClass, RetryPolicy, Retryable};
use icloud_fake::{FakeLibrary, Fault};
use icloud_photos::Error;

use crate::{USER, account, drain, env_with, expected_ids, ids};

#[tokio::test]
async fn throttling_is_retried_after_retry_after_and_lowers_concurrency() {
    // 200 with a top-level `TRY_AGAIN_LATER` is CloudKit's in-body throttling: no header to
    // honour, it gets the policy's backoff.
    for status in [503, 429, 200] {
        let e = env_with(account(FakeLibrary::generated(600, 4)), |b| b.page_size(50)).await;
        let library = e.photos.primary().await.unwrap();
        assert_eq!(e.photos.in_flight_limit(), 8);
        let fault = Fault::throttle("/records/query", status, Some(1), Some(3));
        e.fake.set_fault(fault);
        let started = Instant::now();
        let (assets, errors) = drain(library.assets(&library.all_photos())).await;
        assert!(errors.is_empty(), "{status}: {errors:?}");
        let expected = e.fake.expected_listing(USER, "PrimarySync", None);
        assert_eq!(ids(&assets), expected_ids(&expected));
        assert!(
            e.photos.in_flight_limit() < 8,
            "throttling lowered the limit"
        );
        if status != 200 {
            assert!(
                started.elapsed() >= Duration::from_secs(1),
                "Retry-After honoured"
            );
            let requests = e.fake.requests();
            let throttled = requests.iter().filter(|r| r.status == status).count();
            assert_eq!(throttled, 3);
        }
    }
}

#[tokio::test]
async fn server_errors_are_retried_and_the_listing_completes() {
    let e = env_with(account(FakeLibrary::generated(300, 6)), |b| {
        b.page_size(50)
            .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
    })
    .await;
    let library = e.photos.primary().await.unwrap();
    e.fake
        .set_fault(Fault::status("/records/query", 500, Some(3)));
    let (assets, errors) = drain(library.assets(&library.all_photos())).await;
    assert!(errors.is_empty(), "{errors:?}");
    let expected = e.fake.expected_listing(USER, "PrimarySync", None);
    assert_eq!(ids(&assets), expected_ids(&expected));
    let failed = e.fake.requests().iter().filter(|r| r.status == 500).count();
    assert_eq!(failed, 3);
}

#[tokio::test]
async fn throttling_beyond_the_policy_is_an_error() {
    let e = env_with(account(FakeLibrary::generated(20, 4)), |b| {
        b.retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
    })
    .await;
    let library = e.photos.primary().await.unwrap();
    e.fake
        .set_fault(Fault::throttle("/records/query/batch", 429, None, None));
    let err = library.count(&library.all_photos()).await.unwrap_err();
    assert!(matches!(err, Error::Throttled { .. }), "{err:?}");
    assert!(matches!(err.retry_class(), RetryClass::Throttled { .. }));
    assert_eq!(e.fake.count("POST", "/records/query/batch"), 2);
}

#[tokio::test]
async fn an_expired_session_ends_the_listing_and_needs_reauth() {
    let e = env_with(account(FakeLibrary::generated(900, 6)), |b| {
        b.page_size(40).concurrency(2)
    })
    .await;
    let library = e.photos.primary().await.unwrap();
    e.fake.set_fault(Fault::expire_session_after(5));
    let (assets, errors) = drain(library.assets(&library.all_photos())).await;
    assert!(!assets.is_empty() && assets.len() < 900);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let err = &errors[0];
    assert!(err.needs_reauth(), "{err:?}");
    assert_eq!(err.retry_class(), RetryClass::Reauthenticate);
    assert_eq!(err.to_string(), "authentication required for account");
    let refused = e.fake.requests().iter().filter(|r| r.status == 421).count();
    assert!(refused <= 2, "never retried: {refused} refused requests");
}

#[tokio::test]
async fn errors_never_show_secrets() {
    let e = env_with(account(FakeLibrary::generated(5, 4)), |b| b).await;
    let library = e.photos.primary().await.unwrap();
    e.fake.set_fault(Fault::download_error(400, None));
    let (assets, _) = drain(library.assets(&library.all_photos())).await;
    let version = assets[0]
        .version(icloud_photos::VersionKind::Original)
        .unwrap();
    let err = e.photos.download(version, 0).await.unwrap_err();
    let text = format!("{err} {err:?} {version:?}");
    let query = version.url().split_once('?').map(|(_, q)| q).unwrap_or("?");
    assert!(!text.contains(query), "{text}");
    for secret in ["X-APPLE-WEBAUTH", "token", "Cookie"] {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(format!("{:?}", assets[0]).find(query).is_none());
}
