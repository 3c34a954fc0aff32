//! [`Session`]: a signed-in, trusted web session with the account's data and web services.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::account::{AccountData, AccountInfo, Webservice};
use crate::conn::{Conn, Kind};
use crate::cookies::Cookie;
use crate::endpoints::Endpoints;
use crate::error::{Error, Result};

/// The cookies that carry an Advanced Data Protection account's photos keys: `requestPCS` sets
/// them ([`Session::ensure_pcs`]), and a web service's 423 answer invalidates them.
pub(crate) const PCS_COOKIES: [&str; 2] =
    ["X-APPLE-WEBAUTH-PCS-Photos", "X-APPLE-WEBAUTH-PCS-Sharing"];

/// A signed-in, trusted iCloud web session. Cheap to clone; `Send + Sync`.
///
/// A session is what a sign-in ends with ([`crate::SignIn::Complete`], or the answer to a
/// second factor), and the only way to reach an account's data: it holds the account's
/// cookies (the `X-APPLE-WEBAUTH-*` web token among them), Apple's account data
/// ([`Session::account`]) and the map of the account's web services ([`Session::webservices`]),
/// whose URLs differ from account to account (`ckdatabasews` is iCloud Photos' CloudKit
/// database, for example). Crates for one service, such as `icloud-photos`, take a session
/// and make their calls through [`Session::post_json`] and its siblings, which send the
/// cookies and classify Apple's errors.
///
/// Its cookies and tokens are persisted to the [`crate::SessionStore`] it was created with
/// after every response, so the next run can [`crate::AuthClient::resume`] it. A session
/// does not renew itself: when Apple ends it, calls fail with [`Error::SessionExpired`]
/// ([`Error::needs_reauth`]), and whoever holds the credentials signs in again.
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// # use icloud_fake::{FakeAccount, FakeICloud};
/// # let fake = FakeICloud::builder()
/// #     .account(FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor())
/// #     .start()?;
/// # let client = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
/// #     .build()?;
/// # let password = SecretString::from("password1".to_owned());
/// # let store = Arc::new(MemorySessionStore::default());
/// # let SignIn::Complete(session) = client.sign_in("jdoe@gmail.com", &password, store).await?
/// # else { unreachable!() };
/// use serde_json::json;
///
/// // `session` came from a sign-in (here against the fake).
/// let account = session.account();
/// tracing::info!("{} (dsid {})", account.apple_id(), account.dsid());
/// session.validate().await?; // Apple still accepts it
///
/// // An authenticated call to a web service: CloudKit's list of photo zones.
/// let ck = session.webservice("ckdatabasews")?.url();
/// let url = format!("{ck}/database/1/com.apple.photos.cloud/production/private/zones/list");
/// let zones = session.post_json(&url, &json!({})).await?;
/// assert!(zones["zones"].is_array());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    conn: Arc<Conn>,
    account: AccountInfo,
    webservices: BTreeMap<String, Webservice>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("account", &self.inner.account)
            .field("webservices", &self.inner.webservices.keys())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(conn: Arc<Conn>, data: AccountData) -> Session {
        Session {
            inner: Arc::new(SessionInner {
                account: data.info(),
                webservices: data.webservices(),
                conn,
            }),
        }
    }

    /// Returns the connection: cookies, session data, HTTP client.
    pub(crate) fn conn(&self) -> &Conn {
        &self.inner.conn
    }

    /// Returns the Apple ID this session was opened for, as the caller gave it.
    pub fn apple_id(&self) -> &str {
        &self.inner.conn.apple_id
    }

    /// Returns what Apple says about the account.
    pub fn account(&self) -> &AccountInfo {
        &self.inner.account
    }

    /// Returns the web services map (service name → URL).
    pub fn webservices(&self) -> &BTreeMap<String, Webservice> {
        &self.inner.webservices
    }

    /// Returns one web service by its name in Apple's map, e.g. `ckdatabasews`.
    ///
    /// # Errors
    ///
    /// [`Error::WebserviceUnavailable`] when the account has no service of that name (or Apple
    /// gave it no URL): the account does not use that iCloud app, or cannot on the web.
    pub fn webservice(&self, name: &str) -> Result<&Webservice> {
        self.inner
            .webservices
            .get(name)
            .ok_or_else(|| Error::WebserviceUnavailable {
                name: name.to_owned(),
            })
    }

    /// Asks Apple whether the web session is still valid.
    ///
    /// A cheap call (`validate`) that renews nothing; use it to find out before a long run
    /// whether a sign-in is needed.
    ///
    /// # Errors
    ///
    /// [`Error::SessionExpired`] when Apple no longer accepts the session; transport errors
    /// and throttling ([`Error::Transport`], [`Error::Throttled`]) as such, since they say
    /// nothing about the session; [`Error::Store`] when the answer's cookies cannot be saved.
    pub async fn validate(&self) -> Result<()> {
        let reply = self.inner.conn.validate().await?;
        match reply.api_error() {
            Some(_) => Err(Error::SessionExpired),
            None => Ok(()),
        }
    }

    /// Sends an authenticated `POST` with a JSON body to one of the account's web services and
    /// returns the JSON answer.
    ///
    /// Cookies and tokens are sent and persisted as for every request of the session. Apple's
    /// errors are classified: [`Error::SessionExpired`] (sign in again),
    /// [`Error::Throttled`], [`Error::WebAccessDisabled`], [`Error::ServiceNotActivated`],
    /// [`Error::NotReady`], or [`Error::Api`].
    ///
    /// # Errors
    ///
    /// - [`Error::SessionExpired`] (421, 450, `Invalid global session`): sign in again;
    /// - [`Error::PcsRequired`] (423): an Advanced Data Protection account's keys are missing
    ///   or expired; [`Session::ensure_pcs`] asks for them again;
    /// - [`Error::Throttled`] (429, 503), [`Error::ServerError`] (500): retry later;
    /// - [`Error::WebAccessDisabled`], [`Error::ServiceNotActivated`], [`Error::NotReady`],
    ///   [`Error::Api`]: what Apple's answer said;
    /// - [`Error::UnexpectedResponse`] for an answer that is not JSON,
    ///   [`Error::ResponseTooLarge`] past [`crate::MAX_RESPONSE_BYTES`];
    /// - [`Error::Transport`], and [`Error::Store`] when the session cannot be saved.
    pub async fn post_json(&self, url: &str, body: &Value) -> Result<Value> {
        self.post_json_as(url, body, "text/plain").await
    }

    /// Like [`Session::post_json`], with an explicit `Content-Type` for the body. iCloud's web
    /// client labels most JSON bodies `text/plain`; a few endpoints (CloudKit's
    /// `records/modify`) are sent as `application/json`.
    ///
    /// # Errors
    ///
    /// As [`Session::post_json`].
    pub async fn post_json_as(&self, url: &str, body: &Value, content_type: &str) -> Result<Value> {
        let conn = &self.inner.conn;
        let req = conn
            .request(Kind::Plain, Method::POST, url)
            .header("Content-Type", content_type)
            .body(body.to_string());
        self.json_reply(conn.send(req, "webservice").await?)
    }

    /// Like [`Session::post_json_as`], deserializing the answer into `T` rather than a
    /// [`Value`]: for large answers of which the caller needs only some parts (serde skips the
    /// rest without building it), or wants parts kept as text
    /// ([`serde_json::value::RawValue`]). Errors are classified as by
    /// [`Session::post_json`]; an answer that does not fit `T` is
    /// [`Error::UnexpectedResponse`].
    ///
    /// # Errors
    ///
    /// As [`Session::post_json`], plus [`Error::UnexpectedResponse`] when the answer is JSON
    /// but not of the shape of `T`.
    pub async fn post_json_into<T: DeserializeOwned>(
        &self,
        url: &str,
        body: &Value,
        content_type: &str,
    ) -> Result<T> {
        let conn = &self.inner.conn;
        let req = conn
            .request(Kind::Plain, Method::POST, url)
            .header("Content-Type", content_type)
            .body(body.to_string());
        let reply = conn.send(req, "webservice").await?;
        let status = reply.status.as_u16();
        if !reply.status.is_success() {
            // Error answers are small: classify them exactly as `post_json` does.
            let value = self.json_reply(reply)?;
            return serde_json::from_value(value).map_err(|e| unexpected(status, &e));
        }
        if let Some(err) = reply.api_error_in(reply.error_fields().as_ref()) {
            return Err(self.api_failure(err));
        }
        let body: &[u8] = if reply.body.is_empty() {
            b"{}"
        } else {
            &reply.body
        };
        serde_json::from_slice(body).map_err(|e| unexpected(status, &e))
    }

    /// Sends an authenticated `POST` with a JSON body to one of the account's web services and
    /// returns the answer as it came, for services whose answers the generic classification of
    /// [`Session::post_json`] does not fit (the shared albums' partition redirect is an HTTP
    /// 330 whose JSON body or header names another host).
    ///
    /// Cookies and tokens are sent and persisted as for every request of the session; no
    /// redirect is followed.
    ///
    /// # Errors
    ///
    /// Only what keeps an answer from arriving: [`Error::Transport`], [`Error::Throttled`]
    /// (Apple's 503, with its `Retry-After`), [`Error::ResponseTooLarge`] and [`Error::Store`]
    /// (the session could not be saved). Every other status is the caller's to read.
    pub async fn post_raw(&self, url: &str, body: &Value, content_type: &str) -> Result<RawReply> {
        let conn = &self.inner.conn;
        let req = conn
            .request(Kind::Plain, Method::POST, url)
            .header("Content-Type", content_type)
            .body(body.to_string());
        let reply = conn.send(req, "webservice").await?;
        Ok(RawReply {
            status: reply.status.as_u16(),
            headers: reply.headers,
            body: reply.body,
        })
    }

    /// Sends an authenticated `GET` to one of the account's web services and returns the JSON
    /// answer; errors as [`Session::post_json`].
    ///
    /// # Errors
    ///
    /// As [`Session::post_json`].
    pub async fn get_json(&self, url: &str) -> Result<Value> {
        let conn = &self.inner.conn;
        let req = conn.request(Kind::Plain, Method::GET, url);
        self.json_reply(conn.send(req, "webservice").await?)
    }

    /// Turns an API error into the crate's error; a refusal for lack of PCS cookies drops the
    /// stored ones, so that [`Session::ensure_pcs`] asks for new ones.
    fn api_failure(&self, err: crate::conn::ApiError) -> Error {
        let err = err.into_error();
        if matches!(err, Error::PcsRequired)
            && let Err(e) = self.inner.conn.forget_cookies(&PCS_COOKIES)
        {
            // The refusal matters more: it asks for new keys, which replace these.
            tracing::warn!("cannot drop the refused PCS cookies: {e}");
        }
        err
    }

    fn json_reply(&self, reply: crate::conn::Reply) -> Result<Value> {
        if reply.status.as_u16() == 429 {
            return Err(Error::Throttled {
                retry_after: crate::conn::retry_after(&reply.headers),
            });
        }
        // Parsed once: CloudKit pages are large.
        let parsed = reply.json();
        if let Some(err) = reply.api_error_in(parsed.as_ref()) {
            return Err(self.api_failure(err));
        }
        parsed.ok_or_else(|| Error::UnexpectedResponse {
            endpoint: "webservice",
            detail: format!("status {} without a JSON body", reply.status.as_u16()),
        })
    }

    /// Returns the client id sent as `clientId` to iCloud's web services (persisted with the
    /// session, as icloudpd does).
    pub fn client_id(&self) -> String {
        self.inner.conn.get("client_id").unwrap_or_default()
    }

    /// Returns the endpoints this session talks to; [`Endpoints::home`] is the `Origin` that
    /// iCloud's web services and content servers expect.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.conn.endpoints
    }

    /// Returns how this session reaches Apple (extra roots, host overrides), for the clients
    /// of its web services.
    pub fn network(&self) -> &crate::Network {
        &self.inner.conn.network
    }

    /// Returns the `User-Agent` this session sends.
    pub fn user_agent(&self) -> &str {
        self.inner.conn.user_agent()
    }

    /// Returns when Apple stops trusting this browser, so that the next sign-in needs a second
    /// factor again: the expiry of the `X-APPLE-WEBAUTH-HSA-TRUST…` cookie (the latest, if
    /// Apple set several). `None` when Apple set none (accounts without two-factor
    /// authentication, or a session from before the trust).
    pub fn trust_expires(&self) -> Option<SystemTime> {
        self.inner
            .conn
            .cookies()
            .iter()
            .filter(|c| c.name().starts_with("X-APPLE-WEBAUTH-HSA-TRUST"))
            .filter_map(Cookie::expires_unix)
            .max()
            .and_then(|secs| u64::try_from(secs).ok())
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Returns `true` if the jar holds the `X-APPLE-WEBAUTH-TOKEN` cookie that web services need.
    pub fn has_web_token(&self) -> bool {
        self.inner.conn.cookie("X-APPLE-WEBAUTH-TOKEN").is_some()
    }
}

/// An answer of [`Session::post_raw`]: status, headers and body, unclassified.
pub struct RawReply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl RawReply {
    /// Returns the HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Returns the first header called `name` (case-insensitive), if it is valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// Returns the body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Returns the body, giving up the rest.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}

impl fmt::Debug for RawReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawReply")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// The error for a web-service answer that is not JSON, or not of the expected shape.
fn unexpected(status: u16, e: &serde_json::Error) -> Error {
    let detail = if e.is_data() {
        format!("unexpected answer: {e}")
    } else {
        format!("status {status} without a JSON body")
    };
    Error::UnexpectedResponse {
        endpoint: "webservice",
        detail,
    }
}
