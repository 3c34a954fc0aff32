//! A token bucket shared by every download body: the [`crate::Fault::Bandwidth`] cap.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Largest chunk a download body sends at once, with or without a cap.
pub(crate) const MAX_CHUNK: u64 = 64 * 1024;

/// A token bucket of `rate` bytes per second holding at most a twentieth of a second's worth.
///
/// Takers reserve their bytes at once and then sleep off the debt (asynchronously, outside the
/// lock), so concurrent bodies share the rate in arrival order and never block a thread.
#[derive(Debug)]
pub(crate) struct Bucket {
    rate: f64,
    burst: f64,
    state: Mutex<Level>,
}

#[derive(Debug)]
struct Level {
    /// Bytes available now; negative while takers are waiting off a debt.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Instant,
}

impl Bucket {
    /// Returns a full bucket of `bytes_per_second` (0 is taken as 1).
    pub(crate) fn new(bytes_per_second: u64) -> Bucket {
        let rate = bytes_per_second.max(1) as f64;
        let burst = (rate / 20.0).max(1.0);
        Bucket {
            rate,
            burst,
            state: Mutex::new(Level {
                tokens: burst,
                at: Instant::now(),
            }),
        }
    }

    /// Returns the chunk size bodies should use under this cap: a twentieth of a second's
    /// worth, between 1 byte and [`MAX_CHUNK`].
    pub(crate) fn chunk(&self) -> u64 {
        (self.burst as u64).clamp(1, MAX_CHUNK)
    }

    /// Takes `n` bytes' worth of tokens, waiting until the rate allows them.
    pub(crate) async fn take(&self, n: u64) {
        let wait = self.reserve(n, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Reserves `n` tokens at `now` and returns how long the taker must wait for them.
    fn reserve(&self, n: u64, now: Instant) -> Duration {
        let mut level = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = now.saturating_duration_since(level.at).as_secs_f64();
        level.at = level.at.max(now);
        level.tokens = (level.tokens + elapsed * self.rate).min(self.burst);
        level.tokens -= n as f64;
        if level.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-level.tokens / self.rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takers_share_the_rate() {
        let b = Bucket::new(1000);
        assert_eq!(b.chunk(), 50);
        let t0 = Instant::now();
        assert_eq!(b.reserve(50, t0), Duration::ZERO, "the burst is free");
        assert_eq!(b.reserve(100, t0), Duration::from_millis(100));
        assert_eq!(
            b.reserve(100, t0),
            Duration::from_millis(200),
            "queued behind"
        );
        // A second later the debt of 200 is paid and 800 bytes came back (capped at the burst
        // of 50, so taking 50 is free again).
        let later = t0 + Duration::from_secs(1);
        assert_eq!(b.reserve(50, later), Duration::ZERO);
    }

    #[test]
    fn tiny_rates_still_move() {
        let b = Bucket::new(0);
        assert_eq!(b.chunk(), 1);
        let t0 = Instant::now();
        assert_eq!(b.reserve(1, t0), Duration::ZERO);
        assert_eq!(b.reserve(1, t0), Duration::from_secs(1));
    }
}
