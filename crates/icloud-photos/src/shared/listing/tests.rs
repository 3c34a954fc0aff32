use serde_json::json;

use super::*;

fn master(i: usize) -> Record {
    Record::new(json!({"recordName": format!("M{i}"), "recordType": "CPLMaster", "fields": {
        "filenameEnc": {"value": format!("IMG_{i}.JPG"), "type": "STRING"},
        "resOriginalRes": {"value": {"downloadURL": format!("https://x/B/{i}"), "fileChecksum": "c", "size": 0}, "type": "ASSETID"},
        "resOriginalFileSize": {"value": 10 + i, "type": "INT64"},
        "resOriginalFileType": {"value": "public.jpeg", "type": "STRING"}
    }}))
    .unwrap()
}

fn asset(i: usize) -> Record {
    Record::new(
        json!({"recordName": format!("A{i}"), "recordType": "CPLAsset", "fields": {
            "masterRef": {"value": {"recordName": format!("M{i}")}, "type": "REFERENCE"}
        }}),
    )
    .unwrap()
}

/// Items `range` as a page: each master then its asset.
fn page(range: std::ops::Range<usize>) -> Vec<Record> {
    range.flat_map(|i| [master(i), asset(i)]).collect()
}

fn drain(p: &mut Pager) -> (Vec<String>, Vec<Error>) {
    let (mut ok, mut err) = (Vec::new(), Vec::new());
    while let Some(item) = p.pop() {
        match item {
            Ok(a) => ok.push(a.id().to_string()),
            Err(e) => err.push(e),
        }
    }
    (ok, err)
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("A{i}")).collect()
}

#[test]
fn pages_until_the_count_is_reached() {
    let mut p = Pager::new("G", 5);
    assert_eq!(p.process(page(0..3), 1), PageOutcome { items: 3, new: 3 });
    assert!(
        !p.is_done(),
        "short of the count: ask on, whatever the page's length"
    );
    assert_eq!(p.process(page(3..5), 2), PageOutcome { items: 2, new: 2 });
    assert!(p.is_done(), "count reached: no more requests");
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ids(0..5));
    assert!(err.is_empty());
}

#[test]
fn an_empty_page_ends_the_listing_and_a_shortfall_is_incomplete() {
    let mut p = Pager::new("G", 5);
    p.process(page(0..3), 1);
    assert_eq!(p.process(Vec::new(), 2), PageOutcome { items: 0, new: 0 });
    assert!(p.is_done());
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ids(0..3));
    assert!(
        matches!(
            err[..],
            [Error::Incomplete {
                expected: 5,
                listed: 3
            }]
        ),
        "{err:?}"
    );
}

#[test]
fn an_empty_album_asks_nothing() {
    let p = Pager::new("G", 0);
    assert!(p.is_done());
}

#[test]
fn pairs_by_master_ref_in_any_order_and_across_pages() {
    let mut p = Pager::new("G", 4);
    // Assets before their masters; the master of item 1 arrives on the next page.
    let first = vec![asset(0), asset(1), master(0)];
    assert_eq!(p.process(first, 1), PageOutcome { items: 2, new: 2 });
    assert_eq!(drain(&mut p).0, ids(0..1));
    let second = vec![master(1), master(2), master(3), asset(3), asset(2)];
    p.process(second, 2);
    assert_eq!(drain(&mut p).0, ["A1", "A3", "A2"]);
    assert!(p.is_done());
}

#[test]
fn a_master_that_never_comes_is_an_error_for_its_item() {
    let mut p = Pager::new("G", 3);
    p.process(vec![asset(0), master(0), asset(1)], 1);
    p.process(page(2..3), 2);
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ["A0", "A2"]);
    let d = err[0].as_decode().expect("decode error");
    assert_eq!((d.record_name(), d.field()), ("A1", "masterRef"));
    assert_eq!(d.asset_id().map(|a| a.to_string()).as_deref(), Some("A1"));
}

#[test]
fn repeated_items_are_yielded_once_and_do_not_count_as_new() {
    let mut p = Pager::new("G", 5);
    p.process(page(0..3), 1);
    // The server repeats item 2 at the start of the next page.
    assert_eq!(p.process(page(2..5), 2), PageOutcome { items: 3, new: 2 });
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ids(0..5));
    assert!(err.is_empty());
}

#[test]
fn pages_that_only_repeat_stall_the_listing() {
    let mut p = Pager::new("G", 10);
    p.process(page(0..3), 1);
    p.process(page(0..3), 2);
    assert!(!p.is_done(), "one repeated page may be an overlap");
    p.process(page(0..3), 3);
    assert!(p.is_done());
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ids(0..3));
    assert!(
        matches!(
            err[..],
            [Error::ListingStalled {
                requests: 3,
                listed: 3,
                expected: 10
            }]
        ),
        "{err:?}"
    );
}

#[test]
fn deleted_and_purged_records_are_no_items() {
    let mut p = Pager::new("G", 1);
    let deleted = Record::new(
        json!({"recordName": "A9", "recordType": "CPLAsset", "fields": {
            "masterRef": {"value": {"recordName": "M9"}, "type": "REFERENCE"},
            "isDeleted": {"value": 1, "type": "INT64"}
        }}),
    )
    .unwrap();
    let tombstone =
        Record::new(json!({"recordName": "A8", "recordType": null, "deleted": true})).unwrap();
    let mut records = vec![deleted, tombstone, master(9)];
    records.extend(page(0..1));
    assert_eq!(p.process(records, 1), PageOutcome { items: 1, new: 1 });
    assert_eq!(drain(&mut p).0, ids(0..1));
}

#[test]
fn undecodable_items_are_errors_with_their_records() {
    let mut p = Pager::new("G", 2);
    let bad = Record::new(
        json!({"recordName": "M1", "recordType": "CPLMaster", "fields": {
            "filenameEnc": {"value": "IMG.JPG", "type": "STRING"}
        }}),
    )
    .unwrap();
    p.process(vec![master(0), asset(0), bad, asset(1)], 1);
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ids(0..1));
    let d = err[0].as_decode().expect("decode error");
    assert_eq!(d.field(), "resOriginalRes");
    assert!(d.raw_records().unwrap().contains(r#""recordName":"A1""#));
    assert!(p.is_done(), "a failed item counts as listed");
}
