//! XMP sidecars, byte for byte as icloudpd 1.32 writes them (cli.md §9).
//!
//! Rendering is two steps: [`XmpFields::from_asset`] decodes what the sidecar says from the
//! CPLAsset metadata (plists, deflated JSON, dates), and [`render_fields`] prints it the way
//! Python's `ElementTree.tostring` does. Values that cannot be decoded leave their element
//! out, where icloudpd 1.32 would crash.

mod decode;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use icloud_photos::Asset;
use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use decode::PyScalar;

use crate::report::KeptSidecar;

/// The sidecar for `asset`: `<?xml version='1.0' encoding='utf-8'?>\n<x:xml_doc …>` without a
/// trailing newline. `toolkit` is the `x:xmptk` value.
pub(crate) fn render(asset: &Asset, toolkit: &str) -> String {
    render_fields(&XmpFields::from_asset(asset), toolkit)
}

/// Whether an existing sidecar may be replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Existing {
    /// Empty, or written by icloudpd (`x:xmptk` starts with `icloudpd`).
    Replace,
    /// Written by another tool, or unreadable.
    Keep(KeptSidecar),
}

/// Decides about an existing sidecar from its bytes.
pub(crate) fn check_existing(bytes: &[u8]) -> Existing {
    if bytes.is_empty() {
        return Existing::Replace;
    }
    match root_xmptk(bytes) {
        Err(error) => Existing::Keep(KeptSidecar::Unreadable(error)),
        // Python's `not xmptk_value`: a missing or empty value is "not ours".
        Ok(Some(xmptk)) if xmptk.starts_with("icloudpd") => Existing::Replace,
        Ok(Some(xmptk)) => Existing::Keep(KeptSidecar::OtherTool(Some(xmptk))),
        Ok(None) => Existing::Keep(KeptSidecar::OtherTool(None)),
    }
}

/// What a sidecar says about one asset, decoded from its CPLAsset record (Python's
/// `XMPMetadata` without the toolkit). Scalars keep their Python type so that falsy values
/// (`0.0`, `0`, `""`) are left out when rendering, as Python does.
#[derive(Debug, Default, Clone, PartialEq)]
struct XmpFields {
    /// `dc:title`, from `captionEnc`.
    title: Option<String>,
    /// `dc:description`, from `extendedDescEnc`.
    description: Option<String>,
    /// `dc:subject`, from the `keywordsEnc` plist.
    keywords: Option<Vec<String>>,
    /// The `exif:GPS*` elements, from the `locationEnc` plist.
    location: Location,
    /// `assetSubtypeV2` = 3: `tiff:Make` and `Iptc4xmpExt:DigitalSourceType`.
    screenshot: bool,
    /// `tiff:Orientation`, from the deflated JSON of `adjustmentSimpleDataEnc`.
    orientation: Option<PyScalar>,
    /// `xmp:CreateDate` and `photoshop:DateCreated`: `assetDate` in the `timeZoneOffset` zone.
    created: Option<OffsetDateTime>,
    /// `xmp:Rating`: -1 for hidden or deleted, else 5 for favourites.
    rating: Option<i8>,
}

/// The keys of the `locationEnc` plist that end up in the sidecar.
#[derive(Debug, Default, Clone, PartialEq)]
struct Location {
    altitude: Option<PyScalar>,
    latitude: Option<PyScalar>,
    longitude: Option<PyScalar>,
    speed: Option<PyScalar>,
    /// Naive (UTC) date, as Python's `plistlib` returns it.
    timestamp: Option<PrimitiveDateTime>,
}

impl XmpFields {
    /// Returns the fields icloudpd's `build_metadata` would find in `asset`.
    fn from_asset(asset: &Asset) -> XmpFields {
        XmpFields {
            title: asset.caption().map(str::to_owned),
            description: asset.extended_description().map(str::to_owned),
            keywords: asset.keywords_plist().and_then(decode::keywords),
            location: asset
                .location_plist()
                .and_then(decode::location)
                .unwrap_or_default(),
            screenshot: asset.asset_subtype_v2() == Some(3),
            orientation: asset.adjustment_simple_data().and_then(decode::orientation),
            created: asset
                .asset_date()
                .and_then(|date| decode::in_zone(date, asset.time_zone_offset().unwrap_or(0))),
            rating: rating(asset.is_hidden(), asset.is_deleted(), asset.is_favorite()),
        }
    }
}

/// Returns `xmp:Rating`: rejected (-1) for hidden or deleted assets, else 5 for favourites.
fn rating(hidden: bool, deleted: bool, favorite: bool) -> Option<i8> {
    if hidden || deleted {
        Some(-1)
    } else if favorite {
        Some(5)
    } else {
        None
    }
}

/// Prints `fields` exactly as `ElementTree.tostring(generate_xml(…), encoding="utf-8",
/// xml_declaration=True)` does.
fn render_fields(fields: &XmpFields, toolkit: &str) -> String {
    let mut dc = Vec::new();
    push_text(&mut dc, "dc:title", fields.title.as_deref());
    push_text(&mut dc, "dc:description", fields.description.as_deref());
    if let Some(keywords) = fields.keywords.as_ref().filter(|k| !k.is_empty()) {
        let mut seq = String::from("<dc:subject><rdf:Seq>");
        for keyword in keywords {
            seq.push_str(&element("rdf:li", keyword));
        }
        seq.push_str("</rdf:Seq></dc:subject>");
        dc.push(seq);
    }

    let loc = &fields.location;
    let mut exif = Vec::new();
    push_scalar(&mut exif, "exif:GPSAltitude", loc.altitude.as_ref());
    push_scalar(&mut exif, "exif:GPSLatitude", loc.latitude.as_ref());
    push_scalar(&mut exif, "exif:GPSLongitude", loc.longitude.as_ref());
    push_scalar(&mut exif, "exif:GPSSpeed", loc.speed.as_ref());
    let timestamp = loc.timestamp.map(|t| strftime(t, None));
    push_text(&mut exif, "exif:GPSTimeStamp", timestamp.as_deref());

    let created = fields
        .created
        .map(|c| strftime(PrimitiveDateTime::new(c.date(), c.time()), Some(c.offset())));
    let screenshot = |value: &'static str| fields.screenshot.then_some(value);

    let mut iptc = Vec::new();
    push_text(
        &mut iptc,
        "Iptc4xmpExt:DigitalSourceType",
        screenshot("screenCapture"),
    );
    let mut photoshop = Vec::new();
    push_text(&mut photoshop, "photoshop:DateCreated", created.as_deref());
    let mut tiff = Vec::new();
    push_scalar(&mut tiff, "tiff:Orientation", fields.orientation.as_ref());
    push_text(&mut tiff, "tiff:Make", screenshot("Screenshot"));
    let mut xmp = Vec::new();
    push_text(&mut xmp, "xmp:CreateDate", created.as_deref());
    let rating = fields.rating.filter(|r| *r != 0).map(|r| r.to_string());
    push_text(&mut xmp, "xmp:Rating", rating.as_deref());

    let blocks = [
        ("dc", "http://purl.org/dc/elements/1.1/", dc),
        ("exif", "http://ns.adobe.com/exif/1.0/", exif),
        (
            "Iptc4xmpExt",
            "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
            iptc,
        ),
        ("photoshop", "http://ns.adobe.com/photoshop/1.0/", photoshop),
        ("tiff", "http://ns.adobe.com/tiff/1.0/", tiff),
        ("xmp", "http://ns.adobe.com/xap/1.0/", xmp),
    ];
    let mut out = String::from("<?xml version='1.0' encoding='utf-8'?>\n");
    out.push_str(r#"<x:xml_doc xmlns:x="adobe:ns:meta/" x:xmptk=""#);
    out.push_str(&escape(toolkit, true));
    out.push_str(r#""><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#""#);
    if blocks.iter().all(|(_, _, children)| children.is_empty()) {
        out.push_str(" />");
    } else {
        out.push('>');
        for (prefix, namespace, children) in blocks.iter().filter(|b| !b.2.is_empty()) {
            let _ = write!(
                out,
                r#"<rdf:Description rdf:about="" xmlns:{prefix}="{namespace}">"#
            );
            out.extend(children.iter().map(String::as_str));
            out.push_str("</rdf:Description>");
        }
        out.push_str("</rdf:RDF>");
    }
    out.push_str("</x:xml_doc>");
    out
}

/// Adds `<name>text</name>` when `text` is present and not empty (Python's truthiness).
fn push_text(children: &mut Vec<String>, name: &str, text: Option<&str>) {
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        children.push(element(name, text));
    }
}

/// Adds `<name>str(value)</name>` when `value` is present and truthy.
fn push_scalar(children: &mut Vec<String>, name: &str, value: Option<&PyScalar>) {
    if let Some(value) = value.filter(|v| v.is_truthy()) {
        children.push(element(name, &value.to_string()));
    }
}

/// Returns `<name>text</name>`, or `<name />` for empty text as ElementTree writes it.
fn element(name: &str, text: &str) -> String {
    if text.is_empty() {
        format!("<{name} />")
    } else {
        format!("<{name}>{}</{name}>", escape(text, false))
    }
}

/// Escapes text as ElementTree does: `&`, `<`, `>`; in attributes also `"`, CR, LF and tab.
/// Unlike ElementTree, characters XML 1.0 forbids (control characters other than tab, LF and
/// CR, U+FFFE and U+FFFF) are left out, so that the sidecar stays well-formed.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{0}'..='\u{8}'
            | '\u{B}'
            | '\u{C}'
            | '\u{E}'..='\u{1F}'
            | '\u{FFFE}'
            | '\u{FFFF}' => {}
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#09;"),
            c => out.push(c),
        }
    }
    out
}

/// Formats like Python's `strftime("%Y-%m-%dT%H:%M:%S%z")` on Linux: the year is not padded,
/// `%z` is `±HHMM` (`±HHMMSS` with seconds) and empty for naive datetimes.
fn strftime(at: PrimitiveDateTime, offset: Option<UtcOffset>) -> String {
    let mut out = format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    if let Some(offset) = offset {
        let seconds = offset.whole_seconds();
        let sign = if seconds < 0 { '-' } else { '+' };
        let abs = seconds.unsigned_abs();
        let _ = write!(out, "{sign}{:02}{:02}", abs / 3600, abs / 60 % 60);
        if abs % 60 != 0 {
            let _ = write!(out, "{:02}", abs % 60);
        }
    }
    out
}

/// Returns the root element's `{adobe:ns:meta/}xmptk` attribute (`None` if absent) of a
/// well-formed XML document, or why the document is not well-formed.
fn root_xmptk(bytes: &[u8]) -> Result<Option<String>, String> {
    const ADOBE_META: Namespace<'static> = Namespace(b"adobe:ns:meta/");
    let mut reader = NsReader::from_reader(bytes);
    let mut depth = 0usize;
    let mut xmptk = None;
    let mut seen_root = false;
    loop {
        let position = reader.buffer_position();
        let (unbound, event) = match reader.read_resolved_event() {
            Ok((ns, event)) => (matches!(ns, ResolveResult::Unknown(_)), event),
            Err(error) => return Err(at(bytes, reader.error_position(), &error.to_string())),
        };
        let fail = |what: &str| Err(at(bytes, position, what));
        if unbound {
            return fail("unbound prefix");
        }
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if depth == 0 {
                    if seen_root {
                        return fail("junk after document element");
                    }
                    seen_root = true;
                    xmptk = attribute(&reader, start, ADOBE_META, b"xmptk")
                        .map_err(|e| at(bytes, position, &e))?;
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(text) if depth == 0 && !text.iter().all(u8::is_ascii_whitespace) => {
                return fail(if seen_root {
                    "junk after document element"
                } else {
                    "syntax error"
                });
            }
            Event::CData(_) | Event::GeneralRef(_) if depth == 0 => return fail("syntax error"),
            Event::Eof if depth > 0 || !seen_root => return fail("no element found"),
            Event::Eof => return Ok(xmptk),
            _ => {}
        }
    }
}

/// Returns `what` with the line and column of byte `position`, as Python's `ParseError` does
/// (`no element found: line 1, column 0`).
fn at(bytes: &[u8], position: u64, what: &str) -> String {
    let before = &bytes[..usize::try_from(position).map_or(bytes.len(), |p| p.min(bytes.len()))];
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let column = before.len()
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
    format!("{what}: line {line}, column {column}")
}

/// Returns the value of the attribute `{namespace}local` of `start`.
fn attribute(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
    namespace: Namespace<'_>,
    local: &[u8],
) -> Result<Option<String>, String> {
    let mut found = None;
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        match reader.resolve_attribute(attr.key) {
            (ResolveResult::Unknown(_), _) => return Err("unbound prefix".to_owned()),
            (ResolveResult::Bound(ns), name) if ns == namespace && name.as_ref() == local => {
                let value = attr
                    .decode_and_unescape_value(reader.decoder())
                    .map_err(|e| e.to_string())?;
                found = Some(value.into_owned());
            }
            _ => {}
        }
    }
    Ok(found)
}
