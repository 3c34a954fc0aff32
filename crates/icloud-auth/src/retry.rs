//! Retry classification and a jittered, capped backoff policy shared by the iCloud crates.

use std::time::Duration;

/// How an operation that failed may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryClass {
    /// Retrying the same request may succeed (timeouts, connection resets).
    Transient,
    /// Apple asked to slow down; wait at least `retry_after` when given.
    Throttled {
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The session is gone: whoever holds the credentials must sign in again. Not a retry.
    Reauthenticate,
    /// Retrying cannot help.
    Permanent,
}

/// Errors that know their [`RetryClass`].
pub trait Retryable {
    /// Returns how the failed operation may be retried.
    fn retry_class(&self) -> RetryClass;
}

/// Exponential backoff with full jitter and a cap.
///
/// Sign-in requests are never retried by this crate: Apple rate-limits repeated sign-ins, so a
/// retry storm makes things worse. The policy is for data requests (photos, downloads).
///
/// The policy only computes waits; the loop belongs to the caller, in one place per
/// operation (never nest two loops, or the attempts multiply). Each wait is drawn between
/// half and all of `base × 2^(attempt-1)`, capped at [`RetryPolicy::max_delay`]; a
/// `Retry-After` from Apple is honoured up to the cap. [`RetryClass::Reauthenticate`] and
/// [`RetryClass::Permanent`] are never retried: the first goes to whoever holds the
/// credentials, the second cannot succeed.
///
/// ```
/// use std::time::Duration;
/// use icloud_auth::{Error, RetryClass, RetryPolicy, Retryable};
///
/// let policy = RetryPolicy::default()
///     .max_attempts(3)
///     .base_delay(Duration::from_millis(100));
///
/// // A typical loop around one data request; `attempt` counts from 1.
/// let mut attempt = 1;
/// let result: Result<&str, Error> = loop {
///     let outcome = if attempt < 3 {
///         Err(Error::Throttled { retry_after: Some(Duration::from_millis(1)) })
///     } else {
///         Ok("page 1")
///     };
///     match outcome {
///         Err(e) => match policy.delay(attempt, e.retry_class()) {
///             Some(wait) => {
///                 std::thread::sleep(wait); // `tokio::time::sleep(wait).await` in async code
///                 attempt += 1;
///             }
///             None => break Err(e),
///         },
///         ok => break ok,
///     }
/// };
/// assert_eq!(result.unwrap(), "page 1");
/// assert_eq!(policy.delay(1, RetryClass::Permanent), None);
/// assert_eq!(policy.delay(3, RetryClass::Transient), None); // attempts used up
/// ```
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_attempts: u32,
    base: Duration,
    cap: Duration,
}

impl Default for RetryPolicy {
    /// Returns 4 attempts, 2 s base delay, 60 s cap.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Returns a policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets the total number of attempts, the first included (default 4, at least 1).
    #[must_use]
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the base delay that doubles with each attempt (default 2 s).
    #[must_use]
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base = d;
        self
    }

    /// Sets the longest single wait (default 60 s).
    #[must_use]
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.cap = d;
        self
    }

    /// Returns how long to wait before attempt `attempt + 1` after attempt `attempt` (counted
    /// from 1) failed with `class`, or `None` when the operation must not be retried.
    pub fn delay(&self, attempt: u32, class: RetryClass) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.cap);
        match class {
            RetryClass::Transient => Some(jitter(exp)),
            RetryClass::Throttled { retry_after } => Some(
                retry_after
                    .unwrap_or_else(|| jitter(exp))
                    .min(self.cap.max(exp)),
            ),
            RetryClass::Reauthenticate | RetryClass::Permanent => None,
        }
    }
}

fn jitter(d: Duration) -> Duration {
    use rand::Rng;
    let ms = d.as_millis().min(u128::from(u64::MAX)) as u64;
    Duration::from_millis(rand::thread_rng().gen_range(ms / 2..=ms.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_and_reauth_are_never_retried() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, RetryClass::Permanent), None);
        assert_eq!(p.delay(1, RetryClass::Reauthenticate), None);
    }

    #[test]
    fn attempts_are_bounded_and_delays_capped() {
        let p = RetryPolicy::default()
            .max_attempts(3)
            .max_delay(Duration::from_secs(5));
        assert!(p.delay(1, RetryClass::Transient).is_some());
        assert!(p.delay(2, RetryClass::Transient).unwrap() <= Duration::from_secs(5));
        assert_eq!(p.delay(3, RetryClass::Transient), None);
        let t = RetryClass::Throttled {
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(p.delay(1, t), Some(Duration::from_secs(3)));
    }
}
