//! Helpers shared by the fuzz targets: CloudKit records made from fuzzed field values, and a
//! strict reading of the XML the sidecar writer produces.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use icloud_photos::Asset;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value, json};

/// The CPLAsset fields of a record pair; absent ones are left out of the record.
#[derive(Debug, Default)]
pub struct AssetFields {
    /// `filenameEnc` of the master: its text and its declared type.
    pub filename: Option<(String, &'static str)>,
    /// Fields whose value is the given text as sent (`captionEnc`, …).
    pub texts: Vec<(&'static str, String)>,
    /// Fields whose value is the base64 of the given bytes (`keywordsEnc`, …).
    pub bytes: Vec<(&'static str, Vec<u8>)>,
    /// INT64 or TIMESTAMP fields (`assetDate`, `isFavorite`, …).
    pub ints: Vec<(&'static str, i64)>,
}

/// Decodes the CPLMaster/CPLAsset pair that `fields` describe, as a listing would.
pub fn asset(fields: &AssetFields, master_name: &str) -> Option<Asset> {
    let res = json!({"value": {"fileChecksum": "AY6c", "size": 1884,
        "downloadURL": "https://cvws.icloud-content.com/B/AY6c/${f}?o=sig"}, "type": "ASSETID"});
    let mut master = Map::new();
    master.insert("itemType".into(), string("public.jpeg"));
    master.insert("resOriginalRes".into(), res);
    master.insert("resOriginalFileType".into(), string("public.jpeg"));
    if let Some((text, ty)) = &fields.filename {
        master.insert("filenameEnc".into(), json!({"value": text, "type": ty}));
    }
    let mut asset = Map::new();
    asset.insert(
        "masterRef".into(),
        json!({"value": {"recordName": master_name}, "type": "REFERENCE"}),
    );
    for (name, text) in &fields.texts {
        asset.insert(
            (*name).into(),
            json!({"value": text, "type": "ENCRYPTED_BYTES"}),
        );
    }
    for (name, bytes) in &fields.bytes {
        let text = STANDARD.encode(bytes);
        asset.insert(
            (*name).into(),
            json!({"value": text, "type": "ENCRYPTED_BYTES"}),
        );
    }
    for (name, value) in &fields.ints {
        asset.insert((*name).into(), json!({"value": value, "type": "INT64"}));
    }
    let master = json!({"recordName": master_name, "recordType": "CPLMaster", "fields": master});
    let asset = json!({"recordName": "A", "recordType": "CPLAsset", "fields": asset});
    Asset::from_records(master, asset, "PrimarySync").ok()
}

fn string(text: &str) -> Value {
    json!({"value": text, "type": "STRING"})
}

/// The parts of a sidecar the checks compare with what went in.
#[derive(Debug, Default)]
pub struct Sidecar {
    /// The root's `x:xmptk`.
    pub toolkit: Option<String>,
    /// The text of each element, by qualified name, in document order.
    pub texts: Vec<(String, String)>,
}

/// Reads `xml` strictly, panicking unless it is a well-formed XML 1.0 document: balanced,
/// one root, no character that XML 1.0 forbids, every reference known. Texts are read as an
/// XML 1.0 parser returns them (line ends normalised to `\n`).
pub fn read_sidecar(xml: &str) -> Sidecar {
    if let Some(bad) = xml.chars().find(|c| !is_xml_char(*c)) {
        panic!("character {bad:?} is not allowed in XML 1.0: {xml:?}");
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut open: Vec<String> = Vec::new();
    let mut out = Sidecar::default();
    let mut roots = 0;
    let mut text = String::new();
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed: {e}: {xml:?}"));
        if !matches!(event, Event::Text(_) | Event::GeneralRef(_)) && !text.is_empty() {
            let name = open.last().cloned().unwrap_or_default();
            out.texts.push((name, std::mem::take(&mut text)));
        }
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if open.is_empty() {
                    roots += 1;
                    out.toolkit = toolkit(start, xml);
                }
                if matches!(event, Event::Start(_)) {
                    open.push(String::from_utf8_lossy(start.name().as_ref()).into_owned());
                }
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(t) => {
                assert!(!open.is_empty() || t.iter().all(u8::is_ascii_whitespace));
                let t = t
                    .xml10_content()
                    .unwrap_or_else(|e| panic!("bad text: {e}: {xml:?}"));
                text.push_str(&t);
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.decode().unwrap_or_default();
                        resolve_predefined_entity(&name)
                            .unwrap_or_else(|| panic!("unknown entity &{name};: {xml:?}"))
                            .to_owned()
                    }
                    Err(e) => panic!("bad character reference: {e}: {xml:?}"),
                };
                text.push_str(&resolved);
            }
            Event::CData(_) | Event::DocType(_) => panic!("unexpected markup: {xml:?}"),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(roots, 1, "one root element: {xml:?}");
    assert!(open.is_empty(), "unclosed elements {open:?}: {xml:?}");
    out
}

/// Returns the `x:xmptk` attribute of the root element.
fn toolkit(root: &BytesStart<'_>, xml: &str) -> Option<String> {
    let mut found = None;
    for attr in root.attributes() {
        let attr = attr.unwrap_or_else(|e| panic!("bad attribute: {e}: {xml:?}"));
        if attr.key.as_ref() == b"x:xmptk" {
            let value = attr
                .unescape_value()
                .unwrap_or_else(|e| panic!("bad reference: {e}: {xml:?}"));
            found = Some(value.into_owned());
        }
    }
    found
}

/// Normalises line ends as an XML 1.0 parser does: `\r\n` and `\r` become `\n`.
pub fn xml10_line_ends(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// XML 1.0's `Char` production.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Splits a fuzz input into its parts, separated by `\n#-#\n`.
pub fn split(mut data: &[u8]) -> Vec<&[u8]> {
    const SEPARATOR: &[u8] = b"\n#-#\n";
    let mut parts = Vec::new();
    while let Some(at) = data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        parts.push(&data[..at]);
        data = &data[at + SEPARATOR.len()..];
    }
    parts.push(data);
    parts
}
