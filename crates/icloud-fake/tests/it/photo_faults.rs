//! Faults on CloudKit and the CDN: throttling, 500s, expiring sessions, latency, broken
//! downloads.

use std::time::{Duration, Instant};

use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary, Fault};
use serde_json::json;

use crate::client::Client;
use crate::paging::{list_body, of_type, smart};
use crate::{ID, PW, ck_client, photos_fake};

fn zones(c: &mut Client) -> u16 {
    c.ck("private", "zones/list", &json!({})).status
}

#[test]
fn throttling_with_and_without_retry_after() {
    let fake = photos_fake(FakeLibrary::new());
    let mut c = ck_client(&fake);
    fake.set_fault(Fault::throttle("/zones/list", 429, Some(3), Some(1)));
    let resp = c.ck("private", "zones/list", &json!({}));
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("Retry-After"), Some("3"));
    assert_eq!(resp.json()["serverErrorCode"], "THROTTLED");
    assert_eq!(zones(&mut c), 200, "used up");
    fake.set_fault(Fault::throttle("", 503, None, Some(2)));
    let resp = c.ck("private", "zones/list", &json!({}));
    assert_eq!((resp.status, resp.header("Retry-After")), (503, None));
    assert_eq!(resp.json()["serverErrorCode"], "TRY_AGAIN_LATER");
    assert_eq!(zones(&mut c), 503);
    assert_eq!(zones(&mut c), 200);
    fake.set_fault(Fault::status("/records/query", 500, Some(1)));
    let q = c.ck(
        "private",
        "records/query",
        &list_body("PrimarySync", &smart(None), 0, 200),
    );
    assert_eq!(q.status, 500);
    assert_eq!(zones(&mut c), 200, "other endpoints unaffected");
}

#[test]
fn sessions_expire_after_n_cloudkit_requests() {
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(ID, PW)
                .iterations(1000)
                .without_two_factor(),
        )
        .fault(Fault::expire_session_after(2))
        .start()
        .expect("fake");
    let mut c = ck_client(&fake);
    assert_eq!(zones(&mut c), 200);
    assert_eq!(zones(&mut c), 200);
    let expired = c.ck("private", "zones/list", &json!({}));
    assert_eq!(expired.status, 421);
    assert_eq!(
        c.setup("POST", "validate", Some(serde_json::Value::Null))
            .status,
        421,
        "the web session is gone everywhere"
    );
    let mut again = ck_client(&fake);
    assert_eq!(
        zones(&mut again),
        200,
        "a new sign-in works and the fault is spent"
    );
}

#[test]
fn a_session_expiry_happens_even_when_another_fault_answers_the_request() {
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(ID, PW)
                .iterations(1000)
                .without_two_factor(),
        )
        .fault(Fault::expire_session_after(1))
        .start()
        .expect("fake");
    let mut c = ck_client(&fake);
    assert_eq!(zones(&mut c), 200);
    // The second CloudKit request expires the session; a 503 answers it.
    fake.set_fault(Fault::throttle("/zones/list", 503, None, Some(1)));
    assert_eq!(zones(&mut c), 503);
    assert_eq!(zones(&mut c), 421, "the session expired all the same");
}

/// Apple's behaviour after a web session ends: the trust token from an earlier 2FA makes the
/// next SRP sign-in complete without a code (`signin/complete` 200, not 409), and the trusted
/// `accountLogin` gives CloudKit cookies again.
#[test]
fn after_sessions_expire_the_trust_token_skips_two_factor() {
    let fake = FakeICloud::builder()
        .account(
            FakeAccount::new(ID, PW)
                .iterations(1000)
                .fixed_code("123456"),
        )
        .fault(Fault::expire_session_after(1))
        .start()
        .expect("fake");
    let mut c = Client::new(&fake.base_url());
    assert_eq!(c.sign_in(ID, PW).status, 409, "a new device needs 2FA");
    let push = c.idmsa("PUT", "/verify/trusteddevice/securitycode", None);
    assert_eq!(push.status, 202);
    let code = json!({"securityCode": {"code": "123456"}});
    let verify = c.idmsa("POST", "/verify/trusteddevice/securitycode", Some(code));
    assert_eq!(verify.status, 204);
    assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 204);
    assert!(c.trust_token.is_some());
    assert_eq!(c.account_login().status, 200);
    assert_eq!(zones(&mut c), 200);
    assert_eq!(zones(&mut c), 421, "the web session expired");

    let mut again = Client::new(&fake.base_url());
    again.trust_token = c.trust_token.clone();
    assert_eq!(
        again.sign_in(ID, PW).status,
        200,
        "no 2FA with the trust token"
    );
    let login = again.account_login();
    assert_eq!(login.json()["hsaChallengeRequired"], false);
    assert_eq!(zones(&mut again), 200);
    assert_eq!(zones(&mut again), 200, "the fault is spent");
    assert_eq!(fake.count("POST", "/verify/trusteddevice/securitycode"), 1);
}

#[test]
fn latency_is_applied_outside_the_lock() {
    let fake = photos_fake(FakeLibrary::generated(20, 1));
    let c = ck_client(&fake);
    fake.set_fault(Fault::latency(Duration::from_millis(300)));
    let started = Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let mut c = c.clone();
            std::thread::spawn(move || zones(&mut c))
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread"), 200);
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(
        took < Duration::from_millis(1500),
        "requests overlap: {took:?}"
    );

    fake.clear_faults();
    fake.set_fault(Fault::latency_for(
        "/records/query",
        Duration::from_millis(400),
    ));
    let mut c = c.clone();
    let quick = Instant::now();
    assert_eq!(zones(&mut c), 200);
    assert!(quick.elapsed() < Duration::from_millis(350));
    let slow = Instant::now();
    c.ck(
        "private",
        "records/query",
        &list_body("PrimarySync", &smart(None), 0, 2),
    );
    assert!(slow.elapsed() >= Duration::from_millis(400));
}

fn original_url(fake: &FakeICloud) -> (String, u64) {
    let mut c = ck_client(fake);
    let page = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &smart(None), 0, 2),
        )
        .json();
    let v = &of_type(&page, "CPLMaster")[0]["fields"]["resOriginalRes"]["value"];
    (
        v["downloadURL"].as_str().expect("url").to_owned(),
        v["size"].as_u64().expect("size"),
    )
}

#[test]
fn truncated_downloads_promise_more_than_they_send() {
    let fake = photos_fake(FakeLibrary::new().asset(FakeAsset::photo("a.JPG").size(300_000)));
    let (url, size) = original_url(&fake);
    fake.set_fault(Fault::truncate_download(1000, Some(1)));
    let mut c = Client::new(&fake.base_url());
    let cut = c.get_url(&url, &[]);
    assert_eq!(cut.status, 200);
    assert_eq!(cut.header("Content-Length"), Some("300000"));
    assert_eq!(cut.body.len(), 1000, "the connection closes early");
    let bytes = fake.resource_bytes(&url).expect("bytes");
    assert_eq!(cut.body, bytes[..1000]);
    // Resume from where it broke: a 206 with the rest.
    let rest = c.get_url(&url, &[("Range", "bytes=1000-".into())]);
    assert_eq!(rest.status, 206);
    assert_eq!(rest.body.len() as u64, size - 1000);
    assert_eq!(rest.body, bytes[1000..]);
}

#[test]
fn download_errors_answer_json_and_run_out() {
    let fake = photos_fake(FakeLibrary::new().asset(FakeAsset::photo("a.JPG")));
    let (url, _) = original_url(&fake);
    fake.set_fault(Fault::download_error(400, Some(1)));
    fake.set_fault(Fault::download_error(404, Some(1)));
    let mut c = Client::new(&fake.base_url());
    let first = c.get_url(&url, &[]);
    assert_eq!((first.status, first.text()), (400, "{}".to_owned()));
    assert_eq!(first.header("Content-Type"), Some("application/json"));
    assert_eq!(c.get_url(&url, &[]).status, 404);
    assert_eq!(c.get_url(&url, &[]).status, 200);
    // CloudKit is untouched by download faults.
    fake.set_fault(Fault::download_error(500, None));
    let mut ck = ck_client(&fake);
    assert_eq!(zones(&mut ck), 200);
}

/// Returns the CPLAsset names of a listing page.
fn asset_names(page: &serde_json::Value) -> Vec<String> {
    of_type(page, "CPLAsset")
        .iter()
        .map(|a| a["recordName"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn ignoring_start_rank_answers_the_first_page_to_every_listing_request() {
    let fake = photos_fake(FakeLibrary::generated(30, 9));
    let mut c = ck_client(&fake);
    let page = |c: &mut Client, start| {
        let body = list_body("PrimarySync", &smart(None), start, 10);
        let resp = c.ck("private", "records/query", &body);
        assert_eq!(resp.status, 200, "{}", resp.text());
        asset_names(&resp.json())
    };
    let (first, second) = (page(&mut c, 0), page(&mut c, 5));
    assert_eq!(first.len(), 5);
    assert_ne!(first, second);
    fake.set_fault(Fault::ignore_start_rank(Some(2)));
    assert_eq!(page(&mut c, 5), first);
    assert_eq!(page(&mut c, 1000), first, "even past the end");
    assert_eq!(page(&mut c, 5), second, "used up");
    fake.set_fault(Fault::ignore_start_rank(None));
    let albums = c.ck(
        "private",
        "records/query",
        &json!({"query": {"recordType": "CPLAlbumByPositionLive"}, "zoneID": {"zoneName": "PrimarySync"}}),
    );
    assert_eq!(albums.status, 200, "other queries are answered as usual");
    for start in [5, 10, 15] {
        assert_eq!(page(&mut c, start), first);
    }
    let recorded = fake.requests();
    let last = recorded.last().expect("recorded").json().expect("json");
    assert_eq!(
        last["query"]["filterBy"][0]["fieldValue"]["value"], 15,
        "the request is recorded as sent"
    );
}

#[test]
fn oversized_bodies_stream_past_any_sane_size() {
    let fake = photos_fake(FakeLibrary::new());
    let mut c = ck_client(&fake);
    fake.set_fault(Fault::oversized_body("/zones/list", 3_000_000, false));
    let resp = c.ck("private", "zones/list", &json!({}));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("Content-Length"), None);
    assert_eq!(resp.header("Transfer-Encoding"), Some("chunked"));
    let body = dechunk(&resp.body);
    assert_eq!(body.len(), 3_000_000);
    assert!(body.starts_with(b"{\"records\":["));
    fake.clear_faults();
    fake.set_fault(Fault::oversized_body("/zones/list", 1000, true));
    let resp = c.ck("private", "zones/list", &json!({}));
    assert_eq!(resp.header("Content-Length"), Some("1000"));
    assert_eq!(resp.body.len(), 1000);
}

/// Returns the body of a chunked HTTP/1.1 answer.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("size line");
        let size = std::str::from_utf8(&raw[..line]).expect("ascii");
        let size = usize::from_str_radix(size.split(';').next().unwrap_or(size), 16).expect("hex");
        raw = &raw[line + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}
