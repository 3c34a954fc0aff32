//! Live photos (test_download_live_photos*.py), videos (test_download_videos.py), folder
//! structure (test_folder_structure.py), `--recent … --only-print-filenames`
//! (test_listing_recent_photos.py) and issue 1220.

use super::*;

/// `download_live_photos.yml`, synthesized (cli.md §14): 2020-11-04, a HEIC still and two HEIC
/// live photos whose masters encode to the id7s `QVcwekp`, `QVZtSTE` and `QWRFR00`.
fn live_heic() -> FakeLibrary {
    FakeLibrary::new()
        .asset(
            FakeAsset::photo("IMG_0516.HEIC")
                .record_names(
                    "AW0zJa4Lq6HF8mNJXyKuT2vP1sQ0",
                    "1E1A4F5C-2C37-4AB6-9E0B-4E6C5A1D0516",
                )
                .date_ms(1_604_451_600_000)
                .size(4100),
        )
        .asset(
            FakeAsset::live("IMG_0514.HEIC")
                .record_names(
                    "AVmI10rRt8C5kPq0Xw3nYzLhE7dG",
                    "2B2B5A6D-3D48-4BC7-8F1C-5F7D6B2E0514",
                )
                .date_ms(1_604_451_540_000)
                .size(4200),
        )
        .asset(
            FakeAsset::live("IMG_0512.HEIC")
                .record_names(
                    "AdEGM0p2sK9wQx4TnV6bYcJ1hR8u",
                    "3C3C6B7E-4E59-4CD8-9A2D-6A8E7C3F0512",
                )
                .date_ms(1_604_451_480_000)
                .size(4300),
        )
}

/// The files of [`live_heic`] by default: the two on disk in the `test_skip_existing_*` tests,
/// then the three left to download, in listing order.
const LIVE_HEIC_FILES: [&str; 5] = [
    "2020/11/04/IMG_0516.HEIC",
    "2020/11/04/IMG_0514_HEVC.MOV",
    "2020/11/04/IMG_0514.HEIC",
    "2020/11/04/IMG_0512.HEIC",
    "2020/11/04/IMG_0512_HEVC.MOV",
];

/// [`LIVE_HEIC_FILES`] under `--file-match-policy name-id7`.
const LIVE_HEIC_FILES_ID7: [&str; 5] = [
    "2020/11/04/IMG_0516_QVcwekp.HEIC",
    "2020/11/04/IMG_0514_QVZtSTE_HEVC.MOV",
    "2020/11/04/IMG_0514_QVZtSTE.HEIC",
    "2020/11/04/IMG_0512_QWRFR00.HEIC",
    "2020/11/04/IMG_0512_QWRFR00_HEVC.MOV",
];

#[test]
fn test_skip_existing_downloads_for_live_photos() {
    let env = Env::new(live_heic());

    let run = env.run(&["--recent", "3"]);

    run.assert_code(0).assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &LIVE_HEIC_FILES, &run);
}

/// IMG_0516.HEIC and IMG_0514_HEVC.MOV on disk with their iCloud sizes.
fn create_some_live(env: &Env) {
    let [heic_0516, mov_0514, ..] = LIVE_HEIC_FILES;
    env.create_original(heic_0516, "IMG_0516.HEIC");
    env.create_resource(mov_0514, "IMG_0514.HEIC", "resOriginalVidCompl");
}

/// IMG_0516 and IMG_0514's live video on disk under name-id7 (1 byte: any size will do).
fn create_some_live_id7(env: &Env) {
    for rel in &LIVE_HEIC_FILES_ID7[..2] {
        env.create(rel, 1);
    }
}

#[test]
fn test_skip_existing_live_photodownloads() {
    let env = Env::new(live_heic());
    create_some_live(&env);

    let run = env.run(&["--recent", "3"]);

    run.assert_code(0)
        .assert_downloading_to(&env, "3 original photos and videos");
    let (existing, downloaded) = LIVE_HEIC_FILES.split_at(2);
    assert_synced(&env, &run, existing, downloaded);
    assert_eq!(env.downloads(), 3, "{run}");
}

#[test]
fn test_skip_existing_live_photo_print_filenames() {
    let env = Env::new(live_heic());
    create_some_live(&env);

    let run = env.run(&["--recent", "3", "--only-print-filenames"]);

    run.assert_code(0)
        .assert_printed(&env, &LIVE_HEIC_FILES[2..]);
    assert_eq!(env.downloads(), 0, "{run}");
    assert_eq!(env.files().len(), 2, "{run}");
}

#[test]
fn test_skip_existing_live_photodownloads_name_id7() {
    let env = Env::new(live_heic());
    create_some_live_id7(&env);

    let run = env.run(&["--recent", "3", "--file-match-policy", "name-id7"]);

    run.assert_code(0);
    assert_files(&env, &LIVE_HEIC_FILES_ID7, &run);
    assert_eq!(env.downloads(), 3, "{run}");
}

#[test]
fn test_skip_existing_live_photo_print_filenames_name_id7() {
    let env = Env::new(live_heic());
    create_some_live_id7(&env);

    let run = env.run(&[&["--recent", "3", "--only-print-filenames"][..], &ID7].concat());

    run.assert_code(0)
        .assert_printed(&env, &LIVE_HEIC_FILES_ID7[2..]);
}

#[test]
fn live_video_sizes_and_policies() {
    // cli.md §5.7: `--live-photo-size medium` appends `-medium`; the `original` policy names a
    // HEIC's video `.MOV`; medium/thumb of a HEIC are JPEGs.
    let env = Env::new(live_heic());

    let medium = ["--live-photo-size", "medium", "--size", "medium"];
    let run = env.run(&[&["--recent", "2"][..], &medium].concat());
    run.assert_code(0);
    let want = [
        "IMG_0514-medium.JPG",
        "IMG_0514_HEVC-medium.MOV",
        "IMG_0516-medium.JPG",
    ];
    assert_files(&env, &want.map(|name| format!("2020/11/04/{name}")), &run);

    let policy = ["--live-photo-mov-filename-policy", "original"];
    let run = env.run(&[&["--recent", "2"][..], &policy].concat());
    run.assert_code(0);
    assert!(env.files().contains("2020/11/04/IMG_0514.MOV"), "{run}");
}

#[test]
fn test_download_and_skip_existing_videos() {
    let env = Env::new(fixture_first(8));

    let run = env.run(&["--recent", "4", "--skip-photos", "--set-exif-datetime"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all videos...")
        .assert_downloading_to(&env, "4 original videos")
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7409.JPG, only downloading videos. (Item type was: IMAGE)",
        )
        .assert_logged("INFO", "All videos have been downloaded")
        .assert_no_line_containing("Setting EXIF");
    assert_files(&env, &["2018/07/30/IMG_7405.MOV"], &run);
}

#[test]
fn video_medium_size() {
    // cli.md §5.6: video `IMG_7405.MOV`, `--size medium` → `IMG_7405-medium.MOV` (resVidMed).
    let env = Env::new(FakeLibrary::new().asset(fixture_asset(3)));

    let run = env.run(&["--size", "medium"]);

    let rel = "2018/07/30/IMG_7405-medium.MOV";
    run.assert_code(0);
    assert_files(&env, &[rel], &run);
    assert_size(&env, rel, env.size("IMG_7405.MOV", "resVidMed"));
}

/// The 8 files of `--recent 5 --only-print-filenames` (cli.md §6.7), in order.
const RECENT_5: [&str; 8] = [
    "IMG_7409.JPG",
    "IMG_7409.MOV",
    "IMG_7408.JPG",
    "IMG_7408.MOV",
    "IMG_7407.JPG",
    "IMG_7407.MOV",
    "IMG_7405.MOV",
    "IMG_7404.MOV",
];

#[test]
fn test_listing_recent_photos() {
    let env = Env::new(fixture());

    let run = env.run(&["--recent", "5", "--only-print-filenames"]);

    run.assert_code(0)
        .assert_printed(&env, &RECENT_5.map(fixture_rel));
    // Nothing is created, not even the folders.
    assert!(!env.data().exists(), "{run}");
    assert_eq!(env.downloads(), 0, "{run}");
}

#[test]
fn test_folder_structure_none() {
    let env = Env::new(fixture());

    let run = env.run(&[
        "--recent",
        "5",
        "--only-print-filenames",
        "--folder-structure=none",
    ]);

    run.assert_code(0).assert_printed(&env, &RECENT_5);
}

#[test]
fn test_folder_structure_de_de_locale() {
    let env = Env::new(fixture());

    let run = env.run_env(
        &[
            "--recent",
            "5",
            "--only-print-filenames",
            "--folder-structure={:%Y/%B}",
            "--use-os-locale",
        ],
        &[("LC_ALL", "de_DE.UTF-8")],
    );

    run.assert_code(0)
        .assert_printed(&env, &RECENT_5.map(|name| format!("2018/Juli/{name}")));
}

#[test]
fn folder_structure_month_names_are_english_without_use_os_locale() {
    let env = Env::new(fixture_first(1));

    let run = env.run_env(
        &["--skip-live-photos", "--folder-structure={:%Y/%B}"],
        &[("LC_ALL", "de_DE.UTF-8")],
    );

    run.assert_code(0);
    assert_files(&env, &["2018/July/IMG_7409.JPG"], &run);
}

#[test]
fn test_folder_structure_bad_format() {
    let env = Env::new(fixture());

    let run = env.run(&["--recent", "5", "--folder-structure={%Y}{%Y}"]);

    run.assert_code(2);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("Format")
                && l.contains("specified in --folder-structure is incorrect")),
        "{run}"
    );
    assert_eq!(
        env.fake.count("POST", "/signin/init"),
        0,
        "no sign-in\n{run}"
    );
}

#[test]
fn test_listing_recent_photos_with_missing_filename_enc() {
    let env = Env::new(fixture_with(5, |i, a| {
        if i == 0 || i == 2 {
            a.without_filename()
        } else {
            a
        }
    }));

    let run = env.run(&["--recent", "5", "--only-print-filenames"]);

    run.assert_code(0);
    let got: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        got[..5],
        [
            env.p("2018/07/31/AY6c_BsE0jja.JPG"),
            env.p("2018/07/31/AY6c_BsE0jja.MOV"),
            env.p("2018/07/30/IMG_7408.JPG"),
            env.p("2018/07/30/IMG_7408.MOV"),
            env.p("2018/07/30/AZ_wAGT9P6jh.JPG"),
        ],
        "{run}"
    );
}

#[test]
fn test_listing_recent_photos_with_missing_download_url() {
    // Python prints a KeyError block and skips the asset; ours reports the asset as failed
    // (exit 1) and lists the others (docs/compatibility.md).
    let env = Env::new(fixture_editing_first(2, FakeAsset::without_download_url));

    let run = env.run(&["--recent", "2", "--only-print-filenames"]);

    run.assert_code(1);
    assert!(
        run.stdout.contains(&env.p("2018/07/30/IMG_7408.JPG")),
        "{run}"
    );
    assert!(!env.data().exists(), "{run}");
}

#[test]
fn test_issue_1220_only_print_filenames_dedup() {
    let env = Env::new(fixture_first(5));
    env.create(IMG_7409_MOV, 100);
    let mov = env.size("IMG_7409.JPG", "resOriginalVidCompl");

    let run = env.run(&[
        "--recent",
        "3",
        "--only-print-filenames",
        "--file-match-policy",
        "name-size-dedup-with-suffix",
    ]);

    let mut want: Vec<String> = RECENT_5[..6].iter().map(|n| fixture_rel(n)).collect();
    want[1] = format!("2018/07/31/IMG_7409-{mov}.MOV");
    run.assert_code(0).assert_printed(&env, &want);
    assert_files(&env, &[IMG_7409_MOV], &run);
    assert_size(&env, IMG_7409_MOV, 100);
    assert_eq!(env.downloads(), 0, "{run}");
}
