//! `--library SharedAlbums` (issue 16, spec shared-albums.md §5.2 and §9): the shared albums
//! as a pseudo-library, listed and mirrored into one folder per album, against the fake's
//! `sharedstreams` service.

use std::collections::BTreeSet;

use icloud_fake::{
    ExpectedSharedAlbum, FakeAsset, FakeLibrary, FakeSharedAlbum, FakeSharedStreams,
    PartitionRedirect, SharedPlacement,
};

use super::*;

/// The generated shared albums (seven, see `FakeSharedStreams::generated`), no library.
fn generated() -> Env {
    with_streams(FakeSharedStreams::generated(16))
}

fn with_streams(streams: FakeSharedStreams) -> Env {
    Env::with_account(account(FakeLibrary::new()).shared_albums(streams), &[])
}

/// `--library SharedAlbums` and `args`.
fn shared<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--library", "SharedAlbums"];
    all.extend_from_slice(args);
    all
}

/// The folder of each album, as the spec's §9.2 says (written independently).
fn folder(album: &ExpectedSharedAlbum, all: &[ExpectedSharedAlbum]) -> String {
    let clean = |name: &str| {
        let s: String = name
            .chars()
            .map(|c| if "<>:\"/\\|?*\0".contains(c) { '_' } else { c })
            .collect();
        let s = s.trim_end_matches(['.', ' ']).to_owned();
        if s.is_empty() {
            "Unnamed".to_owned()
        } else {
            s
        }
    };
    let mine = clean(&album.name);
    let same = all
        .iter()
        .filter(|a| clean(&a.name).to_lowercase() == mine.to_lowercase());
    if same.count() > 1 {
        format!("{mine} ({})", album.guid)
    } else {
        mine
    }
}

/// `YYYY/MM/DD` of a time in ms (the runs have `TZ=UTC`).
fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y/%m/%d")
        .to_string()
}

/// How many files an album gives with the default options: each item's original, and the
/// motion part of its live photos.
fn file_count(album: &ExpectedSharedAlbum) -> usize {
    let lives = album.assets.iter();
    album.count()
        + lives
            .filter(|a| a.version("resOriginalVidCompl").is_some())
            .count()
}

/// Asserts that the originals of `album` whose names are unique in it are under `folder`
/// with the fake's bytes and the capture time as their modification time.
fn assert_originals(env: &Env, album: &ExpectedSharedAlbum, folder: &str, run: &Run) {
    let names: Vec<&str> = album
        .assets
        .iter()
        .map(|a| a.filename.as_deref().unwrap())
        .collect();
    for asset in &album.assets {
        let name = asset.filename.as_deref().unwrap();
        if names.iter().filter(|n| **n == name).count() > 1 {
            continue;
        }
        let rel = format!("{folder}/{}/{name}", day(asset.asset_date_ms));
        let bytes = env
            .fake
            .shared_version_bytes(USER, &album.guid, &asset.asset_record_name, "resOriginal")
            .unwrap();
        let on_disk =
            std::fs::read(env.data().join(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}\n{run}"));
        assert!(on_disk == bytes, "{rel}: not the album's bytes");
        assert_eq!(
            mtime(env, &rel),
            asset.asset_date_ms / 1000,
            "mtime of {rel}"
        );
    }
}

/// The files under `<data>/<folder>`.
fn files_in(env: &Env, folder: &str) -> BTreeSet<String> {
    let prefix = format!("{folder}/");
    env.files()
        .into_iter()
        .filter(|f| f.starts_with(&prefix))
        .collect()
}

/// The `webgetassets` ranges asked, as (offset, limit) numbers.
fn ranges(env: &Env) -> Vec<(u64, u64)> {
    let number = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.parse().unwrap(),
        v => v.as_u64().unwrap(),
    };
    env.fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/webgetassets") && r.status == 200)
        .filter_map(|r| r.json())
        .map(|b| (number(&b["offset"]), number(&b["limit"])))
        .collect()
}

#[test]
fn shared_albums_are_a_library_and_list_their_albums() {
    // iOS 26 shared albums and share-link bundles live in zones that are no libraries.
    let account = account(FakeLibrary::new())
        .shared_albums(FakeSharedStreams::generated(16))
        .shared_library(
            "SharedCollection-5B6E1D8C-0000-4000-8000-000000000001",
            FakeLibrary::new(),
            SharedPlacement::SharedDb,
        )
        .shared_library(
            "CMM-5B6E1D8C-0000-4000-8000-000000000002",
            FakeLibrary::new(),
            SharedPlacement::PrivateDb,
        );
    let env = Env::with_account(account, &[]);
    let sign_in = env.sign_in_args();
    let mut args: Vec<&str> = sign_in.iter().map(String::as_str).collect();
    args.push("--list-libraries");
    let run = env.raw(&args, &[]);
    run.assert_code(0);
    let libraries: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| parse_log_line(l).is_none())
        .collect();
    assert_eq!(libraries, ["PrimarySync", "SharedAlbums"], "\n{run}");
    let sign_in = env.sign_in_args();
    let mut args: Vec<&str> = sign_in.iter().map(String::as_str).collect();
    args.extend(shared(&["--list-albums"]));
    let run = env.raw(&args, &[]);
    run.assert_code(0);
    let albums = env.fake.expected_shared_albums(USER);
    let trips: Vec<&str> = albums
        .iter()
        .filter(|a| a.name == "Trip")
        .map(|a| a.guid.as_str())
        .collect();
    let listed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| parse_log_line(l).is_none())
        .collect();
    assert_eq!(
        listed,
        [
            "Albums:".to_owned(),
            "Family 2026".to_owned(),
            format!("Trip ({})", trips[0]),
            format!("Trip ({})", trips[1]),
            "a/b:c?".to_owned(),
            "Jörg's Café 東京 🎉".to_owned(),
            "Leer".to_owned(),
            "Urlaub 2025".to_owned(),
        ],
        "\n{run}"
    );
    // Neither needs more than the album list.
    assert_eq!(env.requests_under("/_h/"), 1, "\n{run}");
}

#[test]
fn every_shared_album_is_mirrored_into_its_folder_and_a_second_run_downloads_nothing() {
    let env = generated();
    let run = env.run(&shared(&[]));
    run.assert_code(0);
    let albums = env.fake.expected_shared_albums(USER);
    let mut total = 0;
    for album in &albums {
        let folder = folder(album, &albums);
        let files = files_in(&env, &folder);
        assert_eq!(files.len(), file_count(album), "{folder}\n{run}");
        total += files.len();
        assert_originals(&env, album, &folder, &run);
    }
    assert_eq!(
        env.files().len(),
        total,
        "no file outside the album folders"
    );
    // Folders as the spec says: sanitised, unicode kept, duplicates by GUID, none when empty.
    let tops: BTreeSet<String> = env
        .files()
        .iter()
        .map(|f| f.split('/').next().unwrap().to_owned())
        .collect();
    assert!(
        tops.contains("a_b_c_") && tops.contains("Jörg's Café 東京 🎉"),
        "{tops:?}"
    );
    assert!(
        !env.data().join("Leer").exists(),
        "an empty album has no folder"
    );
    assert_eq!(tops.iter().filter(|t| t.starts_with("Trip (")).count(), 2);

    let downloads = env.downloads();
    let listed = ranges(&env).len();
    let again = env.run(&shared(&[]));
    again.assert_code(0);
    assert_eq!(
        env.downloads(),
        downloads,
        "nothing downloaded again\n{again}"
    );
    assert_eq!(
        ranges(&env).len(),
        listed,
        "unchanged albums are not listed\n{again}"
    );
    again.assert_logged(
        "INFO",
        "Shared album Urlaub 2025 has not changed since the last run and its files are on disk; not listed",
    );

    // A contributor adds a photo: that album is listed again, and only the photo comes.
    let urlaub = albums.iter().find(|a| a.name == "Urlaub 2025").unwrap();
    env.fake
        .add_shared_asset(USER, &urlaub.guid, FakeAsset::photo("NEW_0001.JPG"))
        .unwrap();
    let third = env.run(&shared(&[]));
    third.assert_code(0);
    assert_eq!(
        env.downloads(),
        downloads + 1,
        "the new photo only\n{third}"
    );
    assert_eq!(files_in(&env, "Urlaub 2025").len(), file_count(urlaub) + 1);

    // A file deleted on disk makes its album listed again, and it comes back.
    let gone = env
        .files()
        .into_iter()
        .find(|f| f.starts_with("a_b_c_/"))
        .unwrap();
    std::fs::remove_file(env.data().join(&gone)).unwrap();
    let fourth = env.run(&shared(&[]));
    fourth.assert_code(0);
    assert!(
        env.data().join(&gone).is_file(),
        "{gone} restored\n{fourth}"
    );
    assert_eq!(env.downloads(), downloads + 2, "\n{fourth}");
}

#[test]
fn one_album_by_name_and_one_by_guid() {
    let env = generated();
    let albums = env.fake.expected_shared_albums(USER);
    let trip = albums.iter().find(|a| a.name == "Trip").unwrap();
    let guid = trip.guid.to_lowercase();
    let run = env.run(&shared(&["--album", "a/b:c?", "--album", &guid]));
    run.assert_code(0);
    let trip_folder = format!("Trip ({})", trip.guid);
    let tops: BTreeSet<String> = env
        .files()
        .iter()
        .map(|f| f.split('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        tops,
        BTreeSet::from(["a_b_c_".to_owned(), trip_folder.clone()]),
        "\n{run}"
    );
    assert_originals(&env, trip, &trip_folder, &run);
    let abc = albums.iter().find(|a| a.name == "a/b:c?").unwrap();
    assert_originals(&env, abc, "a_b_c_", &run);
}

#[test]
fn an_ambiguous_or_unknown_album_is_an_error() {
    let env = generated();
    let albums = env.fake.expected_shared_albums(USER);
    let guids: Vec<&str> = albums
        .iter()
        .filter(|a| a.name == "Trip")
        .map(|a| a.guid.as_str())
        .collect();
    let run = env.run(&shared(&["--album", "Trip"]));
    run.assert_code(1).assert_logged(
        "ERROR",
        &format!(
            "Album name Trip is ambiguous: 2 shared albums have it; use one of their GUIDs: {}, {}",
            guids[0], guids[1]
        ),
    );
    let run = env.run(&shared(&["--album", "Nowhere"]));
    run.assert_code(1)
        .assert_logged("ERROR", "Unknown album: Nowhere");
    assert_eq!(env.files(), BTreeSet::new(), "nothing downloaded");
}

#[test]
fn a_long_album_is_paged_with_end_indexes() {
    let env = with_streams(
        FakeSharedStreams::new().album(FakeSharedAlbum::subscribed("Long").generated(250, 3)),
    );
    let run = env.run(&shared(&[]));
    run.assert_code(0);
    assert_eq!(ranges(&env), [(0, 100), (100, 200), (200, 300)], "\n{run}");
    let albums = env.fake.expected_shared_albums(USER);
    assert_eq!(files_in(&env, "Long").len(), file_count(&albums[0]));
    assert_originals(&env, &albums[0], "Long", &run);
}

#[test]
fn the_partition_redirect_is_followed_once() {
    let env = with_streams(
        FakeSharedStreams::new()
            .redirect(PartitionRedirect::HeaderOnly)
            .album(FakeSharedAlbum::owned("Moved").moved_to(77).generated(3, 5)),
    );
    let run = env.run(&shared(&[]));
    run.assert_code(0);
    let albums = env.fake.expected_shared_albums(USER);
    assert_originals(&env, &albums[0], "Moved", &run);
    let redirects = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.status == 330)
        .count();
    assert_eq!(
        redirects, 1,
        "one 330, then the album's calls go to p77\n{run}"
    );
}

#[test]
fn an_account_without_the_service_has_no_shared_albums() {
    let env = Env::with_account(account(FakeLibrary::new()).without_shared_albums(), &[]);
    let sign_in = env.sign_in_args();
    let mut args: Vec<&str> = sign_in.iter().map(String::as_str).collect();
    args.push("--list-libraries");
    let run = env.raw(&args, &[]);
    run.assert_code(0);
    assert!(!run.stdout.contains("SharedAlbums"), "\n{run}");
    let run = env.run(&shared(&[]));
    run.assert_code(0).assert_logged(
        "WARNING",
        &format!(
            "{USER} has no shared albums: iCloud offers this account no shared albums service"
        ),
    );
    assert_eq!(env.files(), BTreeSet::new());
    assert_eq!(env.requests_under("/_h/"), 0);
}

cases! { refused:
    delete_after_download_is_refused_for_shared_albums("--delete-after-download", None);
    auto_delete_is_refused_for_shared_albums("--auto-delete", None);
    keep_icloud_recent_days_is_refused_for_shared_albums("--keep-icloud-recent-days", Some("3"));
    align_raw_is_refused_for_shared_albums("--align-raw", Some("original"));
}

fn refused(option: &str, value: Option<&str>) {
    let env = generated();
    let mut args = shared(&[option]);
    args.extend(value);
    let run = env.run(&args);
    run.assert_code(2);
    assert!(
        run.stdout.contains(&format!(
            "{option} cannot be used with --library SharedAlbums: shared albums are only read"
        )),
        "\n{run}"
    );
    assert_eq!(env.files(), BTreeSet::new());
    assert_eq!(env.fake.requests().len(), 0, "refused before signing in");
}

#[test]
fn several_sizes_of_a_shared_photo() {
    let env = with_streams(
        FakeSharedStreams::new()
            .album(FakeSharedAlbum::owned("One").item(FakeAsset::photo("IMG_0001.JPG"))),
    );
    let run = env.run(&shared(&[
        "--size", "original", "--size", "medium", "--size", "thumb",
    ]));
    run.assert_code(0);
    let album = &env.fake.expected_shared_albums(USER)[0];
    let asset = &album.assets[0];
    let dir = format!("One/{}", day(asset.asset_date_ms));
    let want = [
        (format!("{dir}/IMG_0001.JPG"), "resOriginal"),
        (format!("{dir}/IMG_0001-medium.JPG"), "resJPEGMed"),
        (format!("{dir}/IMG_0001-thumb.JPG"), "resJPEGThumb"),
    ];
    assert_files(
        &env,
        &want.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        &run,
    );
    for (rel, prefix) in &want {
        let bytes = env
            .fake
            .shared_version_bytes(USER, &album.guid, &asset.asset_record_name, prefix)
            .unwrap();
        assert!(
            std::fs::read(env.data().join(rel)).unwrap() == bytes,
            "{rel}"
        );
    }
}

#[test]
fn a_dry_run_and_only_print_filenames_write_nothing() {
    let env =
        with_streams(FakeSharedStreams::new().album(FakeSharedAlbum::owned("Few").generated(4, 9)));
    let run = env.run(&shared(&["--dry-run"]));
    run.assert_code(0);
    assert_eq!(env.files(), BTreeSet::new(), "\n{run}");
    let run = env.run(&shared(&["--only-print-filenames"]));
    run.assert_code(0);
    assert_eq!(env.files(), BTreeSet::new(), "\n{run}");
    let album = &env.fake.expected_shared_albums(USER)[0];
    let printed: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(printed.len(), file_count(album), "\n{run}");
    assert!(
        printed.iter().all(|l| l.starts_with(&env.p("Few/"))),
        "\n{run}"
    );
    assert_eq!(env.downloads(), 0);
}
