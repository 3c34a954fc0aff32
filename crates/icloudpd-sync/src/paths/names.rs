//! File-name primitives with Python's semantics (`os.path.splitext`, icloudpd's cleaning,
//! suffixes, live-photo names) plus the safety rules of this port: no empty, `.` or `..`
//! names, bounded lengths and, on Windows, no reserved device names.

use base64::Engine as _;

/// Characters icloudpd replaces with `_` (cli.md §5.3 step 2).
const INVALID: [char; 10] = ['<', '>', ':', '"', '/', '\\', '|', '?', '*', '\0'];

/// The longest file name most file systems accept, in bytes.
pub(super) const NAME_MAX: usize = 255;

/// The longest planned file name, in bytes: what file systems take, as icloudpd writes it.
/// A de-duplication suffix shortens the stem when it would not fit ([`super::dedup_path`]).
pub(super) const FILE_NAME_MAX: usize = NAME_MAX;

/// An extension longer than this is not kept whole when a name is shortened.
const EXT_KEEP_MAX: usize = 32;

/// The UTI of QuickTime movies, which names live-photo videos.
pub(super) const QUICKTIME: &str = "com.apple.quicktime-movie";

/// icloudpd's `ITEM_TYPE_EXTENSIONS` (photos.md §8.2).
pub(super) fn uti_extension(uti: &str) -> Option<&'static str> {
    Some(match uti {
        "public.heic" => "HEIC",
        "public.heif" => "HEIF",
        "public.jpeg" => "JPG",
        "public.png" => "PNG",
        "com.apple.quicktime-movie" => "MOV",
        "com.adobe.raw-image" => "DNG",
        "com.canon.cr2-raw-image" => "CR2",
        "com.canon.crw-raw-image" => "CRW",
        "com.canon.cr3-raw-image" => "CR3",
        "com.sony.arw-raw-image" => "ARW",
        "com.fuji.raw-image" => "RAF",
        "com.panasonic.rw2-raw-image" => "RW2",
        "com.nikon.nrw-raw-image" => "NRF",
        "com.nikon.raw-image" => "NEF",
        "com.pentax.raw-image" => "PEF",
        "com.olympus.raw-image" | "com.olympus.or-raw-image" => "ORF",
        _ => return None,
    })
}

/// Replaces `< > : " / \ | ? *` and NUL with `_`.
pub(super) fn clean(name: &str) -> String {
    name.chars()
        .map(|c| if INVALID.contains(&c) { '_' } else { c })
        .collect()
}

/// Drops every non-ASCII character (Python's `encode("utf-8").decode("ascii", "ignore")`).
pub(super) fn strip_unicode(name: &str) -> String {
    name.chars().filter(char::is_ascii).collect()
}

/// Python's `os.path.splitext` for a name without separators: the extension starts at the last
/// `.`, unless only dots precede it (`.hidden`, `..x` have none).
pub(super) fn splitext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if name[..dot].bytes().any(|b| b != b'.') => name.split_at(dot),
        _ => (name, ""),
    }
}

/// Inserts `suffix` before the extension (icloudpd's `add_suffix_to_filename`).
pub(super) fn add_suffix(suffix: &str, name: &str) -> String {
    let (stem, ext) = splitext(name);
    format!("{stem}{suffix}{ext}")
}

/// The first seven characters of the standard base64 of the master record name.
pub(super) fn id7(master_id: &str) -> String {
    let mut encoded = base64::engine::general_purpose::STANDARD.encode(master_id);
    encoded.truncate(7);
    encoded
}

/// The live-photo video name under the `suffix` policy (`lp_filename_concatinator`).
pub(super) fn live_suffix_policy(name: &str) -> String {
    match splitext(name) {
        (_, "") => name.to_owned(),
        (stem, ext) if ext.eq_ignore_ascii_case(".heic") => format!("{stem}_HEVC.MOV"),
        (stem, _) => format!("{stem}.MOV"),
    }
}

/// The live-photo video name under the `original` policy (`lp_filename_original`).
pub(super) fn live_original_policy(name: &str) -> String {
    match splitext(name) {
        (_, "") => name.to_owned(),
        (stem, _) => format!("{stem}.MOV"),
    }
}

/// Whether this platform reserves device names (`CON`, `NUL`, `COM1`, …).
pub(super) const WINDOWS: bool = cfg!(windows);

/// Makes a final name safe to join to a directory: `""`/`.` become `_` and `..` becomes `__`;
/// with `windows`, a reserved device name (`CON`, `nul.txt`, `COM1.JPG`, …) gains a `_`
/// prefix. Any other name is returned unchanged.
pub(super) fn make_safe(name: String, windows: bool) -> String {
    match name.as_str() {
        "" | "." => "_".to_owned(),
        ".." => "__".to_owned(),
        _ if windows && is_windows_reserved(&name) => format!("_{name}"),
        _ => name,
    }
}

/// `true` for Windows device names, with or without an extension.
pub(super) fn is_windows_reserved(name: &str) -> bool {
    let base = name
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches(' ');
    let upper = base.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => upper
            .strip_prefix("COM")
            .or_else(|| upper.strip_prefix("LPT"))
            .is_some_and(|digit| {
                matches!(digit, "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9")
            }),
    }
}

/// Cuts `name` to at most `max` bytes: from the end of its stem, keeping the extension (when
/// short) and the last `keep` bytes of the stem (the `_<id7>` of `name-id7`); a name whose
/// extension is long is cut at its end. Cuts fall on character boundaries.
pub(super) fn shorten(name: &str, max: usize, keep: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = splitext(name);
    let keep = keep.min(stem.len());
    let keep = if stem.is_char_boundary(stem.len() - keep) {
        keep
    } else {
        0
    };
    let (body, tail) = stem.split_at(stem.len() - keep);
    let fixed = tail.len() + ext.len();
    if ext.len() <= EXT_KEEP_MAX && fixed < max {
        return format!("{}{tail}{ext}", prefix(body, max - fixed));
    }
    prefix(name, max).to_owned()
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(super) fn prefix(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
