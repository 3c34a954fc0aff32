//! EXIF dates on hand-made JPEGs: none, EXIF without a date (both byte orders, with thumbnail
//! and maker note), EXIF with a date, and corrupt files.

use super::tiff::{Entry, Ifd, Tiff};
use super::*;

const MAKE: u16 = 0x010F;
const ORIENTATION: u16 = 0x0112;
const EXPOSURE_TIME: u16 = 0x829A;
const MAKER_NOTE: u16 = 0x927C;
const THUMBNAIL_OFFSET: u16 = 0x0201;
const THUMBNAIL_LENGTH: u16 = 0x0202;
const THUMBNAIL: &[u8] = b"\xFF\xD8\xFF\xDBthumbnail\xFF\xD9";
const MAKER_NOTE_BYTES: &[u8] = b"Nikon\0\x02\x10";

fn when() -> PrimitiveDateTime {
    time::macros::datetime!(2018-07-31 7:22:24)
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).unwrap();
    [&[0xFF, marker][..], &len.to_be_bytes(), payload].concat()
}

fn jfif() -> Vec<u8> {
    segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
}

fn exif_app1(tiff: &[u8]) -> Vec<u8> {
    segment(0xE1, &[EXIF_MAGIC, tiff].concat())
}

/// SOI, the given segments, a quantisation table, start of scan, scan data and EOI.
fn jpeg(segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    for s in segments {
        out.extend(s);
    }
    out.extend(segment(0xDB, &[0; 65]));
    out.extend(segment(0xDA, b"\x01\x01\x00\x00\x3F\x00"));
    out.extend(b"\x12\x34\xFF\x00\x56\xFF\xD0\x78");
    out.extend(b"\xFF\xD9");
    out
}

/// A TIFF writer with fixed offsets, in either byte order.
struct Writer {
    little: bool,
    out: Vec<u8>,
}

impl Writer {
    fn u16(&mut self, v: u16) {
        self.out.extend(if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }
    fn u32(&mut self, v: u32) {
        self.out.extend(if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }
    fn entry(&mut self, tag: u16, kind: u16, count: u32, value: u32) {
        self.u16(tag);
        self.u16(kind);
        self.u32(count);
        self.u32(value);
    }
    fn entry_inline(&mut self, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        self.u16(tag);
        self.u16(kind);
        self.u32(count);
        self.out.extend(value);
    }
    fn at(&self) -> u32 {
        u32::try_from(self.out.len()).unwrap()
    }
}

/// A camera-like TIFF: IFD0 (Make, Orientation, Exif pointer) → IFD1 (thumbnail), Exif IFD
/// (ExposureTime, optionally DateTimeOriginal, MakerNote), then the out-of-line values.
fn camera_tiff(little: bool, date: Option<&str>) -> Vec<u8> {
    let mut w = Writer {
        little,
        out: Vec::new(),
    };
    w.out
        .extend(if little { b"II\x2a\x00" } else { b"MM\x00\x2a" });
    w.u32(8);
    let exif_entries = if date.is_some() { 3 } else { 2 };
    let exif = 8 + 2 + 3 * 12 + 4;
    let ifd1 = exif + 2 + exif_entries * 12 + 4;
    let data = ifd1 + 2 + 2 * 12 + 4;
    let (make, rational, note, date_at) = (data, data + 6, data + 14, data + 22);
    let thumb = date_at + 20;

    w.u16(3);
    w.entry(MAKE, 2, 6, make);
    let orientation = if little { [6, 0, 0, 0] } else { [0, 6, 0, 0] };
    w.entry_inline(ORIENTATION, 3, 1, orientation);
    w.entry(0x8769, 4, 1, exif);
    w.u32(ifd1);
    assert_eq!(w.at(), exif);
    w.u16(u16::try_from(exif_entries).unwrap());
    w.entry(EXPOSURE_TIME, 5, 1, rational);
    if date.is_some() {
        w.entry(DATE_TIME_ORIGINAL, 2, 20, date_at);
    }
    w.entry(MAKER_NOTE, 7, 8, note);
    w.u32(0);
    assert_eq!(w.at(), ifd1);
    w.u16(2);
    w.entry(THUMBNAIL_OFFSET, 4, 1, thumb);
    w.entry(
        THUMBNAIL_LENGTH,
        4,
        1,
        u32::try_from(THUMBNAIL.len()).unwrap(),
    );
    w.u32(0);
    assert_eq!(w.at(), data);
    w.out.extend(b"Canon\0");
    w.u32(1);
    w.u32(250);
    w.out.extend(MAKER_NOTE_BYTES);
    w.out
        .extend(format!("{:\0<19}\0", date.unwrap_or_default()).as_bytes());
    w.out.extend(THUMBNAIL);
    w.out
}

fn ascii(tiff: &Tiff<'_>, entry: Option<&Entry>) -> String {
    let bytes = tiff.bytes_of(entry.unwrap()).unwrap();
    String::from_utf8(bytes).unwrap()
}

/// Returns the TIFF of the first Exif APP1 and its segment's position.
fn tiff_of(jpeg: &[u8]) -> (&[u8], Range<usize>) {
    let app1 = scan(jpeg).unwrap().exif.unwrap();
    (&jpeg[app1.tiff], app1.segment)
}

/// The three dates are written; the date in IFD0 is found by its own reader.
fn assert_dates(jpeg: &[u8]) -> (Ifd, Ifd) {
    let (bytes, _) = tiff_of(jpeg);
    let tiff = Tiff::parse(bytes).unwrap();
    let ifd0 = tiff.ifd0().unwrap();
    let exif = tiff.exif_ifd(&ifd0).unwrap().unwrap();
    let date = "2018:07:31 07:22:24\0";
    assert_eq!(ascii(&tiff, ifd0.get(DATE_TIME)), date);
    assert_eq!(ascii(&tiff, exif.get(DATE_TIME_ORIGINAL)), date);
    assert_eq!(ascii(&tiff, exif.get(DATE_TIME_DIGITIZED)), date);
    for ifd in [&ifd0, &exif] {
        assert!(ifd.entries.windows(2).all(|w| w[0].tag < w[1].tag));
    }
    assert_eq!(
        date_time_original(jpeg),
        Ok(Some("2018:07:31 07:22:24".to_owned()))
    );
    (ifd0, exif)
}

#[test]
fn jpeg_without_exif_gets_an_app1_after_jfif() {
    let original = jpeg(&[jfif()]);
    assert_eq!(date_time_original(&original), Ok(None));
    let written = with_date_time(&original, when()).unwrap();
    let (_, exif) = assert_dates(&written);
    assert_eq!(exif.entries.len(), 2);
    let (_, app1) = tiff_of(&written);
    let after_jfif = 2 + jfif().len();
    assert_eq!(app1.start, after_jfif);
    assert_eq!(written[..after_jfif], original[..after_jfif]);
    assert_eq!(written[app1.end..], original[after_jfif..]);
    assert_eq!(&written[app1.start + 4..app1.start + 12], b"Exif\0\0MM");
}

#[test]
fn jpeg_without_app0_gets_the_app1_right_after_soi() {
    let original = jpeg(&[segment(0xE2, b"ICC_PROFILE\0\x01\x01")]);
    let written = with_date_time(&original, when()).unwrap();
    assert_dates(&written);
    let (_, app1) = tiff_of(&written);
    assert_eq!(app1.start, 2);
    assert_eq!(written[app1.end..], original[2..]);
}

fn keeps_everything_else(little: bool) {
    let before = camera_tiff(little, None);
    let xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>");
    let original = jpeg(&[
        jfif(),
        xmp.clone(),
        exif_app1(&before),
        segment(0xE2, b"ICC"),
    ]);
    assert_eq!(date_time_original(&original), Ok(None));
    let written = with_date_time(&original, when()).unwrap();
    let (ifd0, exif) = assert_dates(&written);

    // Outside the Exif segment nothing changed.
    let (_, old) = tiff_of(&original);
    let (after, new) = tiff_of(&written);
    assert_eq!(written[..new.start], original[..old.start]);
    assert_eq!(written[new.end..], original[old.end..]);
    // The old TIFF is kept byte for byte (only the IFD0 offset in the header moved).
    assert_eq!(after[..4], before[..4]);
    assert_eq!(after[8..before.len()], before[8..]);

    let tiff = Tiff::parse(after).unwrap();
    assert_eq!(ascii(&tiff, ifd0.get(MAKE)), "Canon\0");
    let orientation = ifd0.get(ORIENTATION).unwrap();
    assert_eq!(
        orientation.value,
        if little { [6, 0, 0, 0] } else { [0, 6, 0, 0] }
    );
    assert_eq!(
        tiff.bytes_of(exif.get(MAKER_NOTE).unwrap()).unwrap(),
        MAKER_NOTE_BYTES
    );
    let old_exif = Tiff::parse(&before).unwrap();
    let old_exif = old_exif
        .exif_ifd(&old_exif.ifd0().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(exif.get(EXPOSURE_TIME), old_exif.get(EXPOSURE_TIME));
    assert_eq!(exif.entries.len(), 4);
    assert_eq!(ifd0.entries.len(), 4);

    // IFD1 and its thumbnail are where they were.
    let ifd1 = tiff.read_ifd(ifd0.next).unwrap();
    let at = tiff.long(ifd1.get(THUMBNAIL_OFFSET).unwrap()).unwrap() as usize;
    let len = tiff.long(ifd1.get(THUMBNAIL_LENGTH).unwrap()).unwrap() as usize;
    assert_eq!(&after[at..at + len], THUMBNAIL);
}

#[test]
fn exif_without_date_keeps_other_tags_little_endian() {
    keeps_everything_else(true);
}

#[test]
fn exif_without_date_keeps_other_tags_big_endian() {
    keeps_everything_else(false);
}

#[test]
fn existing_date_time_original_is_read_and_can_be_replaced() {
    for little in [true, false] {
        let original = jpeg(&[exif_app1(&camera_tiff(little, Some("2001:02:03 04:05:06")))]);
        let found = date_time_original(&original);
        assert_eq!(found, Ok(Some("2001:02:03 04:05:06".to_owned())));
        let written = with_date_time(&original, when()).unwrap();
        let (_, exif) = assert_dates(&written);
        assert_eq!(exif.entries.len(), 4);
    }
}

#[test]
fn empty_date_time_original_counts_as_none() {
    let original = jpeg(&[exif_app1(&camera_tiff(true, Some("")))]);
    assert_eq!(date_time_original(&original), Ok(None));
}

#[test]
fn exif_ifd_is_created_when_ifd0_has_none() {
    // IFD0 with only Make, no Exif pointer, no IFD1.
    let mut w = Writer {
        little: true,
        out: b"II\x2a\x00".to_vec(),
    };
    w.u32(8);
    w.u16(1);
    w.entry_inline(MAKE, 2, 4, *b"Foo\0");
    w.u32(0);
    let original = jpeg(&[exif_app1(&w.out)]);
    assert_eq!(date_time_original(&original), Ok(None));
    let written = with_date_time(&original, when()).unwrap();
    let (ifd0, exif) = assert_dates(&written);
    assert_eq!(ifd0.get(MAKE).unwrap().value, *b"Foo\0");
    assert_eq!(
        (ifd0.entries.len(), ifd0.next, exif.entries.len()),
        (3, 0, 2)
    );
}

#[test]
fn corrupt_input_is_an_error() {
    let good_tiff = camera_tiff(false, None);
    let mut bad_ifd0 = good_tiff.clone();
    bad_ifd0[4..8].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    let mut bad_exif_pointer = good_tiff.clone();
    bad_exif_pointer[8 + 2 + 24 + 8..8 + 2 + 24 + 12].copy_from_slice(&60_000u32.to_be_bytes());
    let mut bad_count = good_tiff.clone();
    bad_count[8..10].copy_from_slice(&0xFFFFu16.to_be_bytes());
    let truncated_segment = {
        let mut j = jpeg(&[exif_app1(&good_tiff)]);
        j.truncate(20);
        j
    };
    let cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"GIF89a".to_vec(),
        b"\xFF\xD8".to_vec(),
        b"\xFF\xD8\x00\x00".to_vec(),
        b"\xFF\xD8\xFF\xE0\x00\x01".to_vec(),
        truncated_segment,
        jpeg(&[exif_app1(b"XX\x00\x2a\x00\x00\x00\x08")]),
        jpeg(&[exif_app1(b"MM\x00\x2a")]),
        jpeg(&[exif_app1(&bad_ifd0)]),
        jpeg(&[exif_app1(&bad_exif_pointer)]),
        jpeg(&[exif_app1(&bad_count)]),
    ];
    for case in &cases {
        assert!(date_time_original(case).is_err(), "read {case:02x?}");
        assert!(with_date_time(case, when()).is_err(), "wrote {case:02x?}");
    }
}

#[test]
fn exif_that_would_outgrow_its_segment_is_an_error() {
    let mut big = camera_tiff(true, None);
    big.resize(65_535 - 2 - 6 - 10, 0);
    let original = jpeg(&[exif_app1(&big)]);
    assert_eq!(date_time_original(&original), Ok(None));
    assert!(with_date_time(&original, when()).is_err());
}

#[test]
fn damaged_files_never_panic() {
    let original = jpeg(&[
        jfif(),
        exif_app1(&camera_tiff(true, Some("2001:02:03 04:05:06"))),
    ]);
    for len in 0..original.len() {
        let _ = date_time_original(&original[..len]);
        let _ = with_date_time(&original[..len], when());
    }
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..2_000 {
        let mut damaged = original.clone();
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % damaged.len() as u64) as usize;
            damaged[at] = (seed >> 32) as u8;
        }
        let _ = date_time_original(&damaged);
        let _ = with_date_time(&damaged, when());
    }
}
