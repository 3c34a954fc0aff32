//! The download CDN: URLs, Range/206, checksums, expiry.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary};
use serde_json::Value;

use crate::client::Client;
use crate::paging::{list_body, of_type, smart};
use crate::{ID, PW, ck_client, photos_fake};

/// Lists the first page and returns (master, asset) records.
fn first_page(c: &mut Client) -> Value {
    let resp = c.ck(
        "private",
        "records/query",
        &list_body("PrimarySync", &smart(None), 0, 200),
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.json()
}

/// Returns every (prefix, ASSETID value) of a record.
fn resources(record: &Value) -> Vec<(String, Value)> {
    record["fields"]
        .as_object()
        .expect("fields")
        .iter()
        .filter(|(_, v)| v["type"] == "ASSETID")
        .map(|(k, v)| (k.trim_end_matches("Res").to_owned(), v["value"].clone()))
        .collect()
}

#[test]
fn download_whole_and_ranges_without_cookies() {
    let fake = photos_fake(FakeLibrary::new().asset(FakeAsset::live("IMG_0001.HEIC").size(5000)));
    let mut c = ck_client(&fake);
    let page = first_page(&mut c);
    let master = of_type(&page, "CPLMaster")[0];
    let original = &master["fields"]["resOriginalRes"]["value"];
    let url = original["downloadURL"].as_str().expect("url");
    assert!(url.starts_with(&format!("{}/B/", fake.base_url())), "{url}");
    assert!(
        url.contains("/${f}?") && url.contains("&ckz=PrimarySync&"),
        "{url}"
    );
    assert_eq!(original["size"], 5000);
    let bytes = fake.resource_bytes(url).expect("bytes");
    assert_eq!(bytes.len(), 5000);
    assert_eq!(&bytes[4..12], b"ftypheic");

    let mut anyone = Client::new(&fake.base_url());
    let whole = anyone.get_url(url, &[("Range", "bytes=0-".into())]);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, bytes);
    assert_eq!(
        whole.header("Content-Type"),
        Some("application/octet-stream")
    );
    assert_eq!(whole.header("Accept-Ranges"), Some("bytes"));
    assert_eq!(whole.header("Content-Length"), Some("5000"));
    assert_eq!(
        whole.header("Content-Disposition"),
        Some("attachment; filename=\"%24%7Bf%7D\"; filename*=UTF-8''%24%7Bf%7D")
    );
    assert_eq!(anyone.get_url(url, &[]).status, 200);

    // What an HTTP client sends: `${f}` percent-encoded.
    let encoded = url.replace("${f}", "$%7Bf%7D");
    let part = anyone.get_url(&encoded, &[("Range", "bytes=1234-".into())]);
    assert_eq!(part.status, 206);
    assert_eq!(part.header("Content-Range"), Some("bytes 1234-4999/5000"));
    assert_eq!(part.header("Content-Length"), Some("3766"));
    assert_eq!(part.body, bytes[1234..]);
    let closed = anyone.get_url(url, &[("Range", "bytes=10-19".into())]);
    assert_eq!(
        (closed.status, closed.body.as_slice()),
        (206, &bytes[10..20])
    );
    let beyond = anyone.get_url(url, &[("Range", "bytes=5000-".into())]);
    assert_eq!(beyond.status, 416);
    assert_eq!(beyond.header("Content-Range"), Some("bytes */5000"));

    let live = &master["fields"]["resOriginalVidComplRes"]["value"];
    let movie = fake
        .resource_bytes(live["downloadURL"].as_str().expect("url"))
        .expect("movie");
    assert_eq!(movie.len() as u64, live["size"].as_u64().expect("size"));
    assert_eq!(&movie[4..12], b"ftypqt  ");
}

#[test]
fn checksums_are_unique_and_shaped_like_apples() {
    let fake = photos_fake(FakeLibrary::generated(120, 9));
    let mut c = ck_client(&fake);
    let page = first_page(&mut c);
    let mut seen = HashSet::new();
    let mut n = 0;
    for record in page["records"].as_array().expect("records") {
        for (prefix, value) in resources(record) {
            let checksum = value["fileChecksum"].as_str().expect("checksum");
            let raw = STANDARD.decode(checksum).expect("base64");
            assert_eq!((raw.len(), raw[0]), (21, 1), "{prefix}");
            assert!(seen.insert(checksum.to_owned()), "{checksum} repeats");
            assert!(value["size"].as_u64().is_some_and(|s| s > 0));
            assert!(value["wrappingKey"].is_string() && value["referenceChecksum"].is_string());
            n += 1;
        }
        if record["recordType"] == "CPLMaster" {
            assert_eq!(
                record["fields"]["resOriginalRes"]["value"]["fileChecksum"], record["recordName"],
                "as at Apple, a master is named after its original's checksum"
            );
        }
    }
    assert!(n > 400, "{n}");
    // Bytes differ per resource and match the advertised sizes.
    let urls: Vec<(String, u64)> = of_type(&page, "CPLMaster")
        .iter()
        .take(20)
        .map(|m| {
            let v = &m["fields"]["resJPEGThumbRes"]["value"];
            (
                v["downloadURL"].as_str().expect("url").to_owned(),
                v["size"].as_u64().expect("size"),
            )
        })
        .collect();
    let mut bodies = HashSet::new();
    for (url, size) in urls {
        let body = fake.resource_bytes(&url).expect("bytes");
        assert_eq!(body.len() as u64, size);
        assert!(bodies.insert(body));
    }
}

#[test]
fn bad_tampered_revoked_and_expired_urls_answer_400() {
    let fake = photos_fake(FakeLibrary::new().asset(FakeAsset::photo("a.JPG")));
    let mut c = ck_client(&fake);
    let page = first_page(&mut c);
    let url = of_type(&page, "CPLMaster")[0]["fields"]["resOriginalRes"]["value"]["downloadURL"]
        .as_str()
        .expect("url")
        .to_owned();
    let check_400 = |c: &mut Client, url: &str| {
        let resp = c.get_url(url, &[]);
        assert_eq!(resp.status, 400, "{url}");
        assert_eq!(resp.header("Content-Type"), Some("application/json"));
        assert_eq!(resp.text(), "{}");
    };
    let base = fake.base_url();
    check_400(&mut c, &format!("{base}/B/nonsense/${{f}}"));
    let (head, tail) = url.split_once("/${f}").expect("f");
    let mut token: Vec<char> = head.chars().collect();
    let last = token.len() - 15;
    token[last] = if token[last] == 'A' { 'B' } else { 'A' };
    check_400(
        &mut c,
        &format!("{}/${{f}}{tail}", token.into_iter().collect::<String>()),
    );
    check_400(&mut c, &url.replace("&s=", "&s=x"));
    let e = url
        .split("&e=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("e");
    check_400(&mut c, &url.replace(&format!("&e={e}"), "&e=99999999999"));
    assert_eq!(c.get_url(&url, &[]).status, 200);
    assert_eq!(
        fake.resource_bytes(&format!("{base}/B/nonsense/${{f}}")),
        None
    );

    fake.expire_download_urls();
    check_400(&mut c, &url);
    assert!(
        fake.resource_bytes(&url).is_some(),
        "truth ignores revocation"
    );
    let fresh = first_page(&mut c);
    let new_url =
        of_type(&fresh, "CPLMaster")[0]["fields"]["resOriginalRes"]["value"]["downloadURL"]
            .as_str()
            .expect("url")
            .to_owned();
    assert_eq!(c.get_url(&new_url, &[]).status, 200);

    let short = FakeICloud::builder()
        .account(
            FakeAccount::new(ID, PW)
                .iterations(1000)
                .without_two_factor(),
        )
        .download_url_lifetime(Duration::ZERO)
        .start()
        .expect("fake");
    let mut c = Client::signed_in(&short.base_url(), ID, PW);
    let page = first_page(&mut c);
    let url = of_type(&page, "CPLMaster")[0]["fields"]["resJPEGThumbRes"]["value"]["downloadURL"]
        .as_str()
        .expect("url")
        .to_owned();
    std::thread::sleep(Duration::from_millis(1100));
    check_400(&mut c, &url);
}

#[test]
fn assets_without_download_url_have_none() {
    let fake =
        photos_fake(FakeLibrary::new().asset(FakeAsset::photo("a.JPG").without_download_url()));
    let mut c = ck_client(&fake);
    let page = first_page(&mut c);
    for (_, value) in resources(of_type(&page, "CPLMaster")[0]) {
        assert!(value.get("downloadURL").is_none());
        assert!(value["size"].is_u64() && value["fileChecksum"].is_string());
    }
}

#[test]
fn shared_zone_urls_name_their_zone() {
    let zone = "SharedSync-00000000-1111-2222-3333-444444444444";
    let fake = crate::photos_fake_with(FakeLibrary::new(), |a| {
        a.shared_library(
            zone,
            FakeLibrary::new().asset(FakeAsset::photo("s.JPG")),
            icloud_fake::SharedPlacement::SharedDb,
        )
    });
    let mut c = ck_client(&fake);
    let page = c
        .ck(
            "shared",
            "records/query",
            &list_body(zone, &smart(None), 0, 200),
        )
        .json();
    let master = of_type(&page, "CPLMaster")[0];
    let url = master["fields"]["resOriginalRes"]["value"]["downloadURL"]
        .as_str()
        .expect("url");
    assert!(url.contains(&format!("&ckz={zone}&")));
    assert_eq!(master["fields"]["contributors"]["type"], "REFERENCE_LIST");
    let expected = fake.expected_listing(ID, zone, None);
    assert_eq!(expected.len(), 1);
    let (size, _) = expected[0].version("resOriginal").expect("original");
    assert_eq!(
        Client::new(&fake.base_url()).get_url(url, &[]).body.len() as u64,
        size
    );
}
