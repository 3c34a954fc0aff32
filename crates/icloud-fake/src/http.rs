//! Plain request/response values the handlers work on, plus cookie and query helpers.
//!
//! Handlers are synchronous functions from [`Req`] to [`Reply`]; the axum layer in `server.rs`
//! only converts to and from these, which keeps every Apple behaviour unit-testable.
//!
//! A request is read whole before a handler sees it (Apple's bodies are small JSON), and a
//! handler's [`Reply`] is sent as built, except for downloads: their body is a
//! [`Generated`] description that the server layer turns into bytes while sending, outside
//! the state lock, so that the fault engine can cut, stall or throttle it mid-body.
//!
//! The helpers here are lenient where Apple is and exact where clients are not:
//!
//! - bodies parse as JSON whatever their `Content-Type`, because icloudpd sends none on setup
//!   and `text/plain` to CloudKit (auth.md §17 rule 10, photos.md §3.2 and §3.4);
//! - header names match case-insensitively (HTTP/2 sends them in lower case), cookie values
//!   come back exactly as sent, double quotes included, because Apple's tokens carry them and
//!   a client that strips them is broken;
//! - responses spell their `Content-Type` as each Apple service does (`CT_*` below: idmsa
//!   writes `;charset` without a space, setup with one, and `signin/init` answers JSON as
//!   `text/html`), so a client that compares the header exactly meets what it meets in the
//!   wild;
//! - `Set-Cookie` lines follow Apple's attribute order and separators ([`Cookie::render`]),
//!   with `Expires` dates in Apple's format, not `Max-Age`, as the recorded answers have them.

use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;

use crate::cdn::Generated;
use crate::origins::Origins;
use time::macros::format_description;

/// Content type Apple uses on idmsa JSON responses.
pub(crate) const CT_IDMSA_JSON: &str = "application/json;charset=UTF-8";
/// Content type Apple uses on setup JSON responses.
pub(crate) const CT_SETUP_JSON: &str = "application/json; charset=UTF-8";
/// Content type Apple uses on idmsa HTML (and, oddly, on `signin/init`'s JSON).
pub(crate) const CT_IDMSA_HTML: &str = "text/html;charset=UTF-8";
/// Content type of `GET /appleauth/auth`.
pub(crate) const CT_HTML: &str = "text/html; charset=UTF-8";

/// One incoming request, fully read.
///
/// Built by the server layer from the HTTP request (and by unit tests directly); handlers
/// only read it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Req {
    /// Upper-case method.
    pub(crate) method: String,
    /// Path without query.
    pub(crate) path: String,
    /// Raw query string, if any.
    pub(crate) query: Option<String>,
    /// Host the request names (HTTP/2 `:authority` or the `Host` header), lower case, without
    /// the port.
    pub(crate) host: Option<String>,
    /// Headers in arrival order (names lower-case).
    pub(crate) headers: Vec<(String, String)>,
    /// Raw body bytes.
    pub(crate) body: Vec<u8>,
}

impl Req {
    /// Returns the first header called `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Returns a non-empty header value.
    pub(crate) fn header_nonempty(&self, name: &str) -> Option<&str> {
        self.header(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Returns the raw value (quotes kept, exactly as sent) of cookie `name`.
    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim())
    }

    /// Parses the body as JSON (any Content-Type, as Apple does).
    pub(crate) fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Returns the percent-decoded query parameter `name`.
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        query_param(self.query.as_deref(), name)
    }
}

/// Returns the percent-decoded parameter `name` of a raw query string.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| percent_decode(k) == name)
        .map(|(_, v)| percent_decode(v))
}

/// Decodes `%XX` escapes and `+` (form encoding) in a query component.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One outgoing response.
///
/// Built with the chained constructors ([`Reply::body`], [`Reply::json`], then
/// [`Reply::header`] and [`Reply::cookie`]); the fault engine may still replace or alter it
/// after the handler ran.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reply {
    /// HTTP status.
    pub(crate) status: u16,
    /// Headers in order (repeated names allowed, e.g. `Set-Cookie`).
    pub(crate) headers: Vec<(String, String)>,
    /// Body bytes.
    pub(crate) body: Vec<u8>,
    /// A body generated while it is sent (downloads), replacing `body`.
    pub(crate) generated: Option<Box<Generated>>,
}

impl Reply {
    /// Returns an empty response with `status`.
    pub(crate) fn empty(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            generated: None,
        }
    }

    /// Returns a response with a body and a content type.
    pub(crate) fn body(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply::empty(status)
            .header("Content-Type", content_type)
            .with_body(body)
    }

    /// Returns a JSON response with the given content type spelling.
    pub(crate) fn json(status: u16, content_type: &str, value: &Value) -> Self {
        Reply::body(status, content_type, value.to_string())
    }

    /// Adds a header.
    #[must_use]
    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Replaces the body.
    #[must_use]
    pub(crate) fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds a `Set-Cookie` header, rendered for `origins` (see [`Cookie::render`]).
    #[must_use]
    pub(crate) fn cookie(self, cookie: &Cookie, origins: &Origins) -> Self {
        let line = cookie.render(origins);
        self.header("Set-Cookie", line)
    }

    /// Returns the first header called `name` (case-insensitive).
    pub(crate) fn get_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Where a cookie belongs. In HTTPS mode the scope gives the `Domain`; in both modes it gives
/// the separator style: Apple's setup service writes `a=b;Path=/`, idmsa writes `a=b; Path=/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CookieScope {
    /// setup and CloudKit (`Domain=.icloud.com`), `;` without a space.
    ICloud,
    /// idmsa's own (`Domain=idmsa.apple.com`), `; `.
    Idmsa,
    /// every apple.com host (`Domain=apple.com`), `; `.
    Apple,
}

/// One `Set-Cookie`: host-only in HTTP mode, with Apple's `Domain` and `Secure` in HTTPS mode.
#[derive(Clone, Debug)]
pub(crate) struct Cookie {
    /// Cookie name.
    pub(crate) name: String,
    /// Value, verbatim (may include literal double quotes, as Apple's do).
    pub(crate) value: String,
    /// Lifetime; `None` = session cookie.
    pub(crate) max_age: Option<Duration>,
    /// Adds `HttpOnly`.
    pub(crate) http_only: bool,
    /// Domain and separator style.
    pub(crate) scope: CookieScope,
}

impl Cookie {
    /// Returns a setup/CloudKit cookie (`HttpOnly`).
    pub(crate) fn setup(name: &str, value: &str, max_age: Option<Duration>) -> Self {
        Cookie::session(name, value, CookieScope::ICloud).lasting(max_age)
    }

    /// Returns an idmsa session cookie (`HttpOnly`).
    pub(crate) fn idmsa(name: &str, value: &str) -> Self {
        Cookie::session(name, value, CookieScope::Idmsa)
    }

    /// Returns an apple.com-wide session cookie (`HttpOnly`).
    pub(crate) fn apple(name: &str, value: &str) -> Self {
        Cookie::session(name, value, CookieScope::Apple)
    }

    /// Returns an `HttpOnly` session cookie in `scope`.
    fn session(name: &str, value: &str, scope: CookieScope) -> Self {
        Cookie {
            name: name.to_owned(),
            value: value.to_owned(),
            max_age: None,
            http_only: true,
            scope,
        }
    }

    /// Sets the lifetime.
    fn lasting(mut self, max_age: Option<Duration>) -> Self {
        self.max_age = max_age;
        self
    }

    /// Renders the `Set-Cookie` value as Apple's servers order it: `N=V`, `Expires` (when it
    /// has a lifetime), then for setup `Path=/;Domain=…;Secure`, for idmsa and apple.com
    /// `Domain=…; Path=/; Secure`, then `HttpOnly`. `Domain` and `Secure` appear only in HTTPS
    /// mode ([`Origins::cookie_domain`]).
    pub(crate) fn render(&self, origins: &Origins) -> String {
        let sep = match self.scope {
            CookieScope::ICloud => ";",
            CookieScope::Idmsa | CookieScope::Apple => "; ",
        };
        let mut parts = vec![format!("{}={}", self.name, self.value)];
        if let Some(age) = self.max_age {
            parts.push(format!(
                "Expires={}",
                cookie_date(OffsetDateTime::now_utc() + age)
            ));
        }
        let path = "Path=/".to_owned();
        match origins.cookie_domain(self.scope) {
            None => parts.push(path),
            Some(domain) => {
                let domain = format!("Domain={domain}");
                if self.scope == CookieScope::ICloud {
                    parts.extend([path, domain]);
                } else {
                    parts.extend([domain, path]);
                }
                parts.push("Secure".to_owned());
            }
        }
        if self.http_only {
            parts.push("HttpOnly".to_owned());
        }
        parts.join(sep)
    }
}

/// Formats a date the way Apple's `Expires` does: `Tue, 16-Jan-2024 02:07:19 GMT`.
pub(crate) fn cookie_date(t: OffsetDateTime) -> String {
    let fmt = format_description!(
        "[weekday repr:short], [day]-[month repr:short]-[year] [hour]:[minute]:[second] GMT"
    );
    t.format(fmt)
        .unwrap_or_else(|_| "Thu, 01-Jan-2099 00:00:00 GMT".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_lookup_keeps_quotes() {
        let req = Req {
            headers: vec![(
                "cookie".into(),
                "a=1; X-APPLE-WEBAUTH-TOKEN=\"v=2:t=AB==~~\"; b=2".into(),
            )],
            ..Req::default()
        };
        assert_eq!(
            req.cookie("X-APPLE-WEBAUTH-TOKEN"),
            Some("\"v=2:t=AB==~~\"")
        );
        assert_eq!(req.cookie("b"), Some("2"));
        assert_eq!(req.cookie("c"), None);
    }

    #[test]
    fn query_is_decoded() {
        let req = Req {
            query: Some("account=jdoe%40gmail.com&x".into()),
            ..Req::default()
        };
        assert_eq!(
            req.query_param("account").as_deref(),
            Some("jdoe@gmail.com")
        );
        assert_eq!(req.query_param("x").as_deref(), Some(""));
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%41%4a+b"), "AJ b");
    }

    fn addr() -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], 1))
    }

    #[test]
    fn cookie_rendering() {
        let plain = Origins::plain(addr());
        let c = Cookie::setup("N", "\"v\"", Some(Duration::from_secs(60)));
        let s = c.render(&plain);
        assert!(s.starts_with("N=\"v\";Expires="), "{s}");
        assert!(s.ends_with(" GMT;Path=/;HttpOnly"), "{s}");
        assert_eq!(
            Cookie::idmsa("aasp", "x").render(&plain),
            "aasp=x; Path=/; HttpOnly"
        );
        assert_eq!(
            Cookie::apple("site", "USA").render(&plain),
            "site=USA; Path=/; HttpOnly"
        );
        let d = cookie_date(time::macros::datetime!(2024-01-16 02:07:19 UTC));
        assert_eq!(d, "Tue, 16-Jan-2024 02:07:19 GMT");
    }

    #[test]
    fn cookie_rendering_under_apple_host_names() {
        let apple = Origins::apple(addr());
        let c = Cookie::setup("N", "\"v\"", Some(Duration::from_secs(60)));
        let s = c.render(&apple);
        assert!(s.starts_with("N=\"v\";Expires="), "{s}");
        assert!(
            s.ends_with(" GMT;Path=/;Domain=.icloud.com;Secure;HttpOnly"),
            "{s}"
        );
        let mut session = Cookie::setup("X-APPLE-WEBAUTH-VALIDATE", "\"v\"", None);
        session.http_only = false;
        assert_eq!(
            session.render(&apple),
            "X-APPLE-WEBAUTH-VALIDATE=\"v\";Path=/;Domain=.icloud.com;Secure"
        );
        assert_eq!(
            Cookie::idmsa("aasp", "x").render(&apple),
            "aasp=x; Domain=idmsa.apple.com; Path=/; Secure; HttpOnly"
        );
        assert_eq!(
            Cookie::apple("dslang", "US-EN").render(&apple),
            "dslang=US-EN; Domain=apple.com; Path=/; Secure; HttpOnly"
        );
        let cn = apple.at(Some("idmsa.apple.com.cn"));
        assert_eq!(
            Cookie::idmsa("aasp", "x").render(&cn),
            "aasp=x; Domain=idmsa.apple.com.cn; Path=/; Secure; HttpOnly"
        );
    }
}
