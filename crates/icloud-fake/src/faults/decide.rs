//! What the active faults do to one request: the order they are checked in, their counters
//! and their seeded random choices.
//!
//! [`Faults::decide_for`] turns the active faults into one [`Decision`] per request, under the
//! faults' own lock and before the state is touched. The server then sleeps off the delay
//! (outside every lock), runs the handler unless a fault answers, and shapes the download
//! body. The faults are walked in a fixed order, which is how they interact:
//!
//! 1. **Side effects**, every matching fault: latencies (the longest one wins, and each
//!    matching latency fault uses up one of its `times`), and on CloudKit requests the
//!    session and PCS expiries. These happen whatever else the request meets, so a delayed
//!    request can also be answered by a fault.
//! 2. **Answers**, in the order the faults were added: the first fault that matches the
//!    request answers it in place of the server and uses up one of its `times`. A
//!    `RandomStatus` that rolls a miss does not count as a match and is not used up, so
//!    faults added after it still get their chance. A request a fault answers never reaches
//!    the handler: it changes no state (a `records/modify` it answers deletes nothing). The
//!    session or PCS expiry that step 1 decided for it still happens, as Apple's sessions
//!    expire whatever a request is answered. Only successful answers (below 300) count
//!    towards `ExpireSessionEvery`.
//! 3. **Download shaping**, only for CDN requests nobody answered: the newest `Bandwidth`
//!    cap, the first `StallDownload`, then either the first `TruncateDownload` or else the
//!    first `ResetDownloads` whose roll hits. Stall and cut combine: the body pauses, then
//!    ends early at the smaller of the two cut points.
//! 4. **Request rewriting**, again only when nobody answered: a resumed download (a `Range`
//!    that does not start at 0) uses up the first `IgnoreRange` or `WrongRange`, and a
//!    `records/query` the first `IgnoreStartRank`, whose rewritten body asks for rank 0.
//!
//! Test routes (`/__fake/…`) and requests for the wrong host in HTTPS mode (answered 421 by
//! [`crate::origins`]) never reach the faults and use up none of them.
//!
//! Random choices come from [`mix`] over the fault's seed, the request's identity
//! ([`request_key`]) and how often that identity was seen by the fault, never from a clock or
//! a thread's timing; so a run's faults depend only on what the client sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::{Fault, from_first_page};
use crate::bandwidth::Bucket;
use crate::cdn::{Misrange, resumes};
use crate::http::{Reply, Req};
use crate::library::mix;

/// What the active faults do to one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// Wait this long (outside the lock) before answering.
    pub(crate) delay: Duration,
    /// Answer this instead of the server.
    pub(crate) reply: Option<Reply>,
    /// Cut the download body after this many bytes.
    pub(crate) truncate: Option<u64>,
    /// Cut the download body after a prefix chosen by this random number (see
    /// [`reset_prefix`]).
    pub(crate) reset: Option<u64>,
    /// Answer a resumed download with another range than asked (see [`crate::cdn::misrange`]).
    pub(crate) misrange: Option<Misrange>,
    /// Send the download body through this shared bucket.
    pub(crate) bandwidth: Option<Arc<Bucket>>,
    /// Fall silent for this long after this many body bytes.
    pub(crate) stall: Option<(u64, Duration)>,
    /// Invalidate every web session before answering.
    pub(crate) expire_sessions: bool,
    /// Invalidate every web session once this many CloudKit requests were answered
    /// successfully since they last expired ([`Fault::ExpireSessionEvery`]).
    pub(crate) session_budget: Option<usize>,
    /// Invalidate every PCS cookie before answering.
    pub(crate) expire_pcs: bool,
    /// Route the request with this body instead of its own ([`Fault::IgnoreStartRank`]).
    pub(crate) body: Option<Vec<u8>>,
}

/// Returns how many bytes of a `len`-byte body a reset download sends before the abort, from
/// the random number `r`: at least 1 and less than `len` (0 when `len` < 2).
pub(crate) fn reset_prefix(r: u64, len: u64) -> u64 {
    if len < 2 { 0 } else { 1 + r % (len - 1) }
}

/// The identity of a request for random faults: FNV-1a over method, path, `Range` and body.
pub(crate) fn request_key(req: &Req) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let parts = [
        req.method.as_bytes(),
        req.path.as_bytes(),
        req.header("range").unwrap_or_default().as_bytes(),
        &req.body,
    ];
    for part in parts {
        for &b in part.iter().chain(&[0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// One active fault and what it has seen.
#[derive(Debug)]
struct Active {
    fault: Fault,
    /// Matching requests seen (`ExpireSessionAfter`).
    seen: usize,
    /// Random faults: how often each request (by [`request_key`]) was seen.
    rolls: HashMap<u64, u64>,
    /// `Bandwidth`: the bucket every download shares.
    bucket: Option<Arc<Bucket>>,
}

impl Active {
    /// Returns a random number for this occurrence of request `key`, and whether it falls
    /// within `per_mille` ‰.
    fn roll(&mut self, seed: u64, per_mille: u32, key: u64) -> (bool, u64) {
        let n = self.rolls.entry(key).or_default();
        *n += 1;
        let r = mix(mix(seed, key), *n);
        (r % 1000 < u64::from(per_mille), mix(r, 1))
    }
}

/// The active faults, in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    active: Vec<Active>,
}

impl Faults {
    /// Adds a fault.
    pub(crate) fn add(&mut self, mut fault: Fault) {
        if fault.times_mut().is_some_and(|t| *t == Some(0)) {
            return;
        }
        let bucket = match fault {
            Fault::Bandwidth { bytes_per_second } => Some(Arc::new(Bucket::new(bytes_per_second))),
            _ => None,
        };
        self.active.push(Active {
            fault,
            seen: 0,
            rolls: HashMap::new(),
            bucket,
        });
    }

    /// Removes every fault.
    pub(crate) fn clear(&mut self) {
        self.active.clear();
    }

    /// Consumes one use of fault `i`, dropping it when used up.
    fn consume(&mut self, i: usize) {
        if let Some(Some(n)) = self.active[i].fault.times_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.active.remove(i);
            }
        }
    }

    /// Decides what the faults do to `req`.
    pub(crate) fn decide_for(&mut self, req: &Req) -> Decision {
        let cloudkit = req.path.starts_with("/database/");
        let download = req.path.starts_with("/B/");
        let mut d = self.decide(&req.path, cloudkit, download, request_key(req));
        if download && d.reply.is_none() && resumes(req.header("range")) {
            d.misrange = self.misrange();
        }
        if cloudkit && d.reply.is_none() && req.path.ends_with("/records/query") {
            d.body = self.first_page(&req.body);
        }
        d
    }

    /// Uses up the first `IgnoreStartRank` fault, if any, for a listing request: its body
    /// asking for rank 0.
    fn first_page(&mut self, body: &[u8]) -> Option<Vec<u8>> {
        let i = self
            .active
            .iter()
            .position(|a| matches!(a.fault, Fault::IgnoreStartRank { .. }))?;
        let body = from_first_page(body)?;
        self.consume(i);
        Some(body)
    }

    /// Uses up the first `IgnoreRange` or `WrongRange` fault, if any, for a resumed download.
    fn misrange(&mut self) -> Option<Misrange> {
        let (i, how) = self
            .active
            .iter()
            .enumerate()
            .find_map(|(i, a)| match a.fault {
                Fault::IgnoreRange { .. } => Some((i, Misrange::Whole)),
                Fault::WrongRange { .. } => Some((i, Misrange::FromStart)),
                _ => None,
            })?;
        self.consume(i);
        Some(how)
    }

    /// Decides what the faults do to a request for `path`; `cloudkit` / `download` say which
    /// service it addresses, `key` identifies it for random faults ([`request_key`]).
    pub(crate) fn decide(
        &mut self,
        path: &str,
        cloudkit: bool,
        download: bool,
        key: u64,
    ) -> Decision {
        let mut d = Decision::default();
        let mut i = 0;
        while i < self.active.len() {
            let before = self.active.len();
            let a = &mut self.active[i];
            let (mut consume, mut remove) = (false, false);
            match &a.fault {
                Fault::Latency {
                    path_suffix, delay, ..
                } if path.ends_with(path_suffix.as_str()) => {
                    d.delay = d.delay.max(*delay);
                    consume = true;
                }
                Fault::ExpireSessionAfter { requests } if cloudkit => {
                    if a.seen >= *requests {
                        d.expire_sessions = true;
                        remove = true;
                    } else {
                        a.seen += 1;
                    }
                }
                Fault::ExpireSessionEvery { requests } if cloudkit => {
                    d.session_budget = Some(*requests);
                }
                Fault::ExpirePcsAfter { requests } if cloudkit => {
                    if a.seen >= *requests {
                        d.expire_pcs = true;
                        remove = true;
                    } else {
                        a.seen += 1;
                    }
                }
                _ => {}
            }
            if consume {
                self.consume(i);
            } else if remove {
                self.active.remove(i);
            }
            if self.active.len() == before {
                i += 1;
            }
        }
        for i in 0..self.active.len() {
            let a = &mut self.active[i];
            if !a.fault.answers(path, cloudkit, download) {
                continue;
            }
            if let Fault::RandomStatus {
                per_mille, seed, ..
            } = a.fault
                && !a.roll(seed, per_mille, key).0
            {
                continue;
            }
            d.reply = Some(a.fault.reply());
            self.consume(i);
            return d;
        }
        if !download {
            return d;
        }
        d.bandwidth = self.active.iter().rev().find_map(|a| a.bucket.clone());
        let stalling = self
            .active
            .iter()
            .position(|a| matches!(a.fault, Fault::StallDownload { .. }));
        if let Some(i) = stalling {
            if let Fault::StallDownload {
                after_bytes, pause, ..
            } = self.active[i].fault
            {
                d.stall = Some((after_bytes, pause));
            }
            self.consume(i);
        }
        let truncating = self
            .active
            .iter()
            .position(|a| matches!(a.fault, Fault::TruncateDownload { .. }));
        if let Some(i) = truncating {
            if let Fault::TruncateDownload { after_bytes, .. } = self.active[i].fault {
                d.truncate = Some(after_bytes);
            }
            self.consume(i);
            return d;
        }
        for a in &mut self.active {
            if let Fault::ResetDownloads { per_mille, seed } = a.fault
                && let (true, r) = a.roll(seed, per_mille, key)
            {
                d.reset = Some(r);
                break;
            }
        }
        d
    }
}
