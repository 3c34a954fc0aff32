//! tests/test_download_photos.py (default file-match policy `name-size-dedup-with-suffix`).

use super::*;

/// `--recent 5 --skip-videos --skip-live-photos --set-exif-datetime`, the arguments several
/// tests of the Python file share.
const PHOTOS_ONLY_5: [&str; 5] = [
    "--recent",
    "5",
    "--skip-videos",
    "--skip-live-photos",
    "--set-exif-datetime",
];

/// Pre-creates IMG_7408.JPG and IMG_7407.JPG with their iCloud sizes.
fn create_7408_7407(env: &Env) {
    env.create(
        "2018/07/30/IMG_7408.JPG",
        env.size("IMG_7408.JPG", "resOriginal"),
    );
    env.create(
        "2018/07/30/IMG_7407.JPG",
        env.size("IMG_7407.JPG", "resOriginal"),
    );
}

#[test]
fn test_download_and_skip_existing_photos() {
    let env = Env::new(fixture_with(5, |_, a| a));
    create_7408_7407(&env);

    let run = env.run(&PHOTOS_ONLY_5);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_logged(
            "INFO",
            &format!("Downloading 5 original photos to {} ...", env.p("")),
        )
        .assert_logged(
            "DEBUG",
            &format!("Downloading {}...", env.p("2018/07/31/IMG_7409.JPG")),
        )
        .assert_logged(
            "DEBUG",
            &format!("{} already exists", env.p("2018/07/30/IMG_7408.JPG")),
        )
        .assert_logged(
            "DEBUG",
            &format!("{} already exists", env.p("2018/07/30/IMG_7407.JPG")),
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7405.MOV, only downloading photos. (Item type was: MOVIE)",
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7404.MOV, only downloading photos. (Item type was: MOVIE)",
        )
        .assert_logged("INFO", "All photos have been downloaded")
        .assert_no_line_containing("IMG_7409.MOV");
    assert_files(
        &env,
        &[
            "2018/07/30/IMG_7407.JPG",
            "2018/07/30/IMG_7408.JPG",
            "2018/07/31/IMG_7409.JPG",
        ],
        &run,
    );
    assert_eq!(mtime(&env, "2018/07/31/IMG_7409.JPG"), IMG_7409_SECS);
    assert_eq!(env.downloads(), 1, "{run}");
}

#[test]
fn test_skip_existing_downloads() {
    let env = Env::new(fixture_with(2, |_, a| a));
    env.create(
        "2018/07/31/IMG_7409.JPG",
        env.size("IMG_7409.JPG", "resOriginal"),
    );
    env.create(
        "2018/07/31/IMG_7409.MOV",
        env.size("IMG_7409.JPG", "resOriginalVidCompl"),
    );

    let run = env.run(&["--recent", "1"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos and videos...")
        .assert_logged(
            "INFO",
            &format!(
                "Downloading the first original photo or video to {} ...",
                env.p("")
            ),
        )
        .assert_logged(
            "DEBUG",
            &format!("{} already exists", env.p("2018/07/31/IMG_7409.JPG")),
        )
        .assert_logged(
            "DEBUG",
            &format!("{} already exists", env.p("2018/07/31/IMG_7409.MOV")),
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(
        &env,
        &["2018/07/31/IMG_7409.JPG", "2018/07/31/IMG_7409.MOV"],
        &run,
    );
    assert_eq!(env.downloads(), 0, "{run}");
}

#[test]
fn test_download_over_old_original_photos() {
    let env = Env::new(fixture_with(5, |_, a| a));
    env.create(
        "2018/07/30/IMG_7408-original.JPG",
        env.size("IMG_7408.JPG", "resOriginal"),
    );
    env.create(
        "2018/07/30/IMG_7407.JPG",
        env.size("IMG_7407.JPG", "resOriginal"),
    );

    let run = env.run(&PHOTOS_ONLY_5);

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!("Downloading 5 original photos to {} ...", env.p("")),
        )
        // Python names the regular path, not the legacy file that stands in for it.
        .assert_logged(
            "DEBUG",
            &format!("{} already exists", env.p("2018/07/30/IMG_7408.JPG")),
        )
        .assert_logged("INFO", "All photos have been downloaded")
        .assert_no_line_containing("IMG_7409.MOV");
    assert_files(
        &env,
        &[
            "2018/07/30/IMG_7407.JPG",
            "2018/07/30/IMG_7408-original.JPG",
            "2018/07/31/IMG_7409.JPG",
        ],
        &run,
    );
    assert_eq!(mtime(&env, "2018/07/31/IMG_7409.JPG"), IMG_7409_SECS);
}

#[test]
fn test_download_photos_and_set_exif() {
    let env = Env::new(fixture_with(5, |_, a| a));
    create_7408_7407(&env);

    let run = env.run(&["--recent", "4", "--set-exif-datetime"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos and videos...")
        .assert_logged(
            "INFO",
            &format!(
                "Downloading 4 original photos and videos to {} ...",
                env.p("")
            ),
        )
        .assert_logged(
            "DEBUG",
            &format!("Downloading {}...", env.p("2018/07/31/IMG_7409.JPG")),
        )
        .assert_logged(
            "DEBUG",
            &format!(
                "Setting EXIF timestamp for {}: 2018-07-31 07:22:24+0000",
                env.p("2018/07/31/IMG_7409.JPG")
            ),
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(
        &env,
        &[
            "2018/07/30/IMG_7405.MOV",
            "2018/07/30/IMG_7407.JPG",
            "2018/07/30/IMG_7407.MOV",
            "2018/07/30/IMG_7408.JPG",
            "2018/07/30/IMG_7408.MOV",
            "2018/07/31/IMG_7409.JPG",
            "2018/07/31/IMG_7409.MOV",
        ],
        &run,
    );
    // Only JPEGs are dated through EXIF.
    assert_eq!(
        run.messages()
            .iter()
            .filter(|m| m.starts_with("Setting EXIF"))
            .count(),
        1,
        "{run}"
    );
}

#[test]
fn test_download_one_recent_live_photo() {
    let env = Env::new(fixture_with(2, |_, a| a));

    let run = env.run(&["--recent", "1"]);

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!(
                "Downloading the first original photo or video to {} ...",
                env.p("")
            ),
        )
        .assert_logged(
            "INFO",
            &format!("Downloaded {}", env.p("2018/07/31/IMG_7409.JPG")),
        )
        .assert_logged(
            "INFO",
            &format!("Downloaded {}", env.p("2018/07/31/IMG_7409.MOV")),
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(
        &env,
        &["2018/07/31/IMG_7409.JPG", "2018/07/31/IMG_7409.MOV"],
        &run,
    );
    // The bytes are Apple's and both files carry the creation time.
    let listing = env.listing();
    for (rel, prefix) in [
        ("2018/07/31/IMG_7409.JPG", "resOriginal"),
        ("2018/07/31/IMG_7409.MOV", "resOriginalVidCompl"),
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

/// `SU1HX+S4reaWh183NDA5LkpQRw==` = `IMG_中文_7409.JPG`.
fn chinese() -> FakeLibrary {
    fixture_with(2, |i, a| {
        if i == 0 {
            FakeAsset::live("IMG_中文_7409.JPG")
                .record_names(ROWS[0].master, ROWS[0].asset)
                .date_ms(ROWS[0].date_ms)
                .size(2000)
        } else {
            a
        }
    })
}

#[test]
fn test_download_one_recent_live_photo_chinese() {
    let env = Env::new(chinese());

    let run = env.run(&["--recent", "1", "--keep-unicode-in-filenames"]);

    run.assert_code(0).assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(
        &env,
        &[
            "2018/07/31/IMG_中文_7409.JPG",
            "2018/07/31/IMG_中文_7409.MOV",
        ],
        &run,
    );
}

#[test]
fn chinese_names_lose_their_unicode_by_default() {
    let env = Env::new(chinese());

    let run = env.run(&["--recent", "1"]);

    run.assert_code(0).assert_logged(
        "INFO",
        &format!("Downloaded {}", env.p("2018/07/31/IMG__7409.JPG")),
    );
    assert_files(
        &env,
        &["2018/07/31/IMG__7409.JPG", "2018/07/31/IMG__7409.MOV"],
        &run,
    );
}

#[test]
fn test_download_chinese() {
    let env = Env::new(fixture_with(2, |_, a| a)).data_at("中文/data");

    let run = env.run(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
        "--set-exif-datetime",
    ]);

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!("Downloading the first original photo to {} ...", env.p("")),
        )
        .assert_logged("INFO", "All photos have been downloaded")
        .assert_no_line_containing("IMG_7409.MOV");
    assert!(env.p("").contains("中文"));
    assert_files(&env, &["2018/07/31/IMG_7409.JPG"], &run);
    assert_eq!(mtime(&env, "2018/07/31/IMG_7409.JPG"), IMG_7409_SECS);
}

#[test]
fn test_until_found() {
    let env = Env::new(fixture());
    let medium = |name: &str| env.size(name, "resVidMed");
    let original = |name: &str| env.size(name, "resOriginal");
    let existing = [
        ("2018/07/30/IMG_7408.JPG", original("IMG_7408.JPG")),
        ("2018/07/30/IMG_7408-medium.MOV", medium("IMG_7408.JPG")),
        ("2018/07/30/IMG_7405.MOV", original("IMG_7405.MOV")),
        ("2018/07/30/IMG_7404.MOV", original("IMG_7404.MOV")),
        ("2018/07/30/IMG_7401.MOV", original("IMG_7401.MOV")),
        ("2018/07/30/IMG_7400.JPG", original("IMG_7400.JPG")),
        ("2018/07/30/IMG_7400-medium.MOV", medium("IMG_7400.JPG")),
        ("2018/07/30/IMG_7399.JPG", original("IMG_7399.JPG")),
    ];
    for (rel, size) in existing {
        env.create(rel, size);
    }
    let downloaded = [
        "2018/07/31/IMG_7409.JPG",
        "2018/07/31/IMG_7409-medium.MOV",
        "2018/07/30/IMG_7407.JPG",
        "2018/07/30/IMG_7407-medium.MOV",
        "2018/07/30/IMG_7403.MOV",
        "2018/07/30/IMG_7402.MOV",
        "2018/07/30/IMG_7399-medium.MOV",
    ];

    let run = env.run(&[
        "--live-photo-size",
        "medium",
        "--until-found",
        "3",
        "--recent",
        "20",
    ]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos and videos...")
        .assert_logged(
            "INFO",
            &format!(
                "Downloading ??? original photos and videos to {} ...",
                env.p("")
            ),
        )
        .assert_logged(
            "INFO",
            "Found 3 consecutive previously downloaded photos. Exiting",
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    for (rel, _) in existing {
        run.assert_logged("DEBUG", &format!("{} already exists", env.p(rel)));
    }
    for rel in downloaded {
        run.assert_logged("INFO", &format!("Downloaded {}", env.p(rel)))
            .assert_not_logged(&format!("{} already exists", env.p(rel)));
    }
    // IMG_7398 and IMG_7397 come after the stop.
    run.assert_no_line_containing("IMG_7398")
        .assert_no_line_containing("IMG_7397");
    let mut want: Vec<&str> = existing.iter().map(|(rel, _)| *rel).collect();
    want.extend(downloaded);
    assert_files(&env, &want, &run);
    assert_eq!(env.downloads(), downloaded.len(), "{run}");
}

/// Every download answers HTTP 400 `{}` (Python: `--recent 3`, every response not ok): one
/// `Could not find URL …` per file and one `Could not download …` per failed file. Ours asks
/// for a fresh URL and retries with backoff before giving up, so a file takes 15–30 s; the
/// stills and the live videos are checked in two tests that run side by side.
fn missing_size_case(live_videos: bool) {
    let env = Env::with_faults(
        fixture_with(5, |_, a| a),
        &[Fault::download_error(400, None)],
    );
    let names = ["IMG_7409", "IMG_7408", "IMG_7407"];
    let ext = if live_videos {
        // The stills are there already: only the live videos are fetched.
        for name in names {
            let jpg = format!("{name}.JPG");
            let day = if name == "IMG_7409" { "31" } else { "30" };
            env.create(
                &format!("2018/07/{day}/{jpg}"),
                env.size(&jpg, "resOriginal"),
            );
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
        .assert_logged(
            "INFO",
            &format!(
                "Downloading 3 original photos and videos to {} ...",
                env.p("")
            ),
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    for name in names {
        let message = format!("Could not find URL to download {name}.{ext} for size original");
        run.assert_logged("ERROR", &message)
            .assert_logged_times(&message, 1);
        let message = format!("Could not download {name}.JPG. Please try again later.");
        run.assert_logged("ERROR", &message)
            .assert_logged_times(&message, 1);
    }
    assert_eq!(
        run.messages()
            .iter()
            .filter(|m| m.starts_with("Could not find URL"))
            .count(),
        3,
        "{run}"
    );
    let files = env.files();
    assert!(files.iter().all(|f| f.ends_with(".JPG")), "{run}");
    assert_eq!(files.len(), if live_videos { 3 } else { 0 }, "{run}");
}

#[test]
fn test_missing_size() {
    missing_size_case(false);
}

#[test]
fn test_missing_size_live_videos() {
    missing_size_case(true);
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
        .assert_logged(
            "INFO",
            &format!(
                "Downloading the first thumb photo or video to {} ...",
                env.p("")
            ),
        )
        .assert_logged(
            "DEBUG",
            &format!("Downloading {}...", env.p("2018/07/31/IMG_7409.JPG")),
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &["2018/07/31/IMG_7409.JPG"], &run);
    assert_eq!(env.downloads(), 1, "{run}");
    assert_eq!(
        std::fs::metadata(env.data().join("2018/07/31/IMG_7409.JPG"))
            .unwrap()
            .len(),
        env.size("IMG_7409.JPG", "resOriginal")
    );
}

#[test]
fn test_adjusted_size_fallback_to_original() {
    // Neither edited nor RAW: no adjusted, no alternative.
    let env = Env::new(fixture_with(1, |_, a| a));

    let run = env.run(&[
        "--recent",
        "1",
        "--size",
        "adjusted",
        "--size",
        "alternative",
        "--skip-live-photos",
    ]);

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!(
                "Downloading the first adjusted,alternative photo or video to {} ...",
                env.p("")
            ),
        )
        .assert_logged(
            "DEBUG",
            &format!("Downloading {}...", env.p("2018/07/31/IMG_7409.JPG")),
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &["2018/07/31/IMG_7409.JPG"], &run);
}

#[test]
fn test_force_size() {
    let env = Env::new(without_small(false));

    let run = env.run(&["--recent", "1", "--size", "thumb", "--force-size"]);

    run.assert_logged(
        "INFO",
        &format!(
            "Downloading the first thumb photo or video to {} ...",
            env.p("")
        ),
    )
    .assert_logged(
        "ERROR",
        "thumb size does not exist for IMG_7409.JPG. Skipping...",
    )
    .assert_logged("INFO", ALL_DOWNLOADED);
    // The still is not downloaded at all; the live video still is (it has its own size).
    assert_files(&env, &["2018/07/31/IMG_7409.MOV"], &run);
}

#[test]
fn test_download_two_sizes_with_force_size() {
    let env = Env::new(fixture_with(1, |_, a| a.without_resource("resJPEGMed")));

    let run = env.run(&[
        "--recent",
        "1",
        "--size",
        "medium",
        "--size",
        "thumb",
        "--force-size",
        "--skip-live-photos",
    ]);

    run.assert_logged(
        "INFO",
        &format!(
            "Downloading the first medium,thumb photo or video to {} ...",
            env.p("")
        ),
    )
    .assert_logged(
        "ERROR",
        "medium size does not exist for IMG_7409.JPG. Skipping...",
    )
    .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &["2018/07/31/IMG_7409-thumb.JPG"], &run);
    assert_eq!(env.downloads(), 1, "{run}");
}

#[test]
fn test_download_two_sizes() {
    let env = Env::new(fixture_with(1, |_, a| a));

    let run = env.run(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
        "--size",
        "original",
        "--size",
        "thumb",
    ]);

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!(
                "Downloading the first original,thumb photo to {} ...",
                env.p("")
            ),
        )
        .assert_logged("INFO", "All photos have been downloaded")
        .assert_no_line_containing("IMG_7409.MOV");
    assert_files(
        &env,
        &["2018/07/31/IMG_7409-thumb.JPG", "2018/07/31/IMG_7409.JPG"],
        &run,
    );
    assert_eq!(
        std::fs::metadata(env.data().join("2018/07/31/IMG_7409-thumb.JPG"))
            .unwrap()
            .len(),
        env.size("IMG_7409.JPG", "resJPEGThumb")
    );
}

/// IMG_7409 replaced by `asset` (same record names and date).
fn with_first(asset: FakeAsset) -> FakeLibrary {
    FakeLibrary::new().asset(
        asset
            .record_names(ROWS[0].master, ROWS[0].asset)
            .date_ms(ROWS[0].date_ms)
            .size(2500),
    )
}

/// Runs `--recent 1 --skip-videos --skip-live-photos <args>` and checks the files.
fn raw_case(library: FakeLibrary, args: &[&str], header: &str, want: &[&str]) {
    let env = Env::new(library);
    let mut all = vec!["--recent", "1", "--skip-videos", "--skip-live-photos"];
    all.extend_from_slice(args);

    let run = env.run(&all);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_logged(
            "INFO",
            &format!("Downloading the first {header} photo to {} ...", env.p("")),
        )
        .assert_logged("INFO", "All photos have been downloaded")
        .assert_no_line_containing("IMG_7409.MOV");
    assert_files(&env, want, &run);
}

#[test]
fn test_download_raw_photos() {
    // A ProRAW DNG without alternative.
    raw_case(
        with_first(FakeAsset::photo("IMG_7409.DNG")),
        &[],
        "original",
        &["2018/07/31/IMG_7409.DNG"],
    );
}

#[test]
fn test_download_raw_alt_photos() {
    raw_case(
        with_first(FakeAsset::raw_plus_jpeg("IMG_7409.CR2")),
        &["--size", "original", "--size", "alternative"],
        "original,alternative",
        &["2018/07/31/IMG_7409.CR2", "2018/07/31/IMG_7409.JPG"],
    );
}

#[test]
fn test_download_raw_photos_policy_alt_with_adj() {
    // RAW + JPEG alternative + edited JPEG: the adjusted JPEG only.
    raw_case(
        with_first(FakeAsset::raw_plus_jpeg("IMG_7409.CR2").edited()),
        &["--size", "adjusted", "--align-raw", "alternative"],
        "adjusted",
        &["2018/07/31/IMG_7409.JPG"],
    );
}

#[test]
fn test_download_raw_photos_policy_orig() {
    raw_case(
        with_first(FakeAsset::raw_plus_jpeg("IMG_7409.CR2")),
        &["--align-raw", "original"],
        "original",
        &["2018/07/31/IMG_7409.CR2"],
    );
}

#[test]
fn test_download_raw_photos_policy_as_is() {
    raw_case(
        with_first(FakeAsset::raw_plus_jpeg("IMG_7409.CR2")),
        &["--align-raw", "as-is"],
        "original",
        &["2018/07/31/IMG_7409.CR2"],
    );
}

#[test]
fn raw_alt_policy_alternative_swaps_the_jpeg_in() {
    // cli.md §5.6: `--align-raw alternative` (default size) → the JPEG.
    raw_case(
        with_first(FakeAsset::raw_plus_jpeg("IMG_7409.CR2")),
        &["--align-raw", "alternative"],
        "original",
        &["2018/07/31/IMG_7409.JPG"],
    );
}

#[test]
fn raw_alt_adjusted_original_alternative_disambiguates() {
    // cli.md §5.6: edited CR2+JPEG, `--size adjusted --size original --size alternative`.
    raw_case(
        with_first(FakeAsset::raw_plus_jpeg("IMG_7409.CR2").edited()),
        &[
            "--size",
            "adjusted",
            "--size",
            "original",
            "--size",
            "alternative",
        ],
        "adjusted,original,alternative",
        &[
            "2018/07/31/IMG_7409-alternative.JPG",
            "2018/07/31/IMG_7409.CR2",
            "2018/07/31/IMG_7409.JPG",
        ],
    );
}

#[test]
fn edited_jpeg_gets_an_adjusted_suffix() {
    // cli.md §5.6: JPEG + JPEG edit, `--size original --size adjusted`.
    raw_case(
        with_first(FakeAsset::photo("IMG_7409.JPG").edited()),
        &["--size", "original", "--size", "adjusted"],
        "original,adjusted",
        &[
            "2018/07/31/IMG_7409-adjusted.JPG",
            "2018/07/31/IMG_7409.JPG",
        ],
    );
}

#[test]
fn edited_heic_keeps_both_names() {
    // cli.md §5.6: HEIC + JPEG edit → IMG_7409.HEIC and IMG_7409.JPG.
    raw_case(
        with_first(FakeAsset::photo("IMG_7409.HEIC").edited()),
        &["--size", "original", "--size", "adjusted"],
        "original,adjusted",
        &["2018/07/31/IMG_7409.HEIC", "2018/07/31/IMG_7409.JPG"],
    );
}

/// A fixture whose IMG_7409 is captured at `ms` instead.
fn dated(ms: i64) -> FakeLibrary {
    fixture_with(1, |_, a| a.date_ms(ms))
}

/// `--recent 1 --skip-live-photos` into the folder of the capture date; `check_mtime` also
/// checks the modification time (file systems clamp times before 1901).
fn date_case(ms: i64, folder: &str, check_mtime: bool) {
    let env = Env::new(dated(ms));

    let run = env.run(&["--recent", "1", "--skip-live-photos"]);

    let rel = format!("{folder}/IMG_7409.JPG");
    run.assert_code(0)
        .assert_logged("DEBUG", &format!("Downloading {}...", env.p(&rel)))
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_files(&env, &[&rel], &run);
    if check_mtime {
        assert_eq!(mtime(&env, &rel), ms.div_euclid(1000), "{run}");
    }
}

#[test]
fn test_creation_date_prior_1970() {
    // 1965-01-01 00:00:00 UTC.
    date_case(-157_766_400_000, "1965/01/01", true);
}

#[test]
fn test_creation_date_without_century() {
    // 0005-01-01 00:00:00 UTC: glibc's %Y renders the year as `5`.
    date_case(-62_009_366_400_000, "5/01/01", false);
}

#[test]
fn test_download_and_skip_old() {
    let env = Env::new(fixture_with(5, |_, a| a));

    let run = env.run(&[
        "--recent",
        "5",
        "--skip-videos",
        "--skip-live-photos",
        "--set-exif-datetime",
        "--skip-created-before",
        "2018-07-31",
    ]);

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!("Downloading 5 original photos to {} ...", env.p("")),
        )
        .assert_logged(
            "DEBUG",
            &format!("Downloading {}...", env.p("2018/07/31/IMG_7409.JPG")),
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7405.MOV, only downloading photos. (Item type was: MOVIE)",
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7407.JPG, as it was created 2018-07-30 11:44:05.108000+00:00, before 2018-07-31 00:00:00+00:00.",
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7408.JPG, as it was created 2018-07-30 11:44:10.176000+00:00, before 2018-07-31 00:00:00+00:00.",
        )
        .assert_logged("INFO", "All photos have been downloaded")
        .assert_no_line_containing("IMG_7409.MOV");
    assert_files(&env, &["2018/07/31/IMG_7409.JPG"], &run);
    assert_eq!(mtime(&env, "2018/07/31/IMG_7409.JPG"), IMG_7409_SECS);
}

#[test]
fn test_download_and_skip_new() {
    let env = Env::new(fixture_with(2, |_, a| a));

    let run = env.run(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
        "--set-exif-datetime",
        "--skip-created-after",
        "2018-07-31",
    ]);

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!("Downloading the first original photo to {} ...", env.p("")),
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7409.JPG, as it was created 2018-07-31 07:22:24.816000+00:00, after 2018-07-31 00:00:00+00:00.",
        )
        .assert_logged("INFO", "All photos have been downloaded")
        .assert_no_line_containing("IMG_7409.MOV");
    assert_files(&env, &[], &run);
}

#[test]
fn test_download_normalized_names() {
    // `i/n v:a\0l*i?d\p<a>t"h|.JPG`.
    let env = Env::new(fixture_with(5, |i, a| {
        if i == 0 {
            a.filename_raw_b64("aS9uIHY6YQBsKmk/ZFxwPGE+dCJofC5KUEc=")
        } else {
            a
        }
    }));
    create_7408_7407(&env);

    let run = env.run(&["--recent", "5", "--skip-videos", "--skip-live-photos"]);

    run.assert_code(0);
    assert_files(
        &env,
        &[
            "2018/07/30/IMG_7407.JPG",
            "2018/07/30/IMG_7408.JPG",
            "2018/07/31/i_n v_a_l_i_d_p_a_t_h_.JPG",
        ],
        &run,
    );
}

#[test]
fn test_missing_item_type() {
    let env = Env::new(fixture_with(2, |i, a| {
        if i == 0 { a.without_item_type() } else { a }
    }));

    let run = env.run(&["--recent", "1", "--skip-live-photos"]);

    run.assert_code(0);
    assert_files(&env, &["2018/07/31/IMG_7409.JPG"], &run);
}

#[test]
fn test_missing_item_type_value() {
    let env = Env::new(fixture_with(2, |i, a| {
        if i == 0 {
            a.item_type_without_value()
        } else {
            a
        }
    }));

    let run = env.run(&["--recent", "1", "--skip-live-photos"]);

    run.assert_code(0);
    assert_files(&env, &["2018/07/31/IMG_7409.JPG"], &run);
}

/// Python crashes on a `filenameEnc` that does not decode; we report that asset as failed
/// (one ERROR line), download the others and exit 1 (docs/compatibility.md).
fn bad_filename_case(raw_b64: &str) {
    let env = Env::new(fixture_with(5, |i, a| {
        if i == 0 {
            a.filename_raw_b64(raw_b64)
        } else {
            a
        }
    }));

    let run = env.run(&["--recent", "5", "--skip-videos", "--skip-live-photos"]);

    run.assert_code(1)
        .assert_logged("INFO", "All photos have been downloaded");
    let errors: Vec<&str> = run
        .logs()
        .into_iter()
        .filter(|(l, _)| *l == "ERROR")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(errors.len(), 1, "one ERROR line\n{run}");
    assert_files(
        &env,
        &["2018/07/30/IMG_7407.JPG", "2018/07/30/IMG_7408.JPG"],
        &run,
    );
}

#[test]
fn test_download_bad_filename_base64_encoding() {
    bad_filename_case("aS9uIHY6YQBsKmk/ZFxwPGE+dCJofC5KUE");
}

#[test]
fn test_download_bad_filename_utf8_encoding() {
    // `abcdefgh` decodes to bytes that are not UTF-8.
    bad_filename_case("abcdefgh");
}

#[test]
fn missing_download_url_fails_that_asset_only() {
    // Python prints a KeyError block and writes icloudpd-photo-error.json; ours reports the
    // asset as failed and downloads the others (docs/compatibility.md).
    let env = Env::new(fixture_with(3, |i, a| {
        if i == 0 { a.without_download_url() } else { a }
    }));

    let run = env.run(&["--recent", "3", "--skip-live-photos"]);

    run.assert_code(1).assert_logged("INFO", ALL_DOWNLOADED);
    assert!(
        run.logs()
            .iter()
            .any(|(l, m)| *l == "ERROR" && m.contains("downloadURL")),
        "an ERROR line says what is missing\n{run}"
    );
    assert_files(
        &env,
        &["2018/07/30/IMG_7407.JPG", "2018/07/30/IMG_7408.JPG"],
        &run,
    );
}

#[test]
fn test_download_filename_string_encoding() {
    let env = Env::new(fixture_with(5, |i, a| {
        if i == 0 { a.filename_as_string() } else { a }
    }));
    create_7408_7407(&env);

    let run = env.run(&["--recent", "5", "--skip-videos", "--skip-live-photos"]);

    run.assert_code(0);
    assert_files(
        &env,
        &[
            "2018/07/30/IMG_7407.JPG",
            "2018/07/30/IMG_7408.JPG",
            "2018/07/31/IMG_7409.JPG",
        ],
        &run,
    );
}

#[test]
fn test_handle_io_error() {
    // The temporary file is a link to /dev/full: every write fails with ENOSPC (as root, a
    // read-only folder would not stop us).
    let env = Env::new(fixture_with(1, |_, a| a));
    let part = env.fail_writes("2018/07/31", "IMG_7409.JPG", "resOriginal");

    let run = env.run(&["--recent", "1", "--skip-videos", "--skip-live-photos"]);

    // Ours: exit 1 for a failed file (docs/compatibility.md).
    run.assert_code(1)
        .assert_logged(
            "INFO",
            &format!("Downloading the first original photo to {} ...", env.p("")),
        )
        .assert_logged(
            "ERROR",
            &format!(
                "IOError while writing file to {}. You might have run out of disk space, or the file might be too large for your OS. Skipping this file...",
                env.p("2018/07/31/IMG_7409.JPG")
            ),
        )
        .assert_logged(
            "ERROR",
            "Could not download IMG_7409.JPG. Please try again later.",
        )
        .assert_logged("INFO", "All photos have been downloaded");
    assert_files(&env, &[&part], &run);
}

#[test]
fn test_handle_io_error_mkdir() {
    // A file stands where the folder 2018/07/31 must be created. Python logs only `Could not
    // create folder …` (download_media returns before its retry loop); ours exits 1.
    let env = Env::new(fixture_with(1, |_, a| a));
    env.create("2018/07/31", 0);

    let run = env.run(&["--recent", "1", "--skip-videos", "--skip-live-photos"]);

    run.assert_code(1)
        .assert_logged(
            "ERROR",
            &format!("Could not create folder {}", env.p("2018/07/31")),
        )
        .assert_logged("INFO", "All photos have been downloaded");
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
    let cloudkit = clean
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/database/"))
        .count();
    let env = Env::with_faults(fixture(), &[Fault::expire_session_after(cloudkit - 1)]);

    let run = env.run(&["--skip-live-photos"]);

    run.assert_code(0)
        .assert_logged_times("Session error, re-authenticating...", 1)
        .assert_logged("INFO", ALL_DOWNLOADED);
    let want: Vec<String> = ROWS
        .iter()
        .map(|r| {
            let day = if r.name == "IMG_7409.JPG" { "31" } else { "30" };
            format!("2018/07/{day}/{}", r.name)
        })
        .collect();
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    assert_files(&env, &want, &run);
    // Nothing was fetched twice.
    assert_eq!(env.downloads(), ROWS.len(), "{run}");
}

#[test]
fn test_download_and_delete_after() {
    let env = Env::new(fixture_with(2, |_, a| a));

    let run = env.run(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
        "--delete-after-download",
    ]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_logged(
            "INFO",
            &format!("Downloading the first original photo to {} ...", env.p("")),
        )
        .assert_logged("DEBUG", "Deleting IMG_7409.JPG in iCloud...")
        .assert_logged("INFO", "Deleted IMG_7409.JPG in iCloud")
        .assert_logged("INFO", "All photos have been downloaded");
    assert_files(&env, &["2018/07/31/IMG_7409.JPG"], &run);
    assert_eq!(env.deleted_in_icloud(), [ROWS[0].asset], "{run}");
    let deleted = env
        .fake
        .expected_listing(USER, "PrimarySync", Some("Recently Deleted"));
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].asset_record_name, ROWS[0].asset);
}

#[test]
fn test_download_and_not_delete_after_when_exists() {
    let env = Env::new(fixture_with(2, |_, a| a));
    env.create(
        "2018/07/31/IMG_7409.JPG",
        env.size("IMG_7409.JPG", "resOriginal"),
    );

    let run = env.run(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
        "--delete-after-download",
    ]);

    run.assert_code(0)
        .assert_not_logged("Deleted IMG_7409.JPG in iCloud")
        .assert_logged("INFO", "All photos have been downloaded");
    assert!(env.deleted_in_icloud().is_empty(), "{run}");
}

#[test]
fn test_download_and_delete_after_fail() {
    // Python's cassette answers the download with HTTP 400 (that message is checked in
    // test_missing_size); here the write fails, which needs no retries.
    let env = Env::new(fixture_with(2, |_, a| a));
    let part = env.fail_writes("2018/07/31", "IMG_7409.JPG", "resOriginal");

    let run = env.run(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
        "--delete-after-download",
    ]);

    run.assert_code(1)
        .assert_logged(
            "INFO",
            &format!("Downloading the first original photo to {} ...", env.p("")),
        )
        .assert_logged(
            "ERROR",
            "Could not download IMG_7409.JPG. Please try again later.",
        )
        .assert_not_logged("Deleting IMG_7409.JPG in iCloud...")
        .assert_not_logged("Deleted IMG_7409.JPG in iCloud")
        .assert_logged("INFO", "All photos have been downloaded");
    assert!(env.deleted_in_icloud().is_empty(), "{run}");
    assert_files(&env, &[&part], &run);
}

#[test]
fn test_download_after_delete_dry_run() {
    let env = Env::new(fixture_with(2, |_, a| a));

    let run = env.run(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
        "--dry-run",
        "--delete-after-download",
    ]);

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!("Downloading the first original photo to {} ...", env.p("")),
        )
        .assert_logged(
            "INFO",
            &format!(
                "[DRY RUN] Would download {}",
                env.p("2018/07/31/IMG_7409.JPG")
            ),
        )
        .assert_logged(
            "INFO",
            "[DRY RUN] Would delete IMG_7409.JPG in iCloud library PrimarySync",
        )
        .assert_not_logged("Deleted IMG_7409.JPG in iCloud")
        .assert_logged("INFO", "All photos have been downloaded");
    assert!(env.deleted_in_icloud().is_empty(), "{run}");
    assert_eq!(env.fake.count("POST", "/records/modify"), 0, "{run}");
    assert_files(&env, &[], &run);
}

#[test]
fn test_dry_run() {
    let env = Env::new(fixture_with(2, |_, a| a));

    let run = env.run(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
        "--set-exif-datetime",
        "--dry-run",
    ]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_logged(
            "DEBUG",
            &format!(
                "[DRY RUN] Would create folder hierarchy {}",
                env.p("2018/07/31")
            ),
        )
        .assert_logged(
            "INFO",
            &format!(
                "[DRY RUN] Would download {}",
                env.p("2018/07/31/IMG_7409.JPG")
            ),
        )
        .assert_logged("INFO", "All photos have been downloaded")
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
        account(fixture_with(2, |_, a| a)).shared_library(
            SHARED,
            shared,
            icloud_fake::SharedPlacement::SharedDb,
        ),
        &[],
    );

    let run = env.run(&["--library", SHARED, "--dry-run"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos and videos...")
        .assert_logged(
            "INFO",
            &format!(
                "Downloading the first original photo or video to {} ...",
                env.p("")
            ),
        )
        .assert_logged(
            "INFO",
            &format!(
                "[DRY RUN] Would download {}",
                env.p("2023/06/20/solvej dk.PNG")
            ),
        )
        .assert_logged("INFO", ALL_DOWNLOADED)
        .assert_no_line_containing("IMG_7409");
    assert!(!env.data().exists(), "{run}");
    assert_eq!(env.downloads(), 0, "{run}");
}

#[test]
fn test_download_and_dedupe_existing_photos() {
    let env = Env::new(fixture_with(5, |_, a| a));
    let jpg = env.size("IMG_7409.JPG", "resOriginal");
    let mov = env.size("IMG_7409.JPG", "resOriginalVidCompl");
    env.create("2018/07/31/IMG_7409.JPG", 1);
    env.create("2018/07/31/IMG_7409.MOV", 1);
    env.create(
        "2018/07/30/IMG_7408.JPG",
        env.size("IMG_7408.JPG", "resOriginal"),
    );
    env.create(
        "2018/07/30/IMG_7408.MOV",
        env.size("IMG_7408.JPG", "resOriginalVidCompl"),
    );
    let jpg_dedup = format!("2018/07/31/IMG_7409-{jpg}.JPG");
    let mov_dedup = format!("2018/07/31/IMG_7409-{mov}.MOV");

    let run = env.run(&["--recent", "5", "--skip-videos"]);

    run.assert_code(0)
        .assert_logged("DEBUG", "Looking up all photos...")
        .assert_logged(
            "INFO",
            &format!("Downloading 5 original photos to {} ...", env.p("")),
        )
        .assert_logged("DEBUG", &format!("{} deduplicated", env.p(&jpg_dedup)))
        .assert_logged("DEBUG", &format!("{} deduplicated", env.p(&mov_dedup)))
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7405.MOV, only downloading photos. (Item type was: MOVIE)",
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7404.MOV, only downloading photos. (Item type was: MOVIE)",
        )
        .assert_logged("INFO", "All photos have been downloaded");
    assert_files(
        &env,
        &[
            "2018/07/30/IMG_7407.JPG",
            "2018/07/30/IMG_7407.MOV",
            "2018/07/30/IMG_7408.JPG",
            "2018/07/30/IMG_7408.MOV",
            "2018/07/31/IMG_7409.JPG",
            "2018/07/31/IMG_7409.MOV",
            &jpg_dedup,
            &mov_dedup,
        ],
        &run,
    );
    assert_eq!(mtime(&env, &jpg_dedup), IMG_7409_SECS);
    assert_eq!(mtime(&env, &mov_dedup), IMG_7409_SECS);
    // The 1-byte files are left alone.
    assert_eq!(
        std::fs::metadata(env.data().join("2018/07/31/IMG_7409.JPG"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn test_resume_download() {
    // Apple's file is 1851 bytes; an earlier run left the first 1234 in the `.part` file.
    let env = Env::new(FakeLibrary::new().asset(fixture_asset(0).size(1851)));
    let part = part_name(&env.checksum("IMG_7409.JPG", "resOriginal"));
    env.create(&format!("2018/07/31/{part}"), 1234);

    let run = env.run(&["--recent", "1", "--skip-videos", "--skip-live-photos"]);

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!("Downloading the first original photo to {} ...", env.p("")),
        )
        .assert_logged(
            "DEBUG",
            &format!(
                "Resuming downloading of {} from 1234",
                env.p("2018/07/31/IMG_7409.JPG")
            ),
        )
        .assert_logged("INFO", "All photos have been downloaded");
    assert_files(&env, &["2018/07/31/IMG_7409.JPG"], &run);
    let out = env.data().join("2018/07/31/IMG_7409.JPG");
    assert_eq!(std::fs::metadata(&out).unwrap().len(), 617 + 1234);
    assert_eq!(mtime(&env, "2018/07/31/IMG_7409.JPG"), IMG_7409_SECS);
    // Only the missing 617 bytes were asked for; the kept prefix is what the `.part` held.
    let ranges: Vec<String> = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/B/"))
        .filter_map(|r| r.header("range").map(str::to_owned))
        .collect();
    assert_eq!(ranges, ["bytes=1234-"], "{run}");
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes[..1234].iter().all(|b| *b == 0));
    let apple = env
        .fake
        .version_bytes(USER, "PrimarySync", ROWS[0].asset, "resOriginal")
        .unwrap();
    assert!(bytes[1234..] == apple[1234..]);
}
