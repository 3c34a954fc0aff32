//! CloudKit wire shapes: records, typed fields (`{"value": …, "type": …}`) and zone ids.
//!
//! Records are kept as `serde_json::Value` and read through [`Record`], which tolerates absent
//! fields and explicit `null`s alike (real `records/query` answers omit fields, `changes/zone`
//! answers may carry `null`).

pub(crate) mod decode;

use serde_json::{Map, Value};

/// A CloudKit record as received, read through accessors.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    raw: Value,
}

impl Record {
    /// Wraps a record object; anything else yields `None`.
    pub(crate) fn new(raw: Value) -> Option<Record> {
        raw.is_object().then_some(Record { raw })
    }

    /// Returns the record as received.
    pub(crate) fn raw(&self) -> &Value {
        &self.raw
    }

    /// Returns the record's `recordName` (empty if missing).
    pub(crate) fn name(&self) -> &str {
        self.raw
            .get("recordName")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Returns the record's `recordType`, if any (tombstones have `null`).
    pub(crate) fn record_type(&self) -> Option<&str> {
        self.raw.get("recordType").and_then(Value::as_str)
    }

    /// Returns the record's `recordChangeTag`, if any.
    pub(crate) fn change_tag(&self) -> Option<&str> {
        self.raw.get("recordChangeTag").and_then(Value::as_str)
    }

    /// Returns `true` for a tombstone (`"deleted": true`): a record that was purged.
    pub(crate) fn is_tombstone(&self) -> bool {
        self.raw.get("deleted").and_then(Value::as_bool) == Some(true)
    }

    /// Returns the per-record error (`serverErrorCode`, `reason`), if the record is one.
    pub(crate) fn server_error(&self) -> Option<(&str, &str)> {
        let code = self.raw.get("serverErrorCode")?.as_str()?;
        let reason = self.raw.get("reason").and_then(Value::as_str).unwrap_or("");
        Some((code, reason))
    }

    fn fields(&self) -> Option<&Map<String, Value>> {
        self.raw.get("fields")?.as_object()
    }

    /// Returns the `{"value", "type"}` object of a field whose value is present and not null.
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        let f = self.fields()?.get(name)?;
        match f.get("value") {
            None | Some(Value::Null) => None,
            Some(_) => Some(f),
        }
    }

    /// Returns a field's `value` (not null).
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.field(name)?.get("value")
    }

    /// Returns a field's declared `type`.
    pub(crate) fn field_type(&self, name: &str) -> Option<&str> {
        self.field(name)?.get("type")?.as_str()
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
        assert!(r.field("isDeleted").is_none());
        assert!(r.field("isHidden").is_none());
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
}
