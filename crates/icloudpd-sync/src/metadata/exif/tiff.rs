//! The TIFF structure inside an Exif APP1 segment: header, IFDs and their entries.
//!
//! Writing never moves existing bytes: changed IFDs and their new values are appended and the
//! pointers to them (header, Exif IFD tag) repointed, so every other offset — thumbnail (IFD1),
//! maker notes with absolute offsets, GPS and interoperability IFDs — stays valid. The old
//! IFD0 and Exif IFD remain as unreferenced bytes.

use super::ExifError;

/// Tag of the Exif IFD pointer in IFD0.
const EXIF_IFD: u16 = 0x8769;
/// TIFF field types: BYTE, ASCII, LONG, UNDEFINED and IFD (a LONG pointing to an IFD).
const BYTE: u16 = 1;
const ASCII: u16 = 2;
const LONG: u16 = 4;
const UNDEFINED: u16 = 7;
const IFD: u16 = 13;

/// Byte order of a TIFF structure (`II` or `MM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Little,
    Big,
}

impl Order {
    fn u16(self, bytes: [u8; 2]) -> u16 {
        match self {
            Order::Little => u16::from_le_bytes(bytes),
            Order::Big => u16::from_be_bytes(bytes),
        }
    }

    fn u32(self, bytes: [u8; 4]) -> u32 {
        match self {
            Order::Little => u32::from_le_bytes(bytes),
            Order::Big => u32::from_be_bytes(bytes),
        }
    }

    fn u16_bytes(self, value: u16) -> [u8; 2] {
        match self {
            Order::Little => value.to_le_bytes(),
            Order::Big => value.to_be_bytes(),
        }
    }

    fn u32_bytes(self, value: u32) -> [u8; 4] {
        match self {
            Order::Little => value.to_le_bytes(),
            Order::Big => value.to_be_bytes(),
        }
    }
}

/// One 12-byte IFD entry; `value` is the raw value-or-offset field as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) tag: u16,
    pub(super) kind: u16,
    pub(super) count: u32,
    pub(super) value: [u8; 4],
}

/// An image file directory: its entries and the offset of the next IFD (0 for none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Ifd {
    pub(super) entries: Vec<Entry>,
    pub(super) next: u32,
}

impl Ifd {
    /// Returns the first entry with `tag`.
    pub(super) fn get(&self, tag: u16) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// Replaces the entry with `entry.tag`, or inserts it keeping tags in ascending order.
    fn set(&mut self, entry: Entry) {
        if let Some(old) = self.entries.iter_mut().find(|e| e.tag == entry.tag) {
            *old = entry;
        } else {
            let at = self.entries.iter().position(|e| e.tag > entry.tag);
            self.entries.insert(at.unwrap_or(self.entries.len()), entry);
        }
    }
}

/// A TIFF structure: the bytes that follow `Exif\0\0`, with a checked header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tiff<'a> {
    data: &'a [u8],
    order: Order,
}

impl<'a> Tiff<'a> {
    /// Checks the header (`II*\0` or `MM\0*` and the IFD0 offset).
    pub(super) fn parse(data: &'a [u8]) -> Result<Tiff<'a>, ExifError> {
        let order = match data.get(..4) {
            Some(b"II\x2a\x00") => Order::Little,
            Some(b"MM\x00\x2a") => Order::Big,
            _ => return Err(corrupt("no TIFF header")),
        };
        let tiff = Tiff { data, order };
        tiff.u32_at(4)?;
        Ok(tiff)
    }

    /// Reads IFD0.
    pub(super) fn ifd0(&self) -> Result<Ifd, ExifError> {
        self.read_ifd(self.u32_at(4)?)
    }

    /// Reads the Exif IFD that IFD0 points to, if any.
    pub(super) fn exif_ifd(&self, ifd0: &Ifd) -> Result<Option<Ifd>, ExifError> {
        ifd0.get(EXIF_IFD)
            .map(|pointer| self.read_ifd(self.long(pointer)?))
            .transpose()
    }

    /// Reads the IFD at `offset`. A next-IFD pointer cut off by the end of data reads as 0.
    pub(super) fn read_ifd(&self, offset: u32) -> Result<Ifd, ExifError> {
        let start = usize::try_from(offset).map_err(|_| corrupt("IFD offset"))?;
        let count = usize::from(self.u16_at(start)?);
        let raw = self.bytes(start + 2, 12 * count)?;
        let entries = raw
            .chunks_exact(12)
            .map(|e| Entry {
                tag: self.order.u16([e[0], e[1]]),
                kind: self.order.u16([e[2], e[3]]),
                count: self.order.u32([e[4], e[5], e[6], e[7]]),
                value: [e[8], e[9], e[10], e[11]],
            })
            .collect();
        let next = self.u32_at(start + 2 + 12 * count).unwrap_or(0);
        Ok(Ifd { entries, next })
    }

    /// Returns the value of a LONG (or IFD) entry with count 1, such as an IFD pointer.
    pub(super) fn long(&self, entry: &Entry) -> Result<u32, ExifError> {
        if !matches!(entry.kind, LONG | IFD) || entry.count != 1 {
            return Err(corrupt(&format!("tag {:#06x} is not a LONG", entry.tag)));
        }
        Ok(self.order.u32(entry.value))
    }

    /// Returns the bytes of a BYTE, ASCII or UNDEFINED entry (inline if at most 4 bytes).
    pub(super) fn bytes_of(&self, entry: &Entry) -> Result<Vec<u8>, ExifError> {
        if !matches!(entry.kind, BYTE | ASCII | UNDEFINED) {
            let (tag, kind) = (entry.tag, entry.kind);
            return Err(corrupt(&format!("tag {tag} has type {kind}, not ASCII")));
        }
        let len = usize::try_from(entry.count).map_err(|_| corrupt("value count"))?;
        if len <= 4 {
            return Ok(entry.value[..len].to_vec());
        }
        let at = usize::try_from(self.order.u32(entry.value)).map_err(|_| corrupt("offset"))?;
        self.bytes(at, len).map(<[u8]>::to_vec)
    }

    fn bytes(&self, at: usize, len: usize) -> Result<&'a [u8], ExifError> {
        at.checked_add(len)
            .and_then(|end| self.data.get(at..end))
            .ok_or_else(|| corrupt(&format!("{len} bytes at offset {at} are past the end")))
    }

    fn u16_at(&self, at: usize) -> Result<u16, ExifError> {
        let b = self.bytes(at, 2)?;
        Ok(self.order.u16([b[0], b[1]]))
    }

    fn u32_at(&self, at: usize) -> Result<u32, ExifError> {
        let b = self.bytes(at, 4)?;
        Ok(self.order.u32([b[0], b[1], b[2], b[3]]))
    }
}

/// A TIFF being rewritten: the original bytes (kept as they are) plus IFD0 and the Exif IFD,
/// which [`Patch::finish`] appends in their changed form.
#[derive(Debug)]
pub(super) struct Patch {
    order: Order,
    out: Vec<u8>,
    ifd0: Ifd,
    exif: Ifd,
}

impl Patch {
    /// Starts a new TIFF with empty IFDs, big-endian as piexif writes it.
    pub(super) fn new() -> Patch {
        let mut out = b"MM\x00\x2a".to_vec();
        out.extend(8u32.to_be_bytes());
        let (ifd0, exif) = (Ifd::default(), Ifd::default());
        Patch {
            order: Order::Big,
            out,
            ifd0,
            exif,
        }
    }

    /// Starts from an existing TIFF, reading IFD0 and the Exif IFD (if any).
    pub(super) fn of(tiff: &Tiff<'_>) -> Result<Patch, ExifError> {
        let ifd0 = tiff.ifd0()?;
        let exif = tiff.exif_ifd(&ifd0)?.unwrap_or_default();
        let out = tiff.data.to_vec();
        Ok(Patch {
            order: tiff.order,
            out,
            ifd0,
            exif,
        })
    }

    /// Sets ASCII `tag` of IFD0 to `text` (which includes its terminating NUL).
    pub(super) fn set_ifd0_ascii(&mut self, tag: u16, text: &[u8]) -> Result<(), ExifError> {
        let entry = self.ascii(tag, text)?;
        self.ifd0.set(entry);
        Ok(())
    }

    /// Sets ASCII `tag` of the Exif IFD to `text` (which includes its terminating NUL).
    pub(super) fn set_exif_ascii(&mut self, tag: u16, text: &[u8]) -> Result<(), ExifError> {
        let entry = self.ascii(tag, text)?;
        self.exif.set(entry);
        Ok(())
    }

    /// Returns an ASCII entry for `text`, appending the text if it does not fit inline.
    fn ascii(&mut self, tag: u16, text: &[u8]) -> Result<Entry, ExifError> {
        let count = u32::try_from(text.len()).map_err(|_| corrupt("value too long"))?;
        let mut value = [0; 4];
        if text.len() <= 4 {
            value[..text.len()].copy_from_slice(text);
        } else {
            self.align();
            value = self.order.u32_bytes(self.end()?);
            self.out.extend_from_slice(text);
        }
        Ok(Entry {
            tag,
            kind: ASCII,
            count,
            value,
        })
    }

    /// Appends the Exif IFD and IFD0, points IFD0's Exif tag and the header at them and
    /// returns the new TIFF.
    pub(super) fn finish(mut self) -> Result<Vec<u8>, ExifError> {
        self.align();
        let exif_at = self.end()?;
        let exif = std::mem::take(&mut self.exif);
        self.write_ifd(&exif)?;
        let kind = self.ifd0.get(EXIF_IFD).map_or(LONG, |e| e.kind);
        let value = self.order.u32_bytes(exif_at);
        self.ifd0.set(Entry {
            tag: EXIF_IFD,
            kind,
            count: 1,
            value,
        });
        let ifd0_at = self.end()?;
        let ifd0 = std::mem::take(&mut self.ifd0);
        self.write_ifd(&ifd0)?;
        let header = self.order.u32_bytes(ifd0_at);
        self.out[4..8].copy_from_slice(&header);
        Ok(self.out)
    }

    fn write_ifd(&mut self, ifd: &Ifd) -> Result<(), ExifError> {
        let count = u16::try_from(ifd.entries.len()).map_err(|_| corrupt("too many tags"))?;
        let order = self.order;
        let out = &mut self.out;
        out.extend(order.u16_bytes(count));
        for e in &ifd.entries {
            out.extend(order.u16_bytes(e.tag));
            out.extend(order.u16_bytes(e.kind));
            out.extend(order.u32_bytes(e.count));
            out.extend(e.value);
        }
        out.extend(order.u32_bytes(ifd.next));
        Ok(())
    }

    /// Pads to an even offset: IFDs and values start on word boundaries.
    fn align(&mut self) {
        if self.out.len() % 2 == 1 {
            self.out.push(0);
        }
    }

    fn end(&self) -> Result<u32, ExifError> {
        u32::try_from(self.out.len()).map_err(|_| corrupt("TIFF too large"))
    }
}

fn corrupt(what: &str) -> ExifError {
    ExifError(format!("corrupt EXIF: {what}"))
}
