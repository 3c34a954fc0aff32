//! Decoding of hand-written records in the shapes of Apple's `records/query` answers:
//! assets (filenames and item types here, versions in `versions`), albums, counts and zones
//! (in `records`).

mod records;
mod versions;

use serde_json::{Value, json};

use super::*;

const MASTER: &str = "AY6c+BsE0jjaXx9tmVGJM1D2VcEO";

fn res(size: u64, checksum: &str) -> Value {
    json!({"value": {"fileChecksum": checksum, "size": size, "wrappingKey": "Aj37==",
        "referenceChecksum": "AfUM", "downloadURL": format!("https://cvws.icloud-content.com/B/{checksum}/${{f}}?o=sig&e=1")},
        "type": "ASSETID"})
}

fn string(v: &str) -> Value {
    json!({"value": v, "type": "STRING"})
}

/// A live JPEG master (`IMG_7409.JPG`) as in the listing cassettes.
fn master(extra: Value) -> Record {
    let mut fields = json!({
        "filenameEnc": {"value": "SU1HXzc0MDkuSlBH", "type": "ENCRYPTED_BYTES"},
        "itemType": string("public.jpeg"),
        "resOriginalRes": res(1884695, "AY6c"), "resOriginalFileType": string("public.jpeg"),
        "resOriginalWidth": {"value": 4032, "type": "INT64"}, "resOriginalHeight": {"value": 3024, "type": "INT64"},
        "resJPEGMedRes": res(664594, "AW7t"), "resJPEGMedFileType": string("public.jpeg"),
        "resJPEGThumbRes": res(66936, "AUv2"), "resJPEGThumbFileType": string("public.jpeg"),
        "resOriginalVidComplRes": res(3294075, "AWek"), "resOriginalVidComplFileType": string("com.apple.quicktime-movie"),
        "resVidMedRes": res(1807733, "AYek"), "resVidMedFileType": string("com.apple.quicktime-movie"),
        "resVidSmallRes": res(503598, "AU1s"), "resVidSmallFileType": string("com.apple.quicktime-movie"),
    });
    merge(&mut fields, extra);
    Record::new(
        json!({"recordName": MASTER, "recordType": "CPLMaster", "recordChangeTag": "49lb",
        "fields": fields, "pluginFields": {}, "deleted": false,
        "zoneID": {"zoneName": "PrimarySync", "ownerRecordName": "_bfc6"}}),
    )
    .unwrap()
}

fn asset_record(extra: Value) -> Record {
    let mut fields = json!({
        "masterRef": {"value": {"recordName": MASTER, "action": "DELETE_SELF",
            "zoneID": {"zoneName": "PrimarySync"}}, "type": "REFERENCE"},
        "assetDate": {"value": 1533021744816i64, "type": "TIMESTAMP"},
        "addedDate": {"value": 1533021746602i64, "type": "TIMESTAMP"},
        "timeZoneOffset": {"value": 25200, "type": "INT64"},
        "isFavorite": {"value": 1, "type": "INT64"}, "isHidden": {"value": 0, "type": "INT64"},
        "assetSubtypeV2": {"value": 2, "type": "INT64"},
        "captionEnc": {"value": "U3VubnkgZGF5", "type": "ENCRYPTED_BYTES"},
        "locationEnc": {"value": "YnBsaXN0MDA=", "type": "ENCRYPTED_BYTES"},
    });
    merge(&mut fields, extra);
    Record::new(
        json!({"recordName": "F2A23C38-0020-42FE-A273-2923ADE3CAED", "recordType": "CPLAsset",
        "recordChangeTag": "49lh", "fields": fields, "deleted": false}),
    )
    .unwrap()
}

/// Sets (or with `null`, removes) fields.
fn merge(fields: &mut Value, extra: Value) {
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            fields.as_object_mut().unwrap().remove(k);
        } else {
            fields[k] = v.clone();
        }
    }
}

fn decode(master_extra: Value, asset_extra: Value) -> Result<Asset, DecodeError> {
    asset(
        master(master_extra),
        asset_record(asset_extra),
        "PrimarySync",
    )
}

fn decode_err(master_extra: Value, asset_extra: Value) -> DecodeError {
    decode(master_extra, asset_extra).unwrap_err()
}
#[test]
fn live_photo_decodes_fully() {
    let a = decode(json!({}), json!({})).unwrap();
    assert_eq!(a.id().as_str(), "F2A23C38-0020-42FE-A273-2923ADE3CAED");
    assert_eq!(
        (a.master_id(), a.record_change_tag()),
        (MASTER, Some("49lh"))
    );
    assert_eq!(
        (a.filename(), a.filename_is_fallback()),
        ("IMG_7409.JPG", false)
    );
    assert_eq!(a.media_type(), Some(MediaType::Image));
    assert!(a.is_live_photo());
    let kinds: Vec<_> = a.versions().keys().copied().collect();
    use VersionKind::*;
    assert_eq!(
        kinds,
        [Original, Medium, Thumb, LiveOriginal, LiveMedium, LiveThumb]
    );
    let o = a.version(Original).unwrap();
    assert_eq!(
        (o.size(), o.file_type(), o.checksum()),
        (1884695, "public.jpeg", "AY6c")
    );
    assert_eq!((o.width(), o.height()), (Some(4032), Some(3024)));
    assert!(o.url().ends_with("?o=sig&e=1"));
    assert!(
        !format!("{o:?}").contains("sig"),
        "Debug hides the signature"
    );
    let live = a.version(LiveOriginal).unwrap();
    assert_eq!(live.file_type(), "com.apple.quicktime-movie");
    assert_eq!(a.asset_date().unwrap().unix_timestamp(), 1533021744);
    assert_eq!(a.added_date().unwrap().unix_timestamp(), 1533021746);
    assert_eq!(a.time_zone_offset(), Some(25200));
    assert!(a.is_favorite() && !a.is_hidden() && !a.is_deleted());
    assert_eq!(a.asset_subtype_v2(), Some(2));
    assert_eq!(a.caption(), Some("Sunny day"));
    assert_eq!(a.location_plist(), Some(&b"bplist00"[..]));
    assert_eq!(a.zone(), "PrimarySync");
    let raw: Value = serde_json::from_str(&a.raw_records()).unwrap();
    assert_eq!(raw["master_record"]["recordName"], MASTER);
    assert_eq!(raw["asset_record"]["recordChangeTag"], "49lh");
}

#[test]
fn filename_encodings() {
    let name = |enc: Value| {
        decode(json!({"filenameEnc": enc}), json!({})).map(|a| a.filename().to_owned())
    };
    assert_eq!(name(string("IMG_0001.HEIC")).unwrap(), "IMG_0001.HEIC");
    // Python's b64decode skips characters outside the alphabet.
    assert_eq!(
        name(json!({"value": "SU1H\nXzc0MDkuSlBH", "type": "ENCRYPTED_BYTES"})).unwrap(),
        "IMG_7409.JPG"
    );
    // Python also ignores non-zero bits after the last full byte.
    assert_eq!(
        name(json!({"value": "SU1HXzc0MDkuSlBFRx==", "type": "ENCRYPTED_BYTES"})).unwrap(),
        "IMG_7409.JPEG"
    );
    let bad = |enc: Value| name(enc).unwrap_err();
    let e = bad(json!({"value": "SU1HXzc0MDkuSlB", "type": "ENCRYPTED_BYTES"}));
    assert_eq!((e.field(), e.detail()), ("filenameEnc", "invalid base64"));
    assert_eq!(e.record_name(), MASTER);
    assert!(e.raw_records().unwrap().contains("F2A23C38"));
    let e = bad(json!({"value": "//4=", "type": "ENCRYPTED_BYTES"}));
    assert!(e.detail().contains("UTF-8"), "{e}");
    let e = bad(json!({"value": "SU1H", "type": "INT64"}));
    assert!(e.detail().contains("INT64"), "{e}");
    let e = bad(json!({"value": 5, "type": "STRING"}));
    assert_eq!(e.field(), "filenameEnc");
}

#[test]
fn every_resource_prefix_has_field_names() {
    for media in [None, Some(MediaType::Image), Some(MediaType::Movie)] {
        for kind in VersionKind::ALL {
            if let Some(prefix) = kind.field_prefix(media) {
                let names = FieldNames::of(prefix);
                assert_eq!(names.res, format!("{prefix}Res"));
                assert_eq!(names.file_type, format!("{prefix}FileType"));
                assert_eq!(names.width, format!("{prefix}Width"));
                assert_eq!(names.height, format!("{prefix}Height"));
            }
        }
    }
}

#[test]
fn missing_filename_falls_back_to_the_id() {
    let a = decode(json!({"filenameEnc": null}), json!({})).unwrap();
    assert_eq!(
        (a.filename(), a.filename_is_fallback()),
        ("AY6c_BsE0jja.JPG", true)
    );
    let a = decode(json!({"filenameEnc": {"value": null, "type": "ENCRYPTED_BYTES"}, "itemType": string("public.mpeg-4")}), json!({})).unwrap();
    assert_eq!(a.filename(), "AY6c_BsE0jja.unknown");
    assert_eq!(
        a.media_type(),
        Some(MediaType::Movie),
        "unknown UTI, name not an image"
    );
    let a = decode(json!({"filenameEnc": string("")}), json!({})).unwrap();
    assert!(a.filename_is_fallback(), "an empty name counts as missing");
}

#[test]
fn item_types() {
    let media = |uti: Value, name: &str| {
        decode(
            json!({"itemType": uti, "filenameEnc": string(name)}),
            json!({}),
        )
        .unwrap()
        .media_type()
    };
    assert_eq!(media(Value::Null, "a.JPG"), None);
    assert_eq!(
        media(json!({"type": "STRING"}), "a.JPG"),
        None,
        "itemType without value"
    );
    assert_eq!(
        media(string("public.heic"), "a.mov"),
        Some(MediaType::Image)
    );
    assert_eq!(
        media(string("com.apple.quicktime-movie"), "a.jpg"),
        Some(MediaType::Movie)
    );
    assert_eq!(
        media(string("public.tiff"), "scan.JPEG"),
        Some(MediaType::Image)
    );
    assert_eq!(
        media(string("com.compuserve.gif"), "anim.gif"),
        Some(MediaType::Movie)
    );
    assert_eq!(
        uti("com.nikon.nrw-raw-image"),
        Some((MediaType::Image, "NRF"))
    );
    assert_eq!(
        uti("com.olympus.or-raw-image"),
        Some((MediaType::Image, "ORF"))
    );
    assert_eq!(uti("public.mpeg-4"), None);
    let a = decode(json!({"itemType": null, "filenameEnc": null}), json!({})).unwrap();
    assert_eq!(a.filename(), "AY6c_BsE0jja.unknown");
    assert!(a.is_live_photo(), "unknown is looked up like an image");
}
