//! Decoding of the CPLAsset's encoded metadata fields into what the sidecar prints, and
//! Python's `str()` of the values involved.

use std::fmt;
use std::io::Cursor;
use std::time::{SystemTime, UNIX_EPOCH};

use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::Location;

/// Inflated `adjustmentSimpleDataEnc` JSON is a few hundred bytes; refuse to inflate bombs.
const MAX_ADJUSTMENT_JSON: usize = 1 << 20;

/// A plist or JSON scalar as Python holds it, so that it prints as `str()` does (`326.0`,
/// `1e+16`, `True`) and is left out when falsy.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum PyScalar {
    Int(i128),
    Float(f64),
    Str(String),
    Bool(bool),
}

impl PyScalar {
    /// Returns Python's `bool(value)`.
    pub(super) fn is_truthy(&self) -> bool {
        match self {
            PyScalar::Int(i) => *i != 0,
            PyScalar::Float(f) => *f != 0.0,
            PyScalar::Str(s) => !s.is_empty(),
            PyScalar::Bool(b) => *b,
        }
    }

    fn from_plist(value: &plist::Value) -> Option<PyScalar> {
        Some(match value {
            plist::Value::Integer(i) => PyScalar::Int(
                i.as_signed()
                    .map(i128::from)
                    .or_else(|| i.as_unsigned().map(i128::from))?,
            ),
            plist::Value::Real(f) => PyScalar::Float(*f),
            plist::Value::String(s) => PyScalar::Str(s.clone()),
            plist::Value::Boolean(b) => PyScalar::Bool(*b),
            _ => return None,
        })
    }

    fn from_json(value: &serde_json::Value) -> Option<PyScalar> {
        Some(match value {
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => PyScalar::Int(i.into()),
                (None, Some(u)) => PyScalar::Int(u.into()),
                (None, None) => PyScalar::Float(n.as_f64()?),
            },
            serde_json::Value::String(s) => PyScalar::Str(s.clone()),
            serde_json::Value::Bool(b) => PyScalar::Bool(*b),
            _ => return None,
        })
    }
}

impl fmt::Display for PyScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PyScalar::Int(i) => write!(f, "{i}"),
            PyScalar::Float(x) => f.write_str(&py_float(*x)),
            PyScalar::Str(s) => f.write_str(s),
            PyScalar::Bool(true) => f.write_str("True"),
            PyScalar::Bool(false) => f.write_str("False"),
        }
    }
}

/// Returns Python's `repr(float)`: the shortest round-trip digits, in fixed notation with at
/// least one decimal (`326.0`) when the decimal exponent is in `-4..16`, else as `1e+16`,
/// `1.5e-05`.
pub(super) fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // Rust's `{:e}` prints the same shortest round-trip digits: `-3.2695e2`, `1e16`, `0e0`.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let body = if !(-4..16).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{first}{dot}{rest}e{exp_sign}{:02}", exp.unsigned_abs())
    } else if exp >= 0 {
        let point = exp.unsigned_abs() as usize + 1;
        if digits.len() <= point {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    } else {
        format!("0.{}{digits}", "0".repeat(exp.unsigned_abs() as usize - 1))
    };
    format!("{sign}{body}")
}

/// Parses a plist the way Python's `plistlib.loads` accepts it: binary (`bplist00`) or XML
/// (starting with `<?xml` or `<plist`, optionally after a UTF-8 byte-order mark).
fn plist(bytes: &[u8]) -> Option<plist::Value> {
    if bytes.starts_with(b"bplist00") {
        return plist::Value::from_reader(Cursor::new(bytes)).ok();
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.starts_with(b"<?xml") || text.starts_with(b"<plist") {
        return plist::Value::from_reader_xml(text).ok();
    }
    None
}

/// Returns the keywords of a `keywordsEnc` plist: an array of strings (`None` for anything
/// else, where icloudpd would crash or print nonsense).
pub(super) fn keywords(bytes: &[u8]) -> Option<Vec<String>> {
    plist(bytes)?
        .into_array()?
        .into_iter()
        .map(plist::Value::into_string)
        .collect()
}

/// Returns the GPS values of a `locationEnc` plist dictionary (`alt`, `lat`, `lon`, `speed`,
/// `timestamp`).
pub(super) fn location(bytes: &[u8]) -> Option<Location> {
    let plist = plist(bytes)?;
    let dict = plist.as_dictionary()?;
    let scalar = |key: &str| dict.get(key).and_then(PyScalar::from_plist);
    Some(Location {
        altitude: scalar("alt"),
        latitude: scalar("lat"),
        longitude: scalar("lon"),
        speed: scalar("speed"),
        timestamp: dict
            .get("timestamp")
            .and_then(plist::Value::as_date)
            .and_then(|date| naive_utc(date.into())),
    })
}

/// Returns a plist date as the naive UTC datetime `plistlib` makes of it, truncated to whole
/// seconds; `None` outside Python's years 1 to 9999.
fn naive_utc(at: SystemTime) -> Option<PrimitiveDateTime> {
    let seconds = match at.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok()?,
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).ok()?;
            -whole - i64::from(before.subsec_nanos() > 0)
        }
    };
    let utc = OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    (1..=9999)
        .contains(&utc.year())
        .then(|| PrimitiveDateTime::new(utc.date(), utc.time()))
}

/// Returns `metadata.orientation` of the deflated JSON in `adjustmentSimpleDataEnc`. Binary
/// plists (slow-motion ranges) and CRDTs (drawings) carry none, nor does anything that does
/// not inflate to a JSON object.
pub(super) fn orientation(bytes: &[u8]) -> Option<PyScalar> {
    if bytes.starts_with(b"bplist") || bytes.starts_with(b"crdt") {
        return None;
    }
    let json =
        miniz_oxide::inflate::decompress_to_vec_with_limit(bytes, MAX_ADJUSTMENT_JSON).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&json).ok()?;
    PyScalar::from_json(value.get("metadata")?.get("orientation")?)
}

/// Returns `at` (whole seconds, as `strftime` prints it) in the fixed zone `offset_seconds`
/// east of UTC; `None` where Python's `timezone()` or `datetime` would refuse it (offsets of
/// a day or more, years outside 1 to 9999).
pub(super) fn in_zone(at: OffsetDateTime, offset_seconds: i64) -> Option<OffsetDateTime> {
    if offset_seconds.unsigned_abs() >= 86_400 {
        return None;
    }
    let offset = UtcOffset::from_whole_seconds(i32::try_from(offset_seconds).ok()?).ok()?;
    let local = at.replace_nanosecond(0).ok()?.checked_to_offset(offset)?;
    (1..=9999).contains(&local.year()).then_some(local)
}
