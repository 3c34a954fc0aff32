//! The real Python icloudpd 1.32.3 listing and downloading photos from `icloud-fake`: proof that
//! the fake's CloudKit and CDN are faithful enough for the unmodified client, and that the
//! fake's truth queries (`expected_listing`, `album_names`, `version_bytes`) describe exactly
//! what that client sees.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use icloud_fake::{ExpectedAsset, FakeLibrary, SharedPlacement};

use super::*;

const SHARED_PRIVATE: &str = "SharedSync-00000000-1111-2222-3333-444444444444";
const SHARED_SHARED: &str = "SharedSync-AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE";

/// An account without 2FA, so runs need no code.
fn photos_account(library: FakeLibrary) -> FakeAccount {
    FakeAccount::new(APPLE_ID, PASSWORD)
        .without_two_factor()
        .library(library)
}

/// Runs Python icloudpd with `args` in `dir` (cookies in `dir/cookies`), `TZ=UTC`.
fn python_photos(fake: &FakeICloud, dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(python());
    cmd.arg(launcher())
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    photos_run("python icloudpd", fake, cmd, dir, args)
}

/// Runs our icloudpd with the same arguments and environment as [`python_photos`].
fn ours_photos(fake: &FakeICloud, dir: &Path, args: &[&str]) -> Run {
    let mut cmd = crate::bare_command();
    cmd.env("ICLOUD_KEYRING_BACKEND", "mock");
    photos_run("our icloudpd", fake, cmd, dir, args)
}

/// Adds the account, `dir/cookies`, `args`, `TZ=UTC` and the fake's endpoints to `cmd` and runs
/// it in `dir`.
fn photos_run(
    what: &'static str,
    fake: &FakeICloud,
    mut cmd: Command,
    dir: &Path,
    args: &[&str],
) -> Run {
    cmd.args([
        "--username",
        APPLE_ID,
        "--password",
        PASSWORD,
        "--no-progress-bar",
    ])
    .arg("--cookie-directory")
    .arg(dir.join("cookies"))
    .args(args)
    .current_dir(dir)
    .env("TZ", "UTC");
    point_at_fake(&mut cmd, fake, dir);
    run(what, fake, cmd, None)
}

/// Python's `os.path.splitext` for a file name (leading dots never start an extension).
fn splitext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if !name[..i].chars().all(|c| c == '.') => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// icloudpd's extension for a UTI (`ITEM_TYPE_EXTENSIONS`).
fn uti_extension(uti: &str) -> Option<&'static str> {
    Some(match uti {
        "public.heic" => "HEIC",
        "public.heif" => "HEIF",
        "public.jpeg" => "JPG",
        "public.png" => "PNG",
        "com.apple.quicktime-movie" => "MOV",
        "com.adobe.raw-image" => "DNG",
        "com.canon.cr2-raw-image" => "CR2",
        "com.canon.crw-raw-image" => "CRW",
        "com.sony.arw-raw-image" => "ARW",
        "com.fuji.raw-image" => "RAF",
        "com.panasonic.rw2-raw-image" => "RW2",
        "com.nikon.nrw-raw-image" => "NRF",
        "com.pentax.raw-image" => "PEF",
        "com.nikon.raw-image" => "NEF",
        "com.olympus.raw-image" | "com.olympus.or-raw-image" => "ORF",
        "com.canon.cr3-raw-image" => "CR3",
        _ => return None,
    })
}

/// Formats the UTC day of `ms` as icloudpd's default folder `%Y/%m/%d`.
fn day_folder(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}/{m:02}/{d:02}")
}

/// One file Python icloudpd writes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PlannedFile {
    path: String,
    asset: String,
    prefix: &'static str,
    size: u64,
}

/// Replays icloudpd 1.32's naming with its defaults (`--size original`, live photo size
/// original, `name-size-dedup-with-suffix`, unicode stripped, folders `{:%Y/%m/%d}` in UTC)
/// over `assets` in listing order, starting from an empty directory: the files it writes, in
/// the order it writes them (paths relative to the download directory). With `printing`
/// (`--only-print-filenames`) nothing is written, so no name is ever de-duplicated.
fn python_plan(assets: &[ExpectedAsset], printing: bool) -> Vec<PlannedFile> {
    let mut written: HashMap<String, u64> = HashMap::new();
    let mut plan = Vec::new();
    let mut place = |path: String, asset: &ExpectedAsset, prefix: &'static str| {
        let (size, _) = asset.version(prefix).expect("version");
        let path = match written.get(&path) {
            None => path,
            Some(&existing) if existing == size => return,
            Some(_) => {
                let (a, b) = path.rsplit_once('.').expect("dot");
                let dedup = format!("{a}-{size}.{b}");
                if written.contains_key(&dedup) {
                    return;
                }
                dedup
            }
        };
        if !printing {
            written.insert(path.clone(), size);
        }
        plan.push(PlannedFile {
            path,
            asset: asset.asset_record_name.clone(),
            prefix,
            size,
        });
    };
    for asset in assets {
        let raw = asset.filename.clone().expect("generated names decode");
        let cleaned: String = raw
            .chars()
            .map(|c| if "<>:\"/\\|?*\0".contains(c) { '_' } else { c })
            .collect();
        let name: String = cleaned.chars().filter(char::is_ascii).collect();
        let image = match asset.item_type.as_deref() {
            None => true,
            Some(uti) if uti_extension(uti).is_some() => uti != "com.apple.quicktime-movie",
            Some(_) => {
                let lower = cleaned.to_lowercase();
                [".heic", ".png", ".jpg", ".jpeg"]
                    .iter()
                    .any(|e| lower.ends_with(e))
            }
        };
        let folder = day_folder(asset.asset_date_ms);
        let (stem, ext) = splitext(&name);
        let uti = asset.file_type("resOriginal").expect("original");
        let ext = uti_extension(uti).unwrap_or(ext.trim_start_matches('.'));
        place(format!("{folder}/{stem}.{ext}"), asset, "resOriginal");
        if image && asset.version("resOriginalVidCompl").is_some() {
            let (stem, ext) = splitext(&name);
            let movie = match ext {
                "" => name.clone(),
                e if e.eq_ignore_ascii_case(".heic") => format!("{stem}_HEVC.MOV"),
                _ => format!("{stem}.MOV"),
            };
            place(format!("{folder}/{movie}"), asset, "resOriginalVidCompl");
        }
    }
    plan
}

/// Every file under `root`, by path relative to it.
fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !crate::is_bookkeeping(&path) {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn python_lists_albums_as_the_fake_says() {
    let fake = start_fake_with(photos_account(FakeLibrary::generated(60, 9)), None);
    let dir = tempfile::tempdir().unwrap();

    let run = python_photos(
        &fake,
        dir.path(),
        &["--list-albums", "--log-level", "error"],
    );

    run.assert_success();
    run.assert_no_traceback();
    let mut want = vec!["Albums:".to_owned()];
    want.extend(fake.album_names(APPLE_ID, "PrimarySync"));
    assert!(want.contains(&"Jo\u{308}rg".to_owned()) && want.contains(&"Berlin 2019".to_owned()));
    let got: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(got, want, "{run}");
}

#[test]
fn python_lists_private_and_shared_libraries_and_their_albums() {
    let fake = start_fake_with(listing_account(), None);
    let dir = tempfile::tempdir().unwrap();

    let run = python_photos(
        &fake,
        dir.path(),
        &["--list-libraries", "--log-level", "error"],
    );

    run.assert_success();
    run.assert_no_traceback();
    let mut got: Vec<&str> = run.stdout.lines().collect();
    got.sort_unstable();
    let mut want = fake.library_names(APPLE_ID);
    want.sort();
    assert_eq!(got, want, "{run}");

    for zone in [SHARED_PRIVATE, SHARED_SHARED] {
        let run = python_photos(
            &fake,
            dir.path(),
            &["--library", zone, "--list-albums", "--log-level", "error"],
        );
        run.assert_success();
        let got: Vec<&str> = run.stdout.lines().skip(1).collect();
        assert_eq!(got, fake.album_names(APPLE_ID, zone), "{run}");
    }
    assert_eq!(fake.album_names(APPLE_ID, SHARED_SHARED).len(), 10);
    assert!(fake.album_names(APPLE_ID, SHARED_PRIVATE).len() > 10);
}

#[test]
fn python_downloads_a_generated_library_byte_for_byte() {
    let fake = start_fake_with(photos_account(FakeLibrary::generated(300, 2026)), None);
    let dir = tempfile::tempdir().unwrap();

    let run = python_photos(
        &fake,
        dir.path(),
        &["--directory", "photos", "--size", "original"],
    );

    run.assert_success();
    run.assert_no_traceback();
    run.assert_stdout_contains("All photos and videos have been downloaded");
    let assets = fake.expected_listing(APPLE_ID, "PrimarySync", None);
    run.assert_stdout_contains(&format!(
        "Downloading {} original photos and videos",
        assets.len()
    ));
    let plan = python_plan(&assets, false);
    assert!(
        plan.iter()
            .any(|f| f.path.contains("-") && f.path.ends_with(".MOV"))
    );
    let on_disk = files_under(&dir.path().join("photos"));
    let planned: Vec<&str> = plan.iter().map(|f| f.path.as_str()).collect();
    let found: Vec<&str> = on_disk.keys().map(String::as_str).collect();
    let mut sorted = planned.clone();
    sorted.sort_unstable();
    assert_eq!(found, sorted, "{run}");
    for f in &plan {
        let want = fake
            .version_bytes(APPLE_ID, "PrimarySync", &f.asset, f.prefix)
            .expect("bytes");
        assert_eq!(want.len() as u64, f.size);
        assert!(on_disk[&f.path] == want, "{} differs", f.path);
    }
    let downloads = fake.count("GET", "/$%7Bf%7D");
    assert_eq!(downloads, plan.len(), "one GET per file\n{run}");

    // A second run finds everything present and downloads nothing.
    let again = python_photos(
        &fake,
        dir.path(),
        &["--directory", "photos", "--size", "original"],
    );
    again.assert_success();
    assert_eq!(fake.count("GET", "/$%7Bf%7D"), downloads, "{again}");
    assert_eq!(files_under(&dir.path().join("photos")).len(), plan.len());
}

/// Deleting each asset right after its download makes Python step its offset back by one;
/// only if `records/modify` shifts the ranks at once does it still see every asset.
#[test]
fn python_deletes_after_download_and_misses_nothing() {
    let fake = start_fake_with(photos_account(FakeLibrary::generated(230, 77)), None);
    let dir = tempfile::tempdir().unwrap();
    let assets = fake.expected_listing(APPLE_ID, "PrimarySync", None);
    let already_deleted = fake
        .expected_listing(APPLE_ID, "PrimarySync", Some("Recently Deleted"))
        .len();

    let run = python_photos(
        &fake,
        dir.path(),
        &[
            "--directory",
            "photos",
            "--size",
            "original",
            "--delete-after-download",
        ],
    );

    run.assert_success();
    run.assert_no_traceback();
    let plan = python_plan(&assets, false);
    let on_disk = files_under(&dir.path().join("photos"));
    assert_eq!(on_disk.len(), plan.len(), "{run}");
    assert_eq!(
        fake.count("POST", "/records/modify"),
        assets.len(),
        "one modify per asset\n{run}"
    );
    let modify = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/records/modify"))
        .and_then(|r| r.json())
        .expect("modify body");
    assert_eq!(modify["operations"][0]["record"]["recordType"], "CPLAsset");
    assert_eq!(
        modify["operations"][0]["record"]["fields"]["isDeleted"]["value"],
        1
    );
    assert!(
        fake.expected_listing(APPLE_ID, "PrimarySync", None)
            .is_empty()
    );
    assert_eq!(
        fake.expected_listing(APPLE_ID, "PrimarySync", Some("Recently Deleted"))
            .len(),
        already_deleted + assets.len()
    );
}

#[test]
fn python_prints_recent_filenames_of_the_default_library() {
    let fake = start_fake_with(
        FakeAccount::new(APPLE_ID, PASSWORD).without_two_factor(),
        None,
    );
    let dir = tempfile::tempdir().unwrap();

    let run = python_photos(
        &fake,
        dir.path(),
        &[
            "--directory",
            "photos",
            "--recent",
            "5",
            "--only-print-filenames",
        ],
    );

    run.assert_success();
    run.assert_no_traceback();
    let assets = fake.expected_listing(APPLE_ID, "PrimarySync", None);
    assert!(assets.len() >= 5, "the default library has assets");
    let want: Vec<String> = python_plan(&assets[..5], true)
        .into_iter()
        .map(|f| format!("photos/{}", f.path))
        .collect();
    let got: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(got, want, "{run}");
    assert!(!dir.path().join("photos").exists(), "nothing written");
}

/// Python's listing loop ends at the first page without masters, so a block of empty ranks in
/// the middle of the index hides every asset after it (the Port probes past such pages).
#[test]
fn python_stops_at_the_first_empty_page() {
    let library = FakeLibrary::generated(150, 5).empty_pages(60, 100);
    let fake = start_fake_with(photos_account(library), None);
    let dir = tempfile::tempdir().unwrap();

    let run = python_photos(
        &fake,
        dir.path(),
        &["--directory", "photos", "--only-print-filenames"],
    );

    run.assert_success();
    let assets = fake.expected_listing(APPLE_ID, "PrimarySync", None);
    assert!(assets.len() > 120);
    let want: Vec<String> = python_plan(&assets[..60], true)
        .into_iter()
        .map(|f| format!("photos/{}", f.path))
        .collect();
    let got: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        got, want,
        "only the 60 assets before the empty block\n{run}"
    );
}

#[test]
fn python_refuses_a_library_still_indexing() {
    let fake = start_fake_with(photos_account(FakeLibrary::new().indexing("RUNNING")), None);
    let dir = tempfile::tempdir().unwrap();

    let run = python_photos(&fake, dir.path(), &["--directory", "photos"]);

    assert_eq!(run.status.code(), Some(1), "{run}");
    run.assert_stdout_contains("Apple iCloud Photo Library has not finished indexing yet");
    run.assert_no_traceback();
}

#[test]
fn python_reports_web_access_disabled() {
    let fake = start_fake_with(
        photos_account(FakeLibrary::new()).web_access_disabled(),
        None,
    );
    let dir = tempfile::tempdir().unwrap();

    let run = python_photos(&fake, dir.path(), &["--directory", "photos"]);

    assert_eq!(run.status.code(), Some(1), "{run}");
    run.assert_stdout_contains(
        "private db access disabled for this account.  Please wait a few minutes then try again.",
    );
    run.assert_stdout_contains("(ACCESS_DENIED)");
}

#[test]
fn python_reports_photos_not_set_up() {
    let fake = start_fake_with(photos_account(FakeLibrary::new()).without_photos(), None);
    let dir = tempfile::tempdir().unwrap();

    let run = python_photos(&fake, dir.path(), &["--directory", "photos"]);

    assert_eq!(run.status.code(), Some(1), "{run}");
    run.assert_stdout_contains("Webservice not available (ckdatabasews)");
}

#[test]
fn day_folders_are_utc_days() {
    assert_eq!(day_folder(0), "1970/01/01");
    assert_eq!(day_folder(1_533_021_744_816), "2018/07/31");
    assert_eq!(day_folder(951_782_400_000), "2000/02/29");
    assert_eq!(splitext("..hidden.JPG"), ("..hidden", ".JPG"));
    assert_eq!(splitext(".hidden"), (".hidden", ""));
    assert_eq!(splitext("IMG.1234.HEIC"), ("IMG.1234", ".HEIC"));
}

// ---------------------------------------------------------------------------------------------
// Our icloudpd prints what Python prints
// ---------------------------------------------------------------------------------------------

/// The lines of `stdout` that are not log lines (`YYYY-MM-DD HH:MM:SS LEVEL …`).
fn printed_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| {
            let b = l.as_bytes();
            !(b.len() > 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':')
        })
        .collect()
}

/// A library with every kind of album: folders, albums in folders, a deleted album, unicode.
fn listing_account() -> FakeAccount {
    photos_account(FakeLibrary::generated(60, 9))
        .shared_library(
            SHARED_PRIVATE,
            FakeLibrary::generated(10, 2),
            SharedPlacement::PrivateDb,
        )
        .shared_library(
            SHARED_SHARED,
            FakeLibrary::generated(10, 3),
            SharedPlacement::SharedDb,
        )
}

#[test]
fn ours_lists_albums_exactly_as_python_does() {
    let fake = start_fake_with(listing_account(), None);
    for library in [None, Some(SHARED_PRIVATE), Some(SHARED_SHARED)] {
        let mut args = vec!["--list-albums"];
        if let Some(zone) = library {
            args.extend(["--library", zone]);
        }
        let (py_dir, our_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let python = python_photos(&fake, py_dir.path(), &args);
        let ours = ours_photos(&fake, our_dir.path(), &args);
        python.assert_success();
        ours.assert_success();
        let want = printed_lines(&python.stdout);
        assert!(want.len() >= 11, "{python}");
        assert_eq!(printed_lines(&ours.stdout), want, "{ours}");
        // The log line before the listing matches too (timestamps aside).
        let processing = "INFO     Processing user: jdoe@example.com";
        ours.assert_stdout_contains(processing);
        python.assert_stdout_contains(processing);
    }
}

#[test]
fn ours_lists_libraries_as_python_does() {
    let fake = start_fake_with(listing_account(), None);
    let (py_dir, our_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    let python = python_photos(&fake, py_dir.path(), &["--list-libraries"]);
    let ours = ours_photos(&fake, our_dir.path(), &["--list-libraries"]);

    python.assert_success();
    ours.assert_success();
    // Python prints a set (any order); ours prints private zones first, then shared ones,
    // then the shared albums' pseudo-library, which Python 1.32 does not have (the fake
    // announces the `sharedstreams` service; docs/compatibility.md, "Shared albums").
    let mut want = printed_lines(&python.stdout);
    want.sort_unstable();
    let got = printed_lines(&ours.stdout);
    assert_eq!(
        got,
        ["PrimarySync", SHARED_PRIVATE, SHARED_SHARED, "SharedAlbums"],
        "{ours}"
    );
    let mut sorted: Vec<_> = got
        .iter()
        .filter(|l| **l != "SharedAlbums")
        .cloned()
        .collect();
    sorted.sort_unstable();
    assert_eq!(sorted, want);
}

#[test]
fn ours_rejects_an_unknown_library_as_python_does() {
    let fake = start_fake_with(listing_account(), None);
    let (py_dir, our_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = ["--library", "doesnotexist", "--list-albums"];

    let python = python_photos(&fake, py_dir.path(), &args);
    let ours = ours_photos(&fake, our_dir.path(), &args);

    assert_eq!(python.status.code(), Some(1), "{python}");
    assert_eq!(ours.status.code(), Some(1), "{ours}");
    python.assert_stdout_contains("ERROR    Unknown library: doesnotexist");
    ours.assert_stdout_contains("ERROR    Unknown library: doesnotexist");
}

#[test]
fn ours_reports_service_problems_as_python_does() {
    // Python logs the failure at INFO; we log it at ERROR, so that `--log-level error` shows
    // it too (docs/compatibility.md).
    let cases: [(FakeAccount, &str, bool); 3] = [
        (
            photos_account(FakeLibrary::new().indexing("RUNNING")),
            "Apple iCloud Photo Library has not finished indexing yet",
            true,
        ),
        (
            photos_account(FakeLibrary::new()).web_access_disabled(),
            "(ACCESS_DENIED)",
            false,
        ),
        (
            photos_account(FakeLibrary::new()).without_photos(),
            "Webservice not available (ckdatabasews)",
            true,
        ),
    ];
    for (account, message, whole_line) in cases {
        let fake = start_fake_with(account, None);
        let (py_dir, our_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let python = python_photos(&fake, py_dir.path(), &["--list-albums"]);
        let ours = ours_photos(&fake, our_dir.path(), &["--list-albums"]);
        assert_eq!(python.status.code(), Some(1), "{python}");
        assert_eq!(ours.status.code(), Some(1), "{ours}");
        if whole_line {
            python.assert_stdout_contains(&format!("INFO     {message}\n"));
            ours.assert_stdout_contains(&format!("ERROR    {message}\n"));
        } else {
            python.assert_stdout_contains(message);
            ours.assert_stdout_contains(message);
        }
        ours.assert_stdout_lacks("Albums:");
    }
}
