//! tests/test_download_photos.py (default file-match policy `name-size-dedup-with-suffix`).

use super::*;

/// Pre-creates IMG_7408.JPG and IMG_7407.JPG with their iCloud sizes.
fn create_7408_7407(env: &Env) {
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

/// IMG_7409 passed through `edit`, IMG_7408.JPG and IMG_7407.JPG already there:
/// `--recent 5 --skip-videos --skip-live-photos` writes IMG_7409 as `rel`.
fn first_renamed_case(edit: fn(FakeAsset) -> FakeAsset, rel: &str) {
    let env = Env::new(fixture_editing_first(5, edit));
    create_7408_7407(&env);

    let run = env.run(&photos_only("5", &[]));

    run.assert_code(0);
    assert_files(&env, &[IMG_7407_JPG, IMG_7408_JPG, rel], &run);
}

cases! { first_renamed_case:
    /// `i/n v:a\0l*i?d\p<a>t"h|.JPG`.
    test_download_normalized_names(
        |a| a.filename_raw_b64("aS9uIHY6YQBsKmk/ZFxwPGE+dCJofC5KUEc="),
        "2018/07/31/i_n v_a_l_i_d_p_a_t_h_.JPG",
    );
    test_download_filename_string_encoding(FakeAsset::filename_as_string, IMG_7409_JPG);
}

/// IMG_7409 passed through `edit` is still downloaded as a photo with `--skip-live-photos`.
fn missing_item_type_case(edit: fn(FakeAsset) -> FakeAsset) {
    let env = Env::new(fixture_editing_first(2, edit));

    let run = env.run(&["--recent", "1", "--skip-live-photos"]);

    run.assert_code(0);
    assert_files(&env, &[IMG_7409_JPG], &run);
}

cases! { missing_item_type_case:
    test_missing_item_type(FakeAsset::without_item_type);
    test_missing_item_type_value(FakeAsset::item_type_without_value);
}

/// Python crashes on a `filenameEnc` that does not decode; we report that asset as failed
/// (one ERROR line), download the others and exit 1 (docs/compatibility.md).
fn bad_filename_case(raw_b64: &str) {
    let env = Env::new(fixture_editing_first(5, |a| a.filename_raw_b64(raw_b64)));

    let run = env.run(&photos_only("5", &[]));

    run.assert_code(1)
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED);
    assert_eq!(run.messages_at("ERROR").len(), 1, "one ERROR line\n{run}");
    assert_files(&env, &[IMG_7407_JPG, IMG_7408_JPG], &run);
}

cases! { bad_filename_case:
    test_download_bad_filename_base64_encoding("aS9uIHY6YQBsKmk/ZFxwPGE+dCJofC5KUE");
    /// `abcdefgh` decodes to bytes that are not UTF-8.
    test_download_bad_filename_utf8_encoding("abcdefgh");
}

#[test]
fn missing_download_url_fails_that_asset_only() {
    // Python prints a KeyError block and writes icloudpd-photo-error.json; ours reports the
    // asset as failed and downloads the others (docs/compatibility.md).
    let env = Env::new(fixture_editing_first(3, FakeAsset::without_download_url));

    let run = env.run(&["--recent", "3", "--skip-live-photos"]);

    run.assert_code(1).assert_logged("INFO", ALL_DOWNLOADED);
    assert!(
        run.messages_at("ERROR")
            .iter()
            .any(|m| m.contains("downloadURL")),
        "an ERROR line says what is missing\n{run}"
    );
    assert_files(&env, &[IMG_7407_JPG, IMG_7408_JPG], &run);
}

#[test]
fn test_handle_io_error() {
    // The temporary file is a link to /dev/full: every write fails with ENOSPC (as root, a
    // read-only folder would not stop us).
    let env = Env::new(fixture_first(1));
    let part = env.fail_writes("2018/07/31", "IMG_7409.JPG", "resOriginal");

    let run = env.run(&photos_only("1", &[]));

    // Ours: exit 1 for a failed file (docs/compatibility.md).
    run.assert_code(1)
        .assert_downloading_to(&env, "the first original photo")
        .assert_logged(
            "ERROR",
            &format!(
                "IOError while writing file to {}. You might have run out of disk space, or the file might be too large for your OS. Skipping this file...",
                env.p(IMG_7409_JPG)
            ),
        )
        .assert_could_not_download("IMG_7409.JPG")
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED);
    assert_files(&env, &[&part], &run);
}

#[test]
fn test_handle_io_error_mkdir() {
    // A file stands where the folder 2018/07/31 must be created. Python logs only `Could not
    // create folder …` (download_media returns before its retry loop); ours exits 1.
    let env = Env::new(fixture_first(1));
    env.create("2018/07/31", 0);

    let run = env.run(&photos_only("1", &[]));

    run.assert_code(1)
        .assert_logged(
            "ERROR",
            &format!("Could not create folder {}", env.p("2018/07/31")),
        )
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED);
    assert_files(&env, &["2018/07/31"], &run);
}

#[test]
fn test_handle_session_error_during_photo_iteration() {
    // A clean run's CloudKit requests end with the listing pages, the last one empty. Here the
    // web session expires right before that last page, while the assets of the first are
    // being downloaded. Python ends the run (exit 1); we sign in again and go on
    // (docs/compatibility.md).
    let clean = Env::new(fixture());
    clean.run(&["--skip-live-photos"]).assert_code(0);
    let cloudkit = clean.requests_under("/database/");
    let env = Env::with_faults(fixture(), &[Fault::expire_session_after(cloudkit - 1)]);

    let run = env.run(&["--skip-live-photos"]);

    run.assert_code(0)
        .assert_logged_times("Session error, re-authenticating...", 1)
        .assert_logged("INFO", ALL_DOWNLOADED);
    let want: Vec<String> = ROWS.iter().map(|r| fixture_rel(r.name)).collect();
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    assert_files(&env, &want, &run);
    // Nothing was fetched twice.
    assert_eq!(env.downloads(), ROWS.len(), "{run}");
}

#[test]
fn test_download_and_delete_after() {
    let env = Env::new(fixture_first(2));

    let run = env.run(&photos_only("1", &["--delete-after-download"]));

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_downloading_to(&env, "the first original photo")
        .assert_logged("DEBUG", "Deleting IMG_7409.JPG in iCloud...")
        .assert_deleted_in_icloud(&["IMG_7409.JPG"])
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED);
    assert_files(&env, &[IMG_7409_JPG], &run);
    assert_eq!(env.deleted_in_icloud(), [ROWS[0].asset], "{run}");
    let deleted = env
        .fake
        .expected_listing(USER, "PrimarySync", Some("Recently Deleted"));
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].asset_record_name, ROWS[0].asset);
}

#[test]
fn test_download_and_not_delete_after_when_exists() {
    let env = Env::new(fixture_first(2));
    env.create_original(IMG_7409_JPG, "IMG_7409.JPG");

    let run = env.run(&photos_only("1", &["--delete-after-download"]));

    run.assert_code(0)
        .assert_not_deleted_in_icloud(&["IMG_7409.JPG"])
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED);
    assert!(env.deleted_in_icloud().is_empty(), "{run}");
}

#[test]
fn test_download_and_delete_after_fail() {
    // Python's cassette answers the download with HTTP 400 (that message is checked in
    // test_missing_size); here the write fails, which needs no retries.
    let env = Env::new(fixture_first(2));
    let part = env.fail_writes("2018/07/31", "IMG_7409.JPG", "resOriginal");

    let run = env.run(&photos_only("1", &["--delete-after-download"]));

    run.assert_code(1)
        .assert_downloading_to(&env, "the first original photo")
        .assert_could_not_download("IMG_7409.JPG")
        .assert_not_logged("Deleting IMG_7409.JPG in iCloud...")
        .assert_not_deleted_in_icloud(&["IMG_7409.JPG"])
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED);
    assert!(env.deleted_in_icloud().is_empty(), "{run}");
    assert_files(&env, &[&part], &run);
}

#[test]
fn test_download_after_delete_dry_run() {
    let env = Env::new(fixture_first(2));

    let run = env.run(&photos_only("1", &["--dry-run", "--delete-after-download"]));

    run.assert_code(0)
        .assert_downloading_to(&env, "the first original photo")
        .assert_would_download(&env, &[IMG_7409_JPG])
        .assert_logged(
            "INFO",
            "[DRY RUN] Would delete IMG_7409.JPG in iCloud library PrimarySync",
        )
        .assert_not_deleted_in_icloud(&["IMG_7409.JPG"])
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED);
    assert!(env.deleted_in_icloud().is_empty(), "{run}");
    assert_eq!(env.fake.count("POST", "/records/modify"), 0, "{run}");
    assert_files(&env, NO_FILES, &run);
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
