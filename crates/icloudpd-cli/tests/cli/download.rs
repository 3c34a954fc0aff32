//! Downloading against the fake: the Python icloudpd 1.32 test catalogue (cli.md §14)
//! reproduced with the real binary.
//!
//! Every test builds the catalogue's fixture account (or a variant of it) in `icloud-fake`,
//! runs `icloudpd` in a fresh directory (`data/` is the download directory, `cookie/` the
//! cookie directory, `TZ=UTC`) and asserts the exact set of files under `data/` and the key log
//! lines, compared on the message after the `YYYY-MM-DD HH:MM:SS LEVEL    ` prefix. Where we
//! deliberately differ from Python (docs/compatibility.md: per-file failures exit 1, no request
//! in a dry run, …) the test asserts our behaviour and says so.

use icloud_fake::{FakeAsset, FakeLibrary, Fault};

use crate::USER;

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

// The fixture account, the test world and its runs, shared by the tests below.
mod env;
mod fixtures;
mod run;

// test_download_photos.py: existing files, live photos, until-found, dry run, dedup, resume.
mod photos;
// test_download_photos.py: sizes, RAW, dates.
mod photos_sizes;
// test_download_photos.py: names, encodings, errors, deletion after download.
mod photos_errors;
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
// A disk that fills up mid-run (issue 12).
mod full_disk;
// Option mixes refused for deleting what is not kept, and what a deletion waits for.
mod safety;
// Runs that ask only for changes: the sync state, the change feed, the ways back to a listing.
mod incremental;
// Options in environment variables, and the password in a file (issue 14).
mod from_env;
// `--library SharedAlbums`: shared albums listed and mirrored, one folder per album (issue 16).
mod shared_albums;

pub(crate) use env::{Env, part_name};
pub(crate) use fixtures::{
    IMG_7407_JPG, IMG_7408_JPG, IMG_7409_JPG, IMG_7409_MOV, IMG_7409_SECS, ROWS, account,
    as_img_7409, fixture, fixture_asset, fixture_editing_first, fixture_first, fixture_rel,
    fixture_with,
};
pub(crate) use run::{
    NO_FILES, Run, assert_files, assert_size, assert_synced, mtime, parse_log_line,
};

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
