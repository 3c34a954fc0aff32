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
/// Its cookies and tokens are persisted to the [`crate::SessionStore`] it was created with
/// after every response, so the next run can [`crate::AuthClient::resume`] it.
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

    /// Returns one web service, or [`Error::WebserviceUnavailable`] when the account has none
    /// of that name (or it has no URL).
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
    /// Returns [`Error::SessionExpired`] when it is not; transport errors and throttling are
    /// returned as such.
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
    pub async fn post_json(&self, url: &str, body: &Value) -> Result<Value> {
        self.post_json_as(url, body, "text/plain").await
    }

    /// Like [`Session::post_json`], with an explicit `Content-Type` for the body. iCloud's web
    /// client labels most JSON bodies `text/plain`; a few endpoints (CloudKit's
    /// `records/modify`) are sent as `application/json`.
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

    /// Sends an authenticated `GET` to one of the account's web services and returns the JSON
    /// answer; errors as [`Session::post_json`].
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
