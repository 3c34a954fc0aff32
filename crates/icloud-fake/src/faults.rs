//! Injected failures: throttling, error statuses (fixed or random), expiring sessions, latency,
//! broken or slow downloads, listings that ignore `startRank`, oversized answers.
//!
//! Each fault reproduces a failure a client meets in the wild, with Apple's bodies where they
//! are known, so that the client's reaction can be tested:
//!
//! - throttling: 503 `Service Temporary Unavailable` as `text/html` (auth.md §10.5, photos.md
//!   §4 item 1), and CloudKit's 429 `THROTTLED` / 503 `TRY_AGAIN_LATER` with `Retry-After`
//!   (photos.md §4);
//! - a library not ready yet: the non-JSON 400 `Bad Request` of a first run (auth.md §10.5);
//! - ended sessions: web sessions or PCS cookies that expire after a number of CloudKit calls,
//!   which CloudKit then answers 421 or 423 as for a session Apple ended;
//! - transport failures on downloads: truncated bodies, resets mid-transfer, stalls, servers
//!   that ignore or misread `Range`, CDN errors, a bandwidth cap;
//! - misbehaving listings and answers: `startRank` ignored, endless bodies.
//!
//! How several faults combine, which are used up when, and how random faults stay
//! reproducible is described in [`decide`]; [`Fault`] sums it up for users of the crate.

use std::time::Duration;

use serde_json::json;

use crate::cdn::Generated;
use crate::http::{CT_IDMSA_HTML, CT_SETUP_JSON, Reply};
use crate::state::ident;

mod decide;

pub(crate) use decide::{Decision, Faults, reset_prefix};

/// Content type of CloudKit responses.
pub(crate) const CT_CLOUDKIT: &str = "application/json; charset=UTF-8";

/// A failure the fake injects instead of (or on top of) the real behaviour.
///
/// Most faults apply to requests whose path ends with `path_suffix` (`""` matches every
/// request; CloudKit endpoints match e.g. `"/records/query"`) and are used up after `times`
/// matching requests (`None` = forever). Faults that answer in place of the server are checked
/// in the order they were added; the first match answers. Latency faults add up with everything
/// else. Download faults (`TruncateDownload`, `StallDownload`, `ResetDownloads`, `DownloadError`, `Bandwidth`,
/// `IgnoreRange`, `WrongRange`) apply to CDN downloads only. Test-only routes (`/__fake/…`) are never faulted.
///
/// Random faults (`RandomStatus`, `ResetDownloads`) are deterministic given their seed: whether
/// a request is hit depends only on the seed, the request (method, path, `Range` header and
/// body, not the query string, whose download expiry changes) and how many identical requests
/// came before it. The same client behaviour therefore meets the same faults in every run,
/// however its concurrent requests interleave, and a retried request rolls again.
///
/// Build faults with the constructors ([`Fault::status`], [`Fault::throttle`],
/// [`Fault::truncate_download`], …), which fill in the usual defaults; the variants are
/// public so that a test can also write one out in full or match on it.
///
/// # Example
///
/// A client's retry of a throttled request, seen from the fake: the first `records/query`
/// answers 429 with `Retry-After: 2`, the retry goes through.
///
/// ```
/// use icloud_fake::{FakeAccount, FakeICloud, Fault};
///
/// let fake = FakeICloud::builder()
///     .account(FakeAccount::new("jdoe@gmail.com", "password1"))
///     .start()?;
/// fake.set_fault(Fault::throttle("/records/query", 429, Some(2), Some(1)));
///
/// let http = reqwest::blocking::Client::new();
/// let url = format!(
///     "{}/database/1/com.apple.photos.cloud/production/private/records/query",
///     fake.base_url()
/// );
/// let first = http.post(&url).body("{}").send().map_err(std::io::Error::other)?;
/// assert_eq!(first.status().as_u16(), 429);
/// assert_eq!(first.headers()["retry-after"], "2");
/// // Used up: the next request meets the real server (which wants a signed-in session).
/// let second = http.post(&url).body("{}").send().map_err(std::io::Error::other)?;
/// assert_ne!(second.status().as_u16(), 429);
/// # Ok::<(), std::io::Error>(())
/// ```
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
    /// Invalidates every web session once `requests` CloudKit requests were answered with it,
    /// again and again: each session serves `requests` requests (those that fail because it
    /// expired do not count), then the client must sign in again. Never used up.
    ExpireSessionEvery {
        /// CloudKit requests each session is allowed.
        requests: usize,
    },
    /// Lets `requests` CloudKit requests through, then invalidates every PCS cookie handed out
    /// by `requestPCS` (as [`crate::FakeICloud::expire_pcs_cookies`] does): CloudKit calls of
    /// an Advanced Data Protection account then answer 423 until the client asks for new ones.
    /// Used up once it fired.
    ExpirePcsAfter {
        /// CloudKit requests answered normally before the PCS cookies expire.
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
    /// `Content-Length` promises the whole (range of the) file. A body of at most `after_bytes`
    /// is sent whole; any download request uses the fault up, even one answered with an error.
    /// [`Fault::ResetDownloads`] cuts bodies of any size.
    TruncateDownload {
        /// Body bytes sent before the connection is closed.
        after_bytes: u64,
        /// Number of downloads to break, `None` = forever.
        times: Option<usize>,
    },
    /// Makes downloads send `after_bytes` body bytes, then fall silent for `pause` (the
    /// connection stays open), then send the rest: a stalled transfer.
    StallDownload {
        /// Body bytes sent before the silence.
        after_bytes: u64,
        /// How long the body stays silent.
        pause: Duration,
        /// Number of downloads to stall, `None` = forever.
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
    /// Makes `per_mille` ‰ of downloads (chosen at random, deterministically per `seed`) send a
    /// random prefix of their body, at least 1 byte and less than all of it, and then abort the
    /// connection although `Content-Length` promises the whole (range of the) file, as a
    /// connection reset mid-transfer does. A body of a single byte is aborted before it.
    ResetDownloads {
        /// Downloads hit per thousand (1000 = all).
        per_mille: u32,
        /// Seed of the random choices.
        seed: u64,
    },
    /// Answers `status` (with the body of [`Fault::Status`]) to `per_mille` ‰ of the CloudKit
    /// and CDN requests whose path ends with `path_suffix`, chosen at random, deterministically
    /// per `seed`. Sign-in and setup requests are never hit.
    RandomStatus {
        /// Path suffix to match (`""` = every CloudKit and CDN path).
        path_suffix: String,
        /// HTTP status to answer.
        status: u16,
        /// Requests hit per thousand (1000 = all).
        per_mille: u32,
        /// Seed of the random choices.
        seed: u64,
    },
    /// Makes the CDN ignore the `Range` of a resumed download (one asking for bytes from a
    /// non-zero offset) and answer `200` with the whole file, as a server without range
    /// support does. Only such requests use the fault up, even one the CDN answers with an
    /// error; a download answered by another fault does not. Checked before `WrongRange`
    /// faults in the order they were added.
    IgnoreRange {
        /// Number of resumed downloads to answer whole, `None` = forever.
        times: Option<usize>,
    },
    /// Makes the CDN answer the `Range` of a resumed download (one asking for bytes from a
    /// non-zero offset) with `206` and as many bytes as asked but from byte 0
    /// (`Content-Range: bytes 0-<len - 1>/<size>`): a range the client did not ask for. Counted
    /// like [`Fault::IgnoreRange`].
    WrongRange {
        /// Number of resumed downloads to answer from byte 0, `None` = forever.
        times: Option<usize>,
    },
    /// Caps the download body bytes of all connections together at `bytes_per_second` (a token
    /// bucket with a burst of a twentieth of a second; waiting is asynchronous). A later
    /// bandwidth fault replaces an earlier one for new downloads.
    Bandwidth {
        /// Bytes per second, shared by every download (0 is taken as 1).
        bytes_per_second: u64,
    },
    /// Makes `records/query` ignore the `startRank` filter of a listing and answer from rank 0,
    /// as a server or caching proxy that drops it does: every page request gets the first
    /// page. Only requests with a `startRank` filter use the fault up; a request answered by
    /// another fault does not.
    IgnoreStartRank {
        /// Number of listing requests to answer with the first page, `None` = forever.
        times: Option<usize>,
    },
    /// Answers `200` with a body of `bytes` bytes (`{"records":[` and then noise), generated
    /// while it is sent, as a misbehaving server or proxy streaming an endless answer does.
    OversizedBody {
        /// Path suffix to match (`""` = all paths).
        path_suffix: String,
        /// Body size.
        bytes: u64,
        /// Whether `Content-Length` announces the size; otherwise the body is chunked.
        announced: bool,
        /// Number of requests to answer so, `None` = forever.
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

    /// Returns a fault that expires every web session after each `n_requests` CloudKit
    /// requests, forever.
    pub fn expire_session_every(n_requests: usize) -> Self {
        Fault::ExpireSessionEvery {
            requests: n_requests.max(1),
        }
    }

    /// Returns a fault that expires every PCS cookie after `n_requests` CloudKit requests.
    pub fn expire_pcs_after(n_requests: usize) -> Self {
        Fault::ExpirePcsAfter {
            requests: n_requests,
        }
    }

    /// Returns a fault that stalls `times` downloads (`None` = forever) for `pause` after
    /// `after_bytes` body bytes.
    pub fn stall_download(after_bytes: u64, pause: Duration, times: Option<usize>) -> Self {
        Fault::StallDownload {
            after_bytes,
            pause,
            times,
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

    /// Returns a fault that resets `per_mille` ‰ of downloads after a random part of their
    /// body, forever; the choices are deterministic given `seed`.
    pub fn reset_downloads(per_mille: u32, seed: u64) -> Self {
        Fault::ResetDownloads { per_mille, seed }
    }

    /// Returns a fault answering `status` to `per_mille` ‰ of the CloudKit and CDN requests
    /// whose path ends with `path_suffix` (`""` = all of them), forever; the choices are
    /// deterministic given `seed`.
    pub fn random_status(path_suffix: &str, status: u16, per_mille: u32, seed: u64) -> Self {
        Fault::RandomStatus {
            path_suffix: path_suffix.to_owned(),
            status,
            per_mille,
            seed,
        }
    }

    /// Returns a fault capping the download bytes of all connections together at
    /// `bytes_per_second`, forever.
    pub fn bandwidth(bytes_per_second: u64) -> Self {
        Fault::Bandwidth { bytes_per_second }
    }

    /// Returns a fault answering resumed downloads (a `Range` from a non-zero offset) with
    /// `200` and the whole file, `times` times (`None` = forever).
    pub fn ignore_range(times: Option<usize>) -> Self {
        Fault::IgnoreRange { times }
    }

    /// Returns a fault answering resumed downloads (a `Range` from a non-zero offset) with a
    /// `206` from byte 0 instead of the range asked for, `times` times (`None` = forever).
    pub fn wrong_range(times: Option<usize>) -> Self {
        Fault::WrongRange { times }
    }

    /// Returns a fault making `records/query` answer the first page to every listing request,
    /// `times` times (`None` = forever).
    pub fn ignore_start_rank(times: Option<usize>) -> Self {
        Fault::IgnoreStartRank { times }
    }

    /// Returns a fault answering requests whose path ends with `path_suffix` with a `200` body
    /// of `bytes` bytes, forever; `announced` says whether `Content-Length` gives the size.
    pub fn oversized_body(path_suffix: &str, bytes: u64, announced: bool) -> Self {
        Fault::OversizedBody {
            path_suffix: path_suffix.to_owned(),
            bytes,
            announced,
            times: None,
        }
    }

    fn times_mut(&mut self) -> Option<&mut Option<usize>> {
        match self {
            Fault::ServiceUnavailable { times, .. }
            | Fault::Status { times, .. }
            | Fault::Throttle { times, .. }
            | Fault::Latency { times, .. }
            | Fault::TruncateDownload { times, .. }
            | Fault::DownloadError { times, .. }
            | Fault::StallDownload { times, .. }
            | Fault::IgnoreRange { times }
            | Fault::WrongRange { times }
            | Fault::IgnoreStartRank { times }
            | Fault::OversizedBody { times, .. } => Some(times),
            Fault::ExpireSessionAfter { .. }
            | Fault::ExpireSessionEvery { .. }
            | Fault::ExpirePcsAfter { .. }
            | Fault::ResetDownloads { .. }
            | Fault::RandomStatus { .. }
            | Fault::Bandwidth { .. } => None,
        }
    }

    /// Returns whether this fault answers a request for `path` in place of the server, before
    /// any random choice.
    fn answers(&self, path: &str, cloudkit: bool, download: bool) -> bool {
        match self {
            Fault::ServiceUnavailable { path_suffix, .. }
            | Fault::Status { path_suffix, .. }
            | Fault::Throttle { path_suffix, .. }
            | Fault::OversizedBody { path_suffix, .. } => path.ends_with(path_suffix.as_str()),
            Fault::RandomStatus { path_suffix, .. } => {
                (cloudkit || download) && path.ends_with(path_suffix.as_str())
            }
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
            Fault::Status { status: 400, .. } | Fault::RandomStatus { status: 400, .. } => {
                Reply::body(400, "text/html;charset=UTF-8", "Bad Request")
            }
            Fault::Status { status, .. } | Fault::RandomStatus { status, .. } => {
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
            Fault::OversizedBody {
                bytes, announced, ..
            } => {
                let mut reply = Reply::empty(200).header("Content-Type", CT_CLOUDKIT);
                if *announced {
                    reply = reply.header("Content-Length", bytes.to_string());
                }
                reply.generated = Some(Box::new(Generated {
                    seed: 0x0b5e_55ed,
                    magic: b"{\"records\":[",
                    start: 0,
                    end: *bytes,
                    truncate_after: None,
                    stall: None,
                }));
                reply
            }
            _ => Reply::empty(500),
        }
    }
}

/// Returns the body of a `records/query` listing request with its `startRank` filter set to
/// 0 ([`Fault::IgnoreStartRank`]), or `None` if it has no such filter.
pub(crate) fn from_first_page(body: &[u8]) -> Option<Vec<u8>> {
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let filters = value
        .get_mut("query")?
        .get_mut("filterBy")?
        .as_array_mut()?;
    let rank = filters
        .iter_mut()
        .find(|f| f.get("fieldName").and_then(|n| n.as_str()) == Some("startRank"))?;
    rank["fieldValue"]["value"] = json!(0);
    serde_json::to_vec(&value).ok()
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

#[cfg(test)]
mod tests;
