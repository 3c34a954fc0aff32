//! The pager driven over the pages of a [`PagerSpec`] for the `listing_pager` fuzz target
//! (compiled only with `--cfg fuzzing`), as `tests/props.rs` drives it: pages in rank order,
//! none past [`Pager::horizon`].

use serde_json::{Value, json};

use super::pager::{PageRecords, Pager};
use crate::cloudkit::Record;
use crate::error::Error;
use crate::fuzzing::{PagerItem, PagerOutcome, PagerRecord, PagerSpec, PagerTail};

const ZONE: &str = "PrimarySync";

/// Runs the listing of `spec` to its end, or for `spec.max_pages` pages.
pub(crate) fn drive(spec: &PagerSpec) -> PagerOutcome {
    let expected = spec.expected;
    let mut pager = Pager::new(
        ZONE.to_owned(),
        spec.lists_deleted,
        spec.page_size,
        spec.probes,
    )
    .limit(spec.limit);
    let mut items = Vec::new();
    let mut ended = true;
    let mut k = 0;
    while !pager.is_done() {
        if k >= pager.horizon(expected) {
            pager.finish(expected);
            break;
        }
        if k == spec.max_pages {
            ended = false;
            break;
        }
        let records = page(spec, k);
        if spec.decode_ahead {
            let records = PageRecords::decode_ahead(records, spec.lists_deleted, ZONE);
            pager.process(k, records, expected);
        } else {
            pager.process(k, records, expected);
        }
        k += 1;
        // The stream yields what a page made before the next page is processed.
        drain(&mut pager, &mut items);
    }
    drain(&mut pager, &mut items);
    PagerOutcome {
        pages: k,
        ended,
        items,
    }
}

/// The records the server answers to request `k`.
fn page(spec: &PagerSpec, k: u64) -> Vec<Record> {
    let pages = &spec.pages;
    let k = usize::try_from(k).unwrap_or(usize::MAX);
    let answered = match (pages.get(k), spec.tail) {
        (Some(page), _) => Some(page),
        (None, PagerTail::Empty) => None,
        (None, PagerTail::Cycle) => k.checked_rem(pages.len()).and_then(|i| pages.get(i)),
        (None, PagerTail::RepeatLast) => pages.last(),
        (None, PagerTail::RepeatFirst) => pages.first(),
    };
    answered
        .map(|page| page.iter().filter_map(|r| record(*r)).collect())
        .unwrap_or_default()
}

/// Moves the items the pager has ready to `items`.
fn drain(pager: &mut Pager, items: &mut Vec<PagerItem>) {
    while let Some(item) = pager.pop() {
        items.push(match item {
            Ok(a) => PagerItem::Asset {
                id: a.id().to_string(),
                detail: format!("{a:?} {}", a.raw_records()),
            },
            Err(Error::Decode(d)) => PagerItem::Failure {
                id: d.asset_id().map(|id| id.to_string()).unwrap_or_default(),
                detail: format!("{d:?}"),
            },
            Err(Error::Incomplete { expected, listed }) => PagerItem::End {
                stalled: false,
                listed,
                expected,
                requests: 0,
            },
            Err(Error::ListingStalled {
                requests,
                listed,
                expected,
            }) => PagerItem::End {
                stalled: true,
                listed,
                expected,
                requests,
            },
            Err(e) => PagerItem::Unexpected(format!("{e:?}")),
        });
    }
}

/// Builds the record `r` stands for, as the listing tests do (`None` never happens: the JSON
/// is an object).
fn record(r: PagerRecord) -> Option<Record> {
    let text = |value: String| json!({"value": value, "type": "STRING"});
    match r {
        PagerRecord::Master(i) => master(&format!("m{i}"), text(format!("m{i}.JPG"))),
        PagerRecord::BadMaster(i) => master(
            &format!("m{i}"),
            json!({"value": "SU1HXzc0MDkuSlB", "type": "ENCRYPTED_BYTES"}),
        ),
        PagerRecord::Asset(i) => asset(&format!("a{i}"), &format!("m{i}"), false),
        PagerRecord::Deleted(i) => asset(&format!("d{i}"), &format!("m{i}"), true),
        PagerRecord::Orphan(i) => asset(&format!("o{i}"), &format!("nowhere{i}"), false),
        PagerRecord::Purged(i) => {
            Record::new(json!({"recordName": format!("a{i}"), "recordType": null, "deleted": true}))
        }
        PagerRecord::Other(i) => Record::new(json!({"recordName": format!("a{i}-IN-x"),
            "recordType": "CPLContainerRelation", "fields": {}})),
    }
}

fn master(name: &str, filename: Value) -> Option<Record> {
    Record::new(
        json!({"recordName": name, "recordType": "CPLMaster", "recordChangeTag": "m",
        "fields": {
            "filenameEnc": filename,
            "itemType": {"value": "public.jpeg", "type": "STRING"},
            "resOriginalRes": {"value": {"fileChecksum": "c", "size": 3, "downloadURL": "http://x/y"}, "type": "ASSETID"},
            "resOriginalFileType": {"value": "public.jpeg", "type": "STRING"}},
        "deleted": false}),
    )
}

fn asset(name: &str, master: &str, deleted: bool) -> Option<Record> {
    let mut fields = json!({"masterRef": {"value": {"recordName": master}, "type": "REFERENCE"}});
    if deleted {
        fields["isDeleted"] = json!({"value": 1, "type": "INT64"});
    }
    Record::new(
        json!({"recordName": name, "recordType": "CPLAsset", "recordChangeTag": "a",
        "fields": fields, "deleted": false}),
    )
}
