//! Downloading against the fake: the Python icloudpd 1.32 test catalogue (cli.md §14)
//! reproduced with the real binary.
//!
//! Every test builds the catalogue's fixture account (or a variant of it) in `icloud-fake`,
//! runs `icloudpd` in a fresh directory (`data/` is the download directory, `cookie/` the
//! cookie directory, `TZ=UTC`) and asserts the exact set of files under `data/` and the key log
//! lines, compared on the message after the `YYYY-MM-DD HH:MM:SS LEVEL    ` prefix. Where we
//! deliberately differ from Python (docs/compatibility.md: per-file failures exit 1, no request
//! in a dry run, …) the test asserts our behaviour and says so.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Output;

use icloud_fake::{ExpectedAsset, FakeAccount, FakeAsset, FakeICloud, FakeLibrary, Fault};

use crate::{PASSWORD, USER, command};

/// Tests that differ only in the arguments they pass to one case function:
/// `cases! { case_fn: test_name(arg, …); … }` defines, for each row,
/// `#[test] fn test_name() { case_fn(arg, …) }` (doc comments before a row go to its test).
macro_rules! cases {
    ($case:ident: $($(#[$meta:meta])* $name:ident($($arg:expr),* $(,)?);)*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                $case($($arg),*);
            }
        )*
    };
}

// test_download_photos.py: existing files, sizes, RAW, dates, names, errors, deletion.
mod photos;
// test_download_photos_id.py: the same scenarios under `--file-match-policy name-id7`.
mod photos_id;
// Live photos, videos, folder structure, `--recent … --only-print-filenames`, issue 1220.
mod layout;
// `--auto-delete` and `--keep-icloud-recent-days`.
mod deletion;
// `--xmp-sidecar` and `--set-exif-datetime`.
mod metadata;
// test_cli.py: log levels, progress bar, argument errors.
mod cli;

/// The closing line of a run over photos and videos.
pub(crate) const ALL_DOWNLOADED: &str = "All photos and videos have been downloaded";

/// The closing line of a run over photos only (`--skip-videos`).
pub(crate) const ALL_PHOTOS_DOWNLOADED: &str = "All photos have been downloaded";

/// `--file-match-policy name-id7`.
pub(crate) const ID7: [&str; 2] = ["--file-match-policy", "name-id7"];

/// `--recent <recent> --skip-videos --skip-live-photos <extra>`: stills only.
pub(crate) fn photos_only<'a>(recent: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--recent", recent, "--skip-videos", "--skip-live-photos"];
    all.extend_from_slice(extra);
    all
}

/// One asset of the catalogue's fixture account (`listing_photos.yml`, newest first).
pub(crate) struct Row {
    pub name: &'static str,
    pub live: bool,
    pub date_ms: i64,
    pub master: &'static str,
    pub asset: &'static str,
}

const fn row(
    name: &'static str,
    live: bool,
    date_ms: i64,
    master: &'static str,
    asset: &'static str,
) -> Row {
    Row {
        name,
        live,
        date_ms,
        master,
        asset,
    }
}

/// The fixture of cli.md §14: live JPEGs (`live`) and QuickTime videos, UTC capture dates.
pub(crate) const ROWS: [Row; 12] = [
    // 2018-07-31 07:22:24.816
    row(
        "IMG_7409.JPG",
        true,
        1_533_021_744_816,
        "AY6c+BsE0jjaXx9tmVGJM1D2VcEO",
        "F2A23C38-0020-42FE-A273-2923ADE3CAED",
    ),
    // 2018-07-30 11:44:10.176
    row(
        "IMG_7408.JPG",
        true,
        1_532_951_050_176,
        "AR8OijSKPNBuzFZHNvRpv+yNookj",
        "577DE5DB-44CF-470B-9791-11F4A5C4A99C",
    ),
    // 2018-07-30 11:44:05.108
    row(
        "IMG_7407.JPG",
        true,
        1_532_951_045_108,
        "AZ/wAGT9P6jhr0NKCjLyh7KawNEx",
        "135B4CE4-050D-41CE-ABD2-7AE6E5FA1E25",
    ),
    // 2018-07-30 08:48:51
    row(
        "IMG_7405.MOV",
        false,
        1_532_940_531_000,
        "AY+R3dhJpz0NaLm5n1dA8cdywPKa",
        "C83F37E6-6338-4DE7-BB0C-3BC91280F5F8",
    ),
    // 2018-07-30 08:12:44
    row(
        "IMG_7404.MOV",
        false,
        1_532_938_364_000,
        "AR9MlEx0lFVJHEQTaHcKRCD294Gx",
        "77D88177-28FC-4931-86E4-53CE82A4C6C3",
    ),
    // 2018-07-30 08:12:00
    row(
        "IMG_7403.MOV",
        false,
        1_532_938_320_000,
        "AW4UkI6B5ZqZbVK7cHvMqNTi3Cqb",
        "16FEA60F-B8F9-4D04-B7A1-BA0E47588476",
    ),
    // 2018-07-30 08:10:05
    row(
        "IMG_7402.MOV",
        false,
        1_532_938_205_000,
        "AWXh7InIou3rM0Zo+WXXXdecePBO",
        "4B5B8121-2D5F-4749-8C23-9DF1143162F0",
    ),
    // 2018-07-30 08:06:42
    row(
        "IMG_7401.MOV",
        false,
        1_532_938_002_000,
        "ATIjvJxHQ3UEEqzVXRAHP5lUVvDK",
        "7DDFAE17-0FBB-4B14-9E39-737136802513",
    ),
    // 2018-07-30 08:06:40.568
    row(
        "IMG_7400.JPG",
        true,
        1_532_938_000_568,
        "AXE/MlykbRbSwjFfqPAr1NDaT0T1",
        "4068A28F-8363-40D5-9517-4F30ED8F5695",
    ),
    // 2018-07-30 08:06:38.366
    row(
        "IMG_7399.JPG",
        true,
        1_532_937_998_366,
        "AULqseWEVDM/tX0Ew6z/srAwyKAE",
        "176FD6E6-4D5B-462E-9694-FDB4975657F5",
    ),
    // 2018-07-30 08:01:29
    row(
        "IMG_7398.MOV",
        false,
        1_532_937_689_000,
        "AcE/zW3+k0ytKwyafR5OJe59/7ag",
        "7C816B40-72E6-4840-8B00-5A05FC049FA4",
    ),
    // 2018-07-30 08:01:27.435
    row(
        "IMG_7397.JPG",
        true,
        1_532_937_687_435,
        "Acn0krU3KA2rm30x8bnpc6xkcsWr",
        "B0DA558F-EB77-4C80-BFEA-47C774EC4328",
    ),
];

/// Where the fixture's stills and live videos land by default (`%Y/%m/%d`).
pub(crate) const IMG_7409_JPG: &str = "2018/07/31/IMG_7409.JPG";
pub(crate) const IMG_7409_MOV: &str = "2018/07/31/IMG_7409.MOV";
pub(crate) const IMG_7408_JPG: &str = "2018/07/30/IMG_7408.JPG";
pub(crate) const IMG_7407_JPG: &str = "2018/07/30/IMG_7407.JPG";

/// Where the file `name` of a fixture asset lands by default: IMG_7409 was captured on the
/// 31st, all others on the 30th.
pub(crate) fn fixture_rel(name: &str) -> String {
    let day = if name.starts_with("IMG_7409") {
        "31"
    } else {
        "30"
    };
    format!("2018/07/{day}/{name}")
}

/// `asset` in the place of IMG_7409: its record names and capture date.
pub(crate) fn as_img_7409(asset: FakeAsset) -> FakeAsset {
    asset
        .record_names(ROWS[0].master, ROWS[0].asset)
        .date_ms(ROWS[0].date_ms)
}

/// `assetDate` of IMG_7409 (2018-07-31 07:22:24.816 UTC), whole seconds.
pub(crate) const IMG_7409_SECS: i64 = 1_533_021_744;

/// The builder of fixture asset `i` with its name, kind, date and record names; the original
/// is a few KiB so that whole runs stay fast.
pub(crate) fn fixture_asset(i: usize) -> FakeAsset {
    let r = &ROWS[i];
    let a = if r.live {
        FakeAsset::live(r.name)
    } else {
        FakeAsset::video(r.name)
    };
    a.record_names(r.master, r.asset)
        .date_ms(r.date_ms)
        .tz_offset(25200)
        .size(3000 + 17 * i as u64)
}

/// The first `n` fixture assets, each passed through `edit` (index, builder).
pub(crate) fn fixture_with(n: usize, edit: impl Fn(usize, FakeAsset) -> FakeAsset) -> FakeLibrary {
    (0..n).fold(FakeLibrary::new(), |lib, i| {
        lib.asset(edit(i, fixture_asset(i)))
    })
}

/// The first `n` fixture assets as they are.
pub(crate) fn fixture_first(n: usize) -> FakeLibrary {
    fixture_with(n, |_, a| a)
}

/// The first `n` fixture assets, the first of them (IMG_7409) passed through `edit`.
pub(crate) fn fixture_editing_first(
    n: usize,
    edit: impl Fn(FakeAsset) -> FakeAsset,
) -> FakeLibrary {
    fixture_with(n, |i, a| if i == 0 { edit(a) } else { a })
}

/// The whole fixture library (12 assets).
pub(crate) fn fixture() -> FakeLibrary {
    fixture_first(ROWS.len())
}

/// The account of every test: no 2FA, one PBKDF2 iteration (fast sign-in), `library`.
pub(crate) fn account(library: FakeLibrary) -> FakeAccount {
    FakeAccount::new(USER, PASSWORD)
        .without_two_factor()
        .iterations(1)
        .library(library)
}

/// A test's world: the fake and a scratch directory holding `data/` and `cookie/`.
pub(crate) struct Env {
    pub fake: FakeICloud,
    pub root: tempfile::TempDir,
    /// The download directory (`<root>/data` unless [`Env::data_at`] says otherwise).
    data: PathBuf,
}

impl Env {
    /// The fake serving `account(library)`.
    pub fn new(library: FakeLibrary) -> Env {
        Env::with_account(account(library), &[])
    }

    /// The fake serving `library` with `faults` active from the start.
    pub fn with_faults(library: FakeLibrary, faults: &[Fault]) -> Env {
        Env::with_account(account(library), faults)
    }

    /// The fake serving `account` with `faults` active from the start.
    pub fn with_account(account: FakeAccount, faults: &[Fault]) -> Env {
        let mut b = FakeICloud::builder().account(account).recording(true);
        for f in faults {
            b = b.fault(f.clone());
        }
        let fake = b.start().expect("fake starts");
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("cookie")).unwrap();
        let data = root.path().join("data");
        Env { fake, root, data }
    }

    /// Downloads into `<root>/<rel>` instead of `<root>/data`.
    #[must_use]
    pub fn data_at(mut self, rel: &str) -> Env {
        self.data = self.root.path().join(rel);
        self
    }

    /// The download directory (not created).
    pub fn data(&self) -> PathBuf {
        self.data.clone()
    }

    /// `<data>/<rel>` as text, as icloudpd prints it.
    pub fn p(&self, rel: &str) -> String {
        if rel.is_empty() {
            return self.data().display().to_string();
        }
        self.data().join(rel).display().to_string()
    }

    /// The fixture's assets as a correct client lists them.
    pub fn listing(&self) -> Vec<ExpectedAsset> {
        self.fake.expected_listing(USER, "PrimarySync", None)
    }

    /// The asset called `name`: the first match in the whole collection, then in Recently
    /// Deleted and Hidden.
    pub fn asset(&self, name: &str) -> ExpectedAsset {
        [None, Some("Recently Deleted"), Some("Hidden")]
            .into_iter()
            .flat_map(|album| self.fake.expected_listing(USER, "PrimarySync", album))
            .find(|a| a.filename.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no asset {name}"))
    }

    /// The size of resource `prefix` of the asset called `name`.
    pub fn size(&self, name: &str, prefix: &str) -> u64 {
        self.asset(name)
            .version(prefix)
            .unwrap_or_else(|| panic!("{name} has no {prefix}"))
            .0
    }

    /// The `fileChecksum` of resource `prefix` of the asset called `name`.
    pub fn checksum(&self, name: &str, prefix: &str) -> String {
        self.asset(name)
            .version(prefix)
            .unwrap_or_else(|| panic!("{name} has no {prefix}"))
            .1
            .to_owned()
    }

    /// Creates `<data>/<rel>` with `size` bytes (sparse).
    pub fn create(&self, rel: &str, size: u64) {
        let path = self.data().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(size).unwrap();
    }

    /// Creates `<data>/<rel>` with the size of resource `prefix` of the asset called `name`.
    pub fn create_resource(&self, rel: &str, name: &str, prefix: &str) {
        self.create(rel, self.size(name, prefix));
    }

    /// Creates `<data>/<rel>` with the size of the original of the asset called `name`.
    pub fn create_original(&self, rel: &str, name: &str) {
        self.create_resource(rel, name, "resOriginal");
    }

    /// Makes every write of resource `prefix` of `name` into `<data>/<folder>` fail with
    /// ENOSPC: its temporary file is a link to /dev/full. (Tests may run as root, where a
    /// read-only folder would not stop a write.)
    pub fn fail_writes(&self, folder: &str, name: &str, prefix: &str) -> String {
        let dir = self.data().join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        let part = part_name(&self.checksum(name, prefix));
        std::os::unix::fs::symlink("/dev/full", dir.join(&part)).unwrap();
        format!("{folder}/{part}")
    }

    /// Every file under `data/`, by path relative to it.
    pub fn files(&self) -> BTreeSet<String> {
        files_under(&self.data())
    }

    /// Runs `icloudpd -d <data> --cookie-directory <cookie> --username … --password …
    /// --no-progress-bar <args>` in the scratch directory with `TZ=UTC`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// [`Env::run`] with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let data = self.data().display().to_string();
        let sign_in = self.sign_in_args();
        let mut all = vec!["-d", &data];
        all.extend(sign_in.iter().map(String::as_str));
        all.push("--no-progress-bar");
        all.extend_from_slice(args);
        self.raw(&all, env)
    }

    /// `--cookie-directory <cookie> --username … --password …`.
    pub fn sign_in_args(&self) -> [String; 6] {
        let cookie = self.root.path().join("cookie");
        [
            "--cookie-directory".to_owned(),
            cookie.display().to_string(),
            "--username".to_owned(),
            USER.to_owned(),
            "--password".to_owned(),
            PASSWORD.to_owned(),
        ]
    }

    /// Runs `icloudpd <args>` verbatim (no defaults added) in the scratch directory, `TZ=UTC`.
    pub fn raw(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = command(Some(&self.fake));
        cmd.args(args)
            .current_dir(self.root.path())
            .env("TZ", "UTC");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let run = Run::from(cmd.output().expect("icloudpd runs"));
        // `SHOW_RUNS=1 cargo test … -- --nocapture` prints every run, passing or not.
        if std::env::var_os("SHOW_RUNS").is_some() {
            eprintln!("$ icloudpd {}\n{run}", args.join(" "));
        }
        run
    }

    /// The CPLAsset record names moved to Recently Deleted through `records/modify`, in
    /// request order.
    pub fn deleted_in_icloud(&self) -> Vec<String> {
        let mut out = Vec::new();
        let bodies = self
            .fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/records/modify"))
            .filter_map(|r| r.json());
        for body in bodies {
            for op in body["operations"].as_array().into_iter().flatten() {
                let record = &op["record"];
                if record["fields"]["isDeleted"]["value"] == 1 {
                    out.push(record["recordName"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
        out
    }

    /// Requests whose path starts with `prefix`.
    pub fn requests_under(&self, prefix: &str) -> usize {
        let requests = self.fake.requests();
        requests
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .count()
    }

    /// Download requests answered by the CDN.
    pub fn downloads(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.starts_with("/B/"))
            .count()
    }
}

/// Every file under `root` (recursively), by `/`-separated path relative to it; empty when
/// `root` does not exist.
pub(crate) fn files_under(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

/// One finished `icloudpd` run.
pub(crate) struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--- exit {:?}\n--- stdout\n{}--- stderr\n{}---",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Splits `YYYY-MM-DD HH:MM:SS LEVEL    message` into (level, message).
pub(crate) fn parse_log_line(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    let stamp = b.len() > 20
        && b[..19].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
        && b[19] == b' ';
    if !stamp {
        return None;
    }
    let rest = &line[20..];
    let level_end = rest.find(' ')?;
    let level = &rest[..level_end];
    if !["DEBUG", "INFO", "WARNING", "ERROR"].contains(&level) {
        return None;
    }
    // The level is padded to 8 characters, then one space.
    let message = rest.get(9.max(level_end + 1)..).unwrap_or_default();
    Some((level, message))
}

impl Run {
    /// (level, message) of every log line on stdout.
    pub fn logs(&self) -> Vec<(&str, &str)> {
        self.stdout.lines().filter_map(parse_log_line).collect()
    }

    /// The messages of every log line.
    pub fn messages(&self) -> Vec<&str> {
        self.logs().into_iter().map(|(_, m)| m).collect()
    }

    /// The messages of the log lines at `level`.
    pub fn messages_at(&self, level: &str) -> Vec<&str> {
        let at_level = self.logs().into_iter().filter(|(l, _)| *l == level);
        at_level.map(|(_, m)| m).collect()
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "exit status\n{self}");
        self
    }

    /// Some log line at `level` has exactly `message`.
    pub fn assert_logged(&self, level: &str, message: &str) -> &Self {
        assert!(
            self.logs()
                .iter()
                .any(|(l, m)| *l == level && *m == message),
            "{level} {message:?} not logged\n{self}"
        );
        self
    }

    /// Exactly `n` log lines have `message`.
    pub fn assert_logged_times(&self, message: &str, n: usize) -> &Self {
        let found = self.messages().iter().filter(|m| **m == message).count();
        assert_eq!(
            found, n,
            "{message:?} logged {found} times, not {n}\n{self}"
        );
        self
    }

    /// No log line has exactly `message`.
    pub fn assert_not_logged(&self, message: &str) -> &Self {
        assert!(
            !self.messages().contains(&message),
            "{message:?} logged\n{self}"
        );
        self
    }

    /// No output line contains `text`.
    pub fn assert_no_line_containing(&self, text: &str) -> &Self {
        assert!(
            !self.stdout.contains(text) && !self.stderr.contains(text),
            "{text:?} in the output\n{self}"
        );
        self
    }

    /// stdout contains `text`.
    pub fn assert_stdout_contains(&self, text: &str) -> &Self {
        assert!(self.stdout.contains(text), "{text:?} not on stdout\n{self}");
        self
    }

    /// A log line at `level` for each of `rels`: `message(<data>/<rel>)`.
    fn assert_each_path(
        &self,
        env: &Env,
        level: &str,
        rels: &[impl AsRef<str>],
        message: impl Fn(String) -> String,
    ) -> &Self {
        for rel in rels {
            self.assert_logged(level, &message(env.p(rel.as_ref())));
        }
        self
    }

    /// INFO `Downloading <what> to <data> ...`, the line that announces the downloads.
    pub fn assert_downloading_to(&self, env: &Env, what: &str) -> &Self {
        self.assert_logged("INFO", &format!("Downloading {what} to {} ...", env.p("")))
    }

    /// DEBUG `Downloading <data>/<rel>...` for each of `rels`.
    pub fn assert_downloading(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        self.assert_each_path(env, "DEBUG", rels, |p| format!("Downloading {p}..."))
    }

    /// INFO `Downloaded <data>/<rel>` for each of `rels`.
    pub fn assert_downloaded(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        self.assert_each_path(env, "INFO", rels, |p| format!("Downloaded {p}"))
    }

    /// DEBUG `<data>/<rel> already exists` for each of `rels`.
    pub fn assert_already_exists(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        self.assert_each_path(env, "DEBUG", rels, |p| format!("{p} already exists"))
    }

    /// INFO `[DRY RUN] Would download <data>/<rel>` for each of `rels`.
    pub fn assert_would_download(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        self.assert_each_path(env, "INFO", rels, |p| {
            format!("[DRY RUN] Would download {p}")
        })
    }

    /// DEBUG `Setting EXIF timestamp for <data>/<rel>: <stamp>`.
    pub fn assert_exif_set(&self, env: &Env, rel: &str, stamp: &str) -> &Self {
        let message = format!("Setting EXIF timestamp for {}: {stamp}", env.p(rel));
        self.assert_logged("DEBUG", &message)
    }

    /// DEBUG `Skipping <name>, only downloading photos. (Item type was: MOVIE)` for each video.
    pub fn assert_skipped_videos(&self, names: &[impl AsRef<str>]) -> &Self {
        for name in names {
            let name = name.as_ref();
            let message =
                format!("Skipping {name}, only downloading photos. (Item type was: MOVIE)");
            self.assert_logged("DEBUG", &message);
        }
        self
    }

    /// INFO `Deleted <name> in iCloud` for each of `names`.
    pub fn assert_deleted_in_icloud(&self, names: &[&str]) -> &Self {
        for name in names {
            self.assert_logged("INFO", &format!("Deleted {name} in iCloud"));
        }
        self
    }

    /// No `Deleted <name> in iCloud` for any of `names`.
    pub fn assert_not_deleted_in_icloud(&self, names: &[&str]) -> &Self {
        for name in names {
            self.assert_not_logged(&format!("Deleted {name} in iCloud"));
        }
        self
    }

    /// ERROR `Could not download <name>. Please try again later.`
    pub fn assert_could_not_download(&self, name: &str) -> &Self {
        let message = format!("Could not download {name}. Please try again later.");
        self.assert_logged("ERROR", &message)
    }

    /// Exactly `n` log messages start with `prefix`.
    pub fn assert_starting_with_times(&self, prefix: &str, n: usize) -> &Self {
        let found = self
            .messages()
            .iter()
            .filter(|m| m.starts_with(prefix))
            .count();
        assert_eq!(
            found, n,
            "{prefix:?}… logged {found} times, not {n}\n{self}"
        );
        self
    }

    /// stdout is exactly `<data>/<rel>` for each of `rels`, a line each, in order
    /// (`--only-print-filenames`).
    pub fn assert_printed(&self, env: &Env, rels: &[impl AsRef<str>]) -> &Self {
        let want: Vec<String> = rels.iter().map(|rel| env.p(rel.as_ref())).collect();
        assert_eq!(self.stdout.lines().collect::<Vec<_>>(), want, "{self}");
        self
    }
}

/// No files (for [`assert_files`] and [`assert_synced`]).
pub(crate) const NO_FILES: &[&str] = &[];

/// Asserts the files under the download directory.
#[track_caller]
pub(crate) fn assert_files(env: &Env, want: &[impl AsRef<str>], run: &Run) {
    let want: BTreeSet<String> = want.iter().map(|p| p.as_ref().to_owned()).collect();
    assert_eq!(env.files(), want, "files under data/\n{run}");
}

/// Asserts a run that found `existing` on disk (`… already exists`) and downloaded
/// `downloaded` (`Downloaded …`, never `… already exists`), leaving exactly both under `data/`.
#[track_caller]
pub(crate) fn assert_synced(
    env: &Env,
    run: &Run,
    existing: &[impl AsRef<str>],
    downloaded: &[impl AsRef<str>],
) {
    run.assert_already_exists(env, existing)
        .assert_downloaded(env, downloaded);
    for rel in downloaded {
        run.assert_not_logged(&format!("{} already exists", env.p(rel.as_ref())));
    }
    let all = existing.iter().map(AsRef::as_ref);
    let all: Vec<&str> = all.chain(downloaded.iter().map(AsRef::as_ref)).collect();
    assert_files(env, &all, run);
}

/// Asserts the size in bytes of `<data>/<rel>`.
#[track_caller]
pub(crate) fn assert_size(env: &Env, rel: &str, size: u64) {
    let len = std::fs::metadata(env.data().join(rel)).unwrap().len();
    assert_eq!(len, size, "size of {rel}");
}

/// The modification time of `<data>/<rel>`, in whole seconds since the epoch.
pub(crate) fn mtime(env: &Env, rel: &str) -> i64 {
    let m = std::fs::metadata(env.data().join(rel))
        .unwrap()
        .modified()
        .unwrap();
    match m.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// icloudpd's temporary name for a resource: RFC 4648 base32 of the base64-decoded
/// `fileChecksum`, plus `.part` (written independently of the implementation).
pub(crate) fn part_name(checksum_b64: &str) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    // The decoded bytes as a string of bits: 6 per base64 digit, cut to whole bytes.
    let mut bits: String = checksum_b64
        .trim_end_matches('=')
        .chars()
        .map(|c| {
            B64.iter()
                .position(|b| char::from(*b) == c)
                .expect("base64")
        })
        .map(|v| format!("{v:06b}"))
        .collect();
    bits.truncate(bits.len() / 8 * 8);
    // Base32 digits of 5 bits each (the last padded with zero bits), then `=` to a multiple of 8.
    let mut out: String = bits
        .as_bytes()
        .chunks(5)
        .map(|group| {
            let v = (0..5).fold(0, |acc, i| {
                acc * 2 + usize::from(group.get(i) == Some(&b'1'))
            });
            char::from(B32[v])
        })
        .collect();
    while out.len() % 8 != 0 {
        out.push('=');
    }
    format!("{out}.part")
}

#[test]
fn part_names_are_base32_of_the_checksum() {
    // cli.md §6.2.
    assert_eq!(
        part_name("AY6c+BsE0jjaXx9tmVGJM1D2VcEO"),
        "AGHJZ6A3ATJDRWS7D5WZSUMJGNIPMVOBBY======.part"
    );
}

#[test]
fn log_lines_split_into_level_and_message() {
    assert_eq!(
        parse_log_line("2024-01-02 03:04:05 INFO     Downloaded x"),
        Some(("INFO", "Downloaded x"))
    );
    assert_eq!(
        parse_log_line("2024-01-02 03:04:05 WARNING  Retrying"),
        Some(("WARNING", "Retrying"))
    );
    assert_eq!(parse_log_line("/data/2018/07/31/IMG_7409.JPG"), None);
    assert_eq!(parse_log_line("2024-01-02 03:04:05 NOTICE   x"), None);
}
