//! tests/test_autodelete_photos.py (`--auto-delete`) and tests/test_keep_icloud_mode.py
//! (`--keep-icloud-recent-days`).

use std::collections::BTreeSet;

use super::*;

// ---------------------------------------------------------------------------------------------
// --auto-delete
// ---------------------------------------------------------------------------------------------

/// 2018-07-30 08:48:59 UTC.
const IMG_7406_MS: i64 = 1_532_940_539_000;
/// 2018-07-26 15:20:24 UTC.
const IMG_7383_MS: i64 = 1_532_618_424_000;
/// 2018-07-24 (IMG_7378.PNG).
const IMG_7378_MS: i64 = 1_532_418_000_000;
/// 2018-07-12 04:52:44.630 UTC.
const IMG_7190_MS: i64 = 1_531_371_164_630;

/// `autodelete_photos.yml` in short: IMG_7409 and IMG_7407 in the library; IMG_7406.MOV,
/// IMG_7383.PNG, IMG_7378.PNG and the live photo IMG_7190 (`.HEIC` with `heic`) in Recently
/// Deleted.
fn autodelete_library(heic: bool) -> FakeLibrary {
    let img_7190 = if heic {
        "IMG_7190.HEIC"
    } else {
        "IMG_7190.JPG"
    };
    FakeLibrary::new()
        .asset(fixture_asset(0))
        .asset(fixture_asset(2))
        .asset(
            FakeAsset::video("IMG_7406.MOV")
                .date_ms(IMG_7406_MS)
                .size(5000)
                .deleted(),
        )
        .asset(
            FakeAsset::photo("IMG_7383.PNG")
                .date_ms(IMG_7383_MS)
                .size(3100)
                .deleted(),
        )
        .asset(
            FakeAsset::photo("IMG_7378.PNG")
                .date_ms(IMG_7378_MS)
                .size(3200)
                .deleted(),
        )
        .asset(
            FakeAsset::live(img_7190)
                .date_ms(IMG_7190_MS)
                .size(3300)
                .deleted(),
        )
}

/// Files of deleted assets, with their iCloud sizes (ours removes only those), under
/// `folder(day)`; returns their relative paths.
fn create_deleted(
    env: &Env,
    folder: &dyn Fn(&str) -> String,
    files: &[(&str, &str, &str, &str)],
) -> Vec<String> {
    files
        .iter()
        .map(|(day, file, asset, prefix)| {
            let rel = format!("{}{file}", folder(day));
            env.create_resource(&rel, asset, prefix);
            rel
        })
        .collect()
}

/// The line that opens `--auto-delete`'s pass over Recently Deleted.
const DELETING_RECENTLY_DELETED: &str = "Deleting any files found in 'Recently Deleted'...";

/// The unrelated files Python's test keeps (and must not mention), and ours: a file named like
/// a deleted asset whose size is none of its versions.
const KEPT: [&str; 3] = [
    "2018/07/30/IMG_7407.JPG",
    "2018/07/30/IMG_7407-original.JPG",
    "2018/07/24/IMG_7378.PNG",
];

fn create_kept(env: &Env, flat: bool) -> Vec<String> {
    KEPT.iter()
        .map(|rel| {
            let rel = if flat {
                rel.rsplit('/').next().unwrap().to_owned()
            } else {
                (*rel).to_owned()
            };
            env.create(&rel, 7);
            rel
        })
        .collect()
}

const DEFAULT_FOLDER: fn(&str) -> String = |day| format!("2018/07/{day}/");

/// Runs `--recent 0 --skip-videos --auto-delete <extra>` over `files` (day, name, asset,
/// prefix) and checks what is deleted and what stays.
fn autodelete_case(heic: bool, files: &[(&str, &str, &str, &str)], extra: &[&str], flat: bool) {
    let env = Env::new(autodelete_library(heic));
    let folder: &dyn Fn(&str) -> String = if flat {
        &|_| String::new()
    } else {
        &DEFAULT_FOLDER
    };
    let doomed = create_deleted(&env, folder, files);
    let kept = create_kept(&env, flat);
    let dry = extra.contains(&"--dry-run");
    let mut args = vec!["--recent", "0", "--skip-videos", "--auto-delete"];
    args.extend_from_slice(extra);

    let run = env.run(&args);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_downloading_to(&env, "0 original photos")
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_logged("INFO", DELETING_RECENTLY_DELETED)
        .assert_no_line_containing("IMG_7407")
        .assert_no_line_containing("IMG_7378");
    for rel in &doomed {
        if dry {
            run.assert_logged("INFO", &format!("[DRY RUN] Would delete {}", env.p(rel)))
                .assert_not_logged(&format!("Deleted {}", env.p(rel)));
        } else {
            run.assert_logged("DEBUG", &format!("Deleting {}...", env.p(rel)))
                .assert_logged("INFO", &format!("Deleted {}", env.p(rel)));
        }
    }
    let mut want: BTreeSet<String> = kept.into_iter().collect();
    if dry {
        want.extend(doomed);
    }
    assert_eq!(env.files(), want, "{run}");
    assert_eq!(env.downloads(), 0, "{run}");
}

/// IMG_7406.MOV (a video, despite `--skip-videos`), IMG_7383.PNG, IMG_7190.JPG and its medium.
const PHOTOS: [(&str, &str, &str, &str); 4] = [
    ("30", "IMG_7406.MOV", "IMG_7406.MOV", "resOriginal"),
    ("26", "IMG_7383.PNG", "IMG_7383.PNG", "resOriginal"),
    ("12", "IMG_7190.JPG", "IMG_7190.JPG", "resOriginal"),
    ("12", "IMG_7190-medium.JPG", "IMG_7190.JPG", "resJPEGMed"),
];

/// [`PHOTOS`] and the live video of IMG_7190.
fn photos_lp() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    let mut files = PHOTOS.to_vec();
    files.push(("12", "IMG_7190.MOV", "IMG_7190.JPG", "resOriginalVidCompl"));
    files
}

/// IMG_7406.MOV, IMG_7383.PNG and the live HEIC IMG_7190 with its medium and its video.
const PHOTOS_LP_HEIC: [(&str, &str, &str, &str); 5] = [
    ("30", "IMG_7406.MOV", "IMG_7406.MOV", "resOriginal"),
    ("26", "IMG_7383.PNG", "IMG_7383.PNG", "resOriginal"),
    ("12", "IMG_7190.HEIC", "IMG_7190.HEIC", "resOriginal"),
    ("12", "IMG_7190-medium.JPG", "IMG_7190.HEIC", "resJPEGMed"),
    (
        "12",
        "IMG_7190_HEVC.MOV",
        "IMG_7190.HEIC",
        "resOriginalVidCompl",
    ),
];

cases! { autodelete_case:
    test_autodelete_photos(false, &PHOTOS, &[], false);
    test_autodelete_photos_dry_run(false, &PHOTOS, &["--dry-run"], false);
    test_autodelete_photos_folder_none(false, &PHOTOS, &["--folder-structure", "none"], true);
    test_autodelete_photos_lp(false, &photos_lp(), &[], false);
    test_autodelete_photos_lp_heic(true, &PHOTOS_LP_HEIC, &[], false);
}

/// `download_autodelete_photos_part1/2.yml`: IMG_3589.JPG, 2023-06-07 02:49:27.436 UTC.
fn img_3589() -> FakeLibrary {
    FakeLibrary::new().asset(
        FakeAsset::photo("IMG_3589.JPG")
            .record_names(
                "ASx1bFZqHj+VQe9G0mL2rWk3tPoN",
                "A5A7C0F1-BE37-46D8-9A99-400AD6DC2351",
            )
            .date_ms(1_686_106_167_436)
            .size(2900),
    )
}

#[test]
fn test_download_autodelete_photos() {
    let env = Env::new(img_3589());
    let rel = "2023/06/07/IMG_3589.JPG";

    // Phase 1: download. (Python's test moves the asset to Recently Deleted with
    // `--delete-after-download`; here the files of what this program moved are kept, see
    // `autodelete_keeps_what_this_program_moved`, so the user deletes it on a phone instead.)
    let run = env.run(&["--recent", "1"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos and videos...")
        .assert_downloading_to(&env, "the first original photo or video")
        .assert_downloading(&env, &[rel])
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &[rel], &run);
    let record = env.asset("IMG_3589.JPG").asset_record_name;
    assert!(env.fake.delete_asset(USER, "PrimarySync", &record));

    // Phase 2: the asset is in Recently Deleted now; its file goes.
    let run = env.run(&["--recent", "0", "--auto-delete"]);

    run.assert_code(0)
        .assert_downloading_to(&env, "0 original photos and videos")
        .assert_logged("INFO", ALL_DOWNLOADED)
        .assert_logged("INFO", DELETING_RECENTLY_DELETED)
        .assert_logged("INFO", &format!("Deleted {}", env.p(rel)));
    assert_files(&env, NO_FILES, &run);
}

#[test]
fn autodelete_keeps_what_this_program_moved() {
    // Ours (docs/compatibility.md): Python's auto-delete would now remove the only copy
    // outside Recently Deleted of what `--delete-after-download` moved there.
    let env = Env::new(img_3589());
    let rel = "2023/06/07/IMG_3589.JPG";
    let run = env.run(&["--recent", "1", "--delete-after-download"]);
    run.assert_code(0)
        .assert_deleted_in_icloud(&["IMG_3589.JPG"]);
    assert_files(&env, &[rel], &run);

    let run = env.run(&["--recent", "0", "--auto-delete"]);
    run.assert_code(0)
        .assert_logged("INFO", DELETING_RECENTLY_DELETED);
    assert!(!run.stdout.contains("Deleted /"), "{run}");
    assert_files(&env, &[rel], &run);
}

#[test]
fn autodelete_removes_name_id7_files() {
    // Ours (docs/compatibility.md): auto-delete also knows the names the current policy
    // produces; Python would leave `IMG_3589_<id7>.JPG` behind.
    let env = Env::new(img_3589());
    let rel = "2023/06/07/IMG_3589_QVN4MWJ.JPG";

    let run = env.run(&[&["--recent", "1"][..], &ID7].concat());
    run.assert_code(0);
    assert_files(&env, &[rel], &run);
    let record = env.asset("IMG_3589.JPG").asset_record_name;
    assert!(env.fake.delete_asset(USER, "PrimarySync", &record));

    let run = env.run(&[&["--recent", "0", "--auto-delete"][..], &ID7].concat());
    run.assert_code(0)
        .assert_logged("INFO", &format!("Deleted {}", env.p(rel)));
    assert_files(&env, NO_FILES, &run);
}

// ---------------------------------------------------------------------------------------------
// --keep-icloud-recent-days
// ---------------------------------------------------------------------------------------------

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Whole seconds of the current time, in ms.
fn now_ms() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    secs as i64 * 1000
}

/// The fixture's first four assets, captured relative to now: IMG_7409 2 h ago (0 days old),
/// IMG_7408 5 days 2 h ago, IMG_7407 40 days ago, the video IMG_7405 50 days ago. The cassette
/// mocks "now" instead; the fake cannot.
fn aged(now: i64) -> FakeLibrary {
    let ages = [
        2 * HOUR_MS,
        5 * DAY_MS + 2 * HOUR_MS,
        40 * DAY_MS,
        50 * DAY_MS,
    ];
    fixture_with(4, |i, a| a.date_ms(now - ages[i]))
}

/// Python's `str()` of a UTC datetime with whole seconds.
fn python_str(ms: i64) -> String {
    chrono::DateTime::from_timestamp(ms / 1000, 0)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S+00:00")
        .to_string()
}

/// Relative path of a fixture file captured at `ms` (UTC).
fn dated_path(ms: i64, name: &str) -> String {
    let day = chrono::DateTime::from_timestamp(ms / 1000, 0).unwrap();
    format!("{}/{name}", day.format("%Y/%m/%d"))
}

const KEEP: [&str; 4] = ["--skip-videos", "--skip-live-photos", "--recent", "3"];

fn keep(days: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = KEEP.iter().map(|s| (*s).to_owned()).collect();
    v.extend(["--keep-icloud-recent-days".to_owned(), days.to_owned()]);
    v.extend(extra.iter().map(|s| (*s).to_owned()));
    v
}

fn run_keep(env: &Env, days: &str, extra: &[&str]) -> Run {
    let args = keep(days, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.run(&args)
}

/// The assets of fixture rows `rows`, and no others, were moved to Recently Deleted.
#[track_caller]
fn assert_deleted_rows(env: &Env, run: &Run, rows: &[usize]) {
    let deleted: BTreeSet<String> = env.deleted_in_icloud().into_iter().collect();
    let want: BTreeSet<String> = rows.iter().map(|i| ROWS[*i].asset.to_owned()).collect();
    assert_eq!(deleted, want, "{run}");
}

/// The line sparing `name`, `age` days old, under `--keep-icloud-recent-days`.
fn kept_in_icloud(name: &str, age: u32) -> String {
    format!(
        "Skipping deletion of {name} as it is within the keep_icloud_recent_days period ({age} days old)"
    )
}

/// The stills the `--keep-icloud-recent-days` tests download (of the first three rows).
const STILLS: [&str; 3] = ["IMG_7409.JPG", "IMG_7408.JPG", "IMG_7407.JPG"];

#[test]
fn test_keep_icloud_recent_days_delete_all() {
    let now = now_ms();
    let env = Env::new(aged(now));

    let run = run_keep(&env, "0", &[]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_downloading_to(&env, "3 original photos")
        .assert_logged(
            "DEBUG",
            &format!("Created date: {}", python_str(now - 2 * HOUR_MS)),
        )
        .assert_logged("DEBUG", "Keep iCloud recent days: 0")
        .assert_logged("DEBUG", "Age days: 0")
        .assert_logged("DEBUG", "Age days: 5")
        .assert_logged("DEBUG", "Age days: 40")
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_deleted_in_icloud(&STILLS);
    for name in STILLS {
        run.assert_logged("DEBUG", &format!("Deleting {name} in iCloud..."));
    }
    assert_deleted_rows(&env, &run, &[0, 1, 2]);
    assert_eq!(env.files().len(), 3, "{run}");
}

#[test]
fn test_wide_range_keep_icloud_recent_days() {
    let env = Env::new(aged(now_ms()));

    let run = run_keep(&env, "100", &[]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Keep iCloud recent days: 100");
    for (name, age) in STILLS.into_iter().zip([0, 5, 40]) {
        run.assert_logged("DEBUG", &kept_in_icloud(name, age));
    }
    run.assert_not_deleted_in_icloud(&STILLS);
    assert!(env.deleted_in_icloud().is_empty(), "{run}");
    assert_eq!(env.fake.count("POST", "/records/modify"), 0, "{run}");
}

#[test]
fn test_keep_icloud_recent_days_keeps_some() {
    let env = Env::new(aged(now_ms()));

    let run = run_keep(&env, "1", &[]);

    run.assert_code(0)
        .assert_logged("DEBUG", &kept_in_icloud("IMG_7409.JPG", 0))
        .assert_not_deleted_in_icloud(&["IMG_7409.JPG"])
        .assert_deleted_in_icloud(&["IMG_7408.JPG", "IMG_7407.JPG"]);
    assert_deleted_rows(&env, &run, &[1, 2]);
}

#[test]
fn test_keep_icloud_recent_days_delete_existing() {
    let now = now_ms();
    let env = Env::new(aged(now));
    let ages = [2 * HOUR_MS, 5 * DAY_MS + 2 * HOUR_MS, 40 * DAY_MS];
    for (name, age) in STILLS.into_iter().zip(ages) {
        env.create_original(&dated_path(now - age, name), name);
    }

    let run = run_keep(&env, "0", &[]);

    run.assert_code(0).assert_deleted_in_icloud(&STILLS);
    assert_eq!(env.deleted_in_icloud().len(), 3, "{run}");
    assert_eq!(env.downloads(), 0, "{run}");
}

#[test]
fn test_keep_icloud_recent_days_delete_existing_dry_run() {
    let env = Env::new(aged(now_ms()));

    let run = run_keep(&env, "0", &["--dry-run"]);

    run.assert_code(0)
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_not_deleted_in_icloud(&STILLS);
    for name in STILLS {
        let message = format!("[DRY RUN] Would delete {name} in iCloud library PrimarySync");
        run.assert_logged("INFO", &message);
    }
    assert_eq!(env.fake.count("POST", "/records/modify"), 0, "{run}");
    assert!(!env.data().exists(), "{run}");
}

#[test]
fn test_keep_icloud_recent_days_with_skip_videos() {
    let env = Env::new(aged(now_ms()));

    let run = env.run(&[
        "--skip-videos",
        "--skip-live-photos",
        "--recent",
        "4",
        "--keep-icloud-recent-days",
        "0",
    ]);

    run.assert_code(0)
        .assert_skipped_videos(&["IMG_7405.MOV"])
        .assert_not_deleted_in_icloud(&["IMG_7405.MOV"]);
    assert_deleted_rows(&env, &run, &[0, 1, 2]);
}

#[test]
fn keep_icloud_recent_days_spares_assets_that_failed() {
    // Ours (docs/compatibility.md): an asset whose file is not on disk stays in iCloud.
    let now = now_ms();
    let env = Env::new(aged(now));
    let folder = dated_path(now - 5 * DAY_MS - 2 * HOUR_MS, "");
    env.fail_writes(folder.trim_end_matches('/'), "IMG_7408.JPG", "resOriginal");

    let run = run_keep(&env, "0", &[]);

    run.assert_code(1)
        .assert_could_not_download("IMG_7408.JPG")
        .assert_not_deleted_in_icloud(&["IMG_7408.JPG"])
        .assert_deleted_in_icloud(&["IMG_7409.JPG", "IMG_7407.JPG"]);
    assert_deleted_rows(&env, &run, &[0, 2]);
}

#[test]
fn only_print_filenames_never_deletes_in_icloud() {
    // Python still deletes here (cli.md §6.7); ours has no side effects.
    let env = Env::new(aged(now_ms()));

    let run = run_keep(&env, "0", &["--only-print-filenames"]);

    run.assert_code(0);
    assert_eq!(run.stdout.lines().count(), 3, "{run}");
    assert_eq!(env.fake.count("POST", "/records/modify"), 0, "{run}");
    assert!(!env.data().exists(), "{run}");
}
