//! EXIF dates for JPEGs that have none (`--set-exif-datetime`, cli.md §6.4).
//!
//! Only the Exif APP1 segment changes; every other byte of the file is kept. Inside it the
//! TIFF structure is patched by appending (see [`tiff`]), so thumbnails and maker notes keep
//! their offsets. Unlike icloudpd (piexif), DateTime goes to IFD0 where it belongs, not to the
//! thumbnail IFD, and a JFIF APP0 segment is kept rather than replaced.

#[cfg(test)]
mod tests;
mod tiff;

use std::ops::Range;

use time::PrimitiveDateTime;

use tiff::{Patch, Tiff};

/// Tags written: DateTime (IFD0), DateTimeOriginal and DateTimeDigitized (Exif IFD).
const DATE_TIME: u16 = 306;
const DATE_TIME_ORIGINAL: u16 = 36867;
const DATE_TIME_DIGITIZED: u16 = 36868;
/// What an Exif APP1 segment's payload starts with.
const EXIF_MAGIC: &[u8] = b"Exif\0\0";

/// Why EXIF could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ExifError(pub String);

/// `DateTimeOriginal` (tag 36867 of the Exif IFD) of a JPEG, if it has one.
///
/// An empty value counts as none. Errors mean the file is not a JPEG or its EXIF is corrupt.
pub(crate) fn date_time_original(jpeg: &[u8]) -> Result<Option<String>, ExifError> {
    let Some(app1) = scan(jpeg)?.exif else {
        return Ok(None);
    };
    let tiff = Tiff::parse(&jpeg[app1.tiff])?;
    let Some(exif) = tiff.exif_ifd(&tiff.ifd0()?)? else {
        return Ok(None);
    };
    let Some(entry) = exif.get(DATE_TIME_ORIGINAL) else {
        return Ok(None);
    };
    let bytes = tiff.bytes_of(entry)?;
    let text = bytes.split(|b| *b == 0).next().unwrap_or_default();
    Ok((!text.is_empty()).then(|| String::from_utf8_lossy(text).into_owned()))
}

/// The JPEG with `when` (`YYYY:MM:DD HH:MM:SS`) written as DateTimeOriginal and
/// DateTimeDigitized (Exif IFD) and DateTime (IFD0), everything else kept.
pub(crate) fn with_date_time(jpeg: &[u8], when: PrimitiveDateTime) -> Result<Vec<u8>, ExifError> {
    let layout = scan(jpeg)?;
    let replaced = layout.replaced();
    let mut patch = match &layout.exif {
        Some(app1) => Patch::of(&Tiff::parse(&jpeg[app1.tiff.clone()])?)?,
        None => Patch::new(),
    };
    let text = format!(
        "{:04}:{:02}:{:02} {:02}:{:02}:{:02}\0",
        when.year(),
        u8::from(when.month()),
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    );
    patch.set_ifd0_ascii(DATE_TIME, text.as_bytes())?;
    patch.set_exif_ascii(DATE_TIME_ORIGINAL, text.as_bytes())?;
    patch.set_exif_ascii(DATE_TIME_DIGITIZED, text.as_bytes())?;
    let tiff = patch.finish()?;

    let length = u16::try_from(2 + EXIF_MAGIC.len() + tiff.len())
        .map_err(|_| ExifError("EXIF data too large for a JPEG segment".to_owned()))?;
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&jpeg[..replaced.start]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(EXIF_MAGIC);
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[replaced.end..]);
    Ok(out)
}

/// Where the EXIF is, or goes, in a JPEG.
#[derive(Debug)]
struct Layout {
    /// The first APP1 segment whose payload starts with `Exif\0\0`.
    exif: Option<App1>,
    /// Where a new APP1 goes: after SOI and any JFIF APP0 segments that directly follow it.
    insert_at: usize,
}

impl Layout {
    /// The bytes [`with_date_time`] replaces: the Exif APP1 segment, or the empty range where
    /// a new one goes.
    fn replaced(&self) -> Range<usize> {
        match &self.exif {
            Some(app1) => app1.segment.clone(),
            None => self.insert_at..self.insert_at,
        }
    }
}

/// The bytes of `jpeg` that [`with_date_time`] replaces; every other byte is kept.
#[cfg(fuzzing)]
pub(crate) fn replaced_range(jpeg: &[u8]) -> Result<Range<usize>, ExifError> {
    scan(jpeg).map(|layout| layout.replaced())
}

/// An Exif APP1 segment: the whole segment (marker included) and its TIFF part.
#[derive(Debug)]
struct App1 {
    segment: Range<usize>,
    tiff: Range<usize>,
}

/// Walks the marker segments of a JPEG up to the start of scan (or end of image).
fn scan(jpeg: &[u8]) -> Result<Layout, ExifError> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(ExifError("not a JPEG".to_owned()));
    }
    let corrupt = |what: &str, at: usize| ExifError(format!("corrupt JPEG: {what} at byte {at}"));
    let mut layout = Layout {
        exif: None,
        insert_at: 2,
    };
    let mut leading_app0 = true;
    let mut pos = 2;
    loop {
        if jpeg.get(pos) != Some(&0xFF) {
            let what = if pos < jpeg.len() {
                "no marker"
            } else {
                "no image data"
            };
            return Err(corrupt(what, pos));
        }
        // Markers may be preceded by any number of 0xFF fill bytes.
        let mut at = pos + 1;
        while jpeg.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *jpeg
            .get(at)
            .ok_or_else(|| corrupt("truncated marker", at))?;
        let body = at + 1;
        match marker {
            // Start of scan or end of image: the metadata segments are over.
            0xDA | 0xD9 => return Ok(layout),
            // Restart markers and TEM stand alone.
            0x01 | 0xD0..=0xD7 => {
                (pos, leading_app0) = (body, false);
                continue;
            }
            0x00 | 0xD8 => return Err(corrupt("invalid marker", at)),
            _ => {}
        }
        let length = jpeg
            .get(body..body + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .filter(|len| *len >= 2)
            .ok_or_else(|| corrupt("bad segment length", body))?;
        let end = body + length;
        if end > jpeg.len() {
            return Err(corrupt("truncated segment", pos));
        }
        let payload = body + 2..end;
        if marker == 0xE1 && layout.exif.is_none() && jpeg[payload.clone()].starts_with(EXIF_MAGIC)
        {
            let tiff = payload.start + EXIF_MAGIC.len()..end;
            layout.exif = Some(App1 {
                segment: pos..end,
                tiff,
            });
        }
        if marker == 0xE0 && leading_app0 {
            layout.insert_at = end;
        } else {
            leading_app0 = false;
        }
        pos = end;
    }
}
