//! The differential download test: the real Python icloudpd 1.32.3 and our `icloudpd` download
//! the same generated fake library (duplicates, live photos, RAW+JPEG pairs, DNGs, videos,
//! edited photos, screenshots, unicode and hostile names) into two directories, with the same
//! options and environment, and the two trees must be identical: the same relative paths
//! (directories included), the same bytes in every file and the same modification times in
//! whole seconds. The only differences allowed are those listed in `docs/compatibility.md`
//! (here: the `x:xmptk` value of XMP sidecars).
//!
//! Each option set is its own test with its own fake, so the harness runs them in parallel.
//! Both programs get the same environment: `TZ=UTC`, no `CLIENT_ID`, no proxy, a null keyring,
//! their own cookie directory, an account without 2FA. Like every test of `python.rs`, these
//! fail (never skip) with installation instructions when Python icloudpd cannot be set up.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use icloud_fake::{FakeAsset, FakeLibrary};

use super::*;

/// Assets in the generated library: every kind and every special name, and Python still
/// finishes in a few seconds.
const ASSETS: usize = 240;
const SEED: u64 = 1323;

/// The generated library.
fn library() -> FakeLibrary {
    FakeLibrary::generated(ASSETS, SEED)
}

/// Hand-made assets for corners the generator does not reach: a 234-byte name (with
/// `-medium-<size>` and `.xmp` still within the 255 bytes a file system allows),
/// non-ASCII names of RAW+JPEG pairs and edited photos (`-alternative` and
/// `-adjusted` names), and twins: same name, same day.
fn edge_library() -> FakeLibrary {
    let long = format!("{}.JPG", "L".repeat(230));
    let day = 1_600_000_000_000;
    FakeLibrary::new()
        .asset(FakeAsset::photo(&long).date_ms(day))
        .asset(FakeAsset::photo(&long).edited().date_ms(day + 1_000))
        .asset(
            FakeAsset::raw_plus_jpeg("Café RAW.CR2")
                .edited()
                .date_ms(day + 2_000),
        )
        .asset(FakeAsset::raw_plus_jpeg("Café RAW.CR2").date_ms(day + 3_000))
        .asset(FakeAsset::live("Zoë live.HEIC").date_ms(day + 4_000))
        .asset(
            FakeAsset::live("Zoë live.HEIC")
                .edited()
                .date_ms(day + 5_000),
        )
        .asset(
            FakeAsset::photo("Zoë edited.JPG")
                .edited()
                .date_ms(day + 6_000),
        )
        .asset(
            FakeAsset::photo("Zoë edited.JPG")
                .edited()
                .date_ms(day + 7_000),
        )
        .asset(
            FakeAsset::screenshot("Écran.PNG")
                .edited()
                .date_ms(day + 8_000),
        )
        .asset(FakeAsset::video("Zoë.MOV").date_ms(day + 9_000))
}

fn account(library: FakeLibrary) -> FakeAccount {
    FakeAccount::new(APPLE_ID, PASSWORD)
        .without_two_factor()
        .library(library)
}

/// Runs a client in `dir` with `--directory photos`, cookies in `dir/cookies`, `args`, `TZ=UTC`
/// and the fake's endpoints.
fn download_run(what: &'static str, fake: &FakeICloud, dir: &Path, args: &[&str]) -> Run {
    let mut cmd = if what.starts_with("python") {
        let mut cmd = Command::new(python());
        cmd.arg(launcher())
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONIOENCODING", "utf-8")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        cmd
    } else {
        let mut cmd = crate::bare_command();
        cmd.env("ICLOUD_KEYRING_BACKEND", "mock");
        cmd
    };
    cmd.args([
        "--username",
        APPLE_ID,
        "--password",
        PASSWORD,
        "--no-progress-bar",
        "--directory",
        "photos",
    ])
    .arg("--cookie-directory")
    .arg(dir.join("cookies"))
    .args(args)
    .current_dir(dir)
    .env("TZ", "UTC");
    point_at_fake(&mut cmd, fake, dir);
    run(what, fake, cmd, None)
}

/// A modification time: whole seconds, or "during this test" (a file the program did not date,
/// such as an XMP sidecar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mtime {
    Secs(i64),
    Now,
}

/// One entry of a tree: a directory, or a file with its bytes and time.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Dir,
    File { bytes: Vec<u8>, mtime: Mtime },
}

fn secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap(),
        Err(e) => -i64::try_from(e.duration().as_secs_f64().ceil() as u64).unwrap(),
    }
}

/// Every entry under `root` by relative path (directories end with `/`). Times at or after
/// `since` count as [`Mtime::Now`].
fn tree(root: &Path, since: SystemTime) -> BTreeMap<String, Entry> {
    let since = secs(since) - 1;
    let mut out = BTreeMap::new();
    if !root.exists() {
        return out;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if crate::is_bookkeeping(&path) {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.insert(format!("{rel}/"), Entry::Dir);
                stack.push(path);
            } else {
                let t = secs(meta.modified().unwrap());
                let mtime = if t >= since {
                    Mtime::Now
                } else {
                    Mtime::Secs(t)
                };
                out.insert(
                    rel,
                    Entry::File {
                        bytes: fs::read(&path).unwrap(),
                        mtime,
                    },
                );
            }
        }
    }
    out
}

/// Replaces the value of `x:xmptk="…"` by `*` (documented difference: `icloudpd <version>` vs
/// `icloudpd <our version>+<commit>`), after checking it starts with `want`.
fn normalise_xmptk(path: &str, bytes: &[u8], want: &str, problems: &mut Vec<String>) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let key = "x:xmptk=\"";
    let Some(start) = text.find(key).map(|i| i + key.len()) else {
        problems.push(format!("{path}: sidecar without x:xmptk"));
        return bytes.to_vec();
    };
    let end = start + text[start..].find('"').unwrap_or(0);
    let value = &text[start..end];
    if !value.starts_with(want) {
        problems.push(format!("{path}: x:xmptk is {value:?}, expected {want:?}…"));
    }
    format!("{}*{}", &text[..start], &text[end..]).into_bytes()
}

/// Describes where two byte strings first differ.
fn byte_difference(a: &[u8], b: &[u8]) -> String {
    let at = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let show = |s: &[u8]| {
        String::from_utf8_lossy(&s[at.saturating_sub(20)..(at + 40).min(s.len())]).into_owned()
    };
    format!(
        "python {} bytes, ours {} bytes, first difference at byte {at}: python …{:?}… ours …{:?}…",
        a.len(),
        b.len(),
        show(a),
        show(b)
    )
}

/// Compares the tree Python left with ours; returns every difference, one a line.
fn compare(python: &BTreeMap<String, Entry>, ours: &BTreeMap<String, Entry>) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, p) in python {
        let Some(o) = ours.get(path) else {
            problems.push(format!("only python: {path}"));
            continue;
        };
        match (p, o) {
            (Entry::Dir, Entry::Dir) => {}
            (
                Entry::File {
                    bytes: pb,
                    mtime: pm,
                },
                Entry::File {
                    bytes: ob,
                    mtime: om,
                },
            ) => {
                let (pb, ob) = if path.ends_with(".xmp") {
                    (
                        normalise_xmptk(path, pb, "icloudpd ", &mut problems),
                        normalise_xmptk(path, ob, "icloudpd 0.", &mut problems),
                    )
                } else {
                    (pb.clone(), ob.clone())
                };
                if pb != ob {
                    problems.push(format!(
                        "bytes differ: {path}: {}",
                        byte_difference(&pb, &ob)
                    ));
                }
                if pm != om {
                    problems.push(format!("mtime differs: {path}: python {pm:?}, ours {om:?}"));
                }
            }
            _ => problems.push(format!("file vs directory: {path}")),
        }
    }
    for path in ours.keys().filter(|p| !python.contains_key(*p)) {
        problems.push(format!("only ours: {path}"));
    }
    problems
}

/// The files of a tree (no directories, no sidecars).
fn media_count(tree: &BTreeMap<String, Entry>) -> usize {
    tree.iter()
        .filter(|(p, e)| matches!(e, Entry::File { .. }) && !p.ends_with(".xmp"))
        .count()
}

/// Both programs in their own directory, against one fake.
struct Pair {
    fake: FakeICloud,
    /// Fewest media files Python must have written (a sanity check of the setup).
    min_files: usize,
    python: tempfile::TempDir,
    ours: tempfile::TempDir,
    since: SystemTime,
}

impl Pair {
    fn new(library: FakeLibrary) -> Pair {
        let min_files = library.visible_len() / 2;
        Pair {
            min_files,
            fake: start_fake_with(account(library), None),
            python: tempfile::tempdir().unwrap(),
            ours: tempfile::tempdir().unwrap(),
            since: SystemTime::now(),
        }
    }

    /// Runs both programs with `args`; both must succeed (Python without a traceback).
    fn run(&self, args: &[&str]) -> (Run, Run) {
        let python = download_run("python icloudpd", &self.fake, self.python.path(), args);
        python.assert_success();
        python.assert_no_traceback();
        let ours = download_run("our icloudpd", &self.fake, self.ours.path(), args);
        ours.assert_success();
        (python, ours)
    }

    fn trees(&self) -> (BTreeMap<String, Entry>, BTreeMap<String, Entry>) {
        (
            tree(&self.python.path().join("photos"), self.since),
            tree(&self.ours.path().join("photos"), self.since),
        )
    }

    /// Asserts both download trees are identical (documented differences aside) and returns
    /// Python's.
    fn assert_same_trees(&self, case: &str) -> BTreeMap<String, Entry> {
        let (python, ours) = self.trees();
        assert!(
            media_count(&python) >= self.min_files,
            "{case}: python downloaded only {} files",
            media_count(&python)
        );
        let problems = compare(&python, &ours);
        assert!(
            problems.is_empty(),
            "{case}: {} differences between python icloudpd ({} entries) and ours ({} \
             entries):\n{}",
            problems.len(),
            python.len(),
            ours.len(),
            problems.join("\n")
        );
        python
    }

    /// Applies `f` to both download directories (`photos`).
    fn prepare(&self, mut f: impl FnMut(&Path)) {
        for dir in [self.python.path(), self.ours.path()] {
            let photos = dir.join("photos");
            fs::create_dir_all(&photos).unwrap();
            f(&photos);
        }
    }
}

/// Runs both programs once with `args` into empty directories and compares the trees.
fn differential(case: &str, args: &[&str]) -> BTreeMap<String, Entry> {
    differential_of(library(), case, args)
}

fn differential_of(library: FakeLibrary, case: &str, args: &[&str]) -> BTreeMap<String, Entry> {
    let pair = Pair::new(library);
    pair.run(args);
    pair.assert_same_trees(case)
}

#[test]
fn same_tree_as_python_with_defaults() {
    let tree = differential("defaults", &[]);
    // The library's features reached the tree.
    let has = |f: &dyn Fn(&str) -> bool| tree.keys().any(|p| f(p));
    assert!(has(&|p| p.ends_with("_HEVC.MOV")), "live photo videos");
    assert!(has(&|p| p.ends_with(".DNG")), "DNG");
    assert!(has(&|p| p.ends_with(".PNG")), "screenshots");
    assert!(
        has(&|p| {
            let stem = p.rsplit_once('.').map_or(p, |(s, _)| s);
            stem.rsplit_once('-')
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        }),
        "de-duplicated names"
    );
}

#[test]
fn same_tree_as_python_with_every_size() {
    let tree = differential(
        "every size",
        &[
            "--size",
            "original",
            "--size",
            "medium",
            "--size",
            "thumb",
            "--size",
            "adjusted",
            "--size",
            "alternative",
            "--live-photo-size",
            "medium",
        ],
    );
    let has = |needle: &str| tree.keys().any(|p| p.contains(needle));
    assert!(has("-medium.") && has("-thumb.") && has("_HEVC-medium.MOV"));
}

#[test]
fn same_tree_as_python_with_name_id7_flat_and_unicode() {
    differential(
        "name-id7, original mov names, no folders, unicode kept",
        &[
            "--file-match-policy",
            "name-id7",
            "--live-photo-mov-filename-policy",
            "original",
            "--folder-structure",
            "none",
            "--keep-unicode-in-filenames",
        ],
    );
}

#[test]
fn same_tree_as_python_with_name_id7_and_adjusted_and_alternative() {
    differential(
        "name-id7 with adjusted and alternative",
        &[
            "--file-match-policy",
            "name-id7",
            "--size",
            "original",
            "--size",
            "adjusted",
            "--size",
            "alternative",
        ],
    );
}

#[test]
fn same_tree_as_python_flat_with_dedup() {
    // One folder for everything: every repeated name in the library meets its twin.
    differential(
        "no folders, default policy",
        &[
            "--folder-structure",
            "none",
            "--live-photo-mov-filename-policy",
            "original",
            "--size",
            "adjusted",
        ],
    );
}

#[test]
fn same_tree_as_python_with_raw_alignment_and_month_names() {
    let tree = differential(
        "align-raw alternative, {:%Y/%B}, no videos",
        &[
            "--align-raw",
            "alternative",
            "--folder-structure",
            "{:%Y/%B}",
            "--skip-videos",
        ],
    );
    assert!(
        tree.keys()
            .any(|p| p.contains("/January/") || p.contains("/May/"))
    );
    differential(
        "align-raw original, original and alternative",
        &[
            "--align-raw",
            "original",
            "--size",
            "alternative",
            "--size",
            "original",
            "--skip-live-photos",
        ],
    );
}

#[test]
fn same_tree_as_python_with_forced_sizes_and_recent() {
    differential(
        "adjusted forced, recent 150, no live photos",
        &[
            "--size",
            "adjusted",
            "--force-size",
            "--skip-live-photos",
            "--recent",
            "150",
        ],
    );
}

#[test]
fn same_tree_as_python_with_xmp_sidecars() {
    let tree = differential(
        "xmp sidecars",
        &["--xmp-sidecar", "--size", "original", "--size", "medium"],
    );
    assert!(tree.keys().any(|p| p.ends_with(".xmp")), "sidecars written");
}

#[test]
fn same_tree_as_python_for_names_at_the_edges() {
    let every_size = [
        "--size",
        "original",
        "--size",
        "medium",
        "--size",
        "thumb",
        "--size",
        "adjusted",
        "--size",
        "alternative",
    ];
    differential_of(edge_library(), "edge names, every size", &every_size);
    let mut unicode = every_size.to_vec();
    unicode.extend(["--keep-unicode-in-filenames", "--xmp-sidecar"]);
    differential_of(
        edge_library(),
        "edge names, every size, unicode kept",
        &unicode,
    );
}

/// A second run into a directory that already holds files: the first run's files, some
/// replaced by foreign files of another size (de-duplicated as `-<size>`), of the same size
/// (kept), renamed to the legacy `-original` name (kept), deleted (downloaded again), or deleted
/// with half of their bytes left in the `.part` file (resumed).
#[test]
fn same_tree_as_python_in_a_prepopulated_directory() {
    let pair = Pair::new(library());
    pair.run(&[]);
    let first = pair.assert_same_trees("first run");

    // The `.part` name of each downloaded file: base32 of the fake's checksum of its bytes.
    let mut parts: BTreeMap<String, String> = BTreeMap::new();
    let mut by_size: BTreeMap<u64, Vec<(String, String, String)>> = BTreeMap::new();
    for asset in pair.fake.expected_listing(APPLE_ID, "PrimarySync", None) {
        for (prefix, size, checksum) in &asset.versions {
            by_size.entry(*size).or_default().push((
                asset.asset_record_name.clone(),
                prefix.clone(),
                checksum.clone(),
            ));
        }
    }
    let files: Vec<(&String, &Vec<u8>)> = first
        .iter()
        .filter_map(|(p, e)| match e {
            Entry::File { bytes, .. } => Some((p, bytes)),
            Entry::Dir => None,
        })
        .collect();
    for (path, bytes) in &files {
        let candidates = by_size.get(&(bytes.len() as u64)).into_iter().flatten();
        for (asset, prefix, checksum) in candidates {
            let want = pair
                .fake
                .version_bytes(APPLE_ID, "PrimarySync", asset, prefix);
            if want.as_deref() == Some(bytes.as_slice()) {
                parts.insert((*path).clone(), base32(&base64_decode(checksum)));
            }
        }
    }

    let foreign_time = UNIX_EPOCH + Duration::from_secs(978_307_200); // 2001-01-01
    let set_time = |path: &Path, t: SystemTime| {
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    let mut changed = [0usize; 5];
    pair.prepare(|photos| {
        changed = [0; 5];
        for (i, (path, bytes)) in files.iter().enumerate() {
            let file = photos.join(path);
            match i % 6 {
                // A foreign file of another size under the same name.
                0 => {
                    fs::write(&file, format!("not the photo {i}")).unwrap();
                    set_time(&file, foreign_time);
                    changed[0] += 1;
                }
                // A foreign file of the same size.
                1 => {
                    let mut other = bytes.to_vec();
                    other.iter_mut().for_each(|b| *b = !*b);
                    fs::write(&file, other).unwrap();
                    set_time(&file, foreign_time);
                    changed[1] += 1;
                }
                // The legacy name of an original (`IMG_0001-original.JPG`).
                2 if !path.ends_with(".MOV") && !path.ends_with(".MP4") => {
                    if let Some((stem, ext)) = path.rsplit_once('.') {
                        fs::rename(&file, photos.join(format!("{stem}-original.{ext}"))).unwrap();
                        changed[2] += 1;
                    }
                }
                // Gone: downloaded again.
                3 => {
                    fs::remove_file(&file).unwrap();
                    changed[3] += 1;
                }
                // Gone, half of it in the `.part` file: resumed.
                4 => {
                    if let Some(part) = parts.get(*path) {
                        fs::remove_file(&file).unwrap();
                        let part = file.with_file_name(format!("{part}.part"));
                        fs::write(&part, &bytes[..bytes.len() / 2]).unwrap();
                        changed[4] += 1;
                    }
                }
                _ => {}
            }
        }
    });
    assert!(
        changed.iter().all(|&n| n > 5),
        "every kind of change: {changed:?}"
    );

    pair.run(&[]);
    let second = pair.assert_same_trees("second run into the prepared directory");
    assert!(
        second
            .keys()
            .any(|p| p.ends_with("-original.JPG") || p.ends_with("-original.HEIC")),
        "legacy names kept"
    );
    assert!(
        !second.keys().any(|p| p.ends_with(".part")),
        "parts resumed"
    );

    // A third run with more sizes on top: medium and thumb files next to the originals.
    pair.run(&[
        "--size",
        "medium",
        "--size",
        "original",
        "--live-photo-size",
        "medium",
    ]);
    pair.assert_same_trees("third run with more sizes");

    // Sidecars next to what is there, legacy names included.
    pair.run(&["--xmp-sidecar"]);
    pair.assert_same_trees("fourth run with sidecars");
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Python's `base64.b32encode(…).decode()` (RFC 4648, padded).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for k in 0..8 {
            if k < chars {
                out.push(ALPHABET[((n >> (35 - 5 * k)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn helpers_encode_like_python() {
    assert_eq!(base32(b"foobar"), "MZXW6YTBOI======");
    assert_eq!(base32(b"fooba"), "MZXW6YTB");
    assert_eq!(base64_decode("Zm9vYmE="), b"fooba");
    assert_eq!(secs(UNIX_EPOCH - Duration::from_millis(1500)), -2);
    let mut problems = Vec::new();
    let got = normalise_xmptk(
        "a.xmp",
        br#"<x:xml_doc xmlns:x="adobe:ns:meta/" x:xmptk="icloudpd 1.32.3+abc">"#,
        "icloudpd ",
        &mut problems,
    );
    assert_eq!(got, br#"<x:xml_doc xmlns:x="adobe:ns:meta/" x:xmptk="*">"#);
    assert!(problems.is_empty());
}

/// A tree (and session) made by Python icloudpd, which keeps no sync state, is adopted by our
/// first run without a single download; the run after that asks only for changes.
#[test]
fn a_tree_made_by_python_is_adopted_without_downloading_anything() {
    let fake = start_fake_with(account(library()), None);
    let dir = tempfile::tempdir().unwrap();
    let python = download_run("python icloudpd", &fake, dir.path(), &[]);
    python.assert_success();
    python.assert_no_traceback();
    let since = SystemTime::now();
    let made = tree(&dir.path().join("photos"), since);
    assert!(
        media_count(&made) > ASSETS / 2,
        "python downloaded {}",
        made.len()
    );

    let first = download_run("our icloudpd", &fake, dir.path(), &[]);
    first.assert_success();
    first.assert_stdout_contains("Listing the whole library: no earlier run recorded");
    first.assert_stdout_contains("Summary: 0 downloaded");
    let requests = fake.requests().len();
    let second = download_run("our icloudpd", &fake, dir.path(), &[]);
    second.assert_success();
    second.assert_stdout_contains("No changes since the last run");
    let asked: Vec<String> = fake.requests()[requests..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(asked.len() <= 3, "{asked:?}\n{second}");
    assert_eq!(
        tree(&dir.path().join("photos"), since),
        made,
        "nothing touched"
    );
}
