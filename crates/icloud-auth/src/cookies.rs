//! Cookie jar that keeps values verbatim and reads and writes Python's LWP cookie files (spec §10.3).
//!
//! Apple's cookie values carry literal double quotes (`X-APPLE-WEBAUTH-TOKEN="v=2:t=…"`) that
//! must be sent back exactly, so nothing here unquotes or re-encodes a value. Matching follows
//! RFC 6265 (host-only and domain cookies, path prefixes, `Secure`), ignoring ports as browsers
//! and Python do.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderValue;
use url::Url;

use self::date::{parse_cookie_date, writable};
use self::lwp::{is_token, set_rest};
pub(crate) use self::lwp::{parse_lwp, to_lwp};

mod date;
#[cfg(fuzzing)]
pub(crate) mod fuzzing;
mod lwp;

/// Python's Unicode `\w`: letters, digits and `_`.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// One stored cookie, with every attribute Python's `http.cookiejar` keeps.
///
/// Host-only cookies carry the exact host as domain (`idmsa.apple.com`, `127.0.0.1`); domain
/// cookies carry it with a leading dot (`.icloud.com`). The `Debug` output shows the length of
/// the value, never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie {
    name: String,
    value: String,
    domain: String,
    path: String,
    port: Option<String>,
    path_spec: bool,
    port_spec: bool,
    domain_dot: bool,
    secure: bool,
    expires: Option<i64>,
    discard: bool,
    comment: Option<String>,
    comment_url: Option<String>,
    /// Non-standard attributes (`HttpOnly`, `SameSite`, ...) with Python's value text (`None`
    /// for flags), unique by name.
    rest: Vec<(String, String)>,
    version: i64,
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cookie")
            .field("name", &self.name)
            .field("value", &format_args!("<{} bytes>", self.value.len()))
            .field("domain", &self.domain)
            .field("path", &self.path)
            .field("secure", &self.secure)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl Cookie {
    /// A cookie with Python's defaults for every attribute but name, value, domain and path.
    pub(crate) fn bare(name: String, value: String, domain: String, path: String) -> Cookie {
        Cookie {
            name,
            value,
            domain,
            path,
            port: None,
            path_spec: false,
            port_spec: false,
            domain_dot: false,
            secure: false,
            expires: None,
            discard: false,
            comment: None,
            comment_url: None,
            rest: Vec::new(),
            version: 0,
        }
    }

    /// Returns the cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the cookie's value exactly as the server sent it, quotes included.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Returns the domain: the exact host for host-only cookies, `.` + domain otherwise.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Returns the path the cookie applies to.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Returns the expiry time in Unix seconds, `None` for a session cookie.
    pub fn expires_unix(&self) -> Option<i64> {
        self.expires
    }

    /// Returns `true` if the cookie has an expiry time at or before `now_unix`.
    pub fn is_expired_at(&self, now_unix: i64) -> bool {
        self.expires.is_some_and(|e| e <= now_unix)
    }

    /// Returns `true` if the cookie is only sent over secure connections.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Returns `true` if the server marked the cookie `HttpOnly`.
    pub fn is_http_only(&self) -> bool {
        self.rest
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("httponly"))
    }

    /// Returns `true` if the cookie matches only its exact host, not subdomains.
    pub fn is_host_only(&self) -> bool {
        !self.domain.starts_with('.')
    }

    /// Returns the cookie as one line of an LWP cookie file (`Set-Cookie3: …`, no newline).
    ///
    /// This is the lossless text form that [`Cookie::from_lwp_line`] reads back, for session
    /// stores that keep cookies somewhere other than files.
    pub fn to_lwp_line(&self) -> String {
        lwp::line(self)
    }

    /// Returns the cookies of one LWP file line, as Python reads it; `None` if the line holds
    /// none (not a `Set-Cookie3:` line, or no name, value, domain or path).
    pub fn from_lwp_line(line: &str) -> Option<Vec<Cookie>> {
        lwp::parse_line(line)
    }

    /// Returns `true` if the cookie may be sent to `host` and `path` (ignores `Secure`/expiry).
    fn matches(&self, host: &str, path: &str) -> bool {
        let domain_ok = match self.domain.strip_prefix('.') {
            None => self.domain.eq_ignore_ascii_case(host),
            Some(bare) => domain_match(host, bare),
        };
        domain_ok && path_match(path, &self.path)
    }

    fn same_key(&self, other: &Cookie) -> bool {
        self.name == other.name && self.domain == other.domain && self.path == other.path
    }
}

/// `true` if `host` equals `domain` or is a subdomain of it (never for IP addresses).
fn domain_match(host: &str, domain: &str) -> bool {
    if host.eq_ignore_ascii_case(domain) {
        return true;
    }
    let is_ip = host.starts_with('[') || host.parse::<std::net::Ipv4Addr>().is_ok();
    !is_ip
        && host.len() > domain.len()
        && host.is_char_boundary(host.len() - domain.len() - 1)
        && host[host.len() - domain.len() - 1..].eq_ignore_ascii_case(&format!(".{domain}"))
}

/// RFC 6265 §5.1.4 path-match.
fn path_match(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// RFC 6265 §5.1.4 default-path of a request URL.
fn default_path(url: &Url) -> String {
    let path = url.path();
    match path.rfind('/') {
        Some(i) if i > 0 && path.starts_with('/') => path[..i].to_owned(),
        _ => "/".to_owned(),
    }
}

/// Whether `Secure` cookies may be sent to `url`: only over TLS (`https`, `wss`), as Python does.
fn is_secure_channel(url: &Url) -> bool {
    matches!(url.scheme(), "https" | "wss")
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Parses one `Set-Cookie` header received from `url` (RFC 6265 §5.2, values verbatim).
/// Returns the cookie, or `None` if the header is unusable or its domain is foreign.
///
/// A name with whitespace or a comma in it, which the LWP cookie file cannot hold, makes the
/// header unusable, and such an attribute is ignored (Python keeps them, and writes a file
/// that reads back otherwise).
fn parse_set_cookie(header: &str, url: &Url, now: i64) -> Option<Cookie> {
    let host = url.host_str()?.to_ascii_lowercase();
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if !is_token(name) {
        return None;
    }
    let mut cookie = Cookie::bare(
        name.to_owned(),
        value.trim().to_owned(),
        host.clone(),
        default_path(url),
    );
    let (mut expires, mut max_age) = (None, None);
    for attr in parts {
        let (key, value) = match attr.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (attr.trim(), None),
        };
        match key.to_ascii_lowercase().as_str() {
            "" => {}
            "expires" => expires = value.and_then(parse_cookie_date).or(expires),
            "max-age" => max_age = value.and_then(parse_max_age).or(max_age),
            "domain" => {
                let value = value.unwrap_or("");
                let bare = value.trim_start_matches('.').to_ascii_lowercase();
                if bare.is_empty() {
                    continue;
                }
                if !domain_match(&host, &bare) || (!bare.contains('.') && bare != host) {
                    return None;
                }
                cookie.domain_dot = value.starts_with('.');
                cookie.domain = format!(".{bare}");
            }
            "path" => {
                if let Some(path) = value.filter(|p| p.starts_with('/')) {
                    cookie.path = path.to_owned();
                    cookie.path_spec = true;
                }
            }
            "secure" => cookie.secure = true,
            "version" | "port" => {}
            _ if !is_token(key) => {}
            _ => set_rest(&mut cookie.rest, key.to_owned(), value.map(str::to_owned)),
        }
    }
    cookie.expires = match max_age {
        Some(delta) if delta <= 0 => Some(i64::MIN),
        Some(delta) => Some(now.saturating_add(delta)),
        None => expires,
    }
    .map(writable);
    cookie.discard = cookie.expires.is_none();
    Some(cookie)
}

fn parse_max_age(value: &str) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX);
    Some(if value.starts_with('-') {
        -magnitude
    } else {
        magnitude
    })
}

/// The shared cookie jar given to reqwest. Clones share the same cookies.
#[derive(Clone, Default)]
pub(crate) struct CookieJar {
    /// Cookies in creation order; a replaced cookie keeps its place.
    inner: Arc<Mutex<Vec<Cookie>>>,
}

impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieJar")
            .field("cookies", &self.lock().len())
            .finish()
    }
}

impl CookieJar {
    /// Returns a jar holding `cookies`; later duplicates (same name, domain, path) win.
    pub(crate) fn from_cookies(cookies: Vec<Cookie>) -> Self {
        let jar = CookieJar::default();
        {
            let mut stored = jar.lock();
            for cookie in cookies {
                insert(&mut stored, cookie);
            }
        }
        jar
    }

    /// Returns a copy of all cookies, expired ones included, in creation order.
    pub(crate) fn snapshot(&self) -> Vec<Cookie> {
        self.lock().clone()
    }

    /// Returns the value of the first unexpired cookie named `name`, whatever its domain.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let now = now_unix();
        self.lock()
            .iter()
            .find(|c| c.name == name && !c.is_expired_at(now))
            .map(|c| c.value.clone())
    }

    /// Removes every cookie called `name`; returns `true` if there was one.
    pub(crate) fn remove(&self, name: &str) -> bool {
        let mut stored = self.lock();
        let before = stored.len();
        stored.retain(|c| c.name != name);
        stored.len() != before
    }

    /// Stores the cookie of one `Set-Cookie` header received from `request_url`.
    pub(crate) fn store_set_cookie(&self, header: &str, request_url: &Url) {
        self.store_set_cookie_at(header, request_url, now_unix());
    }

    /// Returns the `Cookie` header value for a request to `url`, `None` if no cookie applies.
    pub(crate) fn header_for(&self, url: &Url) -> Option<String> {
        self.header_for_at(url, now_unix())
    }

    fn store_set_cookie_at(&self, header: &str, request_url: &Url, now: i64) {
        let Some(cookie) = parse_set_cookie(header, request_url, now) else {
            tracing::debug!("ignoring unusable Set-Cookie header");
            return;
        };
        let mut stored = self.lock();
        if cookie.is_expired_at(now) {
            stored.retain(|c| !c.same_key(&cookie));
        } else {
            insert(&mut stored, cookie);
        }
    }

    fn header_for_at(&self, url: &Url, now: i64) -> Option<String> {
        let host = url.host_str()?.to_ascii_lowercase();
        let secure_ok = is_secure_channel(url);
        let stored = self.lock();
        let mut matching: Vec<&Cookie> = stored
            .iter()
            .filter(|c| (secure_ok || !c.secure) && !c.is_expired_at(now))
            .filter(|c| c.matches(&host, url.path()))
            .collect();
        if matching.is_empty() {
            return None;
        }
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let pairs: Vec<String> = matching
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        Some(pairs.join("; "))
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Cookie>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn insert(stored: &mut Vec<Cookie>, cookie: Cookie) {
    match stored.iter_mut().find(|c| c.same_key(&cookie)) {
        Some(slot) => *slot = cookie,
        None => stored.push(cookie),
    }
}

impl reqwest::cookie::CookieStore for CookieJar {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        for header in cookie_headers {
            if let Ok(text) = std::str::from_utf8(header.as_bytes()) {
                self.store_set_cookie(text, url);
            }
        }
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        HeaderValue::from_bytes(self.header_for(url)?.as_bytes()).ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
mod tests;
