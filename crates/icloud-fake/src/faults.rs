//! Injected failures: throttling (503) and arbitrary error statuses, for some or all requests.

use serde_json::json;

use crate::http::{CT_IDMSA_HTML, CT_SETUP_JSON, Reply};
use crate::state::ident;

/// A failure the fake answers instead of the real behaviour.
///
/// A fault applies to requests whose path ends with `path_suffix` (`""` matches every request)
/// and is used up after `times` matching requests (`None` = forever). Faults are checked in the
/// order they were added; the first match answers. Test-only routes (`/__fake/…`) are never
/// faulted.
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
}

impl Fault {
    /// Returns a 503 fault for every path ending with `path_suffix`, forever.
    pub fn service_unavailable(path_suffix: &str) -> Self {
        Fault::ServiceUnavailable {
            path_suffix: path_suffix.to_owned(),
            times: None,
        }
    }

    /// Returns a fault answering `status` for paths ending with `path_suffix`, `times` times.
    pub fn status(path_suffix: &str, status: u16, times: Option<usize>) -> Self {
        Fault::Status {
            path_suffix: path_suffix.to_owned(),
            status,
            times,
        }
    }

    fn suffix(&self) -> &str {
        match self {
            Fault::ServiceUnavailable { path_suffix, .. } | Fault::Status { path_suffix, .. } => {
                path_suffix
            }
        }
    }

    fn times_mut(&mut self) -> &mut Option<usize> {
        match self {
            Fault::ServiceUnavailable { times, .. } | Fault::Status { times, .. } => times,
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

/// The active faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    active: Vec<Fault>,
}

impl Faults {
    /// Adds a fault.
    pub(crate) fn add(&mut self, mut fault: Fault) {
        if *fault.times_mut() != Some(0) {
            self.active.push(fault);
        }
    }

    /// Removes every fault.
    pub(crate) fn clear(&mut self) {
        self.active.clear();
    }

    /// Returns the reply of the first fault matching `path`, consuming one use of it.
    pub(crate) fn apply(&mut self, path: &str) -> Option<Reply> {
        let index = self
            .active
            .iter()
            .position(|f| path.ends_with(f.suffix()))?;
        let fault = &mut self.active[index];
        let reply = fault.reply();
        let times = fault.times_mut();
        if let Some(n) = times {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.active.remove(index);
            }
        }
        Some(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_fault_runs_out() {
        let mut faults = Faults::default();
        faults.add(Fault::Status {
            path_suffix: "/validate".into(),
            status: 421,
            times: Some(2),
        });
        assert!(faults.apply("/setup/ws/1/accountLogin").is_none());
        assert_eq!(
            faults.apply("/setup/ws/1/validate").map(|r| r.status),
            Some(421)
        );
        assert_eq!(
            faults.apply("/setup/ws/1/validate").map(|r| r.status),
            Some(421)
        );
        assert!(faults.apply("/setup/ws/1/validate").is_none());
    }

    #[test]
    fn zero_times_never_fires_and_empty_suffix_matches_all() {
        let mut faults = Faults::default();
        faults.add(Fault::ServiceUnavailable {
            path_suffix: "/x".into(),
            times: Some(0),
        });
        assert!(faults.apply("/x").is_none());
        faults.add(Fault::ServiceUnavailable {
            path_suffix: String::new(),
            times: None,
        });
        let reply = faults.apply("/anything");
        assert_eq!(reply.as_ref().map(|r| r.status), Some(503));
        assert_eq!(
            reply.map(|r| r.body),
            Some(b"Service Temporary Unavailable".to_vec())
        );
        faults.clear();
        assert!(faults.apply("/anything").is_none());
    }

    #[test]
    fn bad_request_is_not_json() {
        let mut faults = Faults::default();
        faults.add(Fault::status("", 400, None));
        let reply = faults.apply("/x");
        assert_eq!(reply.map(|r| r.body), Some(b"Bad Request".to_vec()));
    }
}
