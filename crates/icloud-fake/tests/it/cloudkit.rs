//! CloudKit: zones, indexing state, albums, auth, account states, records/modify.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use icloud_fake::{FakeAlbum, FakeAsset, FakeLibrary, SharedPlacement};
use serde_json::{Value, json};

use crate::client::Client;
use crate::paging::{count, list_all, list_body, of_type, smart};
use crate::{ID, PW, ck_client, photos_fake, photos_fake_with};

const SHARED_A: &str = "SharedSync-00000000-1111-2222-3333-444444444444";
const SHARED_B: &str = "SharedSync-AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE";

fn zone_names(resp: &Value) -> Vec<String> {
    resp["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .map(|z| {
            z["zoneID"]["zoneName"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn indexing(c: &mut Client, db: &str, zone: Value) -> Value {
    let resp = c.ck(
        db,
        "records/query",
        &json!({"query": {"recordType": "CheckIndexingState"}, "zoneID": zone}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.json()
}

#[test]
fn zones_in_private_and_shared_databases() {
    let fake = photos_fake_with(FakeLibrary::generated(5, 1), |a| {
        a.shared_library(
            SHARED_A,
            FakeLibrary::generated(5, 2),
            SharedPlacement::PrivateDb,
        )
        .shared_library(SHARED_B, FakeLibrary::new(), SharedPlacement::SharedDb)
    });
    let mut c = ck_client(&fake);
    let private = c.ck("private", "zones/list", &json!({}));
    assert_eq!(private.status, 200);
    assert_eq!(
        private.header("Content-Type"),
        Some("application/json; charset=UTF-8")
    );
    let private = private.json();
    assert_eq!(zone_names(&private), ["PrimarySync", SHARED_A]);
    assert_eq!(private["moreComing"], false);
    assert!(private["syncToken"].is_string());
    let zone = &private["zones"][0]["zoneID"];
    assert_eq!(zone["zoneType"], "REGULAR_CUSTOM_ZONE");
    assert!(
        zone["ownerRecordName"]
            .as_str()
            .is_some_and(|o| o.starts_with('_'))
    );
    let shared = c.ck("shared", "zones/list", &json!({})).json();
    assert_eq!(zone_names(&shared), [SHARED_B]);
    assert_eq!(fake.library_names(ID), ["PrimarySync", SHARED_A, SHARED_B]);

    // The full zoneID object from zones/list is accepted; only zoneName matters.
    let state = indexing(&mut c, "shared", shared["zones"][0]["zoneID"].clone());
    assert_eq!(state["records"][0]["fields"]["state"]["value"], "FINISHED");
    // A zone is only found in its own database.
    let wrong = c.ck(
        "shared",
        "records/query",
        &json!({"query": {"recordType": "CheckIndexingState"}, "zoneID": {"zoneName": "PrimarySync"}}),
    );
    assert_eq!(wrong.status, 404);
    assert_eq!(wrong.json()["serverErrorCode"], "ZONE_NOT_FOUND");
    assert_eq!(wrong.json()["reason"], "Zone 'PrimarySync' does not exist");
    assert_eq!(
        fake.album_names(ID, SHARED_B).len(),
        10,
        "shared-db libraries: smart folders only"
    );
}

#[test]
fn indexing_state_record_has_full_metadata() {
    let fake = photos_fake(FakeLibrary::new().indexing("RUNNING"));
    let mut c = ck_client(&fake);
    let resp = indexing(&mut c, "private", json!({"zoneName": "PrimarySync"}));
    let r = &resp["records"][0];
    assert_eq!(r["recordType"], "CheckIndexingState");
    assert_eq!(
        r["fields"]["state"],
        json!({"value": "RUNNING", "type": "STRING"})
    );
    assert_eq!(r["fields"]["progress"]["type"], "INT64");
    assert_eq!(r["pluginFields"], json!({}));
    assert_eq!(r["deleted"], false);
    assert!(r["recordChangeTag"].is_string());
    assert!(r["created"]["timestamp"].is_i64() && r["modified"]["userRecordName"].is_string());
    assert_eq!(r["zoneID"]["zoneName"], "PrimarySync");
    assert!(resp["syncToken"].is_string());
}

#[test]
fn albums_are_listed_in_position_order_with_sentinels_folders_and_deleted_ones() {
    let lib = FakeLibrary::new()
        .album(FakeAlbum::new("Bilderrahmen"))
        .album(FakeAlbum::folder("Reisen"))
        .album(FakeAlbum::new("Garage vorher/nachher").in_folder("Reisen"))
        .album(FakeAlbum::new("Weg").deleted())
        .album(FakeAlbum::new("Jörg"));
    let fake = photos_fake(lib);
    let mut c = ck_client(&fake);
    let resp = c.ck(
        "private",
        "records/query",
        &json!({"query": {"recordType": "CPLAlbumByPositionLive"}, "zoneID": {"zoneName": "PrimarySync"}}),
    );
    let records = resp.json()["records"].as_array().expect("records").clone();
    assert_eq!(records[0]["recordName"], "----Root-Folder----");
    assert_eq!(records[1]["recordName"], "----Project-Root-Folder----");
    assert!(records[0]["fields"].get("albumNameEnc").is_none());
    assert_eq!(records[0]["fields"]["albumType"]["value"], 3);
    let name = |r: &Value| {
        let enc = r["fields"]["albumNameEnc"]["value"].as_str().expect("name");
        String::from_utf8(STANDARD.decode(enc).expect("b64")).expect("utf8")
    };
    let names: Vec<String> = records[2..].iter().map(name).collect();
    assert_eq!(
        names,
        [
            "Bilderrahmen",
            "Reisen",
            "Garage vorher/nachher",
            "Weg",
            "Jörg"
        ]
    );
    assert_eq!(records[3]["fields"]["albumType"]["value"], 3);
    assert_eq!(
        records[4]["fields"]["parentId"]["value"],
        records[3]["recordName"]
    );
    assert_eq!(records[5]["fields"]["isDeleted"]["value"], 1);
    let mut listed = fake.album_names(ID, "PrimarySync");
    assert_eq!(listed.len(), 14);
    assert_eq!(
        listed.split_off(10),
        ["Bilderrahmen", "Reisen", "Garage vorher/nachher", "Jörg"]
    );
}

#[test]
fn cookies_are_required_and_checked() {
    let fake = photos_fake(FakeLibrary::new());
    let mut anonymous = Client::new(&fake.base_url());
    let resp = anonymous.ck("private", "zones/list", &json!({}));
    assert_eq!(resp.status, 421);
    assert_eq!(resp.text(), "Missing X-APPLE-WEBAUTH-USER cookie");

    let mut c = ck_client(&fake);
    let mut forged = c.clone();
    forged
        .cookies
        .insert("X-APPLE-WEBAUTH-TOKEN".into(), "\"v=2:t=bogus~~\"".into());
    let resp = forged.ck("private", "zones/list", &json!({}));
    assert_eq!(resp.status, 421);
    assert_eq!(resp.json()["serverErrorCode"], "AUTHENTICATION_FAILED");

    assert_eq!(c.ck("private", "zones/list", &json!({})).status, 200);
    fake.expire_web_sessions();
    assert_eq!(c.ck("private", "zones/list", &json!({})).status, 421);
}

#[test]
fn query_string_is_optional_and_body_may_be_pretty() {
    let fake = photos_fake(FakeLibrary::new().asset(FakeAsset::photo("a.JPG")));
    let mut c = ck_client(&fake);
    let body = serde_json::to_string_pretty(&list_body("PrimarySync", &smart(None), 0, 200))
        .expect("json");
    let path = "/database/1/com.apple.photos.cloud/production/private/records/query";
    let resp = c.send("POST", path, &[], Some(&body));
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(of_type(&resp.json(), "CPLMaster").len(), 1);
    let odd = format!("{path}?getCurrentSyncToken=true&DSID=x&remapEnums=TRUE");
    assert_eq!(c.send("POST", &odd, &[], Some(&body)).status, 200);
}

#[test]
fn web_access_disabled_is_access_denied() {
    let fake = photos_fake_with(FakeLibrary::new(), |a| a.web_access_disabled());
    let mut c = ck_client(&fake);
    let resp = c.ck("private", "zones/list", &json!({}));
    assert_eq!(resp.status, 403);
    let body = resp.json();
    assert_eq!(body["serverErrorCode"], "ACCESS_DENIED");
    assert_eq!(
        body["reason"],
        "private db access disabled for this account"
    );
    assert!(body["uuid"].is_string());
}

#[test]
fn without_photos_there_is_no_ckdatabasews_and_no_primary_zone() {
    let fake = photos_fake_with(FakeLibrary::new(), |a| a.without_photos());
    let mut c = Client::new(&fake.base_url());
    c.sign_in(ID, PW);
    let data = c.account_login().json();
    assert!(data["webservices"].get("ckdatabasews").is_none());
    assert!(data["webservices"].get("photos").is_some());
    let zones = c.ck("private", "zones/list", &json!({})).json();
    assert_eq!(zones["zones"], json!([]));
    let q = c.ck(
        "private",
        "records/query",
        &json!({"query": {"recordType": "CheckIndexingState"}, "zoneID": {"zoneName": "PrimarySync"}}),
    );
    assert_eq!(
        (q.status, q.json()["serverErrorCode"].clone()),
        (404, json!("ZONE_NOT_FOUND"))
    );
}

fn delete_body(asset: &Value) -> Value {
    json!({"atomic": true, "desiredKeys": ["isDeleted"], "operations": [{"operationType": "update",
        "record": {"fields": {"isDeleted": {"value": 1}}, "recordChangeTag": asset["recordChangeTag"],
                   "recordName": asset["recordName"], "recordType": "CPLAsset"}}],
        "zoneID": {"zoneName": "PrimarySync"}})
}

#[test]
fn modify_moves_an_asset_to_recently_deleted_and_shifts_ranks() {
    let mut lib = FakeLibrary::new();
    for i in 0..6 {
        lib = lib.asset(FakeAsset::photo(&format!("IMG_{i}.JPG")));
    }
    let fake = photos_fake(lib);
    let mut c = ck_client(&fake);
    let whole = smart(None);
    let page = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &whole, 2, 2),
        )
        .json();
    let victim = of_type(&page, "CPLAsset")[0].clone();
    let master = of_type(&page, "CPLMaster")[0].clone();
    let url = master["fields"]["resOriginalRes"]["value"]["downloadURL"]
        .as_str()
        .expect("url")
        .to_owned();

    let resp = c.ck("private", "records/modify", &delete_body(&victim));
    assert_eq!(resp.status, 200, "{}", resp.text());
    let body = resp.json();
    let rec = &body["records"][0];
    assert_eq!(rec["recordName"], victim["recordName"]);
    assert_eq!(
        rec["fields"]["isDeleted"],
        json!({"value": 1, "type": "INT64"})
    );
    assert_ne!(rec["recordChangeTag"], victim["recordChangeTag"]);
    assert_eq!(rec["deleted"], false);
    let in_30_days = (icloud_now_ms() / 1000) + 30 * 86_400;
    assert!((rec["expirationTime"].as_i64().expect("expiry") - in_30_days).abs() < 60);
    assert!(body["syncToken"].is_string());
    assert_eq!(
        fake.requests().last().and_then(|r| r.json()),
        Some(delete_body(&victim)),
        "the modify body is recorded"
    );

    // Ranks shift at once: rank 2 is now the asset that was at rank 3.
    let after = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &whole, 2, 2),
        )
        .json();
    let expected = fake.expected_listing(ID, "PrimarySync", None);
    assert_eq!(expected.len(), 5);
    assert_eq!(
        of_type(&after, "CPLAsset")[0]["recordName"],
        expected[2].asset_record_name
    );
    assert_eq!(count(&mut c, "private", "PrimarySync", &whole), 5);
    let deleted = smart(Some("Recently Deleted"));
    assert_eq!(count(&mut c, "private", "PrimarySync", &deleted), 1);
    let trash = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &deleted, 0, 200),
        )
        .json();
    let asset = of_type(&trash, "CPLAsset")[0];
    assert_eq!(asset["fields"]["isDeleted"]["value"], 1);
    assert!(
        asset["fields"]["dateExpunged"]["value"]
            .as_i64()
            .expect("expunged")
            > icloud_now_ms()
    );
    assert_eq!(
        list_all(&mut c, "private", "PrimarySync", &whole, 200).len(),
        5
    );
    assert!(
        fake.resource_bytes(&url).is_some(),
        "the master stays downloadable"
    );
    let mut anyone = Client::new(&fake.base_url());
    assert_eq!(anyone.get_url(&url, &[]).status, 200);

    // Unknown records get a per-record error inside a 200.
    let ghost = json!({"recordName": "NOPE", "recordChangeTag": "1"});
    let resp = c
        .ck("private", "records/modify", &delete_body(&ghost))
        .json();
    assert_eq!(resp["records"][0]["serverErrorCode"], "NOT_FOUND");
    // Restoring with the change tag of the listing before the deletion: the record changed
    // since, so CloudKit refuses it.
    let mut restore = delete_body(&victim);
    restore["operations"][0]["record"]["fields"]["isDeleted"]["value"] = json!(0);
    let resp = c.ck("private", "records/modify", &restore).json();
    assert_eq!(resp["records"][0]["serverErrorCode"], "CONFLICT");
    assert_eq!(count(&mut c, "private", "PrimarySync", &whole), 5);
    // With the current tag (from the Recently Deleted listing), it is put back.
    restore["operations"][0]["record"]["recordChangeTag"] = asset["recordChangeTag"].clone();
    assert_eq!(c.ck("private", "records/modify", &restore).status, 200);
    assert_eq!(count(&mut c, "private", "PrimarySync", &whole), 6);
}

fn icloud_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

#[test]
fn records_decode_with_python_rules() {
    let lib = FakeLibrary::new()
        .asset(FakeAsset::raw_plus_jpeg("IMG_1.CR2"))
        .asset(FakeAsset::photo("IMG_2.JPG").edited())
        .asset(FakeAsset::video("IMG_3.MOV"))
        .malformed(7);
    let fake = photos_fake(lib);
    let mut c = ck_client(&fake);
    let page = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &smart(None), 0, 200),
        )
        .json();
    let masters = of_type(&page, "CPLMaster");
    let assets = of_type(&page, "CPLAsset");
    assert_eq!(masters.len(), 10);
    let expected = fake.expected_listing(ID, "PrimarySync", None);
    for ((m, a), e) in masters.iter().zip(&assets).zip(&expected) {
        assert_eq!(m["recordName"], e.master_record_name.as_str());
        for (prefix, size, checksum) in &e.versions {
            let rec = if a["fields"].get(format!("{prefix}Res")).is_some() {
                a
            } else {
                m
            };
            let res = &rec["fields"][format!("{prefix}Res")];
            assert_eq!(res["type"], "ASSETID");
            assert_eq!(res["value"]["size"], *size);
            assert_eq!(res["value"]["fileChecksum"], checksum.as_str());
            assert!(rec["fields"][format!("{prefix}FileType")]["value"].is_string());
        }
    }
    let by_name = |n: &str| {
        let i = expected
            .iter()
            .position(|e| e.filename.as_deref() == Some(n))
            .unwrap_or_else(|| panic!("{n} listed"));
        (masters[i], assets[i])
    };
    let (raw, _) = by_name("IMG_1.CR2");
    assert_eq!(
        raw["fields"]["resOriginalFileType"]["value"],
        "com.canon.cr2-raw-image"
    );
    assert_eq!(
        raw["fields"]["resOriginalAltFileType"]["value"],
        "public.jpeg"
    );
    assert_eq!(
        raw["fields"]["itemType"]["value"],
        "com.canon.cr2-raw-image"
    );
    let (_, edited) = by_name("IMG_2.JPG");
    assert_eq!(
        edited["fields"]["adjustmentType"]["value"],
        "com.apple.photo"
    );
    assert_eq!(
        edited["fields"]["resJPEGFullFileType"]["value"],
        "public.jpeg"
    );
    let (video, _) = by_name("IMG_3.MOV");
    assert_eq!(
        video["fields"]["itemType"]["value"],
        "com.apple.quicktime-movie"
    );
    // The malformed ones, in `malformed`'s order after the three above (newest first).
    let kinds: Vec<String> = masters[3..]
        .iter()
        .map(|m| {
            let f = &m["fields"];
            match (&f["filenameEnc"], &f["itemType"]) {
                (Value::Null, _) => "no filename".to_owned(),
                (n, _) if n["type"] == "STRING" => "string".to_owned(),
                (_, Value::Null) => "no item type".to_owned(),
                (_, t) if t.get("value").is_none() => "item type without value".to_owned(),
                _ if f["resOriginalRes"]["value"].get("downloadURL").is_none() => {
                    "no url".to_owned()
                }
                (n, _) => match STANDARD.decode(n["value"].as_str().unwrap_or_default()) {
                    Err(_) => "bad base64".to_owned(),
                    Ok(b) if String::from_utf8(b.clone()).is_err() => "invalid utf-8".to_owned(),
                    Ok(_) => "fine".to_owned(),
                },
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "no filename",
            "string",
            "bad base64",
            "invalid utf-8",
            "no item type",
            "item type without value",
            "no url"
        ]
    );
}
