//! `ListOptions::limit`: the first n assets, from only the pages holding them.

use std::time::Duration;

use icloud_fake::{FakeLibrary, Fault};
use icloud_photos::ListOptions;

use crate::{Env, USER, account, drain, env_with, expected_ids, ids};

async fn paged(library: FakeLibrary) -> Env {
    env_with(account(library), |b| b.page_size(50).concurrency(8)).await
}

fn queries(e: &Env) -> usize {
    e.fake.count("POST", "/records/query")
}

#[tokio::test]
async fn a_limit_lists_the_newest_assets_from_the_pages_it_needs() {
    let e = paged(FakeLibrary::generated(1000, 8)).await;
    let library = e.photos.primary().await.unwrap();
    let all = library.all_photos();
    let expected = expected_ids(&e.fake.expected_listing(USER, "PrimarySync", None));
    assert!(expected.len() > 600);

    let before = queries(&e);
    let (assets, errors) =
        drain(library.assets_with(&all, ListOptions::default().limit(120))).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(ids(&assets), expected[..120]);
    assert_eq!(queries(&e) - before, 3, "pages 0..3 of 50");
    assert_eq!(e.fake.count("POST", "/records/query/batch"), 1, "counted");

    let before = queries(&e);
    let options = ListOptions::default()
        .expected_count(expected.len() as u64)
        .limit(50);
    let (assets, _) = drain(library.assets_with(&all, options)).await;
    assert_eq!(ids(&assets), expected[..50]);
    assert_eq!(queries(&e) - before, 1, "one page, no end probe");
    assert_eq!(e.fake.count("POST", "/records/query/batch"), 1);

    let before = queries(&e);
    let (assets, errors) =
        drain(library.assets_with(&all, ListOptions::default().limit(5000))).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        ids(&assets),
        expected,
        "a limit past the end lists everything"
    );
    let pages = (expected.len() as u64).div_ceil(50) as usize + 1;
    assert_eq!(queries(&e) - before, pages);
}

#[tokio::test]
async fn a_zero_limit_requests_nothing() {
    let e = paged(FakeLibrary::generated(100, 8)).await;
    let library = e.photos.primary().await.unwrap();
    let before = e.fake.requests().len();
    let (assets, errors) =
        drain(library.assets_with(&library.all_photos(), ListOptions::default().limit(0))).await;
    assert!(assets.is_empty() && errors.is_empty());
    assert_eq!(e.fake.requests().len(), before);
}

#[tokio::test]
async fn a_limit_crosses_holes_page_by_page() {
    // Ranks 10..70 hold only deleted records: page 0 has 10 assets, page 1 the next 30.
    let e = paged(FakeLibrary::generated(300, 2).deleted_blocks(10, 60)).await;
    let library = e.photos.primary().await.unwrap();
    let expected = expected_ids(&e.fake.expected_listing(USER, "PrimarySync", None));
    let before = queries(&e);
    let options = ListOptions::default()
        .expected_count(expected.len() as u64)
        .limit(30);
    let (assets, errors) = drain(library.assets_with(&library.all_photos(), options)).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(ids(&assets), expected[..30]);
    assert_eq!(queries(&e) - before, 2);
}

#[tokio::test]
async fn a_limit_caps_the_pages_in_flight() {
    let e = paged(FakeLibrary::generated(1000, 4)).await;
    e.fake.set_fault(Fault::latency_for(
        "/records/query",
        Duration::from_millis(100),
    ));
    let library = e.photos.primary().await.unwrap();
    let all = library.all_photos();
    let count = library.count(&all).await.unwrap();
    let options = ListOptions::default().expected_count(count).limit(100);
    let (assets, _) = drain(library.assets_with(&all, options)).await;
    assert_eq!(assets.len(), 100);
    assert_eq!(
        e.fake.max_concurrent_requests(),
        2,
        "two pages at once, not the client's eight"
    );
}
