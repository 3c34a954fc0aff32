//! tests/test_download_photos_id.py: `--file-match-policy name-id7`. Names carry `_<id7>`, the
//! first seven characters of the base64 of the master record name (cli.md §5.5 table); any
//! file with the exact name counts as present, whatever its size.

use super::*;

const ID7: [&str; 2] = ["--file-match-policy", "name-id7"];

fn args<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut all = ID7.to_vec();
    all.extend_from_slice(more);
    all
}

#[test]
fn test_download_and_skip_existing_photos_name_id7() {
    let env = Env::new(fixture_with(5, |_, a| a));
    // Sizes do not matter under name-id7.
    env.create("2018/07/30/IMG_7408_QVI4T2l.JPG", 1);
    env.create("2018/07/30/IMG_7407_QVovd0F.JPG", 1);

    let run = env.run(&args(&[
        "--recent",
        "5",
        "--skip-videos",
        "--skip-live-photos",
        "--set-exif-datetime",
    ]));

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!("Downloading 5 original photos to {} ...", env.p("")),
        )
        .assert_logged(
            "DEBUG",
            &format!(
                "Downloading {}...",
                env.p("2018/07/31/IMG_7409_QVk2Yyt.JPG")
            ),
        )
        .assert_logged(
            "DEBUG",
            &format!(
                "{} already exists",
                env.p("2018/07/30/IMG_7408_QVI4T2l.JPG")
            ),
        )
        .assert_logged(
            "DEBUG",
            &format!(
                "{} already exists",
                env.p("2018/07/30/IMG_7407_QVovd0F.JPG")
            ),
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7405_QVkrUjN.MOV, only downloading photos. (Item type was: MOVIE)",
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7404_QVI5TWx.MOV, only downloading photos. (Item type was: MOVIE)",
        )
        .assert_logged("INFO", "All photos have been downloaded")
        .assert_no_line_containing("deduplicated");
    assert_files(
        &env,
        &[
            "2018/07/30/IMG_7407_QVovd0F.JPG",
            "2018/07/30/IMG_7408_QVI4T2l.JPG",
            "2018/07/31/IMG_7409_QVk2Yyt.JPG",
        ],
        &run,
    );
    assert_eq!(
        mtime(&env, "2018/07/31/IMG_7409_QVk2Yyt.JPG"),
        IMG_7409_SECS
    );
}

#[test]
fn test_skip_existing_downloads_name_id7() {
    let env = Env::new(fixture_with(2, |_, a| a));
    env.create("2018/07/31/IMG_7409_QVk2Yyt.JPG", 1);
    env.create("2018/07/31/IMG_7409_QVk2Yyt.MOV", 1);

    let run = env.run(&args(&["--recent", "1"]));

    run.assert_code(0)
        .assert_logged(
            "DEBUG",
            &format!(
                "{} already exists",
                env.p("2018/07/31/IMG_7409_QVk2Yyt.JPG")
            ),
        )
        .assert_logged(
            "DEBUG",
            &format!(
                "{} already exists",
                env.p("2018/07/31/IMG_7409_QVk2Yyt.MOV")
            ),
        )
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_eq!(env.downloads(), 0, "{run}");
}

#[test]
fn test_until_found_name_id7() {
    let env = Env::new(fixture());
    let existing = [
        "2018/07/30/IMG_7408_QVI4T2l.JPG",
        "2018/07/30/IMG_7408_QVI4T2l-medium.MOV",
        "2018/07/30/IMG_7405_QVkrUjN.MOV",
        "2018/07/30/IMG_7404_QVI5TWx.MOV",
        "2018/07/30/IMG_7401_QVRJanZ.MOV",
        "2018/07/30/IMG_7400_QVhFL01.JPG",
        "2018/07/30/IMG_7400_QVhFL01-medium.MOV",
        "2018/07/30/IMG_7399_QVVMcXN.JPG",
    ];
    for rel in existing {
        env.create(rel, 5);
    }
    let downloaded = [
        "2018/07/31/IMG_7409_QVk2Yyt.JPG",
        "2018/07/31/IMG_7409_QVk2Yyt-medium.MOV",
        "2018/07/30/IMG_7407_QVovd0F.JPG",
        "2018/07/30/IMG_7407_QVovd0F-medium.MOV",
        "2018/07/30/IMG_7403_QVc0VWt.MOV",
        "2018/07/30/IMG_7402_QVdYaDd.MOV",
        "2018/07/30/IMG_7399_QVVMcXN-medium.MOV",
    ];

    let run = env.run(&args(&[
        "--live-photo-size",
        "medium",
        "--until-found",
        "3",
        "--recent",
        "20",
    ]));

    run.assert_code(0)
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
        );
    for rel in existing {
        run.assert_logged("DEBUG", &format!("{} already exists", env.p(rel)));
    }
    for rel in downloaded {
        run.assert_logged("INFO", &format!("Downloaded {}", env.p(rel)));
    }
    let mut want = existing.to_vec();
    want.extend(downloaded);
    assert_files(&env, &want, &run);
}

#[test]
fn test_download_over_old_original_photos_name_id7() {
    let env = Env::new(fixture_with(5, |_, a| a));
    env.create("2018/07/30/IMG_7408_QVI4T2l-original.JPG", 1);
    env.create("2018/07/30/IMG_7407_QVovd0F.JPG", 1);

    let run = env.run(&args(&[
        "--recent",
        "5",
        "--skip-videos",
        "--skip-live-photos",
    ]));

    // Python names the regular path, not the legacy file that stands in for it.
    run.assert_code(0).assert_logged(
        "DEBUG",
        &format!(
            "{} already exists",
            env.p("2018/07/30/IMG_7408_QVI4T2l.JPG")
        ),
    );
    assert_files(
        &env,
        &[
            "2018/07/30/IMG_7407_QVovd0F.JPG",
            "2018/07/30/IMG_7408_QVI4T2l-original.JPG",
            "2018/07/31/IMG_7409_QVk2Yyt.JPG",
        ],
        &run,
    );
}

#[test]
fn test_download_and_dedupe_existing_photos_name_id7() {
    let env = Env::new(fixture_with(5, |_, a| a));
    for rel in [
        "2018/07/30/IMG_7408_QVI4T2l.JPG",
        "2018/07/30/IMG_7408_QVI4T2l.MOV",
        "2018/07/30/IMG_7407_QVovd0F.JPG",
        "2018/07/30/IMG_7407_QVovd0F.MOV",
    ] {
        env.create(rel, 1);
    }

    let run = env.run(&args(&["--recent", "5", "--skip-videos"]));

    run.assert_code(0)
        .assert_logged(
            "INFO",
            &format!("Downloading 5 original photos to {} ...", env.p("")),
        )
        .assert_logged(
            "DEBUG",
            "Skipping IMG_7405_QVkrUjN.MOV, only downloading photos. (Item type was: MOVIE)",
        )
        .assert_logged("INFO", "All photos have been downloaded")
        .assert_no_line_containing("deduplicated");
    assert_files(
        &env,
        &[
            "2018/07/30/IMG_7407_QVovd0F.JPG",
            "2018/07/30/IMG_7407_QVovd0F.MOV",
            "2018/07/30/IMG_7408_QVI4T2l.JPG",
            "2018/07/30/IMG_7408_QVI4T2l.MOV",
            "2018/07/31/IMG_7409_QVk2Yyt.JPG",
            "2018/07/31/IMG_7409_QVk2Yyt.MOV",
        ],
        &run,
    );
}

#[test]
fn test_download_two_sizes_and_force_size_name_id7() {
    let env = Env::new(fixture_with(1, |_, a| a.without_resource("resJPEGMed")));

    let run = env.run(&args(&[
        "--recent",
        "1",
        "--size",
        "medium",
        "--size",
        "thumb",
        "--force-size",
        "--skip-live-photos",
    ]));

    run.assert_logged(
        "ERROR",
        "medium size does not exist for IMG_7409_QVk2Yyt.JPG. Skipping...",
    );
    assert_files(&env, &["2018/07/31/IMG_7409_QVk2Yyt-thumb.JPG"], &run);
}

#[test]
fn medium_with_original_live_policy_name_id7() {
    // cli.md §5.6: `--size medium --file-match-policy name-id7
    // --live-photo-mov-filename-policy original`.
    let env = Env::new(fixture_with(1, |_, a| a));

    let run = env.run(&args(&[
        "--recent",
        "1",
        "--size",
        "medium",
        "--live-photo-mov-filename-policy",
        "original",
    ]));

    run.assert_code(0);
    assert_files(
        &env,
        &[
            "2018/07/31/IMG_7409_QVk2Yyt-medium.JPG",
            "2018/07/31/IMG_7409_QVk2Yyt.MOV",
        ],
        &run,
    );
}

#[test]
fn test_download_and_delete_after_name_id7() {
    let env = Env::new(fixture_with(2, |_, a| a));

    let run = env.run(&args(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
        "--delete-after-download",
    ]));

    run.assert_code(0)
        .assert_logged("INFO", "Deleted IMG_7409_QVk2Yyt.JPG in iCloud");
    assert_files(&env, &["2018/07/31/IMG_7409_QVk2Yyt.JPG"], &run);
    assert_eq!(env.deleted_in_icloud(), [ROWS[0].asset], "{run}");
}

#[test]
fn test_download_one_recent_live_photo_chinese_name_id7() {
    let env = Env::new(
        FakeLibrary::new().asset(
            FakeAsset::live("IMG_中文_7409.JPG")
                .record_names(ROWS[0].master, ROWS[0].asset)
                .date_ms(ROWS[0].date_ms)
                .size(2000),
        ),
    );

    let run = env.run(&args(&["--recent", "1", "--keep-unicode-in-filenames"]));

    run.assert_code(0);
    assert_files(
        &env,
        &[
            "2018/07/31/IMG_中文_7409_QVk2Yyt.JPG",
            "2018/07/31/IMG_中文_7409_QVk2Yyt.MOV",
        ],
        &run,
    );
}

#[test]
fn test_download_normalized_names_name_id7() {
    let env = Env::new(fixture_with(1, |_, a| {
        a.filename_raw_b64("aS9uIHY6YQBsKmk/ZFxwPGE+dCJofC5KUEc=")
    }));

    let run = env.run(&args(&[
        "--recent",
        "1",
        "--skip-videos",
        "--skip-live-photos",
    ]));

    run.assert_code(0);
    assert_files(
        &env,
        &["2018/07/31/i_n v_a_l_i_d_p_a_t_h__QVk2Yyt.JPG"],
        &run,
    );
}

#[test]
fn missing_filename_falls_back_to_the_record_name_name_id7() {
    let env = Env::new(fixture_with(1, |_, a| a.without_filename()));

    let run = env.run(&args(&["--recent", "1"]));

    run.assert_code(0);
    assert_files(
        &env,
        &[
            "2018/07/31/AY6c_BsE0jja_QVk2Yyt.JPG",
            "2018/07/31/AY6c_BsE0jja_QVk2Yyt.MOV",
        ],
        &run,
    );
}
