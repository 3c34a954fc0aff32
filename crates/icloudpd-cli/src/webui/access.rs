//! Who may use the web UI: the host names it answers to (against DNS rebinding), where a form
//! post comes from (against other sites' pages), and, on a network address, the token.
//!
//! The rules:
//!
//! - `Host` must name the UI. On a loopback address: `localhost`, a loopback address
//!   (`127.0.0.1`, `[::1]`, …) or a `--webui-allowed-host` name. On any other address: any IP
//!   address, `localhost`, this computer's name (and `<name>.local` for a name without a
//!   dot), or a `--webui-allowed-host` name. A rebinding page reaches the UI under *its own*
//!   domain name, which is in none of these; an IP address can never be such a name. The port
//!   is not compared: a rebinding page uses the real port anyway, while port mappings (Docker
//!   `-p 9090:8080`, SSH tunnels) change it. A request without `Host` (HTTP/1.0 tools) is no
//!   browser's and passes.
//! - A request other than `GET`/`HEAD` must come from the UI's own page: its `Origin` (without
//!   one, its `Referer`) must name the same host and port as its `Host` (or as an
//!   `X-Forwarded-Host` set by a reverse proxy). Without either header it is a tool's and
//!   passes; `Origin: null` does not.
//! - With a token, every request must carry it: `?token=` in the URL, the cookie set in answer
//!   to that (`HttpOnly; SameSite=Strict`, so the page's links, forms and scripts carry it
//!   without seeing it), or `Authorization: Bearer`. It is compared in constant time (of
//!   SHA-256 digests, so the length does not show either).

use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN, REFERER};
use axum::http::{HeaderMap, Uri};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use icloud_auth::{ExposeSecret, SecretString};
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

/// Random bytes in a generated token (256 bits).
const TOKEN_BYTES: usize = 32;
/// Bounds of a token given by the user, in characters.
const TOKEN_MIN: usize = 16;
const TOKEN_MAX: usize = 256;

/// Returns a new random token: 256 bits from the operating system, URL-safe base64 (43
/// characters).
pub(super) fn generate_token() -> SecretString {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
}

/// Checks a token given by the user: 16 to 256 characters that need no escaping in a URL or a
/// cookie (`A-Z a-z 0-9 - . _ ~`). The error says what is wrong, never the token.
pub fn check_token(token: &str) -> Result<(), String> {
    let length = token.chars().count();
    if !(TOKEN_MIN..=TOKEN_MAX).contains(&length) {
        return Err(format!(
            "the web UI token must have {TOKEN_MIN} to {TOKEN_MAX} characters (it has {length})"
        ));
    }
    let url_safe = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if !token.bytes().all(url_safe) {
        return Err(
            "the web UI token may only contain the letters A-Z and a-z, digits, and - . _ ~"
                .to_owned(),
        );
    }
    Ok(())
}

/// How a request showed the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shown {
    /// In the cookie or an `Authorization` header: nothing more to do.
    Kept,
    /// In the URL (`?token=`): the answer sets the cookie.
    InUrl,
}

/// The access rules of one web UI.
#[derive(Debug)]
pub(super) struct Access {
    /// Listening on a loopback address only.
    loopback: bool,
    /// Names accepted in `Host` besides IP addresses and `localhost` (lowercase, no trailing
    /// dot).
    names: Vec<String>,
    /// SHA-256 of the token, when one is needed.
    token: Option<[u8; 32]>,
    /// The cookie's name: `icloudpd-webui-<port>`, as cookies do not tell ports apart.
    cookie: String,
}

impl Access {
    /// Returns the rules of a UI listening on a loopback address (`loopback`) or not, on
    /// `port`, answering to `names` besides IP addresses and `localhost`, and asking for
    /// `token` if any.
    pub(super) fn new(
        loopback: bool,
        port: u16,
        names: Vec<String>,
        token: Option<&SecretString>,
    ) -> Access {
        Access {
            loopback,
            names: names.into_iter().map(|n| normal_name(&n)).collect(),
            token: token.map(|t| digest(t.expose_secret())),
            cookie: format!("icloudpd-webui-{port}"),
        }
    }

    /// Returns whether the `Host` header names this UI (see the module docs).
    pub(super) fn host_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(host) = headers.get(HOST) else {
            return true;
        };
        let Some(name) = host.to_str().ok().and_then(host_name) else {
            return false;
        };
        let name = normal_name(name);
        if name == "localhost" || self.names.contains(&name) {
            return true;
        }
        match name.parse::<std::net::IpAddr>() {
            Ok(ip) => !self.loopback || ip.is_loopback(),
            Err(_) => false,
        }
    }

    /// Returns how the request showed the token, `None` if it did not (or a wrong one); with no
    /// token needed, [`Shown::Kept`].
    pub(super) fn token_shown(&self, uri: &Uri, headers: &HeaderMap) -> Option<Shown> {
        if self.token.is_none() {
            return Some(Shown::Kept);
        }
        let matches = |candidate: &str| self.matches(candidate);
        let bearer = headers
            .get_all(AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok()?.strip_prefix("Bearer "))
            .any(|t| matches(t.trim()));
        let cookie = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == self.cookie && matches(value));
        if bearer || cookie {
            return Some(Shown::Kept);
        }
        self.token_in_url(uri).map(|_| Shown::InUrl)
    }

    /// Returns the `Set-Cookie` value that keeps the token of the URL (`?token=`) for the
    /// later requests of a browser, if the URL has the right one.
    pub(super) fn cookie_for(&self, uri: &Uri) -> Option<String> {
        let token = self.token_in_url(uri)?;
        Some(format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Strict",
            self.cookie
        ))
    }

    /// Returns the right token among the `token=` parameters of the URL.
    fn token_in_url<'u>(&self, uri: &'u Uri) -> Option<&'u str> {
        uri.query()?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find_map(|(name, value)| (name == "token" && self.matches(value)).then_some(value))
    }

    /// Returns whether `candidate` is the token, in constant time.
    fn matches(&self, candidate: &str) -> bool {
        self.token
            .as_ref()
            .is_some_and(|expected| bool::from(digest(candidate).ct_eq(expected)))
    }
}

/// Returns whether a request came from a page of the host it is sent to, or from no page at
/// all (a tool sends neither `Origin` nor `Referer`).
pub(super) fn same_origin(headers: &HeaderMap) -> bool {
    let source = match (headers.get(ORIGIN), headers.get(REFERER)) {
        (Some(origin), _) => origin,
        (None, Some(referer)) => referer,
        (None, None) => return true,
    };
    let Some(authority) = source.to_str().ok().and_then(authority) else {
        return false;
    };
    [HOST.as_str(), "x-forwarded-host"]
        .into_iter()
        .filter_map(|name| headers.get(name)?.to_str().ok())
        .any(|host| host.trim().eq_ignore_ascii_case(authority))
}

/// Returns the `host[:port]` of an origin or URL (`http://host:port/path` → `host:port`).
fn authority(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    (!authority.is_empty() && !authority.contains('@')).then_some(authority)
}

/// Returns the name part of a `Host` value (`name`, `name:port`, `[v6]`, `[v6]:port`), or
/// `None` when it is malformed.
fn host_name(host: &str) -> Option<&str> {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        return (after.is_empty() || after.starts_with(':')).then_some(inside);
    }
    let name = host.rsplit_once(':').map_or(host, |(name, _port)| name);
    (!name.is_empty()).then_some(name)
}

/// Returns a host name lowercased and without a trailing dot (`NAS.local.` → `nas.local`).
fn normal_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn host(access: &Access, host: &str) -> bool {
        access.host_allowed(&with(&[("host", host)]))
    }

    #[test]
    fn a_loopback_ui_answers_loopback_names_and_the_allowed_ones() {
        let access = Access::new(true, 8080, vec!["Proxy.Example.".into()], None);
        for ok in [
            "localhost:8080",
            "LOCALHOST",
            "127.0.0.1:8080",
            "127.1.2.3",
            "[::1]:8080",
            "[::1]",
            "proxy.example",
            "proxy.example.:443",
        ] {
            assert!(host(&access, ok), "{ok}");
        }
        for refused in [
            "evil.example:8080",
            "nas.local",
            "192.168.1.2:8080",
            "[fe80::1]:80",
            "localhost.evil.example",
            "",
            "[::1",
            ":8080",
        ] {
            assert!(!host(&access, refused), "{refused}");
        }
        assert!(access.host_allowed(&HeaderMap::new()));
    }

    #[test]
    fn a_network_ui_answers_ip_addresses_localhost_and_its_names() {
        let names = vec!["nas".into(), "nas.local".into(), "photos.example".into()];
        let access = Access::new(false, 8080, names, None);
        for ok in [
            "192.168.1.5:8080",
            "10.0.0.2",
            "[fe80::1]:8080",
            "127.0.0.1:8080",
            "localhost:9090",
            "NAS:8080",
            "nas.local:8080",
            "photos.example",
        ] {
            assert!(host(&access, ok), "{ok}");
        }
        for refused in [
            "evil.example:8080",
            "nas.evil.example",
            "192.168.1.5.nip.io:8080",
            "[not-an-ip]:8080",
        ] {
            assert!(!host(&access, refused), "{refused}");
        }
    }

    #[test]
    fn origin_or_referer_must_match_the_host() {
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&with(&[host])), "a tool");
        assert!(same_origin(&with(&[
            host,
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(same_origin(&with(&[
            ("host", "photos.example"),
            ("origin", "https://Photos.Example")
        ])));
        for foreign in [
            "https://evil.example",
            "http://127.0.0.1:3000",
            "http://127.0.0.1",
            "null",
            "file://",
            "http://127.0.0.1:8080@evil.example",
        ] {
            assert!(
                !same_origin(&with(&[host, ("origin", foreign)])),
                "{foreign}"
            );
        }
        // Without Origin, the Referer tells.
        assert!(same_origin(&with(&[
            host,
            ("referer", "http://127.0.0.1:8080/status?x=1")
        ])));
        assert!(!same_origin(&with(&[
            host,
            ("referer", "http://evil.example/127.0.0.1:8080")
        ])));
        // The Origin wins over a matching Referer.
        assert!(!same_origin(&with(&[
            host,
            ("origin", "https://evil.example"),
            ("referer", "http://127.0.0.1:8080/")
        ])));
        // A reverse proxy's forwarded host.
        assert!(same_origin(&with(&[
            host,
            ("x-forwarded-host", "photos.example"),
            ("origin", "https://photos.example")
        ])));
    }

    #[test]
    fn the_token_is_taken_from_the_url_the_cookie_or_a_bearer_header() {
        let token = SecretString::from("0123456789abcdef-_.~");
        let access = Access::new(false, 8080, vec![], Some(&token));
        let uri = |u: &str| u.parse::<Uri>().unwrap();
        let none = HeaderMap::new();
        assert_eq!(access.token_shown(&uri("/"), &none), None);
        assert_eq!(
            access.token_shown(&uri("/?token=0123456789abcdef-_.~"), &none),
            Some(Shown::InUrl)
        );
        assert_eq!(
            access.token_shown(&uri("/status?after=3&token=0123456789abcdef-_.~"), &none),
            Some(Shown::InUrl)
        );
        assert_eq!(
            access
                .cookie_for(&uri("/?token=0123456789abcdef-_.~"))
                .unwrap(),
            "icloudpd-webui-8080=0123456789abcdef-_.~; Path=/; HttpOnly; SameSite=Strict"
        );
        for wrong in [
            "/?token=0123456789abcdef-_.",
            "/?token=",
            "/?tok=0123456789abcdef-_.~",
        ] {
            assert_eq!(access.token_shown(&uri(wrong), &none), None, "{wrong}");
            assert_eq!(access.cookie_for(&uri(wrong)), None, "{wrong}");
        }
        // Only the right one of several makes the cookie.
        let both = uri("/?token=wrong&token=0123456789abcdef-_.~");
        assert_eq!(access.token_shown(&both, &none), Some(Shown::InUrl));
        assert!(
            access
                .cookie_for(&both)
                .unwrap()
                .starts_with("icloudpd-webui-8080=0123")
        );
        let cookie = with(&[("cookie", "a=b; icloudpd-webui-8080=0123456789abcdef-_.~")]);
        assert_eq!(access.token_shown(&uri("/"), &cookie), Some(Shown::Kept));
        // Another instance's cookie (another port) is not ours.
        let other = with(&[("cookie", "icloudpd-webui-9090=0123456789abcdef-_.~")]);
        assert_eq!(access.token_shown(&uri("/"), &other), None);
        let bearer = with(&[("authorization", "Bearer 0123456789abcdef-_.~")]);
        assert_eq!(access.token_shown(&uri("/"), &bearer), Some(Shown::Kept));
        let basic = with(&[("authorization", "Basic 0123456789abcdef-_.~")]);
        assert_eq!(access.token_shown(&uri("/"), &basic), None);

        let open = Access::new(true, 8080, vec![], None);
        assert_eq!(open.token_shown(&uri("/"), &none), Some(Shown::Kept));
    }

    #[test]
    fn generated_tokens_are_long_random_and_pass_the_check() {
        let a = generate_token();
        let b = generate_token();
        assert_eq!(a.expose_secret().len(), 43);
        assert_ne!(a.expose_secret(), b.expose_secret());
        check_token(a.expose_secret()).unwrap();
    }

    #[test]
    fn a_given_token_must_be_long_and_url_safe() {
        check_token("abcdefghijklmnop").unwrap();
        let short = check_token("abc").unwrap_err();
        assert!(short.contains("16 to 256 characters"), "{short}");
        assert!(!short.contains("abc"), "{short}");
        for bad in [
            "abcdefghijklmnop;",
            "abcdefghijklmnop q",
            "abcdefghijklmnöp",
        ] {
            let e = check_token(bad).unwrap_err();
            assert!(e.contains("may only contain"), "{e}");
        }
        assert!(check_token(&"a".repeat(257)).is_err());
    }
}
