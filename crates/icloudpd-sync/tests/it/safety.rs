//! Files that must never be lost or wrong: stalled downloads, a partial file of an older
//! version, links where temporary files go, what interrupted runs leave behind.

use std::sync::Arc;
use std::time::Duration;

use icloud_fake::{FakeAsset, FakeICloud, FakeLibrary, Fault};
use icloudpd_sync::FolderStructure;

use crate::{Events, USER, account, files_under, options, sync, sync_with};

/// One JPEG of `size` bytes, in a flat download directory.
fn one_photo(size: u64) -> FakeICloud {
    let lib = FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG").size(size));
    FakeICloud::builder()
        .account(account(lib))
        .start()
        .expect("fake starts")
}

fn original_bytes(fake: &FakeICloud) -> Vec<u8> {
    let asset = &fake.expected_listing(USER, "PrimarySync", None)[0];
    fake.version_bytes(USER, "PrimarySync", &asset.asset_record_name, "resOriginal")
        .unwrap()
}

fn flat(dir: &std::path::Path) -> icloudpd_sync::SyncOptions {
    let mut o = options(dir);
    o.folder_structure = FolderStructure::Flat;
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_download_is_cut_and_resumed() {
    let fake = one_photo(200_000);
    // 64 KiB, then silence for two minutes: only the client's own watch ends it soon.
    fake.set_fault(Fault::stall_download(
        64 * 1024,
        Duration::from_secs(120),
        Some(1),
    ));
    let dir = tempfile::tempdir().unwrap();
    let mut o = flat(dir.path());
    o.stall_window = Duration::from_millis(300);
    let events = Arc::new(Events::default());
    let report = sync_with(&fake, o, events.clone()).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let lines = events.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Retrying") && l.contains("stalled")),
        "{lines:#?}"
    );
    let ranges: Vec<String> = fake
        .requests()
        .iter()
        .filter_map(|r| r.header("range").map(str::to_owned))
        .collect();
    assert_eq!(
        ranges,
        ["bytes=0-", "bytes=65536-"],
        "resumed where it stalled"
    );
    let file = std::fs::read(dir.path().join("IMG_0001.JPG")).unwrap();
    assert_eq!(file, original_bytes(&fake));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_download_is_too_slow_and_stays_resumable() {
    let fake = one_photo(200_000);
    // About 6 KB per 0.3 s window where 15 KB are needed.
    fake.set_fault(Fault::bandwidth(20_000));
    let dir = tempfile::tempdir().unwrap();
    let mut o = flat(dir.path());
    o.stall_window = Duration::from_millis(300);
    o.min_download_speed = 50_000;
    o.download_retry = o.download_retry.max_attempts(2);
    let report = sync(&fake, o).await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(report.failed[0].error.contains("too slow"), "{report:?}");
    let left: Vec<_> = files_under(dir.path());
    assert!(
        left.iter().any(|f| f.to_string_lossy().ends_with(".part")),
        "what arrived stays, to be resumed: {left:?}"
    );
    // At full speed the next run finishes the file.
    fake.clear_faults();
    let report = sync(&fake, flat(dir.path())).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    let file = std::fs::read(dir.path().join("IMG_0001.JPG")).unwrap();
    assert_eq!(file, original_bytes(&fake));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_file_of_an_older_version_is_not_resumed_onto_a_newer_one() {
    let fake = one_photo(300_000);
    let dir = tempfile::tempdir().unwrap();
    // Run 1 gives up after a cut download: a `.part` of the first version stays.
    fake.set_fault(Fault::truncate_download(100_000, Some(1)));
    let mut once = flat(dir.path());
    once.download_retry = once.download_retry.max_attempts(1);
    let report = sync(&fake, once).await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let parts: Vec<_> = files_under(dir.path())
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with(".part"))
        .collect();
    assert_eq!(parts.len(), 1, "{parts:?}");

    // Run 2 lists the first version; before its download is answered, the asset is replaced
    // in iCloud: the old URL is refused, a fresh one brings another version.
    fake.clear_faults();
    // Downloads (`…/${f}`) are answered after 5 s: time enough to replace the asset between
    // the listing and the answer, however busy the machine (2 s were once not enough while
    // the other tests of this binary ran).
    fake.set_fault(Fault::latency_for("$%7Bf%7D", Duration::from_secs(5)));
    let record = fake.expected_listing(USER, "PrimarySync", None)[0]
        .asset_record_name
        .clone();
    // Run 2 queries the indexing state, then the listing: once a query after the indexing
    // one is answered, the first version is listed. Counted from before run 2 starts: on a
    // busy machine it may answer both queries before this task runs again.
    let queries = |fake: &FakeICloud| fake.count("POST", "/records/query");
    let before = queries(&fake);
    let run = tokio::spawn({
        let o = flat(dir.path());
        let base = fake.base_url();
        async move { crate::sync_at(&base, o).await }
    });
    let listed = async {
        while queries(&fake) < before + 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), listed)
        .await
        .expect("the listing was answered");
    assert!(fake.revise_asset(USER, "PrimarySync", &record));
    let report = run.await.unwrap().unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    let ranges: Vec<String> = fake
        .requests()
        .iter()
        .filter_map(|r| r.header("range").map(str::to_owned))
        .collect();
    assert!(
        ranges.ends_with(&["bytes=100000-".to_owned(), "bytes=0-".to_owned()]),
        "the old version's file was offered, then the new one fetched whole: {ranges:?}"
    );
    let file = std::fs::read(dir.path().join("IMG_0001.JPG")).unwrap();
    assert_eq!(file, original_bytes(&fake), "the new version, whole");
    let left: Vec<_> = files_under(dir.path());
    assert_eq!(left, [std::path::PathBuf::from("IMG_0001.JPG")], "{left:?}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_where_a_temporary_file_goes_is_not_followed() {
    let fake = one_photo(100_000);
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("precious.txt");
    std::fs::write(&victim, b"do not touch").unwrap();
    // Run 1 leaves the temporary file, whose name we then point elsewhere.
    fake.set_fault(Fault::truncate_download(10_000, Some(1)));
    let mut once = flat(dir.path());
    once.download_retry = once.download_retry.max_attempts(1);
    sync(&fake, once).await.unwrap();
    let part = files_under(dir.path())
        .into_iter()
        .find(|f| f.to_string_lossy().ends_with(".part"))
        .expect("a temporary file");
    let part = dir.path().join(part);
    std::fs::remove_file(&part).unwrap();
    std::os::unix::fs::symlink(&victim, &part).unwrap();

    let report = sync(&fake, flat(dir.path())).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"do not touch");
    let file = std::fs::read(dir.path().join("IMG_0001.JPG")).unwrap();
    assert_eq!(file, original_bytes(&fake));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_an_interrupted_run_left_is_removed_after_a_clean_pass() {
    let fake = one_photo(100_000);
    let dir = tempfile::tempdir().unwrap();
    // A run that fails leaves its `.part` (and says it did not finish cleanly).
    fake.set_fault(Fault::truncate_download(10_000, Some(1)));
    let mut once = flat(dir.path());
    once.download_retry = once.download_retry.max_attempts(1);
    sync(&fake, once).await.unwrap();
    // Meanwhile the asset changed: that `.part` belongs to no wanted version any more.
    let record = fake.expected_listing(USER, "PrimarySync", None)[0]
        .asset_record_name
        .clone();
    assert!(fake.revise_asset(USER, "PrimarySync", &record));
    let events = Arc::new(Events::default());
    let report = sync_with(&fake, flat(dir.path()), events.clone())
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(
        events.lines().iter().any(|l| l.contains("TempRemoved")),
        "{:#?}",
        events.lines()
    );
    assert_eq!(
        files_under(dir.path()),
        [std::path::PathBuf::from("IMG_0001.JPG")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_inside_the_exif_rewrite_is_finished_by_the_next_one() {
    let fake = one_photo(120_000);
    let exif = |dir: &std::path::Path| {
        let mut o = flat(dir);
        o.set_exif_datetime = true;
        o
    };
    // The reference: one clean run.
    let clean = tempfile::tempdir().unwrap();
    let report = sync(&fake, exif(clean.path())).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    let dated = std::fs::read(clean.path().join("IMG_0001.JPG")).unwrap();
    assert_ne!(dated, original_bytes(&fake), "the EXIF date was written");

    // What a kill inside the rewrite leaves: the download whole under its temporary name, the
    // rewrite's own temporary file half written.
    let dir = tempfile::tempdir().unwrap();
    fake.set_fault(Fault::truncate_download(1_000, Some(1)));
    let mut once = exif(dir.path());
    once.download_retry = once.download_retry.max_attempts(1);
    sync(&fake, once).await.unwrap();
    fake.clear_faults();
    let part = files_under(dir.path())
        .into_iter()
        .find(|f| f.to_string_lossy().ends_with(".part"))
        .map(|f| dir.path().join(f))
        .expect("a temporary file");
    std::fs::write(&part, original_bytes(&fake)).unwrap();
    let mut rewrite = part.as_os_str().to_owned();
    rewrite.push(".exif");
    std::fs::write(&rewrite, &dated[..dated.len() / 2]).unwrap();

    let report = sync(&fake, exif(dir.path())).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(report.downloaded, 1);
    assert_eq!(
        std::fs::read(dir.path().join("IMG_0001.JPG")).unwrap(),
        dated
    );
    assert_eq!(
        files_under(dir.path()),
        [std::path::PathBuf::from("IMG_0001.JPG")],
        "nothing temporary is left"
    );
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.header("range").is_some())
            .count(),
        2,
        "the whole temporary file was not downloaded again"
    );
}
