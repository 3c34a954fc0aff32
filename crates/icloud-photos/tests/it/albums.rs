//! Albums and smart folders: names in icloudpd's order, members, counts.

use icloud_fake::{FakeAlbum, FakeAsset, FakeLibrary};
use icloud_photos::{AlbumKind, SmartFolder};

use crate::{USER, assert_matches, drain, env, expected_ids, ids};

#[tokio::test]
async fn every_album_lists_exactly_its_members() {
    let lib = FakeLibrary::generated(700, 11)
        .album(FakeAlbum::new("Leer"))
        .asset(
            FakeAsset::photo("x.JPG")
                .in_album("Bilderrahmen")
                .favorite(),
        );
    let e = env(lib).await;
    let library = e.photos.primary().await.unwrap();
    let albums = library.albums().await.unwrap();
    let names: Vec<_> = albums.iter().map(|a| a.name().to_owned()).collect();
    assert_eq!(names, e.fake.album_names(USER, "PrimarySync"));
    assert_eq!(&names[..10], SmartFolder::ALL.map(|f| f.name()));
    // Apple's names are NFD, as macOS writes them.
    assert!(
        names.contains(&"Jo\u{308}rg".to_owned())
            && names.contains(&"Garage vorher/nachher".to_owned())
    );
    assert!(!names.iter().any(|n| n.contains("Root-Folder")));

    let mut non_empty = 0;
    for album in &albums {
        let expected = e
            .fake
            .expected_listing(USER, "PrimarySync", Some(album.name()));
        let count = library.count(album).await.unwrap();
        assert_eq!(count, expected.len() as u64, "count of {}", album.name());
        let (assets, errors) = drain(library.assets(album)).await;
        assert!(errors.is_empty(), "{}: {errors:?}", album.name());
        assert_eq!(
            ids(&assets),
            expected_ids(&expected),
            "members of {}",
            album.name()
        );
        for (a, x) in assets.iter().zip(&expected) {
            assert_matches(a, x);
        }
        non_empty += usize::from(!assets.is_empty());
        match album.kind() {
            AlbumKind::Smart(SmartFolder::RecentlyDeleted) => {
                assert!(
                    assets
                        .iter()
                        .all(|a| a.is_deleted() && a.date_expunged().is_some())
                );
            }
            AlbumKind::Smart(SmartFolder::Hidden) => assert!(assets.iter().all(|a| a.is_hidden())),
            AlbumKind::Smart(SmartFolder::Favorites) => {
                assert!(assets.iter().all(|a| a.is_favorite()));
            }
            AlbumKind::Smart(SmartFolder::Live) => {
                assert!(assets.iter().all(|a| a.is_live_photo()))
            }
            _ => {}
        }
    }
    assert!(non_empty >= 12, "most albums have members: {non_empty}");
    let leer = library.album("Leer").await.unwrap();
    assert!(matches!(leer.kind(), AlbumKind::User { .. }));
    assert!(library.album("Nope").await.is_err());
}

#[tokio::test]
async fn the_whole_collection_is_not_an_album() {
    let e = env(FakeLibrary::generated(30, 2)).await;
    let library = e.photos.primary().await.unwrap();
    let all = library.all_photos();
    assert_eq!(all.kind(), &AlbumKind::All);
    let albums = library.albums().await.unwrap();
    assert!(albums.iter().all(|a| a.kind() != &AlbumKind::All));
}
