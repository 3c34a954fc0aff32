//! The accept loop: HTTP/1.1 through hyper, with a deadline for each request head and at
//! most [`MAX_CONNECTIONS`] connections.
//!
//! A connection that sends nothing, or sends its head byte by byte (slowloris), is closed
//! [`HEADER_TIMEOUT`] after it opened; an idle keep-alive connection the same time after its
//! last answer (hyper's header-read timeout covers both). When every slot is taken, a new
//! connection takes the slot of the connection idle the longest (no request in progress), as
//! nginx reuses idle keep-alive connections: silent connections cannot lock a person out.
//! Only requests in progress make a new connection wait, and the longest (a long poll) ends
//! within half a minute.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// Connections served at once.
pub(super) const MAX_CONNECTIONS: usize = 64;
/// How long a request head may take to arrive, counted from the connection's start or from
/// the previous answer.
pub(super) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed `accept` (out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until the future is dropped, which closes every connection.
pub(super) async fn serve(listener: TcpListener, app: Router) {
    let slots = Arc::new(Slots::new(MAX_CONNECTIONS));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    // Dropped with this future: aborts the connections.
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let slot = slots.admit().await;
        let http = http.clone();
        let app = TowerToHyperService::new(app.clone());
        connections.spawn(async move {
            let service = service_fn(|request: Request<Incoming>| {
                let request_guard = slot.request();
                let answer = app.call(request);
                async move {
                    let response: Result<Response<Body>, Infallible> = answer.await;
                    drop(request_guard);
                    response
                }
            });
            let connection = http.serve_connection(TokioIo::new(stream), service);
            // A connection error (client gone, head too slow) ends only this connection;
            // eviction drops it, which closes the socket.
            tokio::select! {
                _ = connection => {}
                () = slot.evicted() => {}
            }
        });
    }
}

/// The connections open now.
struct Slots {
    limit: usize,
    table: Mutex<Table>,
    /// A slot was freed or a connection became idle.
    changed: Notify,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    open: Vec<Entry>,
}

struct Entry {
    id: u64,
    /// Requests in progress.
    requests: usize,
    /// Since when no request is in progress.
    idle_since: Instant,
    /// Told when another connection takes this one's slot.
    evict: Arc<Notify>,
}

impl Slots {
    fn new(limit: usize) -> Slots {
        Slots {
            limit,
            table: Mutex::default(),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Returns a slot for a new connection: a free one, else the one of the connection idle
    /// the longest (which is closed), else waits until one of those exists.
    async fn admit(self: &Arc<Self>) -> Slot {
        loop {
            if let Some(slot) = self.try_admit() {
                return slot;
            }
            // `notify_one` keeps a permit when nobody waits yet: no change is missed.
            self.changed.notified().await;
        }
    }

    fn try_admit(self: &Arc<Self>) -> Option<Slot> {
        let mut table = self.lock();
        if table.open.len() >= self.limit {
            let (oldest, _) = table
                .open
                .iter()
                .enumerate()
                .filter(|(_, e)| e.requests == 0)
                .min_by_key(|(_, e)| e.idle_since)?;
            let evicted = table.open.swap_remove(oldest);
            evicted.evict.notify_one();
        }
        let id = table.next_id;
        table.next_id += 1;
        let evict = Arc::new(Notify::new());
        table.open.push(Entry {
            id,
            requests: 0,
            idle_since: Instant::now(),
            evict: evict.clone(),
        });
        Some(Slot {
            slots: self.clone(),
            id,
            evict,
        })
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut Entry)) {
        let mut table = self.lock();
        if let Some(entry) = table.open.iter_mut().find(|e| e.id == id) {
            change(entry);
        }
    }
}

/// One connection's slot, freed on drop.
struct Slot {
    slots: Arc<Slots>,
    id: u64,
    evict: Arc<Notify>,
}

impl Slot {
    /// Marks a request in progress until the guard is dropped.
    fn request(&self) -> RequestGuard {
        self.slots.update(self.id, |e| e.requests += 1);
        RequestGuard {
            slots: self.slots.clone(),
            id: self.id,
        }
    }

    /// Completes when another connection took this slot.
    async fn evicted(&self) {
        self.evict.notified().await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().open.retain(|e| e.id != self.id);
        self.slots.changed.notify_one();
    }
}

/// A request in progress on a connection.
struct RequestGuard {
    slots: Arc<Slots>,
    id: u64,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let mut idle = false;
        self.slots.update(self.id, |e| {
            e.requests = e.requests.saturating_sub(1);
            if e.requests == 0 {
                e.idle_since = Instant::now();
                idle = true;
            }
        });
        if idle {
            self.slots.changed.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_table_gives_the_slot_of_the_longest_idle_connection() {
        let slots = Arc::new(Slots::new(2));
        let first = slots.admit().await;
        let second = slots.admit().await;
        let busy = second.request();
        // Full: the idle first connection is evicted for the third.
        let third = slots.admit().await;
        tokio::time::timeout(Duration::from_secs(1), first.evicted())
            .await
            .expect("the idle connection is told");
        assert_eq!(slots.lock().open.len(), 2);
        // Both left are busy: the next one waits until a request ends.
        let _third_busy = third.request();
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.admit().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        drop(busy);
        let fourth = tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("admitted once a connection is idle")
            .unwrap();
        assert_eq!(fourth.id, 3);
        tokio::time::timeout(Duration::from_secs(1), second.evicted())
            .await
            .expect("the connection idle since its request ended is told");
        // An evicted connection's slot was given away already: dropping it frees nothing.
        drop(first);
        drop(second);
        assert_eq!(slots.lock().open.len(), 2);
    }
}
