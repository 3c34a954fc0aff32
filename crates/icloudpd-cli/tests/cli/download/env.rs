//! [`Env`], a test's world: the fake, the scratch directory, and the runs of `icloudpd` in it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use icloud_fake::{ExpectedAsset, FakeAccount, FakeICloud, FakeLibrary, Fault};

use super::fixtures::account;
use super::run::Run;
use crate::{PASSWORD, USER, command};

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

    /// Makes every write of resource `prefix` of `name` into `<data>/<folder>` fail: a folder
    /// (holding a file) takes its temporary file's name, which the program neither follows nor
    /// removes. (Tests may run as root, where a read-only folder would not stop a write; a
    /// link to /dev/full is not followed.) Returns the file inside that folder.
    pub fn fail_writes(&self, folder: &str, name: &str, prefix: &str) -> String {
        let part = part_name(&self.checksum(name, prefix));
        let blocker = self.data().join(folder).join(&part);
        std::fs::create_dir_all(&blocker).unwrap();
        std::fs::write(blocker.join("blocker"), b"").unwrap();
        format!("{folder}/{part}/blocker")
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
            } else if crate::is_bookkeeping(&path) {
                // The program's own bookkeeping, not a photo.
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
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
    while !out.len().is_multiple_of(8) {
        out.push('=');
    }
    format!("{out}.part")
}
