//! Metadata written next to or into downloaded files: XMP sidecars (cli.md §9) and EXIF dates
//! (cli.md §6.4).
//!
//! INTERFACE STUB — the bodies are being written; signatures are the contract.

pub(crate) mod exif;
pub(crate) mod xmp;
