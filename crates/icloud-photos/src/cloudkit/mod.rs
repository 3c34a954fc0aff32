//! CloudKit wire shapes: records, typed fields (`{"value": …, "type": …}`) and zone ids.
//!
//! A [`Record`] keeps its JSON text as received (for [`crate::Asset::raw_records`] and decode
//! errors) and only the parts the decoders read: the record's name, type, change tag,
//! tombstone flag, error, and its fields as `{value, type}` pairs. Pages are parsed straight
//! into that shape ([`RecordsReply`]), so a listing never builds a `serde_json::Value` tree of a
//! whole page, whose many small allocations cost more than the parsing itself. Absent fields
//! and explicit `null`s are alike (real `records/query` answers omit fields, `changes/zone`
//! answers may carry `null`); fields of unexpected shapes are ignored, as before.

pub(crate) mod decode;

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// A CloudKit record as received, read through accessors.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    raw: Box<RawValue>,
    name: String,
    record_type: Option<String>,
    change_tag: Option<String>,
    tombstone: bool,
    server_error: Option<(String, String)>,
    fields: BTreeMap<String, Field>,
    /// Some fields were dropped ([`Record::keep_fields`]); [`Record::restored`] reads them
    /// again from the text.
    stripped: bool,
}

/// One field with a value (fields whose value is absent or `null` are not kept).
#[derive(Debug, Clone)]
struct Field {
    value: Value,
    ty: Option<String>,
}

impl Record {
    /// Wraps a record object; anything else yields `None`.
    pub(crate) fn new(raw: Value) -> Option<Record> {
        if !raw.is_object() {
            return None;
        }
        Record::from_raw(serde_json::value::to_raw_value(&raw).ok()?)
    }

    /// Parses a record from its JSON text; `None` unless it is an object.
    pub(crate) fn from_raw(raw: Box<RawValue>) -> Option<Record> {
        if !raw.get().trim_start().starts_with('{') {
            return None;
        }
        let wire: WireRecord = serde_json::from_str(raw.get()).ok()?;
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let server_error =
            text(wire.server_error_code).map(|code| (code, text(wire.reason).unwrap_or_default()));
        Some(Record {
            raw,
            name: text(wire.record_name).unwrap_or_default(),
            record_type: text(wire.record_type),
            change_tag: text(wire.record_change_tag),
            tombstone: wire.deleted == Some(Value::Bool(true)),
            server_error,
            fields: wire.fields.0,
            stripped: false,
        })
    }

    /// Returns the record as received (JSON text).
    pub(crate) fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// Returns the record as received, giving up the rest.
    pub(crate) fn into_raw(self) -> Box<RawValue> {
        self.raw
    }

    /// Returns the record's `recordName` (empty if missing).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Returns the record's `recordType`, if any (tombstones have `null`).
    pub(crate) fn record_type(&self) -> Option<&str> {
        self.record_type.as_deref()
    }

    /// Returns the record's `recordChangeTag`, if any.
    pub(crate) fn change_tag(&self) -> Option<&str> {
        self.change_tag.as_deref()
    }

    /// Returns `true` for a tombstone (`"deleted": true`): a record that was purged.
    pub(crate) fn is_tombstone(&self) -> bool {
        self.tombstone
    }

    /// Returns the per-record error (`serverErrorCode`, `reason`), if the record is one.
    pub(crate) fn server_error(&self) -> Option<(&str, &str)> {
        self.server_error
            .as_ref()
            .map(|(code, reason)| (code.as_str(), reason.as_str()))
    }

    /// Forgets every field but `names`, to hold less while the record waits; the text is
    /// kept, so [`Record::restored`] can read them again.
    pub(crate) fn keep_fields(&mut self, names: &[&str]) {
        self.fields.retain(|name, _| names.contains(&name.as_str()));
        self.stripped = true;
    }

    /// Returns the record with all its fields (parsing its text again if some were dropped).
    pub(crate) fn restored(self) -> Record {
        if !self.stripped {
            return self;
        }
        Record::from_raw(self.raw.clone()).unwrap_or(self)
    }

    /// Returns `true` if the record has field `name` with a value (not null).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// Returns a field's `value` (not null).
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).map(|f| &f.value)
    }

    /// Returns a field's declared `type`.
    pub(crate) fn field_type(&self, name: &str) -> Option<&str> {
        self.fields.get(name)?.ty.as_deref()
    }

    /// Returns a string field's value.
    pub(crate) fn string(&self, name: &str) -> Option<&str> {
        self.value(name)?.as_str()
    }

    /// Returns an integer field's value (INT64, TIMESTAMP); a float with no fraction counts.
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        let v = self.value(name)?;
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
    }

    /// Returns `true` if an INT64 flag field is non-zero.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.int(name).is_some_and(|v| v != 0)
    }

    /// Returns the `recordName` a REFERENCE field points to.
    pub(crate) fn reference(&self, name: &str) -> Option<&str> {
        self.value(name)?.get("recordName")?.as_str()
    }
}

/// The parts of a record [`Record`] keeps; everything else is skipped unparsed.
#[derive(Deserialize)]
struct WireRecord {
    #[serde(rename = "recordName")]
    record_name: Option<Value>,
    #[serde(rename = "recordType")]
    record_type: Option<Value>,
    #[serde(rename = "recordChangeTag")]
    record_change_tag: Option<Value>,
    deleted: Option<Value>,
    #[serde(rename = "serverErrorCode")]
    server_error_code: Option<Value>,
    reason: Option<Value>,
    #[serde(default)]
    fields: Fields,
}

/// A record's `fields` object; anything but an object counts as no fields.
#[derive(Default)]
struct Fields(BTreeMap<String, Field>);

/// One member of `fields`: a field if it is an object with a non-null `value`.
struct Slot(Option<Field>);

/// Implements the visitor methods of everything but objects, which count as `$empty`.
macro_rules! anything_else_is {
    ($empty:expr) => {
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($empty)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($empty)
        }
    };
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a fields object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((name, slot)) = map.next_entry::<String, Slot>()? {
                    // A later duplicate wins, as in a parsed `Value`.
                    match slot.0 {
                        Some(field) => out.insert(name, field),
                        None => out.remove(&name),
                    };
                }
                Ok(Fields(out))
            }
            anything_else_is!(Fields::default());
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Slot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Slot;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Slot, A::Error> {
                let (mut value, mut ty) = (None, None);
                while let Some(key) = map.next_key::<SlotKey>()? {
                    match key {
                        SlotKey::Value => value = Some(map.next_value::<Value>()?),
                        SlotKey::Type => ty = Some(map.next_value::<Value>()?),
                        SlotKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let ty = match ty {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                };
                Ok(Slot(match value {
                    None | Some(Value::Null) => None,
                    Some(value) => Some(Field { value, ty }),
                }))
            }
            anything_else_is!(Slot(None));
        }
        d.deserialize_any(V)
    }
}

/// The keys of a field object, read without allocating.
enum SlotKey {
    Value,
    Type,
    Other,
}

impl<'de> Deserialize<'de> for SlotKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SlotKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<SlotKey, E> {
                Ok(match key {
                    "value" => SlotKey::Value,
                    "type" => SlotKey::Type,
                    _ => SlotKey::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// A `records/query`-shaped answer (also `records/lookup` and one zone of `changes/zone`):
/// the records as JSON text, to be parsed one by one, and what else the callers read.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecordsReply {
    records: Option<Vec<Box<RawValue>>>,
    #[serde(rename = "syncToken")]
    pub(crate) sync_token: Option<Value>,
    #[serde(rename = "moreComing")]
    pub(crate) more_coming: Option<Value>,
    #[serde(rename = "serverErrorCode")]
    server_error_code: Option<Value>,
    reason: Option<Value>,
}

impl RecordsReply {
    /// Returns the top-level error (`serverErrorCode`, `reason`), if the answer is one.
    pub(crate) fn server_error(&self) -> Option<(&str, &str)> {
        let code = self.server_error_code.as_ref()?.as_str()?;
        let reason = self.reason.as_ref().and_then(Value::as_str).unwrap_or("");
        Some((code, reason))
    }

    /// Returns the records (skipping non-objects).
    pub(crate) fn into_records(self) -> Vec<Record> {
        self.records
            .unwrap_or_default()
            .into_iter()
            .filter_map(Record::from_raw)
            .collect()
    }
}

/// Returns the zone name of a zoneID object.
pub(crate) fn zone_name(zone_id: &Value) -> Option<&str> {
    zone_id.get("zoneName")?.as_str()
}

/// Returns the records of a `records/query`-shaped answer (skipping non-objects).
pub(crate) fn records(mut body: Value) -> Vec<Record> {
    match body.get_mut("records").map(Value::take) {
        Some(Value::Array(items)) => items.into_iter().filter_map(Record::new).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_and_null_fields_are_alike() {
        let r = Record::new(json!({
            "recordName": "A", "recordType": "CPLAsset", "recordChangeTag": "1x",
            "fields": {
                "isDeleted": null,
                "isHidden": {"value": null, "type": "INT64"},
                "isFavorite": {"value": 1, "type": "INT64"},
                "duration": {"value": 3.0, "type": "DOUBLE"},
                "masterRef": {"value": {"recordName": "M", "action": "DELETE_SELF"}, "type": "REFERENCE"}
            }
        }))
        .unwrap();
        assert!(!r.has("isDeleted"));
        assert!(!r.has("isHidden"));
        assert!(!r.flag("isHidden"));
        assert!(r.flag("isFavorite"));
        assert_eq!(r.int("duration"), Some(3));
        assert_eq!(r.reference("masterRef"), Some("M"));
        assert_eq!(r.field_type("isFavorite"), Some("INT64"));
        assert_eq!((r.name(), r.change_tag()), ("A", Some("1x")));
        assert!(!r.is_tombstone());
    }

    #[test]
    fn tombstones_and_record_errors() {
        let t =
            Record::new(json!({"recordName": "G", "recordType": null, "deleted": true})).unwrap();
        assert!(t.is_tombstone());
        assert_eq!(t.record_type(), None);
        let e = Record::new(
            json!({"recordName": "A", "serverErrorCode": "CONFLICT", "reason": "oplock"}),
        )
        .unwrap();
        assert_eq!(e.server_error(), Some(("CONFLICT", "oplock")));
        assert!(Record::new(json!([1])).is_none());
        assert_eq!(
            records(json!({"records": [{"recordName": "x"}, 3]})).len(),
            1
        );
        assert!(records(json!({})).is_empty());
    }

    #[test]
    fn odd_shapes_are_read_as_before() {
        let r = Record::new(json!({"recordName": 7, "recordType": ["CPLAsset"], "fields": [1]}))
            .unwrap();
        assert_eq!((r.name(), r.record_type(), r.has("x")), ("", None, false));
        let r = Record::new(json!({"recordName": "A", "fields": {
            "a": 1, "b": "x", "c": [1], "d": {"type": "STRING"}, "e": {"value": "v", "type": 3},
            "f": {"value": "é\"\n", "type": "STRING", "extra": {"deep": [1, {"x": null}]}}
        }}))
        .unwrap();
        for absent in ["a", "b", "c", "d"] {
            assert!(!r.has(absent), "{absent}");
        }
        assert_eq!((r.string("e"), r.field_type("e")), (Some("v"), None));
        assert_eq!(r.string("f"), Some("é\"\n"));
        let text = r#"{"recordName":"A","fields":{"n":{"value":1},"n":{"value":null}}}"#;
        let raw = RawValue::from_string(text.to_owned()).unwrap();
        assert!(
            !Record::from_raw(raw).unwrap().has("n"),
            "the later duplicate wins"
        );
        assert!(Record::from_raw(RawValue::from_string(" [1]".to_owned()).unwrap()).is_none());
    }

    #[test]
    fn pages_keep_each_record_as_received() {
        let text = r#"{"records": [ {"recordName": "x", "created": {"deviceID": "D"},
            "fields": {"s": {"value": "y", "type": "STRING"}}}, 3, null],
            "syncToken": "T", "moreComing": false}"#;
        let reply: RecordsReply = serde_json::from_str(text).unwrap();
        assert_eq!(reply.sync_token, Some(json!("T")));
        assert_eq!(reply.server_error(), None);
        let records = reply.into_records();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].string("s"), Some("y"));
        assert!(records[0].raw().get().contains(r#""deviceID": "D""#));
        let err: RecordsReply =
            serde_json::from_str(r#"{"serverErrorCode": "ZONE_NOT_FOUND"}"#).unwrap();
        assert_eq!(err.server_error(), Some(("ZONE_NOT_FOUND", "")));
        assert!(err.into_records().is_empty());
    }
}
