//! Album listings as a stream: count first, then rank-partitioned pages fetched several at a
//! time and yielded in rank order, with pairing, de-duplication and a completeness check.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use futures_util::stream::{FuturesOrdered, StreamExt};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::album::Album;
use crate::asset::Asset;
use crate::call::{Call, Database};
use crate::cloudkit::RecordsReply;
use crate::context::{Inner, Shift};
use crate::error::{Error, Result};
use crate::query;
use crate::stream::AssetStream;

#[cfg(fuzzing)]
pub(crate) mod fuzzing;
mod pager;

use pager::{PageRecords, Pager};

/// Options of one listing; see [`crate::Library::assets_with`].
///
/// The default lists the whole album with the client's settings, counting it first. A
/// program that already counted passes the count ([`ListOptions::expected_count`]); one
/// that wants the newest few sets a limit; one that resumes a long listing starts at a rank.
///
/// ```
/// use icloud_photos::ListOptions;
///
/// // icloudpd --recent 50, with the count from an earlier `Library::count`:
/// let recent = ListOptions::default().expected_count(12_000).limit(50);
/// # let _ = recent;
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ListOptions {
    empty_page_probes: Option<usize>,
    expected: Option<u64>,
    limit: Option<u64>,
    start_rank: u64,
}

impl ListOptions {
    /// Sets how many consecutive empty pages are crossed while fewer assets than the count
    /// were seen, and so how many pages without a new asset end a listing that makes no
    /// progress (default: the client's, see
    /// [`crate::PhotosClientBuilder::empty_page_probes`]).
    pub fn empty_page_probes(mut self, n: usize) -> Self {
        self.empty_page_probes = Some(n);
        self
    }

    /// Uses `count` as the album's size instead of asking Apple (for callers that already
    /// called [`crate::Library::count`]).
    pub fn expected_count(mut self, count: u64) -> Self {
        self.expected = Some(count);
        self
    }

    /// Ends the listing after its first `n` assets, newest first (default: no limit), as
    /// icloudpd's `--recent n` does.
    ///
    /// Only the pages holding them are requested, and no more of them at a time than they
    /// need. Assets that cannot be decoded ([`crate::Error::Decode`] items) count as assets.
    /// A listing that stops at the limit has no [`crate::Error::Incomplete`] check; one that
    /// runs out of assets first ends as any listing does. With `n` = 0 nothing is requested
    /// at all and the stream is empty.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Starts at rank `n`, skipping the `n` newest assets (default 0): to continue a listing
    /// that was interrupted (a session that expired) without asking for its first pages again.
    /// Ranks move when assets are added or deleted meanwhile, so start a little before where
    /// the interrupted listing was. The count of [`ListOptions::expected_count`] is for the
    /// whole album; the completeness check counts from `n`.
    pub fn start_rank(mut self, n: u64) -> Self {
        self.start_rank = n;
        self
    }
}

/// What to list.
pub(crate) struct Listing {
    pub(crate) inner: Arc<Inner>,
    pub(crate) db: Database,
    pub(crate) zone: Arc<Value>,
    pub(crate) zone_name: String,
    pub(crate) album: Album,
    pub(crate) options: ListOptions,
}

/// One fetched page.
struct Page {
    k: u64,
    /// A deletion overlapped the request: its ranks may be off, fetch it again.
    overlapped: bool,
    records: PageRecords,
}

/// A spawned page request, aborted when dropped.
struct Task(tokio::task::JoinHandle<Result<Page>>);

impl Future for Task {
    type Output = Result<Page>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.unwrap_or_else(|e| {
                Err(Error::unexpected(
                    "records/query",
                    format!("page task failed: {e}"),
                ))
            })
        })
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// [`Fetcher::stopped`]: the listing goes on.
const RUNNING: u8 = 0;
/// [`Fetcher::stopped`]: a request failed.
const STOPPED: u8 = 1;
/// [`Fetcher::stopped`]: a request failed because the session expired.
const STOPPED_REAUTH: u8 = 2;

/// Everything a page request needs, cheap to clone into a task.
#[derive(Clone)]
struct Fetcher {
    inner: Arc<Inner>,
    db: Database,
    zone: Arc<Value>,
    album: Album,
    shift: Arc<Shift>,
    base: u64,
    /// The rank of the first page's first asset ([`ListOptions::start_rank`]).
    offset: u64,
    page_size: usize,
    zone_name: Arc<str>,
    /// The listing's requests in flight: `concurrency` permits, held from before a page's
    /// rank is computed until its answer is parsed (tasks wait for one in rank order).
    slots: Arc<Semaphore>,
    /// Set by the first request that failed (to [`STOPPED_REAUTH`] when the session expired):
    /// the listing is over, later pages are not sent.
    stopped: Arc<AtomicU8>,
}

impl Fetcher {
    /// Fetches page `k` for a page task: not sent once another request of the listing failed
    /// (the listing ends with that failure, which comes first in rank order).
    async fn fetch(self, k: u64) -> Result<Page> {
        self.request(k, true).await
    }

    /// Fetches page `k` again, after a deletion overlapped its first request.
    async fn refetch(self, k: u64) -> Result<Page> {
        self.request(k, false).await
    }

    async fn request(self, k: u64, unless_stopped: bool) -> Result<Page> {
        let (start, done, reply) = {
            // The semaphore is never closed.
            let _slot = self.slots.acquire().await.ok();
            if unless_stopped {
                // A page of lower rank than the failed one may come first in the stream: it
                // carries the same verdict, so an expired session still asks for sign-in.
                match self.stopped.load(Ordering::SeqCst) {
                    RUNNING => {}
                    STOPPED_REAUTH => {
                        return Err(Error::Auth(icloud_auth::Error::SessionExpired));
                    }
                    _ => return Err(Error::unexpected("records/query", "the listing has failed")),
                }
            }
            let done = self.shift.finished();
            let logical = self
                .offset
                .saturating_add(k.saturating_mul(self.page_size as u64));
            let start = logical.saturating_sub(done.saturating_sub(self.base));
            let limit = self.page_size.saturating_mul(2);
            let body = query::page(&self.album, start, limit, &self.zone);
            let reply = self
                .inner
                .ck
                .post_as::<RecordsReply>(self.db, Call::QUERY, &body);
            match reply.await {
                Ok(reply) => (start, done, reply),
                Err(e) => {
                    let verdict = if e.needs_reauth() {
                        STOPPED_REAUTH
                    } else {
                        STOPPED
                    };
                    let _ = self.stopped.compare_exchange(
                        RUNNING,
                        verdict,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                    return Err(e);
                }
            }
        };
        let overlapped = self.shift.started() != done;
        let records = reply.into_records();
        tracing::trace!(k, start, records = records.len(), "listing page");
        let records =
            PageRecords::decode_ahead(records, self.album.lists_deleted(), &self.zone_name);
        Ok(Page {
            k,
            overlapped,
            records,
        })
    }
}

pub(crate) fn stream(listing: Listing) -> AssetStream {
    if listing.options.limit == Some(0) {
        return AssetStream::new(futures_util::stream::empty());
    }
    let shift = listing.inner.shift(listing.db, &listing.zone_name);
    let base = shift.finished();
    let probes = listing
        .options
        .empty_page_probes
        .unwrap_or(listing.inner.empty_page_probes);
    let state = State {
        pager: Pager::new(
            listing.zone_name.clone(),
            listing.album.lists_deleted(),
            listing.inner.page_size,
            probes,
        )
        .limit(listing.options.limit),
        fetcher: Fetcher {
            inner: listing.inner.clone(),
            db: listing.db,
            zone: listing.zone.clone(),
            album: listing.album.clone(),
            shift,
            base,
            offset: listing.options.start_rank,
            page_size: listing.inner.page_size,
            zone_name: listing.zone_name.into(),
            slots: Arc::new(Semaphore::new(listing.inner.concurrency)),
            stopped: Arc::new(AtomicU8::new(RUNNING)),
        },
        expected: listing
            .options
            .expected
            .map(|n| n.saturating_sub(listing.options.start_rank)),
        concurrency: listing.inner.concurrency,
        next_k: 0,
        inflight: FuturesOrdered::new(),
    };
    let s = futures_util::stream::unfold(state, |mut st| async move {
        st.next_item().await.map(|item| (item, st))
    });
    AssetStream::new(s)
}

/// The I/O half of a listing: counting, dispatching and settling pages.
struct State {
    pager: Pager,
    fetcher: Fetcher,
    expected: Option<u64>,
    concurrency: usize,
    next_k: u64,
    inflight: FuturesOrdered<Task>,
}

impl State {
    async fn next_item(&mut self) -> Option<Result<Asset>> {
        loop {
            if let Some(item) = self.pager.pop() {
                return Some(item);
            }
            if self.pager.is_done() {
                self.inflight = FuturesOrdered::new();
                return None;
            }
            let Some(expected) = self.expected else {
                match self.count().await {
                    Ok(n) => self.expected = Some(n.saturating_sub(self.fetcher.offset)),
                    Err(e) => return Some(self.fail(e)),
                }
                continue;
            };
            self.dispatch(expected);
            let page = match self.inflight.next().await {
                Some(Ok(page)) => page,
                Some(Err(e)) => return Some(self.fail(e)),
                None => {
                    self.pager.finish(expected);
                    continue;
                }
            };
            match self.settle(page).await {
                Ok(page) => self.pager.process(page.k, page.records, expected),
                Err(e) => return Some(self.fail(e)),
            }
        }
    }

    async fn count(&self) -> Result<u64> {
        let f = &self.fetcher;
        let reply = f
            .inner
            .ck
            .post(f.db, Call::BATCH, &query::count(&f.album, &f.zone))
            .await?;
        crate::cloudkit::decode::count(&reply)
            .map_err(|d| Error::unexpected("internal/records/query/batch", d))
    }

    /// Fetches a page again for as long as deletions overlapped its request.
    async fn settle(&self, mut page: Page) -> Result<Page> {
        while page.overlapped {
            tracing::debug!(
                k = page.k,
                "a deletion overlapped the page, fetching it again"
            );
            self.fetcher.shift.settled().await;
            page = self.fetcher.clone().refetch(page.k).await?;
        }
        Ok(page)
    }

    /// Ends the listing with `e`, cancelling the requests in flight.
    fn fail(&mut self, e: Error) -> Result<Asset> {
        self.pager.stop();
        self.inflight = FuturesOrdered::new();
        Err(e)
    }

    /// Starts page tasks, but not past the pages the count says are still needed. Twice as
    /// many tasks as requests may be in flight: `concurrency` of them send at a time
    /// ([`Fetcher::slots`]), and the next one sends as soon as one is answered rather than
    /// when the caller has consumed the oldest page. So at most `2 × concurrency` pages are
    /// held.
    fn dispatch(&mut self, expected: u64) {
        let horizon = self.pager.horizon(expected);
        while self.inflight.len() < 2 * self.concurrency && self.next_k < horizon {
            let task = tokio::spawn(self.fetcher.clone().fetch(self.next_k));
            self.inflight.push_back(Task(task));
            self.next_k += 1;
        }
    }
}

#[cfg(test)]
mod tests;
