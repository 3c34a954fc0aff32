//! A shared album's listing: the count first, then `webgetassets` ranges `[offset, limit)`
//! (`limit` is an end index) one after the other, pairing masters with assets, dropping
//! repeats, and checking the result against the count.
//!
//! [`Pager`] is the pure half (pages in, assets out); [`stream`] drives it with requests.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};

use super::{SharedAlbum, decode};
use crate::asset::{Asset, RawRecords};
use crate::cloudkit::{Record, records};
use crate::error::{DecodeError, Error, Result};
use crate::stream::AssetStream;

use super::call::Streams;

/// Pages in a row that bring no new item before a listing counts as stalled (a server that
/// ignores `offset` answers the first page to every request).
const IDLE_PAGES: usize = 2;

/// What one page brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PageOutcome {
    /// Live CPLAssets on the page, repeats included.
    pub(super) items: usize,
    /// Of those, items not seen on an earlier page.
    pub(super) new: usize,
}

/// Turns the pages of one album, in order, into assets.
#[derive(Debug)]
pub(super) struct Pager {
    album: String,
    expected: u64,
    seen: HashSet<String>,
    /// Masters and assets the page before left unpaired; they wait one page.
    carried_masters: HashMap<String, Record>,
    carried_assets: Vec<Record>,
    idle: usize,
    out: VecDeque<Result<Asset>>,
    done: bool,
}

impl Pager {
    pub(super) fn new(album: &str, expected: u64) -> Pager {
        Pager {
            album: album.to_owned(),
            expected,
            seen: HashSet::new(),
            carried_masters: HashMap::new(),
            carried_assets: Vec::new(),
            idle: 0,
            out: VecDeque::new(),
            done: expected == 0,
        }
    }

    /// Returns the next item ready to be yielded.
    pub(super) fn pop(&mut self) -> Option<Result<Asset>> {
        self.out.pop_front()
    }

    /// Returns `true` once nothing more is to be requested (items may still wait).
    pub(super) fn is_done(&self) -> bool {
        self.done
    }

    /// Returns the number of distinct items seen (decode failures included).
    pub(super) fn listed(&self) -> u64 {
        self.seen.len() as u64
    }

    /// Processes the next page. The listing is over after it when the count is reached, the
    /// page held no item, or [`IDLE_PAGES`] pages in a row brought nothing new
    /// ([`Error::ListingStalled`]).
    pub(super) fn process(&mut self, records: Vec<Record>, requests: u64) -> PageOutcome {
        if self.done {
            return PageOutcome { items: 0, new: 0 };
        }
        let mut masters = std::mem::take(&mut self.carried_masters);
        let mut assets = std::mem::take(&mut self.carried_assets);
        let carried = assets.len();
        let (mut items, mut new) = (0, 0);
        for r in records {
            if r.is_tombstone() {
                continue;
            }
            match r.record_type() {
                Some("CPLMaster") => {
                    masters.insert(r.name().to_owned(), r);
                }
                Some("CPLAsset") if !r.flag("isDeleted") && !r.flag("isExpunged") => {
                    items += 1;
                    if self.seen.insert(r.name().to_owned()) {
                        new += 1;
                        assets.push(r);
                    }
                }
                _ => {}
            }
        }
        let mut used: HashSet<String> = HashSet::new();
        for (i, asset) in assets.into_iter().enumerate() {
            let key = asset.reference("masterRef").unwrap_or_default().to_owned();
            match masters.get(&key) {
                Some(master) => {
                    used.insert(key);
                    let built = decode::asset(master, &asset, &self.album);
                    self.out.push_back(attach(master.clone(), asset, built));
                }
                None if i < carried => self.unpaired(&asset),
                None => self.carried_assets.push(asset),
            }
        }
        // A master waits one page for an item arriving late, then goes.
        self.carried_masters = masters
            .into_iter()
            .filter(|(name, _)| !used.contains(name))
            .collect();
        if new == 0 && items > 0 {
            self.idle += 1;
        } else {
            self.idle = 0;
        }
        tracing::debug!(items, new, listed = self.listed(), "shared album page");
        if self.idle >= IDLE_PAGES {
            self.stall(requests);
        } else if items == 0 || self.listed() >= self.expected {
            self.finish();
        }
        PageOutcome { items, new }
    }

    /// Ends the listing: items still unpaired become errors, and a shortfall against the
    /// count becomes [`Error::Incomplete`].
    pub(super) fn finish(&mut self) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        for asset in std::mem::take(&mut self.carried_assets) {
            self.unpaired(&asset);
        }
        let (expected, listed) = (self.expected, self.listed());
        if listed < expected {
            self.out
                .push_back(Err(Error::Incomplete { expected, listed }));
        } else if listed > expected {
            tracing::debug!(
                expected,
                listed,
                "shared album listed more items than counted"
            );
        }
    }

    /// Ends the listing with [`Error::ListingStalled`].
    fn stall(&mut self, requests: u64) {
        for asset in std::mem::take(&mut self.carried_assets) {
            self.unpaired(&asset);
        }
        self.out.push_back(Err(Error::ListingStalled {
            requests,
            listed: self.listed(),
            expected: self.expected,
        }));
        self.done = true;
    }

    /// Ends the listing after a failed request (no completeness check).
    pub(super) fn stop(&mut self) {
        self.done = true;
    }

    fn unpaired(&mut self, asset: &Record) {
        let detail = format!(
            "master {} not found on its page or the next",
            asset.reference("masterRef").unwrap_or_default()
        );
        self.out
            .push_back(Err(crate::cloudkit::decode::missing_master(asset, detail)));
    }
}

/// Attaches the records to the asset (for error reports) or to its decode error.
fn attach(
    master: Record,
    asset: Record,
    built: std::result::Result<Asset, DecodeError>,
) -> Result<Asset> {
    let name = asset.name().to_owned();
    let raw = RawRecords {
        master: master.into_raw(),
        asset: asset.into_raw(),
    };
    match built {
        Ok(mut a) => {
            a.raw = Some(Arc::new(raw));
            Ok(a)
        }
        Err(e) => Err(Error::decode(e.with_raw(raw.to_json()).for_asset(&name))),
    }
}

/// The I/O half: counts, then asks for the pages one after the other.
struct State {
    streams: Arc<Streams>,
    album: SharedAlbum,
    page_size: u64,
    pager: Option<Pager>,
    offset: u64,
    requests: u64,
    /// Whether pages still carry `albumctag` (dropped after Apple refused it with 409).
    ctag: bool,
}

impl State {
    async fn next_item(&mut self) -> Option<Result<Asset>> {
        loop {
            if self.pager.is_none() {
                let counted = super::count(&self.streams, &self.album).await;
                let expected = counted.as_ref().map_or(0, |n| *n);
                let pager = self.pager.insert(Pager::new(&self.album.guid, expected));
                if let Err(e) = counted {
                    pager.stop();
                    return Some(Err(e));
                }
            }
            let pager = self.pager.as_mut()?;
            if let Some(item) = pager.pop() {
                return Some(item);
            }
            if pager.is_done() {
                return None;
            }
            let (offset, limit) = (self.offset, self.offset + self.page_size);
            let page = self.page(offset, limit).await;
            let pager = self.pager.as_mut()?;
            let records = match page {
                Ok(records) => records,
                Err(e) => {
                    pager.stop();
                    return Some(Err(e));
                }
            };
            self.requests += 1;
            let outcome = pager.process(records, self.requests);
            // Advance by the new items: a server that caps pages below the range asked, or
            // repeats an item of the page before, is read without a gap.
            let step = if outcome.new > 0 {
                outcome.new
            } else {
                outcome.items.min(self.page_size as usize)
            };
            self.offset += step as u64;
        }
    }

    async fn page(&mut self, offset: u64, limit: u64) -> Result<Vec<Record>> {
        loop {
            let mut body = json!({
                "albumguid": self.album.guid,
                "offset": offset.to_string(),
                "limit": limit.to_string(),
            });
            let ctag = self.album.ctag.as_ref().filter(|_| self.ctag);
            if let Some(ctag) = ctag {
                body["albumctag"] = json!(ctag);
            }
            match self
                .streams
                .album(&self.album.location, "webgetassets", &body)
                .await
            {
                Ok(reply) => return page_records(reply),
                Err(Error::Api { code, .. }) if code == "409" && ctag.is_some() => {
                    tracing::debug!("albumctag refused (the album changed): listing without it");
                    self.ctag = false;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Returns the records of a `webgetassets` answer.
fn page_records(reply: Value) -> Result<Vec<Record>> {
    if !reply.get("records").is_some_and(Value::is_array) {
        return Err(Error::unexpected(
            "sharedstreams/webgetassets",
            "no records array",
        ));
    }
    Ok(records(reply))
}

/// Lists every item of `album`, in album order.
pub(super) fn stream(streams: Arc<Streams>, album: SharedAlbum, page_size: usize) -> AssetStream {
    let state = State {
        streams,
        album,
        page_size: page_size.max(1) as u64,
        pager: None,
        offset: 0,
        requests: 0,
        ctag: true,
    };
    AssetStream::new(futures_util::stream::unfold(state, |mut st| async move {
        st.next_item().await.map(|item| (item, st))
    }))
}

#[cfg(test)]
mod tests;
