//! Deletion in iCloud only of what is safely on disk (docs/compatibility.md, "Deletion"):
//! the option mixes that would delete what is never downloaded are refused before anything
//! happens, and an asset waits for every version the run was asked for.

use super::*;

#[test]
fn mixes_that_would_delete_what_is_not_kept_are_refused_before_anything_happens() {
    let cases: [(&[&str], &str); 3] = [
        (
            &["--size", "thumb", "--delete-after-download"],
            "--delete-after-download without --size original would delete in iCloud originals that are never downloaded",
        ),
        (
            &[
                "--size",
                "medium",
                "--size",
                "thumb",
                "--keep-icloud-recent-days",
                "0",
            ],
            "--keep-icloud-recent-days without --size original",
        ),
        (
            &["--size", "adjusted", "--delete-after-download"],
            "without --size original",
        ),
    ];
    for (args, message) in cases {
        let env = Env::new(fixture_first(2));
        let run = env.run(args);
        run.assert_code(2);
        assert!(run.stdout.contains(message), "{args:?}\n{run}");
        assert!(
            run.stdout.starts_with("Refusing to run: "),
            "{args:?}\n{run}"
        );
        assert!(
            env.fake.requests().is_empty(),
            "nothing was asked of Apple\n{run}"
        );
        assert!(!env.data().exists(), "nothing was written\n{run}");
    }
}

#[test]
fn auto_delete_spares_the_files_of_what_keep_recent_days_moved() {
    // Refused by the engine without a sync state; the CLI always keeps one, which notes each
    // asset it moves to Recently Deleted before moving it.
    let env = Env::new(fixture_first(2));
    let args = ["--auto-delete", "--keep-icloud-recent-days", "0"];
    let run = env.run(&args);
    run.assert_code(0)
        .assert_deleted_in_icloud(&["IMG_7409.JPG"]);
    let files = env.files();
    assert!(!files.is_empty(), "{run}");
    // Both assets are now in Recently Deleted: the next runs keep every local file.
    for _ in 0..2 {
        let run = env.run(&args);
        run.assert_code(0);
        assert_eq!(env.files(), files, "{run}");
        assert!(!run.stdout.contains("Deleted /"), "{run}");
    }
}

#[test]
fn a_live_photo_stays_in_icloud_until_its_video_is_on_disk() {
    // IMG_7409 is a live photo; its video fails to download (a folder takes its temporary
    // file's name), so the asset must stay in iCloud although its photo arrived.
    let env = Env::new(fixture_first(1));
    env.fail_writes("2018/07/31", "IMG_7409.JPG", "resOriginalVidCompl");

    let run = env.run(&["--recent", "1", "--delete-after-download"]);

    run.assert_code(1)
        .assert_downloaded(&env, &[IMG_7409_JPG])
        .assert_not_deleted_in_icloud(&["IMG_7409.JPG"]);
    assert!(env.deleted_in_icloud().is_empty(), "{run}");

    // Once the video is there too, the next run deletes it.
    let blocker = env.data().join("2018/07/31").join(part_name(
        &env.checksum("IMG_7409.JPG", "resOriginalVidCompl"),
    ));
    std::fs::remove_dir_all(blocker).unwrap();
    let run = env.run(&["--recent", "1", "--delete-after-download"]);
    run.assert_code(0)
        .assert_downloaded(&env, &[IMG_7409_MOV])
        .assert_deleted_in_icloud(&["IMG_7409.JPG"]);
}

#[test]
fn skipping_live_videos_deletes_the_photos_asked_for() {
    // `--skip-live-photos`: the video was not asked for, so the photo alone suffices (as
    // icloudpd, and as the user chose).
    let env = Env::new(fixture_first(1));
    let run = env.run(&photos_only("1", &["--delete-after-download"]));
    run.assert_code(0)
        .assert_deleted_in_icloud(&["IMG_7409.JPG"]);
}
