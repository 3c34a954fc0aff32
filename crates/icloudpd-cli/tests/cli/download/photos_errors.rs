//! tests/test_download_photos.py, continued: odd names and encodings, per-asset failures (a
//! missing download URL, I/O errors, an expired session) and `--delete-after-download`.

use super::photos::create_7408_7407;
use super::*;

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
    // The temporary file's name is taken by a folder: every write of that file fails.
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
    // A clean run's CloudKit requests end with the listing pages, the last one empty, and the
    // check whether the library changed during the listing. Here the web session expires
    // right before that last page, while the assets of the first are being downloaded. Python
    // ends the run (exit 1); we sign in again and go on (docs/compatibility.md).
    let clean = Env::new(fixture());
    clean.run(&["--skip-live-photos"]).assert_code(0);
    let cloudkit = clean.requests_under("/database/");
    let env = Env::with_faults(fixture(), &[Fault::expire_session_after(cloudkit - 2)]);

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
