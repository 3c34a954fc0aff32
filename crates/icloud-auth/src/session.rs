//! [`Session`]: a signed-in, trusted web session with the account's data and web services.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::conn::{Conn, Kind};
use crate::cookies::Cookie;
use crate::endpoints::Endpoints;
use crate::error::{Error, Result};

/// The account data of `accountLogin` / `validate` (§9), with the decisions made from it.
#[derive(Clone)]
pub(crate) struct AccountData {
    raw: Value,
}

impl AccountData {
    pub(crate) fn new(raw: Value) -> Result<AccountData> {
        if !raw.is_object() {
            return Err(Error::UnexpectedResponse {
                endpoint: "accountLogin",
                detail: "account data is not a JSON object".to_owned(),
            });
        }
        Ok(AccountData { raw })
    }

    fn ds(&self, key: &str) -> Option<&Value> {
        self.raw.get("dsInfo")?.get(key)
    }

    fn flag(&self, key: &str) -> bool {
        self.raw.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    fn hsa_version(&self) -> i64 {
        self.ds("hsaVersion").and_then(Value::as_i64).unwrap_or(0)
    }

    fn challenge_needed(&self) -> bool {
        self.flag("hsaChallengeRequired") || !self.flag("hsaTrustedBrowser")
    }

    /// `hsaVersion == 2 && (challenge required || browser untrusted) && qualifying device`.
    pub(crate) fn requires_2fa(&self) -> bool {
        self.hsa_version() == 2
            && self.challenge_needed()
            && self
                .ds("hasICloudQualifyingDevice")
                .and_then(Value::as_bool)
                .unwrap_or(false)
    }

    /// `hsaVersion >= 1 && (challenge required || browser untrusted)`.
    pub(crate) fn requires_2sa(&self) -> bool {
        self.hsa_version() >= 1 && self.challenge_needed()
    }

    pub(crate) fn dsid(&self) -> String {
        match self.ds("dsid") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    }

    fn info(&self) -> AccountInfo {
        let s = |k: &str| self.ds(k).and_then(Value::as_str).map(str::to_owned);
        AccountInfo {
            dsid: self.dsid(),
            apple_id: s("appleId").unwrap_or_default(),
            full_name: s("fullName"),
            country_code: s("countryCode"),
            hsa_version: self.hsa_version(),
            adp_enabled: self.flag("iCDPEnabled")
                || self.ds("iCDPEnabled").and_then(Value::as_bool) == Some(true),
            web_access_allowed: self
                .ds("isWebAccessAllowed")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        }
    }

    fn webservices(&self) -> BTreeMap<String, Webservice> {
        let Some(Value::Object(map)) = self.raw.get("webservices") else {
            return BTreeMap::new();
        };
        map.iter()
            .filter_map(|(name, v)| {
                let url = v.get("url")?.as_str()?.to_owned();
                Some((
                    name.clone(),
                    Webservice {
                        url,
                        status: v.get("status").and_then(Value::as_str).map(str::to_owned),
                        pcs_required: v
                            .get("pcsRequired")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    },
                ))
            })
            .collect()
    }
}

impl fmt::Debug for AccountData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountData")
            .field("dsid", &self.dsid())
            .finish_non_exhaustive()
    }
}

/// What Apple says about the signed-in account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountInfo {
    dsid: String,
    apple_id: String,
    full_name: Option<String>,
    country_code: Option<String>,
    hsa_version: i64,
    adp_enabled: bool,
    web_access_allowed: bool,
}

impl AccountInfo {
    /// Returns the directory services id, which later iCloud calls send as `dsid`.
    pub fn dsid(&self) -> &str {
        &self.dsid
    }

    /// Returns the Apple ID as Apple spells it.
    pub fn apple_id(&self) -> &str {
        &self.apple_id
    }

    /// Returns the account holder's full name, if Apple sent it.
    pub fn full_name(&self) -> Option<&str> {
        self.full_name.as_deref()
    }

    /// Returns the account's country code (e.g. `USA`), if Apple sent it.
    pub fn country_code(&self) -> Option<&str> {
        self.country_code.as_deref()
    }

    /// Returns the security version: 0 none, 1 two-step (2SA), 2 two-factor (HSA2).
    pub fn hsa_version(&self) -> i64 {
        self.hsa_version
    }

    /// Returns `true` if Advanced Data Protection is on (`iCDPEnabled`), which stops web access
    /// to photos unless the account allows it.
    pub fn adp_enabled(&self) -> bool {
        self.adp_enabled
    }

    /// Returns `false` if "Access iCloud Data on the Web" is switched off.
    pub fn web_access_allowed(&self) -> bool {
        self.web_access_allowed
    }
}

/// One entry of the account's web services map, e.g. `ckdatabasews`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Webservice {
    url: String,
    status: Option<String>,
    pcs_required: bool,
}

impl Webservice {
    /// Returns the service's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Returns the service status Apple reported (e.g. `active`).
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// Returns `true` if the service needs PCS cookies (ADP accounts).
    pub fn pcs_required(&self) -> bool {
        self.pcs_required
    }
}

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
            && let Err(e) = self.inner.conn.forget_cookies(&crate::pcs::COOKIES)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(v: Value) -> AccountData {
        AccountData::new(v).unwrap()
    }

    #[test]
    fn two_factor_needs_hsa2_an_untrusted_browser_and_a_device() {
        let d = data(
            json!({"dsInfo": {"hsaVersion": 2, "hasICloudQualifyingDevice": true},
            "hsaChallengeRequired": true, "hsaTrustedBrowser": false}),
        );
        assert!(d.requires_2fa());
        let d = data(
            json!({"dsInfo": {"hsaVersion": 2, "hasICloudQualifyingDevice": true},
            "hsaChallengeRequired": false, "hsaTrustedBrowser": true}),
        );
        assert!(!d.requires_2fa() && !d.requires_2sa());
    }

    #[test]
    fn hsa2_without_a_qualifying_device_falls_back_to_two_step() {
        let d = data(
            json!({"dsInfo": {"hsaVersion": 2, "hasICloudQualifyingDevice": false},
            "hsaChallengeRequired": true}),
        );
        assert!(!d.requires_2fa());
        assert!(d.requires_2sa());
    }

    #[test]
    fn accounts_without_hsa_need_nothing() {
        let d = data(json!({"dsInfo": {"dsid": 42}}));
        assert!(!d.requires_2fa() && !d.requires_2sa());
        assert_eq!(d.dsid(), "42");
    }

    #[test]
    fn webservices_without_url_are_not_available() {
        let d = data(json!({"webservices": {
            "ckdatabasews": {"url": "https://p61-ckdatabasews.icloud.com:443", "pcsRequired": true, "status": "active"},
            "schoolwork": {}
        }}));
        let ws = d.webservices();
        assert_eq!(
            ws["ckdatabasews"].url(),
            "https://p61-ckdatabasews.icloud.com:443"
        );
        assert!(!ws.contains_key("schoolwork"));
    }
}
