//! `records/lookup`: records by name, as listings render them, with fresh download URLs.

use icloud_fake::{FakeAsset, FakeLibrary};
use serde_json::{Value, json};

use crate::client::Client;
use crate::paging::{list_body, of_type, smart};
use crate::{ck_client, photos_fake};

fn lookup(c: &mut Client, zone: &str, names: &[&str]) -> (u16, Value) {
    let records: Vec<Value> = names.iter().map(|n| json!({"recordName": n})).collect();
    let resp = c.ck(
        "private",
        "records/lookup",
        &json!({"records": records, "zoneID": {"zoneName": zone}}),
    );
    (resp.status, resp.json())
}

/// Removes every `downloadURL` member, returning them in document order.
fn strip_urls(v: &mut Value) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Value::Object(map) => {
            if let Some(Value::String(url)) = map.remove("downloadURL") {
                out.push(url);
            }
            for (_, child) in map.iter_mut() {
                out.extend(strip_urls(child));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| out.extend(strip_urls(i))),
        _ => {}
    }
    out
}

fn library() -> FakeLibrary {
    FakeLibrary::new()
        .asset(FakeAsset::photo("IMG_0001.JPG").size(5000))
        .asset(FakeAsset::live("IMG_0002.HEIC").edited().favorite())
}

#[test]
fn lookups_answer_listed_records_with_fresh_urls() {
    let fake = photos_fake(library());
    let mut c = ck_client(&fake);
    let page = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &smart(None), 0, 200),
        )
        .json();
    let (masters, assets) = (of_type(&page, "CPLMaster"), of_type(&page, "CPLAsset"));
    assert_eq!((masters.len(), assets.len()), (2, 2));
    let name = |r: &Value| r["recordName"].as_str().expect("name").to_owned();
    let (m0, a0, a1) = (name(masters[0]), name(assets[0]), name(assets[1]));

    fake.expire_download_urls();
    let mut client = Client::new(&fake.base_url());
    let mut listed = assets[0].clone();
    let mut listed_master = masters[0].clone();
    let old_urls = strip_urls(&mut listed_master);
    assert_eq!(client.get_url(&old_urls[0], &[]).status, 400, "revoked");

    let (status, reply) = lookup(&mut c, "PrimarySync", &[&a1, "NOPE", &m0, &a0]);
    assert_eq!(status, 200);
    assert!(reply["syncToken"].is_string());
    let mut got = reply["records"].as_array().expect("records").clone();
    assert_eq!(got.len(), 4, "in the order asked");
    assert_eq!(
        got[1],
        json!({"recordName": "NOPE", "reason": "Record not found", "serverErrorCode": "NOT_FOUND"})
    );
    let new_urls = strip_urls(&mut got[2]);
    assert_eq!(got[2], listed_master, "the same master, URLs aside");
    strip_urls(&mut listed);
    strip_urls(&mut got[3]);
    assert_eq!(got[3], listed, "the same asset");
    assert_eq!(got[0]["recordName"], a1.as_str());
    assert_eq!(got[0]["recordType"], "CPLAsset");

    assert_eq!(new_urls.len(), old_urls.len());
    assert_ne!(new_urls, old_urls);
    let fresh = client.get_url(&new_urls[0], &[]);
    assert_eq!(fresh.status, 200);
    assert_eq!(Some(fresh.body), fake.resource_bytes(&old_urls[0]));
}

#[test]
fn lookups_need_a_zone_records_and_a_session() {
    let fake = photos_fake(library());
    let mut c = ck_client(&fake);
    let (status, reply) = lookup(&mut c, "NoSuchZone", &["x"]);
    assert_eq!(
        (status, reply["serverErrorCode"].clone()),
        (404, json!("ZONE_NOT_FOUND"))
    );
    let resp = c.ck(
        "private",
        "records/lookup",
        &json!({"zoneID": {"zoneName": "PrimarySync"}}),
    );
    assert_eq!(resp.status, 400);
    let (status, reply) = lookup(&mut c, "PrimarySync", &[]);
    assert_eq!((status, reply["records"].clone()), (200, json!([])));
    let mut anonymous = Client::new(&fake.base_url());
    assert_eq!(lookup(&mut anonymous, "PrimarySync", &["x"]).0, 421);
}
