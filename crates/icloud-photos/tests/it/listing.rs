//! Listing the whole collection: completeness across empty pages and deleted blocks, order,
//! decoded contents, decode failures as items, the shortfall report.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use icloud_fake::{FakeAsset, FakeLibrary, Fault};
use icloud_photos::{Error, ListOptions, MediaType, VersionKind};

use crate::{USER, account, assert_matches, drain, env, env_with, expected_ids, ids};

#[tokio::test]
async fn ten_thousand_assets_with_holes_list_exactly_once() {
    // Exactly 10k assets in the whole collection, besides hidden and recently deleted ones.
    let mut generated = FakeLibrary::generated(10_000, 7);
    for i in 0..10_000 - generated.visible_len() {
        generated = generated.asset(FakeAsset::photo(&format!("TOPUP_{i:04}.JPG")));
    }
    let lib = generated
        .empty_pages(1_500, 450)
        .deleted_blocks(4_000, 130)
        .empty_pages(7_000, 100)
        .deleted_blocks(9_000, 620);
    let e = env(lib).await;
    let library = e.photos.primary().await.unwrap();
    let all = library.all_photos();
    let expected = e.fake.expected_listing(USER, "PrimarySync", None);
    assert_eq!(expected.len(), 10_000);
    assert_eq!(library.count(&all).await.unwrap(), expected.len() as u64);

    let started = Instant::now();
    let (assets, errors) = drain(library.assets(&all)).await;
    let took = started.elapsed();
    assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(3)]);
    assert_eq!(
        ids(&assets),
        expected_ids(&expected),
        "every asset once, newest first"
    );
    let unique: HashSet<_> = assets.iter().map(|a| a.id().clone()).collect();
    assert_eq!(unique.len(), expected.len());
    for (a, x) in assets.iter().zip(&expected) {
        assert_matches(a, x);
    }
    assert!(assets.iter().any(|a| a.is_live_photo()));
    assert!(
        assets
            .iter()
            .any(|a| a.media_type() == Some(MediaType::Movie))
    );
    assert!(
        assets
            .iter()
            .any(|a| a.version(VersionKind::Alternative).is_some())
    );
    assert!(
        assets
            .iter()
            .any(|a| a.version(VersionKind::Adjusted).is_some())
    );
    // Pages are requested concurrently and none twice; few speculative ones past the end.
    let pages = e.fake.count("POST", "/records/query") as u64;
    let needed = (expected.len() as u64 + 1_300).div_ceil(100);
    assert!(
        pages >= needed && pages <= needed + 10,
        "{pages} pages for {needed}"
    );
    eprintln!(
        "listed {} assets in {took:?} with {pages} page requests",
        assets.len()
    );
}

#[tokio::test]
async fn pages_are_fetched_in_parallel() {
    let e = env_with(account(FakeLibrary::generated(800, 3)), |b| {
        b.page_size(50).concurrency(8)
    })
    .await;
    e.fake.set_fault(Fault::latency_for(
        "/records/query",
        Duration::from_millis(250),
    ));
    let library = e.photos.primary().await.unwrap();
    let (assets, errors) = drain(library.assets(&library.all_photos())).await;
    assert!(errors.is_empty());
    let expected = e.fake.expected_listing(USER, "PrimarySync", None);
    assert_eq!(assets.len(), expected.len());
    // The fake saw the page requests overlap, up to the configured limit (the speed itself is
    // measured by `cargo bench -p icloud-photos --bench listing`).
    let overlap = e.fake.max_concurrent_requests();
    assert!((4..=8).contains(&overlap), "{overlap} requests at once");
}

#[tokio::test]
async fn broken_records_are_items_and_the_rest_lists() {
    let lib = FakeLibrary::generated(150, 5).malformed(14);
    let e = env_with(account(lib), |b| b.page_size(40)).await;
    let library = e.photos.primary().await.unwrap();
    let (assets, errors) = drain(library.assets(&library.all_photos())).await;
    let expected = e.fake.expected_listing(USER, "PrimarySync", None);
    // Two each: bad base64, invalid UTF-8, no downloadURL.
    assert_eq!(errors.len(), 6, "{errors:?}");
    let fields: Vec<_> = errors
        .iter()
        .map(|e| e.as_decode().unwrap().field().to_owned())
        .collect();
    assert_eq!(fields.iter().filter(|f| *f == "filenameEnc").count(), 4);
    assert_eq!(fields.iter().filter(|f| f.ends_with("Res")).count(), 2);
    for err in &errors {
        let raw: serde_json::Value =
            serde_json::from_str(err.as_decode().unwrap().raw_records().unwrap()).unwrap();
        assert!(raw["master_record"]["recordName"].is_string());
        assert_eq!(
            raw["asset_record"]["recordName"].as_str(),
            err.as_decode()
                .unwrap()
                .asset_id()
                .as_ref()
                .map(|id| id.as_str())
        );
        assert!(!err.to_string().contains("http"), "{err}");
    }
    assert_eq!(assets.len() + errors.len(), expected.len());
    let fallback: Vec<_> = assets.iter().filter(|a| a.filename_is_fallback()).collect();
    assert_eq!(fallback.len(), 2, "no filenameEnc");
    assert!(fallback.iter().all(|a| a.filename().ends_with(".JPG")));
    let unknown = assets.iter().filter(|a| a.media_type().is_none()).count();
    assert_eq!(unknown, 4, "no itemType, itemType without value");
    assert!(
        assets
            .iter()
            .any(|a| a.filename().starts_with("BROKEN_") && !a.filename_is_fallback()),
        "filenameEnc of type STRING"
    );
}

#[tokio::test]
async fn a_listing_shorter_than_its_count_says_so() {
    let lib = FakeLibrary::new()
        .asset(FakeAsset::photo("A.JPG"))
        .asset(FakeAsset::photo("B.JPG"));
    let e = env(lib).await;
    let library = e.photos.primary().await.unwrap();
    let options = ListOptions::default()
        .expected_count(5)
        .empty_page_probes(2);
    let (assets, errors) = drain(library.assets_with(&library.all_photos(), options)).await;
    assert_eq!(assets.len(), 2);
    assert!(
        matches!(
            errors[..],
            [Error::Incomplete {
                expected: 5,
                listed: 2
            }]
        ),
        "{errors:?}"
    );
    // Probing stops: one data page, the probes, and no count request (count given).
    assert_eq!(e.fake.count("POST", "/records/query/batch"), 0);
    assert!(e.fake.count("POST", "/records/query") <= 2 + 3 + 2);
}

#[tokio::test]
async fn dropping_a_listing_early_is_fine() {
    let e = env(FakeLibrary::generated(1_000, 2)).await;
    let library = e.photos.primary().await.unwrap();
    let first: Vec<_> = library
        .assets(&library.all_photos())
        .take(5)
        .collect()
        .await;
    assert_eq!(first.len(), 5);
    assert!(first.iter().all(Result::is_ok));
    let expected = e.fake.expected_listing(USER, "PrimarySync", None);
    assert_eq!(
        first[0].as_ref().unwrap().id().as_str(),
        expected[0].asset_record_name
    );
}

/// Regression (issue 12): a server or proxy that ignores `startRank` answers the first page to
/// every request; the listing used to ask for ever (about 2,000 queries in the first minute).
#[tokio::test]
async fn a_server_ignoring_start_rank_stalls_the_listing_after_a_bounded_number_of_requests() {
    let e = env_with(account(FakeLibrary::generated(1_500, 12)), |b| {
        b.empty_page_probes(4).concurrency(3)
    })
    .await;
    let library = e.photos.primary().await.unwrap();
    let all = library.all_photos();
    let count = library.count(&all).await.unwrap();
    e.fake.set_fault(Fault::ignore_start_rank(None));
    let listing = drain(library.assets(&all));
    let (assets, errors) = tokio::time::timeout(Duration::from_secs(60), listing)
        .await
        .expect("the listing ends");
    let first_page = &e.fake.expected_listing(USER, "PrimarySync", None)[..100];
    assert_eq!(ids(&assets), expected_ids(first_page), "each asset once");
    let requests = e.fake.count("POST", "/records/query") as u64;
    assert!(
        matches!(
            errors[..],
            [Error::ListingStalled { requests: r, listed: 100, expected }]
                if r == 1 + 4 + 2 && expected == count
        ),
        "{errors:?}"
    );
    // The pages used, and at most the two rounds of requests in flight when it stopped.
    assert!(
        (7..=7 + 2 * 3).contains(&requests),
        "{requests} page requests"
    );
    let text = errors[0].to_string();
    assert_eq!(
        text,
        format!(
            "listing stalled: 7 page requests listed 100 of {count} assets, the last pages only \
             repeating assets already listed"
        )
    );
}

#[tokio::test]
async fn a_limited_listing_stalls_too_and_default_settings_stay_bounded() {
    let e = env(FakeLibrary::generated(3_000, 13)).await;
    let library = e.photos.primary().await.unwrap();
    e.fake.set_fault(Fault::ignore_start_rank(None));
    let options = ListOptions::default().limit(1_000);
    let listing = drain(library.assets_with(&library.all_photos(), options));
    let (assets, errors) = tokio::time::timeout(Duration::from_secs(60), listing)
        .await
        .expect("the listing ends");
    assert_eq!(assets.len(), 100);
    assert!(
        matches!(errors[..], [Error::ListingStalled { listed: 100, .. }]),
        "{errors:?}"
    );
    // Default: 20 probes, 8 requests in flight (16 pages held).
    let requests = e.fake.count("POST", "/records/query");
    assert!(requests <= 1 + 22 + 16, "{requests} page requests");
}
