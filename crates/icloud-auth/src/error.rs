//! Error type of the crate: one enum, classified by [`Error::retry_class`] and [`Error::needs_reauth`].

use std::path::PathBuf;
use std::time::Duration;

use crate::retry::{RetryClass, Retryable};

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while signing in or using a session.
///
/// Display texts are lowercase and never contain passwords, tokens, cookies or URLs with
/// credentials. Callers that show messages to people (the CLIs) word them from the variant.
///
/// Three questions decide what a caller does with an error, and each has a method so that
/// nobody has to list variants: may the operation be retried, and after how long
/// ([`Error::retry_class`], which a [`crate::RetryPolicy`] turns into a wait)? Is the session
/// gone, so that whoever holds the credentials must sign in again
/// ([`Error::needs_reauth`])? Or is it something for the person to fix (a wrong password,
/// a locked account, an action on icloud.com), which the variant names? The enum is
/// `#[non_exhaustive]`: new failure modes Apple invents become new variants in minor
/// releases, so match with a fallback arm.
///
/// ```
/// use std::time::Duration;
/// use icloud_auth::{Error, RetryClass};
///
/// fn advice(e: &Error) -> String {
///     if e.needs_reauth() {
///         return "sign in again".to_owned();
///     }
///     match e.retry_class() {
///         RetryClass::Throttled { retry_after: Some(wait) } => format!("retry in {wait:?}"),
///         RetryClass::Throttled { .. } | RetryClass::Transient => "retry later".to_owned(),
///         _ => format!("give up: {e}"),
///     }
/// }
///
/// assert_eq!(advice(&Error::SessionExpired), "sign in again");
/// let throttled = Error::Throttled { retry_after: Some(Duration::from_secs(30)) };
/// assert_eq!(advice(&throttled), "retry in 30s");
/// assert_eq!(advice(&Error::InvalidCredentials), "give up: invalid email/password combination");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Apple rejected the Apple ID or password (`signin/complete` answered 401).
    #[error("invalid email/password combination")]
    InvalidCredentials,
    /// Apple refused to start the SRP exchange (`signin/init` answered 401).
    #[error("failed to initiate srp authentication")]
    SrpInitRejected,
    /// The account is locked for security reasons (`-20209`).
    #[error("apple account is locked for security reasons")]
    AccountLocked,
    /// Apple refused the password step with a status other than 401/403 (400, 429, ...).
    #[error("sign-in refused by apple (status {status})")]
    SignInRefused {
        /// HTTP status of `signin/complete` or `repair/complete`.
        status: u16,
    },
    /// Apple wants the account holder to do something on icloud.com first (accept new terms,
    /// repair the account): `accountLogin` set `X-APPLE-WEBAUTH-REPAIR` instead of a web
    /// session. Signing in again does not help until it is done.
    #[error(
        "apple requires an action on this account at icloud.com (new terms or an account repair)"
    )]
    AccountActionRequired,
    /// Apple refused the escrow password proof it asked for after the password or the code
    /// (`escrow/init` or `escrow/complete` failed).
    #[error("apple refused the escrow password proof (status {status})")]
    EscrowFailed {
        /// HTTP status of the refusing answer.
        status: u16,
    },
    /// Apple asked for the escrow password proof, but the sign-in has no password (it resumed
    /// a stored session); sign in with a password.
    #[error("apple asks for a password proof, but no password was given")]
    PasswordRequired,
    /// Advanced Data Protection is on and "Access iCloud Data on the Web" is off: Apple serves
    /// none of the account's data to a web client until the account holder turns it on.
    #[error("advanced data protection is on and access to icloud data on the web is off")]
    AdpWebAccessDisabled,
    /// An iCloud web service refused the request for lack of PCS cookies (HTTP 423): the
    /// Advanced Data Protection keys for the app are missing or expired. Ask for them again
    /// ([`crate::Session::ensure_pcs`]); [`Error::needs_reauth`] is `true`.
    #[error("the advanced data protection cookies are missing or expired")]
    PcsRequired,
    /// The Advanced Data Protection consent flow did not give the app's PCS cookies: Apple
    /// refused, or the person did not approve on a device in time.
    #[error("no access to advanced data protection data: {reason}")]
    PcsUnavailable {
        /// What went wrong, e.g. Apple's message.
        reason: String,
    },
    /// The session token was not accepted by `accountLogin`.
    #[error("invalid authentication token")]
    InvalidAuthToken,
    /// A two-factor or two-step verification code was not accepted.
    #[error("verification code rejected")]
    TwoFactorRejected,
    /// Sending a verification code (SMS, 2SA device) failed.
    #[error("failed to send the verification code")]
    CodeDeliveryFailed,
    /// Trusting the session after a valid code failed.
    #[error("session trust failed")]
    TrustFailed,
    /// The account needs a second factor that this crate cannot provide (FIDO security keys).
    #[error("this apple id uses hardware security keys, which are not supported ({key_names})")]
    UnsupportedAuthMethod {
        /// Names of the registered keys, comma-separated, as Apple sent them.
        key_names: String,
    },
    /// The account must be served from another region (`domainToUse`).
    #[error("apple insists on using {domain} for this account")]
    WrongRegion {
        /// The domain Apple named, e.g. `iCloud.com.cn`.
        domain: String,
    },
    /// The stored web session is no longer valid (421, 450, `Invalid global session`).
    #[error("authentication required for account")]
    SessionExpired,
    /// A web service failed with HTTP 500. icloudpd treats this like an expired session;
    /// CloudKit documents it as a transient `INTERNAL_ERROR`, so it is retried as transient
    /// and does not ask for a new sign-in by itself.
    #[error("icloud web service failed (status {status})")]
    ServerError {
        /// The HTTP status (500).
        status: u16,
    },
    /// Apple is refusing service (HTTP 503 or 429).
    #[error("apple icloud is temporarily refusing to serve requests")]
    Throttled {
        /// How long Apple asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// Apple refuses web access to the account's data (`ACCESS_DENIED`): Advanced Data
    /// Protection is on, or "Access iCloud Data on the Web" is switched off.
    #[error("web access to icloud data is disabled for this account: {reason}")]
    WebAccessDisabled {
        /// Apple's reason text.
        reason: String,
    },
    /// The account's iCloud setup is not complete (`ZONE_NOT_FOUND`, `AUTHENTICATION_FAILED`).
    #[error("apple icloud setup is not complete ({code})")]
    ServiceNotActivated {
        /// Apple's error code.
        code: String,
    },
    /// Apple answered `Bad Request (400)` without JSON. On a new account this means the photo
    /// library is still being prepared; it passes within 5 to 30 minutes.
    #[error("bad request (400): the icloud library may not be ready yet")]
    NotReady,
    /// Any other error reported by an iCloud web service.
    #[error("{reason} ({code})")]
    Api {
        /// Apple's error code (or the HTTP status).
        code: String,
        /// Apple's reason text.
        reason: String,
    },
    /// A web service that the account needs is missing from the account data.
    #[error("webservice not available ({name})")]
    WebserviceUnavailable {
        /// Key in the webservices map, e.g. `ckdatabasews`.
        name: String,
    },
    /// Apple answered with something this crate does not understand.
    #[error("unexpected response from {endpoint}: {detail}")]
    UnexpectedResponse {
        /// Which request, e.g. `signin/init` (never a full URL).
        endpoint: &'static str,
        /// What was wrong, without secrets.
        detail: String,
    },
    /// An answer's body was larger than [`crate::MAX_RESPONSE_BYTES`]. No answer of Apple's
    /// is that large: a misbehaving server or proxy sent it, and it was not read further.
    #[error("answer from {endpoint} larger than {limit} bytes, not read")]
    ResponseTooLarge {
        /// Which request, e.g. `webservice` (never a full URL).
        endpoint: &'static str,
        /// The cap, in bytes.
        limit: u64,
    },
    /// The request did not reach Apple or the answer did not arrive.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// Reading or writing the stored session (or a lock file) failed.
    #[error("session store {path}: {source}")]
    Store {
        /// The file involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the lock on a file ([`crate::FileLock`]): another run is using
    /// the same session files ([`crate::FileSessionStore::try_lock`]) or directory.
    #[error(
        "{} is locked by another process (pid {})",
        .path.display(),
        .pid.map_or_else(|| "unknown".to_owned(), |pid| pid.to_string())
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The holder's process id, as it wrote it in the file (`None` if not yet written or
        /// unreadable).
        pid: Option<u32>,
    },
    /// The caller supplied something unusable (e.g. an invalid base URL).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A keyring backend failed.
    #[cfg(feature = "keyring")]
    #[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
    #[error("keyring: {0}")]
    Keyring(String),
}

impl Error {
    /// Returns how a caller may retry the operation that failed with this error.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Error::Throttled { retry_after } => RetryClass::Throttled {
                retry_after: *retry_after,
            },
            Error::Transport(e) if e.is_timeout() || e.is_connect() => RetryClass::Transient,
            Error::ServerError { .. } => RetryClass::Transient,
            Error::SessionExpired | Error::PcsRequired => RetryClass::Reauthenticate,
            _ => RetryClass::Permanent,
        }
    }

    /// Returns `true` when the session is gone and the holder of the credentials must sign in
    /// again. Re-authentication is never done silently by this crate. For
    /// [`Error::PcsRequired`] the web session still holds: [`crate::AuthClient::resume`] then
    /// [`crate::Session::ensure_pcs`] is enough, no password needed.
    pub fn needs_reauth(&self) -> bool {
        matches!(
            self,
            Error::SessionExpired | Error::InvalidAuthToken | Error::PcsRequired
        )
    }
}

impl Retryable for Error {
    fn retry_class(&self) -> RetryClass {
        Error::retry_class(self)
    }
}

/// An HTTP transport failure: the request did not reach Apple, or the answer did not arrive.
///
/// Opaque on purpose: the HTTP client this crate uses is an implementation detail, so its
/// error type is not part of the API (upgrading it is not a breaking change of this crate).
/// What an embedder needs is here: [`TransportError::is_timeout`] and
/// [`TransportError::is_connect`] for retry decisions (both mean
/// [`RetryClass::Transient`]), and the [`std::error::Error::source`] chain, which says why
/// (DNS, refused connection, TLS certificate, timeout) in the words a person needs to fix it.
/// URLs are stripped from it, since download URLs are capabilities.
///
/// ```
/// use icloud_auth::{RetryClass, TransportError};
///
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let err = TransportError::new(refused);
/// assert!(err.is_connect() && !err.is_timeout());
/// assert_eq!(icloud_auth::Error::from(err).retry_class(), RetryClass::Transient);
/// ```
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to apple icloud service")]
pub struct TransportError {
    #[source]
    inner: Box<dyn std::error::Error + Send + Sync>,
    timeout: bool,
    connect: bool,
}

impl TransportError {
    /// Returns a transport error caused by `source`, the failure of an HTTP client or socket.
    ///
    /// For crates that make their own requests on behalf of a [`crate::Session`] (the photos
    /// downloads, for example) and report failures as this crate does. The cause is kept as
    /// the [`std::error::Error::source`]. A timeout or a failed connection is recognised in
    /// errors of the HTTP client this crate uses (their URL is dropped) and in
    /// [`std::io::Error`]s anywhere in the cause's chain (`TimedOut`; `ConnectionRefused`,
    /// `ConnectionReset`, `ConnectionAborted`, `NotConnected`, `AddrNotAvailable`).
    pub fn new<E>(source: E) -> TransportError
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(source);
        match boxed.downcast::<reqwest::Error>() {
            Ok(e) => TransportError::from_http(*e),
            Err(other) => {
                let (timeout, connect) = io_kinds(other.as_ref());
                TransportError {
                    inner: other,
                    timeout,
                    connect,
                }
            }
        }
    }

    /// Wraps an error of the HTTP client, without its URL.
    pub(crate) fn from_http(e: reqwest::Error) -> TransportError {
        let (timeout, connect) = (e.is_timeout(), e.is_connect());
        TransportError {
            inner: Box::new(e.without_url()),
            timeout,
            connect,
        }
    }

    /// Returns `true` if the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.timeout
    }

    /// Returns `true` if no connection could be made.
    pub fn is_connect(&self) -> bool {
        self.connect
    }
}

/// Returns (timed out, connection failed) from the I/O errors in `e`'s chain.
fn io_kinds(e: &(dyn std::error::Error + 'static)) -> (bool, bool) {
    use std::io::ErrorKind as K;
    let mut next = Some(e);
    let (mut timeout, mut connect) = (false, false);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            timeout |= io.kind() == K::TimedOut;
            connect |= matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::NotConnected
                    | K::AddrNotAvailable
            );
        }
        next = err.source();
    }
    (timeout, connect)
}

/// Returns the crate's error for a failure of the HTTP client: [`Error::Transport`].
pub(crate) fn transport(e: reqwest::Error) -> Error {
    Error::Transport(TransportError::from_http(e))
}
