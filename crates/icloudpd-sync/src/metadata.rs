//! Metadata written next to or into downloaded files: XMP sidecars (cli.md §9) and EXIF dates
//! (cli.md §6.4).
//!
//! Both are pure functions of bytes and an asset; the engine (`execute.rs`) decides when
//! they run and writes their results atomically. The rules, as an embedder sees them:
//!
//! # EXIF dates ([`exif`], `SyncOptions::set_exif_datetime`)
//!
//! - Only files whose name ends in `.jpg` or `.jpeg` (any case) are looked at, and only
//!   after the download is complete, before the file gets its final name.
//! - A JPEG that has a non-empty `DateTimeOriginal` is left exactly as downloaded.
//! - Otherwise the asset's creation time, as wall-clock time in `SyncOptions::time_zone`
//!   (`YYYY:MM:DD HH:MM:SS`, EXIF has no zone), is written as `DateTimeOriginal` and
//!   `DateTimeDigitized` (Exif IFD) and `DateTime` (IFD0). Only the Exif APP1 segment
//!   changes (one is added if there is none); every other byte is kept.
//! - A JPEG whose EXIF cannot be read or patched is kept as downloaded and reported
//!   (`SyncEvent::ExifFailed`); it does not fail the asset. Only a failed write does.
//! - The file's modification time is the creation time in every case; a later run tells a
//!   JPEG it dated from a changed one by that time, since its size no longer matches Apple's
//!   (`disk::dated_by_us`).
//!
//! # XMP sidecars ([`xmp`], `SyncOptions::xmp_sidecar`)
//!
//! - One `<file>.xmp` per downloaded or present primary file (not for live-photo videos),
//!   byte for byte what icloudpd 1.32 writes: title, description, keywords, GPS position,
//!   orientation, creation date in the asset's own time zone, rating (5 for favourites, -1
//!   for hidden or deleted assets), and the screenshot markers.
//! - Values that cannot be decoded are left out (icloudpd would crash on them).
//! - An existing sidecar is replaced only if it is empty or its `x:xmptk` starts with
//!   `icloudpd`; any other is another tool's and stays (`SyncEvent::XmpKept`).
//! - Sidecars are rewritten on every run that sees the asset, so they follow edits made in
//!   iCloud (a new caption, a favourite).

pub(crate) mod exif;
pub(crate) mod xmp;
