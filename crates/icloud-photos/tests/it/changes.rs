//! Change feeds: the full history, a deletion seen incrementally, database tokens, bad tokens.

use futures_util::StreamExt;
use icloud_fake::{FakeAsset, FakeLibrary};
use icloud_photos::{Change, ChangeFeed, Error, SyncToken};

use crate::{USER, account, drain, env_with};

async fn read(mut feed: ChangeFeed) -> (Vec<Change>, Vec<Error>, Option<SyncToken>) {
    let (mut ok, mut err) = (Vec::new(), Vec::new());
    while let Some(item) = feed.next().await {
        match item {
            Ok(c) => ok.push(c),
            Err(e) => err.push(e),
        }
    }
    (ok, err, feed.next_token())
}

#[tokio::test]
async fn a_deletion_shows_up_in_the_next_feed() {
    let lib = FakeLibrary::generated(450, 12).asset(FakeAsset::photo("keep.JPG"));
    let e = env_with(account(lib), |b| b).await;
    let library = e.photos.primary().await.unwrap();
    let (zones, db_token) = e.photos.changed_zones(None).await.unwrap();
    assert_eq!(zones, ["PrimarySync"]);

    let (changes, errors, token) = read(library.changes(None)).await;
    assert!(errors.is_empty(), "{errors:?}");
    let token = token.expect("token after a complete feed");
    let upserted = changes
        .iter()
        .filter(|c| matches!(c, Change::Upserted(_)))
        .count();
    let expected = e.fake.expected_listing(USER, "PrimarySync", None);
    assert!(
        upserted >= expected.len(),
        "{upserted} upserts for {}",
        expected.len()
    );

    let (nothing, _, same) = read(library.changes(Some(token.clone()))).await;
    assert!(nothing.is_empty());
    assert!(same.is_some());
    let (quiet, _) = e.photos.changed_zones(Some(&db_token)).await.unwrap();
    assert!(quiet.is_empty(), "{quiet:?}");

    let (assets, _) = drain(library.assets(&library.all_photos())).await;
    let victim = &assets[3];
    library.delete(victim).await.unwrap();
    let (changes, errors, next) = read(library.changes(Some(token))).await;
    assert!(errors.is_empty());
    assert!(next.is_some());
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::Deleted(id) if id == victim.id())),
        "{changes:?}"
    );
    let (zones, _) = e.photos.changed_zones(Some(&db_token)).await.unwrap();
    assert_eq!(zones, ["PrimarySync"]);
}

#[tokio::test]
async fn garbage_tokens_are_refused() {
    let e = env_with(account(FakeLibrary::generated(3, 1)), |b| b).await;
    let library = e.photos.primary().await.unwrap();
    let (changes, errors, token) = read(library.changes(Some(SyncToken::new("bm9wZQ==")))).await;
    assert!(changes.is_empty() && token.is_none());
    assert!(
        matches!(errors[..], [Error::InvalidSyncToken { .. }]),
        "{errors:?}"
    );
    let err = e
        .photos
        .changed_zones(Some(&SyncToken::new("garbage")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSyncToken { .. }), "{err:?}");
}
