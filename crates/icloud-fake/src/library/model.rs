//! Derived data of an asset: UTIs, resources (prefix, size, checksum), ids and hashing.
//!
//! A [`FakeAsset`] stores only what a test chose (kind, names, dates, flags) and a numeric id
//! (`uid`). Everything a client sees beyond that is computed here on demand, from the id
//! alone, so a 100k-asset library stays small and two servers started with the same library
//! serve the same records and bytes:
//!
//! - record names: the CPLAsset's is a UUID made by [`uuid()`], the CPLMaster's the base64 of
//!   the original's checksum (photos.md §7.1 says Apple names masters after
//!   `resOriginalFingerprint`);
//! - the resources of [`resources`]: which prefixes an asset of each kind has, their UTI,
//!   size, pixel dimensions and checksum (photos.md §7.1 for the prefixes, §8.3 for how a
//!   client turns them into versions);
//! - the bytes of a resource, from its seed (in [`crate::cdn`]), starting with the
//!   [`Uti::magic`] of its type so that tools which sniff file types see the right one.
//!
//! The UTIs and their extensions follow photos.md §8.2, the table icloudpd types assets and
//! names files with; GIF and MPEG-4 are deliberately outside that table, so that they take the
//! client's fallback by file name.
//!
//! Invariants the rest of the fake relies on:
//!
//! - a resource's checksum is unique across the library (it hashes the asset id, the prefix,
//!   whether it sits on the CPLAsset, and the revision), and the bytes' seed is taken from
//!   it: the checksum is the resource's identity, which the CDN uses to find it again;
//! - revising an asset ([`crate::FakeICloud::revise_asset`]) gives its resources new
//!   checksums and therefore new bytes, as a re-edited photo has on iCloud;
//! - [`mix`] is the only source of variation: nothing depends on the clock, thread timing or
//!   a random generator.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::{FakeAsset, Kind, flag};

/// SplitMix64 finaliser of `a` combined with `b`: the fake's only source of "randomness".
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_add(b.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x6A09_E667_F3BC_C909);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Formats an upper-case UUID-shaped record name from `seed`.
///
/// The version nibble is 4 and the variant bits `10`, so the name passes a strict UUID parser
/// as Apple's CPLAsset record names do (photos.md §7.2).
pub(crate) fn uuid(seed: u64) -> String {
    let (a, b) = (mix(seed, 1), mix(seed, 2));
    format!(
        "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xffff,
        (a & 0x0fff) | 0x4000,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// The UTIs the fake uses, with the extension icloudpd maps them to.
///
/// Most of the table in photos.md §8.2 (the still formats a phone or camera uploads, with the
/// RAW formats whose UTIs contain `raw`, which `--align-raw` looks for, §8.4, and QuickTime),
/// plus GIF and MPEG-4, which the table lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Uti {
    Jpeg,
    Heic,
    Heif,
    Png,
    Gif,
    Dng,
    Cr2,
    Cr3,
    Arw,
    Nef,
    Raf,
    Rw2,
    Orf,
    Mov,
    Mp4,
}

impl Uti {
    /// Returns the UTI string.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Uti::Jpeg => "public.jpeg",
            Uti::Heic => "public.heic",
            Uti::Heif => "public.heif",
            Uti::Png => "public.png",
            Uti::Gif => "com.compuserve.gif",
            Uti::Dng => "com.adobe.raw-image",
            Uti::Cr2 => "com.canon.cr2-raw-image",
            Uti::Cr3 => "com.canon.cr3-raw-image",
            Uti::Arw => "com.sony.arw-raw-image",
            Uti::Nef => "com.nikon.raw-image",
            Uti::Raf => "com.fuji.raw-image",
            Uti::Rw2 => "com.panasonic.rw2-raw-image",
            Uti::Orf => "com.olympus.raw-image",
            Uti::Mov => "com.apple.quicktime-movie",
            Uti::Mp4 => "public.mpeg-4",
        }
    }

    /// Returns the conventional upper-case extension.
    pub(crate) fn ext(self) -> &'static str {
        match self {
            Uti::Jpeg => "JPG",
            Uti::Heic => "HEIC",
            Uti::Heif => "HEIF",
            Uti::Png => "PNG",
            Uti::Gif => "GIF",
            Uti::Dng => "DNG",
            Uti::Cr2 => "CR2",
            Uti::Cr3 => "CR3",
            Uti::Arw => "ARW",
            Uti::Nef => "NEF",
            Uti::Raf => "RAF",
            Uti::Rw2 => "RW2",
            Uti::Orf => "ORF",
            Uti::Mov => "MOV",
            Uti::Mp4 => "MP4",
        }
    }

    /// Returns whether this is a RAW type.
    pub(crate) fn is_raw(self) -> bool {
        self.as_str().contains("raw")
    }

    /// Returns the still UTI a file name's extension implies (JPEG by default).
    pub(crate) fn for_still_name(name: &str) -> Uti {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_uppercase());
        let all = [
            Uti::Jpeg,
            Uti::Heic,
            Uti::Heif,
            Uti::Png,
            Uti::Gif,
            Uti::Dng,
            Uti::Cr2,
            Uti::Cr3,
            Uti::Arw,
            Uti::Nef,
            Uti::Raf,
            Uti::Rw2,
            Uti::Orf,
        ];
        all.into_iter()
            .find(|u| Some(u.ext()) == ext.as_deref())
            .unwrap_or(Uti::Jpeg)
    }

    /// Returns the leading bytes of a file of this type. A JPEG starts with SOI, a complete
    /// JFIF APP0 segment and a start-of-scan header, so JPEG parsers (EXIF readers and
    /// writers) walk valid segments up to the scan data, which is the random rest.
    pub(crate) fn magic(self) -> &'static [u8] {
        match self {
            Uti::Jpeg => {
                b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00"
            }
            Uti::Heic => b"\x00\x00\x00\x18ftypheic",
            Uti::Heif => b"\x00\x00\x00\x18ftypmif1",
            Uti::Png => b"\x89PNG\r\n\x1a\n",
            Uti::Gif => b"GIF89a",
            Uti::Cr3 => b"\x00\x00\x00\x18ftypcrx ",
            Uti::Mov => b"\x00\x00\x00\x14ftypqt  ",
            Uti::Mp4 => b"\x00\x00\x00\x18ftypisom",
            Uti::Dng | Uti::Cr2 | Uti::Arw | Uti::Nef | Uti::Raf | Uti::Rw2 | Uti::Orf => {
                b"II*\x00\x08\x00\x00\x00"
            }
        }
    }
}

/// A resource prefix (`res<P>…` fields), in the order [`super::ExpectedAsset`] lists them.
///
/// The discriminant is also the byte a download URL's locator carries to name the resource
/// ([`Prefix::ALL`] turns it back); `Sidecar` from photos.md §7.1 is not modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub(crate) enum Prefix {
    Original = 0,
    OriginalAlt = 1,
    OriginalVidCompl = 2,
    JpegFull = 3,
    JpegLarge = 4,
    JpegMed = 5,
    JpegThumb = 6,
    VidFull = 7,
    VidMed = 8,
    VidSmall = 9,
}

impl Prefix {
    /// Every prefix, indexed by its discriminant.
    pub(crate) const ALL: [Prefix; 10] = [
        Prefix::Original,
        Prefix::OriginalAlt,
        Prefix::OriginalVidCompl,
        Prefix::JpegFull,
        Prefix::JpegLarge,
        Prefix::JpegMed,
        Prefix::JpegThumb,
        Prefix::VidFull,
        Prefix::VidMed,
        Prefix::VidSmall,
    ];

    /// Returns the field-name prefix (`resOriginal`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Prefix::Original => "resOriginal",
            Prefix::OriginalAlt => "resOriginalAlt",
            Prefix::OriginalVidCompl => "resOriginalVidCompl",
            Prefix::JpegFull => "resJPEGFull",
            Prefix::JpegLarge => "resJPEGLarge",
            Prefix::JpegMed => "resJPEGMed",
            Prefix::JpegThumb => "resJPEGThumb",
            Prefix::VidFull => "resVidFull",
            Prefix::VidMed => "resVidMed",
            Prefix::VidSmall => "resVidSmall",
        }
    }

    /// Returns the size range (bytes) of generated resources with this prefix.
    ///
    /// Far smaller than Apple's files (a few kilobytes to a megabyte) so that tests of large
    /// libraries download quickly; the ranges keep the order of Apple's (original above
    /// medium above thumbnail), which is what size fallbacks depend on.
    fn size_range(self, video: bool) -> (u64, u64) {
        match self {
            Prefix::Original if video => (64 * 1024, 1024 * 1024),
            Prefix::Original | Prefix::OriginalAlt => (8 * 1024, 256 * 1024),
            Prefix::OriginalVidCompl => (16 * 1024, 128 * 1024),
            Prefix::JpegFull | Prefix::JpegLarge => (8 * 1024, 128 * 1024),
            Prefix::JpegMed | Prefix::VidSmall => (2 * 1024, 32 * 1024),
            Prefix::JpegThumb => (256, 8 * 1024),
            Prefix::VidFull | Prefix::VidMed => (16 * 1024, 256 * 1024),
        }
    }

    /// Returns (width, height) of this rendition of a still resp. a video.
    fn dimensions(self, video: bool) -> (u32, u32) {
        match (self, video) {
            (Prefix::JpegThumb, _) => (360, 480),
            (Prefix::JpegMed, _) => (1536, 2048),
            (Prefix::VidSmall, _) => (436, 581),
            (Prefix::VidMed, _) | (Prefix::OriginalVidCompl, _) => (980, 1308),
            (_, true) => (1920, 1080),
            _ => (4032, 3024),
        }
    }
}

/// One downloadable resource of an asset: what its `res<P>Res` field announces and what the
/// CDN serves for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Res {
    /// Prefix.
    pub(crate) prefix: Prefix,
    /// On the CPLAsset (edited renderings) rather than the CPLMaster.
    pub(crate) on_asset: bool,
    /// File type.
    pub(crate) uti: Uti,
    /// Exact byte length.
    pub(crate) size: u64,
    /// Pixel width.
    pub(crate) width: u32,
    /// Pixel height.
    pub(crate) height: u32,
    /// `downloadURL` present.
    pub(crate) url: bool,
    /// Seed of the bytes (also the resource's identity).
    pub(crate) seed: u64,
    /// The 21 checksum bytes.
    pub(crate) checksum: [u8; 21],
}

impl Res {
    /// Returns `fileChecksum` (standard base64 of the 21 bytes).
    pub(crate) fn checksum_b64(&self) -> String {
        STANDARD.encode(self.checksum)
    }
}

/// Returns the 21 checksum bytes of resource `prefix` of the asset with id `uid`: `0x01`
/// followed by 20 bytes of SHA-256 of the resource identity (unique per resource; like Apple's
/// MMCS signature, and unlike a content hash, computing it never touches the bytes).
pub(crate) fn checksum_bytes(uid: u64, prefix: Prefix) -> [u8; 21] {
    checksum_for(uid, prefix, false)
}

fn checksum_for(uid: u64, prefix: Prefix, on_asset: bool) -> [u8; 21] {
    revised_checksum(uid, prefix, on_asset, 0)
}

/// [`checksum_for`] of the `revision`th replacement of the resource (0: the first).
fn revised_checksum(uid: u64, prefix: Prefix, on_asset: bool, revision: u32) -> [u8; 21] {
    let mut h = Sha256::new();
    h.update(b"icloud-fake resource");
    h.update(uid.to_be_bytes());
    h.update([prefix as u8, u8::from(on_asset)]);
    if revision > 0 {
        h.update(revision.to_be_bytes());
    }
    let digest = h.finalize();
    let mut out = [0u8; 21];
    out[0] = 1;
    out[1..].copy_from_slice(&digest[..20]);
    out
}

/// Lists the resources of `a`: the master's, then the CPLAsset's (edited renderings).
///
/// By kind, as Apple's records have them (photos.md §7.1, §8.3):
///
/// - a still photo: original, medium and thumbnail JPEGs, plus the JPEG of a RAW+JPEG pair
///   as `resOriginalAlt`;
/// - a live photo: the still's three, then the motion part (`resOriginalVidCompl`) and the
///   medium and small videos;
/// - a video: original, medium and small videos and the two JPEG renderings.
///
/// An edited still adds a full-size JPEG and its own thumbnail on the CPLAsset. Prefixes the
/// asset was told to omit are left out; `cap` (the library's maximum size) bounds every size,
/// and an explicit original size of the asset replaces the generated one.
pub(crate) fn resources(a: &FakeAsset, cap: Option<u64>) -> Vec<Res> {
    let video = a.is_video();
    let mut out = Vec::with_capacity(8);
    let mut add = |prefix: Prefix, uti: Uti, on_asset: bool| {
        if a.omits(prefix) {
            return;
        }
        let checksum = revised_checksum(a.uid, prefix, on_asset, a.revision);
        let seed = u64::from_be_bytes([
            checksum[1],
            checksum[2],
            checksum[3],
            checksum[4],
            checksum[5],
            checksum[6],
            checksum[7],
            checksum[8],
        ]);
        let (lo, hi) = prefix.size_range(video && prefix == Prefix::Original);
        let mut size = lo + mix(seed, 7) % (hi - lo);
        if prefix == Prefix::Original && !on_asset {
            size = a.original_size.unwrap_or(size);
        }
        if let Some(cap) = cap {
            size = size.min(cap);
        }
        let (width, height) = prefix.dimensions(video);
        out.push(Res {
            prefix,
            on_asset,
            uti,
            size,
            width,
            height,
            url: !a.has(flag::NO_DOWNLOAD_URL),
            seed,
            checksum,
        });
    };
    match a.kind {
        Kind::Still(uti) => {
            add(Prefix::Original, uti, false);
            if a.has(flag::RAW_PLUS_JPEG) {
                add(Prefix::OriginalAlt, Uti::Jpeg, false);
            }
            add(Prefix::JpegMed, Uti::Jpeg, false);
            add(Prefix::JpegThumb, Uti::Jpeg, false);
        }
        Kind::Live(uti) => {
            add(Prefix::Original, uti, false);
            add(Prefix::JpegMed, Uti::Jpeg, false);
            add(Prefix::JpegThumb, Uti::Jpeg, false);
            add(Prefix::OriginalVidCompl, Uti::Mov, false);
            add(Prefix::VidMed, Uti::Mov, false);
            add(Prefix::VidSmall, Uti::Mov, false);
        }
        Kind::Video(uti) => {
            add(Prefix::Original, uti, false);
            add(Prefix::VidMed, uti, false);
            add(Prefix::VidSmall, uti, false);
            add(Prefix::JpegMed, Uti::Jpeg, false);
            add(Prefix::JpegThumb, Uti::Jpeg, false);
        }
    }
    if a.has(flag::EDITED) && !video {
        add(Prefix::JpegFull, Uti::Jpeg, true);
        add(Prefix::JpegThumb, Uti::Jpeg, true);
    }
    out
}

/// Returns the UTI the master's `itemType` naturally has: the original's, which for a live
/// photo is the still's (icloudpd decides "image" or "movie" from it, photos.md §8.2).
pub(crate) fn natural_item_type(a: &FakeAsset) -> Uti {
    match a.kind {
        Kind::Still(u) | Kind::Live(u) | Kind::Video(u) => u,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_and_uuid_are_stable() {
        assert_eq!(mix(1, 2), mix(1, 2));
        assert_ne!(mix(1, 2), mix(2, 1));
        let u = uuid(42);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(u, u.to_uppercase());
    }

    #[test]
    fn uti_by_extension() {
        assert_eq!(Uti::for_still_name("a.heic"), Uti::Heic);
        assert_eq!(Uti::for_still_name("a.b.NEF"), Uti::Nef);
        assert_eq!(Uti::for_still_name("noext"), Uti::Jpeg);
        assert!(Uti::Cr2.is_raw() && Uti::Dng.is_raw() && !Uti::Png.is_raw());
    }

    #[test]
    fn checksums_are_unique_per_resource() {
        let a = checksum_for(1, Prefix::JpegThumb, false);
        assert_ne!(a, checksum_for(1, Prefix::JpegThumb, true));
        assert_ne!(a, checksum_for(2, Prefix::JpegThumb, false));
        assert_eq!(a[0], 1);
        assert_eq!(STANDARD.encode(a).len(), 28);
    }
}
