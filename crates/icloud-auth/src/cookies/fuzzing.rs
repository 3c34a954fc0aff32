//! The cookie parsers, for the fuzz targets (re-exported by `crate::fuzzing`).

use url::Url;

use super::{Cookie, CookieJar};

/// Parses one `Set-Cookie` header received from `url` at `now` (Unix seconds).
pub fn parse_set_cookie(header: &str, url: &Url, now: i64) -> Option<Cookie> {
    super::parse_set_cookie(header, url, now)
}

/// Parses a cookie's `Expires` date into Unix seconds.
pub fn parse_cookie_date(text: &str) -> Option<i64> {
    super::date::parse_cookie_date(text)
}

/// Parses an LWP file's `expires` date into Unix seconds.
pub fn iso2time(text: &str) -> Option<i64> {
    super::date::iso2time(text)
}

/// Formats Unix seconds as an LWP file's `expires` date.
pub fn time2isoz(unix: i64) -> Option<String> {
    super::date::time2isoz(unix)
}

/// Returns the cookies of an LWP cookie file, `None` if it is not one.
pub fn parse_lwp(text: &str) -> Option<Vec<Cookie>> {
    super::parse_lwp(text).ok()
}

/// Returns the LWP cookie file of `cookies`.
pub fn to_lwp(cookies: &[Cookie]) -> String {
    super::to_lwp(cookies)
}

/// Stores `headers`, received from `url` at `now`, in an empty jar; returns the jar's cookies
/// and the `Cookie` header it sends back to `url` at `now`.
pub fn jar(headers: &[&str], url: &Url, now: i64) -> (Vec<Cookie>, Option<String>) {
    let jar = CookieJar::default();
    for header in headers {
        jar.store_set_cookie_at(header, url, now);
    }
    (jar.snapshot(), jar.header_for_at(url, now))
}
