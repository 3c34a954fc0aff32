//! The pure half of a listing: pairs masters with assets across neighbouring pages, skips
//! deleted records and duplicates, decides when the listing is over and checks it is complete.
//!
//! It knows nothing of HTTP: the listing feeds it pages in rank order ([`Pager::process`])
//! and asks it how far to request ([`Pager::horizon`]), so tests drive it with any sequence of
//! pages.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::asset::Asset;
use crate::cloudkit::Record;
use crate::cloudkit::decode::{self, pair};
use crate::error::{DecodeError, Error, Result};

/// A page of records as fetched, with the pairs found on it decoded ahead.
#[derive(Debug, Default)]
pub(super) struct PageRecords {
    records: Vec<Record>,
    /// One entry per live asset of the page, in page order ([`is_live_asset`]): its pair
    /// decoded with the last master of its `masterRef` on the page, if there is one.
    decoded: Vec<Option<Decoded>>,
}

/// A pair decoded ahead: the master's name and the result, without the raw records.
#[derive(Debug)]
struct Decoded {
    master: String,
    built: std::result::Result<Asset, DecodeError>,
}

impl From<Vec<Record>> for PageRecords {
    /// Wraps records without decoding anything ahead.
    fn from(records: Vec<Record>) -> Self {
        PageRecords {
            records,
            decoded: Vec::new(),
        }
    }
}

impl PageRecords {
    /// Wraps records, decoding the pairs whose master is on the same page. This is the costly
    /// part of processing a page, and needs nothing from the pages before it, so listings run
    /// it on the page's own task, in parallel, leaving [`Pager::process`] only the pairing.
    ///
    /// Records the pager would skip are dropped, and the records of the pairs decoded here keep
    /// only the fields the pager reads, so that pages waiting for the caller hold little more
    /// than their text (a master still needed by an asset of the page before is read again
    /// from its text).
    pub(super) fn decode_ahead(mut records: Vec<Record>, lists_deleted: bool, zone: &str) -> Self {
        records.retain(|r| is_live_asset(r, lists_deleted) || is_master(r));
        let mut masters: HashMap<&str, &Record> = HashMap::new();
        for r in records.iter().filter(|r| is_master(r)) {
            masters.insert(r.name(), r);
        }
        let decoded: Vec<Option<Decoded>> = records
            .iter()
            .filter(|r| is_live_asset(r, lists_deleted))
            .map(|asset| {
                let master = masters.get(master_ref(asset).as_str())?;
                Some(Decoded {
                    master: master.name().to_owned(),
                    built: decode::build(master, asset, zone),
                })
            })
            .collect();
        let used: HashSet<String> = decoded.iter().flatten().map(|d| d.master.clone()).collect();
        let mut live = decoded.iter();
        for record in &mut records {
            if is_live_asset(record, lists_deleted) {
                if live.next().is_some_and(Option::is_some) {
                    record.keep_fields(&[MASTER_REF, IS_DELETED]);
                }
            } else if used.contains(record.name()) {
                record.keep_fields(&[]);
            }
        }
        PageRecords { records, decoded }
    }
}

/// The fields of a CPLAsset the pager reads.
const MASTER_REF: &str = "masterRef";
const IS_DELETED: &str = "isDeleted";

/// Returns `true` for a CPLMaster that is not purged.
fn is_master(record: &Record) -> bool {
    !record.is_tombstone() && record.record_type() == Some("CPLMaster")
}

/// Returns `true` for the records a listing pairs with masters: CPLAssets, not purged, and
/// not deleted unless the album lists deleted assets.
fn is_live_asset(record: &Record, lists_deleted: bool) -> bool {
    !record.is_tombstone()
        && record.record_type() == Some("CPLAsset")
        && (lists_deleted || !record.flag(IS_DELETED))
}

/// Turns pages of records, processed in rank order, into assets.
#[derive(Debug)]
pub(super) struct Pager {
    zone_name: String,
    lists_deleted: bool,
    page_size: u64,
    probes: usize,
    /// Assets (decode failures included) after which the listing ends.
    limit: Option<u64>,
    processed: u64,
    seen: HashSet<String>,
    empty_run: usize,
    /// Pages in a row that listed no new asset, empty or not ([`Pager::process`]).
    idle_run: usize,
    /// Masters and assets left unpaired by the previous page.
    carried_masters: Vec<Record>,
    carried_assets: Vec<Record>,
    out: VecDeque<Result<Asset>>,
    done: bool,
}

impl Pager {
    pub(super) fn new(
        zone_name: String,
        lists_deleted: bool,
        page_size: usize,
        probes: usize,
    ) -> Self {
        Pager {
            zone_name,
            lists_deleted,
            page_size: page_size.max(1) as u64,
            probes,
            limit: None,
            processed: 0,
            seen: HashSet::new(),
            empty_run: 0,
            idle_run: 0,
            carried_masters: Vec::new(),
            carried_assets: Vec::new(),
            out: VecDeque::new(),
            done: false,
        }
    }

    /// Ends the listing after `limit` assets (`None` = no limit).
    pub(super) fn limit(mut self, limit: Option<u64>) -> Self {
        self.limit = limit;
        self
    }

    /// Returns `true` once the limit's worth of assets was listed.
    fn at_limit(&self) -> bool {
        self.limit.is_some_and(|l| self.listed() >= l)
    }

    /// Returns the next item ready to be yielded.
    pub(super) fn pop(&mut self) -> Option<Result<Asset>> {
        self.out.pop_front()
    }

    /// Returns `true` once the listing is over (items may still wait in [`Pager::pop`]).
    pub(super) fn is_done(&self) -> bool {
        self.done
    }

    /// Returns the number of distinct assets listed so far (decode failures included).
    pub(super) fn listed(&self) -> u64 {
        self.seen.len() as u64
    }

    /// Returns the index one past the last page worth requesting now: the pages processed,
    /// the pages still holding the assets the count promises, and one more (the empty page
    /// that ends a listing, or the next probe); under a limit, no more than the pages still
    /// holding the assets it allows.
    pub(super) fn horizon(&self, expected: u64) -> u64 {
        if self.done {
            return 0;
        }
        let deficit = expected.saturating_sub(self.listed());
        let counted = self.processed + deficit.div_ceil(self.page_size) + 1;
        match self.limit {
            Some(limit) => {
                let wanted = limit.saturating_sub(self.listed()).div_ceil(self.page_size);
                counted.min(self.processed + wanted)
            }
            None => counted,
        }
    }

    /// Ends the listing without a completeness check (after a fatal error).
    pub(super) fn stop(&mut self) {
        self.done = true;
    }

    /// Processes page `k` (pages must come in rank order).
    ///
    /// The listing ends after the page when the limit is reached; at an empty page (no live
    /// asset) once the count is reached or more than `probes` empty pages came in a row; and
    /// with [`Error::ListingStalled`] when more than `probes + 1` pages in a row listed no
    /// new asset although some of them held assets: they only repeat what was listed, as the
    /// first page again and again from a server that ignores `startRank`. Each page that
    /// lists something new adds an asset of a finite library, so the listing always ends.
    pub(super) fn process(&mut self, k: u64, page: impl Into<PageRecords>, expected: u64) {
        if self.done {
            return;
        }
        let PageRecords { records, decoded } = page.into();
        self.processed += 1;
        let listed_before = self.listed();
        let mut masters: HashMap<String, (Record, bool)> = HashMap::new();
        for m in std::mem::take(&mut self.carried_masters) {
            masters.insert(m.name().to_owned(), (m, true));
        }
        let carried = std::mem::take(&mut self.carried_assets);
        let mut fresh = Vec::new();
        for record in records {
            if is_live_asset(&record, self.lists_deleted) {
                fresh.push(record);
            } else if is_master(&record) {
                masters.insert(record.name().to_owned(), (record, false));
            }
        }
        let live = fresh.len();
        let mut refs: HashMap<String, usize> = HashMap::new();
        for a in carried.iter().chain(&fresh) {
            *refs.entry(master_ref(a)).or_default() += 1;
        }
        let n_carried = carried.len();
        let mut decoded = decoded.into_iter();
        for (i, asset) in carried.into_iter().chain(fresh).enumerate() {
            let ahead = if i < n_carried {
                None
            } else {
                decoded.next().flatten()
            };
            let key = master_ref(&asset);
            let left = refs.get_mut(&key).map(|r| {
                *r -= 1;
                *r
            });
            let master = match left {
                Some(0) => masters.remove(&key).map(|(m, _)| m),
                _ => masters.get(&key).map(|(m, _)| m.clone()),
            };
            match master {
                Some(master) => self.emit(master, asset, ahead),
                None if i < n_carried => self.unpaired(asset),
                None => self.carried_assets.push(asset),
            }
        }
        // Masters wait one page for an asset arriving late, then go: a master whose asset is
        // deleted (or not in this index) is no asset of the listing.
        for (name, (master, was_carried)) in masters {
            if was_carried {
                tracing::debug!(master = %name, "master without a live asset");
            } else {
                self.carried_masters.push(master);
            }
        }
        tracing::debug!(k, live, listed = self.listed(), "listing page processed");
        if self.listed() > listed_before {
            self.idle_run = 0;
        } else {
            self.idle_run += 1;
        }
        if self.at_limit() {
            self.carried_assets.clear();
            self.done = true;
        } else if live == 0 {
            self.empty_run += 1;
            if self.listed() >= expected || self.empty_run > self.probes {
                self.finish(expected);
            }
        } else {
            self.empty_run = 0;
        }
        if !self.done && self.idle_run > self.probes.saturating_add(1) {
            self.stall(expected);
        }
    }

    /// Ends the listing with [`Error::ListingStalled`]: assets still unpaired become errors
    /// first, and no completeness check follows.
    fn stall(&mut self, expected: u64) {
        for asset in std::mem::take(&mut self.carried_assets) {
            self.unpaired(asset);
        }
        let (requests, listed) = (self.processed, self.listed());
        tracing::debug!(requests, listed, expected, "listing stalled");
        self.out.push_back(Err(Error::ListingStalled {
            requests,
            listed,
            expected,
        }));
        self.done = true;
    }

    /// Ends the listing: assets still unpaired become errors, and a shortfall against the
    /// count becomes [`Error::Incomplete`].
    pub(super) fn finish(&mut self, expected: u64) {
        if self.done {
            return;
        }
        for asset in std::mem::take(&mut self.carried_assets) {
            self.unpaired(asset);
        }
        let listed = self.listed();
        if listed < expected {
            self.out
                .push_back(Err(Error::Incomplete { expected, listed }));
        } else if listed > expected {
            tracing::debug!(expected, listed, "listing found more assets than counted");
        }
        self.done = true;
    }

    /// Yields the pair, using what was decoded ahead when it was decoded from this master.
    fn emit(&mut self, master: Record, asset: Record, ahead: Option<Decoded>) {
        if self.at_limit() || !self.seen.insert(asset.name().to_owned()) {
            return;
        }
        let item = match ahead {
            Some(d) if d.master == master.name() => {
                decode::attach(master, asset, d.built).map_err(Error::decode)
            }
            _ => pair(master.restored(), asset.restored(), &self.zone_name),
        };
        self.out.push_back(item);
    }

    fn unpaired(&mut self, asset: Record) {
        if self.at_limit() || !self.seen.insert(asset.name().to_owned()) {
            return;
        }
        let detail = format!(
            "master {} not found on its page or the next",
            master_ref(&asset)
        );
        self.out
            .push_back(Err(decode::missing_master(&asset, detail)));
    }
}

fn master_ref(asset: &Record) -> String {
    asset.reference(MASTER_REF).unwrap_or("").to_owned()
}
