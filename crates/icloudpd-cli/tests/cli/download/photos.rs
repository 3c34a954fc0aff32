//! tests/test_download_photos.py (default file-match policy `name-size-dedup-with-suffix`):
//! existing files, live photos, Unicode names, `--until-found`, `--dry-run`, a shared library,
//! de-duplication and resumed downloads. Sizes, RAW and dates are in `photos_sizes`; odd names,
//! errors and `--delete-after-download` in `photos_errors`.

use super::*;

/// Pre-creates IMG_7408.JPG and IMG_7407.JPG with their iCloud sizes.
pub(super) fn create_7408_7407(env: &Env) {
    env.create_original(IMG_7408_JPG, "IMG_7408.JPG");
    env.create_original(IMG_7407_JPG, "IMG_7407.JPG");
}

/// The name of a fixture file under name-id7 (`id7`) or the default policy, from its name-id7
/// form `IMG_nnnn_<id7><rest>`: the default has no `_<id7>`.
fn policy_name(id7: bool, id7_name: &str) -> String {
    if id7 {
        id7_name.to_owned()
    } else {
        format!("{}{}", &id7_name[..8], &id7_name[16..])
    }
}

/// `--file-match-policy name-id7` for `id7`, nothing for the default policy.
fn policy_args(id7: bool) -> &'static [&'static str] {
    if id7 { &ID7 } else { &[] }
}

/// test_download_and_skip_existing_photos (`id7`: its name-id7 twin, where the stills on disk
/// are 1 byte, as any size will do): IMG_7408.JPG and IMG_7407.JPG are there, IMG_7409.JPG is
/// downloaded and dated, the videos are skipped.
pub(super) fn skip_existing_photos_case(id7: bool) {
    let env = Env::new(fixture_first(5));
    let name = |id7_name: &str| policy_name(id7, id7_name);
    let stills = [
        "IMG_7409_QVk2Yyt.JPG",
        "IMG_7408_QVI4T2l.JPG",
        "IMG_7407_QVovd0F.JPG",
    ];
    let [jpg_7409, jpg_7408, jpg_7407] = stills.map(|n| fixture_rel(&name(n)));
    for (rel, still) in [(&jpg_7408, "IMG_7408.JPG"), (&jpg_7407, "IMG_7407.JPG")] {
        env.create(
            rel,
            if id7 {
                1
            } else {
                env.size(still, "resOriginal")
            },
        );
    }

    let run = env.run(
        &[
            policy_args(id7),
            &photos_only("5", &["--set-exif-datetime"]),
        ]
        .concat(),
    );

    let videos = ["IMG_7405_QVkrUjN.MOV", "IMG_7404_QVI5TWx.MOV"].map(name);
    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_downloading_to(&env, "5 original photos")
        .assert_downloading(&env, &[&jpg_7409])
        .assert_already_exists(&env, &[&jpg_7408, &jpg_7407])
        .assert_skipped_videos(&videos)
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing(&name("IMG_7409_QVk2Yyt.MOV"))
        .assert_no_line_containing("deduplicated");
    assert_files(&env, &[&jpg_7407, &jpg_7408, &jpg_7409], &run);
    assert_eq!(mtime(&env, &jpg_7409), IMG_7409_SECS);
    assert_eq!(env.downloads(), 1, "{run}");
}

#[test]
fn test_download_and_skip_existing_photos() {
    skip_existing_photos_case(false);
}

#[test]
fn test_skip_existing_downloads() {
    let env = Env::new(fixture_first(2));
    env.create_original(IMG_7409_JPG, "IMG_7409.JPG");
    env.create_resource(IMG_7409_MOV, "IMG_7409.JPG", "resOriginalVidCompl");

    let run = env.run(&["--recent", "1"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos and videos...")
        .assert_downloading_to(&env, "the first original photo or video")
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_synced(&env, &run, &[IMG_7409_JPG, IMG_7409_MOV], NO_FILES);
    assert_eq!(env.downloads(), 0, "{run}");
}

#[test]
fn test_download_over_old_original_photos() {
    let env = Env::new(fixture_first(5));
    let legacy = "2018/07/30/IMG_7408-original.JPG";
    env.create_original(legacy, "IMG_7408.JPG");
    env.create_original(IMG_7407_JPG, "IMG_7407.JPG");

    let run = env.run(&photos_only("5", &["--set-exif-datetime"]));

    run.assert_code(0)
        .assert_downloading_to(&env, "5 original photos")
        // Python names the regular path, not the legacy file that stands in for it.
        .assert_already_exists(&env, &[IMG_7408_JPG])
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing("IMG_7409.MOV");
    assert_files(&env, &[IMG_7407_JPG, legacy, IMG_7409_JPG], &run);
    assert_eq!(mtime(&env, IMG_7409_JPG), IMG_7409_SECS);
}

#[test]
fn test_download_photos_and_set_exif() {
    let env = Env::new(fixture_first(5));
    create_7408_7407(&env);

    let run = env.run(&["--recent", "4", "--set-exif-datetime"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos and videos...")
        .assert_downloading_to(&env, "4 original photos and videos")
        .assert_downloading(&env, &[IMG_7409_JPG])
        .assert_exif_set(&env, IMG_7409_JPG, "2018-07-31 07:22:24+0000")
        .assert_logged("INFO", ALL_DOWNLOADED)
        // Only JPEGs are dated through EXIF.
        .assert_starting_with_times("Setting EXIF", 1);
    let want = [
        "IMG_7405.MOV",
        "IMG_7407.JPG",
        "IMG_7407.MOV",
        "IMG_7408.JPG",
        "IMG_7408.MOV",
        "IMG_7409.JPG",
        "IMG_7409.MOV",
    ];
    assert_files(&env, &want.map(fixture_rel), &run);
}

#[test]
fn test_download_one_recent_live_photo() {
    let env = Env::new(fixture_first(2));

    let run = env.run(&["--recent", "1"]);

    run.assert_code(0)
        .assert_downloading_to(&env, "the first original photo or video")
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_synced(&env, &run, NO_FILES, &[IMG_7409_JPG, IMG_7409_MOV]);
    // The bytes are Apple's and both files carry the creation time.
    let listing = env.listing();
    for (rel, prefix) in [
        (IMG_7409_JPG, "resOriginal"),
        (IMG_7409_MOV, "resOriginalVidCompl"),
    ] {
        let want = env
            .fake
            .version_bytes(USER, "PrimarySync", &listing[0].asset_record_name, prefix)
            .unwrap();
        assert!(
            std::fs::read(env.data().join(rel)).unwrap() == want,
            "{rel} differs"
        );
        assert_eq!(mtime(&env, rel), IMG_7409_SECS, "{rel}");
    }
}

/// IMG_中文_7409.JPG (a live photo) in the place of IMG_7409.
pub(super) fn chinese_7409() -> FakeAsset {
    as_img_7409(FakeAsset::live("IMG_中文_7409.JPG")).size(2000)
}

/// `SU1HX+S4reaWh183NDA5LkpQRw==` = `IMG_中文_7409.JPG`.
fn chinese() -> FakeLibrary {
    fixture_editing_first(2, |_| chinese_7409())
}

#[test]
fn test_download_one_recent_live_photo_chinese() {
    let env = Env::new(chinese());

    let run = env.run(&["--recent", "1", "--keep-unicode-in-filenames"]);

    run.assert_code(0).assert_logged("INFO", ALL_DOWNLOADED);
    let want = [
        "2018/07/31/IMG_中文_7409.JPG",
        "2018/07/31/IMG_中文_7409.MOV",
    ];
    assert_files(&env, &want, &run);
}

#[test]
fn chinese_names_lose_their_unicode_by_default() {
    let env = Env::new(chinese());

    let run = env.run(&["--recent", "1"]);

    let want = ["2018/07/31/IMG__7409.JPG", "2018/07/31/IMG__7409.MOV"];
    run.assert_code(0).assert_downloaded(&env, &want[..1]);
    assert_files(&env, &want, &run);
}

#[test]
fn test_download_chinese() {
    let env = Env::new(fixture_first(2)).data_at("中文/data");

    let run = env.run(&photos_only("1", &["--set-exif-datetime"]));

    run.assert_code(0)
        .assert_downloading_to(&env, "the first original photo")
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing("IMG_7409.MOV");
    assert!(env.p("").contains("中文"));
    assert_files(&env, &[IMG_7409_JPG], &run);
    assert_eq!(mtime(&env, IMG_7409_JPG), IMG_7409_SECS);
}

/// test_until_found (`id7`: its name-id7 twin, where the files on disk are 5 bytes, as any
/// size will do): 8 files on disk, 7 downloaded, and three assets in a row already there end
/// the run before IMG_7398 and IMG_7397.
pub(super) fn until_found_case(id7: bool) {
    let env = Env::new(fixture());
    // The names under name-id7; the default policy has no `_<id7>`.
    let existing = [
        "IMG_7408_QVI4T2l.JPG",
        "IMG_7408_QVI4T2l-medium.MOV",
        "IMG_7405_QVkrUjN.MOV",
        "IMG_7404_QVI5TWx.MOV",
        "IMG_7401_QVRJanZ.MOV",
        "IMG_7400_QVhFL01.JPG",
        "IMG_7400_QVhFL01-medium.MOV",
        "IMG_7399_QVVMcXN.JPG",
    ];
    let downloaded = [
        "IMG_7409_QVk2Yyt.JPG",
        "IMG_7409_QVk2Yyt-medium.MOV",
        "IMG_7407_QVovd0F.JPG",
        "IMG_7407_QVovd0F-medium.MOV",
        "IMG_7403_QVc0VWt.MOV",
        "IMG_7402_QVdYaDd.MOV",
        "IMG_7399_QVVMcXN-medium.MOV",
    ];
    let name = |id7_name: &str| policy_name(id7, id7_name);
    for id7_name in existing {
        let size = if id7 {
            5
        } else if let Some(stem) = id7_name.strip_suffix("-medium.MOV") {
            // The medium video of a live photo is a resource of its still.
            env.size(&format!("{}.JPG", &stem[..8]), "resVidMed")
        } else {
            env.size(&name(id7_name), "resOriginal")
        };
        env.create(&fixture_rel(&name(id7_name)), size);
    }
    let existing = existing.map(|n| fixture_rel(&name(n)));
    let downloaded = downloaded.map(|n| fixture_rel(&name(n)));
    let live = ["--live-photo-size", "medium"];
    let args = [
        policy_args(id7),
        &live,
        &["--until-found", "3", "--recent", "20"],
    ]
    .concat();

    let run = env.run(&args);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos and videos...")
        .assert_downloading_to(&env, "??? original photos and videos")
        .assert_logged(
            "INFO",
            "Found 3 consecutive previously downloaded photos. Exiting",
        )
        .assert_logged("INFO", ALL_DOWNLOADED)
        .assert_no_line_containing("IMG_7398")
        .assert_no_line_containing("IMG_7397");
    assert_synced(&env, &run, &existing, &downloaded);
    assert_eq!(env.downloads(), downloaded.len(), "{run}");
}

#[test]
fn test_until_found() {
    until_found_case(false);
}

#[test]
fn test_dry_run() {
    let env = Env::new(fixture_first(2));

    let run = env.run(&photos_only("1", &["--set-exif-datetime", "--dry-run"]));

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_logged(
            "DEBUG",
            &format!(
                "[DRY RUN] Would create folder hierarchy {}",
                env.p("2018/07/31")
            ),
        )
        .assert_would_download(&env, &[IMG_7409_JPG])
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing("IMG_7409.MOV")
        .assert_no_line_containing("ERROR");
    // Nothing written, not even the directory; ours sends no download request either.
    assert!(!env.data().exists(), "{run}");
    assert_eq!(env.downloads(), 0, "{run}");
}

const SHARED: &str = "SharedSync-00000000-1111-2222-3333-444444444444";

#[test]
fn test_download_from_shared_library() {
    let shared = FakeLibrary::with_seed(7).asset(
        FakeAsset::photo("solvej dk.png")
            .date_ms(1_687_219_200_000)
            .size(93124),
    );
    let env = Env::with_account(
        account(fixture_first(2)).shared_library(
            SHARED,
            shared,
            icloud_fake::SharedPlacement::SharedDb,
        ),
        &[],
    );

    let run = env.run(&["--library", SHARED, "--dry-run"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos and videos...")
        .assert_downloading_to(&env, "the first original photo or video")
        .assert_would_download(&env, &["2023/06/20/solvej dk.PNG"])
        .assert_logged("INFO", ALL_DOWNLOADED)
        .assert_no_line_containing("IMG_7409");
    assert!(!env.data().exists(), "{run}");
    assert_eq!(env.downloads(), 0, "{run}");
}

#[test]
fn test_download_and_dedupe_existing_photos() {
    let env = Env::new(fixture_first(5));
    let jpg = env.size("IMG_7409.JPG", "resOriginal");
    let mov = env.size("IMG_7409.JPG", "resOriginalVidCompl");
    env.create(IMG_7409_JPG, 1);
    env.create(IMG_7409_MOV, 1);
    env.create_original(IMG_7408_JPG, "IMG_7408.JPG");
    let mov_7408 = fixture_rel("IMG_7408.MOV");
    env.create_resource(&mov_7408, "IMG_7408.JPG", "resOriginalVidCompl");
    let jpg_dedup = format!("2018/07/31/IMG_7409-{jpg}.JPG");
    let mov_dedup = format!("2018/07/31/IMG_7409-{mov}.MOV");

    let run = env.run(&["--recent", "5", "--skip-videos"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_downloading_to(&env, "5 original photos")
        .assert_logged("DEBUG", &format!("{} deduplicated", env.p(&jpg_dedup)))
        .assert_logged("DEBUG", &format!("{} deduplicated", env.p(&mov_dedup)))
        .assert_skipped_videos(&["IMG_7405.MOV", "IMG_7404.MOV"])
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED);
    let names = [
        "IMG_7407.JPG",
        "IMG_7407.MOV",
        "IMG_7408.JPG",
        "IMG_7408.MOV",
    ];
    let mut want = names.map(fixture_rel).to_vec();
    want.extend([IMG_7409_JPG, IMG_7409_MOV].map(str::to_owned));
    want.extend([jpg_dedup.clone(), mov_dedup.clone()]);
    assert_files(&env, &want, &run);
    assert_eq!(mtime(&env, &jpg_dedup), IMG_7409_SECS);
    assert_eq!(mtime(&env, &mov_dedup), IMG_7409_SECS);
    // The 1-byte files are left alone.
    assert_size(&env, IMG_7409_JPG, 1);
}

#[test]
fn test_resume_download() {
    // Apple's file is 1851 bytes; an earlier run left the first 1234 in the `.part` file.
    let env = Env::new(FakeLibrary::new().asset(fixture_asset(0).size(1851)));
    let part = part_name(&env.checksum("IMG_7409.JPG", "resOriginal"));
    env.create(&format!("2018/07/31/{part}"), 1234);

    let run = env.run(&photos_only("1", &[]));

    run.assert_code(0)
        .assert_downloading_to(&env, "the first original photo")
        .assert_logged(
            "DEBUG",
            &format!("Resuming downloading of {} from 1234", env.p(IMG_7409_JPG)),
        )
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED);
    assert_files(&env, &[IMG_7409_JPG], &run);
    assert_size(&env, IMG_7409_JPG, 617 + 1234);
    assert_eq!(mtime(&env, IMG_7409_JPG), IMG_7409_SECS);
    // Only the missing 617 bytes were asked for; the kept prefix is what the `.part` held.
    let ranges: Vec<String> = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/B/"))
        .filter_map(|r| r.header("range").map(str::to_owned))
        .collect();
    assert_eq!(ranges, ["bytes=1234-"], "{run}");
    let bytes = std::fs::read(env.data().join(IMG_7409_JPG)).unwrap();
    assert!(bytes[..1234].iter().all(|b| *b == 0));
    let apple = env
        .fake
        .version_bytes(USER, "PrimarySync", ROWS[0].asset, "resOriginal")
        .unwrap();
    assert!(bytes[1234..] == apple[1234..]);
}
