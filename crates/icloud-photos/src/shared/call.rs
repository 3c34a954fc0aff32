//! Calls to the shared albums' web service: URLs and query string, the partition redirect
//! (HTTP 330, followed once per call and remembered), status classification and retries.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use icloud_auth::{RawReply, RetryPolicy, Retryable, Session};
use serde_json::Value;

use crate::error::{Error, Result};

/// The build numbers sent as `clientBuildNumber` and `clientMasteringNumber` (CloudKit's).
const CLIENT_BUILD_NUMBER: &str = "2522Project44";
const CLIENT_MASTERING_NUMBER: &str = "2522B2";

/// The header (and JSON key) of a 330 answer naming the right partition.
const MME_HOST: &str = "X-Apple-MMe-Host";

/// The host name suffix of every partition: `pNN-sharedstreams.icloud.com`.
const PARTITION_SUFFIX: &str = "-sharedstreams.icloud.com";

/// The shared albums' service of one session.
#[derive(Debug)]
pub(crate) struct Streams {
    session: Session,
    /// `{root}/{dsid}/sharedstreams`: where account-level calls go.
    account_base: String,
    params: String,
    retry: RetryPolicy,
    /// Bases that answered 330, and where they moved to.
    moved: Mutex<HashMap<String, String>>,
}

/// What one request came back with.
enum Answer {
    Json(Value),
    /// A partition redirect naming a host (`None`: it named none).
    Moved(Option<String>),
}

impl Streams {
    /// Returns the service rooted at `root` (the `sharedstreams` webservice URL).
    pub(crate) fn new(session: Session, root: &str, retry: RetryPolicy) -> Streams {
        let dsid = session.account().dsid().to_owned();
        let params = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("clientBuildNumber", CLIENT_BUILD_NUMBER)
            .append_pair("clientMasteringNumber", CLIENT_MASTERING_NUMBER)
            .append_pair("clientId", &session.client_id())
            .append_pair("dsid", &dsid)
            .finish();
        Streams {
            account_base: format!("{}/{dsid}/sharedstreams", root.trim_end_matches('/')),
            session,
            params,
            retry,
            moved: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// Sends an account-level call (`webgetalbumslist`).
    pub(crate) async fn account(&self, endpoint: &'static str, body: &Value) -> Result<Value> {
        let base = self.account_base.clone();
        self.post(&base, endpoint, body).await
    }

    /// Sends a call of the album whose `albumlocation` is `location`.
    pub(crate) async fn album(
        &self,
        location: &str,
        endpoint: &'static str,
        body: &Value,
    ) -> Result<Value> {
        self.post(location.trim_end_matches('/'), endpoint, body)
            .await
    }

    /// Sends `body` to `{base}/{endpoint}`, following one partition redirect, retrying per the
    /// policy (every call of this service is a read).
    async fn post(&self, base: &str, endpoint: &'static str, body: &Value) -> Result<Value> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let err = match self.hop(base, endpoint, body).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let Some(delay) = self.retry.delay(attempt, err.retry_class()) else {
                return Err(err);
            };
            tracing::debug!(endpoint, attempt, ?delay, error = %err, "sharedstreams request failed, retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: the request on the base's current partition and, after a 330, once more
    /// on the partition it named (which later calls of the base then use).
    async fn hop(&self, base: &str, endpoint: &'static str, body: &Value) -> Result<Value> {
        let current = self.current(base);
        let host = match self.send(&current, endpoint, body).await? {
            Answer::Json(v) => return Ok(v),
            Answer::Moved(host) => host,
        };
        let moved = |detail: String| Error::unexpected(label(endpoint), detail);
        let host = host.ok_or_else(|| moved("partition redirect (330) without a host".into()))?;
        if !is_partition(&host) {
            return Err(moved(format!(
                "partition redirect (330) to a host that is no partition: {host}"
            )));
        }
        let next = replace_partition(&current, &host).ok_or_else(|| {
            moved("partition redirect (330) from a url without a partition host".into())
        })?;
        tracing::debug!(endpoint, host = %host, "sharedstreams partition redirect");
        self.moved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(base.to_owned(), next.clone());
        match self.send(&next, endpoint, body).await? {
            Answer::Json(v) => Ok(v),
            Answer::Moved(_) => Err(moved("a second partition redirect (330) in a row".into())),
        }
    }

    /// Returns where calls of `base` go now (after a redirect, the partition it named).
    fn current(&self, base: &str) -> String {
        let moved = self.moved.lock().unwrap_or_else(PoisonError::into_inner);
        moved.get(base).cloned().unwrap_or_else(|| base.to_owned())
    }

    async fn send(&self, base: &str, endpoint: &'static str, body: &Value) -> Result<Answer> {
        let url = format!("{base}/{endpoint}?{}", self.params);
        let raw: RawReply = self.session.post_raw(&url, body, "text/plain").await?;
        let reply = Reply {
            status: raw.status(),
            mme_host: raw.header(MME_HOST),
            retry_after: raw.header("Retry-After"),
            body: raw.body(),
        };
        classify(label(endpoint), &reply)
    }
}

/// Returns the error label of an endpoint (never a URL: album locations are capabilities).
fn label(endpoint: &'static str) -> &'static str {
    match endpoint {
        "webgetalbumslist" => "sharedstreams/webgetalbumslist",
        "webgetassetcount" => "sharedstreams/webgetassetcount",
        "webgetassets" => "sharedstreams/webgetassets",
        _ => "sharedstreams",
    }
}

/// The parts of an answer [`classify`] reads.
struct Reply<'a> {
    status: u16,
    mme_host: Option<&'a str>,
    retry_after: Option<&'a str>,
    body: &'a [u8],
}

/// Turns an answer into JSON, a redirect or an error.
fn classify(endpoint: &'static str, reply: &Reply<'_>) -> Result<Answer> {
    let status = reply.status;
    let json = || serde_json::from_slice::<Value>(reply.body).ok();
    match status {
        200..=299 => {
            let Some(value) = json().filter(Value::is_object) else {
                return Err(Error::unexpected(
                    endpoint,
                    format!("status {status} without a JSON object"),
                ));
            };
            // A client of the public API saw the redirect inside a 200 answer; honour it too.
            match mme_host(&value) {
                Some(host) => Ok(Answer::Moved(Some(host))),
                None => Ok(Answer::Json(value)),
            }
        }
        330 => {
            let host = reply
                .mme_host
                .map(str::to_owned)
                .or_else(|| json().as_ref().and_then(mme_host));
            Ok(Answer::Moved(host))
        }
        401 | 421 | 450 => Err(Error::Auth(icloud_auth::Error::SessionExpired)),
        404 => Err(Error::NotFound {
            what: format!("{endpoint} (album or service)"),
        }),
        429 => Err(Error::Throttled {
            retry_after: reply
                .retry_after
                .and_then(|v| v.trim().parse().ok())
                .map(Duration::from_secs),
        }),
        500..=599 => Err(Error::Auth(icloud_auth::Error::ServerError { status })),
        _ => Err(Error::Api {
            code: status.to_string(),
            reason: format!("{endpoint} answered status {status}"),
        }),
    }
}

/// Returns the `X-Apple-MMe-Host` member of a JSON object (any case), if it is a string.
fn mme_host(value: &Value) -> Option<String> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(MME_HOST))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
}

/// Returns `true` for `pNN-sharedstreams.icloud.com` (or its `.cn` twin), any case.
fn is_partition(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix(".cn").unwrap_or(&host);
    host.strip_prefix('p')
        .and_then(|h| h.strip_suffix(PARTITION_SUFFIX))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Returns `url` with its partition host (`pNN-sharedstreams.icloud.com`, the first one that
/// stands between `/` and `/`, `:` or the end) replaced by `host`: the scheme, port and any
/// path prefix stay (spec §9.1). `None` when `url` names no partition.
pub(crate) fn replace_partition(url: &str, host: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(i) = lower[from..].find(PARTITION_SUFFIX) {
        let at = from + i;
        let digits = lower[..at]
            .bytes()
            .rev()
            .take_while(u8::is_ascii_digit)
            .count();
        let start = at - digits;
        let mut end = at + PARTITION_SUFFIX.len();
        if lower[end..].starts_with(".cn") {
            end += 3;
        }
        let before = start >= 2 && bytes[start - 1] == b'p' && bytes[start - 2] == b'/';
        let after = end == bytes.len() || matches!(bytes[end], b'/' | b':' | b'?');
        if digits > 0 && before && after {
            return Some(format!("{}{host}{}", &url[..start - 1], &url[end..]));
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_recognised() {
        assert!(is_partition("p108-sharedstreams.icloud.com"));
        assert!(is_partition("P07-SharedStreams.iCloud.com"));
        assert!(is_partition("p7-sharedstreams.icloud.com.cn"));
        assert!(!is_partition("p-sharedstreams.icloud.com"));
        assert!(!is_partition("evil.example.com"));
        assert!(!is_partition("p1-sharedstreams.icloud.com.evil.example"));
        assert!(!is_partition("xp1-sharedstreams.icloud.com"));
    }

    #[test]
    fn only_the_partition_host_is_replaced() {
        let host = "p123-sharedstreams.icloud.com";
        assert_eq!(
            replace_partition(
                "https://p42-sharedstreams.icloud.com:443/1/sharedstreams",
                host
            ),
            Some("https://p123-sharedstreams.icloud.com:443/1/sharedstreams".into())
        );
        assert_eq!(
            replace_partition(
                "http://127.0.0.1:9/_h/p42-sharedstreams.icloud.com/T/sharedstreams",
                host
            ),
            Some("http://127.0.0.1:9/_h/p123-sharedstreams.icloud.com/T/sharedstreams".into())
        );
        assert_eq!(
            replace_partition(
                "https://p42-sharedstreams.icloud.com.cn",
                "p5-sharedstreams.icloud.com.cn"
            ),
            Some("https://p5-sharedstreams.icloud.com.cn".into())
        );
        assert_eq!(replace_partition("https://example.com/x", host), None);
        assert_eq!(
            replace_partition(
                "https://example.com/p42-sharedstreams.icloud.community/",
                host
            ),
            None
        );
    }

    #[test]
    fn redirect_hosts_are_read_in_any_case() {
        assert_eq!(
            mme_host(&serde_json::json!({"x-apple-mme-host": "p1-sharedstreams.icloud.com"})),
            Some("p1-sharedstreams.icloud.com".into())
        );
        assert_eq!(mme_host(&serde_json::json!({"albums": []})), None);
    }

    fn answer(status: u16, header: Option<&str>, body: &str) -> Result<Answer> {
        let reply = Reply {
            status,
            mme_host: header,
            retry_after: Some("7"),
            body: body.as_bytes(),
        };
        classify("sharedstreams/webgetassets", &reply)
    }

    #[test]
    fn statuses_are_classified() {
        let host = |a: Result<Answer>| match a {
            Ok(Answer::Moved(h)) => h,
            _ => Some("not a redirect".to_owned()),
        };
        let p1 = Some("p1-sharedstreams.icloud.com".to_owned());
        assert_eq!(host(answer(330, p1.as_deref(), "")), p1);
        let body = r#"{"X-Apple-MMe-Host": "p1-sharedstreams.icloud.com"}"#;
        assert_eq!(host(answer(330, None, body)), p1);
        assert_eq!(host(answer(200, None, body)), p1);
        assert_eq!(host(answer(330, None, "")), None);
        assert!(matches!(
            answer(200, None, r#"{"albums": []}"#),
            Ok(Answer::Json(_))
        ));
        for bad in ["", "[]", "<html>"] {
            let e = answer(200, None, bad).err().expect("not json");
            assert!(
                matches!(e, Error::UnexpectedResponse { .. }),
                "{bad}: {e:?}"
            );
        }
        for status in [401, 421, 450] {
            assert!(
                answer(status, None, "{}")
                    .err()
                    .expect("auth")
                    .needs_reauth()
            );
        }
        let e = answer(429, None, "{}").err().expect("throttled");
        assert!(matches!(e, Error::Throttled { retry_after: Some(d) } if d.as_secs() == 7));
        assert!(matches!(
            answer(404, None, "{}"),
            Err(Error::NotFound { .. })
        ));
        let e = answer(502, None, "").err().expect("server");
        assert_eq!(e.retry_class(), icloud_auth::RetryClass::Transient);
        let e = answer(409, None, "{}").err().expect("conflict");
        assert!(matches!(&e, Error::Api { code, .. } if code == "409"));
        assert_eq!(e.retry_class(), icloud_auth::RetryClass::Permanent);
    }
}
