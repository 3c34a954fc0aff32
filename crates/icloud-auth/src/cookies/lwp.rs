//! Python's LWP cookie file format (`http.cookiejar.LWPCookieJar`), byte for byte.

use super::date::{iso2time, time2isoz};
use super::{Cookie, is_word_char};

/// Magic first line of an LWP cookie file, as Python writes it.
const LWP_MAGIC: &str = "#LWP-Cookies-2.0";
/// Prefix of every cookie line of an LWP file.
const LWP_LINE: &str = "Set-Cookie3:";

/// The file is not an LWP cookie file (its first line is not `#LWP-Cookies-2.0`).
#[derive(Debug, thiserror::Error)]
#[error("not an lwp cookie file")]
pub(crate) struct LwpError;

/// Returns the cookies of an LWP cookie file; lines that are not cookies are skipped.
pub(crate) fn parse_lwp(text: &str) -> Result<Vec<Cookie>, LwpError> {
    let mut lines = text.lines();
    let magic = lines.next().ok_or(LwpError)?;
    if !is_lwp_magic(magic) {
        return Err(LwpError);
    }
    Ok(lines.filter_map(parse_line).flatten().collect())
}

/// Returns the LWP file text for `cookies`, byte for byte as Python's
/// `LWPCookieJar.save(ignore_discard=True, ignore_expires=True)` writes it.
pub(crate) fn to_lwp(cookies: &[Cookie]) -> String {
    let mut out = String::from(LWP_MAGIC);
    out.push('\n');
    for cookie in cookies {
        out.push_str(&line(cookie));
        out.push('\n');
    }
    out
}

/// Returns `cookie` as one `Set-Cookie3:` line, as Python's `lwp_cookie_str` does.
pub(super) fn line(cookie: &Cookie) -> String {
    let mut items: Vec<(&str, Option<String>)> = vec![
        (&cookie.name, Some(cookie.value.clone())),
        ("path", Some(cookie.path.clone())),
        ("domain", Some(cookie.domain.clone())),
    ];
    if let Some(port) = &cookie.port {
        items.push(("port", Some(port.clone())));
    }
    let flags = [
        ("path_spec", cookie.path_spec),
        ("port_spec", cookie.port_spec),
        ("domain_dot", cookie.domain_dot),
        ("secure", cookie.secure),
    ];
    items.extend(flags.iter().filter(|f| f.1).map(|f| (f.0, None)));
    // Python leaves out an expiry at the epoch (`if cookie.expires`); it is written here, or the
    // expired cookie would read back as a session cookie.
    if let Some(expires) = cookie.expires.and_then(time2isoz) {
        items.push(("expires", Some(expires)));
    }
    if cookie.discard {
        items.push(("discard", None));
    }
    for (key, value) in [
        ("comment", &cookie.comment),
        ("commenturl", &cookie.comment_url),
    ] {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            items.push((key, Some(v.clone())));
        }
    }
    // Sorted by name, as Python writes them (see `set_rest`).
    items.extend(
        cookie
            .rest
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.clone()))),
    );
    items.push(("version", Some(cookie.version.to_string())));

    let words: Vec<String> = items
        .into_iter()
        .map(|(k, v)| match v {
            None => k.to_owned(),
            Some(v) => format!("{k}={}", quote_word(&v)),
        })
        .collect();
    format!("{LWP_LINE} {}", words.join("; "))
}

/// Returns the cookies of one `Set-Cookie3:` line, as `LWPCookieJar._really_load` reads it.
pub(super) fn parse_line(line: &str) -> Option<Vec<Cookie>> {
    let body = line.strip_prefix(LWP_LINE)?.trim();
    let cookies: Vec<Cookie> = split_header_words(body)
        .into_iter()
        .filter_map(cookie_from_words)
        .collect();
    (!cookies.is_empty()).then_some(cookies)
}

/// `^#LWP-Cookies-(\d+\.\d+)`
fn is_lwp_magic(line: &str) -> bool {
    let Some(version) = line.strip_prefix("#LWP-Cookies-") else {
        return false;
    };
    let major = version.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &version[major..];
    major > 0
        && rest
            .strip_prefix('.')
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
}

/// Builds a cookie from one group of `split_header_words`, like `LWPCookieJar._really_load`.
fn cookie_from_words(words: Vec<(String, Option<String>)>) -> Option<Cookie> {
    let mut words = words.into_iter();
    let (name, value) = words.next()?;
    let mut cookie = Cookie::bare(name, value?, String::new(), String::new());
    let (mut domain, mut path, mut expires) = (None, None, None);
    for (key, value) in words {
        match key.to_ascii_lowercase().as_str() {
            "path_spec" => cookie.path_spec = true,
            "port_spec" => cookie.port_spec = true,
            "domain_dot" => cookie.domain_dot = true,
            "secure" => cookie.secure = true,
            "discard" => cookie.discard = true,
            "version" => cookie.version = value.and_then(|v| v.parse().ok()).unwrap_or(0),
            "port" => cookie.port = value,
            "path" => path = value,
            "domain" => domain = value,
            "expires" => expires = value,
            // An empty comment is none: Python does not write it.
            "comment" => cookie.comment = value.filter(|v| !v.is_empty()),
            "commenturl" => cookie.comment_url = value.filter(|v| !v.is_empty()),
            _ => set_rest(&mut cookie.rest, key, value),
        }
    }
    cookie.domain = domain?;
    cookie.path = path?;
    cookie.expires = expires.as_deref().and_then(iso2time);
    if cookie.expires.is_none() {
        cookie.discard = true;
    }
    Some(cookie)
}

/// Sets a non-standard attribute (`None` for a flag, as Python stores it). Attributes are kept
/// sorted by name, the order Python writes them in, so that a cookie read back from its line
/// is equal to the cookie written.
pub(super) fn set_rest(rest: &mut Vec<(String, String)>, key: String, value: Option<String>) {
    let value = value.unwrap_or_else(|| "None".to_owned());
    match rest.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
        Ok(at) => rest[at].1 = value,
        Err(at) => rest.insert(at, (key, value)),
    }
}

/// Python's `split_header_words` for one header value: `;`-separated `key[=value]` words,
/// `,` starting a new group, values bare or double-quoted with backslash escapes.
fn split_header_words(mut text: &str) -> Vec<Vec<(String, Option<String>)>> {
    let mut groups = Vec::new();
    let mut pairs = Vec::new();
    while !text.is_empty() {
        let trimmed = text.trim_start();
        let token_len = trimmed.find(is_token_end).unwrap_or(trimmed.len());
        if token_len > 0 {
            let name = trimmed[..token_len].to_owned();
            text = &trimmed[token_len..];
            let mut value = None;
            if let Some(after_eq) = text.trim_start().strip_prefix('=') {
                let after_eq = after_eq.trim_start();
                if let Some((quoted, rest)) = take_quoted(after_eq) {
                    value = Some(quoted);
                    text = rest;
                } else {
                    let end = after_eq
                        .find(|c: char| c == ';' || c == ',' || c.is_whitespace())
                        .unwrap_or(after_eq.len());
                    value = Some(after_eq[..end].to_owned());
                    text = &after_eq[end..];
                }
            }
            pairs.push((name, value));
        } else if let Some(rest) = trimmed.strip_prefix(',') {
            text = rest;
            if !pairs.is_empty() {
                groups.push(std::mem::take(&mut pairs));
            }
        } else {
            text = text.trim_start_matches(|c: char| c == '=' || c == ';' || c.is_whitespace());
        }
    }
    if !pairs.is_empty() {
        groups.push(pairs);
    }
    groups
}

/// Whether `c` ends a name in a header word (Python's `[^=\s;,]+`).
fn is_token_end(c: char) -> bool {
    c == '=' || c == ';' || c == ',' || c.is_whitespace()
}

/// Whether an LWP line can carry `name` as a cookie or attribute name: Python writes names as
/// they are, so one holding a separator reads back as something else.
pub(super) fn is_token(name: &str) -> bool {
    !name.is_empty() && !name.contains(is_token_end)
}

/// Reads `"…"` with backslash escapes at the start of `text`; returns the unescaped content and
/// the text after the closing quote, or `None` if `text` does not start with a complete one.
fn take_quoted(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => out.push(chars.next()?.1),
            _ => out.push(c),
        }
    }
    None
}

/// Python's `join_header_words` value rule: bare if `^\w+$`, else quoted with `"`/`\` escaped.
pub(super) fn quote_word(value: &str) -> String {
    if !value.is_empty() && value.chars().all(is_word_char) {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}
