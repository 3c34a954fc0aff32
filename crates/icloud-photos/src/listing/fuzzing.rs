//! The pager driven over the pages of a [`PagerSpec`] for the `listing_pager` fuzz target
//! (compiled only with `--cfg fuzzing`), as `tests/props.rs` drives it: pages in rank order,
//! none past [`Pager::horizon`].

use serde_json::{Value, json};

use super::pager::{PageRecords, Pager};
use crate::cloudkit::Record;
use crate::error::Error;

/// One record of a page [`drive_pager`](crate::fuzzing::drive_pager) feeds the listing pager, by pair index `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerRecord {
    /// CPLMaster `m<i>`.
    Master(u8),
    /// CPLMaster `m<i>` whose `filenameEnc` is not base64: the assets it serves fail to
    /// decode.
    BadMaster(u8),
    /// CPLAsset `a<i>` of master `m<i>`.
    Asset(u8),
    /// CPLAsset `d<i>` of master `m<i>`, deleted (listed only by albums of deleted assets).
    Deleted(u8),
    /// CPLAsset `o<i>` whose master `nowhere<i>` never comes.
    Orphan(u8),
    /// The tombstone of `a<i>` (a purged record: `deleted: true`, no type).
    Purged(u8),
    /// A record of another type (CPLContainerRelation `a<i>-IN-x`).
    Other(u8),
}

/// What the server answers once the pages of a [`PagerSpec`] are used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerTail {
    /// Empty pages, as past the end of an index.
    Empty,
    /// The pages again from the first, as a server that ignores `startRank` partly does.
    Cycle,
    /// The last page forever.
    RepeatLast,
    /// The first page forever, as a server that ignores `startRank` does.
    RepeatFirst,
}

/// A listing for [`drive_pager`](crate::fuzzing::drive_pager): the pages the server answers and the pager's settings.
#[derive(Debug, Clone)]
pub struct PagerSpec {
    /// The pages, in rank order; page `k` answers request `k`.
    pub pages: Vec<Vec<PagerRecord>>,
    /// What the requests past the last page get.
    pub tail: PagerTail,
    /// The count the listing expects.
    pub expected: u64,
    /// The page size the horizon reckons with.
    pub page_size: usize,
    /// Empty pages crossed before a shortfall ends the listing.
    pub probes: usize,
    /// The listing's limit (`ListOptions::limit`; `Some(0)` never reaches the pager).
    pub limit: Option<u64>,
    /// Whether deleted assets are listed (the Recently Deleted album).
    pub lists_deleted: bool,
    /// Whether pages are decoded ahead, as listings do, before the pager pairs them.
    pub decode_ahead: bool,
    /// The pages after which the listing is given up as endless.
    pub max_pages: u64,
}

/// What the pager yielded, in order, for one [`PagerSpec`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagerOutcome {
    /// Pages processed (requests answered).
    pub pages: u64,
    /// `false` if the listing was not over after `max_pages` pages.
    pub ended: bool,
    /// The items, in the order the stream would yield them.
    pub items: Vec<PagerItem>,
}

/// One item a listing yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagerItem {
    /// An asset: its id, then everything it tells (its `Debug` and raw records).
    Asset {
        /// The asset's id (its CPLAsset's record name).
        id: String,
        /// The asset's `Debug` text and raw records.
        detail: String,
    },
    /// An asset that could not be decoded (its master is bad or never came).
    Failure {
        /// The id of the asset at fault, empty if the error has none.
        id: String,
        /// The error's `Debug` text.
        detail: String,
    },
    /// The end error of an unfinished listing ([`crate::Error::Incomplete`] or
    /// [`crate::Error::ListingStalled`]).
    End {
        /// `true` for [`crate::Error::ListingStalled`].
        stalled: bool,
        /// The assets the error says were listed.
        listed: u64,
        /// The count the error says was expected.
        expected: u64,
        /// For a stall, the requests it counts; otherwise 0.
        requests: u64,
    },
    /// Any other error: the pager makes none.
    Unexpected(String),
}

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
