//! Incremental runs with a [`SyncState`]: the change feed instead of a listing, and every way
//! back to a full listing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use icloud_fake::{FakeAsset, FakeICloud, FakeLibrary, Fault};
use icloud_photos::PhotosClient;
use icloudpd_sync::{Size, SyncEngine, SyncOptions, SyncReport, SyncState};

use crate::{
    Events, USER, account, assert_tree_is_clean, fast_retry, files_under, options, sign_in,
};

/// A fake with a generated library of `n` assets.
fn fake_of(n: usize) -> FakeICloud {
    FakeICloud::builder()
        .account(account(FakeLibrary::generated(n, 3)))
        .start()
        .expect("fake starts")
}

/// What one run did: its report, its events and the CloudKit requests it made (paths).
struct Run {
    report: SyncReport,
    events: Vec<String>,
    cloudkit: Vec<String>,
}

impl Run {
    fn asked(&self, endpoint: &str) -> usize {
        self.cloudkit
            .iter()
            .filter(|p| p.ends_with(endpoint))
            .count()
    }

    fn said(&self, what: &str) -> bool {
        self.events.iter().any(|e| e.contains(what))
    }
}

/// Signs in and runs one sync of PrimarySync with the state at `state`.
async fn run(fake: &FakeICloud, state: &Path, options: SyncOptions) -> Run {
    let engine = engine(fake, state, options).await;
    run_engine(fake, &engine.0, engine.1).await.unwrap()
}

async fn engine(
    fake: &FakeICloud,
    state: &Path,
    options: SyncOptions,
) -> (SyncEngine, Arc<Events>) {
    let session = sign_in(fake).await;
    let photos = PhotosClient::builder(&session)
        .retry(fast_retry())
        .build()
        .unwrap();
    let library = photos.primary().await.unwrap();
    let events = Arc::new(Events::default());
    let state = Arc::new(SyncState::open(state).unwrap());
    let engine = SyncEngine::new(photos, library, options)
        .reporter(events.clone())
        .state(state);
    (engine, events)
}

async fn run_engine(
    fake: &FakeICloud,
    engine: &SyncEngine,
    events: Arc<Events>,
) -> icloudpd_sync::Result<Run> {
    let before = fake.requests().len();
    let report = engine.run().await?;
    let cloudkit = fake.requests()[before..]
        .iter()
        .filter(|r| r.path.starts_with("/database/"))
        .map(|r| r.path.clone())
        .collect();
    Ok(Run {
        report,
        events: events.lines(),
        cloudkit,
    })
}

/// A download directory, and where its state goes (elsewhere, as in the cookie directory).
struct Dirs {
    data: tempfile::TempDir,
    _states: tempfile::TempDir,
    state: PathBuf,
}

impl Dirs {
    fn path(&self) -> &Path {
        self.data.path()
    }
}

fn dirs() -> Dirs {
    let data = tempfile::tempdir().unwrap();
    let states = tempfile::tempdir().unwrap();
    let state = states
        .path()
        .join(SyncState::file_name(USER, "PrimarySync", data.path()));
    Dirs {
        data,
        _states: states,
        state,
    }
}

/// The tree a fresh full sync with `options` makes, for comparison.
async fn fresh_tree(fake: &FakeICloud, change: impl Fn(&mut SyncOptions)) -> Vec<PathBuf> {
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(dir.path());
    change(&mut o);
    let report = crate::sync(fake, o).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    files_under(dir.path())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_without_changes_asks_only_whether_anything_changed() {
    let fake = fake_of(120);
    let dir = dirs();
    let state = dir.state.clone();
    let first = run(&fake, &state, options(dir.path())).await;
    assert!(first.report.failed.is_empty(), "{:?}", first.report.failed);
    assert!(
        first.said("ListingAll { reason: NewState }"),
        "{:#?}",
        first.events
    );
    assert_eq!(
        first.asked("/changes/database"),
        2,
        "tokens taken before the listing, and whether the library changed during it"
    );
    let tree = files_under(dir.path());

    let second = run(&fake, &state, options(dir.path())).await;
    assert!(second.said("ListingChanges"), "{:#?}", second.events);
    assert_eq!(
        second.cloudkit,
        ["/database/1/com.apple.photos.cloud/production/private/changes/database"],
        "one request: nothing changed"
    );
    assert_eq!(second.report.downloaded, 0);
    assert!(second.report.failed.is_empty());
    assert_eq!(files_under(dir.path()), tree);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_assets_come_from_the_feed_with_a_handful_of_requests() {
    let fake = fake_of(150);
    let dir = dirs();
    let state = dir.state.clone();
    run(&fake, &state, options(dir.path())).await;
    for i in 0..10 {
        let asset = FakeAsset::photo(&format!("NEW_{i:04}.JPG")).date_ms(1_760_000_000_000 + i);
        fake.add_asset(USER, "PrimarySync", asset).unwrap();
    }
    let second = run(&fake, &state, options(dir.path())).await;
    assert!(
        second.report.failed.is_empty(),
        "{:?}",
        second.report.failed
    );
    assert_eq!(second.report.downloaded, 10);
    assert_eq!(second.asked("/records/query"), 0, "{:?}", second.cloudkit);
    assert!(second.cloudkit.len() <= 4, "{:?}", second.cloudkit);
    assert!(second.said("ChangesFound { changed: 10, deleted: 0, missing: 0 }"));
    assert_eq!(files_under(dir.path()), fresh_tree(&fake, |_| {}).await);
    assert_tree_is_clean(&fake, dir.path());

    let third = run(&fake, &state, options(dir.path())).await;
    assert_eq!(
        third.cloudkit.len(),
        1,
        "the token moved on: {:?}",
        third.cloudkit
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_deleted_in_icloud_are_removed_locally_with_auto_delete_only() {
    let fake = fake_of(80);
    let listed = fake.expected_listing(USER, "PrimarySync", None);
    let dir = dirs();
    let state = dir.state.clone();
    let with_auto = |dir: &Path| {
        let mut o = options(dir);
        o.auto_delete = true;
        o
    };
    run(&fake, &state, with_auto(dir.path())).await;
    let before = files_under(dir.path());
    for asset in &listed[..3] {
        assert!(fake.delete_asset(USER, "PrimarySync", &asset.asset_record_name));
    }
    let second = run(&fake, &state, with_auto(dir.path())).await;
    assert!(
        second.said("ChangesFound { changed: 0, deleted: 3, missing: 0 }"),
        "{:#?}",
        second.events
    );
    assert_eq!(
        second.asked("/records/query"),
        0,
        "no Recently Deleted listing: {:?}",
        second.cloudkit
    );
    assert!(second.report.deleted_locally >= 3, "{:?}", second.report);
    let after = files_under(dir.path());
    assert_eq!(after, fresh_tree(&fake, |_| {}).await);
    assert!(after.len() < before.len());

    // Without --auto-delete the files stay (another state: its own options).
    let keep = dirs();
    let keep_state = keep.state.clone();
    run(&fake, &keep_state, options(keep.path())).await;
    let kept = files_under(keep.path());
    assert!(fake.delete_asset(USER, "PrimarySync", &listed[5].asset_record_name));
    let run2 = run(&fake, &keep_state, options(keep.path())).await;
    assert!(run2.said("deleted: 1"), "{:#?}", run2.events);
    assert_eq!(files_under(keep.path()), kept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_deleted_by_hand_is_restored() {
    let fake = fake_of(60);
    let dir = dirs();
    let state = dir.state.clone();
    run(&fake, &state, options(dir.path())).await;
    let tree = files_under(dir.path());
    let victim = dir.path().join(&tree[tree.len() / 2]);
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::remove_file(&victim).unwrap();
    let second = run(&fake, &state, options(dir.path())).await;
    assert!(second.said("missing: 1"), "{:#?}", second.events);
    assert_eq!(second.report.downloaded, 1);
    assert_eq!(second.asked("/records/query"), 0);
    assert_eq!(second.asked("/records/lookup"), 1);
    assert_eq!(std::fs::read(&victim).unwrap(), bytes);
    assert_eq!(files_under(dir.path()), tree);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_falls_back_to_a_full_listing() {
    let fake = fake_of(60);
    let dir = dirs();
    let state = dir.state.clone();
    run(&fake, &state, options(dir.path())).await;
    let mut tree = files_under(dir.path());
    for (i, (key, value)) in [("zone_token", "garbage"), ("db_token", "AAAA")]
        .into_iter()
        .enumerate()
    {
        // A change, so that the zone's token is used.
        let new = FakeAsset::photo(&format!("NEW_{i}.JPG")).date_ms(1_760_000_000_000);
        fake.add_asset(USER, "PrimarySync", new).unwrap();
        let conn = rusqlite::Connection::open(&state).unwrap();
        conn.execute("UPDATE meta SET value = ?1 WHERE key = ?2", [value, key])
            .unwrap();
        drop(conn);
        std::fs::remove_file(dir.path().join(&tree[0])).unwrap();
        let next = run(&fake, &state, options(dir.path())).await;
        assert!(
            next.said("ListingAll { reason: TokenRefused }"),
            "{key}: {:#?}",
            next.events
        );
        assert!(next.asked("/records/query") > 0);
        assert!(next.report.failed.is_empty(), "{:?}", next.report.failed);
        assert_eq!(
            next.report.downloaded, 2,
            "the new asset and the deleted file"
        );
        tree = fresh_tree(&fake, |_| {}).await;
        assert_eq!(files_under(dir.path()), tree);
        let after = run(&fake, &state, options(dir.path())).await;
        assert_eq!(
            after.cloudkit.len(),
            1,
            "good tokens again: {:?}",
            after.cloudkit
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_option_lists_again_and_downloads_what_it_adds() {
    let fake = fake_of(40);
    let dir = dirs();
    let state = dir.state.clone();
    let first = run(&fake, &state, options(dir.path())).await;
    let mut more = options(dir.path());
    more.sizes = vec![Size::Original, Size::Medium];
    let second = run(&fake, &state, more.clone()).await;
    assert!(
        second.said("ListingAll { reason: NewConfiguration }"),
        "{:#?}",
        second.events
    );
    assert!(second.report.downloaded > 0);
    assert_eq!(second.report.present, first.report.downloaded);
    let third = run(&fake, &state, more).await;
    assert_eq!(third.cloudkit.len(), 1);
    assert_eq!(
        files_under(dir.path()),
        fresh_tree(&fake, |o| o.sizes = vec![Size::Original, Size::Medium]).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_or_deleted_state_is_rebuilt_without_downloading_again() {
    let fake = fake_of(50);
    let dir = dirs();
    let state = dir.state.clone();
    run(&fake, &state, options(dir.path())).await;
    let tree = files_under(dir.path());
    for damage in ["garbage", "delete"] {
        for suffix in ["", "-wal", "-shm"] {
            let mut side = state.as_os_str().to_owned();
            side.push(suffix);
            let _ = std::fs::remove_file(side);
        }
        if damage == "garbage" {
            std::fs::write(&state, vec![0x5a; 8192]).unwrap();
        }
        let next = run(&fake, &state, options(dir.path())).await;
        assert!(
            next.said("ListingAll { reason: NewState }"),
            "{:#?}",
            next.events
        );
        assert_eq!(next.report.downloaded, 0, "{damage}");
        assert_eq!(files_under(dir.path()), tree);
        let after = run(&fake, &state, options(dir.path())).await;
        assert_eq!(after.cloudkit.len(), 1, "{damage}: {:?}", after.cloudkit);
    }
    let mut aside = state.as_os_str().to_owned();
    aside.push(".corrupt");
    assert!(Path::new(&aside).is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_goes_on_where_an_expired_session_stopped_it() {
    let fake = fake_of(400);
    let dir = dirs();
    let state = dir.state.clone();
    let session = sign_in(&fake).await;
    let client = one_page_at_a_time;
    let photos = client(&session);
    let library = photos.primary().await.unwrap();
    fake.set_fault(Fault::expire_session_every(6));
    let events = Arc::new(Events::default());
    let mut engine = SyncEngine::new(photos, library, options(dir.path()))
        .reporter(events.clone())
        .state(Arc::new(SyncState::open(&state).unwrap()));
    let before = fake.count("POST", "/records/query");
    let mut total = SyncReport::default();
    let mut sessions = 1;
    loop {
        let progress = engine.progress();
        match engine.run_into(&mut total).await {
            Ok(()) => break,
            Err(e) if e.needs_reauth() => {
                assert!(sessions < 200, "no end in sight");
                if sessions > 2 {
                    assert!(engine.progress() > progress, "each session gets further");
                }
                sessions += 1;
                engine.rebind(client(&sign_in(&fake).await));
            }
            Err(e) => panic!("{e}"),
        }
    }
    fake.clear_faults();
    assert!(sessions > 5, "the session expired often: {sessions}");
    assert!(total.failed.is_empty(), "{:?}", total.failed);
    assert!(events.lines().iter().any(|l| l.contains("ListingResumed")));
    // Started over each time, the listing would have asked for ~20 pages per session.
    let pages = fake.count("POST", "/records/query") - before;
    assert!(pages < 3 * 400 / 20, "{pages} listing requests");
    assert_eq!(files_under(dir.path()), fresh_tree(&fake, |_| {}).await);
    // The resumed listing completed the state: the next run asks only for changes.
    let next = run(&fake, &state, options(dir.path())).await;
    assert_eq!(next.cloudkit.len(), 1, "{:?}", next.cloudkit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_state_auto_delete_spares_what_keep_recent_days_moved() {
    // Two old photos and one from today.
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let lib = FakeLibrary::new()
        .asset(FakeAsset::photo("OLD_1.JPG").date_ms(now - 400 * 86_400_000))
        .asset(FakeAsset::photo("OLD_2.JPG").date_ms(now - 500 * 86_400_000))
        .asset(FakeAsset::photo("NEW_1.JPG").date_ms(now - 3_600_000));
    let fake = FakeICloud::builder().account(account(lib)).start().unwrap();
    let dir = dirs();
    let state = dir.state.clone();
    let mut o = options(dir.path());
    o.folder_structure = icloudpd_sync::FolderStructure::Flat;
    o.auto_delete = true;
    o.keep_icloud_recent_days = Some(30);
    let mut bare = o.clone();
    bare.directory = dir.path().to_path_buf();
    // Without a state the mix is refused before anything happens.
    let refused = crate::sync(&fake, bare).await;
    assert!(
        matches!(refused, Err(icloudpd_sync::Error::Unsafe(_))),
        "{refused:?}"
    );
    assert!(files_under(dir.path()).is_empty());

    let first = run(&fake, &state, o.clone()).await;
    assert!(first.report.failed.is_empty(), "{:?}", first.report.failed);
    assert_eq!(first.report.deleted_in_icloud, 2);
    let names = |dir: &Path| -> Vec<String> {
        files_under(dir)
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(dir.path()), ["NEW_1.JPG", "OLD_1.JPG", "OLD_2.JPG"]);
    // The next runs see both in Recently Deleted: they were moved by us, the files stay.
    let second = run(&fake, &state, o.clone()).await;
    assert_eq!(second.report.deleted_locally, 0);
    assert_eq!(names(dir.path()), ["NEW_1.JPG", "OLD_1.JPG", "OLD_2.JPG"]);
    // The user deletes the new one: its file goes.
    let new = fake
        .expected_listing(USER, "PrimarySync", None)
        .into_iter()
        .find(|a| a.filename.as_deref() == Some("NEW_1.JPG"))
        .unwrap();
    assert!(fake.delete_asset(USER, "PrimarySync", &new.asset_record_name));
    let third = run(&fake, &state, o).await;
    assert_eq!(third.report.deleted_locally, 1, "{:#?}", third.events);
    assert_eq!(names(dir.path()), ["OLD_1.JPG", "OLD_2.JPG"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_listing_that_lost_its_place_leaves_no_tokens() {
    let fake = fake_of(300);
    let listed = fake.expected_listing(USER, "PrimarySync", None);
    let dir = dirs();
    let client = one_page_at_a_time;
    let photos = client(&sign_in(&fake).await);
    let library = photos.primary().await.unwrap();
    fake.set_fault(Fault::expire_session_after(8));
    let mut engine = SyncEngine::new(photos, library, options(dir.path()))
        .state(Arc::new(SyncState::open(&dir.state).unwrap()));
    let mut total = SyncReport::default();
    let err = engine.run_into(&mut total).await.unwrap_err();
    assert!(err.needs_reauth(), "{err}");
    // Meanwhile the 60 newest assets are deleted: the old ones move up three pages.
    for asset in &listed[..60] {
        assert!(fake.delete_asset(USER, "PrimarySync", &asset.asset_record_name));
    }
    engine.rebind(client(&sign_in(&fake).await));
    engine.run_into(&mut total).await.unwrap();
    assert!(total.failed.is_empty(), "{:?}", total.failed);
    // The resumed listing may have skipped assets: the next run lists everything again.
    let next = run(&fake, &dir.state, options(dir.path())).await;
    assert!(
        next.said("ListingAll { reason: NewConfiguration }"),
        "{:#?}",
        next.events
    );
    // Everything the library holds is on disk (the deleted assets' files stay too: no
    // --auto-delete).
    let got = files_under(dir.path());
    for file in fresh_tree(&fake, |_| {}).await {
        assert!(got.contains(&file), "{} is missing", file.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_library_in_either_database_is_synced_from_its_feed() {
    use icloud_fake::SharedPlacement;
    const ZONE: &str = "SharedSync-00000000-1111-2222-3333-444444444444";
    for placement in [SharedPlacement::PrivateDb, SharedPlacement::SharedDb] {
        let fake = FakeICloud::builder()
            .account(account(FakeLibrary::generated(20, 5)).shared_library(
                ZONE,
                FakeLibrary::generated(40, 6),
                placement,
            ))
            .start()
            .unwrap();
        let dir = dirs();
        let state = Arc::new(SyncState::open(&dir.state).unwrap());
        let shared_run = |state: Arc<SyncState>| {
            let fake = &fake;
            let dir = dir.path().to_path_buf();
            async move {
                let session = sign_in(fake).await;
                let photos = PhotosClient::builder(&session)
                    .retry(fast_retry())
                    .build()
                    .unwrap();
                let library = photos.library(ZONE).await.unwrap();
                let events = Arc::new(Events::default());
                let report = SyncEngine::new(photos, library, options(&dir))
                    .reporter(events.clone())
                    .state(state)
                    .run()
                    .await
                    .unwrap();
                (report, events.lines())
            }
        };
        let (first, _) = shared_run(Arc::clone(&state)).await;
        assert!(
            first.failed.is_empty() && first.downloaded > 0,
            "{placement:?}"
        );
        let new = FakeAsset::photo("SHARED_NEW.JPG").date_ms(1_760_000_000_000);
        fake.add_asset(USER, ZONE, new).unwrap();
        let (second, events) = shared_run(Arc::clone(&state)).await;
        assert!(
            events
                .iter()
                .any(|e| e.contains("ChangesFound { changed: 1")),
            "{placement:?}: {events:#?}"
        );
        assert_eq!(second.downloaded, 1, "{placement:?}");
        assert!(
            files_under(dir.path())
                .iter()
                .any(|p| p.ends_with("SHARED_NEW.JPG")),
            "{placement:?}"
        );
    }
}

/// An intermediate resumed attempt that lost its place (assets moved up by more than a page)
/// and then expired again after getting further: the third attempt meets the second's anchor,
/// but the place stays lost, the state keeps no tokens, and the next run lists again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_place_is_not_forgotten_by_a_later_attempt() {
    let fake = fake_of(300);
    let listed = fake.expected_listing(USER, "PrimarySync", None);
    let dir = dirs();
    let client = one_page_at_a_time;
    let photos = client(&sign_in(&fake).await);
    let library = photos.primary().await.unwrap();
    fake.set_fault(Fault::expire_session_after(8));
    let events = Arc::new(Events::default());
    let mut engine = SyncEngine::new(photos, library, options(dir.path()))
        .reporter(events.clone())
        .state(Arc::new(SyncState::open(&dir.state).unwrap()));
    let mut total = SyncReport::default();
    let err = engine.run_into(&mut total).await.unwrap_err();
    assert!(err.needs_reauth(), "{err}");
    // The 60 newest assets go: the old ones move up three pages.
    for asset in &listed[..60] {
        assert!(fake.delete_asset(USER, "PrimarySync", &asset.asset_record_name));
    }
    // Second attempt: does not meet the anchor, gets further, expires again.
    engine.rebind(client(&sign_in(&fake).await));
    fake.set_fault(Fault::expire_session_after(8));
    let err = engine.run_into(&mut total).await.unwrap_err();
    assert!(err.needs_reauth(), "{err}");
    // Third attempt: meets the second attempt's anchor and completes.
    engine.rebind(client(&sign_in(&fake).await));
    engine.run_into(&mut total).await.unwrap();
    assert!(total.failed.is_empty(), "{:?}", total.failed);
    let resumed: Vec<String> = events
        .lines()
        .into_iter()
        .filter(|l| l.contains("ListingResumed"))
        .collect();
    eprintln!("{resumed:?}");
    let next = run(&fake, &dir.state, options(dir.path())).await;
    eprintln!("next run: {:?}", next.cloudkit);
    let got = files_under(dir.path());
    let missing: Vec<_> = fresh_tree(&fake, |_| {})
        .await
        .into_iter()
        .filter(|f| !got.contains(f))
        .collect();
    assert!(
        missing.is_empty(),
        "{} files of the library never downloaded (next run: {:?}): {:?}",
        missing.len(),
        next.cloudkit,
        &missing[..missing.len().min(5)]
    );
}

/// `--recent` (a run that records no files) with `--delete-after-download --auto-delete` and a
/// state: the assets this run moves to Recently Deleted are noted all the same, and
/// auto-delete leaves their freshly downloaded files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_delete_spares_what_a_run_that_keeps_no_records_moved() {
    let fake = fake_of(20);
    let dir = dirs();
    let mut o = options(dir.path());
    o.recent = Some(3);
    o.delete_after_download = true;
    o.auto_delete = true;
    let first = run(&fake, &dir.state, o).await;
    assert!(first.report.failed.is_empty(), "{:?}", first.report.failed);
    assert_eq!(first.report.deleted_in_icloud, 3, "{:?}", first.report);
    assert_eq!(
        first.report.deleted_locally,
        0,
        "auto-delete removed the files of assets this run moved: left {:?}",
        files_under(dir.path())
    );
}

/// `--delete-after-download --auto-delete` over the whole library, then the state is damaged:
/// the notes of what this program moved are gone, but with a deletion mode on, auto-delete
/// removes only recorded files, and the new state records none of those assets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_state_does_not_make_auto_delete_remove_what_we_moved() {
    let fake = fake_of(10);
    let dir = dirs();
    let mut o = options(dir.path());
    o.delete_after_download = true;
    o.auto_delete = true;
    let first = run(&fake, &dir.state, o.clone()).await;
    assert!(first.report.failed.is_empty(), "{:?}", first.report.failed);
    assert!(first.report.deleted_in_icloud > 0);
    assert_eq!(first.report.deleted_locally, 0);
    let tree = files_under(dir.path());
    // The state is damaged (or removed by hand).
    for suffix in ["", "-wal", "-shm"] {
        let mut side = dir.state.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    std::fs::write(&dir.state, vec![0x5a; 8192]).unwrap();
    let second = run(&fake, &dir.state, o).await;
    assert_eq!(
        second.report.deleted_locally,
        0,
        "left {:?} of {:?}",
        files_under(dir.path()),
        tree
    );
}

/// Deletes the newest assets in iCloud (as the user on a phone) once the listing has taken
/// `at` assets.
struct DeleteDuring {
    fake: Arc<FakeICloud>,
    victims: Vec<String>,
    at: usize,
    seen: std::sync::atomic::AtomicUsize,
}

impl icloudpd_sync::Reporter for DeleteDuring {
    fn event(&self, event: &icloudpd_sync::SyncEvent<'_>) {
        if matches!(event, icloudpd_sync::SyncEvent::AssetDone)
            && self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == self.at
        {
            for (i, v) in self.victims.iter().enumerate() {
                assert!(self.fake.delete_asset(USER, "PrimarySync", v));
                // And an old photo imported (it lists last): the count still matches.
                let old =
                    FakeAsset::photo(&format!("OLD_{i}.JPG")).date_ms(1_000_000_000_000 + i as i64);
                self.fake.add_asset(USER, "PrimarySync", old).unwrap();
            }
        }
    }
}

/// A full listing during which the user deletes a few assets (and imports as many old ones, so
/// that the count still matches): the listing's later pages shift up and skip unchanged
/// assets; the listing notices the library changed under it, and the next run lists again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletions_during_a_full_listing_do_not_skip_assets_for_good() {
    let fake = Arc::new(fake_of(300));
    let listed = fake.expected_listing(USER, "PrimarySync", None);
    let dir = dirs();
    let session = sign_in(&fake).await;
    let photos = PhotosClient::builder(&session)
        .retry(fast_retry())
        .page_size(20)
        .concurrency(1)
        .build()
        .unwrap();
    let library = photos.primary().await.unwrap();
    let reporter = Arc::new(DeleteDuring {
        fake: Arc::clone(&fake),
        victims: listed[..5]
            .iter()
            .map(|a| a.asset_record_name.clone())
            .collect(),
        at: 100,
        seen: Default::default(),
    });
    let report = SyncEngine::new(photos, library, options(dir.path()))
        .reporter(reporter)
        .state(Arc::new(SyncState::open(&dir.state).unwrap()))
        .run()
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let next = run(&fake, &dir.state, options(dir.path())).await;
    let got = files_under(dir.path());
    let missing: Vec<_> = fresh_tree(&fake, |_| {})
        .await
        .into_iter()
        .filter(|f| !got.contains(f))
        .collect();
    assert!(
        missing.is_empty(),
        "{} files never downloaded (next run: {:?}): {:?}",
        missing.len(),
        next.cloudkit,
        missing
    );
}

/// One engine run twice (a caller's watch loop): the second run asks only for changes (a
/// state opened new counts as known once a listing completed into it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_run_again_uses_the_feed() {
    let fake = fake_of(30);
    let dir = dirs();
    let (engine, events) = engine(&fake, &dir.state, options(dir.path())).await;
    run_engine(&fake, &engine, events.clone()).await.unwrap();
    let second = run_engine(&fake, &engine, events).await.unwrap();
    assert_eq!(second.cloudkit.len(), 1, "{:?}", second.cloudkit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_directory_that_lost_most_files_stops_the_run_until_a_full_scan() {
    let fake = fake_of(900);
    let dir = dirs();
    let first = run(&fake, &dir.state, options(dir.path())).await;
    assert!(first.report.failed.is_empty(), "{:?}", first.report.failed);
    let tree = files_under(dir.path());
    assert!(tree.len() >= 1_000, "{} files", tree.len());
    // The disk is not mounted: an empty folder where the files were.
    let aside = dir.path().with_extension("unmounted");
    std::fs::rename(dir.path(), &aside).unwrap();
    std::fs::create_dir(dir.path()).unwrap();
    let (stopped, _) = engine(&fake, &dir.state, options(dir.path())).await;
    let before = fake.count("GET", "");
    let err = stopped.run().await.unwrap_err();
    assert!(
        matches!(err, icloudpd_sync::Error::FilesMissing { missing, .. } if missing >= 1_000),
        "{err}"
    );
    assert_eq!(fake.count("GET", ""), before, "nothing downloaded");
    assert!(files_under(dir.path()).is_empty());
    // Asked for, a full scan downloads them again.
    let (full, _) = engine(&fake, &dir.state, options(dir.path())).await;
    let again = full.full_scan(true).run().await.unwrap();
    assert!(again.failed.is_empty(), "{:?}", again.failed);
    assert_eq!(files_under(dir.path()), tree);
    std::fs::remove_dir_all(aside).unwrap();
}

/// A client that lists 20 assets a page, one page at a time: a session that expires after a
/// few requests stops its listing midway, at a known place.
fn one_page_at_a_time(session: &icloud_auth::Session) -> PhotosClient {
    PhotosClient::builder(session)
        .retry(fast_retry())
        .page_size(20)
        .concurrency(1)
        .build()
        .unwrap()
}
