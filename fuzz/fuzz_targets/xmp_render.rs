//! The XMP sidecar writer fed arbitrary metadata values: captions, keywords and GPS values
//! (in real plists, binary or XML), orientation (in deflated JSON), dates, offsets and flags.
//! The sidecar is well-formed XML 1.0 that gives back the texts that went in, and the writer
//! recognises it as its own.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use icloudpd_fuzz::{AssetFields, Sidecar, asset, read_sidecar, split, xml10_line_ends};
use icloudpd_sync::fuzzing::{existing_sidecar, render_xmp};
use libfuzzer_sys::fuzz_target;

/// A plist or JSON scalar, read from text: an integer, a float (`nan`, `1e300`), `true` or
/// `false`, or else a string.
enum Scalar {
    Int(i64),
    Unsigned(u64),
    Float(f64),
    Text(String),
    Bool(bool),
}

// Parts, split at `\n#-#\n`: the toolkit, the caption, the description, keywords (one a line),
// GPS values (`alt=326.5`, `lat=…`, `lon=…`, `speed=…`, `timestamp=<Unix seconds>`, one a
// line), the orientation, then `assetDate timeZoneOffset assetSubtypeV2` (`-` for none), then
// flags: `f` favourite, `h` hidden, `d` deleted, `x` XML rather than binary plists.
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parts = split(text.as_bytes());
    let part = |i: usize| {
        parts
            .get(i)
            .map(|p| String::from_utf8_lossy(p).into_owned())
    };
    let toolkit = part(0).unwrap_or_default();
    let (caption, description) = (part(1), part(2));
    let keywords: Option<Vec<String>> = part(3).map(|k| k.split('\n').map(str::to_owned).collect());
    let flags = part(7).unwrap_or_default();
    let binary = !flags.contains('x');

    let mut fields = AssetFields::default();
    for (name, text) in [("captionEnc", &caption), ("extendedDescEnc", &description)] {
        if let Some(text) = text {
            fields.bytes.push((name, text.as_bytes().to_vec()));
        }
    }
    if let Some(keywords) = &keywords {
        let array = keywords.iter().cloned().map(plist::Value::String).collect();
        fields.bytes.push((
            "keywordsEnc",
            plist_bytes(plist::Value::Array(array), binary),
        ));
    }
    if let Some(gps) = part(4) {
        let mut location = plist::Dictionary::new();
        for line in gps.lines() {
            let (key, value) = line.split_once('=').unwrap_or((line, ""));
            let value = match (key, value.parse::<i64>()) {
                ("timestamp", Ok(seconds)) => date(seconds),
                _ => plist_scalar(&scalar(value)),
            };
            location.insert(key.to_owned(), value);
        }
        let bytes = plist_bytes(plist::Value::Dictionary(location), binary);
        fields.bytes.push(("locationEnc", bytes));
    }
    if let Some(orientation) = part(5) {
        let json =
            serde_json::json!({"metadata": {"orientation": json_scalar(&scalar(&orientation))}});
        let deflated = miniz_oxide::deflate::compress_to_vec(json.to_string().as_bytes(), 6);
        fields.bytes.push(("adjustmentSimpleDataEnc", deflated));
    }
    let numbers = part(6).unwrap_or_default();
    let names = ["assetDate", "timeZoneOffset", "assetSubtypeV2"];
    for (name, number) in names.into_iter().zip(numbers.split(' ')) {
        if let Ok(n) = number.parse() {
            fields.ints.push((name, n));
        }
    }
    for (name, flag) in [("isFavorite", 'f'), ("isHidden", 'h'), ("isDeleted", 'd')] {
        fields.ints.push((name, i64::from(flags.contains(flag))));
    }
    let Some(asset) = asset(&fields, "M") else {
        return;
    };

    let xml = render_xmp(&asset, &toolkit);
    let sidecar = read_sidecar(&xml);
    let written = without_forbidden(&toolkit);
    assert_eq!(sidecar.toolkit.as_deref(), Some(written.as_str()), "{xml}");
    let expected = (!written.starts_with("icloudpd")).then(|| format!("created by {written}"));
    assert_eq!(existing_sidecar(xml.as_bytes()), expected, "{xml}");
    check_text(&sidecar, "dc:title", caption.as_deref(), &xml);
    check_text(&sidecar, "dc:description", description.as_deref(), &xml);
    let listed: Vec<String> = texts_of(&sidecar, "rdf:li");
    let wanted: Vec<String> = keywords
        .unwrap_or_default()
        .iter()
        .map(|k| xml10_line_ends(&without_forbidden(k)))
        .filter(|k| !k.is_empty())
        .collect();
    assert_eq!(listed, wanted, "{xml}");
});

/// Checks that element `name` holds `text` as XML can carry it (absent when empty).
fn check_text(sidecar: &Sidecar, name: &str, text: Option<&str>, xml: &str) {
    let found = texts_of(sidecar, name);
    let wanted: Vec<String> = text
        .map(|t| xml10_line_ends(&without_forbidden(t)))
        .filter(|t| !t.is_empty())
        .into_iter()
        .collect();
    assert_eq!(found, wanted, "{name}: {xml}");
}

/// `text` without the characters XML 1.0 cannot carry.
fn without_forbidden(text: &str) -> String {
    text.chars()
        .filter(|c| icloudpd_fuzz::is_xml_char(*c))
        .collect()
}

fn scalar(text: &str) -> Scalar {
    if let Ok(i) = text.parse() {
        Scalar::Int(i)
    } else if let Ok(u) = text.parse() {
        Scalar::Unsigned(u)
    } else if let Ok(f) = text.parse() {
        Scalar::Float(f)
    } else if let Ok(b) = text.parse() {
        Scalar::Bool(b)
    } else {
        Scalar::Text(text.to_owned())
    }
}

/// A plist date, or a string where the plist writer could not write the date (outside years
/// 1 to 9999).
fn date(seconds: i64) -> plist::Value {
    if !(-62_135_596_800..=253_402_300_799).contains(&seconds) {
        return plist::Value::String(seconds.to_string());
    }
    let at = match u64::try_from(seconds) {
        Ok(after) => UNIX_EPOCH + Duration::from_secs(after),
        Err(_) => UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs()),
    };
    plist::Value::Date(at.into())
}

fn texts_of(sidecar: &Sidecar, name: &str) -> Vec<String> {
    sidecar
        .texts
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, t)| t.clone())
        .collect()
}

fn plist_bytes(value: plist::Value, binary: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let written = if binary {
        value.to_writer_binary(&mut out)
    } else {
        value.to_writer_xml(&mut out)
    };
    written.expect("a plist in memory is written");
    out
}

fn plist_scalar(value: &Scalar) -> plist::Value {
    match value {
        Scalar::Int(i) => plist::Value::Integer((*i).into()),
        Scalar::Unsigned(u) => plist::Value::Integer((*u).into()),
        Scalar::Float(f) => plist::Value::Real(*f),
        Scalar::Text(s) => plist::Value::String(s.clone()),
        Scalar::Bool(b) => plist::Value::Boolean(*b),
    }
}

fn json_scalar(value: &Scalar) -> serde_json::Value {
    match value {
        Scalar::Int(i) => (*i).into(),
        Scalar::Unsigned(u) => (*u).into(),
        Scalar::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Scalar::Text(s) => s.clone().into(),
        Scalar::Bool(b) => (*b).into(),
    }
}
