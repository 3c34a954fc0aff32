//! Folder templates (Python's `str.format` with strftime specs) and the names they use: for
//! any template, time, offset, month and day names and download directory, the folder stays
//! inside the directory (no `..`, nothing absolute after it); strftime never panics; a file's
//! display name is one safe path component.
#![no_main]

use std::path::{Component, Path, PathBuf};

use icloudpd_fuzz::{AssetFields, asset};
use icloudpd_sync::fuzzing::strftime;
use icloudpd_sync::{FileMatchPolicy, FolderStructure, PathPolicy, SyncOptions, TimeNames};
use libfuzzer_sys::fuzz_target;

const DIRECTORIES: [&str; 6] = ["/photos", "photos", ".", "", "./a/../b/", "/"];

// Lines: the template, a strftime pattern, a file name, then optionally 24 names (12 months,
// 7 weekdays, AM and PM, the %c, %x and %X formats). The time, its offset and the directory
// depend on the whole input.
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let line = |i: usize| lines.get(i).copied().unwrap_or("");
    let (template, pattern, filename) = (line(0), line(1), line(2));
    let hash = data
        .iter()
        .fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)));
    let Some(created) = created(hash) else {
        return;
    };
    let names = time_names(lines.get(3..27));
    let _ = strftime(pattern, &created, &names);

    let directory = DIRECTORIES[data.len() % DIRECTORIES.len()];
    let mut options = SyncOptions::new(directory);
    options.folder_structure = match FolderStructure::parse(template) {
        Ok(parsed) => parsed,
        // Rendered as its literal text, as a template rejected for this date would be.
        Err(_) => FolderStructure::Template(template.to_owned()),
    };
    options.time_names = names;
    options.keep_unicode_in_filenames = hash & 1 == 1;
    if hash & 2 == 2 {
        options.file_match_policy = FileMatchPolicy::NameId7;
    }
    let policy = PathPolicy::new(&options);
    let folder = policy.folder(&created);
    check_inside(Path::new(directory), &folder);

    let fields = AssetFields {
        filename: Some((filename.to_owned(), "STRING")),
        ..AssetFields::default()
    };
    if let Some(asset) = asset(&fields, "AY6c+BsE0jjaXx9tmVGJM1D2VcEO") {
        let name = policy.display_name(&asset);
        assert!(name.len() <= 255, "{name:?} is too long");
        let joined = folder.join(&name);
        assert_eq!(
            joined.parent(),
            Some(folder.as_path()),
            "{name:?} is not one component"
        );
        assert_eq!(
            joined.file_name().map(|n| n.len()),
            Some(name.len()),
            "{name:?}"
        );
        assert!(!name.contains('\0'), "{name:?}");
    }
});

/// A creation time from year -9999 to 9999 with an offset under a day, from `hash`.
fn created(hash: u64) -> Option<time::OffsetDateTime> {
    let hash = i64::from_le_bytes(hash.to_le_bytes());
    let seconds = hash.rem_euclid(2 * 315_537_897_600) - 315_537_897_600 - 62_135_596_800;
    let offset = time::UtcOffset::from_whole_seconds(
        i32::try_from(hash.rem_euclid(172_799)).ok()? - 86_399,
    )
    .ok()?;
    let nanos = i128::from((hash >> 20).rem_euclid(1_000_000_000));
    let instant =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(seconds) * 1_000_000_000 + nanos)
            .ok()?;
    instant.checked_to_offset(offset)
}

/// English names, or the 24 given.
fn time_names(lines: Option<&[&str]>) -> TimeNames {
    let Some(lines) = lines else {
        return TimeNames::english();
    };
    let owned = |range: std::ops::Range<usize>| lines[range].iter().map(|s| (*s).to_owned());
    let array = |range| -> Vec<String> { owned(range).collect() };
    let abbr = |names: &[String]| -> Vec<String> {
        names.iter().map(|s| s.chars().take(3).collect()).collect()
    };
    let (months, weekdays) = (array(0..12), array(12..19));
    TimeNames {
        months_abbr: fixed(abbr(&months)),
        weekdays_abbr: fixed(abbr(&weekdays)),
        months: fixed(months),
        weekdays: fixed(weekdays),
        am_pm: [lines[19].to_owned(), lines[20].to_owned()],
        date_time_format: lines[21].to_owned(),
        date_format: lines[22].to_owned(),
        time_format: lines[23].to_owned(),
    }
}

fn fixed<const N: usize>(names: Vec<String>) -> [String; N] {
    names.try_into().expect("the right number of names")
}

/// Checks that `folder` is `directory` (normalised) followed by plain names only.
fn check_inside(directory: &Path, folder: &Path) {
    let base: PathBuf = directory
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .fold(PathBuf::new(), |mut path, c| {
            match c {
                Component::ParentDir if path.file_name().is_some() => {
                    path.pop();
                }
                c => path.push(c),
            }
            path
        });
    let rest = folder
        .strip_prefix(&base)
        .unwrap_or_else(|_| panic!("{folder:?} is outside {base:?}"));
    for component in rest.components() {
        match component {
            Component::Normal(name) => {
                assert!(
                    !name.is_empty() && name != ".." && name != ".",
                    "{folder:?}"
                );
                assert!(!name.to_string_lossy().contains('\0'), "{folder:?}");
            }
            Component::CurDir if folder == Path::new(".") => {}
            other => panic!("{folder:?} has {other:?} after {base:?}"),
        }
    }
}
