//! [`FakeAsset`]: one CPLMaster/CPLAsset pair and its builder-style modifiers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::model::{Prefix, Uti};

/// Milliseconds since the Unix epoch of 2024-01-01T00:00:00Z, the default capture date of
/// hand-made assets (each later asset is one hour older).
pub(crate) const DEFAULT_DATE_MS: i64 = 1_704_067_200_000;

/// Flag bits of [`FakeAsset::flags`].
pub(crate) mod flag {
    /// `isFavorite` = 1.
    pub(crate) const FAVORITE: u32 = 1;
    /// `isHidden` = 1.
    pub(crate) const HIDDEN: u32 = 1 << 1;
    /// `isDeleted` = 1 (in Recently Deleted).
    pub(crate) const DELETED: u32 = 1 << 2;
    /// Edited: `resJPEGFull*` + `adjustmentType` on the CPLAsset.
    pub(crate) const EDITED: u32 = 1 << 3;
    /// Part of a burst (`burstId`).
    pub(crate) const BURST: u32 = 1 << 4;
    /// Panorama (`assetSubtype` 1).
    pub(crate) const PANORAMA: u32 = 1 << 5;
    /// Slow motion video.
    pub(crate) const SLOMO: u32 = 1 << 6;
    /// Time-lapse video.
    pub(crate) const TIMELAPSE: u32 = 1 << 7;
    /// Screenshot (`assetSubtypeV2` 3).
    pub(crate) const SCREENSHOT: u32 = 1 << 8;
    /// Every `…Res` lacks `downloadURL`.
    pub(crate) const NO_DOWNLOAD_URL: u32 = 1 << 9;
    /// Has a caption (`captionEnc`).
    pub(crate) const CAPTION: u32 = 1 << 10;
    /// RAW original with a JPEG `resOriginalAlt`.
    pub(crate) const RAW_PLUS_JPEG: u32 = 1 << 11;
}

/// What the master's `filenameEnc` field holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NameField {
    /// `ENCRYPTED_BYTES`: base64 of the UTF-8 name.
    Encrypted(Box<str>),
    /// `STRING`: the name verbatim.
    Plain(Box<str>),
    /// `ENCRYPTED_BYTES` whose value is emitted as given (bad base64, invalid UTF-8, …).
    RawB64(Box<str>),
    /// No `filenameEnc` field.
    Missing,
}

/// What the master's `itemType` field holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ItemTypeField {
    /// The UTI implied by the asset's original.
    Natural,
    /// No `itemType` field.
    Missing,
    /// `{"type": "STRING"}` without `value`.
    WithoutValue,
    /// A given UTI.
    Custom(Box<str>),
}

/// The media of an asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A still image; its original has this UTI.
    Still(Uti),
    /// A live photo: a still with a QuickTime companion (`resOriginalVidCompl*`).
    Live(Uti),
    /// A video.
    Video(Uti),
}

/// One photo or video: a CPLMaster/CPLAsset pair, built with a constructor and builder-style
/// modifiers.
///
/// ```
/// use icloud_fake::{FakeAsset, FakeLibrary};
///
/// let library = FakeLibrary::new()
///     .asset(FakeAsset::photo("IMG_0001.JPG").favorite().in_album("Bilderrahmen"))
///     .asset(FakeAsset::live("IMG_0002.HEIC").date_ms(1_533_021_744_816))
///     .asset(FakeAsset::video("IMG_0003.MOV").hidden());
/// assert_eq!(library.len(), 3);
/// ```
///
/// Defaults: capture date 2024-01-01T00:00:00Z minus one hour per asset already in the library,
/// added ten seconds later, time zone offset +01:00, not favorite, not hidden, not deleted,
/// `filenameEnc` as `ENCRYPTED_BYTES`, record names derived from the library seed and the
/// asset's position.
#[derive(Clone, Debug)]
pub struct FakeAsset {
    pub(crate) kind: Kind,
    pub(crate) name: NameField,
    pub(crate) item_type: ItemTypeField,
    pub(crate) date_ms: Option<i64>,
    pub(crate) added_ms: Option<i64>,
    pub(crate) tz_offset: i32,
    pub(crate) flags: u32,
    pub(crate) expunged_ms: i64,
    pub(crate) original_size: Option<u64>,
    pub(crate) master_name: Option<Box<str>>,
    pub(crate) asset_name: Option<Box<str>>,
    pub(crate) albums: Vec<String>,
    /// Derived id (library seed, position); drives names, checksums, sizes and bytes.
    pub(crate) uid: u64,
    /// Bumped on every modification; rendered as `recordChangeTag`.
    pub(crate) tag: u32,
    /// `modified.timestamp` of the CPLAsset.
    pub(crate) modified_ms: i64,
    /// Resources left out of the records: bit `1 << p` for each omitted `Prefix` `p`.
    pub(crate) omitted: u16,
    /// Times the asset's resources were replaced ([`crate::FakeICloud::revise_asset`]): new
    /// checksums, sizes and bytes.
    pub(crate) revision: u32,
}

impl FakeAsset {
    fn new(kind: Kind, filename: &str) -> Self {
        FakeAsset {
            kind,
            name: NameField::Encrypted(filename.into()),
            item_type: ItemTypeField::Natural,
            date_ms: None,
            added_ms: None,
            tz_offset: 3600,
            flags: 0,
            expunged_ms: 0,
            original_size: None,
            master_name: None,
            asset_name: None,
            albums: Vec::new(),
            uid: 0,
            tag: 0,
            modified_ms: 0,
            revision: 0,
            omitted: 0,
        }
    }

    /// Returns a still image named `filename`; the UTI follows the extension (`.HEIC` →
    /// `public.heic`, `.PNG` → `public.png`, `.DNG` → ProRAW `com.adobe.raw-image`, `.CR2`,
    /// `.ARW`, `.NEF`, … → that RAW type alone, anything else → `public.jpeg`).
    pub fn photo(filename: &str) -> Self {
        FakeAsset::new(Kind::Still(Uti::for_still_name(filename)), filename)
    }

    /// Returns a video named `filename` (`.MP4` → `public.mpeg-4`, else QuickTime).
    pub fn video(filename: &str) -> Self {
        let uti = if filename.to_ascii_lowercase().ends_with(".mp4") {
            Uti::Mp4
        } else {
            Uti::Mov
        };
        FakeAsset::new(Kind::Video(uti), filename)
    }

    /// Returns a live photo: a still named `filename` (HEIC or JPEG by extension) plus its
    /// QuickTime motion part (`resOriginalVidCompl*`, `resVidMed*`, `resVidSmall*`).
    pub fn live(filename: &str) -> Self {
        let uti = match Uti::for_still_name(filename) {
            Uti::Heic => Uti::Heic,
            _ => Uti::Jpeg,
        };
        FakeAsset::new(Kind::Live(uti), filename)
    }

    /// Returns a RAW+JPEG pair: the RAW (type by extension of `filename`, default CR2) as
    /// `resOriginal` and a JPEG as `resOriginalAlt`, as Apple delivers them.
    pub fn raw_plus_jpeg(filename: &str) -> Self {
        let uti = match Uti::for_still_name(filename) {
            u if u.is_raw() && u != Uti::Dng => u,
            _ => Uti::Cr2,
        };
        let mut a = FakeAsset::new(Kind::Still(uti), filename);
        a.flags |= flag::RAW_PLUS_JPEG;
        a
    }

    /// Returns a PNG screenshot (`assetSubtypeV2` 3, in the Screenshots smart folder).
    pub fn screenshot(filename: &str) -> Self {
        let mut a = FakeAsset::new(Kind::Still(Uti::Png), filename);
        a.flags |= flag::SCREENSHOT;
        a
    }

    fn with_flag(mut self, f: u32) -> Self {
        self.flags |= f;
        self
    }

    /// Sets the capture date (`assetDate`, ms since the epoch, UTC).
    #[must_use]
    pub fn date_ms(mut self, ms: i64) -> Self {
        self.date_ms = Some(ms);
        self
    }

    /// Sets the date added to the library (`addedDate`; default capture date + 10 s).
    #[must_use]
    pub fn added_ms(mut self, ms: i64) -> Self {
        self.added_ms = Some(ms);
        self
    }

    /// Sets `timeZoneOffset` in seconds east of UTC (default 3600).
    #[must_use]
    pub fn tz_offset(mut self, seconds: i32) -> Self {
        self.tz_offset = seconds;
        self
    }

    /// Marks the asset as a favorite.
    #[must_use]
    pub fn favorite(self) -> Self {
        self.with_flag(flag::FAVORITE)
    }

    /// Hides the asset: it is then listed only in Hidden.
    #[must_use]
    pub fn hidden(self) -> Self {
        self.with_flag(flag::HIDDEN)
    }

    /// Puts the asset in Recently Deleted (listed only there), expunged 30 days after its
    /// capture date unless [`FakeAsset::expunged_ms`] says otherwise.
    #[must_use]
    pub fn deleted(self) -> Self {
        self.with_flag(flag::DELETED)
    }

    /// Sets `dateExpunged` (ms) of a deleted asset; Recently Deleted sorts by it, newest first.
    #[must_use]
    pub fn expunged_ms(mut self, ms: i64) -> Self {
        self.expunged_ms = ms;
        self.with_flag(flag::DELETED)
    }

    /// Marks the asset as edited: the CPLAsset carries `adjustmentType` and a JPEG rendering in
    /// `resJPEGFull*` (and its own `resJPEGThumb*`), which take precedence over the master's.
    #[must_use]
    pub fn edited(self) -> Self {
        self.with_flag(flag::EDITED)
    }

    /// Makes the asset part of a burst (Bursts smart folder).
    #[must_use]
    pub fn burst(self) -> Self {
        self.with_flag(flag::BURST)
    }

    /// Makes the asset a panorama (Panoramas smart folder).
    #[must_use]
    pub fn panorama(self) -> Self {
        self.with_flag(flag::PANORAMA)
    }

    /// Makes a video slow motion (Slo-mo smart folder).
    #[must_use]
    pub fn slomo(self) -> Self {
        self.with_flag(flag::SLOMO)
    }

    /// Makes a video a time-lapse (Time-lapse smart folder).
    #[must_use]
    pub fn timelapse(self) -> Self {
        self.with_flag(flag::TIMELAPSE)
    }

    /// Adds a caption (`captionEnc`).
    #[must_use]
    pub fn caption(self) -> Self {
        self.with_flag(flag::CAPTION)
    }

    /// Sets the exact byte size of the original (default: derived from the asset id).
    #[must_use]
    pub fn size(mut self, bytes: u64) -> Self {
        self.original_size = Some(bytes.max(1));
        self
    }

    /// Adds the asset to the user album called `album` (the last album of that name; created as
    /// a plain album when the library has none yet).
    #[must_use]
    pub fn in_album(mut self, album: &str) -> Self {
        self.albums.push(album.to_owned());
        self
    }

    /// Sets the CPLMaster and CPLAsset record names (default: derived).
    #[must_use]
    pub fn record_names(mut self, master: &str, asset: &str) -> Self {
        self.master_name = Some(master.into());
        self.asset_name = Some(asset.into());
        self
    }

    /// Omits `filenameEnc` (clients fall back to `<id12>.<EXT>`).
    #[must_use]
    pub fn without_filename(mut self) -> Self {
        self.name = NameField::Missing;
        self
    }

    /// Sends `filenameEnc` as type `STRING` with the plain name.
    #[must_use]
    pub fn filename_as_string(mut self) -> Self {
        if let NameField::Encrypted(n) = &self.name {
            self.name = NameField::Plain(n.clone());
        }
        self
    }

    /// Sends `filenameEnc` as `ENCRYPTED_BYTES` with `value` verbatim (e.g. bad base64, or the
    /// base64 of bytes that are not UTF-8).
    #[must_use]
    pub fn filename_raw_b64(mut self, value: &str) -> Self {
        self.name = NameField::RawB64(value.into());
        self
    }

    /// Omits `itemType`.
    #[must_use]
    pub fn without_item_type(mut self) -> Self {
        self.item_type = ItemTypeField::Missing;
        self
    }

    /// Sends `itemType` as `{"type": "STRING"}` without `value`.
    #[must_use]
    pub fn item_type_without_value(mut self) -> Self {
        self.item_type = ItemTypeField::WithoutValue;
        self
    }

    /// Sends `itemType` = `uti` (e.g. `com.compuserve.gif`) instead of the original's UTI.
    #[must_use]
    pub fn item_type(mut self, uti: &str) -> Self {
        self.item_type = ItemTypeField::Custom(uti.into());
        self
    }

    /// Omits `downloadURL` from every resource of the asset.
    #[must_use]
    pub fn without_download_url(self) -> Self {
        self.with_flag(flag::NO_DOWNLOAD_URL)
    }

    /// Leaves the resource `prefix` (`resJPEGThumb`, `resJPEGMed`, `resVidMed`, `resVidSmall`,
    /// `resOriginalVidCompl`, …) out of both records, as Apple does for an asset that lacks
    /// that rendition; the other resources keep their checksums, sizes and bytes. Unknown
    /// prefixes are ignored.
    #[must_use]
    pub fn without_resource(mut self, prefix: &str) -> Self {
        if let Some(p) = Prefix::ALL.iter().find(|p| p.name() == prefix) {
            self.omitted |= 1 << (*p as u8);
        }
        self
    }

    /// Returns whether resource `prefix` is left out ([`FakeAsset::without_resource`]).
    pub(crate) fn omits(&self, prefix: Prefix) -> bool {
        self.omitted & (1 << (prefix as u8)) != 0
    }

    pub(crate) fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Returns the capture date (resolved once the asset is in a library).
    pub(crate) fn date(&self) -> i64 {
        self.date_ms.unwrap_or(DEFAULT_DATE_MS)
    }

    /// Returns the date added.
    pub(crate) fn added(&self) -> i64 {
        self.added_ms.unwrap_or_else(|| self.date() + 10_000)
    }

    /// Returns whether the master has a live-photo motion part.
    pub(crate) fn is_live(&self) -> bool {
        matches!(self.kind, Kind::Live(_))
    }

    /// Returns whether the asset is a video.
    pub(crate) fn is_video(&self) -> bool {
        matches!(self.kind, Kind::Video(_))
    }

    /// Returns the decoded file name a client computes, if the record gives a valid one.
    pub(crate) fn decoded_filename(&self) -> Option<String> {
        match &self.name {
            NameField::Encrypted(n) | NameField::Plain(n) => Some(n.to_string()),
            NameField::RawB64(v) => STANDARD
                .decode(v.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok()),
            NameField::Missing => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_names_decode_or_not() {
        let bad = FakeAsset::photo("x.JPG").filename_raw_b64("SU1HXzAwMDEuSlB");
        assert_eq!(bad.decoded_filename(), None);
        let plain = FakeAsset::photo("x.JPG").filename_as_string();
        assert_eq!(plain.decoded_filename().as_deref(), Some("x.JPG"));
        assert_eq!(
            FakeAsset::photo("x").without_filename().decoded_filename(),
            None
        );
    }

    #[test]
    fn omitted_resources() {
        let a = FakeAsset::live("x.JPG")
            .without_resource("resJPEGThumb")
            .without_resource("resNothing");
        assert!(a.omits(Prefix::JpegThumb));
        assert!(!a.omits(Prefix::JpegMed) && !a.omits(Prefix::Original));
    }
}
