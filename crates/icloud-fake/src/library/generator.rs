//! The deterministic library generator and the malformed-record variants.
//!
//! [`generate`] makes a library of any size that looks like a real one from 2012 to 2025 and
//! holds, in small proportions, every case a downloader must get right: a library is a pure
//! function of `(n, seed)`, so a test that fails on seed 42 fails the same way on every
//! machine, and the first `n` assets of a larger library equal a smaller one's of the same
//! seed (asset `i` only rolls dice seeded with `mix(seed, i)`, apart from the twin and burst
//! runs below, which look at the previous asset).
//!
//! What a generated library contains, roughly by share of assets:
//!
//! - media kinds ([`pick_kind`]): about 55 % still JPEG/HEIC, 20 % live photos, 9 % videos
//!   (a fifth slow-motion, a tenth time-lapse, a few MP4), 4 % RAW+JPEG pairs of seven camera
//!   formats, single CR2 and DNG files, 6 % screenshots (a third of them edited), and one
//!   each of HEIF, GIF (with the GIF item type) and PNG in a hundred;
//! - file names that break naive code, one in 23 assets ([`special_names`]): non-ASCII and
//!   decomposed Unicode, emoji, path traversal, characters Windows forbids, control
//!   characters, a name over 190 bytes, leading spaces and dots, and two `IMG_0001.JPG`;
//! - a duplicate name one minute after its twin, one in 31 (same name, other bytes: the
//!   de-duplication case of cli.md §5.5);
//! - `filenameEnc` as a plain `STRING` instead of base64 bytes, one in 29 (photos.md §7.1);
//! - flags by chance: favourites 8 %, edits 7 % of photos, captions 5 %, bursts of four and
//!   panoramas about 2 % of photos each (videos are never either), hidden 2 %, in Recently Deleted 3 % (with an expiry
//!   in the month after the newest capture date);
//! - capture dates spread uniformly over [`FROM_MS`]..[`TO_MS`], added dates up to 30 days
//!   later, and one of ten time zones, some with half- and three-quarter-hour offsets;
//! - eight album records: the folder `Reisen` with two albums in it, four more user albums
//!   (names with decomposed Unicode and a slash; `Leer` stays empty), and a deleted album
//!   that still has members.
//!
//! [`malformed`] appends records that are broken the ways Apple's sometimes are, cycling
//! through seven variants: no file name, a plain-text file name, base64 that is truncated or
//! not UTF-8, no item type, an item type without a value, and resources without a download
//! URL. Each is a case of cli.md §6.5 or photos.md §8.1 that a client must survive.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::model::{Uti, mix};
use super::{FakeAlbum, FakeAsset, FakeLibrary};

/// 2012-01-01T00:00:00Z in ms: the oldest generated capture date.
const FROM_MS: i64 = 1_325_376_000_000;
/// 2025-06-01T00:00:00Z in ms: the newest generated capture date.
const TO_MS: i64 = 1_748_736_000_000;
/// One day in ms.
const DAY_MS: i64 = 86_400_000;

/// Time zone offsets (seconds east of UTC) the generator picks from.
const TZ_OFFSETS: [i32; 10] = [
    3600, 7200, 0, -18000, -28800, 25200, 19800, 32400, 45900, -12600,
];

/// Names that every large enough generated library contains (one every 23 assets).
fn special_names() -> Vec<String> {
    vec![
        "Jörg's Café.JPG".to_owned(),
        "写真_東京.HEIC".to_owned(),
        "🎉 Party 🎂.JPG".to_owned(),
        "../../etc/passwd.JPG".to_owned(),
        "a/b\\c:d*e?f\"g<h>i|j.JPG".to_owned(),
        "tab\tbell\u{7}esc\u{1b}.JPG".to_owned(),
        format!("{}.JPG", "very_long_name_".repeat(13)),
        "photo.jpeg".to_owned(),
        "Re\u{301}sume\u{301} scan.PNG".to_owned(),
        "IMG_0001.JPG".to_owned(),
        "IMG_0001.JPG".to_owned(),
        " leading space.HEIC".to_owned(),
        "..hidden.JPG".to_owned(),
        "IMG.1234.HEIC".to_owned(),
    ]
}

/// A cheap deterministic stream of numbers for one asset: the `n`-th number is
/// `mix(seed, n)`, so the rolls of one asset do not depend on how many rolls earlier assets
/// made.
struct Dice {
    seed: u64,
    n: u64,
}

impl Dice {
    fn next(&mut self) -> u64 {
        self.n += 1;
        mix(self.seed, self.n)
    }

    /// Returns true with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Picks the media kind of a regular generated asset.
///
/// The shares are percentages of one roll of a hundred; unlisted rolls give plain JPEGs.
fn pick_kind(d: &mut Dice, filename_stem: &str) -> FakeAsset {
    let r = d.below(100);
    let name = |ext: &str| format!("{filename_stem}.{ext}");
    match r {
        0..=25 => FakeAsset::photo(&name("JPG")),
        26..=42 => FakeAsset::photo(&name("HEIC")),
        43..=56 => FakeAsset::live(&name("HEIC")),
        57..=62 => FakeAsset::live(&name("JPG")),
        63..=70 => {
            let v = FakeAsset::video(&name("MOV"));
            match d.below(10) {
                0 | 1 => v.slomo(),
                2 => v.timelapse(),
                _ => v,
            }
        }
        71 => FakeAsset::video(&name("MP4")),
        72..=75 => {
            let raws = ["CR2", "ARW", "NEF", "RAF", "RW2", "ORF", "CR3"];
            FakeAsset::raw_plus_jpeg(&name(raws[d.below(raws.len() as u64) as usize]))
        }
        76 => FakeAsset::photo(&name("CR2")),
        77 | 78 => FakeAsset::photo(&name("DNG")),
        79..=84 => {
            let s = FakeAsset::screenshot(&format!("Screenshot {filename_stem}.PNG"));
            if d.chance(30) { s.edited() } else { s }
        }
        85 => FakeAsset::photo(&name("HEIF")),
        86 => FakeAsset::photo(&name("GIF")).item_type(Uti::Gif.as_str()),
        87 => FakeAsset::photo(&name("PNG")),
        _ => FakeAsset::photo(&name("JPG")),
    }
}

/// Builds [`FakeLibrary::generated`]: `n` assets from `seed`, in the order they are generated
/// (listings sort them by capture date).
pub(super) fn generate(n: usize, seed: u64) -> FakeLibrary {
    let mut lib = FakeLibrary::with_seed(seed)
        .album(FakeAlbum::new("Bilderrahmen"))
        .album(FakeAlbum::new("Jo\u{308}rg"))
        .album(FakeAlbum::new("Garage vorher/nachher"))
        .album(FakeAlbum::folder("Reisen"))
        .album(FakeAlbum::new("Berlin 2019").in_folder("Reisen"))
        .album(FakeAlbum::new("東京 2023").in_folder("Reisen"))
        .album(FakeAlbum::new("Leer"))
        .album(FakeAlbum::new("Alt (gelöscht)").deleted());
    let albums: [(&str, u64); 6] = [
        ("Bilderrahmen", 6),
        ("Jo\u{308}rg", 3),
        ("Garage vorher/nachher", 2),
        ("Berlin 2019", 4),
        ("東京 2023", 2),
        ("Alt (gelöscht)", 2),
    ];
    let specials = special_names();
    let mut previous: Option<(FakeAsset, i64)> = None;
    let mut burst_left = 0u64;
    for i in 0..n {
        let mut d = Dice {
            seed: mix(seed, i as u64),
            n: 0,
        };
        let date = FROM_MS + (d.next() % (TO_MS - FROM_MS) as u64) as i64;
        let stem = format!("IMG_{:04}", 1 + (i % 9999));
        let (mut asset, date) = match (i % 23, i % 31, &previous) {
            (7, _, _) => {
                let name = &specials[(i / 23) % specials.len()];
                let a = if name.ends_with(".PNG") {
                    FakeAsset::screenshot(name)
                } else {
                    FakeAsset::photo(name)
                };
                (a, date)
            }
            // A duplicate file name, one minute after its twin (same folder, other bytes).
            (_, 13, Some((prev, prev_date))) => {
                let mut a = prev.clone();
                a.flags = 0;
                (a, prev_date + 60_000)
            }
            _ => (pick_kind(&mut d, &stem), date),
        };
        previous = Some((asset.clone(), date));
        let tz = TZ_OFFSETS[d.below(TZ_OFFSETS.len() as u64) as usize];
        asset = asset
            .date_ms(date)
            .added_ms(date + d.below(30 * DAY_MS as u64) as i64)
            .tz_offset(tz);
        if i % 29 == 11 {
            asset = asset.filename_as_string();
        }
        if d.chance(8) {
            asset = asset.favorite();
        }
        if !asset.is_video() {
            if burst_left > 0 || d.chance(2) {
                burst_left = if burst_left == 0 { 3 } else { burst_left - 1 };
                asset = asset.burst();
            } else if d.chance(2) {
                asset = asset.panorama();
            }
            if d.chance(7) {
                asset = asset.edited();
            }
        }
        if d.chance(5) {
            asset = asset.caption();
        }
        if d.chance(2) {
            asset = asset.hidden();
        }
        if d.chance(3) {
            asset = asset.expunged_ms(TO_MS + (1 + d.below(29) as i64) * DAY_MS);
        }
        for (album, percent) in albums {
            if d.chance(percent) {
                asset = asset.in_album(album);
            }
        }
        lib = lib.asset(asset);
    }
    lib
}

/// Builds [`FakeLibrary::malformed`]: appends `count` assets named `BROKEN_000.JPG`, … to
/// `lib`, the `k`-th broken in way `k % 7`.
pub(super) fn malformed(mut lib: FakeLibrary, count: usize) -> FakeLibrary {
    let invalid_utf8 = STANDARD.encode(b"IMG_\xff\xfe\xfd.JPG");
    for k in 0..count {
        let name = format!("BROKEN_{k:03}.JPG");
        let a = FakeAsset::photo(&name);
        let a = match k % 7 {
            0 => a.without_filename(),
            1 => a.filename_as_string(),
            2 => a.filename_raw_b64("SU1HXzAwMDEuSlB"),
            3 => a.filename_raw_b64(&invalid_utf8),
            4 => a.without_item_type(),
            5 => a.item_type_without_value(),
            _ => a.without_download_url(),
        };
        lib = lib.asset(a);
    }
    lib
}

#[cfg(test)]
mod tests {
    use super::super::{Kind, flag};
    use super::*;

    #[test]
    fn generated_is_deterministic_and_varied() {
        let a = generate(400, 7);
        let b = generate(400, 7);
        assert_eq!(a.len(), 400);
        for i in 0..a.len() {
            assert_eq!(a.master_name(i), b.master_name(i));
            assert_eq!(a.assets[i].date(), b.assets[i].date());
        }
        assert_ne!(a.master_name(0), generate(1, 8).master_name(0));
        let count = |f: &dyn Fn(&FakeAsset) -> bool| a.assets.iter().filter(|x| f(x)).count();
        assert!(count(&|x| x.is_live()) > 20);
        assert!(count(&|x| x.is_video()) > 10);
        assert!(count(&|x| x.has(flag::RAW_PLUS_JPEG)) > 3);
        assert!(count(&|x| x.kind == Kind::Still(Uti::Dng)) > 0);
        assert!(count(&|x| x.has(flag::EDITED)) > 5);
        assert!(count(&|x| x.has(flag::SCREENSHOT)) > 5);
        assert!(count(&|x| x.has(flag::HIDDEN)) > 0);
        assert!(count(&|x| x.has(flag::DELETED)) > 0);
        assert!(count(&|x| x.has(flag::FAVORITE)) > 10);
        assert!(count(&|x| x.has(flag::BURST)) > 0);
        let names: Vec<String> = a
            .assets
            .iter()
            .filter_map(|x| x.decoded_filename())
            .collect();
        assert!(names.iter().any(|n| n == "Jörg's Café.JPG"));
        assert!(names.iter().any(|n| n == "../../etc/passwd.JPG"));
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert!(sorted.len() < names.len(), "duplicate names exist");
        let members: usize = a.albums.iter().map(|x| x.members.len()).sum();
        assert!(members > 20);
    }

    #[test]
    fn malformed_cycles_through_variants() {
        let lib = malformed(FakeLibrary::new(), 7);
        assert_eq!(lib.len(), 7);
        assert_eq!(lib.assets[0].decoded_filename(), None);
        assert_eq!(lib.assets[2].decoded_filename(), None);
        assert_eq!(lib.assets[3].decoded_filename(), None);
        assert!(lib.assets[6].has(flag::NO_DOWNLOAD_URL));
    }
}
