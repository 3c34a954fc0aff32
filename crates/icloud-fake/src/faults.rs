//! Injected failures: throttling, error statuses, expiring sessions, latency, broken downloads.

use std::time::Duration;

use serde_json::json;

use crate::http::{CT_IDMSA_HTML, CT_SETUP_JSON, Reply};
use crate::state::ident;

/// Content type of CloudKit responses.
pub(crate) const CT_CLOUDKIT: &str = "application/json; charset=UTF-8";

/// A failure the fake injects instead of (or on top of) the real behaviour.
///
/// Most faults apply to requests whose path ends with `path_suffix` (`""` matches every
/// request; CloudKit endpoints match e.g. `"/records/query"`) and are used up after `times`
/// matching requests (`None` = forever). Faults that answer in place of the server are checked
/// in the order they were added; the first match answers. Latency faults add up with everything
/// else. Download faults (`TruncateDownload`, `DownloadError`) apply to CDN downloads only.
/// Test-only routes (`/__fake/…`) are never faulted.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answers `503 Service Temporary Unavailable` with a `text/html` body of the same text, as
    /// Apple does when it throttles.
    ServiceUnavailable {
        /// Path suffix to match (`""` = all paths).
        path_suffix: String,
        /// Number of requests to fail, `None` = forever.
        times: Option<usize>,
    },
    /// Answers `status` with JSON `{"success":false,"error":"<reason phrase>"}`; status 400 is
    /// answered with a non-JSON `Bad Request` body instead (Apple's "library not ready" shape).
    Status {
        /// Path suffix to match (`""` = all paths).
        path_suffix: String,
        /// HTTP status to answer.
        status: u16,
        /// Number of requests to fail, `None` = forever.
        times: Option<usize>,
    },
    /// Answers 429 (`serverErrorCode` `THROTTLED`) or 503 (`TRY_AGAIN_LATER`) with a CloudKit
    /// JSON error body and, if set, a `Retry-After` header.
    Throttle {
        /// Path suffix to match (`""` = all paths).
        path_suffix: String,
        /// 429 or 503 (any status is sent as given).
        status: u16,
        /// `Retry-After` in seconds, if any.
        retry_after_secs: Option<u64>,
        /// Number of requests to fail, `None` = forever.
        times: Option<usize>,
    },
    /// Lets `requests` CloudKit requests through, then invalidates every web session (as
    /// [`crate::FakeICloud::expire_web_sessions`] does): later CloudKit calls answer 421 until
    /// the client signs in again. Used up once it fired.
    ExpireSessionAfter {
        /// CloudKit requests answered normally before the sessions expire.
        requests: usize,
    },
    /// Delays each matching request by `delay` before it is answered. The wait is asynchronous
    /// and outside the server's lock, so concurrent requests overlap.
    Latency {
        /// Path suffix to match (`""` = all paths).
        path_suffix: String,
        /// Added delay.
        delay: Duration,
        /// Number of requests to delay, `None` = forever.
        times: Option<usize>,
    },
    /// Makes a download close the connection after `after_bytes` body bytes although
    /// `Content-Length` promises the whole (range of the) file.
    TruncateDownload {
        /// Body bytes sent before the connection is closed.
        after_bytes: u64,
        /// Number of downloads to break, `None` = forever.
        times: Option<usize>,
    },
    /// Answers downloads with `status` and the CDN's JSON body `{}` (400 is what Apple sends
    /// for expired URLs).
    DownloadError {
        /// HTTP status to answer.
        status: u16,
        /// Number of downloads to fail, `None` = forever.
        times: Option<usize>,
    },
}

impl Fault {
    /// Returns a 503 fault for every path ending with `path_suffix`, forever.
    pub fn service_unavailable(path_suffix: &str) -> Self {
        Fault::ServiceUnavailable {
            path_suffix: path_suffix.to_owned(),
            times: None,
        }
    }

    /// Returns a fault answering `status` for paths ending with `path_suffix`, `times` times
    /// (`None` = forever). A 500 on a CloudKit endpoint is what icloudpd reports as
    /// "Authentication required for Account. (500)".
    pub fn status(path_suffix: &str, status: u16, times: Option<usize>) -> Self {
        Fault::Status {
            path_suffix: path_suffix.to_owned(),
            status,
            times,
        }
    }

    /// Returns a throttling fault (429 `THROTTLED` or 503 `TRY_AGAIN_LATER`, with an optional
    /// `Retry-After`) for paths ending with `path_suffix`, `times` times (`None` = forever).
    pub fn throttle(
        path_suffix: &str,
        status: u16,
        retry_after_secs: Option<u64>,
        times: Option<usize>,
    ) -> Self {
        Fault::Throttle {
            path_suffix: path_suffix.to_owned(),
            status,
            retry_after_secs,
            times,
        }
    }

    /// Returns a fault that expires every web session after `n_requests` CloudKit requests.
    pub fn expire_session_after(n_requests: usize) -> Self {
        Fault::ExpireSessionAfter {
            requests: n_requests,
        }
    }

    /// Returns a fault delaying every request by `delay`, forever.
    pub fn latency(delay: Duration) -> Self {
        Fault::latency_for("", delay)
    }

    /// Returns a fault delaying requests whose path ends with `path_suffix` by `delay`, forever.
    pub fn latency_for(path_suffix: &str, delay: Duration) -> Self {
        Fault::Latency {
            path_suffix: path_suffix.to_owned(),
            delay,
            times: None,
        }
    }

    /// Returns a fault truncating downloads after `after_bytes` bytes, `times` times (`None` =
    /// forever).
    pub fn truncate_download(after_bytes: u64, times: Option<usize>) -> Self {
        Fault::TruncateDownload { after_bytes, times }
    }

    /// Returns a fault answering downloads with `status` and `{}`, `times` times (`None` =
    /// forever).
    pub fn download_error(status: u16, times: Option<usize>) -> Self {
        Fault::DownloadError { status, times }
    }

    fn times_mut(&mut self) -> Option<&mut Option<usize>> {
        match self {
            Fault::ServiceUnavailable { times, .. }
            | Fault::Status { times, .. }
            | Fault::Throttle { times, .. }
            | Fault::Latency { times, .. }
            | Fault::TruncateDownload { times, .. }
            | Fault::DownloadError { times, .. } => Some(times),
            Fault::ExpireSessionAfter { .. } => None,
        }
    }

    /// Returns whether this fault answers `req` in place of the server.
    fn answers(&self, path: &str, download: bool) -> bool {
        match self {
            Fault::ServiceUnavailable { path_suffix, .. }
            | Fault::Status { path_suffix, .. }
            | Fault::Throttle { path_suffix, .. } => path.ends_with(path_suffix.as_str()),
            Fault::DownloadError { .. } => download,
            _ => false,
        }
    }

    fn reply(&self) -> Reply {
        match self {
            Fault::ServiceUnavailable { .. } => {
                Reply::body(503, CT_IDMSA_HTML, "Service Temporary Unavailable")
                    .header("X-Apple-I-Request-ID", ident(16))
            }
            Fault::Status { status: 400, .. } => {
                Reply::body(400, "text/html;charset=UTF-8", "Bad Request")
            }
            Fault::Status { status, .. } => {
                let body = json!({"success": false, "error": reason_phrase(*status)});
                Reply::json(*status, CT_SETUP_JSON, &body)
            }
            Fault::Throttle {
                status,
                retry_after_secs,
                ..
            } => {
                let (code, reason) = if *status == 429 {
                    ("THROTTLED", "Request throttled")
                } else {
                    ("TRY_AGAIN_LATER", "Service unavailable, try again later")
                };
                let body = json!({"uuid": uuid::Uuid::new_v4().to_string(), "serverErrorCode": code, "reason": reason});
                let reply = Reply::json(*status, CT_CLOUDKIT, &body);
                match retry_after_secs {
                    Some(s) => reply.header("Retry-After", s.to_string()),
                    None => reply,
                }
            }
            Fault::DownloadError { status, .. } => crate::cdn::error(*status),
            _ => Reply::empty(500),
        }
    }
}

/// Returns a reason phrase for the statuses tests use.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        421 => "Misdirected Request",
        429 => "Too Many Requests",
        450 => "Authentication required",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// What the active faults do to one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// Wait this long (outside the lock) before answering.
    pub(crate) delay: Duration,
    /// Answer this instead of the server.
    pub(crate) reply: Option<Reply>,
    /// Cut the download body after this many bytes.
    pub(crate) truncate: Option<u64>,
    /// Invalidate every web session before answering.
    pub(crate) expire_sessions: bool,
}

/// The active faults, each with the number of matching requests seen.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    active: Vec<(Fault, usize)>,
}

impl Faults {
    /// Adds a fault.
    pub(crate) fn add(&mut self, mut fault: Fault) {
        if fault.times_mut().is_some_and(|t| *t == Some(0)) {
            return;
        }
        self.active.push((fault, 0));
    }

    /// Removes every fault.
    pub(crate) fn clear(&mut self) {
        self.active.clear();
    }

    /// Consumes one use of fault `i`, dropping it when used up.
    fn consume(&mut self, i: usize) {
        if let Some(Some(n)) = self.active[i].0.times_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.active.remove(i);
            }
        }
    }

    /// Decides what the faults do to a request for `path`; `cloudkit` / `download` say which
    /// service it addresses.
    pub(crate) fn decide(&mut self, path: &str, cloudkit: bool, download: bool) -> Decision {
        let mut d = Decision::default();
        let mut i = 0;
        while i < self.active.len() {
            let before = self.active.len();
            match &mut self.active[i] {
                (
                    Fault::Latency {
                        path_suffix, delay, ..
                    },
                    _,
                ) if path.ends_with(path_suffix.as_str()) => {
                    d.delay = d.delay.max(*delay);
                    self.consume(i);
                }
                (Fault::ExpireSessionAfter { requests }, seen) if cloudkit => {
                    if *seen >= *requests {
                        d.expire_sessions = true;
                        self.active.remove(i);
                    } else {
                        *seen += 1;
                    }
                }
                _ => {}
            }
            if self.active.len() == before {
                i += 1;
            }
        }
        if let Some(i) = self
            .active
            .iter()
            .position(|(f, _)| f.answers(path, download))
        {
            d.reply = Some(self.active[i].0.reply());
            self.consume(i);
        } else if download {
            let found = self
                .active
                .iter()
                .position(|(f, _)| matches!(f, Fault::TruncateDownload { .. }));
            if let Some(i) = found {
                if let Fault::TruncateDownload { after_bytes, .. } = self.active[i].0 {
                    d.truncate = Some(after_bytes);
                }
                self.consume(i);
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(faults: &mut Faults, path: &str) -> Option<u16> {
        faults.decide(path, false, false).reply.map(|r| r.status)
    }

    #[test]
    fn counted_fault_runs_out() {
        let mut faults = Faults::default();
        faults.add(Fault::status("/validate", 421, Some(2)));
        assert_eq!(status_of(&mut faults, "/setup/ws/1/accountLogin"), None);
        assert_eq!(status_of(&mut faults, "/setup/ws/1/validate"), Some(421));
        assert_eq!(status_of(&mut faults, "/setup/ws/1/validate"), Some(421));
        assert_eq!(status_of(&mut faults, "/setup/ws/1/validate"), None);
    }

    #[test]
    fn zero_times_never_fires_and_empty_suffix_matches_all() {
        let mut faults = Faults::default();
        faults.add(Fault::ServiceUnavailable {
            path_suffix: "/x".into(),
            times: Some(0),
        });
        assert_eq!(status_of(&mut faults, "/x"), None);
        faults.add(Fault::service_unavailable(""));
        let reply = faults.decide("/anything", false, false).reply;
        assert_eq!(reply.as_ref().map(|r| r.status), Some(503));
        assert_eq!(
            reply.map(|r| r.body),
            Some(b"Service Temporary Unavailable".to_vec())
        );
        faults.clear();
        assert_eq!(status_of(&mut faults, "/anything"), None);
    }

    #[test]
    fn bad_request_is_not_json() {
        let mut faults = Faults::default();
        faults.add(Fault::status("", 400, None));
        let reply = faults.decide("/x", false, false).reply;
        assert_eq!(reply.map(|r| r.body), Some(b"Bad Request".to_vec()));
    }

    #[test]
    fn throttle_has_retry_after_and_cloudkit_body() {
        let mut faults = Faults::default();
        faults.add(Fault::throttle("/records/query", 429, Some(7), Some(1)));
        let reply = faults.decide("/a/records/query", true, false).reply;
        let reply = reply.expect("throttled");
        assert_eq!(reply.status, 429);
        assert_eq!(reply.get_header("Retry-After"), Some("7"));
        let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
        assert_eq!(body["serverErrorCode"], "THROTTLED");
        assert!(
            faults
                .decide("/a/records/query", true, false)
                .reply
                .is_none()
        );
    }

    #[test]
    fn latency_adds_and_session_expiry_counts_cloudkit_only() {
        let mut faults = Faults::default();
        faults.add(Fault::latency(Duration::from_millis(5)));
        faults.add(Fault::expire_session_after(1));
        let d = faults.decide("/setup/ws/1/validate", false, false);
        assert_eq!(d.delay, Duration::from_millis(5));
        assert!(!d.expire_sessions);
        assert!(
            !faults
                .decide("/db/records/query", true, false)
                .expire_sessions
        );
        assert!(
            faults
                .decide("/db/records/query", true, false)
                .expire_sessions
        );
        assert!(
            !faults
                .decide("/db/records/query", true, false)
                .expire_sessions
        );
    }

    #[test]
    fn download_faults_touch_downloads_only() {
        let mut faults = Faults::default();
        faults.add(Fault::truncate_download(10, Some(1)));
        faults.add(Fault::download_error(400, Some(1)));
        assert!(faults.decide("/records/query", true, false).reply.is_none());
        let first = faults.decide("/B/x/${f}", false, true);
        assert_eq!(first.reply.map(|r| r.status), Some(400));
        assert_eq!(first.truncate, None);
        assert_eq!(faults.decide("/B/x/${f}", false, true).truncate, Some(10));
        assert_eq!(faults.decide("/B/x/${f}", false, true).truncate, None);
    }
}
