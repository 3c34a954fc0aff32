//! Album records, counts, zones and the indexing state.

use serde_json::{Value, json};

use super::super::*;

#[test]
fn album_records() {
    let album = |name: &str, fields: Value| {
        user_album(
            &Record::new(json!({"recordName": name, "recordType": "CPLAlbum", "fields": fields}))
                .unwrap(),
        )
    };
    let named = json!({"albumNameEnc": {"value": "SsO2cmc=", "type": "ENCRYPTED_BYTES"}, "albumType": {"value": 0, "type": "INT64"}});
    assert_eq!(
        album("2076BCB0", named.clone()),
        Some(("Jörg".into(), "2076BCB0".into()))
    );
    assert_eq!(
        album(
            "----Root-Folder----",
            json!({"albumType": {"value": 3, "type": "INT64"}})
        ),
        None
    );
    assert_eq!(album("----Project-Root-Folder----", json!({})), None);
    let mut deleted = named;
    deleted["isDeleted"] = json!({"value": 1, "type": "INT64"});
    assert_eq!(album("DEL", deleted), None);
    assert_eq!(
        album("NONAME", json!({})),
        Some(("NONAME".into(), "NONAME".into()))
    );
}

#[test]
fn counts_zones_and_indexing() {
    let body = json!({"batch": [{"records": [{"recordName": "CPLAssetByAssetDateWithoutHiddenOrDeleted",
        "recordType": "IndexCountResult", "fields": {"itemCount": {"value": 33161, "type": "INT64"}}}], "syncToken": "t"}]});
    assert_eq!(count(&body), Ok(33161));
    assert_eq!(count(&json!({"batch": [{"records": []}]})), Ok(0));
    assert!(count(&json!({})).is_err());
    assert!(count(&json!({"batch": [{"serverErrorCode": "BAD_REQUEST"}]})).is_err());
    let zones_body = json!({"moreComing": false, "syncToken": "t", "zones": [
        {"zoneID": {"zoneName": "PrimarySync", "ownerRecordName": "_b", "zoneType": "REGULAR_CUSTOM_ZONE"}},
        {"zoneID": {"zoneName": "Gone"}, "deleted": true},
        {"zoneID": {"zoneName": "SharedSync-1"}, "deleted": false}]});
    let names: Vec<_> = zones(&zones_body)
        .iter()
        .map(|z| z["zoneName"].clone())
        .collect();
    assert_eq!(names, [json!("PrimarySync"), json!("SharedSync-1")]);
    assert_eq!(
        zones(&zones_body)[0]["zoneType"],
        "REGULAR_CUSTOM_ZONE",
        "full zone objects"
    );
    let state = json!({"records": [{"recordName": "_ac", "recordType": "CheckIndexingState",
        "fields": {"progress": {"value": 40, "type": "INT64"}, "state": {"value": "RUNNING", "type": "STRING"}}}]});
    assert_eq!(indexing_state(state).as_deref(), Some("RUNNING"));
    assert_eq!(indexing_state(json!({"records": []})), None);
}
