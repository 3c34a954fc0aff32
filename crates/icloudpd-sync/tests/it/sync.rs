//! Full and incremental syncs: files, bytes, times, concurrency, resume, names.

use std::sync::Arc;
use std::time::Duration;

use icloud_fake::{FakeAsset, FakeICloud, FakeLibrary, Fault};
use icloudpd_sync::{FolderStructure, RunMode, Size};

use crate::{Events, account, assert_tree_is_clean, files_under, options, start, sync, sync_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_downloads_every_file_once_and_a_rerun_downloads_nothing() {
    let fake = start(account(FakeLibrary::generated(300, 11)));
    let dir = tempfile::tempdir().unwrap();
    let first = sync(&fake, options(dir.path())).await.unwrap();
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    assert!(
        first.downloaded > 300,
        "live photos add videos: {}",
        first.downloaded
    );
    let files = assert_tree_is_clean(&fake, dir.path());
    assert_eq!(files as u64, first.downloaded);

    let second = sync(&fake, options(dir.path())).await.unwrap();
    assert_eq!(second.downloaded, 0);
    assert_eq!(second.present, first.downloaded + first.present);
    assert_eq!(files_under(dir.path()).len(), files);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_carry_the_creation_time_and_sit_in_date_folders() {
    let date_ms = 1_533_021_744_816; // 2018-07-31 07:22:24.816 UTC
    let lib = FakeLibrary::new().asset(FakeAsset::live("IMG_7409.JPG").date_ms(date_ms));
    let fake = start(account(lib));
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(dir.path());
    o.folder_structure = FolderStructure::Flat;
    sync(&fake, o).await.unwrap();
    assert_eq!(
        files_under(dir.path()),
        vec![
            std::path::PathBuf::from("IMG_7409.JPG"),
            std::path::PathBuf::from("IMG_7409.MOV")
        ]
    );
    for name in ["IMG_7409.JPG", "IMG_7409.MOV"] {
        let modified = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        assert_eq!(modified.as_secs(), 1_533_021_744);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_overlap_each_other_and_the_listing() {
    let fake = FakeICloud::builder()
        .account(account(FakeLibrary::generated(120, 3)))
        .fault(Fault::latency(Duration::from_millis(40)))
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(dir.path());
    o.concurrency = 8;
    let report = sync(&fake, o).await.unwrap();
    assert!(report.failed.is_empty());
    // Listing pages and downloads in flight together exceed what either alone would reach.
    assert!(
        fake.max_concurrent_requests() >= 8,
        "at most {} requests were in flight",
        fake.max_concurrent_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_download_at_a_time_with_concurrency_one() {
    let fake = FakeICloud::builder()
        .account(account(FakeLibrary::generated(30, 3)))
        .fault(Fault::latency_for("/B/", Duration::from_millis(10)))
        .recording(true)
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(dir.path());
    o.concurrency = 1;
    o.recent = Some(30);
    let report = sync(&fake, o).await.unwrap();
    assert!(report.failed.is_empty());
    assert_tree_is_clean(&fake, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_file_is_resumed_with_a_range_request() {
    let events = Arc::new(Events::default());
    let ranges = resume_under(None, true, events.clone()).await;
    assert_eq!(ranges, vec![Some("bytes=1234-".to_owned())]);
    assert!(
        events
            .lines()
            .iter()
            .any(|l| l.contains("Resuming") && l.contains("1234")),
        "{:?}",
        events.lines()
    );
}

/// Resumes a 50 000-byte photo whose `.part` (what an earlier, killed run left under
/// icloudpd's temp name) holds 1234 bytes (the original's first ones if `correct_prefix`, zeros
/// otherwise) from a CDN misbehaving as `fault` says, if at all; checks the file ends up whole
/// and byte-identical with no `.part` left, and returns the `Range` header of each download
/// request.
async fn resume_under(
    fault: Option<Fault>,
    correct_prefix: bool,
    events: Arc<Events>,
) -> Vec<Option<String>> {
    let lib = FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG").size(50_000));
    let mut builder = FakeICloud::builder().account(account(lib)).recording(true);
    if let Some(fault) = fault {
        builder = builder.fault(fault);
    }
    let fake = builder.start().unwrap();
    let expected = fake.expected_listing(crate::USER, "PrimarySync", None);
    let (_, checksum) = expected[0].version("resOriginal").unwrap();
    let bytes = fake
        .version_bytes(
            crate::USER,
            "PrimarySync",
            &expected[0].asset_record_name,
            "resOriginal",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(dir.path());
    o.folder_structure = FolderStructure::Flat;
    let part = dir
        .path()
        .join(format!("{}.part", base32_of_base64(checksum)));
    let prefix = if correct_prefix {
        bytes[..1234].to_vec()
    } else {
        vec![0; 1234]
    };
    std::fs::write(&part, prefix).unwrap();
    let report = sync_with(&fake, o, events).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let file = std::fs::read(dir.path().join("IMG_0001.JPG")).unwrap();
    assert!(
        file == bytes,
        "{} bytes differ from the original",
        file.len()
    );
    assert!(!part.exists());
    assert_eq!(files_under(dir.path()).len(), 1);
    fake.requests()
        .iter()
        .filter(|r| r.path.contains("/B/"))
        .map(|r| r.header("range").map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_answered_whole_restarts_the_file_instead_of_appending() {
    for correct_prefix in [true, false] {
        let ranges = resume_under(
            Some(Fault::ignore_range(None)),
            correct_prefix,
            Arc::default(),
        )
        .await;
        assert_eq!(ranges, vec![Some("bytes=1234-".to_owned())]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_answered_with_another_range_is_discarded_and_started_over() {
    for correct_prefix in [true, false] {
        let ranges = resume_under(
            Some(Fault::wrong_range(None)),
            correct_prefix,
            Arc::default(),
        )
        .await;
        // The retry starts over from byte 0, which the fault leaves alone.
        let expected = ["bytes=1234-", "bytes=0-"].map(|r| Some(r.to_owned()));
        assert_eq!(ranges, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_download_urls_are_replaced_by_fresh_ones() {
    let fake = FakeICloud::builder()
        .account(account(FakeLibrary::generated(20, 5)))
        .download_url_lifetime(Duration::from_millis(1))
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = sync(&fake, options(dir.path())).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(report.downloaded >= 20);
    assert_tree_is_clean(&fake, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_stay_inside_the_directory() {
    let long = format!("{}.JPG", "x".repeat(400));
    let lib = FakeLibrary::new()
        .asset(FakeAsset::photo("../../escape.JPG"))
        .asset(FakeAsset::photo("/etc/passwd"))
        .asset(FakeAsset::photo(".."))
        .asset(FakeAsset::photo("."))
        .asset(FakeAsset::photo("nul\0byte.JPG"))
        .asset(FakeAsset::photo("CON.JPG"))
        .asset(FakeAsset::photo(&long))
        .asset(FakeAsset::live("..\\..\\win.HEIC"));
    let fake = start(account(lib));
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("photos");
    for template in ["{:%Y/%m/%d}", "none", "/{:%Y}/../../..", "../{:%Y}"] {
        let mut o = options(&dir);
        o.folder_structure = FolderStructure::parse(template).unwrap();
        let report = sync(&fake, o).await.unwrap();
        assert!(report.failed.is_empty(), "{template}: {:?}", report.failed);
        let outside: Vec<_> = files_under(outer.path())
            .into_iter()
            .filter(|p| !p.starts_with("photos"))
            .collect();
        assert!(
            outside.is_empty(),
            "{template}: written outside: {outside:?}"
        );
        for file in files_under(&dir) {
            for part in file.iter() {
                assert!(part.len() <= 255, "{template}: {file:?}");
                assert_ne!(part, "..");
            }
        }
    }
    assert_tree_is_clean(&fake, &dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_and_only_print_write_nothing() {
    let fake = start(account(FakeLibrary::generated(40, 9)));
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("never");
    let mut o = options(&target);
    o.mode = RunMode::DryRun;
    let report = sync(&fake, o).await.unwrap();
    assert!(report.downloaded >= 40);
    let mut o = options(&target);
    o.mode = RunMode::OnlyPrintFilenames;
    let events = Arc::new(Events::default());
    sync_with(&fake, o, events.clone()).await.unwrap();
    assert!(
        events
            .lines()
            .iter()
            .filter(|l| l.starts_with("FileListed"))
            .count()
            >= 40
    );
    assert!(!target.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_and_until_found_bound_the_listing() {
    let fake = start(account(FakeLibrary::generated(200, 21)));
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(dir.path());
    o.recent = Some(10);
    o.skip_live_photos = true;
    let report = sync(&fake, o).await.unwrap();
    assert_eq!(report.downloaded + report.skipped + report.present, 10);

    // All ten present: until-found 5 stops after five of them, downloading nothing.
    let mut o = options(dir.path());
    o.until_found = Some(5);
    o.skip_live_photos = true;
    let events = Arc::new(Events::default());
    let report = sync_with(&fake, o, events.clone()).await.unwrap();
    assert_eq!(report.downloaded, 0);
    assert!(events.lines().iter().any(|l| l.contains("UntilFound")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_sizes_and_live_videos_are_all_fetched() {
    let lib = FakeLibrary::new()
        .asset(FakeAsset::live("IMG_0001.HEIC"))
        .asset(FakeAsset::video("IMG_0002.MOV"))
        .asset(FakeAsset::raw_plus_jpeg("IMG_0003.CR2"));
    let fake = start(account(lib));
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(dir.path());
    o.folder_structure = FolderStructure::Flat;
    o.sizes = vec![Size::Original, Size::Medium, Size::Thumb, Size::Alternative];
    let report = sync(&fake, o).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let names: Vec<String> = files_under(dir.path())
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for expected in [
        "IMG_0001.HEIC",
        "IMG_0001-medium.JPG",
        "IMG_0001-thumb.JPG",
        "IMG_0001_HEVC.MOV",
        "IMG_0002.MOV",
        "IMG_0002-medium.MOV",
        "IMG_0002-thumb.MOV",
        "IMG_0003.CR2",
        "IMG_0003.JPG",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    assert_tree_is_clean(&fake, dir.path());
}

/// icloudpd's temp-file stem: RFC 4648 base32 of the base64-decoded checksum.
fn base32_of_base64(checksum: &str) -> String {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(checksum)
        .unwrap();
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in raw.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(ALPHABET[((n >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_run_finishes_its_downloads_and_the_next_run_goes_on() {
    use icloudpd_sync::SyncState;
    // Downloads are slow enough that the stop lands mid-run.
    let fake = crate::start(crate::account(FakeLibrary::generated(80, 9)));
    fake.set_fault(icloud_fake::Fault::latency_for(
        "$%7Bf%7D",
        std::time::Duration::from_millis(150),
    ));
    let dir = tempfile::tempdir().unwrap();
    let states = tempfile::tempdir().unwrap();
    let state_path = states.path().join("s.sqlite");
    let session = crate::sign_in(&fake).await;
    let photos = icloud_photos::PhotosClient::builder(&session)
        .retry(crate::fast_retry())
        .build()
        .unwrap();
    let library = photos.primary().await.unwrap();
    let mut o = crate::options(dir.path());
    o.concurrency = 4;
    let engine = icloudpd_sync::SyncEngine::new(photos, library, o)
        .state(Arc::new(SyncState::open(&state_path).unwrap()));
    let stop = engine.stop_handle();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        stop.stop();
    });
    let mut report = icloudpd_sync::SyncReport::default();
    let err = engine.run_into(&mut report).await.unwrap_err();
    assert!(matches!(err, icloudpd_sync::Error::Cancelled), "{err}");
    assert!(report.downloaded > 0, "some files came before the stop");
    let files = crate::files_under(dir.path());
    assert!(
        files
            .iter()
            .all(|f| !f.to_string_lossy().ends_with(".part")),
        "the downloads in flight finished: {files:?}"
    );
    let listed = fake
        .expected_listing(crate::USER, "PrimarySync", None)
        .len();
    assert!(report.downloaded < listed as u64, "stopped early");
    // Nothing was recorded as complete: the next run lists again and completes the tree.
    fake.clear_faults();
    let state = Arc::new(SyncState::open(&state_path).unwrap());
    let next = crate::sync_with_state(&fake, crate::options(dir.path()), state).await;
    assert!(next.failed.is_empty(), "{:?}", next.failed);
    crate::assert_tree_is_clean(&fake, dir.path());
    assert_eq!(next.present, report.downloaded);
}
