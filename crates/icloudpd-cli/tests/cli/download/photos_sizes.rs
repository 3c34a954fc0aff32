//! tests/test_download_photos.py, continued: missing and forced sizes, several sizes, RAW
//! alignment, capture dates and `--skip-created-before` / `--skip-created-after`.

use super::*;

/// Every download answers HTTP 400 `{}` (Python: `--recent 3`, every response not ok): one
/// `Could not find URL …` per file and one `Could not download …` per failed file. Ours asks
/// for a fresh URL and retries with backoff before giving up, so a file takes 15–30 s; the
/// stills and the live videos are checked in two tests that run side by side.
fn missing_size_case(live_videos: bool) {
    let env = Env::with_faults(fixture_first(5), &[Fault::download_error(400, None)]);
    let names = ["IMG_7409", "IMG_7408", "IMG_7407"];
    let ext = if live_videos {
        // The stills are there already: only the live videos are fetched.
        for name in names {
            let jpg = format!("{name}.JPG");
            env.create_original(&fixture_rel(&jpg), &jpg);
        }
        "MOV"
    } else {
        "JPG"
    };
    let mut args = vec!["--recent", "3"];
    if !live_videos {
        args.push("--skip-live-photos");
    }

    let run = env.run(&args);

    // Ours: a run with failed files exits 1 (docs/compatibility.md).
    run.assert_code(1)
        .assert_downloading_to(&env, "3 original photos and videos")
        .assert_logged("INFO", ALL_DOWNLOADED)
        .assert_starting_with_times("Could not find URL", 3);
    for name in names {
        for message in [
            format!("Could not find URL to download {name}.{ext} for size original"),
            format!("Could not download {name}.JPG. Please try again later."),
        ] {
            run.assert_logged("ERROR", &message)
                .assert_logged_times(&message, 1);
        }
    }
    let files = env.files();
    assert!(files.iter().all(|f| f.ends_with(".JPG")), "{run}");
    assert_eq!(files.len(), if live_videos { 3 } else { 0 }, "{run}");
}

cases! { missing_size_case:
    test_missing_size(false);
    test_missing_size_live_videos(true);
}

/// A library whose IMG_7409 lacks the thumb (and, if `medium`, the medium) rendition.
fn without_small(medium: bool) -> FakeLibrary {
    fixture_with(1, |_, a| {
        let a = a.without_resource("resJPEGThumb");
        if medium {
            a.without_resource("resJPEGMed")
        } else {
            a
        }
    })
}

#[test]
fn test_size_fallback_to_original() {
    let env = Env::new(without_small(false));

    let run = env.run(&["--recent", "1", "--size", "thumb", "--skip-live-photos"]);

    run.assert_code(0)
        .assert_downloading_to(&env, "the first thumb photo or video")
        .assert_downloading(&env, &[IMG_7409_JPG])
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &[IMG_7409_JPG], &run);
    assert_eq!(env.downloads(), 1, "{run}");
    assert_size(&env, IMG_7409_JPG, env.size("IMG_7409.JPG", "resOriginal"));
}

#[test]
fn test_adjusted_size_fallback_to_original() {
    // Neither edited nor RAW: no adjusted, no alternative.
    let env = Env::new(fixture_first(1));

    let sizes = ["--size", "adjusted", "--size", "alternative"];
    let run = env.run(&[&["--recent", "1"][..], &sizes, &["--skip-live-photos"]].concat());

    run.assert_code(0)
        .assert_downloading_to(&env, "the first adjusted,alternative photo or video")
        .assert_downloading(&env, &[IMG_7409_JPG])
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &[IMG_7409_JPG], &run);
}

#[test]
fn test_force_size() {
    let env = Env::new(without_small(false));

    let run = env.run(&["--recent", "1", "--size", "thumb", "--force-size"]);

    run.assert_downloading_to(&env, "the first thumb photo or video")
        .assert_logged(
            "ERROR",
            "thumb size does not exist for IMG_7409.JPG. Skipping...",
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    // The still is not downloaded at all; the live video still is (it has its own size).
    assert_files(&env, &[IMG_7409_MOV], &run);
}

/// `<policy> --recent 1 --size medium --size thumb --force-size --skip-live-photos` where
/// IMG_7409 has no medium rendition: only the thumb is downloaded, to `thumb`; `name` is
/// IMG_7409's name in the log.
pub(super) fn two_sizes_with_force_size_case(policy: &[&str], name: &str, thumb: &str) {
    let env = Env::new(fixture_with(1, |_, a| a.without_resource("resJPEGMed")));
    let sizes = ["--size", "medium", "--size", "thumb", "--force-size"];
    let args = [policy, &["--recent", "1"], &sizes, &["--skip-live-photos"]].concat();

    let run = env.run(&args);

    run.assert_downloading_to(&env, "the first medium,thumb photo or video")
        .assert_logged(
            "ERROR",
            &format!("medium size does not exist for {name}. Skipping..."),
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &[thumb], &run);
    assert_eq!(env.downloads(), 1, "{run}");
}

#[test]
fn test_download_two_sizes_with_force_size() {
    let thumb = "2018/07/31/IMG_7409-thumb.JPG";
    two_sizes_with_force_size_case(&[], "IMG_7409.JPG", thumb);
}

#[test]
fn test_download_two_sizes() {
    let env = Env::new(fixture_first(1));

    let run = env.run(&photos_only(
        "1",
        &["--size", "original", "--size", "thumb"],
    ));

    run.assert_code(0)
        .assert_downloading_to(&env, "the first original,thumb photo")
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing("IMG_7409.MOV");
    let thumb = "2018/07/31/IMG_7409-thumb.JPG";
    assert_files(&env, &[thumb, IMG_7409_JPG], &run);
    assert_size(&env, thumb, env.size("IMG_7409.JPG", "resJPEGThumb"));
}

/// Runs `--recent 1 --skip-videos --skip-live-photos <args>` over a library of `asset` alone,
/// in the place of IMG_7409, and checks the files.
fn raw_case(asset: FakeAsset, args: &[&str], header: &str, want: &[&str]) {
    let env = Env::new(FakeLibrary::new().asset(as_img_7409(asset).size(2500)));

    let run = env.run(&photos_only("1", args));

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_downloading_to(&env, &format!("the first {header} photo"))
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing("IMG_7409.MOV");
    assert_files(&env, want, &run);
}

const CR2: &str = "2018/07/31/IMG_7409.CR2";

/// A RAW with a JPEG alternative.
fn cr2() -> FakeAsset {
    FakeAsset::raw_plus_jpeg("IMG_7409.CR2")
}

const ORIG_ALT: [&str; 4] = ["--size", "original", "--size", "alternative"];
const ORIG_ADJ: [&str; 4] = ["--size", "original", "--size", "adjusted"];
const ADJ_ORIG_ALT: [&str; 6] = [
    "--size",
    "adjusted",
    "--size",
    "original",
    "--size",
    "alternative",
];

cases! { raw_case:
    /// A ProRAW DNG without alternative.
    test_download_raw_photos(
        FakeAsset::photo("IMG_7409.DNG"), &[], "original", &["2018/07/31/IMG_7409.DNG"]
    );
    test_download_raw_alt_photos(
        cr2(), &ORIG_ALT, "original,alternative", &[CR2, IMG_7409_JPG]
    );
    /// RAW + JPEG alternative + edited JPEG: the adjusted JPEG only.
    test_download_raw_photos_policy_alt_with_adj(
        cr2().edited(), &["--size", "adjusted", "--align-raw", "alternative"], "adjusted",
        &[IMG_7409_JPG],
    );
    test_download_raw_photos_policy_orig(
        cr2(), &["--align-raw", "original"], "original", &[CR2]
    );
    test_download_raw_photos_policy_as_is(
        cr2(), &["--align-raw", "as-is"], "original", &[CR2]
    );
    /// cli.md §5.6: `--align-raw alternative` (default size) → the JPEG.
    raw_alt_policy_alternative_swaps_the_jpeg_in(
        cr2(), &["--align-raw", "alternative"], "original", &[IMG_7409_JPG]
    );
    /// cli.md §5.6: edited CR2+JPEG, `--size adjusted --size original --size alternative`.
    raw_alt_adjusted_original_alternative_disambiguates(
        cr2().edited(), &ADJ_ORIG_ALT, "adjusted,original,alternative",
        &["2018/07/31/IMG_7409-alternative.JPG", CR2, IMG_7409_JPG],
    );
    /// cli.md §5.6: JPEG + JPEG edit, `--size original --size adjusted`.
    edited_jpeg_gets_an_adjusted_suffix(
        FakeAsset::photo("IMG_7409.JPG").edited(), &ORIG_ADJ, "original,adjusted",
        &["2018/07/31/IMG_7409-adjusted.JPG", IMG_7409_JPG],
    );
    /// cli.md §5.6: HEIC + JPEG edit → IMG_7409.HEIC and IMG_7409.JPG.
    edited_heic_keeps_both_names(
        FakeAsset::photo("IMG_7409.HEIC").edited(), &ORIG_ADJ, "original,adjusted",
        &["2018/07/31/IMG_7409.HEIC", IMG_7409_JPG],
    );
}

/// `--recent 1 --skip-live-photos` over a fixture whose IMG_7409 is captured at `ms`, into the
/// folder of the capture date; `check_mtime` also checks the modification time (file systems
/// clamp times before 1901).
fn date_case(ms: i64, folder: &str, check_mtime: bool) {
    let env = Env::new(fixture_with(1, |_, a| a.date_ms(ms)));

    let run = env.run(&["--recent", "1", "--skip-live-photos"]);

    let rel = format!("{folder}/IMG_7409.JPG");
    run.assert_code(0)
        .assert_downloading(&env, &[&rel])
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &[&rel], &run);
    if check_mtime {
        assert_eq!(mtime(&env, &rel), ms.div_euclid(1000), "{run}");
    }
}

cases! { date_case:
    /// 1965-01-01 00:00:00 UTC.
    test_creation_date_prior_1970(-157_766_400_000, "1965/01/01", true);
    /// 0005-01-01 00:00:00 UTC: glibc's %Y renders the year as `5`.
    test_creation_date_without_century(-62_009_366_400_000, "5/01/01", false);
}

/// The line skipping `name`, created at `at` (UTC, to the millisecond), for being `side`
/// (`before`/`after`) 2018-07-31.
fn created(name: &str, at: &str, side: &str) -> String {
    format!("Skipping {name}, as it was created {at}000+00:00, {side} 2018-07-31 00:00:00+00:00.")
}

#[test]
fn test_download_and_skip_old() {
    let env = Env::new(fixture_first(5));

    let skip = ["--set-exif-datetime", "--skip-created-before", "2018-07-31"];
    let run = env.run(&photos_only("5", &skip));

    run.assert_code(0)
        .assert_downloading_to(&env, "5 original photos")
        .assert_downloading(&env, &[IMG_7409_JPG])
        .assert_skipped_videos(&["IMG_7405.MOV"])
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing("IMG_7409.MOV");
    for (name, at) in [
        ("IMG_7407.JPG", "2018-07-30 11:44:05.108"),
        ("IMG_7408.JPG", "2018-07-30 11:44:10.176"),
    ] {
        run.assert_logged("DEBUG", &created(name, at, "before"));
    }
    assert_files(&env, &[IMG_7409_JPG], &run);
    assert_eq!(mtime(&env, IMG_7409_JPG), IMG_7409_SECS);
}

#[test]
fn test_download_and_skip_new() {
    let env = Env::new(fixture_first(2));

    let skip = ["--set-exif-datetime", "--skip-created-after", "2018-07-31"];
    let run = env.run(&photos_only("1", &skip));

    let skipped = created("IMG_7409.JPG", "2018-07-31 07:22:24.816", "after");
    run.assert_code(0)
        .assert_downloading_to(&env, "the first original photo")
        .assert_logged("DEBUG", &skipped)
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing("IMG_7409.MOV");
    assert_files(&env, NO_FILES, &run);
}
