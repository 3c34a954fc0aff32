//! tests/test_download_photos_id.py: `--file-match-policy name-id7`. Names carry `_<id7>`, the
//! first seven characters of the base64 of the master record name (cli.md §5.5 table); any
//! file with the exact name counts as present, whatever its size.

use super::photos::{chinese_7409, skip_existing_photos_case, until_found_case};
use super::photos_sizes::two_sizes_with_force_size_case;
use super::*;

/// `--file-match-policy name-id7 <more>`.
fn args<'a>(more: &[&'a str]) -> Vec<&'a str> {
    [&ID7[..], more].concat()
}

const JPG_7409: &str = "2018/07/31/IMG_7409_QVk2Yyt.JPG";
const MOV_7409: &str = "2018/07/31/IMG_7409_QVk2Yyt.MOV";
const JPG_7408: &str = "2018/07/30/IMG_7408_QVI4T2l.JPG";
const MOV_7408: &str = "2018/07/30/IMG_7408_QVI4T2l.MOV";
const JPG_7407: &str = "2018/07/30/IMG_7407_QVovd0F.JPG";
const MOV_7407: &str = "2018/07/30/IMG_7407_QVovd0F.MOV";

/// Creates each of `rels` with 1 byte: sizes do not matter under name-id7.
fn create_tiny(env: &Env, rels: &[&str]) {
    for rel in rels {
        env.create(rel, 1);
    }
}

#[test]
fn test_download_and_skip_existing_photos_name_id7() {
    skip_existing_photos_case(true);
}

#[test]
fn test_skip_existing_downloads_name_id7() {
    let env = Env::new(fixture_first(2));
    create_tiny(&env, &[JPG_7409, MOV_7409]);

    let run = env.run(&args(&["--recent", "1"]));

    run.assert_code(0)
        .assert_already_exists(&env, &[JPG_7409, MOV_7409])
        .assert_logged("INFO", ALL_DOWNLOADED);
    assert_eq!(env.downloads(), 0, "{run}");
}

#[test]
fn test_until_found_name_id7() {
    until_found_case(true);
}

#[test]
fn test_download_over_old_original_photos_name_id7() {
    let env = Env::new(fixture_first(5));
    let legacy = "2018/07/30/IMG_7408_QVI4T2l-original.JPG";
    create_tiny(&env, &[legacy, JPG_7407]);

    let run = env.run(&args(&photos_only("5", &[])));

    // Python names the regular path, not the legacy file that stands in for it.
    run.assert_code(0).assert_already_exists(&env, &[JPG_7408]);
    assert_files(&env, &[JPG_7407, legacy, JPG_7409], &run);
}

#[test]
fn test_download_and_dedupe_existing_photos_name_id7() {
    let env = Env::new(fixture_first(5));
    create_tiny(&env, &[JPG_7408, MOV_7408, JPG_7407, MOV_7407]);

    let run = env.run(&args(&["--recent", "5", "--skip-videos"]));

    run.assert_code(0)
        .assert_downloading_to(&env, "5 original photos")
        .assert_skipped_videos(&["IMG_7405_QVkrUjN.MOV"])
        .assert_logged("INFO", ALL_PHOTOS_DOWNLOADED)
        .assert_no_line_containing("deduplicated");
    let want = [JPG_7407, MOV_7407, JPG_7408, MOV_7408, JPG_7409, MOV_7409];
    assert_files(&env, &want, &run);
}

#[test]
fn test_download_two_sizes_and_force_size_name_id7() {
    let thumb = "2018/07/31/IMG_7409_QVk2Yyt-thumb.JPG";
    two_sizes_with_force_size_case(&ID7, "IMG_7409_QVk2Yyt.JPG", thumb);
}

#[test]
fn medium_with_original_live_policy_name_id7() {
    // cli.md §5.6: `--size medium --file-match-policy name-id7
    // --live-photo-mov-filename-policy original`.
    let env = Env::new(fixture_first(1));

    let medium = ["--size", "medium"];
    let policy = ["--live-photo-mov-filename-policy", "original"];
    let run = env.run(&args(&[&["--recent", "1"][..], &medium, &policy].concat()));

    run.assert_code(0);
    let want = ["2018/07/31/IMG_7409_QVk2Yyt-medium.JPG", MOV_7409];
    assert_files(&env, &want, &run);
}

#[test]
fn test_download_and_delete_after_name_id7() {
    let env = Env::new(fixture_first(2));

    let run = env.run(&args(&photos_only("1", &["--delete-after-download"])));

    run.assert_code(0)
        .assert_deleted_in_icloud(&["IMG_7409_QVk2Yyt.JPG"]);
    assert_files(&env, &[JPG_7409], &run);
    assert_eq!(env.deleted_in_icloud(), [ROWS[0].asset], "{run}");
}

#[test]
fn test_download_one_recent_live_photo_chinese_name_id7() {
    let env = Env::new(FakeLibrary::new().asset(chinese_7409()));

    let run = env.run(&args(&["--recent", "1", "--keep-unicode-in-filenames"]));

    run.assert_code(0);
    let stem = "2018/07/31/IMG_中文_7409_QVk2Yyt";
    assert_files(&env, &[format!("{stem}.JPG"), format!("{stem}.MOV")], &run);
}

#[test]
fn test_download_normalized_names_name_id7() {
    let env = Env::new(fixture_with(1, |_, a| {
        a.filename_raw_b64("aS9uIHY6YQBsKmk/ZFxwPGE+dCJofC5KUEc=")
    }));

    let run = env.run(&args(&photos_only("1", &[])));

    run.assert_code(0);
    let want = ["2018/07/31/i_n v_a_l_i_d_p_a_t_h__QVk2Yyt.JPG"];
    assert_files(&env, &want, &run);
}

#[test]
fn missing_filename_falls_back_to_the_record_name_name_id7() {
    let env = Env::new(fixture_with(1, |_, a| a.without_filename()));

    let run = env.run(&args(&["--recent", "1"]));

    run.assert_code(0);
    let stem = "2018/07/31/AY6c_BsE0jja_QVk2Yyt";
    assert_files(&env, &[format!("{stem}.JPG"), format!("{stem}.MOV")], &run);
}
