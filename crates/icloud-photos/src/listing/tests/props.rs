//! The pager over arbitrary page sequences, driven as the listing drives it (pages in rank
//! order, never past [`Pager::horizon`]): it never yields an asset twice, always ends within a
//! bound, and yields every asset of consistent pages, in order, with no error.

use std::collections::HashSet;

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::json;

use super::super::pager::{PageRecords, Pager};
use super::{asset, asset_with, master};
use crate::cloudkit::Record;
use crate::error::Error;

/// Distinct pairs in the arbitrary sequences: few, so that pages repeat each other.
const UNIVERSE: u8 = 12;

/// One record of an arbitrary page, by pair index.
#[derive(Debug, Clone, Copy)]
enum Rec {
    /// CPLMaster `m<i>`.
    Master(u8),
    /// CPLAsset `a<i>` of master `m<i>`.
    Asset(u8),
    /// CPLAsset `d<i>` of master `m<i>`, deleted (skipped by the listing).
    Deleted(u8),
    /// CPLAsset `o<i>` whose master never comes.
    Orphan(u8),
}

impl Rec {
    fn record(self) -> Record {
        match self {
            Rec::Master(i) => master(&format!("m{i}")),
            Rec::Asset(i) => asset(&format!("a{i}"), &format!("m{i}")),
            Rec::Deleted(i) => asset_with(
                &format!("d{i}"),
                &format!("m{i}"),
                json!({"isDeleted": {"value": 1, "type": "INT64"}}),
            ),
            Rec::Orphan(i) => asset(&format!("o{i}"), &format!("nowhere{i}")),
        }
    }
}

fn rec() -> impl Strategy<Value = Rec> {
    prop_oneof![
        4 => (0..UNIVERSE).prop_map(Rec::Master),
        4 => (0..UNIVERSE).prop_map(Rec::Asset),
        1 => (0..UNIVERSE).prop_map(Rec::Deleted),
        1 => (0..UNIVERSE).prop_map(Rec::Orphan),
    ]
}

/// What the server answers once the arbitrary pages are used up.
#[derive(Debug, Clone, Copy)]
enum Tail {
    /// Empty pages, as past the end of an index.
    Empty,
    /// The pages again from the first, as a server that ignores `startRank` partly does.
    Cycle,
    /// The last page forever.
    RepeatLast,
}

fn tail() -> impl Strategy<Value = Tail> {
    prop_oneof![Just(Tail::Empty), Just(Tail::Cycle), Just(Tail::RepeatLast)]
}

/// What a listing yielded.
#[derive(Debug, Default)]
struct Outcome {
    /// Pages processed (requests answered).
    pages: u64,
    /// Asset ids, of assets and of decode failures alike, in order.
    ids: Vec<String>,
    /// Decode failures among them.
    failures: usize,
    /// `Incomplete` / `ListingStalled` texts.
    ends: Vec<String>,
    /// Whether an end error was the last item.
    end_is_last: bool,
}

/// Drives `pager` as the listing does, at most `max_pages` pages; `None` if it did not end.
fn drive(
    mut pager: Pager,
    expected: u64,
    ahead: bool,
    page: impl Fn(u64) -> Vec<Record>,
    max_pages: u64,
) -> Option<Outcome> {
    let mut out = Outcome::default();
    let mut k = 0;
    while !pager.is_done() {
        if k >= pager.horizon(expected) {
            pager.finish(expected);
            break;
        }
        if k == max_pages {
            return None;
        }
        let records = page(k);
        if ahead {
            pager.process(
                k,
                PageRecords::decode_ahead(records, false, "PrimarySync"),
                expected,
            );
        } else {
            pager.process(k, records, expected);
        }
        k += 1;
    }
    out.pages = k;
    while let Some(item) = pager.pop() {
        out.end_is_last = false;
        match item {
            Ok(a) => out.ids.push(a.id().to_string()),
            Err(Error::Decode(d)) => {
                out.ids
                    .push(d.asset_id().map(|id| id.to_string()).unwrap_or_default());
                out.failures += 1;
            }
            Err(e @ (Error::Incomplete { .. } | Error::ListingStalled { .. })) => {
                out.ends.push(e.to_string());
                out.end_is_last = true;
            }
            Err(e) => panic!("unexpected item {e:?}"),
        }
    }
    Some(out)
}

proptest! {
    #[test]
    fn arbitrary_pages_never_yield_an_asset_twice_and_always_end(
        pages in vec(vec(rec(), 0..8), 1..10),
        tail in tail(),
        page_size in 1usize..5,
        probes in 0usize..4,
        expected in 0u64..20,
        ahead in any::<bool>(),
    ) {
        let page = |k: u64| {
            let k = usize::try_from(k).unwrap();
            let recs = match (pages.get(k), tail) {
                (Some(p), _) => Some(p),
                (None, Tail::Empty) => None,
                (None, Tail::Cycle) => pages.get(k % pages.len()),
                (None, Tail::RepeatLast) => pages.last(),
            };
            recs.map(|r| r.iter().map(|r| r.record()).collect()).unwrap_or_default()
        };
        // Each page that lists something new lists one of at most 3 × UNIVERSE assets; at
        // most `probes + 2` pages in a row list nothing new.
        let bound = (3 * u64::from(UNIVERSE) + 1) * (probes as u64 + 2);
        let pager = Pager::new("PrimarySync".into(), false, page_size, probes);
        let out = drive(pager, expected, ahead, page, bound);
        prop_assert!(out.is_some(), "no end within {bound} pages");
        let out = out.unwrap();
        let unique: HashSet<&String> = out.ids.iter().collect();
        prop_assert_eq!(unique.len(), out.ids.len(), "an asset yielded twice: {:?}", out.ids);
        prop_assert!(out.ends.len() <= 1, "{:?}", out.ends);
        prop_assert!(out.ends.is_empty() || out.end_is_last, "the end error comes last");
        let listed = out.ids.len() as u64;
        if listed < expected && out.ends.is_empty() {
            prop_assert!(false, "listed {listed} of {expected} without saying so");
        }
    }

    #[test]
    fn consistent_pages_yield_every_asset_in_order(
        n in 0u8..40,
        page_size in 1usize..6,
        probes in 0usize..4,
        masters_first in any::<bool>(),
        ahead in any::<bool>(),
    ) {
        // The paging contract of the fake and Apple: page k holds ranks [k × size, (k+1) × size).
        let page = |k: u64| {
            let size = page_size as u64;
            let (from, to) = (k * size, ((k + 1) * size).min(u64::from(n)));
            let ranks = (from..to).map(|i| u8::try_from(i).unwrap());
            let mut records = Vec::new();
            if masters_first {
                records.extend(ranks.clone().map(|i| Rec::Master(i).record()));
                records.extend(ranks.map(|i| Rec::Asset(i).record()));
            } else {
                for i in ranks {
                    records.push(Rec::Asset(i).record());
                    records.push(Rec::Master(i).record());
                }
            }
            records
        };
        let pager = Pager::new("PrimarySync".into(), false, page_size, probes);
        let out = drive(pager, u64::from(n), ahead, page, 1000).unwrap();
        let wanted: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
        prop_assert_eq!(&out.ids, &wanted);
        prop_assert_eq!(out.failures, 0);
        prop_assert!(out.ends.is_empty(), "{:?}", out.ends);
        prop_assert_eq!(out.pages, u64::from(n).div_ceil(page_size as u64) + 1, "and the empty page");
    }
}
