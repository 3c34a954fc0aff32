//! `changes/database` and `changes/zone`.

use std::collections::HashSet;

use icloud_fake::{FakeAsset, FakeLibrary, SharedPlacement};
use serde_json::{Value, json};

use crate::client::Client;
use crate::paging::{list_body, of_type, smart};
use crate::{ck_client, photos_fake, photos_fake_with};

fn zone_changes(c: &mut Client, token: Option<&str>, limit: u64) -> Value {
    let mut zone = json!({"zoneID": {"zoneName": "PrimarySync"}, "resultsLimit": limit});
    if let Some(t) = token {
        zone["syncToken"] = json!(t);
    }
    let resp = c.ck("private", "changes/zone", &json!({"zones": [zone]}));
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.json()["zones"][0].clone()
}

/// Pages through the feed from `token`; returns (records, final token).
fn drain(c: &mut Client, token: Option<&str>, limit: u64) -> (Vec<Value>, String, usize) {
    let mut token = token.map(str::to_owned);
    let mut records = Vec::new();
    let mut pages = 0;
    loop {
        let z = zone_changes(c, token.as_deref(), limit);
        pages += 1;
        let page = z["records"].as_array().expect("records");
        assert!(page.len() as u64 <= limit.max(2));
        records.extend(page.iter().cloned());
        token = Some(z["syncToken"].as_str().expect("token").to_owned());
        if z["moreComing"] == false {
            return (records, token.unwrap_or_default(), pages);
        }
    }
}

#[test]
fn database_feed_lists_changed_zones() {
    let shared = "SharedSync-00000000-1111-2222-3333-444444444444";
    let fake = photos_fake_with(FakeLibrary::generated(10, 1), |a| {
        a.shared_library(
            shared,
            FakeLibrary::generated(3, 2),
            SharedPlacement::PrivateDb,
        )
    });
    let mut c = ck_client(&fake);
    let boot = c.ck("private", "changes/database", &json!({})).json();
    let names: Vec<&str> = boot["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .filter_map(|z| z["zoneID"]["zoneName"].as_str())
        .collect();
    assert_eq!(names, ["PrimarySync", shared]);
    assert!(boot["zones"][0]["syncToken"].is_string());
    assert_eq!(boot["moreComing"], false);
    let token = boot["syncToken"].as_str().expect("token").to_owned();
    let idle = c
        .ck("private", "changes/database", &json!({"syncToken": token}))
        .json();
    assert_eq!(idle["zones"], json!([]));

    let page = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &smart(None), 0, 2),
        )
        .json();
    let asset = of_type(&page, "CPLAsset")[0].clone();
    let body = json!({"operations": [{"operationType": "update", "record": {"recordName": asset["recordName"],
        "recordType": "CPLAsset", "recordChangeTag": asset["recordChangeTag"], "fields": {"isFavorite": {"value": 1}}}}],
        "zoneID": {"zoneName": "PrimarySync"}});
    assert_eq!(c.ck("private", "records/modify", &body).status, 200);
    let changed = c
        .ck("private", "changes/database", &json!({"syncToken": token}))
        .json();
    assert_eq!(changed["zones"].as_array().map(Vec::len), Some(1));
    assert_eq!(changed["zones"][0]["zoneID"]["zoneName"], "PrimarySync");
    let zone_token = c.ck(
        "private",
        "changes/database",
        &json!({"syncToken": "garbage"}),
    );
    assert_eq!(zone_token.status, 400);
}

#[test]
fn zone_feed_pages_full_history_then_deltas() {
    let mut lib = FakeLibrary::generated(60, 4);
    lib = lib.asset(FakeAsset::photo("extra.JPG"));
    let fake = photos_fake(lib);
    let mut c = ck_client(&fake);
    let (records, token, pages) = drain(&mut c, None, 25);
    assert!(pages >= 5, "{pages}");
    let masters: HashSet<&str> = records
        .iter()
        .filter(|r| r["recordType"] == "CPLMaster")
        .filter_map(|r| r["recordName"].as_str())
        .collect();
    let assets: Vec<&Value> = records
        .iter()
        .filter(|r| r["recordType"] == "CPLAsset")
        .collect();
    assert_eq!(assets.len(), 61);
    assert_eq!(masters.len(), 61);
    for a in &assets {
        let m = a["fields"]["masterRef"]["value"]["recordName"]
            .as_str()
            .expect("ref");
        assert!(masters.contains(m));
    }
    let albums = records
        .iter()
        .filter(|r| r["recordType"] == "CPLAlbum")
        .count();
    assert!(albums >= 10, "sentinels and generated albums: {albums}");
    let soft_deleted = assets
        .iter()
        .filter(|a| a["fields"]["isDeleted"]["value"] == 1)
        .count();
    let trash = fake.expected_listing(crate::ID, "PrimarySync", Some("Recently Deleted"));
    assert_eq!(soft_deleted, trash.len());

    // Caught up: nothing new, same token semantics; "" means caught up too.
    let z = zone_changes(&mut c, Some(&token), 25);
    assert_eq!(
        (z["records"].clone(), z["moreComing"].clone()),
        (json!([]), json!(false))
    );
    let z = zone_changes(&mut c, Some(""), 25);
    assert_eq!(z["records"], json!([]));

    // A records/query syncToken is a valid zone token.
    let page = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &smart(None), 0, 2),
        )
        .json();
    let query_token = page["syncToken"].as_str().expect("token").to_owned();
    let victim = of_type(&page, "CPLAsset")[0].clone();
    let delete = json!({"atomic": true, "operations": [{"operationType": "update", "record": {
        "recordName": victim["recordName"], "recordType": "CPLAsset",
        "recordChangeTag": victim["recordChangeTag"], "fields": {"isDeleted": {"value": 1}}}}],
        "zoneID": {"zoneName": "PrimarySync"}});
    assert_eq!(c.ck("private", "records/modify", &delete).status, 200);
    let (delta, _, _) = drain(&mut c, Some(&query_token), 25);
    let changed: Vec<&Value> = delta
        .iter()
        .filter(|r| r["recordType"] == "CPLAsset")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["recordName"], victim["recordName"]);
    assert_eq!(
        changed[0]["fields"]["isDeleted"]["value"], 1,
        "a soft delete"
    );
}

#[test]
fn zone_feed_errors_are_per_zone() {
    let fake = photos_fake(FakeLibrary::generated(3, 1));
    let mut c = ck_client(&fake);
    let body = json!({"zones": [
        {"zoneID": {"zoneName": "PrimarySync"}, "syncToken": "bm9wZQ=="},
        {"zoneID": {"zoneName": "PrimarySync"}, "syncToken": "RktaAAAA"},
        {"zoneID": {"zoneName": "Nope"}}
    ]});
    let resp = c.ck("private", "changes/zone", &body);
    assert_eq!(resp.status, 200);
    let zones = resp.json()["zones"].clone();
    assert_eq!(zones[0]["serverErrorCode"], "BAD_REQUEST");
    assert_eq!(zones[0]["reason"], "Invalid continuation format");
    assert_eq!(zones[1]["reason"], "Invalid continuation format");
    assert_eq!(zones[2]["serverErrorCode"], "ZONE_NOT_FOUND");
    let db_token = c.ck("private", "changes/database", &json!({})).json()["syncToken"].clone();
    let wrong = json!({"zones": [{"zoneID": {"zoneName": "PrimarySync"}, "syncToken": db_token}]});
    let zones = c.ck("private", "changes/zone", &wrong).json()["zones"].clone();
    assert_eq!(zones[0]["reason"], "Unknown sync continuation type");
}
