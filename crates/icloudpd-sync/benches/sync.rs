//! Download benchmark: how fast a full sync of a large library of small files is, and how much
//! the number of downloads in flight buys.
//!
//! `cargo bench -p icloudpd-sync --bench sync` starts `icloud-fake` in this process with a
//! generated library (every resource capped at 32 KiB, so files are 8–32 KiB), a fixed latency
//! per request and a bandwidth cap shared by all downloads, then mirrors the whole library into
//! a fresh empty directory (under `TMPDIR`: the disk is part of the figures) in a child process
//! (this same binary, re-executed): once at [`icloudpd_sync::DEFAULT_CONCURRENCY`] and once at
//! concurrency 1 (what `--threads-num 1` means; the listing keeps the photos client's default). The sync uses icloudpd's defaults
//! (retries included) except for naming: `name-id7`, because under the cap the generator's
//! same-named twins have equal sizes, which the default policy rightly takes for one file; with
//! the id in the name every file of the library is written. The child measures only the sync
//! (sign-in and opening the library are not timed): its wall time and CPU time, and its peak
//! resident set (`VmHWM`, so the fake's memory is not counted). The fake counts the requests of the whole child run (CloudKit and CDN) and its own
//! CPU time. After each run this process checks the directory: every expected file is there
//! with the expected bytes, no temporary file is left, nothing failed.
//!
//! Then the incremental runs of `sync/incremental.rs`: what a run costs once a sync state
//! exists (no change, new assets, deleted assets), next to a full listing of the same library.
//!
//! Options (after `--`): `--sizes 10000`, `--latency-ms 30`, `--bandwidth-mbps 50` (megabytes
//! per second, all downloads together), `--concurrency 10,1` (the runs, in order),
//! `--incremental-sizes 2000,100000` (the libraries of the incremental runs),
//! `--download-only`, `--incremental-only`, `--sweep` (= `--sizes 2000 --concurrency
//! 1,2,4,8,10,16,32` without incremental runs, to choose the default by measurement) and
//! `--smoke` (= `--sizes 300 --incremental-sizes 300 --latency-ms 5`, a few seconds); later
//! options override earlier ones. The download target: the default concurrency at least 8×
//! faster than concurrency 1 (judged for libraries of 10k assets or more at 30 ms latency or
//! more; smaller runs print the figure as `info`); the incremental targets are in
//! `sync/incremental.rs`. A missed target or an incomplete sync fails the run. `cargo clippy
//! --all-targets` (CI) keeps the bench compiling.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
use icloud_fake::bench::{self, BenchChild, Verdict, cpu_seconds, peak_rss_kib};
use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary, Fault};
use icloud_photos::{PRIMARY_LIBRARY, PhotosClient};
use icloudpd_sync::{DEFAULT_CONCURRENCY, FileMatchPolicy, SyncEngine, SyncOptions};

pub(crate) const APPLE_ID: &str = "bench@example.com";
pub(crate) const PASSWORD: &str = "bench password";
/// This binary re-executed as the measured client.
const CHILD: BenchChild = BenchChild::new("ICLOUDPD_SYNC_BENCH_CHILD");
/// Every resource of the generated library is cut to this size (they start at 8 KiB).
const MAX_FILE_BYTES: u64 = 32 * 1024;
/// The versions a default sync downloads: the original and a live photo's video.
const DOWNLOADED: [&str; 2] = ["resOriginal", "resOriginalVidCompl"];
/// The target, against an ideal of `DEFAULT_CONCURRENCY`× (every file costs one request and
/// its latency, so `n` downloads in flight can at best be `n` times faster).
const SPEEDUP_TARGET: f64 = 10.0;
/// The speedup is judged from this latency and library size on (below, the fixed costs of a
/// run — sign-in, listing the first page, the last downloads — weigh too much).
const SPEEDUP_MIN_LATENCY_MS: u64 = 30;
const SPEEDUP_MIN_SIZE: usize = 10_000;

#[path = "sync/incremental.rs"]
mod incremental;

fn main() -> ExitCode {
    if let Some(spec) = CHILD.spec() {
        child(&spec);
        return ExitCode::SUCCESS;
    }
    if let Some(spec) = incremental::CHILD.spec() {
        incremental::child(&spec);
        return ExitCode::SUCCESS;
    }
    let opts = Options::parse();
    let mut verdicts = Vec::new();
    if !opts.sizes.is_empty() {
        verdicts.extend(download_bench(&opts));
    }
    if !opts.incremental_sizes.is_empty() {
        println!(
            "\nincremental runs: {} ms latency per request (CDN included), files of 1 KiB, \
             --auto-delete, {} core(s); requests = every request of the run, session \
             validation included",
            opts.latency_ms,
            std::thread::available_parallelism().map_or(1, usize::from),
        );
        println!(
            "{:>7}  {:<8}  {:>7}  {:>9}  {:>8}  {:>9}",
            "library", "run", "files", "requests", "wall s", "peak RSS"
        );
        for &size in &opts.incremental_sizes {
            verdicts.extend(incremental::measure(size, opts.latency_ms));
        }
    }
    bench::print_verdicts(verdicts)
}

/// The download benchmark: a row per run, and its verdicts.
fn download_bench(opts: &Options) -> Vec<Verdict> {
    println!(
        "download benchmark: {} ms latency per request, bandwidth cap {} MB/s ({} Mbit/s) for \
         all downloads together, files of 8-{} KiB, {} core(s)",
        opts.latency_ms,
        opts.bandwidth_mbps,
        opts.bandwidth_mbps * 8,
        MAX_FILE_BYTES / 1024,
        std::thread::available_parallelism().map_or(1, usize::from),
    );
    println!(
        "{:>7}  {:>6}  {:>11}  {:>7}  {:>7}  {:>7}  {:>8}  {:>9}  {:>7}  {:>7}  {:>9}  {:>6}",
        "library",
        "files",
        "concurrency",
        "wall s",
        "CK req",
        "CDN req",
        "written",
        "peak RSS",
        "files/s",
        "vs c=1",
        "client CPU",
        "fake CPU"
    );
    let mut verdicts = Vec::new();
    for &size in &opts.sizes {
        verdicts.extend(measure(size, opts));
    }
    verdicts
}

/// A generated library whose whole collection holds exactly `size` assets (plus the hidden and
/// recently deleted ones the generator adds, which a sync of the collection skips).
fn library_of(size: usize) -> FakeLibrary {
    let mut library = FakeLibrary::generated(size, 7).max_resource_size(MAX_FILE_BYTES);
    for i in 0..size.saturating_sub(library.visible_len()) {
        library = library.asset(FakeAsset::photo(&format!("EXTRA_{i:06}.JPG")));
    }
    library
}

/// Syncs a generated library of `size` assets at each concurrency of the options, prints a row
/// for each run and returns the verdicts.
fn measure(size: usize, opts: &Options) -> Vec<Verdict> {
    let cloudkit = Arc::new(AtomicUsize::new(0));
    let cdn = Arc::new(AtomicUsize::new(0));
    let (ck_count, cdn_count) = (Arc::clone(&cloudkit), Arc::clone(&cdn));
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(APPLE_ID, PASSWORD)
                .without_two_factor()
                .library(library_of(size)),
        )
        .fault(Fault::latency(Duration::from_millis(opts.latency_ms)))
        .fault(Fault::bandwidth(opts.bandwidth_mbps * 1_000_000))
        .recording(false)
        .on_request(move |r| {
            if r.path.starts_with("/database/") {
                ck_count.fetch_add(1, Ordering::Relaxed);
            } else if r.path.starts_with("/B/") {
                cdn_count.fetch_add(1, Ordering::Relaxed);
            }
        })
        .start()
        .expect("the fake starts");
    let (files, bytes) = expected_files(&fake);
    let mut runs: Vec<Figures> = Vec::new();
    for &concurrency in &opts.concurrency {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let before = (
            cloudkit.load(Ordering::Relaxed),
            cdn.load(Ordering::Relaxed),
        );
        let fake_cpu = cpu_seconds();
        let f = run_child(&fake.base_url(), concurrency, dir.path());
        let fake_cpu = cpu_seconds() - fake_cpu;
        let (ck_sent, cdn_sent) = (
            cloudkit.load(Ordering::Relaxed) - before.0,
            cdn.load(Ordering::Relaxed) - before.1,
        );
        assert_eq!(f.failed, 0, "no download may fail");
        assert_eq!(f.present, 0, "the directory was empty");
        assert_eq!(f.downloaded, files, "every file is downloaded");
        assert_eq!(f.bytes, bytes, "every byte is downloaded");
        let (on_disk, on_disk_bytes) = tree(dir.path());
        assert_eq!(
            (on_disk, on_disk_bytes),
            (files, bytes),
            "the directory holds exactly the downloaded files"
        );
        let one = runs.iter().chain([&f]).find(|r| r.concurrency == 1);
        let speedup = one.map_or("-".to_owned(), |one| {
            format!("{:.1}x", one.seconds / f.seconds)
        });
        println!(
            "{:>7}  {:>6}  {:>11}  {:>7.2}  {:>7}  {:>7}  {:>8}  {:>9}  {:>7.0}  {:>7}  {:>9.2}s  {:>7.2}s",
            size,
            f.downloaded,
            f.concurrency,
            f.seconds,
            ck_sent,
            cdn_sent,
            format!("{:.1} MB", f.bytes as f64 / 1e6),
            f.peak_rss_kib
                .map_or("n/a".to_owned(), |k| format!("{:.1} MB", k as f64 / 1024.0)),
            f.downloaded as f64 / f.seconds,
            speedup,
            f.cpu_seconds,
            fake_cpu,
        );
        runs.push(f);
    }
    let Some(one) = runs.iter().find(|r| r.concurrency == 1) else {
        return Vec::new();
    };
    let Some(default) = runs.iter().find(|r| r.concurrency == DEFAULT_CONCURRENCY) else {
        return Vec::new();
    };
    let speedup = one.seconds / default.seconds;
    vec![Verdict {
        text: format!(
            "{size} assets: concurrency {DEFAULT_CONCURRENCY} is {speedup:.1}x faster than 1 at \
             {} ms latency (target >= {SPEEDUP_TARGET}x, ideal {DEFAULT_CONCURRENCY}x)",
            opts.latency_ms
        ),
        met: speedup >= SPEEDUP_TARGET,
        judged: opts.latency_ms >= SPEEDUP_MIN_LATENCY_MS && size >= SPEEDUP_MIN_SIZE,
    }]
}

/// The number of files and bytes a sync of the whole collection (original size) must write.
fn expected_files(fake: &FakeICloud) -> (u64, u64) {
    let listing = fake.expected_listing(APPLE_ID, PRIMARY_LIBRARY, None);
    let versions = listing
        .iter()
        .flat_map(|a| &a.versions)
        .filter(|(prefix, _, _)| DOWNLOADED.contains(&prefix.as_str()));
    versions.fold((0, 0), |(n, bytes), (_, size, _)| (n + 1, bytes + size))
}

/// The number of regular files under `dir` and their total size; panics on a temporary file.
fn tree(dir: &Path) -> (u64, u64) {
    let mut out = (0, 0);
    for entry in std::fs::read_dir(dir).expect("the download directory is readable") {
        let entry = entry.expect("a directory entry");
        let kind = entry.file_type().expect("a file type");
        if kind.is_dir() {
            let (n, bytes) = tree(&entry.path());
            out = (out.0 + n, out.1 + bytes);
        } else {
            let name = entry.file_name();
            assert!(
                !name.to_string_lossy().ends_with(".part"),
                "temporary file left: {}",
                entry.path().display()
            );
            let len = entry.metadata().expect("file metadata").len();
            out = (out.0 + 1, out.1 + len);
        }
    }
    out
}

struct Options {
    sizes: Vec<usize>,
    /// Library sizes of the incremental runs (see `sync/incremental.rs`).
    incremental_sizes: Vec<usize>,
    latency_ms: u64,
    /// Megabytes (10^6 bytes) per second.
    bandwidth_mbps: u64,
    /// The runs of each size, in order.
    concurrency: Vec<usize>,
}

impl Options {
    fn parse() -> Options {
        let mut o = Options {
            sizes: vec![10_000],
            incremental_sizes: vec![2_000, 100_000],
            latency_ms: 30,
            bandwidth_mbps: 50,
            concurrency: vec![DEFAULT_CONCURRENCY, 1],
        };
        let list = |v: String| -> Vec<usize> {
            v.split(',')
                .filter_map(|s| s.trim().parse().ok())
                .filter(|&n| n > 0)
                .collect()
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().unwrap_or_default();
            match arg.as_str() {
                "--sizes" => o.sizes = list(value()),
                "--incremental-sizes" => o.incremental_sizes = list(value()),
                "--download-only" => o.incremental_sizes.clear(),
                "--incremental-only" => o.sizes.clear(),
                "--latency-ms" => o.latency_ms = value().parse().unwrap_or(o.latency_ms),
                "--bandwidth-mbps" => {
                    o.bandwidth_mbps = value().parse().unwrap_or(o.bandwidth_mbps).max(1);
                }
                "--concurrency" => o.concurrency = list(value()),
                "--sweep" => {
                    o.sizes = vec![2_000];
                    o.incremental_sizes.clear();
                    o.concurrency = vec![1, 2, 4, 8, 10, 16, 32];
                }
                "--smoke" => {
                    o.sizes = vec![300];
                    o.incremental_sizes = vec![300];
                    o.latency_ms = 5;
                }
                _ => {} // `cargo bench` passes `--bench`; ignore what we do not know
            }
        }
        o
    }
}

/// What the child reports on its one stdout line.
struct Figures {
    concurrency: usize,
    downloaded: u64,
    bytes: u64,
    present: u64,
    failed: usize,
    seconds: f64,
    cpu_seconds: f64,
    peak_rss_kib: Option<u64>,
}

fn run_child(base_url: &str, concurrency: usize, dir: &Path) -> Figures {
    let out = CHILD.run(&format!("{base_url} {concurrency} {}", dir.display()));
    let stdout = &out.stdout;
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    let field = |i: usize, what: &str| -> u64 {
        fields
            .get(i)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{what} in the child's output: {stdout}"))
    };
    let figures = Figures {
        concurrency: field(0, "concurrency") as usize,
        downloaded: field(1, "downloaded"),
        bytes: field(2, "bytes"),
        present: field(3, "present"),
        failed: field(4, "failed") as usize,
        seconds: fields[5].parse().expect("seconds"),
        cpu_seconds: fields[6].parse().expect("cpu seconds"),
        peak_rss_kib: fields.get(7).and_then(|v| v.parse().ok()),
    };
    if figures.failed > 0 {
        eprint!("{}", out.stderr);
    }
    figures
}

/// The measured side: sign in, open the library, sync it into the directory, print
/// `concurrency downloaded bytes present failed seconds cpu_seconds peak_kib` (and the failures
/// on stderr).
fn child(spec: &str) {
    let mut parts = spec.splitn(3, ' ');
    let (Some(base_url), Some(concurrency), Some(dir)) = (parts.next(), parts.next(), parts.next())
    else {
        panic!("the child needs a url, a concurrency and a directory: {spec}");
    };
    let concurrency: usize = concurrency.parse().expect("concurrency");
    assert!(
        std::fs::read_dir(dir)
            .expect("the directory exists")
            .next()
            .is_none(),
        "each run starts in an empty directory"
    );
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
        let store = Arc::new(MemorySessionStore::default());
        let password = SecretString::from(PASSWORD.to_owned());
        let SignIn::Complete(session) = auth
            .sign_in(APPLE_ID, &password, store)
            .await
            .expect("sign-in")
        else {
            panic!("the bench account has no second factor");
        };
        // As `icloudpd --threads-num N`: the photos client keeps its defaults.
        let photos = PhotosClient::new(&session).expect("photos client");
        let library = photos.primary().await.expect("library");
        let mut options = SyncOptions::new(dir);
        options.concurrency = concurrency;
        options.file_match_policy = FileMatchPolicy::NameId7;
        let started = Instant::now();
        let cpu = cpu_seconds();
        let report = SyncEngine::new(photos, library, options)
            .run()
            .await
            .expect("the sync runs to the end");
        let seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        for failure in report.failed.iter().take(20) {
            eprintln!("failed: {failure:?}");
        }
        let peak = peak_rss_kib().map_or(String::new(), |k| k.to_string());
        println!(
            "{concurrency} {} {} {} {} {seconds:.3} {cpu:.3} {peak}",
            report.downloaded,
            report.bytes,
            report.present,
            report.failed.len(),
        );
    });
}
