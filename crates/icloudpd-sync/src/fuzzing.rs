//! Entry points for the fuzz targets in `fuzz/`, compiled only with `--cfg fuzzing` (as
//! `cargo fuzz` builds). Not part of the API: they hand the private readers and writers of
//! downloaded files (EXIF, XMP sidecars) and of folder names to the fuzzer. Errors are their
//! text.

use std::ops::Range;

use icloud_photos::Asset;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::TimeNames;
use crate::metadata::{exif, xmp};

/// Returns the `DateTimeOriginal` of a JPEG's EXIF, as `--set-exif-datetime` reads it.
pub fn date_time_original(jpeg: &[u8]) -> Result<Option<String>, String> {
    exif::date_time_original(jpeg).map_err(|e| e.0)
}

/// Returns the JPEG with `when` written as its EXIF dates, as `--set-exif-datetime` writes it.
pub fn with_date_time(jpeg: &[u8], when: PrimitiveDateTime) -> Result<Vec<u8>, String> {
    exif::with_date_time(jpeg, when).map_err(|e| e.0)
}

/// Returns the bytes of a JPEG that [`with_date_time`] replaces (its Exif APP1 segment, or
/// the empty range where one is inserted).
pub fn exif_replaced_range(jpeg: &[u8]) -> Result<Range<usize>, String> {
    exif::replaced_range(jpeg).map_err(|e| e.0)
}

/// Returns the XMP sidecar of `asset`, with `toolkit` as its `x:xmptk`.
pub fn render_xmp(asset: &Asset, toolkit: &str) -> String {
    xmp::render(asset, toolkit)
}

/// Returns `None` if an existing sidecar may be replaced, else why it is kept.
pub fn existing_sidecar(bytes: &[u8]) -> Option<String> {
    match xmp::check_existing(bytes) {
        xmp::Existing::Replace => None,
        xmp::Existing::Keep(kept) => Some(match kept {
            crate::KeptSidecar::OtherTool(tool) => {
                format!("created by {}", tool.as_deref().unwrap_or("None"))
            }
            crate::KeptSidecar::Unreadable(error) => format!("due to parser error: {error}"),
        }),
    }
}

/// Formats `created` with a strftime pattern, as a field of a folder template does.
pub fn strftime(pattern: &str, created: &OffsetDateTime, names: &TimeNames) -> String {
    crate::paths::format_time(pattern, created, names)
}
