//! The fault engine on synthetic requests: counters, order, seeded choices, download faults.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::decide::request_key;
use super::*;
use crate::http::Req;
use crate::library::mix;

fn status_of(faults: &mut Faults, path: &str) -> Option<u16> {
    faults.decide(path, false, false, 0).reply.map(|r| r.status)
}

#[test]
fn counted_fault_runs_out() {
    let mut faults = Faults::default();
    faults.add(Fault::status("/validate", 421, Some(2)));
    assert_eq!(status_of(&mut faults, "/setup/ws/1/accountLogin"), None);
    assert_eq!(status_of(&mut faults, "/setup/ws/1/validate"), Some(421));
    assert_eq!(status_of(&mut faults, "/setup/ws/1/validate"), Some(421));
    assert_eq!(status_of(&mut faults, "/setup/ws/1/validate"), None);
}

#[test]
fn zero_times_never_fires_and_empty_suffix_matches_all() {
    let mut faults = Faults::default();
    faults.add(Fault::ServiceUnavailable {
        path_suffix: "/x".into(),
        times: Some(0),
    });
    assert_eq!(status_of(&mut faults, "/x"), None);
    faults.add(Fault::service_unavailable(""));
    let reply = faults.decide("/anything", false, false, 0).reply;
    assert_eq!(reply.as_ref().map(|r| r.status), Some(503));
    assert_eq!(
        reply.map(|r| r.body),
        Some(b"Service Temporary Unavailable".to_vec())
    );
    faults.clear();
    assert_eq!(status_of(&mut faults, "/anything"), None);
}

#[test]
fn bad_request_is_not_json() {
    let mut faults = Faults::default();
    faults.add(Fault::status("", 400, None));
    let reply = faults.decide("/x", false, false, 0).reply;
    assert_eq!(reply.map(|r| r.body), Some(b"Bad Request".to_vec()));
}

#[test]
fn throttle_has_retry_after_and_cloudkit_body() {
    let mut faults = Faults::default();
    faults.add(Fault::throttle("/records/query", 429, Some(7), Some(1)));
    let reply = faults.decide("/a/records/query", true, false, 0).reply;
    let reply = reply.expect("throttled");
    assert_eq!(reply.status, 429);
    assert_eq!(reply.get_header("Retry-After"), Some("7"));
    let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    assert_eq!(body["serverErrorCode"], "THROTTLED");
    assert!(
        faults
            .decide("/a/records/query", true, false, 0)
            .reply
            .is_none()
    );
}

#[test]
fn latency_adds_and_session_expiry_counts_cloudkit_only() {
    let mut faults = Faults::default();
    faults.add(Fault::latency(Duration::from_millis(5)));
    faults.add(Fault::expire_session_after(1));
    let d = faults.decide("/setup/ws/1/validate", false, false, 0);
    assert_eq!(d.delay, Duration::from_millis(5));
    assert!(!d.expire_sessions);
    assert!(
        !faults
            .decide("/db/records/query", true, false, 0)
            .expire_sessions
    );
    assert!(
        faults
            .decide("/db/records/query", true, false, 0)
            .expire_sessions
    );
    assert!(
        !faults
            .decide("/db/records/query", true, false, 0)
            .expire_sessions
    );
}

#[test]
fn download_faults_touch_downloads_only() {
    let mut faults = Faults::default();
    faults.add(Fault::truncate_download(10, Some(1)));
    faults.add(Fault::download_error(400, Some(1)));
    assert!(
        faults
            .decide("/records/query", true, false, 0)
            .reply
            .is_none()
    );
    let first = faults.decide("/B/x/${f}", false, true, 0);
    assert_eq!(first.reply.map(|r| r.status), Some(400));
    assert_eq!(first.truncate, None);
    assert_eq!(
        faults.decide("/B/x/${f}", false, true, 0).truncate,
        Some(10)
    );
    assert_eq!(faults.decide("/B/x/${f}", false, true, 0).truncate, None);
}

#[test]
fn random_statuses_are_seeded_per_request_and_spare_sign_in() {
    let statuses = |seed, keys: &[u64]| {
        let mut faults = Faults::default();
        faults.add(Fault::random_status("", 500, 300, seed));
        keys.iter()
            .map(|&k| {
                faults
                    .decide("/db/records/query", true, false, k)
                    .reply
                    .is_some()
            })
            .collect::<Vec<_>>()
    };
    let keys: Vec<u64> = (0..1000).collect();
    let hits = statuses(5, &keys);
    let n = hits.iter().filter(|h| **h).count();
    assert!((240..=360).contains(&n), "{n}");
    assert_eq!(statuses(5, &keys), hits);
    // The answer depends on the request, not on what came before it.
    let reversed: Vec<u64> = keys.iter().rev().copied().collect();
    let mut back = statuses(5, &reversed);
    back.reverse();
    assert_eq!(back, hits);
    // A repeated request rolls again.
    let same = statuses(5, &[9; 100]);
    assert!(same.contains(&true) && same.contains(&false));

    let mut faults = Faults::default();
    faults.add(Fault::random_status("", 500, 1000, 1));
    assert!(
        faults
            .decide("/appleauth/auth/signin/init", false, false, 1)
            .reply
            .is_none()
    );
    assert!(
        faults
            .decide("/setup/ws/1/validate", false, false, 1)
            .reply
            .is_none()
    );
    let reply = faults
        .decide("/B/x/${f}", false, true, 1)
        .reply
        .expect("cdn hit");
    let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    assert_eq!(
        body,
        json!({"success": false, "error": "Internal Server Error"})
    );
}

#[test]
fn resets_are_seeded_prefixes_of_downloads() {
    let mut faults = Faults::default();
    faults.add(Fault::reset_downloads(1000, 8));
    assert_eq!(
        faults.decide("/db/records/query", true, false, 1).reset,
        None
    );
    let r = faults
        .decide("/B/x/${f}", false, true, 1)
        .reset
        .expect("reset");
    let mut again = Faults::default();
    again.add(Fault::reset_downloads(1000, 8));
    assert_eq!(again.decide("/B/x/${f}", false, true, 1).reset, Some(r));
    for r in (0..2000).map(|k| mix(3, k)) {
        for len in [2, 3, 100, 4096] {
            let p = reset_prefix(r, len);
            assert!(p >= 1 && p < len, "{p} of {len}");
        }
    }
    assert_eq!(reset_prefix(5, 1), 0);
    assert_eq!(reset_prefix(5, 0), 0);
    // An explicit truncation wins over a reset.
    faults.add(Fault::truncate_download(7, Some(1)));
    let d = faults.decide("/B/x/${f}", false, true, 1);
    assert_eq!((d.truncate, d.reset), (Some(7), None));
    let mut never = Faults::default();
    never.add(Fault::reset_downloads(0, 8));
    assert!((0..100).all(|k| never.decide("/B/x/${f}", false, true, k).reset.is_none()));
}

#[test]
fn bandwidth_is_shared_by_downloads_and_replaced_by_a_later_cap() {
    let mut faults = Faults::default();
    faults.add(Fault::bandwidth(1000));
    assert!(
        faults
            .decide("/db/records/query", true, false, 0)
            .bandwidth
            .is_none()
    );
    let a = faults
        .decide("/B/x/${f}", false, true, 0)
        .bandwidth
        .expect("capped");
    let b = faults
        .decide("/B/y/${f}", false, true, 1)
        .bandwidth
        .expect("capped");
    assert!(Arc::ptr_eq(&a, &b), "one bucket for every download");
    assert_eq!(a.chunk(), 50);
    faults.add(Fault::bandwidth(100_000));
    let c = faults
        .decide("/B/x/${f}", false, true, 0)
        .bandwidth
        .expect("capped");
    assert_eq!(c.chunk(), 5000);
    faults.clear();
    assert!(
        faults
            .decide("/B/x/${f}", false, true, 0)
            .bandwidth
            .is_none()
    );
}

#[test]
fn request_keys_ignore_the_query_but_not_the_range() {
    let req = |query: &str, range: Option<&str>| Req {
        method: "GET".into(),
        path: "/B/x/${f}".into(),
        query: Some(query.into()),
        headers: range
            .map(|r| ("range".to_owned(), r.to_owned()))
            .into_iter()
            .collect(),
        body: Vec::new(),
        ..Req::default()
    };
    assert_eq!(
        request_key(&req("e=1", None)),
        request_key(&req("e=2", None))
    );
    assert_ne!(
        request_key(&req("e=1", None)),
        request_key(&req("e=1", Some("bytes=5-")))
    );
}

fn download(range: Option<&str>) -> Req {
    Req {
        method: "GET".into(),
        path: "/B/x/${f}".into(),
        query: None,
        headers: range
            .map(|r| ("range".to_owned(), r.to_owned()))
            .into_iter()
            .collect(),
        body: Vec::new(),
        ..Req::default()
    }
}

#[test]
fn range_faults_count_resumed_downloads_only_in_order() {
    use crate::cdn::Misrange;
    let mut faults = Faults::default();
    faults.add(Fault::ignore_range(Some(1)));
    faults.add(Fault::wrong_range(Some(2)));
    let mut misrange = |req: &Req| faults.decide_for(req).misrange;
    // Neither a whole download, a range from byte 0 nor another service uses them up.
    assert_eq!(misrange(&download(None)), None);
    assert_eq!(misrange(&download(Some("bytes=0-"))), None);
    let mut query = download(Some("bytes=5-"));
    query.path = "/database/1/x/records/query".into();
    assert_eq!(misrange(&query), None);
    assert_eq!(misrange(&download(Some("bytes=5-"))), Some(Misrange::Whole));
    assert_eq!(
        misrange(&download(Some("bytes=5-9"))),
        Some(Misrange::FromStart)
    );
    assert_eq!(
        misrange(&download(Some("bytes=1-"))),
        Some(Misrange::FromStart)
    );
    assert_eq!(misrange(&download(Some("bytes=5-"))), None);

    // A download another fault answers does not use them up; forever stays.
    let mut faults = Faults::default();
    faults.add(Fault::download_error(500, Some(1)));
    faults.add(Fault::wrong_range(None));
    let d = faults.decide_for(&download(Some("bytes=5-")));
    assert_eq!((d.reply.map(|r| r.status), d.misrange), (Some(500), None));
    for _ in 0..3 {
        assert_eq!(
            faults.decide_for(&download(Some("bytes=5-"))).misrange,
            Some(Misrange::FromStart)
        );
    }
    let mut never = Faults::default();
    never.add(Fault::ignore_range(Some(0)));
    assert_eq!(never.decide_for(&download(Some("bytes=5-"))).misrange, None);
}

fn listing(start: u64) -> Req {
    let body = json!({"query": {"filterBy": [
        {"fieldName": "startRank", "fieldValue": {"type": "INT64", "value": start}, "comparator": "EQUALS"},
        {"fieldName": "direction", "fieldValue": {"type": "STRING", "value": "ASCENDING"}, "comparator": "EQUALS"}],
        "recordType": "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted"}, "resultsLimit": 200});
    Req {
        method: "POST".into(),
        path: "/database/1/x/records/query".into(),
        body: body.to_string().into_bytes(),
        ..Req::default()
    }
}

#[test]
fn ignore_start_rank_rewrites_listing_requests_only() {
    let mut faults = Faults::default();
    faults.add(Fault::ignore_start_rank(Some(2)));
    let first_page = |body: Option<Vec<u8>>| {
        let v: serde_json::Value = serde_json::from_slice(&body.expect("rewritten")).unwrap();
        assert_eq!(v["query"]["filterBy"][1]["fieldName"], "direction", "{v}");
        v["query"]["filterBy"][0]["fieldValue"]["value"].clone()
    };
    // Albums (no startRank) and other endpoints do not use it up.
    let mut albums = listing(0);
    albums.body = br#"{"query": {"recordType": "CPLAlbumByPositionLive"}}"#.to_vec();
    assert_eq!(faults.decide_for(&albums).body, None);
    let mut zones = listing(100);
    zones.path = "/database/1/x/zones/list".into();
    assert_eq!(faults.decide_for(&zones).body, None);
    assert_eq!(first_page(faults.decide_for(&listing(100)).body), json!(0));
    assert_eq!(first_page(faults.decide_for(&listing(0)).body), json!(0));
    assert_eq!(faults.decide_for(&listing(100)).body, None, "used up");
    // A request another fault answers does not use it up.
    faults.add(Fault::status("/records/query", 500, Some(1)));
    faults.add(Fault::ignore_start_rank(None));
    let d = faults.decide_for(&listing(300));
    assert_eq!((d.reply.map(|r| r.status), d.body), (Some(500), None));
    assert!(faults.decide_for(&listing(300)).body.is_some());
}

#[test]
fn oversized_bodies_are_generated_with_or_without_a_length() {
    let mut faults = Faults::default();
    faults.add(Fault::oversized_body("/records/query", 1 << 30, false));
    let reply = faults.decide_for(&listing(0)).reply.expect("answered");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.get_header("Content-Length"), None, "chunked");
    let g = reply.generated.expect("generated, never held whole");
    assert_eq!(
        (g.start, g.end, g.magic),
        (0, 1 << 30, &b"{\"records\":["[..])
    );
    let mut faults = Faults::default();
    faults.add(Fault::oversized_body("", 5000, true));
    let reply = faults.decide("/setup/ws/1/validate", false, false, 0).reply;
    assert_eq!(
        reply.as_ref().and_then(|r| r.get_header("Content-Length")),
        Some("5000")
    );
}

#[test]
fn session_expiry_every_n_requests_gives_cloudkit_requests_a_budget() {
    let mut faults = Faults::default();
    faults.add(Fault::expire_session_every(2));
    let d = faults.decide("/db/records/query", true, false, 0);
    assert_eq!((d.session_budget, d.expire_sessions), (Some(2), false));
    assert_eq!(
        faults
            .decide("/setup/ws/1/validate", false, false, 0)
            .session_budget,
        None
    );
}
