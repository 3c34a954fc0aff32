//! Request bodies of the CloudKit calls, exactly as icloudpd sends them.
//!
//! Arrays keep icloudpd's order (`filterBy`, `desiredKeys`); object keys are serialised in
//! serde_json's order, which CloudKit (and the fake) ignore.

use serde_json::{Value, json};

use crate::album::Album;

/// The `desiredKeys` of a listing page, in icloudpd's order (101 keys).
pub(crate) const DESIRED_KEYS: [&str; 101] = [
    "resJPEGFullWidth",
    "resJPEGFullHeight",
    "resJPEGFullFileType",
    "resJPEGFullFingerprint",
    "resJPEGFullRes",
    "resJPEGLargeWidth",
    "resJPEGLargeHeight",
    "resJPEGLargeFileType",
    "resJPEGLargeFingerprint",
    "resJPEGLargeRes",
    "resJPEGMedWidth",
    "resJPEGMedHeight",
    "resJPEGMedFileType",
    "resJPEGMedFingerprint",
    "resJPEGMedRes",
    "resJPEGThumbWidth",
    "resJPEGThumbHeight",
    "resJPEGThumbFileType",
    "resJPEGThumbFingerprint",
    "resJPEGThumbRes",
    "resVidFullWidth",
    "resVidFullHeight",
    "resVidFullFileType",
    "resVidFullFingerprint",
    "resVidFullRes",
    "resVidMedWidth",
    "resVidMedHeight",
    "resVidMedFileType",
    "resVidMedFingerprint",
    "resVidMedRes",
    "resVidSmallWidth",
    "resVidSmallHeight",
    "resVidSmallFileType",
    "resVidSmallFingerprint",
    "resVidSmallRes",
    "resSidecarWidth",
    "resSidecarHeight",
    "resSidecarFileType",
    "resSidecarFingerprint",
    "resSidecarRes",
    "itemType",
    "dataClassType",
    "filenameEnc",
    "originalOrientation",
    "resOriginalWidth",
    "resOriginalHeight",
    "resOriginalFileType",
    "resOriginalFingerprint",
    "resOriginalRes",
    "resOriginalAltWidth",
    "resOriginalAltHeight",
    "resOriginalAltFileType",
    "resOriginalAltFingerprint",
    "resOriginalAltRes",
    "resOriginalVidComplWidth",
    "resOriginalVidComplHeight",
    "resOriginalVidComplFileType",
    "resOriginalVidComplFingerprint",
    "resOriginalVidComplRes",
    "isDeleted",
    "isExpunged",
    "dateExpunged",
    "remappedRef",
    "recordName",
    "recordType",
    "recordChangeTag",
    "masterRef",
    "adjustmentRenderType",
    "assetDate",
    "addedDate",
    "isFavorite",
    "isHidden",
    "orientation",
    "duration",
    "assetSubtype",
    "assetSubtypeV2",
    "assetHDRType",
    "burstFlags",
    "burstFlagsExt",
    "burstId",
    "captionEnc",
    "locationEnc",
    "locationV2Enc",
    "locationLatitude",
    "locationLongitude",
    "adjustmentType",
    "timeZoneOffset",
    "vidComplDurValue",
    "vidComplDurScale",
    "vidComplDispValue",
    "vidComplDispScale",
    "keywordsEnc",
    "extendedDescEnc",
    "adjustedMediaMetaDataEnc",
    "adjustmentSimpleDataEnc",
    "vidComplVisibilityState",
    "customRenderedValue",
    "containerId",
    "itemId",
    "position",
    "isKeyAsset",
];

/// `CheckIndexingState` of a zone (§6.2).
pub(crate) fn indexing(zone: &Value) -> Value {
    json!({"query": {"recordType": "CheckIndexingState"}, "zoneID": zone})
}

/// `CPLAlbumByPositionLive` of a zone (§6.3).
pub(crate) fn albums(zone: &Value) -> Value {
    json!({"query": {"recordType": "CPLAlbumByPositionLive"}, "zoneID": zone})
}

/// `HyperionIndexCountLookup` of an album (§6.4).
pub(crate) fn count(album: &Album, zone: &Value) -> Value {
    json!({"batch": [{
        "resultsLimit": 1,
        "query": {
            "filterBy": {
                "fieldName": "indexCountID",
                "fieldValue": {"type": "STRING_LIST", "value": [album.obj_type()]},
                "comparator": "IN"
            },
            "recordType": "HyperionIndexCountLookup"
        },
        "zoneWide": true,
        "zoneID": zone
    }]})
}

/// One listing page starting at `start_rank` (§6.5).
pub(crate) fn page(album: &Album, start_rank: u64, results_limit: usize, zone: &Value) -> Value {
    let mut filters = vec![
        json!({"fieldName": "startRank", "fieldValue": {"type": "INT64", "value": start_rank}, "comparator": "EQUALS"}),
        json!({"fieldName": "direction", "fieldValue": {"type": "STRING", "value": "ASCENDING"}, "comparator": "EQUALS"}),
    ];
    filters.extend(album.filters().iter().map(|(name, value)| {
        json!({"fieldName": name, "comparator": "EQUALS", "fieldValue": {"type": "STRING", "value": value}})
    }));
    json!({
        "query": {"filterBy": filters, "recordType": album.list_type()},
        "resultsLimit": results_limit,
        "desiredKeys": DESIRED_KEYS.as_slice(),
        "zoneID": zone
    })
}

/// `records/lookup` of records by name, with the keys of a listing page.
pub(crate) fn lookup(record_names: &[&str], zone: &Value) -> Value {
    let records: Vec<Value> = record_names
        .iter()
        .map(|n| json!({"recordName": n}))
        .collect();
    json!({
        "records": records,
        "desiredKeys": DESIRED_KEYS.as_slice(),
        "zoneID": zone
    })
}

/// `records/modify` moving a CPLAsset to Recently Deleted (§6.7).
pub(crate) fn delete(record_name: &str, change_tag: Option<&str>, zone: &Value) -> Value {
    json!({
        "atomic": true,
        "desiredKeys": ["isDeleted"],
        "operations": [{
            "operationType": "update",
            "record": {
                "fields": {"isDeleted": {"value": 1}},
                "recordChangeTag": change_tag,
                "recordName": record_name,
                "recordType": "CPLAsset"
            }
        }],
        "zoneID": zone
    })
}

/// `changes/database` (§6.9): everything without a token.
pub(crate) fn changes_database(token: Option<&str>) -> Value {
    match token {
        Some(t) => json!({"syncToken": t}),
        None => json!({}),
    }
}

/// `changes/zone` of one zone (§6.9); no token means the full history.
pub(crate) fn changes_zone(zone: &Value, token: Option<&str>, results_limit: usize) -> Value {
    let mut z = json!({"zoneID": zone, "resultsLimit": results_limit});
    if let Some(t) = token {
        z["syncToken"] = json!(t);
    }
    json!({"zones": [z]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::album::SmartFolder;

    fn zone() -> Value {
        json!({"zoneName": "PrimarySync", "ownerRecordName": "_abc", "zoneType": "REGULAR_CUSTOM_ZONE"})
    }

    #[test]
    fn page_body_matches_icloudpd() {
        let body = page(&Album::smart(SmartFolder::Videos), 200, 200, &zone());
        let filters = body["query"]["filterBy"].as_array().unwrap();
        assert_eq!(filters.len(), 3);
        assert_eq!(filters[0]["fieldName"], "startRank");
        assert_eq!(
            filters[0]["fieldValue"],
            json!({"type": "INT64", "value": 200})
        );
        assert_eq!(
            filters[1]["fieldValue"],
            json!({"type": "STRING", "value": "ASCENDING"})
        );
        assert_eq!(
            filters[2],
            json!({"fieldName": "smartAlbum", "comparator": "EQUALS",
                   "fieldValue": {"type": "STRING", "value": "VIDEO"}})
        );
        assert_eq!(
            body["query"]["recordType"],
            "CPLAssetAndMasterInSmartAlbumByAssetDate"
        );
        assert_eq!(body["resultsLimit"], 200);
        assert_eq!(body["zoneID"], zone());
        let keys = body["desiredKeys"].as_array().unwrap();
        assert_eq!(keys.len(), 101);
        assert_eq!(keys[0], "resJPEGFullWidth");
        assert_eq!(keys[100], "isKeyAsset");
    }

    #[test]
    fn count_and_delete_bodies() {
        let c = count(&Album::all(), &zone());
        assert_eq!(
            c["batch"][0]["query"]["filterBy"]["fieldValue"]["value"],
            json!(["CPLAssetByAssetDateWithoutHiddenOrDeleted"])
        );
        assert_eq!(c["batch"][0]["zoneWide"], true);
        let d = delete("F2A23C38", Some("49lh"), &zone());
        assert_eq!(
            d,
            json!({"atomic": true, "desiredKeys": ["isDeleted"],
                "operations": [{"operationType": "update", "record": {
                    "fields": {"isDeleted": {"value": 1}}, "recordChangeTag": "49lh",
                    "recordName": "F2A23C38", "recordType": "CPLAsset"}}],
                "zoneID": zone()})
        );
    }

    #[test]
    fn change_bodies_omit_missing_tokens() {
        assert_eq!(changes_database(None), json!({}));
        assert_eq!(changes_database(Some("t")), json!({"syncToken": "t"}));
        let z = changes_zone(&json!({"zoneName": "PrimarySync"}), None, 200);
        assert!(z["zones"][0].get("syncToken").is_none());
        let z = changes_zone(&json!({"zoneName": "PrimarySync"}), Some(""), 200);
        assert_eq!(z["zones"][0]["syncToken"], "");
    }
}
