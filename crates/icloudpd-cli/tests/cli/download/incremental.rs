//! Incremental runs (issue 13): after a full sync the sync state in the cookie directory lets
//! the next runs ask iCloud only for what changed.

use icloud_fake::{FakeAsset, FakeLibrary, Fault};

use super::{Env, account};
use crate::USER;

/// A generated library of `n` assets.
fn generated(n: usize) -> Env {
    Env::new(FakeLibrary::generated(n, 1313))
}

/// The requests of the fake since the `from`-th, as `METHOD path`.
fn since(env: &Env, from: usize) -> Vec<String> {
    env.fake.requests()[from..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn a_run_without_changes_makes_at_most_three_requests() {
    let env = generated(200);
    env.run(&[]).assert_code(0);
    let files = env.files();
    let from = env.fake.requests().len();
    let run = env.run(&[]);
    run.assert_code(0)
        .assert_logged("INFO", "Looking for changes since the last run...")
        .assert_logged("INFO", "No changes since the last run");
    let asked = since(&env, from);
    assert!(asked.len() <= 3, "validation included: {asked:#?}\n{run}");
    assert!(
        !asked.iter().any(|r| r.ends_with("/records/query")),
        "{asked:#?}"
    );
    assert_eq!(env.files(), files);
}

#[test]
fn new_deleted_and_hand_deleted_come_from_the_feed() {
    let env = generated(200);
    env.run(&["--auto-delete"]).assert_code(0);
    let listed = env.listing();
    for i in 0..10 {
        let asset = FakeAsset::photo(&format!("NEW_{i:02}.JPG")).date_ms(1_764_000_000_000 + i);
        env.fake.add_asset(USER, "PrimarySync", asset).unwrap();
    }
    for asset in &listed[..2] {
        assert!(
            env.fake
                .delete_asset(USER, "PrimarySync", &asset.asset_record_name)
        );
    }
    let victim = env.files().into_iter().nth(40).unwrap();
    std::fs::remove_file(env.data().join(&victim)).unwrap();

    let from = env.fake.requests().len();
    let run = env.run(&["--auto-delete"]);
    run.assert_code(0).assert_logged(
        "INFO",
        "Changes since the last run: 10 new or changed, 2 deleted in iCloud, 1 with files missing on disk",
    );
    let cloudkit: Vec<String> = since(&env, from)
        .into_iter()
        .filter(|r| r.contains("/database/"))
        .collect();
    assert!(cloudkit.len() <= 5, "a handful: {cloudkit:#?}");
    assert!(!cloudkit.iter().any(|r| r.ends_with("/records/query")));
    assert!(env.files().contains(&victim), "{victim} restored\n{run}");

    // The same tree as a fresh run of the changed library.
    let fresh = env.root.path().join("fresh");
    let fresh_arg = fresh.display().to_string();
    let sign_in = env.sign_in_args();
    let mut args = vec!["-d", &fresh_arg, "--no-progress-bar"];
    args.extend(sign_in.iter().map(String::as_str));
    env.raw(&args, &[]).assert_code(0);
    assert_eq!(env.files(), super::env::files_under(&fresh), "{run}");
}

#[test]
fn an_extra_size_is_downloaded_by_a_listing() {
    let env = generated(60);
    env.run(&[]).assert_code(0);
    let before = env.files();
    let run = env.run(&["--size", "original", "--size", "medium"]);
    run.assert_code(0).assert_logged(
        "INFO",
        "Listing the whole library: no complete run with these options yet (first run, or an option changed)",
    );
    let after = env.files();
    assert!(after.is_superset(&before));
    assert!(after.iter().any(|f| f.contains("-medium.")), "{run}");
    let again = env.run(&["--size", "original", "--size", "medium"]);
    again.assert_logged("INFO", "No changes since the last run");
}

#[test]
fn full_scan_and_a_zero_interval_list_the_whole_library() {
    let env = generated(40);
    env.run(&[]).assert_code(0);
    for (args, reason) in [
        (&["--full-scan"][..], "a full scan was asked for"),
        (
            &["--full-scan-interval", "0"][..],
            "the periodic full scan is due",
        ),
    ] {
        let from = env.fake.requests().len();
        let run = env.run(args);
        run.assert_code(0)
            .assert_logged("INFO", &format!("Listing the whole library: {reason}"));
        assert!(
            since(&env, from)
                .iter()
                .any(|r| r.ends_with("/records/query")),
            "{run}"
        );
    }
}

#[test]
fn a_state_that_cannot_be_read_is_rebuilt_without_downloading_again() {
    let env = generated(60);
    env.run(&[]).assert_code(0);
    let files = env.files();
    let cookie = env.root.path().join("cookie");
    let state = std::fs::read_dir(&cookie)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "sqlite"))
        .expect("a state next to the session");
    std::fs::write(&state, vec![0xa5; 4096]).unwrap();
    let run = env.run(&[]);
    run.assert_code(0)
        .assert_logged(
            "INFO",
            "Listing the whole library: no earlier run recorded in the sync state",
        )
        .assert_logged(
            "WARNING",
            &format!(
                "The sync state {} cannot be used (file is not a database): it is kept as {}.corrupt, and this run lists the whole library",
                state.display(),
                state.display()
            ),
        );
    assert!(run.stdout.contains("Summary: 0 downloaded (0 B)"), "{run}");
    assert_eq!(env.files(), files);
    env.run(&[])
        .assert_logged("INFO", "No changes since the last run");
}

#[test]
fn a_session_that_expires_every_few_requests_still_finishes_a_large_sync() {
    // Each session serves 10 CloudKit requests: the count and 9 pages of 100 assets, of which
    // the first repeats the last page of the session before. (Fewer than the 8 pages the
    // client asks for at once plus the count, and the first page may be the one refused.)
    let env = Env::with_account(
        account(FakeLibrary::generated(2500, 77)),
        &[Fault::expire_session_every(10)],
    );
    let run = env.run(&["--threads-num", "4"]);
    run.assert_code(0);
    let renewed = run
        .stdout
        .matches("Session error, re-authenticating...")
        .count();
    assert!(renewed >= 3, "the session expired {renewed} times\n{run}");
    assert!(
        run.stdout.contains("Continuing the interrupted listing"),
        "{run}"
    );
    env.fake.clear_faults();
    // Everything is there: a fresh full listing finds nothing to download.
    let check = env.run(&["--full-scan"]);
    check.assert_code(0);
    assert!(check.stdout.contains("Summary: 0 downloaded"), "{check}");
}
