//! Sidecar bytes against icloudpd 1.32's (cli.md §9) and the cases of its
//! `tests/test_xmp_sidecar.py`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use time::macros::datetime;

use super::decode::{self, PyScalar, py_float};
use super::*;

const TOOLKIT: &str = "icloudpd 0.0.1+abcdefgh";

// Values of the stub record of test_xmp_sidecar.py.
const CAPTION: &str = "VGl0bGUgSGVyZQ==";
const DESCRIPTION: &str = "Q2FwdGlvbiBIZXJl";
const ADJUSTMENT_JSON: &str = "PU67DoIwFP2XMzemBRKxo5Mummiig3G4QJEaCqS9sBD+XRDjdnLeI5xhKogJeoSjwMYfjH1VDB3LKBE/7m4LrqATGUcCrbemYWLbNtDpJFC23hHfjA9fSgkMKz42ZbsUZ72ti1PvMuOhESX7nYIAdd0/g61SG7lRqZyFkFfG0cUMdhWlQFcTLzOz01F+vmKepeLdB3bzlwD9eE4f";
const ADJUSTMENT_BPLIST: &str = "YnBsaXN0MDDRAQJac2xvd01vdGlvbtIDBAUWV3JlZ2lvbnNUcmF0ZaEG0QcIWXRpbWVSYW5nZdIJCgsUVXN0YXJ0WGR1cmF0aW9u1AwNDg8QERITVWZsYWdzVXZhbHVlWXRpbWVzY2FsZVVlcG9jaBABER8cEQJYEADUDA0ODxAVEhMRBAQiPoAAAAgLFhsjKCotNzxCS1RaYGpwcnV4eoOGAAAAAAAAAQEAAAAAAAAAFwAAAAAAAAAAAAAAAAAAAIs=";
/// The start of the CRDT payload of the test (a drawing); only its magic matters.
const ADJUSTMENT_CRDT: &str = "Y3JkdAYAAAAaFSoTEhECnYDNABO9TpuITgZaa+E95CKEARoLCgEAEgYSBAIBAgEiYCJeCgIAARIfCh0KAggBEhdCFSoTEhECgrz/kYHVT/ad17NllB+B7xI3CjUKBAgCEAISLXIrCgMAAgMSBwjgma/0qQQSAigAEhdCFSoTEhECaEf6ANgrS7mCjBkrdfAiPioTEhECiV4RTbgNT7O2wBIqFvHhkCKiCBoLCgEAEgYSBAIBAgEi";
const KEYWORDS: &str =
    "YnBsaXN0MDChAVxzb21lIGtleXdvcmQICgAAAAAAAAEBAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAX";
const LOCATION: &str = "YnBsaXN0MDDYAQIDBAUGBwgJCQoLCQwNCVZjb3Vyc2VVc3BlZWRTYWx0U2xvbld2ZXJ0QWNjU2xhdFl0aW1lc3RhbXBXaG9yekFjYyMAAAAAAAAAACNAdG9H6P0fpCNAWL2oZnRhiiNAMtKmTC+DezMAAAAAAAAAAAgZICYqLjY6RExVXmdwAAAAAAAAAQEAAAAAAAAADgAAAAAAAAAAAAAAAAAAAHk=";
/// An XML `locationEnc` from a real photo (icloudpd issue 1059).
const LOCATION_XML: &str = "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiIHN0YW5kYWxvbmU9InllcyI/Pgo8IURPQ1RZUEUgcGxpc3QgUFVCTElDICItLy9BcHBsZS8vRFREIFBMSVNUIDEuMC8vRU4iICJodHRwOi8vd3d3LmFwcGxlLmNvbS9EVERzL1Byb3BlcnR5TGlzdC0xLjAuZHRkIj4KPHBsaXN0IHZlcnNpb249IjEuMCI+Cgk8ZGljdD4KCQk8a2V5PnZlcnRBY2M8L2tleT4KCQk8cmVhbD4wLjA8L3JlYWw+CgoJCTxrZXk+YWx0PC9rZXk+CgkJPHJlYWw+MC4wPC9yZWFsPgoKCQk8a2V5Pmxvbjwva2V5PgoJCTxyZWFsPi0xMjIuODgxNTY2NjY2NjY2NjY8L3JlYWw+CgoJCTxrZXk+bGF0PC9rZXk+CgkJPHJlYWw+NTAuMDk0MTgzMzMzMzMzMzM8L3JlYWw+CgoJCTxrZXk+dGltZXN0YW1wPC9rZXk+CgkJPGRhdGU+MjAyMC0wMi0yOVQxODozNTo0OVo8L2RhdGU+CgoJPC9kaWN0Pgo8L3BsaXN0Pg==";

fn b64(text: &str) -> Vec<u8> {
    STANDARD.decode(text).unwrap()
}

fn utf8(text: &str) -> String {
    String::from_utf8(b64(text)).unwrap()
}

fn created(ms: i64, offset: i64) -> Option<OffsetDateTime> {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
    decode::in_zone(at, offset)
}

/// The fields of the stub record of test_xmp_sidecar.py (`assetSubtypeV2` = 2, no flags).
fn stub() -> XmpFields {
    XmpFields {
        title: Some(utf8(CAPTION)),
        description: Some(utf8(DESCRIPTION)),
        keywords: decode::keywords(&b64(KEYWORDS)),
        location: decode::location(&b64(LOCATION)).unwrap(),
        screenshot: false,
        orientation: decode::orientation(&b64(ADJUSTMENT_JSON)),
        created: created(1_532_951_050_176, 0),
        rating: rating(false, false, false),
    }
}

#[test]
fn img_7409_is_the_818_bytes_of_the_spec() {
    let fields = XmpFields {
        location: decode::location(&b64(LOCATION)).unwrap(),
        created: created(1_533_021_744_816, 25_200),
        ..XmpFields::default()
    };
    let expected = concat!(
        "<?xml version='1.0' encoding='utf-8'?>\n",
        r#"<x:xml_doc xmlns:x="adobe:ns:meta/" x:xmptk="icloudpd 0.0.1+abcdefgh">"#,
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">"#,
        r#"<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/">"#,
        "<exif:GPSAltitude>326.9550561797753</exif:GPSAltitude>",
        "<exif:GPSLatitude>18.82285</exif:GPSLatitude>",
        "<exif:GPSLongitude>98.96340333333333</exif:GPSLongitude>",
        "<exif:GPSTimeStamp>2001-01-01T00:00:00</exif:GPSTimeStamp></rdf:Description>",
        r#"<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">"#,
        "<photoshop:DateCreated>2018-07-31T14:22:24+0700</photoshop:DateCreated>",
        "</rdf:Description>",
        r#"<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">"#,
        "<xmp:CreateDate>2018-07-31T14:22:24+0700</xmp:CreateDate></rdf:Description>",
        "</rdf:RDF></x:xml_doc>"
    );
    let xml = render_fields(&fields, TOOLKIT);
    assert_eq!(xml, expected);
    assert_eq!(xml.len(), 818);
}

/// icloudpd 1.32.3's sidecar for the stub record with `assetSubtypeV2` = 3 and `isFavorite` = 1.
const FULL_FEATURED: &str = concat!(
    "<?xml version='1.0' encoding='utf-8'?>\n",
    r#"<x:xml_doc xmlns:x="adobe:ns:meta/" x:xmptk="icloudpd 0.0.1+abcdefgh">"#,
    r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">"#,
    r#"<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">"#,
    "<dc:title>Title Here</dc:title><dc:description>Caption Here</dc:description>",
    "<dc:subject><rdf:Seq><rdf:li>some keyword</rdf:li></rdf:Seq></dc:subject>",
    "</rdf:Description>",
    r#"<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/">"#,
    "<exif:GPSAltitude>326.9550561797753</exif:GPSAltitude>",
    "<exif:GPSLatitude>18.82285</exif:GPSLatitude>",
    "<exif:GPSLongitude>98.96340333333333</exif:GPSLongitude>",
    "<exif:GPSTimeStamp>2001-01-01T00:00:00</exif:GPSTimeStamp></rdf:Description>",
    r#"<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">"#,
    "<Iptc4xmpExt:DigitalSourceType>screenCapture</Iptc4xmpExt:DigitalSourceType>",
    "</rdf:Description>",
    r#"<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">"#,
    "<photoshop:DateCreated>2018-07-30T11:44:10+0000</photoshop:DateCreated>",
    "</rdf:Description>",
    r#"<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/">"#,
    "<tiff:Orientation>8</tiff:Orientation><tiff:Make>Screenshot</tiff:Make>",
    "</rdf:Description>",
    r#"<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">"#,
    "<xmp:CreateDate>2018-07-30T11:44:10+0000</xmp:CreateDate><xmp:Rating>5</xmp:Rating>",
    "</rdf:Description></rdf:RDF></x:xml_doc>"
);

#[test]
fn full_featured_record_matches_python() {
    let fields = XmpFields {
        screenshot: true,
        rating: rating(false, false, true),
        ..stub()
    };
    let xml = render_fields(&fields, TOOLKIT);
    assert_eq!(xml, FULL_FEATURED);
    assert_eq!(xml.len(), 1435);
}

#[test]
fn render_reads_the_asset_record() {
    use serde_json::json;
    let bytes = |v: &str| json!({"value": v, "type": "ENCRYPTED_BYTES"});
    let int = |v: i64| json!({"value": v, "type": "INT64"});
    let master = json!({"recordName": "AY6c", "recordType": "CPLMaster", "fields": {
        "filenameEnc": bytes("SU1HXzc0MDkuSlBH"),
        "itemType": {"value": "public.jpeg", "type": "STRING"},
        "resOriginalRes": {"type": "ASSETID", "value": {"fileChecksum": "AY6c", "size": 1,
            "downloadURL": "https://example.invalid/a"}},
        "resOriginalFileType": {"value": "public.jpeg", "type": "STRING"},
    }});
    let asset = json!({"recordName": "F2A2", "recordType": "CPLAsset", "fields": {
        "masterRef": {"value": {"recordName": "AY6c"}, "type": "REFERENCE"},
        "captionEnc": bytes(CAPTION),
        "extendedDescEnc": bytes(DESCRIPTION),
        "adjustmentSimpleDataEnc": bytes(ADJUSTMENT_JSON),
        "assetSubtypeV2": int(3),
        "keywordsEnc": bytes(KEYWORDS),
        "locationEnc": bytes(LOCATION),
        "assetDate": {"value": 1_532_951_050_176i64, "type": "TIMESTAMP"},
        "isHidden": int(0),
        "isDeleted": int(0),
        "isFavorite": int(1),
    }});
    let asset = Asset::from_records(master, asset, "PrimarySync").unwrap();
    assert_eq!(render(&asset, TOOLKIT), FULL_FEATURED);
}

#[test]
fn stub_record_decodes_like_build_metadata() {
    let fields = stub();
    assert_eq!(fields.title.as_deref(), Some("Title Here"));
    assert_eq!(fields.description.as_deref(), Some("Caption Here"));
    assert_eq!(fields.orientation, Some(PyScalar::Int(8)));
    assert_eq!(fields.keywords, Some(vec!["some keyword".to_owned()]));
    let loc = &fields.location;
    assert_eq!(loc.altitude, Some(PyScalar::Float(326.955_056_179_775_3)));
    assert_eq!(loc.latitude, Some(PyScalar::Float(18.82285)));
    assert_eq!(loc.longitude, Some(PyScalar::Float(98.963_403_333_333_33)));
    assert_eq!(loc.speed, Some(PyScalar::Float(0.0)));
    assert_eq!(loc.timestamp, Some(datetime!(2001-01-01 00:00:00)));
    assert_eq!(fields.created, Some(datetime!(2018-07-30 11:44:10 +00:00)));
    assert_eq!(fields.rating, None);
    // Speed 0.0 is falsy: no element.
    assert!(!render_fields(&fields, TOOLKIT).contains("GPSSpeed"));
}

#[test]
fn bplist_and_crdt_adjustments_have_no_orientation() {
    assert_eq!(decode::orientation(&b64(ADJUSTMENT_BPLIST)), None);
    assert_eq!(decode::orientation(&b64(ADJUSTMENT_CRDT)), None);
}

#[test]
fn screenshot_sets_make_and_digital_source_type() {
    let xml = render_fields(
        &XmpFields {
            screenshot: true,
            ..stub()
        },
        TOOLKIT,
    );
    assert!(xml.contains("<tiff:Make>Screenshot</tiff:Make>"));
    assert!(
        xml.contains(
            "<Iptc4xmpExt:DigitalSourceType>screenCapture</Iptc4xmpExt:DigitalSourceType>"
        )
    );
    assert!(!render_fields(&stub(), TOOLKIT).contains("Screenshot"));
}

#[test]
fn rating_follows_favorite_hidden_and_deleted() {
    assert_eq!(rating(false, false, true), Some(5));
    assert_eq!(rating(false, false, false), None);
    assert_eq!(rating(false, true, false), Some(-1));
    assert_eq!(rating(true, false, false), Some(-1));
    assert_eq!(rating(true, false, true), Some(-1));
    let xml = render_fields(
        &XmpFields {
            rating: Some(-1),
            ..stub()
        },
        TOOLKIT,
    );
    assert!(xml.contains("<xmp:Rating>-1</xmp:Rating>"));
}

#[test]
fn xml_plist_location() {
    let loc = decode::location(&b64(LOCATION_XML)).unwrap();
    assert_eq!(loc.altitude, Some(PyScalar::Float(0.0)));
    assert_eq!(
        loc.longitude,
        Some(PyScalar::Float(-122.881_566_666_666_66))
    );
    assert_eq!(loc.latitude, Some(PyScalar::Float(50.094_183_333_333_33)));
    assert_eq!(loc.timestamp, Some(datetime!(2020-02-29 18:35:49)));
    let fields = XmpFields {
        location: loc,
        ..XmpFields::default()
    };
    let xml = render_fields(&fields, TOOLKIT);
    assert!(xml.contains(concat!(
        r#"<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/">"#,
        "<exif:GPSLatitude>50.09418333333333</exif:GPSLatitude>",
        "<exif:GPSLongitude>-122.88156666666666</exif:GPSLongitude>",
        "<exif:GPSTimeStamp>2020-02-29T18:35:49</exif:GPSTimeStamp></rdf:Description>"
    )));
}

#[test]
fn undecodable_fields_are_left_out() {
    // Empty or corrupt payloads (Python crashes on these; newer icloudpd returns None).
    for bad in [
        &b""[..],
        b"!!!not-base64!!!",
        b"bplist00\x00\x01",
        b"<plist>",
    ] {
        assert_eq!(decode::keywords(bad), None);
        assert_eq!(decode::location(bad), None);
        assert_eq!(decode::orientation(bad), None);
    }
    // A location plist that is an array, keywords that are not all strings.
    let array = br#"<?xml version="1.0"?><plist><array><string>not</string></array></plist>"#;
    assert_eq!(decode::location(array), None);
    let mixed = br#"<plist><array><string>a</string><integer>1</integer></array></plist>"#;
    assert_eq!(decode::keywords(mixed), None);
    // Deflated data that is not JSON, and JSON without metadata.orientation.
    let not_json = miniz_oxide::deflate::compress_to_vec(b"hello", 6);
    assert_eq!(decode::orientation(&not_json), None);
    let no_orientation = miniz_oxide::deflate::compress_to_vec(br#"{"metadata":{}}"#, 6);
    assert_eq!(decode::orientation(&no_orientation), None);
    // Offsets of a day or more are refused by Python's timezone().
    assert_eq!(created(0, 86_400), None);
    assert_eq!(
        created(0, -86_399).map(|c| c.offset().whole_seconds()),
        Some(-86_399)
    );
}

#[test]
fn empty_record_has_an_empty_rdf_element_and_attributes_are_escaped() {
    let xml = render_fields(&XmpFields::default(), "icloudpd \"q\" & <a>\t\n");
    assert_eq!(
        xml,
        concat!(
            "<?xml version='1.0' encoding='utf-8'?>\n",
            r#"<x:xml_doc xmlns:x="adobe:ns:meta/" x:xmptk="icloudpd &quot;q&quot; &amp; &lt;a&gt;&#09;&#10;">"#,
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" /></x:xml_doc>"#
        )
    );
}

#[test]
fn text_escaping_empty_keywords_integers_and_odd_offsets_match_python() {
    let keywords = br#"<?xml version="1.0"?><plist><array><string></string><string>x&amp;y</string></array></plist>"#;
    let fields = XmpFields {
        title: Some("A&B <c> \"d\" é\n".to_owned()),
        keywords: decode::keywords(keywords),
        location: Location {
            altitude: Some(PyScalar::Int(12)),
            latitude: Some(PyScalar::Float(1e16)),
            longitude: Some(PyScalar::Float(1e-5)),
            speed: Some(PyScalar::Float(3.0)),
            timestamp: None,
        },
        created: created(-1, -3601),
        rating: rating(true, false, true),
        ..XmpFields::default()
    };
    // Output of icloudpd 1.32.3's generate_xml for the same record.
    let expected = concat!(
        "<?xml version='1.0' encoding='utf-8'?>\n",
        r#"<x:xml_doc xmlns:x="adobe:ns:meta/" x:xmptk="icloudpd">"#,
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">"#,
        r#"<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">"#,
        "<dc:title>A&amp;B &lt;c&gt; \"d\" é\n</dc:title>",
        "<dc:subject><rdf:Seq><rdf:li /><rdf:li>x&amp;y</rdf:li></rdf:Seq></dc:subject>",
        "</rdf:Description>",
        r#"<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/">"#,
        "<exif:GPSAltitude>12</exif:GPSAltitude><exif:GPSLatitude>1e+16</exif:GPSLatitude>",
        "<exif:GPSLongitude>1e-05</exif:GPSLongitude><exif:GPSSpeed>3.0</exif:GPSSpeed>",
        "</rdf:Description>",
        r#"<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">"#,
        "<photoshop:DateCreated>1969-12-31T22:59:58-010001</photoshop:DateCreated>",
        "</rdf:Description>",
        r#"<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">"#,
        "<xmp:CreateDate>1969-12-31T22:59:58-010001</xmp:CreateDate>",
        "<xmp:Rating>-1</xmp:Rating></rdf:Description></rdf:RDF></x:xml_doc>"
    );
    assert_eq!(render_fields(&fields, "icloudpd"), expected);
}

#[test]
fn characters_xml_forbids_are_left_out_of_sidecars() {
    // Found by fuzzing (fuzz/fuzz_targets/enc_fields.rs): a NUL in a GPS string value of
    // `locationEnc` made a sidecar no XML parser reads. ElementTree writes such characters
    // as they are, and icloudpd then never replaces the file ("due to parser error").
    let fields = XmpFields {
        title: Some("a\u{0}b\u{1B}c\td\u{FFFE}".to_owned()),
        keywords: Some(vec!["\u{7}".to_owned()]),
        location: Location {
            altitude: Some(PyScalar::Str("1\u{0}2".to_owned())),
            ..Location::default()
        },
        ..XmpFields::default()
    };
    let xml = render_fields(&fields, "icloudpd\u{C}");
    assert!(xml.contains(r#"x:xmptk="icloudpd""#), "{xml}");
    assert!(xml.contains("<dc:title>abc\td</dc:title>"), "{xml}");
    assert!(xml.contains("<rdf:li></rdf:li>"), "{xml}");
    assert!(
        xml.contains("<exif:GPSAltitude>12</exif:GPSAltitude>"),
        "{xml}"
    );
    assert_eq!(check_existing(xml.as_bytes()), Existing::Replace);
}

#[test]
fn floats_print_like_python_repr() {
    let cases = [
        (326.0, "326.0"),
        (326.955_056_179_775_3, "326.9550561797753"),
        (-122.881_566_666_666_66, "-122.88156666666666"),
        (0.1, "0.1"),
        (0.0001, "0.0001"),
        (1e-5, "1e-05"),
        (1.5e-7, "1.5e-07"),
        (1e16, "1e+16"),
        (1.5e16, "1.5e+16"),
        (9_999_999_999_999_998.0, "9999999999999998.0"),
        (123_456_789_012_345_678.0, "1.2345678901234568e+17"),
        (1e22, "1e+22"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (f64::NAN, "nan"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ];
    for (value, expected) in cases {
        assert_eq!(py_float(value), expected, "{value:e}");
    }
    assert_eq!(PyScalar::Bool(true).to_string(), "True");
    assert!(!PyScalar::Str(String::new()).is_truthy());
    assert!(!PyScalar::Int(0).is_truthy());
}

#[test]
fn existing_sidecars() {
    assert_eq!(check_existing(b""), Existing::Replace);
    let ours = render_fields(&stub(), TOOLKIT);
    assert_eq!(check_existing(ours.as_bytes()), Existing::Replace);
    // Any prefix bound to adobe:ns:meta/ counts; the root element's name does not matter.
    let other_prefix = br#"<m:xmpmeta xmlns:m="adobe:ns:meta/" m:xmptk="icloudpd 1.0"/>"#;
    assert_eq!(check_existing(other_prefix), Existing::Replace);

    let foreign = br#"<?xml version="1.0"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 5.6-c140 &amp; co">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>
</x:xmpmeta>
"#;
    let kept = Existing::Keep(KeptSidecar::OtherTool(Some(
        "Adobe XMP Core 5.6-c140 & co".to_owned(),
    )));
    assert_eq!(check_existing(foreign), kept);
    // No namespaced xmptk: Python prints `None`; an empty one prints nothing.
    let plain = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/" xmptk="icloudpd"></x:xmpmeta>"#;
    assert_eq!(
        check_existing(plain),
        Existing::Keep(KeptSidecar::OtherTool(None))
    );
    let empty = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk=""/>"#;
    assert_eq!(
        check_existing(empty),
        Existing::Keep(KeptSidecar::OtherTool(Some(String::new())))
    );
    // A UTF-8 byte-order mark, comments and a doctype before the root are fine.
    let bom = b"\xEF\xBB\xBF<?xml version='1.0'?><!-- c --><!DOCTYPE x>\n<x:a xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"icloudpd\"/>\n";
    assert_eq!(check_existing(bom), Existing::Replace);
    // Only the root element's attribute counts.
    let nested = br#"<a><x:b xmlns:x="adobe:ns:meta/" x:xmptk="icloudpd"/></a>"#;
    assert_eq!(
        check_existing(nested),
        Existing::Keep(KeptSidecar::OtherTool(None))
    );
}

#[test]
fn unparsable_sidecars_are_kept() {
    let cases: [&[u8]; 9] = [
        b"not xml at all",
        b"   \n",
        b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"icloudpd\">",
        b"<x:xmpmeta x:xmptk=\"icloudpd\"/>",
        b"<a></b>",
        b"<a/><b/>",
        b"<a/>junk",
        b"<a x=\"1/>",
        b"\xff\xfe<\x00a\x00",
    ];
    for case in cases {
        match check_existing(case) {
            Existing::Keep(why) => assert!(matches!(why, KeptSidecar::Unreadable(_)), "{why:?}"),
            Existing::Replace => panic!("replaced {:?}", String::from_utf8_lossy(case)),
        }
    }
}
