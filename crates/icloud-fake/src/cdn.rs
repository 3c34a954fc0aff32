//! The download CDN: signed URLs, deterministic bytes generated on the fly, `Range` support.
//!
//! A URL looks like Apple's: `{cdn origin}/B/<checksum><locator>/${f}?o=…&e=<expiry>&…&ckz=<zone>&s=<sig>`.
//! The path token carries the resource's checksum and where to find it; `s` signs the token,
//! the expiry and the URL generation with a per-server secret, so tampered, expired or revoked
//! URLs answer 400 `{}` like the real CDN.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::http::{Reply, Req};
use crate::library::{Prefix, Res, mix};
use crate::state::State;

/// Bytes of the path token taken by the url-safe checksum.
const CHECKSUM_CHARS: usize = 28;

/// Returns seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Signs download URLs for one rendered response.
///
/// Made from the state by `State::signer` for each response that renders records, so all
/// URLs of one answer share one expiry (`now + url_lifetime`) and the current URL generation.
/// A URL stays valid until that expiry unless the generation is bumped
/// ([`crate::FakeICloud::expire_download_urls`]) or its asset is revised, which changes the
/// resource's checksum and so the token no longer names it.
#[derive(Debug, Clone)]
pub(crate) struct UrlSigner {
    /// The CDN's origin (`http://127.0.0.1:PORT`, or `https://cvws.icloud-content.com:PORT`).
    pub(crate) base: String,
    /// Per-server secret.
    pub(crate) secret: [u8; 16],
    /// Expiry (`e=`), seconds since the epoch.
    pub(crate) expires: u64,
    /// Current URL generation (bumped to revoke every URL).
    pub(crate) generation: u32,
}

impl UrlSigner {
    fn signature(&self, token: &str, expires: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(token.as_bytes());
        h.update(expires.to_be_bytes());
        h.update(self.generation.to_be_bytes());
        URL_SAFE_NO_PAD.encode(&h.finalize()[..12])
    }

    /// Returns the download URL of resource `r` of asset `asset` in zone `zone`.
    ///
    /// The shape is Apple's (photos.md §6.8): the literal `${f}` segment, which clients send
    /// unsubstituted, and Apple's query parameters in Apple's order. `o`, `a`, `k` and `r` are
    /// filler derived from the resource (stable across renderings, meaningless to the fake);
    /// only the path token, `e` and `s` are read back.
    pub(crate) fn url(&self, zone: u16, asset: u32, r: &Res, zone_name: &str) -> String {
        let token = token(zone, asset, r);
        let s = self.signature(&token, self.expires);
        let filler = |k: u64| URL_SAFE_NO_PAD.encode(mix(r.seed, k).to_be_bytes());
        format!(
            "{}/B/{token}/${{f}}?o={}{}&v=1&x=3&a={}&e={}&k={}&fl=&r={}-1&ckc=com.apple.photos.cloud&ckz={zone_name}&y=1&p=10&s={s}",
            self.base,
            filler(1),
            filler(2),
            filler(3),
            self.expires,
            filler(4),
            crate::library::uuid(r.seed).to_lowercase(),
        )
    }
}

/// Returns the path token of a resource: url-safe checksum + url-safe locator.
///
/// The locator (8 bytes: zone index, asset number, prefix, whether the resource sits on the
/// CPLAsset) lets the CDN find the resource without an index of every URL; the checksum in
/// front of it, as in Apple's tokens, lets [`locate`] refuse a token whose resource has since
/// been replaced.
fn token(zone: u16, asset: u32, r: &Res) -> String {
    let mut loc = [0u8; 8];
    loc[..2].copy_from_slice(&zone.to_be_bytes());
    loc[2..6].copy_from_slice(&asset.to_be_bytes());
    loc[6] = r.prefix as u8;
    loc[7] = u8::from(r.on_asset);
    format!(
        "{}{}",
        URL_SAFE.encode(r.checksum),
        URL_SAFE_NO_PAD.encode(loc)
    )
}

/// Finds the resource a `/B/<token>/…` path names (signature not checked); returns it with the
/// path token.
pub(crate) fn locate(state: &State, path: &str) -> Option<(Res, String)> {
    let rest = path.strip_prefix("/B/")?;
    let (token, last) = rest.split_once('/')?;
    let f = last.to_ascii_lowercase();
    if f != "${f}" && f != "$%7bf%7d" && f != "%24%7bf%7d" {
        return None;
    }
    if token.len() <= CHECKSUM_CHARS || !token.is_ascii() {
        return None;
    }
    let loc = URL_SAFE_NO_PAD.decode(&token[CHECKSUM_CHARS..]).ok()?;
    let loc: [u8; 8] = loc.try_into().ok()?;
    let zone = usize::from(u16::from_be_bytes([loc[0], loc[1]]));
    let asset = u32::from_be_bytes([loc[2], loc[3], loc[4], loc[5]]) as usize;
    let prefix = Prefix::ALL.get(usize::from(loc[6])).copied()?;
    let on_asset = loc[7] == 1;
    let lib = &state.zones.get(zone)?.lib;
    if asset >= lib.assets.len() {
        return None;
    }
    let res = lib
        .resources(asset)
        .into_iter()
        .find(|r| r.prefix == prefix && r.on_asset == on_asset)?;
    if URL_SAFE.encode(res.checksum) != token[..CHECKSUM_CHARS] {
        return None;
    }
    Some((res, token.to_owned()))
}

/// Writes the bytes of a resource starting at `offset` into `buf`.
///
/// Random access: byte `p` is the type's magic at `p` while that lasts, else byte `p % 8` of
/// `mix(seed, p / 8)`. Any slice can be produced without the bytes before it, which is what
/// lets ranges, resumed downloads and truncation work on a 100k-asset library without storing
/// a file.
pub(crate) fn fill(seed: u64, magic: &[u8], offset: u64, buf: &mut [u8]) {
    let mut word_index = u64::MAX;
    let mut word = [0u8; 8];
    for (k, b) in buf.iter_mut().enumerate() {
        let p = offset + k as u64;
        if let Some(m) = usize::try_from(p).ok().and_then(|p| magic.get(p)) {
            *b = *m;
            continue;
        }
        if p / 8 != word_index {
            word_index = p / 8;
            word = mix(seed, word_index).to_le_bytes();
        }
        *b = word[(p % 8) as usize];
    }
}

/// Returns every byte of resource `r`: what a complete, correct download must have written
/// (behind [`crate::FakeICloud::resource_bytes`]).
pub(crate) fn bytes(r: &Res) -> Vec<u8> {
    let mut out = vec![0u8; usize::try_from(r.size).unwrap_or_default()];
    fill(r.seed, r.uti.magic(), 0, &mut out);
    out
}

/// A response body generated on the fly, outside the state lock.
///
/// [`handle`] describes the body (seed, magic and byte range); the server streams it in
/// chunks and applies the download faults recorded here: a cut after `truncate_after` bytes
/// (the connection closes short of the promised `Content-Length`) and a silence of the given
/// length after `stall.0` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generated {
    /// Byte seed.
    pub(crate) seed: u64,
    /// Leading magic bytes.
    pub(crate) magic: &'static [u8],
    /// First byte offset.
    pub(crate) start: u64,
    /// One past the last byte offset.
    pub(crate) end: u64,
    /// Close the connection after this many body bytes (`Content-Length` still promises all).
    pub(crate) truncate_after: Option<u64>,
    /// Fall silent for the duration after this many body bytes.
    pub(crate) stall: Option<(u64, std::time::Duration)>,
}

/// The CDN's error answer: 400, JSON `{}`.
pub(crate) fn error(status: u16) -> Reply {
    Reply::body(status, "application/json", "{}")
}

/// Parses `Range: bytes=…` against `size`: `Ok(None)` = whole file, `Err(())` = unsatisfiable.
fn range(header: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    let Some((a, b)) = spec
        .split(',')
        .next()
        .and_then(|r| r.trim().split_once('-'))
    else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(s), Ok(e)) => (s, e.saturating_add(1).min(size)),
        (Ok(s), Err(_)) if b.is_empty() => (s, size),
        (Err(_), Ok(n)) if a.is_empty() => (size.saturating_sub(n), size),
        _ => return Ok(None),
    };
    if start >= size || start >= end {
        return Err(());
    }
    if start == 0 && end == size {
        return Ok(None);
    }
    Ok(Some((start, end)))
}

/// Returns whether a `Range` header asks for bytes from a non-zero offset (`bytes=N-…`, N > 0),
/// as a resumed download does.
pub(crate) fn resumes(header: Option<&str>) -> bool {
    header
        .and_then(|h| h.trim().strip_prefix("bytes="))
        .and_then(|spec| spec.split(',').next())
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, _)| a.trim().parse::<u64>().ok())
        .is_some_and(|start| start > 0)
}

/// How a server that misbehaves with ranges answers one ([`crate::Fault::IgnoreRange`],
/// [`crate::Fault::WrongRange`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Misrange {
    /// `200` with the whole file.
    Whole,
    /// `206` with as many bytes as asked, but from byte 0.
    FromStart,
}

/// Rewrites a `206` answer of [`handle`] as `how` says; any other answer is left alone.
pub(crate) fn misrange(reply: &mut Reply, how: Misrange) {
    if reply.status != 206 {
        return;
    }
    let parsed = reply
        .get_header("Content-Range")
        .and_then(|v| v.strip_prefix("bytes "))
        .and_then(|v| v.split_once('/'))
        .and_then(|(r, size)| Some((r.split_once('-')?, size.parse::<u64>().ok()?)))
        .and_then(|((a, b), size)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?, size)));
    let Some((first, last, size)) = parsed else {
        return;
    };
    let len = last.saturating_sub(first) + 1;
    reply.headers.retain(|(name, _)| {
        !name.eq_ignore_ascii_case("Content-Range") && !name.eq_ignore_ascii_case("Content-Length")
    });
    let end = match how {
        Misrange::Whole => {
            reply.status = 200;
            size
        }
        Misrange::FromStart => {
            let range = format!("bytes 0-{}/{size}", len - 1);
            reply.headers.push(("Content-Range".to_owned(), range));
            len
        }
    };
    reply
        .headers
        .push(("Content-Length".to_owned(), end.to_string()));
    if let Some(g) = reply.generated.as_mut() {
        g.start = 0;
        g.end = end;
    }
}

/// `GET /B/<token>/${f}?…`: the resource's bytes (200, or 206 for a range), 400 `{}` for an
/// unknown, tampered, expired or revoked URL. No cookies needed.
///
/// As photos.md §6.8 has it: the URL is the only capability (Apple's CDN sits on another
/// domain and sees no iCloud cookies); `Range: bytes=N-` with N > 0 answers 206 with
/// `Content-Range`, while `bytes=0-` answers 200 with the whole file; a range past the end
/// answers 416 with `bytes */size`. The headers copy the recorded answer
/// (`application/octet-stream`, `Accept-Ranges`, the `${f}` `Content-Disposition`). `HEAD` gets
/// the headers without a body; other methods 405.
pub(crate) fn handle(state: &mut State, req: &Req) -> Reply {
    if req.method != "GET" && req.method != "HEAD" {
        return error(405);
    }
    let Some((r, token)) = locate(state, &req.path) else {
        return error(400);
    };
    let signer = state.signer();
    let expires = req
        .query_param("e")
        .and_then(|e| e.parse::<u64>().ok())
        .unwrap_or_default();
    let signed = req
        .query_param("s")
        .is_some_and(|s| s == signer.signature(&token, expires));
    if !signed || expires < now_secs() {
        return error(400);
    }
    let disposition = "attachment; filename=\"%24%7Bf%7D\"; filename*=UTF-8''%24%7Bf%7D";
    let reply = |status: u16| {
        Reply::empty(status)
            .header("Content-Type", "application/octet-stream")
            .header("Accept-Ranges", "bytes")
            .header("Content-Disposition", disposition)
            .header("Access-Control-Allow-Origin", "https://www.icloud.com")
    };
    let (status, start, end) = match range(req.header("range"), r.size) {
        Ok(None) => (200, 0, r.size),
        Ok(Some((s, e))) => (206, s, e),
        Err(()) => {
            return reply(416).header("Content-Range", format!("bytes */{}", r.size));
        }
    };
    let mut out = reply(status).header("Content-Length", (end - start).to_string());
    if status == 206 {
        out = out.header(
            "Content-Range",
            format!("bytes {start}-{}/{}", end - 1, r.size),
        );
    }
    if req.method == "GET" {
        out.generated = Some(Box::new(Generated {
            seed: r.seed,
            magic: r.uti.magic(),
            start,
            end,
            truncate_after: None,
            stall: None,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_is_random_access() {
        let magic = b"MAGIC";
        let mut all = vec![0u8; 100];
        fill(9, magic, 0, &mut all);
        assert_eq!(&all[..5], magic);
        let mut part = vec![0u8; 50];
        fill(9, magic, 37, &mut part);
        assert_eq!(part, all[37..87]);
        let mut other = vec![0u8; 100];
        fill(10, magic, 0, &mut other);
        assert_ne!(all, other);
    }

    #[test]
    fn ranges() {
        assert_eq!(range(None, 10), Ok(None));
        assert_eq!(range(Some("bytes=0-"), 10), Ok(None));
        assert_eq!(range(Some("bytes=4-"), 10), Ok(Some((4, 10))));
        assert_eq!(range(Some("bytes=2-5"), 10), Ok(Some((2, 6))));
        assert_eq!(range(Some("bytes=-3"), 10), Ok(Some((7, 10))));
        assert_eq!(range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(range(Some("items=1-"), 10), Ok(None));
    }

    #[test]
    fn resumed_ranges() {
        assert!(resumes(Some("bytes=1234-")));
        assert!(resumes(Some("bytes=5-9")));
        assert!(!resumes(Some("bytes=0-")));
        assert!(!resumes(Some("bytes=0-99")));
        assert!(!resumes(Some("bytes=-3")));
        assert!(!resumes(Some("items=5-")));
        assert!(!resumes(None));
    }

    fn partial(start: u64, end: u64, size: u64) -> Reply {
        let mut reply = Reply::empty(206)
            .header("Content-Length", (end - start).to_string())
            .header("Content-Range", format!("bytes {start}-{}/{size}", end - 1));
        reply.generated = Some(Box::new(Generated {
            seed: 1,
            magic: b"",
            start,
            end,
            truncate_after: None,
            stall: None,
        }));
        reply
    }

    fn span(reply: &Reply) -> Option<(u64, u64)> {
        reply.generated.as_ref().map(|g| (g.start, g.end))
    }

    #[test]
    fn an_ignored_range_sends_the_whole_file() {
        let mut reply = partial(1234, 50_000, 50_000);
        misrange(&mut reply, Misrange::Whole);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.get_header("Content-Range"), None);
        assert_eq!(reply.get_header("Content-Length"), Some("50000"));
        assert_eq!(span(&reply), Some((0, 50_000)));
    }

    #[test]
    fn a_wrong_range_starts_at_zero() {
        let mut reply = partial(1234, 50_000, 50_000);
        misrange(&mut reply, Misrange::FromStart);
        assert_eq!(reply.status, 206);
        assert_eq!(
            reply.get_header("Content-Range"),
            Some("bytes 0-48765/50000")
        );
        assert_eq!(reply.get_header("Content-Length"), Some("48766"));
        assert_eq!(span(&reply), Some((0, 48_766)));
        let ranges = |r: &Reply| {
            r.headers
                .iter()
                .filter(|(n, _)| n == "Content-Range")
                .count()
        };
        assert_eq!(ranges(&reply), 1);
    }

    #[test]
    fn other_answers_are_left_alone() {
        for how in [Misrange::Whole, Misrange::FromStart] {
            let mut whole = partial(0, 10, 10);
            whole.status = 200;
            whole.headers.retain(|(n, _)| n != "Content-Range");
            misrange(&mut whole, how);
            assert_eq!((whole.status, span(&whole)), (200, Some((0, 10))));
            let mut expired = error(400);
            misrange(&mut expired, how);
            assert_eq!(expired.status, 400);
        }
    }
}
