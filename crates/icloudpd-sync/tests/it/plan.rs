//! The plan as a value: computed without writing, inspected and narrowed, then executed.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use icloud_fake::FakeLibrary;
use icloudpd_sync::{Rendition, RunMode, Size};

use crate::{Events, account, assert_tree_is_clean, engine, files_under, options, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_inspected_narrowed_and_executed_as_planned() {
    let fake = start(account(FakeLibrary::generated(40, 5)));
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("photos");
    let events = Arc::new(Events::default());
    let engine = engine(&fake, options(&target), events.clone()).await;

    let mut plan = engine.plan().await.unwrap();
    // Planning writes nothing and downloads nothing.
    assert!(!target.exists());
    assert!(events.lines().iter().all(|l| !l.starts_with("Downloaded")));
    // Every asset, but for the odd one whose files another asset of the plan already claims
    // (the generated library has same-named twins).
    let total = plan.assets().len();
    assert!(total > 30, "{total}");
    assert!(plan.deletions().is_empty());
    let every: Vec<PathBuf> = plan.downloads().map(|d| d.path.clone()).collect();
    assert!(
        every.len() > 40,
        "live photos add their videos: {}",
        every.len()
    );
    assert_eq!(
        every.iter().collect::<BTreeSet<_>>().len(),
        every.len(),
        "no two downloads share a path"
    );
    for download in plan.downloads() {
        assert!(download.path.starts_with(&target), "{download:?}");
        // Same-named files of other sizes (the generator makes some) are `<stem>-<size>.<ext>`.
        let name = download.path.file_name().unwrap().to_string_lossy();
        assert_eq!(
            download.is_deduplicated(),
            name.contains(&format!("-{}.", download.size())),
            "{download:?}"
        );
        assert_eq!(download.size(), download.version.size());
        assert!(matches!(
            download.rendition,
            Rendition::Size(Size::Original) | Rendition::LiveVideo(_)
        ));
    }
    assert_eq!(
        plan.bytes(),
        plan.downloads().map(|d| d.size()).sum::<u64>()
    );

    // Keep the first ten assets only: exactly their files are written.
    let mut kept = 0;
    plan.retain_assets(|_| {
        kept += 1;
        kept <= 10
    });
    let wanted: BTreeSet<PathBuf> = plan
        .downloads()
        .map(|d| d.path.strip_prefix(&target).unwrap().to_path_buf())
        .collect();
    let report = engine.execute(plan).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.downloaded as usize, wanted.len());
    let written: BTreeSet<PathBuf> = files_under(&target).into_iter().collect();
    assert_eq!(written, wanted);
    assert_tree_is_clean(&fake, &target);

    // The next plan finds those files present and plans the other thirty assets.
    let again = engine.plan().await.unwrap();
    assert_eq!(again.assets().len(), total - 10);
    assert_eq!(again.report().present as usize, wanted.len());
    assert!(
        again
            .downloads()
            .all(|d| !wanted.contains(d.path.strip_prefix(&target).unwrap()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_executes_a_plan_without_writing() {
    let fake = start(account(FakeLibrary::generated(12, 3)));
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("photos");
    let mut o = options(&target);
    o.mode = RunMode::DryRun;
    let events = Arc::new(Events::default());
    let engine = engine(&fake, o, events.clone()).await;
    let plan = engine.plan().await.unwrap();
    let planned = plan.downloads().count();
    let report = engine.execute(plan).await.unwrap();
    assert_eq!(report.downloaded as usize, planned);
    assert_eq!(
        events
            .lines()
            .iter()
            .filter(|l| l.starts_with("WouldDownload"))
            .count(),
        planned
    );
    assert!(!target.exists());
}
