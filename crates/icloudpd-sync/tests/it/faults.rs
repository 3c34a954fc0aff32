//! A sync under a hostile network completes with every file intact.

use icloud_fake::{FakeICloud, FakeLibrary, Fault};

use crate::{account, assert_tree_is_clean, options, sync};

/// 5% of downloads reset mid-body, 2% of CloudKit queries and downloads answer 500, and the
/// session expires once mid-run: the sync signs in again, runs again, and ends with every
/// file present and complete, and no temporary file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_of_2000_assets_survives_resets_errors_and_an_expired_session() {
    let fake = FakeICloud::builder()
        .account(account(FakeLibrary::generated(2000, 77)))
        .fault(Fault::reset_downloads(50, 1))
        .fault(Fault::random_status("/records/query", 500, 20, 2))
        .fault(Fault::random_status("/B/", 500, 20, 3))
        .fault(Fault::random_status("}", 500, 20, 3))
        .fault(Fault::random_status("%7D", 500, 20, 3))
        .fault(Fault::expire_session_after(12))
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut runs = 0;
    let mut reauths = 0;
    let report = loop {
        runs += 1;
        assert!(runs <= 4, "too many runs");
        match sync(&fake, options(dir.path())).await {
            Ok(report) => break report,
            Err(e) if e.needs_reauth() => reauths += 1,
            Err(e) => panic!("run {runs} failed: {e}"),
        }
    };
    assert_eq!(reauths, 1, "the session expired once");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let files = assert_tree_is_clean(&fake, dir.path());
    assert!(files > 2000, "{files} files");

    // Nothing left to do.
    fake.clear_faults();
    let again = sync(&fake, options(dir.path())).await.unwrap();
    assert_eq!(again.downloaded, 0);
}
