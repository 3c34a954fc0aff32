//! Error type of the crate: one enum, classified by [`Error::needs_reauth`] and [`Retryable`].

use std::fmt;
use std::time::Duration;

use icloud_auth::{RetryClass, Retryable, TransportError};

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// CloudKit error codes (top level or per record) that mean "slow down and try again".
pub(crate) const THROTTLE_CODES: [&str; 4] =
    ["RETRY_LATER", "TRY_AGAIN_LATER", "THROTTLED", "CAS_OP_LOCK"];

/// Everything that can go wrong while talking to iCloud Photos.
///
/// Display texts are lowercase and never contain cookies, tokens or the signed query strings
/// of download URLs. Callers that show messages to people word them from the variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session failed: it expired mid-run ([`Error::needs_reauth`] is then `true`), or the
    /// account is not set up for the service. Also wraps errors of `icloud_auth` that have no
    /// more specific variant here.
    #[error(transparent)]
    Auth(icloud_auth::Error),
    /// Apple refuses web access to the photos (`ACCESS_DENIED`): Advanced Data Protection is on,
    /// or "Access iCloud Data on the Web" is switched off.
    #[error("web access to icloud data is disabled for this account: {reason}")]
    WebAccessDisabled {
        /// Apple's reason text.
        reason: String,
    },
    /// The photo library has not finished indexing (`CheckIndexingState` is not `FINISHED`).
    #[error("icloud photo library has not finished indexing yet (state {state})")]
    LibraryNotReady {
        /// The state Apple reported, e.g. `RUNNING`.
        state: String,
    },
    /// A library, album, zone or download that does not exist (or no longer exists).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `library SharedSync-…`.
        what: String,
    },
    /// Apple kept refusing service (HTTP 503/429 or a `RETRY_LATER`-like CloudKit code) after
    /// the retry policy was used up.
    #[error("apple icloud is temporarily refusing to serve requests")]
    Throttled {
        /// How long Apple last asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// One record could not be decoded. In listings this is one item of the stream; the
    /// listing goes on.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// A listing returned fewer distinct assets than the library's count said it holds.
    #[error("listing incomplete: expected {expected} assets, listed {listed}")]
    Incomplete {
        /// The count Apple reported before the listing started.
        expected: u64,
        /// Distinct assets the listing produced (decode failures included).
        listed: u64,
    },
    /// A listing stopped making progress: page after page answered only assets it had already
    /// listed, as a server or proxy that ignores `startRank` does by answering the first page
    /// to every request. The listing ends after a bounded number of such pages (see
    /// [`crate::PhotosClientBuilder::empty_page_probes`]) instead of asking forever; the
    /// assets it yielded before are each yielded once. Not retried: the server needs fixing.
    #[error(
        "listing stalled: {requests} page requests listed {listed} of {expected} assets, the last pages only repeating assets already listed"
    )]
    ListingStalled {
        /// Page requests whose answers the listing used.
        requests: u64,
        /// Distinct assets the listing produced (decode failures included).
        listed: u64,
        /// The count Apple reported before the listing started.
        expected: u64,
    },
    /// CloudKit refused one record of a request (e.g. `CONFLICT` on a stale change tag).
    #[error("cloudkit refused record {record}: {reason} ({code})")]
    Rejected {
        /// The record's name.
        record: String,
        /// CloudKit's `serverErrorCode`.
        code: String,
        /// CloudKit's reason text.
        reason: String,
    },
    /// A change feed's sync token was not accepted (garbage, truncated or too old); start
    /// again without a token.
    #[error("sync token rejected: {reason}")]
    InvalidSyncToken {
        /// CloudKit's reason text.
        reason: String,
    },
    /// CloudKit refused the request with an error code of its own (e.g. `BAD_REQUEST`).
    #[error("{reason} ({code})")]
    Api {
        /// CloudKit's `serverErrorCode` (or the HTTP status).
        code: String,
        /// CloudKit's reason text.
        reason: String,
    },
    /// Apple answered something this crate does not understand.
    #[error("unexpected response from {endpoint}: {detail}")]
    UnexpectedResponse {
        /// Which request, e.g. `records/query` (never a full URL).
        endpoint: &'static str,
        /// What was wrong, without secrets.
        detail: String,
    },
    /// A download answered an error status.
    #[error("download failed with status {status}")]
    Download {
        /// The HTTP status.
        status: u16,
    },
    /// The request did not reach Apple or the answer did not arrive completely.
    #[error(transparent)]
    Transport(TransportError),
    /// The caller supplied something unusable (e.g. a webservice URL that is not a URL).
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// Returns `true` when the session is gone and whoever holds the credentials must sign in
    /// again (CloudKit answered 401/421/450 or `AUTHENTICATION_FAILED`). Never retried here.
    pub fn needs_reauth(&self) -> bool {
        matches!(self, Error::Auth(e) if e.needs_reauth())
    }

    /// Returns the decode details if this is a [`Error::Decode`].
    pub fn as_decode(&self) -> Option<&DecodeError> {
        match self {
            Error::Decode(d) => Some(d),
            _ => None,
        }
    }

    pub(crate) fn decode(d: DecodeError) -> Error {
        Error::Decode(Box::new(d))
    }

    pub(crate) fn unexpected(endpoint: &'static str, detail: impl Into<String>) -> Error {
        Error::UnexpectedResponse {
            endpoint,
            detail: detail.into(),
        }
    }

    /// Maps a CloudKit `serverErrorCode` (top-level or per zone) to an error.
    pub(crate) fn from_server_code(
        endpoint: &'static str,
        code: &str,
        reason: &str,
        retry_after: Option<Duration>,
    ) -> Error {
        match code {
            c if THROTTLE_CODES.contains(&c) => Error::Throttled { retry_after },
            "ACCESS_DENIED" => Error::WebAccessDisabled {
                reason: reason.to_owned(),
            },
            "ZONE_NOT_FOUND" => Error::NotFound {
                what: format!("zone ({reason})"),
            },
            "AUTHENTICATION_FAILED" | "AUTHENTICATION_REQUIRED" => {
                Error::Auth(icloud_auth::Error::SessionExpired)
            }
            _ => {
                tracing::debug!(endpoint, code, reason, "cloudkit error");
                Error::Api {
                    code: code.to_owned(),
                    reason: reason.to_owned(),
                }
            }
        }
    }
}

impl From<icloud_auth::Error> for Error {
    fn from(e: icloud_auth::Error) -> Self {
        use icloud_auth::Error as A;
        match e {
            A::WebAccessDisabled { reason } => Error::WebAccessDisabled { reason },
            A::Throttled { retry_after } => Error::Throttled { retry_after },
            A::Transport(t) => Error::Transport(t),
            A::ServiceNotActivated { code } if code == "AUTHENTICATION_FAILED" => {
                Error::Auth(A::SessionExpired)
            }
            A::Api { code, reason } if THROTTLE_CODES.contains(&code.as_str()) => {
                tracing::debug!(%code, %reason, "cloudkit asked to retry later");
                Error::Throttled { retry_after: None }
            }
            A::Api { code, reason } if code == "ZONE_NOT_FOUND" => Error::NotFound {
                what: format!("zone ({reason})"),
            },
            A::Api { code, reason } => Error::Api { code, reason },
            A::UnexpectedResponse { endpoint, detail } => {
                Error::UnexpectedResponse { endpoint, detail }
            }
            other => Error::Auth(other),
        }
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Transport(e)
    }
}

impl Error {
    /// Returns the error for a failure of the download client: [`Error::Transport`]. Not a
    /// `From` impl, so that the HTTP client's types stay out of the public API.
    pub(crate) fn transport(e: reqwest::Error) -> Error {
        Error::Transport(TransportError::new(e))
    }
}

impl Retryable for Error {
    /// Throttling is retried after `Retry-After`; transport failures and 5xx downloads are
    /// transient; an expired session needs re-authentication; everything else is permanent.
    fn retry_class(&self) -> RetryClass {
        match self {
            Error::Auth(e) => e.retry_class(),
            Error::Throttled { retry_after } => RetryClass::Throttled {
                retry_after: *retry_after,
            },
            Error::Transport(_) => RetryClass::Transient,
            Error::Download { status } if *status >= 500 => RetryClass::Transient,
            _ => RetryClass::Permanent,
        }
    }
}

/// A record that could not be turned into an [`crate::Asset`] (or album).
///
/// Carries the record name, the field at fault and what was wrong, plus the raw records as
/// JSON text (`{"master_record": …, "asset_record": …}`) for error reports. The raw records
/// contain signed download URLs: write them to a private file, never to a log.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub(crate) record_name: String,
    pub(crate) record_type: &'static str,
    pub(crate) field: String,
    pub(crate) detail: String,
    pub(crate) asset: Option<Box<str>>,
    pub(crate) raw: Option<Box<str>>,
}

impl DecodeError {
    pub(crate) fn new(
        record_type: &'static str,
        record_name: &str,
        field: &str,
        detail: impl Into<String>,
    ) -> DecodeError {
        DecodeError {
            record_name: record_name.to_owned(),
            record_type,
            field: field.to_owned(),
            detail: detail.into(),
            asset: None,
            raw: None,
        }
    }

    pub(crate) fn with_raw(mut self, raw: String) -> DecodeError {
        self.raw = Some(raw.into());
        self
    }

    pub(crate) fn for_asset(mut self, asset: &str) -> DecodeError {
        self.asset = Some(asset.into());
        self
    }

    /// Returns the id of the asset that could not be decoded (the CPLAsset record name), when
    /// known.
    pub fn asset_id(&self) -> Option<crate::AssetId> {
        self.asset.as_deref().map(crate::AssetId::new)
    }

    /// Returns the name of the record at fault (the CPLAsset's, or the CPLMaster's when the
    /// master is at fault).
    pub fn record_name(&self) -> &str {
        &self.record_name
    }

    /// Returns the record type at fault, e.g. `CPLMaster`.
    pub fn record_type(&self) -> &str {
        self.record_type
    }

    /// Returns the field at fault, e.g. `filenameEnc`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Returns what was wrong with the field.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Returns the raw records as JSON text `{"master_record": …, "asset_record": …}`, when
    /// known. Contains signed download URLs.
    pub fn raw_records(&self) -> Option<&str> {
        self.raw.as_deref()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decode {} {}: {}: {}",
            self.record_type, self.record_name, self.field, self.detail
        )
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("record_name", &self.record_name)
            .field("record_type", &self.record_type)
            .field("field", &self.field)
            .field("detail", &self.detail)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for DecodeError {}

/// Returns `url` without its query string and fragment (signed parameters are capabilities).
pub(crate) fn redact_url(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_errors_are_classified() {
        let e = Error::from(icloud_auth::Error::SessionExpired);
        assert!(e.needs_reauth());
        assert_eq!(e.retry_class(), RetryClass::Reauthenticate);
        let e = Error::from(icloud_auth::Error::ServiceNotActivated {
            code: "AUTHENTICATION_FAILED".into(),
        });
        assert!(e.needs_reauth());
        let e = Error::from(icloud_auth::Error::WebAccessDisabled {
            reason: "private db access disabled for this account".into(),
        });
        assert!(matches!(e, Error::WebAccessDisabled { .. }));
        assert!(!e.needs_reauth());
        let e = Error::from(icloud_auth::Error::Api {
            code: "RETRY_LATER".into(),
            reason: "x".into(),
        });
        assert!(matches!(e.retry_class(), RetryClass::Throttled { .. }));
        let e = Error::from(icloud_auth::Error::Api {
            code: "ZONE_NOT_FOUND".into(),
            reason: "Zone 'X' does not exist".into(),
        });
        assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    }

    #[test]
    fn server_codes_map_to_variants() {
        let t = Error::from_server_code("q", "THROTTLED", "slow down", None);
        assert!(matches!(t, Error::Throttled { .. }));
        let e = Error::from_server_code("q", "BAD_REQUEST", "Unknown field", None);
        assert_eq!(e.to_string(), "Unknown field (BAD_REQUEST)");
        assert_eq!(e.retry_class(), RetryClass::Permanent);
    }

    #[test]
    fn urls_lose_their_signed_query() {
        assert_eq!(
            redact_url("https://cvws.icloud-content.com/B/AbC/${f}?o=secret&e=1#x"),
            "https://cvws.icloud-content.com/B/AbC/${f}"
        );
        assert_eq!(redact_url("http://h/p"), "http://h/p");
    }

    #[test]
    fn decode_errors_display_without_raw_records() {
        let d = DecodeError::new("CPLMaster", "AY6c", "filenameEnc", "invalid base64")
            .with_raw(r#"{"master_record":{"downloadURL":"https://x/?k=secret"}}"#.into());
        let e = Error::decode(d);
        let text = e.to_string();
        assert_eq!(
            text,
            "cannot decode CPLMaster AY6c: filenameEnc: invalid base64"
        );
        assert!(!format!("{e:?}").contains("secret"));
        assert!(e.as_decode().unwrap().raw_records().unwrap().contains("k="));
    }
}
