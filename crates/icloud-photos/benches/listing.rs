//! Listing benchmark: how fast and how lean a full listing of a large library is.
//!
//! `cargo bench -p icloud-photos --bench listing` starts `icloud-fake` in this process with a
//! generated library and a fixed latency per request, then lists the whole collection in a child
//! process (this same binary, re-executed) once with the client's default concurrency and once
//! with concurrency 1. The child measures only the client: the wall time and CPU time of the
//! listing, and its peak resident set (`VmHWM`, so the fake's memory is not counted). The fake
//! counts the requests (CloudKit requests of the whole child run: zones, indexing state, count,
//! pages) and its own CPU time.
//!
//! Options (after `--`): `--sizes 10000,100000`, `--latency-ms 30`, `--concurrency N` (default:
//! the client's), and `--smoke` (= `--sizes 500 --latency-ms 5`, a few seconds; later options
//! override it). The targets: 100k assets listed with a client peak RSS under 100 MB, and the
//! concurrent listing at least 5× faster than concurrency 1 at 30 ms latency (judged for
//! libraries of 10k assets or more; smaller runs print the figure as `info`). A missed target
//! fails the run. `cargo clippy --all-targets` (CI) keeps the bench compiling.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
use icloud_fake::bench::{self, BenchChild, Verdict, cpu_seconds, peak_rss_kib};
use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary, Fault};
use icloud_photos::{PRIMARY_LIBRARY, PhotosClient};

const APPLE_ID: &str = "bench@example.com";
const PASSWORD: &str = "bench password";
/// This binary re-executed as the measured client.
const CHILD: BenchChild = BenchChild::new("ICLOUD_PHOTOS_BENCH_CHILD");
const RSS_TARGET_MB: f64 = 100.0;
/// Libraries at least this large get the memory verdict.
const RSS_TARGET_SIZE: usize = 100_000;
const SPEEDUP_TARGET: f64 = 5.0;
/// The speedup is judged from this latency and library size on (below, too few pages or too
/// little latency to hide).
const SPEEDUP_MIN_LATENCY_MS: u64 = 30;
const SPEEDUP_MIN_SIZE: usize = 10_000;

fn main() -> ExitCode {
    if let Some(spec) = CHILD.spec() {
        child(&spec);
        return ExitCode::SUCCESS;
    }
    let opts = Options::parse();
    println!(
        "listing benchmark: {} ms latency per request, {} core(s)",
        opts.latency_ms,
        std::thread::available_parallelism().map_or(1, usize::from),
    );
    println!(
        "{:>8}  {:>8}  {:>11}  {:>7}  {:>8}  {:>9}  {:>8}  {:>12}  {:>10}",
        "library",
        "listed",
        "concurrency",
        "wall s",
        "requests",
        "peak RSS",
        "assets/s",
        "client CPU s",
        "fake CPU s"
    );
    let mut verdicts = Vec::new();
    for &size in &opts.sizes {
        verdicts.extend(measure(size, &opts));
    }
    bench::print_verdicts(verdicts)
}

/// A generated library whose whole collection holds exactly `size` assets (plus the hidden and
/// recently deleted ones the generator adds, which a listing of the collection skips).
fn library_of(size: usize) -> FakeLibrary {
    let mut library = FakeLibrary::generated(size, 7);
    for i in 0..size.saturating_sub(library.visible_len()) {
        library = library.asset(FakeAsset::photo(&format!("EXTRA_{i:06}.JPG")));
    }
    library
}

/// Lists a generated library of `size` assets at the chosen concurrency and at 1, prints a row
/// for each run and returns the verdicts.
fn measure(size: usize, opts: &Options) -> Vec<Verdict> {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(APPLE_ID, PASSWORD)
                .without_two_factor()
                .library(library_of(size)),
        )
        .fault(Fault::latency(Duration::from_millis(opts.latency_ms)))
        .recording(false)
        .on_request(move |r| {
            if r.path.starts_with("/database/") {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
        .start()
        .expect("the fake starts");
    // Hidden and recently deleted assets are not part of the whole collection.
    let expected = fake.expected_listing(APPLE_ID, PRIMARY_LIBRARY, None).len() as u64;
    let runs: Vec<Figures> = [opts.concurrency, Some(1)]
        .into_iter()
        .map(|concurrency| {
            let before = requests.load(Ordering::Relaxed);
            let fake_cpu = cpu_seconds();
            let f = run_child(&fake.base_url(), concurrency);
            let fake_cpu = cpu_seconds() - fake_cpu;
            let sent = requests.load(Ordering::Relaxed) - before;
            assert_eq!(f.assets, expected, "the listing must be complete");
            println!(
                "{:>8}  {:>8}  {:>11}  {:>7.2}  {:>8}  {:>9}  {:>8.0}  {:>12.2}  {:>10.2}",
                size,
                f.assets,
                f.concurrency,
                f.seconds,
                sent,
                f.peak_rss_kib
                    .map_or("n/a".to_owned(), |k| format!("{:.1} MB", mb(k))),
                f.assets as f64 / f.seconds,
                f.cpu_seconds,
                fake_cpu,
            );
            f
        })
        .collect();
    let mut verdicts = Vec::new();
    if size >= RSS_TARGET_SIZE {
        let worst = runs
            .iter()
            .filter_map(|f| f.peak_rss_kib)
            .max()
            .map_or(f64::NAN, mb);
        verdicts.push(Verdict {
            text: format!(
                "{size} assets: client peak RSS {worst:.1} MB (target < {RSS_TARGET_MB} MB)"
            ),
            met: worst < RSS_TARGET_MB,
            judged: true,
        });
    }
    let speedup = runs[1].seconds / runs[0].seconds;
    verdicts.push(Verdict {
        text: format!(
            "{size} assets: concurrency {} is {speedup:.1}x faster than 1 at {} ms latency \
             (target >= {SPEEDUP_TARGET}x)",
            runs[0].concurrency, opts.latency_ms
        ),
        met: speedup >= SPEEDUP_TARGET,
        judged: opts.latency_ms >= SPEEDUP_MIN_LATENCY_MS && size >= SPEEDUP_MIN_SIZE,
    });
    verdicts
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

struct Options {
    sizes: Vec<usize>,
    latency_ms: u64,
    /// `None`: the client's default.
    concurrency: Option<usize>,
}

impl Options {
    fn parse() -> Options {
        let mut o = Options {
            sizes: vec![10_000, 100_000],
            latency_ms: 30,
            concurrency: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().unwrap_or_default();
            match arg.as_str() {
                "--sizes" => {
                    o.sizes = value()
                        .split(',')
                        .filter_map(|s| s.trim().parse().ok())
                        .collect();
                }
                "--latency-ms" => o.latency_ms = value().parse().unwrap_or(o.latency_ms),
                "--concurrency" => o.concurrency = value().parse().ok(),
                "--smoke" => {
                    o.sizes = vec![500];
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
    assets: u64,
    concurrency: usize,
    seconds: f64,
    cpu_seconds: f64,
    peak_rss_kib: Option<u64>,
}

fn run_child(base_url: &str, concurrency: Option<usize>) -> Figures {
    let concurrency = concurrency.map_or("default".to_owned(), |c| c.to_string());
    let out = CHILD.run(&format!("{base_url} {concurrency}"));
    let fields: Vec<&str> = out.stdout.split_whitespace().collect();
    Figures {
        assets: fields[0].parse().expect("asset count"),
        concurrency: fields[1].parse().expect("concurrency"),
        seconds: fields[2].parse().expect("seconds"),
        cpu_seconds: fields[3].parse().expect("cpu seconds"),
        peak_rss_kib: fields.get(4).and_then(|v| v.parse().ok()),
    }
}

/// The measured side: sign in, list the whole collection, print
/// `assets concurrency seconds cpu_seconds peak_kib`.
fn child(spec: &str) {
    let (base_url, concurrency) = spec.split_once(' ').expect("url and concurrency");
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
        let mut builder = PhotosClient::builder(&session);
        if let Ok(n) = concurrency.parse() {
            builder = builder.concurrency(n);
        }
        let photos = builder.build().expect("photos client");
        let library = photos.primary().await.expect("library");
        let album = library.all_photos();
        let started = Instant::now();
        let cpu = cpu_seconds();
        let mut assets = 0u64;
        let mut stream = library.assets(&album);
        while let Some(asset) = stream.try_next().await.expect("every asset decodes") {
            drop(asset);
            assets += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        let peak = peak_rss_kib().map_or(String::new(), |k| k.to_string());
        let concurrency = photos.in_flight_limit();
        println!("{assets} {concurrency} {seconds:.3} {cpu:.3} {peak}");
    });
}
