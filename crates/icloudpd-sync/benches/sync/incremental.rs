//! The incremental half of the sync benchmark: what a run costs once a [`SyncState`] exists.
//!
//! For each library size: a generated library (files of 1 KiB, so that the first sync is quick)
//! is synced once without latency (not measured), with `--auto-delete` and a state. Then, at the
//! latency of the options (every request, CDN included), each measured run is a child process
//! that validates the stored session (`validate`, as `icloudpd` does at start) and syncs:
//!
//! - `full`: the whole library listed again though nothing changed (`--full-scan`: what every
//!   run of Python icloudpd costs);
//! - `none`: nothing changed (the state's change feed);
//! - `new`: 100 new assets (10 for libraries of 2,000 or fewer, to compare with kei);
//! - `deleted`: 100 assets moved to Recently Deleted (10 likewise), removed locally.
//!
//! The table shows every request of the child (sign-in validation, CloudKit, CDN), its wall time
//! from the validation to the end of the sync (state opened included), and its peak resident
//! set. Targets: a run without changes over 100k assets at 30 ms in under 2 s with at most 3
//! requests; on 2,000 assets, a run without changes in under 0.2 s with at most 3 requests and
//! one with 10 new assets in under 0.27 s with at most 14 (kei's figures on that library at that
//! latency).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use icloud_auth::{AuthClient, Endpoints, FileSessionStore, Region, SecretString, SignIn};
use icloud_fake::bench::{BenchChild, Verdict, peak_rss_kib};
use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary, Fault};
use icloud_photos::{PRIMARY_LIBRARY, PhotosClient};
use icloudpd_sync::{FileMatchPolicy, SyncEngine, SyncOptions, SyncState};

use crate::{APPLE_ID, PASSWORD};

/// This binary re-executed as the measured client of one incremental run.
pub const CHILD: BenchChild = BenchChild::new("ICLOUDPD_SYNC_BENCH_INCREMENTAL");

/// Every resource is cut to this size.
const FILE_BYTES: u64 = 1024;

/// The measured runs, in order.
const RUNS: [&str; 4] = ["full", "none", "new", "deleted"];

/// Measures the incremental runs of a library of `size` assets at `latency_ms`; prints a row per
/// run and returns the verdicts.
pub fn measure(size: usize, latency_ms: u64) -> Vec<Verdict> {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(APPLE_ID, PASSWORD)
                .without_two_factor()
                .library(library_of(size)),
        )
        .recording(false)
        .on_request(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        })
        .start()
        .expect("the fake starts");
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let base = fake.base_url();
    let started = Instant::now();
    let first = run_child(&base, "initial", tmp.path());
    assert_eq!(first.failed, 0, "the first sync is complete");
    println!(
        "{size:>7}  {:<8}  {:>7}  {:>9}  {:>8}  {:>9}  (no latency, not judged; {:.0} s in all)",
        "first",
        first.downloaded,
        "",
        "",
        "",
        started.elapsed().as_secs_f64()
    );
    fake.set_fault(Fault::latency(Duration::from_millis(latency_ms)));
    let changes = if size <= 2_000 { 10 } else { 100 };
    let mut verdicts = Vec::new();
    for run in RUNS {
        match run {
            "new" => add_assets(&fake, changes),
            "deleted" => delete_assets(&fake, changes),
            _ => {}
        }
        let before = requests.load(Ordering::Relaxed);
        let f = run_child(&base, run, tmp.path());
        let sent = requests.load(Ordering::Relaxed) - before;
        assert_eq!(f.failed, 0, "{run}: nothing may fail");
        let expected = match run {
            "new" => changes as u64,
            _ => 0,
        };
        assert_eq!(f.downloaded, expected, "{run}: downloads");
        if run == "deleted" {
            assert!(f.deleted >= changes as u64, "{run}: local deletions");
        }
        println!(
            "{size:>7}  {run:<8}  {:>7}  {:>9}  {:>8.3}  {:>9}",
            f.downloaded,
            sent,
            f.seconds,
            f.peak_rss_kib
                .map_or("n/a".to_owned(), |k| format!("{:.1} MB", k as f64 / 1024.0)),
        );
        verdicts.extend(verdict(size, latency_ms, run, changes, f.seconds, sent));
    }
    verdicts
}

/// The targets of one run, if it has any.
fn verdict(
    size: usize,
    latency_ms: u64,
    run: &str,
    changes: usize,
    seconds: f64,
    requests: usize,
) -> Option<Verdict> {
    let (max_seconds, max_requests, judged_at) = match (run, size) {
        ("none", s) if s >= 100_000 => (2.0, 3, 100_000),
        ("none", _) => (0.2, 3, 2_000),
        ("new", s) if s <= 2_000 => (0.27, 14, 2_000),
        _ => return None,
    };
    let what = match run {
        "none" => "a run without changes".to_owned(),
        _ => format!("a run with {changes} new assets"),
    };
    Some(Verdict {
        text: format!(
            "{size} assets at {latency_ms} ms: {what} took {seconds:.3} s and {requests} requests \
             (target < {max_seconds} s, <= {max_requests} requests)"
        ),
        met: seconds < max_seconds && requests <= max_requests,
        judged: latency_ms >= 30 && size == judged_at,
    })
}

/// A generated library of `size` assets in its whole collection, every file 1 KiB.
fn library_of(size: usize) -> FakeLibrary {
    let mut library = FakeLibrary::generated(size, 11).max_resource_size(FILE_BYTES);
    for i in 0..size.saturating_sub(library.visible_len()) {
        library = library.asset(FakeAsset::photo(&format!("EXTRA_{i:06}.JPG")));
    }
    library
}

fn add_assets(fake: &FakeICloud, n: usize) {
    for i in 0..n {
        let date = 1_764_000_000_000 + i64::try_from(i).unwrap_or(0) * 60_000;
        let asset = FakeAsset::photo(&format!("NEW_{i:04}.JPG"))
            .size(FILE_BYTES)
            .date_ms(date);
        fake.add_asset(APPLE_ID, PRIMARY_LIBRARY, asset)
            .expect("the library exists");
    }
}

fn delete_assets(fake: &FakeICloud, n: usize) {
    let listed = fake.expected_listing(APPLE_ID, PRIMARY_LIBRARY, None);
    // Spread over the library, not only the newest.
    let step = (listed.len() / n.max(1)).max(1);
    for asset in listed.iter().step_by(step).take(n) {
        assert!(fake.delete_asset(APPLE_ID, PRIMARY_LIBRARY, &asset.asset_record_name));
    }
}

/// What the child reports.
struct Figures {
    downloaded: u64,
    deleted: u64,
    failed: usize,
    seconds: f64,
    peak_rss_kib: Option<u64>,
}

fn run_child(base_url: &str, run: &str, root: &Path) -> Figures {
    let out = CHILD.run(&format!("{base_url} {run} {}", root.display()));
    let fields: Vec<&str> = out.stdout.split_whitespace().collect();
    let field = |i: usize| -> &str {
        fields
            .get(i)
            .unwrap_or_else(|| panic!("field {i} in the child's output: {}", out.stdout))
    };
    let figures = Figures {
        downloaded: field(0).parse().expect("downloaded"),
        deleted: field(1).parse().expect("deleted"),
        failed: field(2).parse().expect("failed"),
        seconds: field(3).parse().expect("seconds"),
        peak_rss_kib: fields.get(4).and_then(|v| v.parse().ok()),
    };
    if figures.failed > 0 {
        eprint!("{}", out.stderr);
    }
    figures
}

/// The measured side: open the stored session (signing in the first time), open the state,
/// sync, and print `downloaded deleted failed seconds peak_kib`.
pub fn child(spec: &str) {
    let mut parts = spec.splitn(3, ' ');
    let (Some(base_url), Some(run), Some(root)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("the child needs a url, a run and a directory: {spec}");
    };
    let root = Path::new(root);
    let dir = root.join("photos");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let endpoints = Endpoints::single_origin(Region::Global, base_url).expect("url");
        let auth = AuthClient::builder()
            .endpoints(endpoints)
            .build()
            .expect("client");
        let store = Arc::new(FileSessionStore::new(root.join("cookies")));
        let started = Instant::now();
        let session = match auth.resume(APPLE_ID, store.clone()).await.expect("resume") {
            Some(SignIn::Complete(session)) => session,
            _ => {
                let password = SecretString::from(PASSWORD.to_owned());
                match auth.sign_in(APPLE_ID, &password, store).await {
                    Ok(SignIn::Complete(session)) => session,
                    other => panic!("the bench account has no second factor: {other:?}"),
                }
            }
        };
        let name = SyncState::file_name(APPLE_ID, PRIMARY_LIBRARY, &dir);
        let state = Arc::new(SyncState::open(root.join("cookies").join(name)).expect("state"));
        let photos = PhotosClient::new(&session).expect("photos client");
        // As `icloudpd`: the library of the last complete run needs no request.
        let library = match state.library().expect("state readable") {
            Some(handle) => photos.reopen(&handle),
            None => photos.primary().await.expect("library"),
        };
        let mut options = SyncOptions::new(&dir);
        options.file_match_policy = FileMatchPolicy::NameId7;
        options.auto_delete = true;
        let report = SyncEngine::new(photos, library, options)
            .state(state)
            .full_scan(run == "full")
            .run()
            .await
            .expect("the sync runs to the end");
        let seconds = started.elapsed().as_secs_f64();
        for failure in report.failed.iter().take(20) {
            eprintln!("failed: {failure:?}");
        }
        let peak = peak_rss_kib().map_or(String::new(), |k| k.to_string());
        println!(
            "{} {} {} {seconds:.3} {peak}",
            report.downloaded,
            report.deleted_locally,
            report.failed.len(),
        );
    });
}
