//! The paging contract of `records/query` listings, and counts, for every index.

use icloud_fake::{FakeAlbum, FakeAsset, FakeLibrary};
use serde_json::{Value, json};

use crate::client::Client;
use crate::{ID, ck_client, photos_fake};

/// How a client names an album and the query it sends for it.
pub struct Listing {
    pub list_type: &'static str,
    pub count_id: String,
    pub filters: Vec<Value>,
}

fn filter(name: &str, value: &str) -> Value {
    json!({"fieldName": name, "comparator": "EQUALS", "fieldValue": {"type": "STRING", "value": value}})
}

/// icloudpd's query for a smart folder name, or the whole collection for `None`.
pub fn smart(name: Option<&str>) -> Listing {
    let in_smart = |obj: &str, value: &str| Listing {
        list_type: "CPLAssetAndMasterInSmartAlbumByAssetDate",
        count_id: format!("CPLAssetInSmartAlbumByAssetDate:{obj}"),
        filters: vec![filter("smartAlbum", value)],
    };
    let plain = |list_type, count_id: &str| Listing {
        list_type,
        count_id: count_id.to_owned(),
        filters: Vec::new(),
    };
    match name {
        None => plain(
            "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted",
            "CPLAssetByAssetDateWithoutHiddenOrDeleted",
        ),
        Some("Time-lapse") => in_smart("Timelapse", "TIMELAPSE"),
        Some("Videos") => in_smart("Video", "VIDEO"),
        Some("Slo-mo") => in_smart("Slomo", "SLOMO"),
        Some("Bursts") => plain(
            "CPLBurstStackAssetAndMasterByAssetDate",
            "CPLAssetBurstStackAssetByAssetDate",
        ),
        Some("Favorites") => in_smart("Favorite", "FAVORITE"),
        Some("Panoramas") => in_smart("Panorama", "PANORAMA"),
        Some("Screenshots") => in_smart("Screenshot", "SCREENSHOT"),
        Some("Live") => in_smart("Live", "LIVE"),
        Some("Recently Deleted") => plain(
            "CPLAssetAndMasterDeletedByExpungedDate",
            "CPLAssetDeletedByExpungedDate",
        ),
        Some("Hidden") => plain(
            "CPLAssetAndMasterHiddenByAssetDate",
            "CPLAssetHiddenByAssetDate",
        ),
        Some(other) => panic!("not a smart folder: {other}"),
    }
}

/// icloudpd's query for the user album with record name `id`.
pub fn user_album(id: &str) -> Listing {
    Listing {
        list_type: "CPLContainerRelationLiveByAssetDate",
        count_id: format!("CPLContainerRelationNotDeletedByAssetDate:{id}"),
        filters: vec![filter("parentId", id)],
    }
}

/// The body of a listing request, as Python builds it.
pub fn list_body(zone: &str, l: &Listing, start: u64, limit: u64) -> Value {
    let mut filters = vec![
        json!({"fieldName": "startRank", "fieldValue": {"type": "INT64", "value": start}, "comparator": "EQUALS"}),
        json!({"fieldName": "direction", "fieldValue": {"type": "STRING", "value": "ASCENDING"}, "comparator": "EQUALS"}),
    ];
    filters.extend(l.filters.iter().cloned());
    json!({"query": {"filterBy": filters, "recordType": l.list_type}, "resultsLimit": limit,
           "desiredKeys": ["resOriginalRes", "filenameEnc"], "zoneID": {"zoneName": zone}})
}

/// Requests the count of `l`.
pub fn count(c: &mut Client, db: &str, zone: &str, l: &Listing) -> u64 {
    let body = json!({"batch": [{"resultsLimit": 1, "query": {"filterBy": {"fieldName": "indexCountID",
        "fieldValue": {"type": "STRING_LIST", "value": [l.count_id]}, "comparator": "IN"},
        "recordType": "HyperionIndexCountLookup"}, "zoneWide": true, "zoneID": {"zoneName": zone}}]});
    let resp = c.ck(db, "internal/records/query/batch", &body);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let j = resp.json();
    assert_eq!(
        j["batch"][0]["records"][0]["recordType"],
        "IndexCountResult"
    );
    j["batch"][0]["records"][0]["fields"]["itemCount"]["value"]
        .as_u64()
        .expect("itemCount")
}

/// Returns the records of `page` of the given type.
pub fn of_type<'a>(page: &'a Value, ty: &str) -> Vec<&'a Value> {
    page["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["recordType"] == ty)
        .collect()
}

/// Lists `l` like Python does (stop at the first page without masters), checking the paging
/// contract on every page; returns the CPLAsset record names in order and the page count.
pub fn list_all(c: &mut Client, db: &str, zone: &str, l: &Listing, limit: u64) -> Vec<String> {
    let mut names = Vec::new();
    let mut start = 0;
    loop {
        let resp = c.ck(db, "records/query", &list_body(zone, l, start, limit));
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(
            resp.header("Content-Type"),
            Some("application/json; charset=UTF-8")
        );
        let page = resp.json();
        assert!(page["syncToken"].is_string(), "{page}");
        let masters = of_type(&page, "CPLMaster");
        let assets = of_type(&page, "CPLAsset");
        if masters.is_empty() {
            assert_eq!(page["records"], json!([]));
            if page.get("continuationMarker").is_none() {
                assert_eq!(
                    page.as_object().map(|o| o.len()),
                    Some(2),
                    "the final page is records + syncToken only: {page}"
                );
            }
            return names;
        }
        assert!(masters.len() as u64 <= (limit / 2).max(1));
        assert_eq!(masters.len(), assets.len());
        let records = page["records"].as_array().expect("records");
        let first_asset = records
            .iter()
            .position(|r| r["recordType"] == "CPLAsset")
            .expect("assets");
        assert!(
            records[..first_asset]
                .iter()
                .all(|r| r["recordType"] == "CPLMaster"),
            "masters first"
        );
        for (m, a) in masters.iter().zip(&assets) {
            assert_eq!(
                a["fields"]["masterRef"]["value"]["recordName"], m["recordName"],
                "pairs in the same order on the same page"
            );
            assert_eq!(a["deleted"], false);
            assert!(a["recordChangeTag"].is_string() && a["created"]["timestamp"].is_i64());
            assert_eq!(a["zoneID"]["zoneName"], zone);
            assert!(a["zoneID"]["ownerRecordName"].is_string());
            assert_eq!(a["pluginFields"], json!({}));
            names.push(a["recordName"].as_str().expect("name").to_owned());
        }
        start += masters.len() as u64;
    }
}

/// Returns the expected CPLAsset names of `album` in the fake's truth.
fn expected(fake: &icloud_fake::FakeICloud, album: Option<&str>) -> Vec<String> {
    fake.expected_listing(ID, "PrimarySync", album)
        .into_iter()
        .map(|a| a.asset_record_name)
        .collect()
}

#[test]
fn whole_collection_pages_hold_pairs_and_end_with_an_empty_page() {
    let fake = photos_fake(FakeLibrary::generated(450, 3));
    let mut c = ck_client(&fake);
    let l = smart(None);
    let names = list_all(&mut c, "private", "PrimarySync", &l, 200);
    let want = expected(&fake, None);
    assert!(want.len() > 380, "{}", want.len());
    assert_eq!(names, want);
    assert_eq!(
        count(&mut c, "private", "PrimarySync", &l),
        want.len() as u64
    );
    let pages = fake.count("POST", "/records/query");
    assert_eq!(pages, want.len().div_ceil(100) + 1, "one final empty page");
    let first = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/records/query"))
        .expect("query");
    assert_eq!(
        first.json().expect("json")["resultsLimit"],
        200,
        "bodies are recorded"
    );
}

#[test]
fn newest_first_by_asset_date() {
    let fake = photos_fake(FakeLibrary::generated(120, 5));
    let mut c = ck_client(&fake);
    let resp = c.ck(
        "private",
        "records/query",
        &list_body("PrimarySync", &smart(None), 0, 200),
    );
    let page = resp.json();
    let dates: Vec<i64> = of_type(&page, "CPLAsset")
        .iter()
        .map(|a| a["fields"]["assetDate"]["value"].as_i64().expect("date"))
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    assert!(page["continuationMarker"].is_string(), "more pages follow");
}

#[test]
fn every_smart_folder_and_user_album_lists_what_it_counts() {
    let fake = photos_fake(FakeLibrary::generated(700, 11));
    let mut c = ck_client(&fake);
    for name in [
        "Time-lapse",
        "Videos",
        "Slo-mo",
        "Bursts",
        "Favorites",
        "Panoramas",
        "Screenshots",
        "Live",
        "Recently Deleted",
        "Hidden",
    ] {
        let l = smart(Some(name));
        let names = list_all(&mut c, "private", "PrimarySync", &l, 60);
        let want = expected(&fake, Some(name));
        assert!(!want.is_empty(), "{name} has members");
        assert_eq!(names, want, "{name}");
        assert_eq!(
            count(&mut c, "private", "PrimarySync", &l),
            want.len() as u64,
            "{name}"
        );
    }
    let albums = c
        .ck(
            "private",
            "records/query",
            &json!({"query": {"recordType": "CPLAlbumByPositionLive"}, "zoneID": {"zoneName": "PrimarySync"}}),
        )
        .json();
    let mut checked = 0;
    for album in albums["records"].as_array().expect("albums") {
        let Some(enc) = album["fields"]["albumNameEnc"]["value"].as_str() else {
            continue;
        };
        if album["fields"]["isDeleted"]["value"] == 1 {
            continue;
        }
        use base64::Engine as _;
        let name = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(enc)
                .expect("b64"),
        )
        .expect("utf8");
        let id = album["recordName"].as_str().expect("id");
        let l = user_album(id);
        let names = list_all(&mut c, "private", "PrimarySync", &l, 30);
        assert_eq!(names, expected(&fake, Some(&name)), "{name}");
        assert_eq!(
            count(&mut c, "private", "PrimarySync", &l),
            names.len() as u64
        );
        checked += 1;
    }
    assert_eq!(checked, 7, "5 albums, the folder and the empty album");
}

#[test]
fn user_album_pages_carry_container_relations() {
    let fake = photos_fake(
        FakeLibrary::new()
            .album(FakeAlbum::new("A").record_name("ALBUM-A"))
            .asset(FakeAsset::photo("1.JPG").in_album("A"))
            .asset(FakeAsset::photo("2.JPG").in_album("A").hidden()),
    );
    let mut c = ck_client(&fake);
    let page = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &user_album("ALBUM-A"), 0, 200),
        )
        .json();
    let relations = of_type(&page, "CPLContainerRelation");
    assert_eq!(relations.len(), 1, "hidden members are not listed");
    assert_eq!(relations[0]["fields"]["containerId"]["value"], "ALBUM-A");
    let asset = of_type(&page, "CPLAsset")[0]["recordName"].clone();
    assert_eq!(relations[0]["fields"]["itemId"]["value"], asset);
}

#[test]
fn odd_limits_beyond_the_end_and_legacy_added_date() {
    let mut lib = FakeLibrary::new();
    for i in 0..9 {
        // Added order is the reverse of capture order.
        lib = lib.asset(
            FakeAsset::photo(&format!("{i}.JPG"))
                .date_ms(1_000_000 + i * 1000)
                .added_ms(9_000_000 - i * 1000),
        );
    }
    let fake = photos_fake(lib);
    let mut c = ck_client(&fake);
    let names = list_all(&mut c, "private", "PrimarySync", &smart(None), 7);
    assert_eq!(names.len(), 9);
    let legacy = Listing {
        list_type: "CPLAssetAndMasterByAddedDate",
        count_id: "CPLAssetByAddedDate".into(),
        filters: Vec::new(),
    };
    let by_added = list_all(&mut c, "private", "PrimarySync", &legacy, 200);
    let mut reversed = names.clone();
    reversed.reverse();
    assert_eq!(by_added, reversed);
    assert_eq!(count(&mut c, "private", "PrimarySync", &legacy), 9);
    let beyond = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &smart(None), 50, 200),
        )
        .json();
    assert_eq!(beyond["records"], json!([]));
    assert!(beyond.get("continuationMarker").is_none());
}

#[test]
fn empty_and_deleted_blocks_occupy_ranks_but_not_counts() {
    let mut lib = FakeLibrary::new();
    for i in 0..30 {
        lib = lib.asset(FakeAsset::photo(&format!("{i}.JPG")));
    }
    let fake = photos_fake(lib.empty_pages(10, 10).deleted_blocks(25, 4));
    let mut c = ck_client(&fake);
    let l = smart(None);
    assert_eq!(count(&mut c, "private", "PrimarySync", &l), 30);
    // Python's loop stops at the first page without masters.
    let python = list_all(&mut c, "private", "PrimarySync", &l, 20);
    assert_eq!(
        python.len(),
        10,
        "a stop-at-empty client misses everything after rank 10"
    );
    let empty = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &l, 10, 20),
        )
        .json();
    assert_eq!(empty["records"], json!([]));
    assert!(empty["continuationMarker"].is_string(), "more ranks follow");
    // A client walking ranks finds everything.
    let mut seen = Vec::new();
    let mut deleted = 0;
    for start in (0..44).step_by(10) {
        let page = c
            .ck(
                "private",
                "records/query",
                &list_body("PrimarySync", &l, start, 20),
            )
            .json();
        for r in page["records"].as_array().expect("records") {
            match (r["recordType"].as_str(), r["deleted"].as_bool()) {
                (Some("CPLAsset"), _) if r["fields"]["isDeleted"]["value"] == 1 => deleted += 1,
                (Some("CPLAsset"), _) => {
                    seen.push(r["recordName"].as_str().unwrap_or_default().to_owned())
                }
                (None, Some(true)) => deleted += 1,
                _ => {}
            }
        }
    }
    assert_eq!(deleted, 4);
    assert_eq!(seen, expected(&fake, None));
}
