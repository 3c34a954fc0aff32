//! The shared albums' service (`pNN-sharedstreams.icloud.com`): announcement, the three calls
//! and their shapes, end-index paging, partitions and 330, auth, errors, knobs, downloads.

use icloud_fake::{
    FakeAsset, FakeICloud, FakeSharedAlbum, FakeSharedStreams, Fault, PartitionRedirect,
};
use serde_json::{Value, json};

use crate::client::{Client, Resp};
use crate::{ID, PW, fake_with};

/// A fake whose account (no 2FA) has the shared-albums service `streams`.
fn fake(streams: FakeSharedStreams) -> FakeICloud {
    fake_with(|a| a.without_two_factor().shared_albums(streams))
}

/// A signed-in client and the `sharedstreams` URL its `accountLogin` announced.
fn signed_in(fake: &FakeICloud) -> (Client, String) {
    let mut c = Client::new(&fake.base_url());
    assert_eq!(c.sign_in(ID, PW).status, 200);
    let login = c.account_login();
    let url = login.json()["webservices"]["sharedstreams"]["url"]
        .as_str()
        .expect("sharedstreams announced")
        .to_owned();
    (c, url)
}

fn post(c: &mut Client, url: &str, body: &Value) -> Resp {
    let url = format!("{url}?clientBuildNumber=2534Project66&clientId=x&dsid=1");
    let headers = [("Content-Type", "text/plain;charset=UTF-8".to_owned())];
    c.send("POST", &url, &headers, Some(&body.to_string()))
}

fn dsid(c: &Client) -> String {
    let user = c.cookies["X-APPLE-WEBAUTH-USER"].clone();
    let d = user
        .trim_matches('"')
        .split(':')
        .find_map(|p| p.strip_prefix("d="));
    d.expect("dsid in cookie").to_owned()
}

/// Lists the albums through the announced root.
fn albums(c: &mut Client, root: &str) -> Value {
    let dsid = dsid(c);
    let resp = post(
        c,
        &format!("{root}/{dsid}/sharedstreams/webgetalbumslist"),
        &json!({}),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.json()
}

fn album<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["albums"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["attributes"]["name"] == name))
        .unwrap_or_else(|| panic!("album {name}"))
}

fn location(album: &Value) -> String {
    album["albumlocation"]
        .as_str()
        .expect("location")
        .to_owned()
}

fn assets(c: &mut Client, album: &Value, offset: Value, limit: Value) -> Resp {
    let body = json!({
        "albumguid": album["albumguid"], "albumctag": album["albumctag"],
        "offset": offset, "limit": limit,
    });
    post(c, &format!("{}webgetassets", location(album)), &body)
}

fn names_of(page: &Value, ty: &str) -> Vec<String> {
    page["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["recordType"] == ty)
        .map(|r| r["recordName"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn the_service_is_announced_unless_switched_off() {
    let f = fake(FakeSharedStreams::new());
    let (_, url) = signed_in(&f);
    assert_eq!(
        url,
        format!("{}/_h/p42-sharedstreams.icloud.com", f.base_url())
    );
    let f = fake(FakeSharedStreams::new().partition(7));
    assert!(
        signed_in(&f)
            .1
            .ends_with("/_h/p07-sharedstreams.icloud.com")
    );
    let f = fake_with(|a| a.without_two_factor().without_shared_albums());
    let mut c = Client::new(&f.base_url());
    assert_eq!(c.sign_in(ID, PW).status, 200);
    let ws = c.account_login().json()["webservices"].clone();
    assert!(ws.get("ckdatabasews").is_some());
    assert!(ws.get("sharedstreams").is_none());
    assert!(f.expected_shared_albums(ID).is_empty());
}

#[test]
fn albums_list_has_the_spec_shape() {
    let f = fake(FakeSharedStreams::generated(1));
    let (mut c, root) = signed_in(&f);
    let list = albums(&mut c, &root);
    let expected = f.expected_shared_albums(ID);
    let got: Vec<&str> = list["albums"]
        .as_array()
        .expect("albums")
        .iter()
        .map(|a| a["albumguid"].as_str().expect("guid"))
        .collect();
    let want: Vec<&str> = expected.iter().map(|a| a.guid.as_str()).collect();
    assert_eq!(got, want);
    let family = album(&list, "Family 2026");
    assert_eq!(family["sharingtype"], "owned");
    assert_eq!(family["attributes"]["ispublic"], true);
    assert_eq!(family["attributes"]["allowcontributions"], true);
    assert!(family["attributes"]["creationDate"].is_string());
    assert!(
        family["albumctag"]
            .as_str()
            .is_some_and(|t| t.starts_with("FT;"))
    );
    assert_eq!(
        family["publicurl"].as_str(),
        expected[0].public_url.as_deref()
    );
    let loc = location(family);
    assert!(loc.starts_with(&format!(
        "{}/_h/p108-sharedstreams.icloud.com/",
        f.base_url()
    )));
    assert!(loc.ends_with("/sharedstreams/"), "{loc}");
    assert!(
        !loc.contains(&expected[0].guid),
        "the path token is not the guid"
    );
    let trips: Vec<&Value> = list["albums"]
        .as_array()
        .expect("albums")
        .iter()
        .filter(|a| a["attributes"]["name"] == "Trip")
        .collect();
    assert_eq!(trips.len(), 2);
    let leer = album(&list, "Leer");
    assert!(leer.get("publicurl").is_none());
    assert_eq!(leer["attributes"]["ispublic"], false);
    let sub = album(&list, "Urlaub 2025");
    assert_eq!(sub["sharingtype"], "subscribed");
    assert_ne!(sub["ownerdsid"], family["ownerdsid"]);
    assert!(location(sub).contains("/_h/p42-sharedstreams.icloud.com/"));
    album(&list, "a/b:c?");
    album(&list, "Jörg's Café 東京 🎉");

    let f = fake(FakeSharedStreams::generated(1).string_booleans());
    let (mut c, root) = signed_in(&f);
    let list = albums(&mut c, &root);
    let family = album(&list, "Family 2026");
    assert_eq!(family["attributes"]["ispublic"], "1");
    assert_eq!(album(&list, "Leer")["attributes"]["ispublic"], "0");
    assert_eq!(family["iswebuploadsupported"], "1");
    assert!(family["attributes"]["creationDate"].is_number());
}

#[test]
fn assets_page_by_end_index_with_masters_and_assets() {
    let f = fake(FakeSharedStreams::generated(1));
    let (mut c, root) = signed_in(&f);
    let list = albums(&mut c, &root);
    let urlaub = album(&list, "Urlaub 2025");
    let body = json!({"albumguid": urlaub["albumguid"]});
    let count = post(
        &mut c,
        &format!("{}webgetassetcount", location(urlaub)),
        &body,
    );
    assert_eq!(count.json(), json!({"albumassetcount": 230}));
    let truth = f
        .expected_shared_albums(ID)
        .into_iter()
        .find(|a| a.name == "Urlaub 2025")
        .expect("album");
    let mut listed = Vec::new();
    for (offset, limit, n) in [("0", "100", 100), ("100", "200", 100), ("200", "300", 30)] {
        let page = assets(&mut c, urlaub, json!(offset), json!(limit));
        assert_eq!(page.status, 200);
        let page = page.json();
        assert_eq!(names_of(&page, "CPLMaster").len(), n);
        let records = page["records"].as_array().expect("records");
        assert_eq!(records[0]["recordType"], "CPLMaster");
        assert_eq!(records[1]["recordType"], "CPLAsset");
        listed.extend(names_of(&page, "CPLAsset"));
    }
    let want: Vec<String> = truth
        .assets
        .iter()
        .map(|a| a.asset_record_name.clone())
        .collect();
    assert_eq!(listed, want);
    let numbers = assets(&mut c, urlaub, json!(30), json!(60)).json();
    assert_eq!(names_of(&numbers, "CPLAsset"), want[30..60]);
    for (offset, limit) in [(json!("60"), json!("60")), (json!("300"), json!("400"))] {
        let empty = assets(&mut c, urlaub, offset, limit);
        assert_eq!(empty.json(), json!({"records": []}));
    }
    let bad = assets(&mut c, urlaub, json!("x"), json!("10"));
    assert_eq!(bad.status, 400);

    let page = assets(&mut c, urlaub, json!("0"), json!("230")).json();
    let records = page["records"].as_array().expect("records");
    for (i, e) in truth.assets.iter().enumerate() {
        let (m, a) = (&records[2 * i], &records[2 * i + 1]);
        assert_eq!(
            a["fields"]["masterRef"]["value"]["recordName"],
            m["recordName"]
        );
        assert_eq!(m["recordName"], e.master_record_name.as_str());
        assert!(m["fields"].get("itemType").is_none());
        assert_eq!(
            m["fields"]["originalCreationDate"]["value"],
            e.asset_date_ms
        );
        assert!(a["pluginFields"]["likeCount"]["value"].is_u64());
        for (prefix, size, checksum) in &e.versions {
            let res = &m["fields"][format!("{prefix}Res")]["value"];
            assert_eq!(res["size"], 0, "{prefix}");
            assert_eq!(res["fileChecksum"], checksum.as_str());
            assert_eq!(m["fields"][format!("{prefix}FileSize")]["value"], *size);
        }
    }
    let kinds: Vec<&str> = truth
        .assets
        .iter()
        .filter_map(|a| a.file_type("resOriginal"))
        .collect();
    assert!(kinds.contains(&"public.mpeg-4") && kinds.contains(&"public.heic"));
    assert!(
        truth
            .assets
            .iter()
            .any(|a| a.version("resOriginalVidCompl").is_some())
    );
}

#[test]
fn downloads_serve_the_items_bytes() {
    let f = fake(
        FakeSharedStreams::new().album(
            FakeSharedAlbum::owned("x")
                .item(FakeAsset::live("IMG_1.HEIC"))
                .item(FakeAsset::video("IMG_2.MP4")),
        ),
    );
    let (mut c, root) = signed_in(&f);
    let list = albums(&mut c, &root);
    let x = album(&list, "x");
    let page = assets(&mut c, x, json!("0"), json!("2")).json();
    let guid = x["albumguid"].as_str().expect("guid");
    let truth = &f.expected_shared_albums(ID)[0];
    for record in page["records"].as_array().expect("records") {
        if record["recordType"] != "CPLMaster" {
            continue;
        }
        let i = truth
            .assets
            .iter()
            .position(|a| a.master_record_name == record["recordName"].as_str().unwrap_or(""))
            .expect("known master");
        let name = &truth.assets[i].asset_record_name;
        for (prefix, size, _) in &truth.assets[i].versions {
            let url = record["fields"][format!("{prefix}Res")]["value"]["downloadURL"]
                .as_str()
                .expect("url");
            let got = c.get_url(url, &[]);
            assert_eq!(got.status, 200);
            let want = f
                .shared_version_bytes(ID, guid, name, prefix)
                .expect("bytes");
            assert_eq!(got.body.len() as u64, *size);
            assert_eq!(got.body, want);
            assert_eq!(f.resource_bytes(url), Some(want.clone()));
            let tail = c.get_url(url, &[("Range", "bytes=10-".to_owned())]);
            assert_eq!(tail.status, 206);
            assert_eq!(tail.body, want[10..]);
        }
    }
    f.expire_download_urls();
    let url = page["records"][0]["fields"]["resOriginalRes"]["value"]["downloadURL"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_eq!(c.get_url(&url, &[]).status, 400, "revoked");
}

#[test]
fn wrong_partitions_answer_330_in_every_shape() {
    let streams = || {
        FakeSharedStreams::new()
            .lives_on(108)
            .album(FakeSharedAlbum::owned("moved").moved_to(12).generated(3, 1))
    };
    let f = fake(streams());
    let (mut c, root) = signed_in(&f);
    let d = dsid(&c);
    let endpoint = |root: &str| format!("{root}/{d}/sharedstreams/webgetalbumslist");
    let resp = post(&mut c, &endpoint(&root), &json!({}));
    assert_eq!(resp.status, 330);
    assert_eq!(
        resp.header("X-Apple-MMe-Host"),
        Some("p108-sharedstreams.icloud.com")
    );
    assert_eq!(
        resp.json(),
        json!({"X-Apple-MMe-Host": "p108-sharedstreams.icloud.com"})
    );
    let home = root.replace("p42-", "p108-");
    let list = albums(&mut c, &home);
    let moved = album(&list, "moved");
    let loc = location(moved);
    assert!(loc.contains("/_h/p108-sharedstreams.icloud.com/"), "{loc}");
    let resp = assets(&mut c, moved, json!("0"), json!("3"));
    assert_eq!(resp.status, 330);
    assert_eq!(
        resp.header("X-Apple-MMe-Host"),
        Some("p12-sharedstreams.icloud.com")
    );
    let there =
        json!({"albumguid": moved["albumguid"], "albumlocation": loc.replace("p108-", "p12-")});
    let page = assets(&mut c, &there, json!("0"), json!("3"));
    assert_eq!(page.status, 200);
    assert_eq!(names_of(&page.json(), "CPLAsset").len(), 3);
    assert_eq!(f.expected_shared_albums(ID)[0].partition, 12);

    for (how, body, header) in [
        (
            PartitionRedirect::HeaderOnly,
            false,
            Some("p108-sharedstreams.icloud.com"),
        ),
        (PartitionRedirect::BodyOnly, true, None),
        (PartitionRedirect::Empty, false, None),
        (
            PartitionRedirect::InvalidHost,
            true,
            Some("evil.example.com"),
        ),
    ] {
        let f = fake(streams().redirect(how));
        let (mut c, root) = signed_in(&f);
        let d = dsid(&c);
        let resp = post(
            &mut c,
            &format!("{root}/{d}/sharedstreams/webgetalbumslist"),
            &json!({}),
        );
        assert_eq!(resp.status, 330, "{how:?}");
        assert_eq!(!resp.body.is_empty(), body, "{how:?}");
        assert_eq!(resp.header("X-Apple-MMe-Host"), header, "{how:?}");
    }
    let f = fake(streams().redirect(PartitionRedirect::Loop));
    let (mut c, root) = signed_in(&f);
    let d = dsid(&c);
    for (from, to) in [("p42-", "p43-"), ("p108-", "p109-"), ("p109-", "p108-")] {
        let url = format!(
            "{}/{d}/sharedstreams/webgetalbumslist",
            root.replace("p42-", from)
        );
        let resp = post(&mut c, &url, &json!({}));
        assert_eq!(resp.status, 330);
        let target = resp.header("X-Apple-MMe-Host").expect("host");
        assert!(target.starts_with(to), "{from} → {target}");
    }
}

#[test]
fn auth_and_errors() {
    let f = fake(FakeSharedStreams::generated(2));
    let (mut c, root) = signed_in(&f);
    let d = dsid(&c);
    let list = albums(&mut c, &root);
    let trip = album(&list, "Trip").clone();

    let mut anonymous = Client::new(&f.base_url());
    let resp = post(
        &mut anonymous,
        &format!("{root}/{d}/sharedstreams/webgetalbumslist"),
        &json!({}),
    );
    assert_eq!(resp.status, 401);
    assert_eq!(
        assets(&mut anonymous, &trip, json!("0"), json!("5")).status,
        401
    );
    let other = post(
        &mut c,
        &format!("{root}/12345678901/sharedstreams/webgetalbumslist"),
        &json!({}),
    );
    assert_eq!(other.status, 401, "path dsid must be the session's");

    let unknown = json!({"albumguid": trip["albumguid"], "albumlocation": location(&trip).replace("/sharedstreams/", "x/sharedstreams/")});
    let resp = assets(&mut c, &unknown, json!("0"), json!("5"));
    assert_eq!((resp.status, resp.json()), (404, json!({})));
    let wrong_guid = json!({"albumguid": "00000000-0000-0000-0000-000000000000", "albumlocation": location(&trip)});
    assert_eq!(
        assets(&mut c, &wrong_guid, json!("0"), json!("5")).status,
        404
    );
    let resp = post(
        &mut c,
        &format!("{root}/{d}/sharedstreams/nope"),
        &json!({}),
    );
    assert_eq!(resp.status, 404);
    let stale = json!({"albumguid": trip["albumguid"], "albumctag": "FT;old", "albumlocation": location(&trip)});
    assert_eq!(
        assets(&mut c, &stale, json!("0"), json!("5")).status,
        200,
        "ignored by default"
    );

    f.expire_web_sessions();
    assert_eq!(assets(&mut c, &trip, json!("0"), json!("5")).status, 401);

    let f = fake(
        FakeSharedStreams::generated(2)
            .auth_status(421)
            .reject_stale_ctag(),
    );
    let (mut c, root) = signed_in(&f);
    let d = dsid(&c);
    let list = albums(&mut c, &root);
    let trip = album(&list, "Trip").clone();
    let stale = json!({"albumguid": trip["albumguid"], "albumctag": "FT;old", "albumlocation": location(&trip)});
    assert_eq!(assets(&mut c, &stale, json!("0"), json!("5")).status, 409);
    let mut fresh = stale.clone();
    fresh["albumctag"] = trip["albumctag"].clone();
    assert_eq!(assets(&mut c, &fresh, json!("0"), json!("5")).status, 200);
    let guid = trip["albumguid"].as_str().expect("guid");
    let added = f
        .add_shared_asset(ID, guid, FakeAsset::photo("NEW.JPG"))
        .expect("added");
    assert_eq!(
        assets(&mut c, &fresh, json!("0"), json!("9")).status,
        409,
        "ctag moved on"
    );
    let mut no_ctag = fresh.clone();
    no_ctag.as_object_mut().expect("object").remove("albumctag");
    let page = assets(&mut c, &no_ctag, json!("0"), json!("9")).json();
    assert_eq!(names_of(&page, "CPLAsset").last(), Some(&added));
    f.expire_web_sessions();
    let resp = post(
        &mut c,
        &format!("{root}/{d}/sharedstreams/webgetalbumslist"),
        &json!({}),
    );
    assert_eq!(resp.status, 421);

    let f = fake(FakeSharedStreams::generated(2));
    f.set_fault(Fault::Status {
        path_suffix: "/webgetassets".to_owned(),
        status: 500,
        times: Some(1),
    });
    let (mut c, root) = signed_in(&f);
    let list = albums(&mut c, &root);
    let trip = album(&list, "Trip");
    assert_eq!(assets(&mut c, trip, json!("0"), json!("5")).status, 500);
    assert_eq!(assets(&mut c, trip, json!("0"), json!("5")).status, 200);
}

#[test]
fn page_cap_and_repeats() {
    let streams = FakeSharedStreams::new()
        .album(FakeSharedAlbum::owned("x").generated(25, 3))
        .page_cap(7)
        .repeat_across_pages();
    let f = fake(streams);
    let (mut c, root) = signed_in(&f);
    let list = albums(&mut c, &root);
    let x = album(&list, "x");
    let truth: Vec<String> = f.expected_shared_albums(ID)[0]
        .assets
        .iter()
        .map(|a| a.asset_record_name.clone())
        .collect();
    let first = names_of(
        &assets(&mut c, x, json!("0"), json!("10")).json(),
        "CPLAsset",
    );
    assert_eq!(first, truth[..7], "capped at 7");
    let next = names_of(
        &assets(&mut c, x, json!("7"), json!("17")).json(),
        "CPLAsset",
    );
    assert_eq!(next[0], truth[6], "the item before the offset again");
    assert_eq!(next[1..], truth[7..14]);
}

#[test]
fn the_binary_serves_generated_shared_albums() {
    let (mut child, mut stdout) = crate::spawn_binary_with_stdout(&[
        "--account",
        "a@b.c:pw",
        "--no-2fa",
        "--shared-albums",
        "--quiet",
        "--exit-on-stdin-close",
    ]);
    let url = crate::read_line(&mut stdout);
    let mut c = Client::new(&url);
    assert_eq!(c.sign_in("a@b.c", "pw").status, 200);
    let root = c.account_login().json()["webservices"]["sharedstreams"]["url"]
        .as_str()
        .expect("announced")
        .to_owned();
    let user = c.cookies["X-APPLE-WEBAUTH-USER"].clone();
    let d = user
        .trim_matches('"')
        .split(':')
        .find_map(|p| p.strip_prefix("d="))
        .expect("dsid");
    let resp = post(
        &mut c,
        &format!("{root}/{d}/sharedstreams/webgetalbumslist"),
        &json!({}),
    );
    assert_eq!(resp.json()["albums"].as_array().map(Vec::len), Some(7));
    drop(child.stdin.take());
    assert!(child.wait().expect("exit").success());
}
