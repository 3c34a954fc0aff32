//! The pager on hand-written pages: pairing, de-duplication, deleted records, empty pages,
//! termination, the completeness check and the stall bound; `props` checks the same over
//! arbitrary page sequences.

use serde_json::{Value, json};

use super::pager::Pager;
use crate::cloudkit::Record;

mod props;

fn master(name: &str) -> Record {
    Record::new(json!({"recordName": name, "recordType": "CPLMaster", "recordChangeTag": "m",
        "fields": {
            "filenameEnc": {"value": format!("{name}.JPG"), "type": "STRING"},
            "itemType": {"value": "public.jpeg", "type": "STRING"},
            "resOriginalRes": {"value": {"fileChecksum": "c", "size": 3, "downloadURL": "http://x/y"}, "type": "ASSETID"},
            "resOriginalFileType": {"value": "public.jpeg", "type": "STRING"}},
        "deleted": false}))
    .unwrap()
}

fn asset_with(name: &str, master: &str, extra: Value) -> Record {
    let mut fields = json!({"masterRef": {"value": {"recordName": master}, "type": "REFERENCE"}});
    for (k, v) in extra.as_object().unwrap() {
        fields[k] = v.clone();
    }
    Record::new(
        json!({"recordName": name, "recordType": "CPLAsset", "recordChangeTag": "a",
        "fields": fields, "deleted": false}),
    )
    .unwrap()
}

fn asset(name: &str, master: &str) -> Record {
    asset_with(name, master, json!({}))
}

/// A page of pairs `a<i>`/`m<i>`, masters first as Apple sends them.
fn pairs(range: std::ops::Range<u32>) -> Vec<Record> {
    let mut page: Vec<_> = range.clone().map(|i| master(&format!("m{i}"))).collect();
    page.extend(range.map(|i| asset(&format!("a{i}"), &format!("m{i}"))));
    page
}

fn deleted_pairs(range: std::ops::Range<u32>) -> Vec<Record> {
    let mut page: Vec<_> = range.clone().map(|i| master(&format!("dm{i}"))).collect();
    let flag = json!({"isDeleted": {"value": 1, "type": "INT64"}});
    page.extend(range.map(|i| asset_with(&format!("d{i}"), &format!("dm{i}"), flag.clone())));
    page
}

/// Drains the pager: (asset names, error texts).
fn drain(p: &mut Pager) -> (Vec<String>, Vec<String>) {
    let (mut ok, mut err) = (Vec::new(), Vec::new());
    while let Some(item) = p.pop() {
        match item {
            Ok(a) => ok.push(a.id().to_string()),
            Err(e) => err.push(e.to_string()),
        }
    }
    (ok, err)
}

fn pager() -> Pager {
    Pager::new("PrimarySync".into(), false, 3, 2)
}

#[test]
fn pages_yield_in_rank_order_and_end_at_the_empty_page() {
    let mut p = pager();
    assert_eq!(p.horizon(5), 3, "two data pages and the final empty one");
    p.process(0, pairs(0..3), 5);
    p.process(1, pairs(3..5), 5);
    assert!(!p.is_done());
    assert_eq!(p.horizon(5), 3);
    p.process(2, vec![], 5);
    assert!(p.is_done());
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ["a0", "a1", "a2", "a3", "a4"]);
    assert!(err.is_empty());
}

#[test]
fn empty_and_deleted_pages_inside_a_listing_are_crossed() {
    let mut p = pager();
    p.process(0, pairs(0..3), 6);
    p.process(1, vec![], 6);
    p.process(2, deleted_pairs(0..3), 6);
    assert!(!p.is_done(), "fewer than the count: keep probing");
    assert_eq!(p.horizon(6), 3 + 1 + 1);
    p.process(3, pairs(3..6), 6);
    p.process(4, vec![], 6);
    assert!(p.is_done());
    let (ok, err) = drain(&mut p);
    assert_eq!(ok.len(), 6);
    assert!(err.is_empty());
}

#[test]
fn a_shortfall_is_reported_after_the_probes() {
    let mut p = pager();
    p.process(0, pairs(0..3), 10);
    for k in 1..=3 {
        assert!(!p.is_done());
        p.process(k, vec![], 10);
    }
    assert!(
        p.is_done(),
        "two probes crossed, the third empty page ends it"
    );
    let (ok, err) = drain(&mut p);
    assert_eq!(ok.len(), 3);
    assert_eq!(err, ["listing incomplete: expected 10 assets, listed 3"]);
}

#[test]
fn pairs_split_across_neighbouring_pages_are_joined() {
    let mut p = pager();
    p.process(0, vec![master("m0"), asset("a0", "m0"), master("m1")], 3);
    p.process(1, vec![asset("a1", "m1"), asset("a2", "m2")], 3);
    p.process(2, vec![master("m2")], 3);
    p.process(3, vec![], 3);
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ["a0", "a1", "a2"]);
    assert!(err.is_empty());
}

#[test]
fn an_asset_whose_master_never_comes_is_an_error_item() {
    let mut p = pager();
    p.process(
        0,
        vec![asset("lost", "nowhere"), master("m0"), asset("a0", "m0")],
        2,
    );
    p.process(1, pairs(1..2), 2);
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ["a0", "a1"]);
    assert_eq!(err.len(), 1);
    assert!(err[0].contains("CPLAsset lost: masterRef"), "{err:?}");
    p.process(2, vec![asset("late", "gone")], 4);
    p.finish(4);
    let (_, err) = drain(&mut p);
    assert!(err[0].contains("late"), "unpaired at the end: {err:?}");
    assert!(
        err.len() == 1,
        "the errored assets count as listed: {err:?}"
    );
}

#[test]
fn duplicates_after_a_rank_shift_are_yielded_once() {
    let mut p = pager();
    p.process(0, pairs(0..3), 5);
    p.process(1, pairs(2..5), 5);
    p.process(2, vec![], 5);
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ["a0", "a1", "a2", "a3", "a4"]);
    assert!(err.is_empty(), "no shortfall: {err:?}");
}

#[test]
fn other_records_and_tombstones_are_ignored() {
    let mut p = pager();
    let mut page = pairs(0..1);
    page.push(
        Record::new(
            json!({"recordName": "a0-IN-x", "recordType": "CPLContainerRelation", "fields": {}}),
        )
        .unwrap(),
    );
    page.push(
        Record::new(json!({"recordName": "t", "recordType": null, "deleted": true})).unwrap(),
    );
    p.process(0, page, 1);
    p.process(1, vec![], 1);
    assert_eq!(drain(&mut p), (vec!["a0".to_owned()], vec![]));
}

#[test]
fn recently_deleted_keeps_deleted_assets_and_a_growing_listing_goes_on() {
    let mut p = Pager::new("PrimarySync".into(), true, 3, 2);
    p.process(0, deleted_pairs(0..3), 0);
    assert!(!p.is_done(), "a non-empty page never ends a listing");
    p.process(1, vec![], 0);
    assert!(p.is_done());
    let (ok, err) = drain(&mut p);
    assert_eq!((ok.len(), err.len()), (3, 0), "more than counted is fine");
}

#[test]
fn decode_failures_are_items_and_the_listing_goes_on() {
    let mut p = pager();
    let bad = Record::new(json!({"recordName": "mb", "recordType": "CPLMaster",
        "fields": {"filenameEnc": {"value": "SU1HXzc0MDkuSlB", "type": "ENCRYPTED_BYTES"}}}))
    .unwrap();
    let mut page = vec![bad, asset("ab", "mb")];
    page.extend(pairs(0..2));
    p.process(0, page, 3);
    p.process(1, vec![], 3);
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ["a0", "a1"]);
    assert_eq!(
        err,
        ["cannot decode CPLMaster mb: filenameEnc: invalid base64"]
    );
    p.stop();
    assert_eq!(p.horizon(3), 0);
}

/// Everything the pager yields, raw records included.
fn drain_all(p: &mut Pager) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(item) = p.pop() {
        out.push(match item {
            Ok(a) => format!("{a:?} {}", a.raw_records()),
            Err(e) => format!("{e:?}"),
        });
    }
    out
}

#[test]
fn decoding_ahead_changes_nothing_the_pager_yields() {
    let bad = Record::new(json!({"recordName": "mb", "recordType": "CPLMaster",
        "fields": {"filenameEnc": {"value": "SU1HXzc0MDkuSlB", "type": "ENCRYPTED_BYTES"}}}))
    .unwrap();
    let scenarios = [
        vec![pairs(0..3), pairs(3..5), vec![]],
        vec![pairs(0..3), pairs(2..5), vec![]],
        vec![
            vec![master("m0"), asset("a0", "m0"), master("m1")],
            vec![asset("a1", "m1"), asset("a2", "m2")],
            vec![master("m2")],
            vec![],
        ],
        // m1 serves an asset of the page before and one of its own page.
        vec![
            vec![master("m0"), asset("a0", "m0"), asset("x", "m1")],
            vec![master("m1"), asset("y", "m1"), asset("z", "m1")],
            vec![],
        ],
        vec![
            vec![bad, asset("ab", "mb"), asset("lost", "nowhere")],
            pairs(0..2),
            vec![],
        ],
        vec![deleted_pairs(0..2), pairs(0..1), vec![]],
    ];
    for pages in scenarios {
        let run = |ahead: bool| {
            let mut p = pager();
            for (k, page) in pages.iter().cloned().enumerate() {
                if ahead {
                    let page = super::pager::PageRecords::decode_ahead(page, false, "PrimarySync");
                    p.process(k as u64, page, 5);
                } else {
                    p.process(k as u64, page, 5);
                }
            }
            p.finish(5);
            drain_all(&mut p)
        };
        let plain = run(false);
        assert!(plain.len() >= 2, "{plain:#?}");
        assert_eq!(run(true), plain);
    }
}

#[test]
fn a_limit_ends_the_listing_mid_page_without_a_completeness_check() {
    let mut p = pager().limit(Some(4));
    assert_eq!(
        p.horizon(10),
        2,
        "the two pages holding four assets, no probe"
    );
    p.process(0, pairs(0..3), 10);
    assert_eq!(p.horizon(10), 2);
    p.process(1, pairs(3..6), 10);
    assert!(p.is_done());
    assert_eq!(p.horizon(10), 0);
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ["a0", "a1", "a2", "a3"]);
    assert!(err.is_empty(), "{err:?}");
}

#[test]
fn a_limit_widens_past_holes_and_yields_to_a_shorter_count() {
    let mut p = pager().limit(Some(4));
    p.process(0, deleted_pairs(0..3), 10);
    assert_eq!(p.horizon(10), 3, "still four to go: two more pages");
    p.process(1, pairs(0..1), 10);
    assert_eq!(p.horizon(10), 3);

    let mut short = pager().limit(Some(100));
    assert_eq!(short.horizon(5), 3, "the count's pages and the final probe");
    short.process(0, pairs(0..3), 5);
    short.process(1, pairs(3..4), 5);
    short.process(2, vec![], 5);
    short.finish(5);
    let (ok, err) = drain(&mut short);
    assert_eq!(ok.len(), 4);
    assert_eq!(err, ["listing incomplete: expected 5 assets, listed 4"]);
}

#[test]
fn pages_repeating_the_first_one_stall_the_listing_after_the_probes() {
    // A server that ignores `startRank` answers the first page to every request.
    let mut p = pager();
    let mut pages = 0;
    while !p.is_done() {
        assert!(pages < p.horizon(9), "requests stay within the horizon");
        p.process(pages, pairs(0..3), 9);
        pages += 1;
        assert!(pages < 10, "the listing must end");
    }
    assert_eq!(
        pages,
        1 + 2 + 2,
        "the first page, then probes + 2 pages without news"
    );
    let (ok, err) = drain(&mut p);
    assert_eq!(ok, ["a0", "a1", "a2"], "each asset once");
    assert_eq!(
        err,
        [
            "listing stalled: 5 page requests listed 3 of 9 assets, the last pages only repeating assets already listed"
        ]
    );
    assert_eq!(p.horizon(9), 0);
}

#[test]
fn a_stall_is_reported_even_when_the_count_was_reached() {
    let mut p = pager();
    for k in 0..5 {
        p.process(k, pairs(0..3), 3);
    }
    assert!(p.is_done());
    let (ok, err) = drain(&mut p);
    assert_eq!(ok.len(), 3);
    assert!(
        err[0].starts_with("listing stalled: 5 page requests listed 3 of 3"),
        "{err:?}"
    );
}

#[test]
fn repeated_pages_between_new_ones_do_not_stall() {
    // Assets added at the top while the listing ran push old ones onto later pages.
    let mut p = pager();
    p.process(0, pairs(0..3), 9);
    for k in 1..=3 {
        p.process(k, pairs(0..3), 9);
    }
    p.process(4, pairs(3..6), 9);
    for k in 5..=7 {
        p.process(k, pairs(3..6), 9);
    }
    p.process(8, pairs(6..9), 9);
    p.process(9, vec![], 9);
    assert!(p.is_done());
    let (ok, err) = drain(&mut p);
    assert_eq!(ok.len(), 9);
    assert!(err.is_empty(), "{err:?}");
}

#[test]
fn empty_and_repeated_pages_in_turn_stall_too() {
    let mut p = pager();
    p.process(0, pairs(0..3), 9);
    let mut k = 1;
    while !p.is_done() {
        let page = if k % 2 == 0 { pairs(0..3) } else { vec![] };
        p.process(k, page, 9);
        k += 1;
        assert!(k < 10, "the listing must end");
    }
    let (_, err) = drain(&mut p);
    assert!(err[0].starts_with("listing stalled"), "{err:?}");
}
