//! Versions: movies, RAW pairs, edits, broken resources.

use serde_json::json;

use super::*;
use crate::asset::RawPolicy;

#[test]
fn videos_have_no_live_versions() {
    let a = decode(
        json!({"itemType": string("com.apple.quicktime-movie"), "filenameEnc": string("IMG_0002.MOV"),
               "resOriginalFileType": string("com.apple.quicktime-movie")}),
        json!({}),
    )
    .unwrap();
    assert_eq!(a.media_type(), Some(MediaType::Movie));
    assert!(!a.is_live_photo());
    let kinds: Vec<_> = a.versions().keys().copied().collect();
    assert_eq!(
        kinds,
        [
            VersionKind::Original,
            VersionKind::Medium,
            VersionKind::Thumb
        ]
    );
    assert_eq!(
        a.version(VersionKind::Medium).unwrap().checksum(),
        "AYek",
        "resVidMed"
    );
    assert_eq!(
        a.version(VersionKind::Thumb).unwrap().checksum(),
        "AU1s",
        "resVidSmall"
    );
}

#[test]
fn raw_pairs_align() {
    let raw_pair = json!({"resOriginalFileType": string("com.canon.cr2-raw-image"),
        "resOriginalAltRes": res(100, "ALT"), "resOriginalAltFileType": string("public.jpeg")});
    let base = decode(raw_pair, json!({})).unwrap();
    let orig = |a: &Asset| {
        a.version(VersionKind::Original)
            .unwrap()
            .checksum()
            .to_owned()
    };
    for (policy, expected) in [
        (RawPolicy::AsIs, "AY6c"),
        (RawPolicy::Original, "AY6c"),
        (RawPolicy::Alternative, "ALT"),
    ] {
        let mut a = base.clone();
        a.align_raw(policy);
        assert_eq!(orig(&a), expected, "{policy:?}");
        assert_eq!(
            a.version(VersionKind::Original).unwrap().kind(),
            VersionKind::Original
        );
    }
    let jpeg_first = json!({"resOriginalAltRes": res(100, "ALT"), "resOriginalAltFileType": string("com.sony.arw-raw-image")});
    let mut a = decode(jpeg_first, json!({})).unwrap();
    a.align_raw(RawPolicy::Original);
    assert_eq!(orig(&a), "ALT");
    assert_eq!(
        a.version(VersionKind::Alternative).unwrap().file_type(),
        "public.jpeg"
    );
}

#[test]
fn edits_on_the_asset_win() {
    let a = decode(
        json!({}),
        json!({"adjustmentType": string("com.apple.photo"),
               "resJPEGFullRes": res(233944, "FULL"), "resJPEGFullFileType": string("public.jpeg"),
               "resJPEGFullWidth": {"value": 750, "type": "INT64"},
               "resJPEGThumbRes": res(9, "ATHUMB"), "resJPEGThumbFileType": string("public.jpeg")}),
    )
    .unwrap();
    assert_eq!(a.adjustment_type(), Some("com.apple.photo"));
    let adj = a.version(VersionKind::Adjusted).unwrap();
    assert_eq!(
        (adj.checksum(), adj.width(), adj.height()),
        ("FULL", Some(750), None)
    );
    assert_eq!(a.version(VersionKind::Thumb).unwrap().checksum(), "ATHUMB");
    assert_eq!(a.version(VersionKind::Medium).unwrap().checksum(), "AW7t");
}

#[test]
fn broken_resources_are_errors_for_the_asset() {
    let mut no_url = res(5, "X");
    no_url["value"]
        .as_object_mut()
        .unwrap()
        .remove("downloadURL");
    let e = decode_err(json!({"resJPEGMedRes": no_url}), json!({}));
    assert_eq!((e.field(), e.detail()), ("resJPEGMedRes", "no downloadURL"));
    let e = decode_err(json!({"resJPEGMedFileType": null}), json!({}));
    assert_eq!(
        (e.record_type(), e.field()),
        ("CPLMaster", "resJPEGMedFileType")
    );
    let e = decode_err(json!({"resOriginalRes": null}), json!({}));
    assert_eq!(e.field(), "resOriginalRes");
    let e = decode_err(json!({}), json!({"resJPEGFullRes": res(1, "F")}));
    assert_eq!(
        (e.record_type(), e.field()),
        ("CPLAsset", "resJPEGFullFileType")
    );
    // Explicit nulls are absent fields, not errors.
    let a = decode(
        json!({"resOriginalAltRes": {"value": null, "type": "ASSETID"}}),
        json!({"isDeleted": {"value": null}, "captionEnc": {"value": "QQ"}}),
    );
    let a = a.unwrap();
    assert!(!a.is_deleted() && a.version(VersionKind::Alternative).is_none());
    assert_eq!(a.caption(), None, "undecodable metadata is left out");
}
