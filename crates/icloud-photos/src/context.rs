//! What every handle of one [`PhotosClient`] shares: the CloudKit database, the download
//! client, the listing settings and each zone's deletion counter ([`Shift`]). Libraries,
//! listings and change feeds hold it; none of them needs the client itself.
//!
//! [`PhotosClient`]: crate::PhotosClient

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::call::{CloudKit, Database};

/// The state of one client, behind an `Arc`.
pub(crate) struct Inner {
    pub(crate) ck: CloudKit,
    pub(crate) http: reqwest::Client,
    pub(crate) page_size: usize,
    pub(crate) concurrency: usize,
    pub(crate) empty_page_probes: usize,
    pub(crate) shifts: Mutex<HashMap<(Database, String), Arc<Shift>>>,
}

impl Inner {
    /// Returns the deletion counter of a zone, shared by its listings and deletions.
    pub(crate) fn shift(&self, db: Database, zone: &str) -> Arc<Shift> {
        let mut map = self.shifts.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry((db, zone.to_owned())).or_default().clone()
    }
}

/// Deletions in one zone, so that listings running meanwhile can correct their ranks: a
/// deletion removes one asset from the index and every later rank moves down by one.
#[derive(Debug, Default)]
pub(crate) struct Shift {
    started: AtomicU64,
    finished: AtomicU64,
    settled: tokio::sync::Notify,
}

impl Shift {
    /// Marks a deletion as under way.
    pub(crate) fn begin(self: &Arc<Self>) -> ShiftGuard {
        self.started.fetch_add(1, Ordering::SeqCst);
        ShiftGuard {
            shift: self.clone(),
            done: false,
        }
    }

    /// Returns how many deletions started (and were not rolled back).
    pub(crate) fn started(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }

    /// Returns how many deletions took effect (or may have).
    pub(crate) fn finished(&self) -> u64 {
        self.finished.load(Ordering::SeqCst)
    }

    /// Waits until no deletion is under way.
    pub(crate) async fn settled(&self) {
        loop {
            let mut notified = std::pin::pin!(self.settled.notified());
            notified.as_mut().enable();
            if self.started.load(Ordering::SeqCst) == self.finished.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// A deletion under way: committed when it may have taken effect, rolled back otherwise.
#[derive(Debug)]
pub(crate) struct ShiftGuard {
    shift: Arc<Shift>,
    done: bool,
}

impl ShiftGuard {
    /// Records the deletion as done.
    pub(crate) fn commit(mut self) {
        self.done = true;
        self.shift.finished.fetch_add(1, Ordering::SeqCst);
        self.shift.settled.notify_waiters();
    }
}

impl Drop for ShiftGuard {
    fn drop(&mut self) {
        if !self.done {
            self.shift.started.fetch_sub(1, Ordering::SeqCst);
            self.shift.settled.notify_waiters();
        }
    }
}
