//! Entry points for the fuzz targets in `fuzz/`, compiled only with `--cfg fuzzing` (as
//! `cargo fuzz` builds). Not part of the API: they hand the private parsers of what Apple and
//! its CDN send to the fuzzer, and return what they made of it; [`drive_pager`] runs the
//! listing pager over the pages the fuzzer makes up.

use serde_json::Value;

use crate::cloudkit::{self, Record, RecordsReply, decode};
use crate::{Asset, DecodeError};

pub use crate::listing::fuzzing::{PagerItem, PagerOutcome, PagerRecord, PagerSpec, PagerTail};

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

/// Drives the listing pager over `spec`'s pages as a listing does: pages in rank order, none
/// past the pager's horizon, and the listing finished once the horizon is reached.
pub fn drive_pager(spec: &PagerSpec) -> PagerOutcome {
    crate::listing::fuzzing::drive(spec)
}
