//! `icloudpd` killed (SIGKILL) at random moments while it downloads: no final file name ever
//! holds an incomplete, wrong or undated file, and one more run completes the tree exactly as
//! an uninterrupted run does (docs/compatibility.md, "what a killed run leaves").

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant, UNIX_EPOCH};

use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary, Fault};

use crate::{PASSWORD, USER, command};

const KILLS: usize = 10;
/// Delay before each kill, in ms: [`MIN_DELAY_MS`, `MAX_DELAY_MS`).
const MIN_DELAY_MS: u64 = 50;
const MAX_DELAY_MS: u64 = 1500;
/// Longest a run to completion may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// A generated library plus large photos and videos (1.5–6 MB), so that kills land mid-file.
fn library() -> FakeLibrary {
    let mut library = FakeLibrary::generated(250, 4242);
    for k in 0..14u64 {
        let date = 1_650_000_000_000 + i64::try_from(k).unwrap() * 86_400_000;
        let asset = if k % 3 == 2 {
            FakeAsset::video(&format!("BIG_{k:02}.MOV"))
        } else {
            FakeAsset::photo(&format!("BIG_{k:02}.JPG"))
        };
        library = library.asset(asset.size(1_500_000 + k * 350_000).date_ms(date));
    }
    library
}

/// splitmix64: the kill delays, the same on every run of the test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A file: its bytes and modification time (whole seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    bytes: Vec<u8>,
    mtime: i64,
}

/// Every file under `root` by relative path.
fn files(root: &Path) -> BTreeMap<String, Found> {
    let mut out = BTreeMap::new();
    if !root.exists() {
        return out;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            if crate::is_bookkeeping(&path) {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let modified = meta.modified().unwrap();
            let mtime = match modified.duration_since(UNIX_EPOCH) {
                Ok(d) => i64::try_from(d.as_secs()).unwrap(),
                Err(e) => -i64::try_from(e.duration().as_secs()).unwrap() - 1,
            };
            let bytes = fs::read(&path).unwrap();
            out.insert(rel, Found { bytes, mtime });
        }
    }
    out
}

/// Whether `name` is a temporary download name: `<BASE32>.part` or `<BASE32>.<n>.part`, or
/// the temporary name of an XMP sidecar, `.<hash>.xmp.part`.
fn is_part(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    // The second temporary file of an EXIF rewrite, `<download's temporary file>.exif`.
    let file = file.strip_suffix(".exif").unwrap_or(file);
    let Some(stem) = file.strip_suffix(".part") else {
        return false;
    };
    if stem.ends_with(".xmp") {
        return true;
    }
    let (base, n) = stem.split_once('.').unwrap_or((stem, "1"));
    !base.is_empty()
        && base
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b) || b == b'=')
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// Returns `icloudpd` downloading into `dir` (cookies in `cookies`), output appended to `log`.
fn download(fake: &FakeICloud, dir: &Path, run: &Setup) -> Command {
    let (cookies, log) = (&run.cookies, &run.log);
    let mut cmd = command(Some(fake));
    let out = File::options().create(true).append(true).open(log).unwrap();
    cmd.args(["-u", USER, "-p", PASSWORD, "--no-progress-bar", "-d"])
        .arg(dir)
        .arg("--cookie-directory")
        .arg(cookies)
        .args(run.args)
        .env("TZ", "UTC")
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out));
    cmd
}

fn wait(child: &mut Child, timeout: Duration, log: &Path) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "icloudpd did not finish within {timeout:?}\n{}",
                fs::read_to_string(log).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `icloudpd` into `dir` to completion; it must succeed.
fn complete(fake: &FakeICloud, dir: &Path, run: &Setup) {
    let log = &run.log;
    let mut child = download(fake, dir, run).spawn().unwrap();
    let status = wait(&mut child, RUN_TIMEOUT, log);
    assert!(
        status.success(),
        "icloudpd failed ({status})\n{}",
        fs::read_to_string(log).unwrap_or_default()
    );
}

/// What may be on disk after a kill: every final name holds exactly the reference bytes with
/// the reference time; every `.part` holds a prefix of a reference file of its folder, or of
/// a file as Apple serves it (`raw`: before its EXIF date was written).
fn check_after_kill(
    kill: usize,
    delay: u64,
    dir: &Path,
    reference: &BTreeMap<String, Found>,
    raw: &[Vec<u8>],
) -> usize {
    let mut parts = 0;
    let mut problems = Vec::new();
    for (path, found) in files(dir) {
        if path == icloudpd_sync::LOCK_FILE_NAME {
            // The killed run's directory lock: left behind, and no obstacle to the next run.
            continue;
        }
        if is_part(&path) {
            parts += 1;
            let folder = path.rsplit_once('/').map_or("", |(f, _)| f);
            // A file or sidecar being written: the beginning of one of its folder.
            let prefix_of_some = reference.iter().any(|(p, r)| {
                p.rsplit_once('/').map_or("", |(f, _)| f) == folder
                    && r.bytes.starts_with(&found.bytes)
            }) || raw.iter().any(|r| r.starts_with(&found.bytes));
            if !prefix_of_some {
                problems.push(format!(
                    "{path}: {} bytes, not the beginning of any file of its folder",
                    found.bytes.len()
                ));
            }
            continue;
        }
        match reference.get(&path) {
            None => problems.push(format!("{path}: not in the reference tree")),
            Some(r) if r.bytes.len() > found.bytes.len() => problems.push(format!(
                "{path}: truncated, {} of {} bytes",
                found.bytes.len(),
                r.bytes.len()
            )),
            Some(r) if r.bytes != found.bytes => problems.push(format!(
                "{path}: other bytes ({} bytes, reference {})",
                found.bytes.len(),
                r.bytes.len()
            )),
            Some(r) if r.mtime != found.mtime && !is_sidecar(&path) => problems.push(format!(
                "{path}: complete but modification time {} instead of {}",
                found.mtime, r.mtime
            )),
            Some(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "after kill {kill} (at {delay} ms):\n{}",
        problems.join("\n")
    );
    parts
}

/// How the runs of one test are made.
struct Setup {
    args: &'static [&'static str],
    cookies: PathBuf,
    log: PathBuf,
}

/// Downloads the library once into a reference directory, then `KILLS` times into another one,
/// killing `icloudpd` after a random delay (checking the directory after each kill), then once
/// more to completion; the two trees must be identical. `seed` picks the delays;
/// `throttled_run` is about how long an uninterrupted download takes at the capped bandwidth,
/// chosen so that the killed runs together get through most of the library (the kills land all
/// over it) and leave some of it to the final run.
fn kill_and_resume(args: &'static [&'static str], seed: u64, throttled_run: Duration) {
    let started = Instant::now();
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(USER, PASSWORD)
                .without_two_factor()
                .library(library()),
        )
        .recording(false)
        .start()
        .expect("fake starts");
    let tmp = tempfile::tempdir().unwrap();
    let (reference_dir, dir) = (tmp.path().join("reference"), tmp.path().join("photos"));
    let setup = Setup {
        args,
        cookies: tmp.path().join("cookies"),
        log: tmp.path().join("icloudpd.log"),
    };

    // The reference: one uninterrupted run at full speed.
    complete(&fake, &reference_dir, &setup);
    let reference = files(&reference_dir);
    let total: usize = reference.values().map(|f| f.bytes.len()).sum();
    assert!(reference.len() > 250, "{} files", reference.len());
    assert!(
        !reference.keys().any(|p| is_part(p)),
        "no .part after a complete run"
    );
    let big = reference.keys().filter(|p| p.contains("BIG_")).count();
    assert!(big >= 14, "every large file is in the reference");

    // Throttled, so that the killed runs are mid-transfer most of the time.
    let rate = (total as u64 / throttled_run.as_secs()).max(1);
    fake.set_fault(Fault::bandwidth(rate));
    // With `--set-exif-datetime` a temporary file holds Apple's bytes until it is dated.
    let raw: Vec<Vec<u8>> = if args.contains(&"--set-exif-datetime") {
        fake.expected_listing(USER, "PrimarySync", None)
            .iter()
            .flat_map(|a| {
                a.versions
                    .iter()
                    .filter_map(|(prefix, _, _)| {
                        fake.version_bytes(USER, "PrimarySync", &a.asset_record_name, prefix)
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut rng = Rng(seed);
    let mut with_parts = 0;
    let mut delays = Vec::new();
    for kill in 1..=KILLS {
        let delay = MIN_DELAY_MS + rng.next() % (MAX_DELAY_MS - MIN_DELAY_MS);
        delays.push(delay);
        let mut child = download(&fake, &dir, &setup).spawn().unwrap();
        thread::sleep(Duration::from_millis(delay));
        // SIGKILL on Unix: no chance to clean up.
        let _ = child.kill();
        let status = child.wait().unwrap();
        if check_after_kill(kill, delay, &dir, &reference, &raw) > 0 {
            with_parts += 1;
        }
        if status.success() {
            // Finished before the kill: nothing left to interrupt.
            break;
        }
    }
    let interrupted = files(&dir).keys().filter(|p| !is_part(p)).count();
    assert!(
        with_parts >= 3,
        "only {with_parts} kills landed mid-file (delays {delays:?}, {interrupted} of {} files \
         done)",
        reference.len()
    );

    // Finally a run to completion, at full speed again.
    fake.clear_faults();
    complete(&fake, &dir, &setup);
    let after = files(&dir);
    let leftovers: Vec<&String> = after.keys().filter(|p| is_part(p)).collect();
    assert!(leftovers.is_empty(), ".part files left: {leftovers:?}");
    let mut problems = Vec::new();
    for (path, r) in &reference {
        match after.get(path) {
            None => problems.push(format!("missing: {path}")),
            Some(f) if f.bytes != r.bytes => problems.push(format!(
                "other bytes: {path} ({} bytes, reference {})",
                f.bytes.len(),
                r.bytes.len()
            )),
            Some(f) if f.mtime != r.mtime && !is_sidecar(path) => problems.push(format!(
                "other time: {path} ({}, reference {})",
                f.mtime, r.mtime
            )),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| !reference.contains_key(*p)) {
        problems.push(format!("not in the reference: {path}"));
    }
    assert!(
        problems.is_empty(),
        "after the final run ({with_parts} kills mid-file, delays {delays:?}):\n{}",
        problems.join("\n")
    );
    eprintln!(
        "{args:?}: {} files, {total} bytes at {rate} B/s; {with_parts} of {} kills left a .part \
         ({interrupted} files done before the final run); {:.1?} in all",
        reference.len(),
        delays.len(),
        started.elapsed()
    );
}

/// XMP sidecars are written at download time, undated: their times are not compared.
fn is_sidecar(path: &str) -> bool {
    path.ends_with(".xmp")
}

#[test]
fn killed_runs_never_leave_a_damaged_file_and_resume_to_the_reference_tree() {
    kill_and_resume(&[], 0x1c10_0dbd, Duration::from_secs(5));
}

#[test]
fn killed_runs_with_several_sizes_and_sidecars_resume_to_the_reference_tree() {
    kill_and_resume(
        &[
            "--size",
            "original",
            "--size",
            "medium",
            "--live-photo-size",
            "medium",
            "--xmp-sidecar",
            "--folder-structure",
            "none",
        ],
        0x5eed_0002,
        Duration::from_secs(8),
    );
}

#[test]
fn part_names_are_recognised() {
    assert!(is_part(
        "2024/01/01/AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGI=.part"
    ));
    assert!(is_part("AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU.2.part"));
    assert!(!is_part("2024/01/01/IMG_0001.JPG"));
    assert!(!is_part("2024/01/01/img.part"));
    assert!(is_part("2024/01/01/.0123456789abcdef.xmp.part"));
}

#[test]
fn killed_runs_while_exif_dates_are_written_resume_to_the_reference_tree() {
    // Every JPEG is rewritten (second temporary file, flushed, renamed over the first) before
    // it gets its final name: a kill at any moment leaves either Apple's bytes or the dated
    // ones, whole or as a prefix, and never a damaged file under a final name.
    kill_and_resume(
        &["--set-exif-datetime", "--folder-structure", "none"],
        0x0e1f_da7e,
        Duration::from_secs(5),
    );
}

/// Incremental runs killed at random moments: after a full sync, 14 large assets arrive in
/// iCloud, 3 assets are deleted there and 5 files are deleted by hand; runs that read the
/// change feed are killed, then one completes. The tree must be the reference tree of the
/// changed library (no `--auto-delete`: the deleted assets' files stay), and the state
/// consistent: the next run finds no changes and downloads nothing.
#[test]
fn killed_incremental_runs_leave_the_exact_tree_and_a_consistent_state() {
    let started = Instant::now();
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(USER, PASSWORD)
                .without_two_factor()
                .library(FakeLibrary::generated(250, 4242)),
        )
        .recording(false)
        .start()
        .expect("fake starts");
    let tmp = tempfile::tempdir().unwrap();
    let (reference_dir, dir) = (tmp.path().join("reference"), tmp.path().join("photos"));
    let setup = Setup {
        args: &[],
        cookies: tmp.path().join("cookies"),
        log: tmp.path().join("icloudpd.log"),
    };
    complete(&fake, &dir, &setup);
    let before = files(&dir);

    // Changes in iCloud and on disk.
    let listed = fake.expected_listing(USER, "PrimarySync", None);
    for asset in &listed[10..13] {
        assert!(fake.delete_asset(USER, "PrimarySync", &asset.asset_record_name));
    }
    for k in 0..14u64 {
        let date = 1_750_000_000_000 + i64::try_from(k).unwrap() * 86_400_000;
        let asset = if k % 3 == 2 {
            FakeAsset::video(&format!("BIG_{k:02}.MOV"))
        } else {
            FakeAsset::photo(&format!("BIG_{k:02}.JPG"))
        };
        let asset = asset.size(1_500_000 + k * 350_000).date_ms(date);
        fake.add_asset(USER, "PrimarySync", asset).unwrap();
    }
    let mut hand_deleted = Vec::new();
    for path in before.keys().step_by(37).take(5) {
        fs::remove_file(dir.join(path)).unwrap();
        hand_deleted.push(path.clone());
    }

    // The reference: the changed library synced fresh, plus the files of the deleted assets,
    // which stay without --auto-delete.
    complete(&fake, &reference_dir, &setup);
    let mut reference = files(&reference_dir);
    for (path, found) in &before {
        reference
            .entry(path.clone())
            .or_insert_with(|| found.clone());
    }
    let total: u64 = reference
        .keys()
        .filter(|p| p.contains("BIG_"))
        .map(|p| reference[p].bytes.len() as u64)
        .sum();
    // The new files take about 5 s at this rate: the kills land all over them.
    fake.set_fault(Fault::bandwidth((total / 5).max(1)));
    let mut rng = Rng(0x1ec0_0013);
    let mut with_parts = 0;
    let mut delays = Vec::new();
    for kill in 1..=KILLS {
        let delay = MIN_DELAY_MS + rng.next() % (MAX_DELAY_MS - MIN_DELAY_MS);
        delays.push(delay);
        let mut child = download(&fake, &dir, &setup).spawn().unwrap();
        thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if check_after_kill(kill, delay, &dir, &reference, &[]) > 0 {
            with_parts += 1;
        }
        if status.success() {
            break;
        }
    }
    assert!(
        with_parts >= 3,
        "only {with_parts} kills landed mid-file ({delays:?})"
    );
    fake.clear_faults();
    complete(&fake, &dir, &setup);
    let log = fs::read_to_string(&setup.log).unwrap();
    assert!(
        log.contains("Looking for changes since the last run"),
        "{log}"
    );
    assert!(!log.contains("Listing the whole library: Apple"), "{log}");
    let after = files(&dir);
    let mut problems = Vec::new();
    for (path, r) in &reference {
        match after.get(path) {
            None => problems.push(format!("missing: {path}")),
            Some(f) if f.bytes != r.bytes => problems.push(format!("other bytes: {path}")),
            Some(f) if f.mtime != r.mtime => problems.push(format!("other time: {path}")),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| !reference.contains_key(*p)) {
        problems.push(format!("not in the reference: {path}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for path in &hand_deleted {
        assert!(after.contains_key(path), "{path} restored");
    }

    // A consistent state: the next run has nothing to do, and asks for nothing but changes.
    fs::write(&setup.log, "").unwrap();
    complete(&fake, &dir, &setup);
    let log = fs::read_to_string(&setup.log).unwrap();
    assert!(log.contains("No changes since the last run"), "{log}");
    assert!(log.contains("Summary: 0 downloaded"), "{log}");
    eprintln!(
        "incremental: {} files; {with_parts} of {} kills left a .part; {:.1?} in all",
        reference.len(),
        delays.len(),
        started.elapsed()
    );
}
