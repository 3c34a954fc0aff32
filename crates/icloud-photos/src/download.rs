//! Downloads: [`ByteStream`], the body of one version from a byte offset, fetched without
//! cookies from the URL Apple gave (the URL itself is the capability).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use icloud_auth::Session;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};

use crate::error::{Error, Result};

/// Returns the HTTP client for downloads: no cookie store, the session's `User-Agent`, and
/// `Origin`/`Referer` of the iCloud home page; connect and read timeouts, no total timeout.
pub(crate) fn http_client(session: &Session, timeout: Duration) -> Result<reqwest::Client> {
    let home = session.endpoints().home().trim_end_matches('/');
    let value = |v: &str| {
        HeaderValue::from_str(v)
            .map_err(|_| Error::Config("home endpoint is not a valid header value".to_owned()))
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::ORIGIN, value(home)?);
    headers.insert(header::REFERER, value(&format!("{home}/"))?);
    headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
    session
        .network()
        .configure(reqwest::Client::builder())?
        .user_agent(session.user_agent())
        .default_headers(headers)
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .build()
        .map_err(Error::transport)
}

/// `GET url` with `Range: bytes=<offset>-`.
pub(crate) async fn get(http: &reqwest::Client, url: &str, offset: u64) -> Result<ByteStream> {
    let resp = http
        .get(url)
        .header(header::RANGE, format!("bytes={offset}-"))
        .send()
        .await
        .map_err(Error::transport)?;
    let status = resp.status();
    if status == StatusCode::OK || status == StatusCode::PARTIAL_CONTENT {
        return Ok(ByteStream::new(resp));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .map(Duration::from_secs);
        return Err(Error::Throttled { retry_after });
    }
    if status.is_client_error() && status != StatusCode::RANGE_NOT_SATISFIABLE {
        // The CDN answers an expired or revoked URL with a JSON error (often just `{}`).
        let json = error_body(resp).await.is_some_and(|body| {
            body.is_empty() || serde_json::from_slice::<serde_json::Value>(&body).is_ok()
        });
        if json {
            return Err(Error::NotFound {
                what: format!(
                    "download url (expired or revoked, status {})",
                    status.as_u16()
                ),
            });
        }
    }
    Err(Error::Download {
        status: status.as_u16(),
    })
}

/// Returns the body of an error answer (empty if it broke off), or `None` if it is larger
/// than the CDN's JSON errors ever are (64 KiB: a misbehaving server or proxy; it is not read
/// further).
async fn error_body(mut resp: reqwest::Response) -> Option<Vec<u8>> {
    const LIMIT: usize = 64 * 1024;
    let mut body = Vec::new();
    loop {
        let chunk = match resp.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Some(body),
            Err(_) => return Some(Vec::new()),
        };
        if body.len() + chunk.len() > LIMIT {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
}

/// The body of a download as a `Stream` of byte chunks.
///
/// Check [`ByteStream::is_partial`] before appending to a partial file: only a 206 answer
/// continues at the requested offset; a 200 answer is the whole file.
pub struct ByteStream {
    status: u16,
    content_length: Option<u64>,
    range: Option<(u64, Option<u64>)>,
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
}

impl ByteStream {
    fn new(resp: reqwest::Response) -> ByteStream {
        let range = resp
            .headers()
            .get(header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range);
        ByteStream {
            status: resp.status().as_u16(),
            content_length: resp.content_length(),
            range,
            body: Box::pin(resp.bytes_stream()),
        }
    }

    /// Returns `true` for a 206 answer: the body starts at [`ByteStream::offset`].
    pub fn is_partial(&self) -> bool {
        self.status == 206
    }

    /// Returns the HTTP status (200 or 206).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Returns where the body starts in the file: the start of `Content-Range` for a 206
    /// answer, 0 otherwise.
    pub fn offset(&self) -> u64 {
        match self.range {
            Some((start, _)) if self.is_partial() => start,
            _ => 0,
        }
    }

    /// Returns the length of this body (`Content-Length`), if sent.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Returns the size of the whole file: the total of `Content-Range` for a 206 answer, the
    /// body length for a 200 answer.
    pub fn total_size(&self) -> Option<u64> {
        if self.is_partial() {
            self.range.and_then(|(_, total)| total)
        } else {
            self.content_length
        }
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("status", &self.status)
            .field("content_length", &self.content_length)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.body
            .poll_next_unpin(cx)
            .map(|item| item.map(|r| r.map_err(Error::transport)))
    }
}

/// Parses `bytes <start>-<end>/<total|*>` into (start, total).
pub(crate) fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (start, _end) = span.split_once('-')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start.trim().parse().ok()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(
            parse_content_range("bytes 100-1883/1884"),
            Some((100, Some(1884)))
        );
        assert_eq!(parse_content_range("bytes 0-9/*"), Some((0, None)));
        assert_eq!(parse_content_range("items 0-9/10"), None);
        assert_eq!(parse_content_range("bytes x-9/10"), None);
    }
}
