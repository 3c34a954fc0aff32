//! Entry points for the fuzz targets in `fuzz/`, compiled only with `--cfg fuzzing` (as
//! `cargo fuzz` builds). Not part of the API: they hand the private parsers of what Apple and
//! its CDN send to the fuzzer, and return what they made of it; [`drive_pager`] runs the
//! listing pager over the pages the fuzzer makes up.

use serde_json::Value;

use crate::cloudkit::{self, Record, RecordsReply, decode};
use crate::{Asset, DecodeError};

/// What [`records_page`] made of a `records/query`-shaped answer.
#[derive(Debug)]
pub struct Page {
    /// The answer's `serverErrorCode` and `reason`, if it is an error.
    pub server_error: Option<(String, String)>,
    /// Each live CPLAsset whose CPLMaster is on the page, decoded as a listing does.
    pub assets: Vec<Decoded>,
    /// The user albums among the records: (display name, record name).
    pub albums: Vec<(String, String)>,
    /// The answer read as a count lookup (`batch[0].records[0].itemCount`).
    pub count: Result<u64, String>,
    /// The zone names, read as a `zones/list` answer.
    pub zones: Vec<String>,
    /// The `state` of the first record, read as a CheckIndexingState answer.
    pub indexing_state: Option<String>,
}

/// One asset of a page, decoded twice.
#[derive(Debug)]
pub struct Decoded {
    /// Decoded from the records as parsed from the page's text.
    pub listed: Result<Asset, DecodeError>,
    /// Decoded again after both records dropped their fields and read them back from their
    /// text, as a listing does with records that wait for a later page.
    pub restored: Result<Asset, DecodeError>,
}

/// Reads `json` as a listing reads a page of library `zone`; `None` if it is not a JSON object
/// a page can be read from.
pub fn records_page(json: &str, zone: &str) -> Option<Page> {
    let reply: RecordsReply = serde_json::from_str(json).ok()?;
    let value: Value = serde_json::from_str(json).ok()?;
    let server_error = reply
        .server_error()
        .map(|(code, reason)| (code.to_owned(), reason.to_owned()));
    let records = reply.into_records();
    let masters: Vec<&Record> = records
        .iter()
        .filter(|r| !r.is_tombstone() && r.record_type() == Some("CPLMaster"))
        .collect();
    let mut assets = Vec::new();
    for asset in records
        .iter()
        .filter(|r| !r.is_tombstone() && r.record_type() == Some("CPLAsset"))
    {
        let wanted = asset.reference("masterRef").unwrap_or("");
        let Some(master) = masters.iter().find(|m| m.name() == wanted) else {
            continue;
        };
        let listed = decode::build(master, asset, zone);
        let listed = decode::attach((*master).clone(), asset.clone(), listed);
        let (mut master, mut asset) = ((*master).clone(), asset.clone());
        master.keep_fields(&[]);
        asset.keep_fields(&["masterRef"]);
        let restored = decode::asset(master.restored(), asset.restored(), zone);
        assets.push(Decoded { listed, restored });
    }
    Some(Page {
        server_error,
        assets,
        albums: records.iter().filter_map(decode::user_album).collect(),
        count: decode::count(&value),
        zones: decode::zones(&value)
            .iter()
            .filter_map(|z| cloudkit::zone_name(z).map(str::to_owned))
            .collect(),
        indexing_state: decode::indexing_state(value),
    })
}

/// Decodes standard base64 as the `*Enc` fields are decoded (Python's lenient `b64decode`).
pub fn base64_lenient(text: &str) -> Option<Vec<u8>> {
    decode::base64_lenient(text)
}

/// Parses a download answer's `Content-Range` into (start, total).
pub fn content_range(value: &str) -> Option<(u64, Option<u64>)> {
    crate::download::parse_content_range(value)
}

/// One record of a page [`drive_pager`] feeds the listing pager, by pair index `i`.
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

/// A listing for [`drive_pager`]: the pages the server answers and the pager's settings.
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

/// Drives the listing pager over `spec`'s pages as a listing does: pages in rank order, none
/// past the pager's horizon, and the listing finished once the horizon is reached.
pub fn drive_pager(spec: &PagerSpec) -> PagerOutcome {
    crate::listing::fuzzing::drive(spec)
}
