//! The session layer: one HTTP client per Apple ID, Apple's headers, the response capture rule,
//! persistence after every response, and the generic error classification of Apple's replies.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

use crate::cookies::CookieJar;
use crate::endpoints::Endpoints;
use crate::error::{Error, Result, transport};
use crate::network::Network;
use crate::store::{SessionState, SessionStore};

/// Apple's widget key, which is also the OAuth client id of icloud.com.
pub(crate) const WIDGET_KEY: &str =
    "d39ba9916b7251055b22c7f910e2ea796ee65e98b2ddecea8f5dde8d9d1a815d";
pub(crate) const CLIENT_BUILD_NUMBER: &str = "2522Project44";
pub(crate) const CLIENT_MASTERING_NUMBER: &str = "2522B2";

/// The largest answer body the session layer reads: 64 MiB.
///
/// No answer of Apple's comes near it (a CloudKit page of 200 records is well under 1 MiB); a
/// body past it comes from a misbehaving server or proxy, and is refused with
/// [`Error::ResponseTooLarge`] without being held in memory beyond the cap.
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// What an [`crate::AuthClient`] hands each connection it opens: the settings of its builder.
#[derive(Debug, Clone)]
pub(crate) struct ClientConfig {
    pub(crate) endpoints: Endpoints,
    pub(crate) user_agent: String,
    pub(crate) timeout: Duration,
    pub(crate) client_id: Option<String>,
    pub(crate) network: Network,
}

/// Response headers captured into the session data after every response (§2.1).
const CAPTURED: [(&str, &str); 9] = [
    ("scnt", "scnt"),
    ("x-apple-id-session-id", "session_id"),
    ("x-apple-session-token", "session_token"),
    ("x-apple-id-account-country", "account_country"),
    ("x-apple-twosv-trust-token", "trust_token"),
    ("x-apple-twosv-trust-eligible", "trust_eligible"),
    ("x-apple-i-rscd", "apple_rscd"),
    ("x-apple-i-ercd", "apple_ercd"),
    ("x-apple-auth-attributes", "auth_attributes"),
];

/// A connection for one Apple ID: the HTTP client with its cookie jar, the session data and the
/// store both are persisted to.
pub(crate) struct Conn {
    http: reqwest::Client,
    jar: CookieJar,
    pub(crate) endpoints: Endpoints,
    pub(crate) apple_id: String,
    data: Mutex<BTreeMap<String, String>>,
    store: Arc<dyn SessionStore>,
    /// What the store last received, so responses that change nothing cost no disk writes.
    saved: Mutex<Option<SessionState>>,
    user_agent: String,
    pub(crate) network: Network,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("apple_id", &self.apple_id)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

/// A response whose body has been read; the session layer already captured its headers.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// Where a request goes and which headers it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// idmsa request with the auth headers and Origin/Referer of the idmsa root (SRP).
    AuthSrp,
    /// idmsa request with the auth headers and the default Origin/Referer (2FA, trust).
    Auth,
    /// setup or web-service request: the default headers only.
    Plain,
}

impl Conn {
    /// Loads the stored state of `apple_id` and builds its HTTP client.
    pub(crate) fn open(
        config: &ClientConfig,
        apple_id: &str,
        store: Arc<dyn SessionStore>,
    ) -> Result<Conn> {
        let state = store.load(apple_id)?;
        let jar = CookieJar::from_cookies(state.cookies);
        let mut data = state.data;
        if !data.contains_key("client_id") {
            let id = config
                .client_id
                .clone()
                .unwrap_or_else(|| format!("auth-{}", uuid::Uuid::new_v4()));
            data.insert("client_id".to_owned(), id);
        }
        let builder = config.network.configure(reqwest::Client::builder())?;
        let http = builder
            .cookie_provider(Arc::new(jar.clone()))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(15)))
            .user_agent(config.user_agent.clone())
            .default_headers(default_headers(&config.endpoints)?)
            .build()
            .map_err(transport)?;
        Ok(Conn {
            http,
            jar,
            endpoints: config.endpoints.clone(),
            apple_id: apple_id.to_owned(),
            data: Mutex::new(data),
            store,
            saved: Mutex::new(None),
            user_agent: config.user_agent.clone(),
            network: config.network.clone(),
        })
    }

    /// Returns one value of the session data.
    pub(crate) fn get(&self, key: &str) -> Option<String> {
        self.lock().get(key).cloned()
    }

    /// Returns the `User-Agent` sent on every request.
    pub(crate) fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Returns the value of a cookie in the jar.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.jar.get(name)
    }

    /// Removes the cookies called `names` and persists the jar when one was there.
    pub(crate) fn forget_cookies(&self, names: &[&str]) -> Result<()> {
        let mut removed = false;
        for name in names {
            removed |= self.jar.remove(name);
        }
        if removed {
            self.persist()?;
        }
        Ok(())
    }

    /// Returns every cookie in the jar, expired ones included.
    pub(crate) fn cookies(&self) -> Vec<crate::Cookie> {
        self.jar.snapshot()
    }

    /// Starts a request of `kind` to `url`.
    pub(crate) fn request(&self, kind: Kind, method: Method, url: &str) -> RequestBuilder {
        self.request_accepting(kind, method, url, "application/json, text/javascript")
    }

    /// Starts a request of `kind` to `url` whose idmsa `Accept` header is `accept`.
    pub(crate) fn request_accepting(
        &self,
        kind: Kind,
        method: Method,
        url: &str,
        accept: &str,
    ) -> RequestBuilder {
        let mut req = self.http.request(method, url);
        if kind != Kind::Plain {
            req = req.headers(self.auth_headers(accept));
        }
        if kind == Kind::AuthSrp {
            let root = self.endpoints.auth_root();
            req = req
                .header("Origin", root)
                .header("Referer", format!("{root}/"));
        }
        req
    }

    /// Sends a request through the session layer: transport errors and 503 become errors,
    /// headers are captured and the state is persisted (§11.1 steps 1-3).
    pub(crate) async fn send(&self, req: RequestBuilder, endpoint: &'static str) -> Result<Reply> {
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::debug!(endpoint, "apple answered 503");
            return Err(Error::Throttled {
                retry_after: retry_after(&headers),
            });
        }
        let body = read_capped(resp, endpoint, MAX_RESPONSE_BYTES).await?;
        self.capture(&headers);
        self.persist()?;
        tracing::debug!(endpoint, status = status.as_u16(), "apple answered");
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// `POST {SETUP}/validate` with the body `null`: asks Apple whether the web session holds.
    pub(crate) async fn validate(&self) -> Result<Reply> {
        let url = format!("{}/validate", self.endpoints.setup());
        let req = self.request(Kind::Plain, Method::POST, &url).body("null");
        self.send(req, "validate").await
    }

    fn capture(&self, headers: &HeaderMap) {
        let mut data = self.lock();
        for (header, key) in CAPTURED {
            if let Some(v) = headers.get(header).and_then(|v| v.to_str().ok())
                && !v.is_empty()
            {
                data.insert(key.to_owned(), v.to_owned());
            }
        }
    }

    /// Writes the session data and the cookie jar to the store, unless neither changed since
    /// the last write.
    fn persist(&self) -> Result<()> {
        let state = SessionState {
            data: self.lock().clone(),
            cookies: self.jar.snapshot(),
        };
        let mut saved = self.saved.lock().unwrap_or_else(PoisonError::into_inner);
        if saved.as_ref() != Some(&state) {
            self.store.save(&self.apple_id, &state)?;
            *saved = Some(state);
        }
        Ok(())
    }

    /// The auth headers of §3.2, built fresh from the session data, plus the browser-parity
    /// headers of §3.3.
    fn auth_headers(&self, accept: &str) -> HeaderMap {
        let data = self.lock();
        let client_id = data.get("client_id").cloned().unwrap_or_default();
        let mut h = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(HeaderName::from_static(name), v);
            }
        };
        put("accept", accept);
        put("content-type", "application/json");
        put("x-apple-oauth-client-id", WIDGET_KEY);
        put("x-apple-oauth-client-type", "firstPartyAuth");
        put(
            "x-apple-oauth-redirect-uri",
            self.endpoints.region().redirect_uri(),
        );
        put("x-apple-oauth-require-grant-code", "true");
        put("x-apple-oauth-response-mode", "web_message");
        put("x-apple-oauth-response-type", "code");
        put("x-apple-oauth-state", &client_id);
        put("x-apple-widget-key", WIDGET_KEY);
        put("x-apple-frame-id", &client_id);
        put("x-apple-domain-id", "3");
        let fd = serde_json::json!({
            "U": self.user_agent, "L": "en-US", "Z": "GMT+00:00", "V": "1.1", "F": ""
        });
        put("x-apple-i-fd-client-info", &fd.to_string());
        if let Some(v) = data.get("scnt") {
            put("scnt", v);
        }
        if let Some(v) = data.get("session_id") {
            put("x-apple-id-session-id", v);
        }
        if let Some(v) = data.get("auth_attributes") {
            put("x-apple-auth-attributes", v);
        }
        h
    }

    /// The query string of the legacy setup calls: build numbers, client id and dsid.
    pub(crate) fn setup_query(&self, dsid: &str) -> Vec<(&'static str, String)> {
        vec![
            ("clientBuildNumber", CLIENT_BUILD_NUMBER.to_owned()),
            ("clientMasteringNumber", CLIENT_MASTERING_NUMBER.to_owned()),
            ("clientId", self.get("client_id").unwrap_or_default()),
            ("dsid", dsid.to_owned()),
        ]
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads the body of `resp` chunk by chunk, failing with [`Error::ResponseTooLarge`] as soon
/// as it announces or reaches more than `limit` bytes.
async fn read_capped(
    mut resp: reqwest::Response,
    endpoint: &'static str,
    limit: u64,
) -> Result<Vec<u8>> {
    let too_large = || {
        tracing::debug!(endpoint, limit, "answer too large, not read");
        Error::ResponseTooLarge { endpoint, limit }
    };
    let announced = resp.content_length();
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    // An announced length is a hint, not a promise: reserve no more than 1 MiB up front.
    let hint = announced.unwrap_or(0).min(1 << 20);
    let mut body = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn default_headers(endpoints: &Endpoints) -> Result<HeaderMap> {
    let mut h = HeaderMap::new();
    let home = endpoints.home();
    let bad = |_| Error::Config("home endpoint is not a valid header value".to_owned());
    h.insert("origin", HeaderValue::from_str(home).map_err(bad)?);
    h.insert(
        "referer",
        HeaderValue::from_str(&format!("{home}/")).map_err(bad)?,
    );
    h.insert("accept", HeaderValue::from_static("*/*"));
    Ok(h)
}

pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// An error reported by one of Apple's JSON APIs, classified as in §11.1 steps 4-6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: String,
    pub(crate) reason: String,
}

impl Reply {
    /// Returns `true` if the answer sets a cookie called `name` to a value (a `Set-Cookie`
    /// that deletes it, with an empty value or `Max-Age=0`, does not count).
    pub(crate) fn sets_cookie(&self, name: &str) -> bool {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| {
                let mut parts = c.split(';');
                let Some((n, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                    return false;
                };
                let deletes = parts.any(|attr| {
                    attr.split_once('=').is_some_and(|(k, v)| {
                        k.trim().eq_ignore_ascii_case("max-age")
                            && v.trim().parse::<i64>().is_ok_and(|age| age <= 0)
                    })
                });
                n.trim() == name && !value.trim().trim_matches('"').is_empty() && !deletes
            })
    }

    /// Returns the Content-Type without parameters, lowercased.
    fn content_type(&self) -> String {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    }

    fn is_json_type(&self) -> bool {
        matches!(
            self.content_type().as_str(),
            "application/json" | "text/json"
        )
    }

    /// Parses the body as JSON whatever the Content-Type says (Apple labels JSON as HTML).
    pub(crate) fn json(&self) -> Option<Value> {
        if self.body.is_empty() {
            return Some(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).ok()
    }

    /// Returns the top-level members of a JSON object body that [`Reply::api_error_in`] reads,
    /// without building the rest of the body; `None` unless the body is a JSON object.
    pub(crate) fn error_fields(&self) -> Option<Value> {
        #[derive(serde::Deserialize)]
        struct ErrorFields {
            #[serde(rename = "hasError")]
            has_error: Option<Value>,
            service_errors: Option<Value>,
            success: Option<Value>,
            #[serde(rename = "errorMessage")]
            error_message: Option<Value>,
            reason: Option<Value>,
            #[serde(rename = "errorReason")]
            error_reason: Option<Value>,
            error: Option<Value>,
            #[serde(rename = "errorCode")]
            error_code: Option<Value>,
            #[serde(rename = "serverErrorCode")]
            server_error_code: Option<Value>,
        }
        if !self.body.trim_ascii_start().starts_with(b"{") {
            return self.json().filter(Value::is_object);
        }
        let f: ErrorFields = serde_json::from_slice(&self.body).ok()?;
        let members = [
            ("hasError", f.has_error),
            ("service_errors", f.service_errors),
            ("success", f.success),
            ("errorMessage", f.error_message),
            ("reason", f.reason),
            ("errorReason", f.error_reason),
            ("error", f.error),
            ("errorCode", f.error_code),
            ("serverErrorCode", f.server_error_code),
        ];
        Some(Value::Object(
            members
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_owned(), v?)))
                .collect(),
        ))
    }

    /// Returns the API error this reply carries, per icloudpd's generic classification.
    pub(crate) fn api_error(&self) -> Option<ApiError> {
        let parsed = if self.is_json_type() {
            self.json()
        } else {
            None
        };
        self.api_error_in(parsed.as_ref())
    }

    /// Like [`Reply::api_error`], with the body already parsed by the caller (`parsed` is
    /// [`Reply::json`]), so that big answers are parsed once.
    pub(crate) fn api_error_in(&self, parsed: Option<&Value>) -> Option<ApiError> {
        let status = self.status.as_u16();
        if status == 423 {
            // Missing or expired PCS cookies, whatever the body says.
            return Some(ApiError {
                code: "423".to_owned(),
                reason: "Missing PCS cookies from the request".to_owned(),
            });
        }
        if status >= 400 && (!self.is_json_type() || matches!(status, 421 | 450 | 500)) {
            let reason = if matches!(status, 421 | 450 | 500) {
                "Authentication required for Account.".to_owned()
            } else {
                self.status.canonical_reason().unwrap_or("Error").to_owned()
            };
            return Some(ApiError {
                code: status.to_string(),
                reason,
            });
        }
        if !self.is_json_type() {
            return None;
        }
        let Some(Value::Object(obj)) = parsed else {
            return None;
        };
        if obj.get("hasError").is_some_and(truthy) {
            let first = obj
                .get("service_errors")
                .and_then(|v| v.get(0))
                .cloned()
                .unwrap_or(Value::Null);
            return Some(ApiError {
                code: text(first.get("code")).unwrap_or_default(),
                reason: text(first.get("message")).unwrap_or_else(|| "Unknown reason".to_owned()),
            });
        }
        if obj.get("success").is_some_and(truthy) {
            return None;
        }
        let reason = ["errorMessage", "reason", "errorReason", "error"]
            .iter()
            .find_map(|k| match obj.get(*k) {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(v) if *k == "error" && truthy(v) => Some("Unknown reason".to_owned()),
                _ => None,
            })?;
        let code = ["errorCode", "serverErrorCode", "error"]
            .iter()
            .find_map(|k| text(obj.get(*k)))
            .unwrap_or_default();
        Some(ApiError { code, reason })
    }
}

impl ApiError {
    /// Maps an API error of a signed-in session to the crate's error (icloudpd's rewriting
    /// rules, §11.1 step 7).
    pub(crate) fn into_error(self) -> Error {
        match self.code.as_str() {
            "421" | "450" => Error::SessionExpired,
            "423" => Error::PcsRequired,
            "500" => Error::ServerError { status: 500 },
            "400" if self.reason == "Bad Request" => Error::NotReady,
            "429" => Error::Throttled { retry_after: None },
            "ZONE_NOT_FOUND" | "AUTHENTICATION_FAILED" => {
                Error::ServiceNotActivated { code: self.code }
            }
            "ACCESS_DENIED" => Error::WebAccessDisabled {
                reason: self.reason,
            },
            _ if self.reason.contains("Invalid global session") => Error::SessionExpired,
            _ => Error::Api {
                code: self.code,
                reason: self.reason,
            },
        }
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, ct: &str, body: &str) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_str(ct).unwrap());
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_cookie_counts_as_set_unless_it_is_deleted() {
        let mut r = reply(200, "application/json", "{}");
        for line in [
            "X-APPLE-WEBAUTH-REPAIR=\"\";Max-Age=0;Path=/",
            "X-APPLE-WEBAUTH-REPAIR=;Path=/",
            "OTHER=\"v=1\";Path=/",
        ] {
            r.headers
                .append("set-cookie", HeaderValue::from_str(line).unwrap());
        }
        assert!(!r.sets_cookie("X-APPLE-WEBAUTH-REPAIR"));
        assert!(r.sets_cookie("OTHER"));
        r.headers.append(
            "set-cookie",
            HeaderValue::from_static("X-APPLE-WEBAUTH-REPAIR=\"v=1:t=x\";Path=/;Max-Age=60"),
        );
        assert!(r.sets_cookie("X-APPLE-WEBAUTH-REPAIR"));
    }

    #[test]
    fn a_423_means_pcs_cookies_whatever_the_body() {
        for body in [
            "{}",
            r#"{"errorReason":"Missing PCS cookies from the request","errorCode":423}"#,
        ] {
            let e = reply(423, "application/json", body).api_error().unwrap();
            assert_eq!(e.code, "423");
            assert!(matches!(e.into_error(), Error::PcsRequired));
        }
    }

    #[test]
    fn session_errors_become_authentication_required() {
        let r = reply(
            421,
            "application/json",
            r#"{"success":false,"error":"Missing X-APPLE-WEBAUTH-TOKEN cookie"}"#,
        );
        let e = r.api_error().unwrap();
        assert_eq!(e.code, "421");
        assert_eq!(e.reason, "Authentication required for Account.");
    }

    #[test]
    fn non_json_errors_use_the_reason_phrase() {
        let e = reply(400, "text/html", "Bad Request").api_error().unwrap();
        assert_eq!((e.code.as_str(), e.reason.as_str()), ("400", "Bad Request"));
    }

    #[test]
    fn json_error_fields_are_read_in_icloudpds_order() {
        let r = reply(
            400,
            "application/json;charset=UTF-8",
            r#"{"service_errors":[{"code":"-21669","message":"Incorrect verification code."}],"hasError":true}"#,
        );
        assert_eq!(
            r.api_error(),
            Some(ApiError {
                code: "-21669".into(),
                reason: "Incorrect verification code.".into()
            })
        );
        let r = reply(
            200,
            "application/json",
            r#"{"success":false,"errorMessage":"The code you entered is not valid.","errorCode":-21669}"#,
        );
        assert_eq!(r.api_error().unwrap().code, "-21669");
        let r = reply(
            200,
            "application/json",
            r#"{"serverErrorCode":"ACCESS_DENIED","reason":"private db access disabled for this account."}"#,
        );
        assert_eq!(r.api_error().unwrap().code, "ACCESS_DENIED");
    }

    #[test]
    fn error_fields_classify_as_the_whole_body_does() {
        let bodies = [
            r#"{"service_errors":[{"code":"-21669","message":"Incorrect."}],"hasError":true}"#,
            r#"{"success":false,"errorMessage":"Not valid.","errorCode":-21669}"#,
            r#"{"serverErrorCode":"ACCESS_DENIED","reason":"disabled","records":[{"a":1}]}"#,
            r#"{"success":true,"error":"ignored"}"#,
            r#"{"records":[],"syncToken":"x","error":null,"reason":""}"#,
            r#"  {"error":1}"#,
            r#"[{"error":"not an object"}]"#,
            "",
            "not json",
        ];
        for body in bodies {
            let r = reply(200, "application/json", body);
            assert_eq!(
                r.api_error_in(r.error_fields().as_ref()),
                r.api_error(),
                "{body}"
            );
        }
    }

    #[test]
    fn api_errors_map_to_typed_errors() {
        let err = |code: &str, reason: &str| {
            ApiError {
                code: code.into(),
                reason: reason.into(),
            }
            .into_error()
        };
        assert!(matches!(err("421", "x"), Error::SessionExpired));
        assert!(matches!(err("450", "x"), Error::SessionExpired));
        let server = err("500", "Authentication required for Account.");
        assert!(matches!(server, Error::ServerError { status: 500 }));
        assert_eq!(server.retry_class(), crate::RetryClass::Transient);
        assert!(!server.needs_reauth());
        assert!(matches!(
            err("100", "Invalid global session"),
            Error::SessionExpired
        ));
        assert!(matches!(err("400", "Bad Request"), Error::NotReady));
        assert!(matches!(
            err(
                "ACCESS_DENIED",
                "private db access disabled for this account."
            ),
            Error::WebAccessDisabled { .. }
        ));
        assert!(matches!(
            err("ZONE_NOT_FOUND", "x"),
            Error::ServiceNotActivated { .. }
        ));
        let other = err("BAD_REQUEST", "Unknown field");
        assert_eq!(other.to_string(), "Unknown field (BAD_REQUEST)");
        assert!(other.retry_class() == crate::RetryClass::Permanent);
        assert!(err("421", "x").needs_reauth());
    }

    #[test]
    fn a_body_parsed_by_the_caller_is_classified_alike() {
        for r in [
            reply(200, "application/json", r#"{"records":[]}"#),
            reply(
                200,
                "application/json",
                r#"{"serverErrorCode":"THROTTLED","reason":"x"}"#,
            ),
            reply(421, "application/json", r#"{"success":false,"error":"x"}"#),
            reply(400, "text/html", "Bad Request"),
        ] {
            assert_eq!(r.api_error_in(r.json().as_ref()), r.api_error());
        }
    }

    #[test]
    fn success_bodies_pass() {
        assert_eq!(
            reply(200, "application/json", r#"{"dsInfo":{}}"#).api_error(),
            None
        );
        assert_eq!(
            reply(200, "application/json", r#"{"success":true}"#).api_error(),
            None
        );
        assert_eq!(reply(204, "text/html", "").api_error(), None);
    }
}
