//! CloudKit calls: URLs and the common query string, retries with backoff, and the adaptive
//! gate that lowers the number of requests in flight when Apple throttles.

use std::sync::{Mutex, PoisonError};

use icloud_auth::{RetryClass, RetryPolicy, Retryable, Session};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::cloudkit::RecordsReply;
use crate::error::{Error, Result};

/// CloudKit's build numbers as icloudpd sends them.
const CLIENT_BUILD_NUMBER: &str = "2522Project44";
const CLIENT_MASTERING_NUMBER: &str = "2522B2";

/// Which CloudKit database a library lives in ([`crate::Library::database`]).
///
/// The account's own libraries live in the private database; a library someone else shared
/// with the account may live in the shared one. The database matters for change feeds: each
/// has its own ([`crate::PhotosClient::database_changes`]), and libraries of the shared
/// database have no user albums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Database {
    /// `…/production/private`: the account's own libraries (and, as observed, shared
    /// libraries the account owns or joined).
    Private,
    /// `…/production/shared`: libraries shared to this account (invitees).
    Shared,
}

impl Database {
    /// Returns the path segment, `private` or `shared`.
    pub fn as_str(self) -> &'static str {
        match self {
            Database::Private => "private",
            Database::Shared => "shared",
        }
    }
}

/// How one kind of CloudKit request is sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    /// Path below the database endpoint, e.g. `records/query`.
    pub(crate) path: &'static str,
    content_type: &'static str,
    with_query: bool,
    /// Whether transient failures may be retried (reads are; modifications only on throttling).
    idempotent: bool,
}

impl Call {
    pub(crate) const QUERY: Call = Call::read("records/query");
    pub(crate) const BATCH: Call = Call::read("internal/records/query/batch");
    pub(crate) const CHANGES_DATABASE: Call = Call::read("changes/database");
    pub(crate) const CHANGES_ZONE: Call = Call::read("changes/zone");
    pub(crate) const LOOKUP: Call = Call::read("records/lookup");
    pub(crate) const ZONES: Call = Call {
        with_query: false,
        ..Call::read("zones/list")
    };
    pub(crate) const MODIFY: Call = Call {
        path: "records/modify",
        content_type: "application/json",
        with_query: true,
        idempotent: false,
    };

    const fn read(path: &'static str) -> Call {
        Call {
            path,
            content_type: "text/plain",
            with_query: true,
            idempotent: true,
        }
    }
}

/// The CloudKit database of `com.apple.photos.cloud` for one session.
#[derive(Debug)]
pub(crate) struct CloudKit {
    session: Session,
    root: String,
    params: String,
    retry: RetryPolicy,
    gate: Gate,
}

impl CloudKit {
    pub(crate) fn new(
        session: Session,
        service_root: &str,
        retry: RetryPolicy,
        max: usize,
    ) -> Self {
        let params = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("clientBuildNumber", CLIENT_BUILD_NUMBER)
            .append_pair("clientMasteringNumber", CLIENT_MASTERING_NUMBER)
            .append_pair("clientId", &session.client_id())
            .append_pair("dsid", session.account().dsid())
            .append_pair("remapEnums", "True")
            .append_pair("getCurrentSyncToken", "True")
            .finish();
        CloudKit {
            root: format!(
                "{}/database/1/com.apple.photos.cloud/production",
                service_root.trim_end_matches('/')
            ),
            session,
            params,
            retry,
            gate: Gate::new(max),
        }
    }

    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    pub(crate) fn url(&self, db: Database, call: Call) -> String {
        let mut url = format!("{}/{}/{}", self.root, db.as_str(), call.path);
        if call.with_query {
            url.push('?');
            url.push_str(&self.params);
        }
        url
    }

    /// Returns the current limit of requests in flight (lowered after throttling).
    pub(crate) fn in_flight_limit(&self) -> usize {
        self.gate.limit()
    }

    /// Sends one CloudKit request, retrying per the policy: throttling (after `Retry-After`)
    /// always, transient failures only for reads; an expired session never.
    pub(crate) async fn post(&self, db: Database, call: Call, body: &Value) -> Result<Value> {
        self.post_as(db, call, body).await
    }

    /// Like [`CloudKit::post`], reading the answer as `T` (for pages: see [`RecordsReply`]).
    pub(crate) async fn post_as<T: Answer>(
        &self,
        db: Database,
        call: Call,
        body: &Value,
    ) -> Result<T> {
        let url = self.url(db, call);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let permit = self.gate.acquire().await;
            let reply = self
                .session
                .post_json_into::<T>(&url, body, call.content_type)
                .await;
            drop(permit);
            let err = match reply
                .map_err(Error::from)
                .and_then(|v| top_level_error(call.path, v))
            {
                Ok(v) => {
                    self.gate.on_success();
                    return Ok(v);
                }
                Err(e) => e,
            };
            let class = err.retry_class();
            let throttled = matches!(class, RetryClass::Throttled { .. });
            if throttled {
                self.gate.on_throttle();
            }
            let delay = self
                .retry
                .delay(attempt, class)
                .filter(|_| call.idempotent || throttled);
            let Some(delay) = delay else {
                return Err(err);
            };
            tracing::debug!(
                endpoint = call.path,
                attempt,
                ?delay,
                error = %err,
                "cloudkit request failed, retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }
}

/// An answer of a CloudKit call, deserialized from its JSON.
pub(crate) trait Answer: DeserializeOwned {
    /// Returns the top-level `serverErrorCode` and `reason`, if the answer is an error.
    fn server_error(&self) -> Option<(&str, &str)>;
}

impl Answer for Value {
    fn server_error(&self) -> Option<(&str, &str)> {
        let code = self.get("serverErrorCode")?.as_str()?;
        Some((
            code,
            self.get("reason").and_then(Value::as_str).unwrap_or(""),
        ))
    }
}

impl Answer for RecordsReply {
    fn server_error(&self) -> Option<(&str, &str)> {
        RecordsReply::server_error(self)
    }
}

/// Turns a 200 answer carrying a top-level `serverErrorCode` into an error.
fn top_level_error<T: Answer>(endpoint: &'static str, body: T) -> Result<T> {
    match body.server_error() {
        None => Ok(body),
        Some((code, reason)) => Err(Error::from_server_code(endpoint, code, reason, None)),
    }
}

/// An adaptive limit on CloudKit requests in flight: halved on every throttling answer, raised
/// by one after as many successes in a row as the current limit (additive increase,
/// multiplicative decrease), never above the configured maximum.
#[derive(Debug)]
struct Gate {
    sem: Semaphore,
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    max: usize,
    target: usize,
    /// Permits the semaphore holds in total (in use or available).
    actual: usize,
    successes: usize,
}

impl Gate {
    fn new(max: usize) -> Gate {
        let max = max.max(1);
        Gate {
            sem: Semaphore::new(max),
            state: Mutex::new(GateState {
                max,
                target: max,
                actual: max,
                successes: 0,
            }),
        }
    }

    async fn acquire(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed; `None` would only let the request through.
        self.sem.acquire().await.ok()
    }

    fn limit(&self) -> usize {
        self.lock().target
    }

    fn on_success(&self) {
        let mut s = self.lock();
        s.successes += 1;
        if s.target < s.max && s.successes >= s.target {
            s.target += 1;
            s.successes = 0;
        }
        self.rebalance(&mut s);
    }

    fn on_throttle(&self) {
        let mut s = self.lock();
        s.target = (s.target / 2).max(1);
        s.successes = 0;
        tracing::debug!(
            limit = s.target,
            "throttled: fewer cloudkit requests in flight"
        );
        self.rebalance(&mut s);
    }

    /// Moves the semaphore's permits toward the target (permits in use are taken back as they
    /// are returned, at the next success or throttle).
    fn rebalance(&self, s: &mut GateState) {
        if s.actual > s.target {
            s.actual -= self.sem.forget_permits(s.actual - s.target);
        } else if s.actual < s.target {
            self.sem.add_permits(s.target - s.actual);
            s.actual = s.target;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gate_halves_on_throttle_and_recovers_slowly() {
        let g = Gate::new(8);
        g.on_throttle();
        assert_eq!(g.limit(), 4);
        assert_eq!(g.sem.available_permits(), 4);
        g.on_throttle();
        g.on_throttle();
        g.on_throttle();
        assert_eq!(g.limit(), 1);
        g.on_success();
        assert_eq!(g.limit(), 2);
        g.on_success();
        assert_eq!(g.limit(), 2);
        g.on_success();
        assert_eq!(g.limit(), 3);
        assert_eq!(g.sem.available_permits(), 3);
    }

    #[tokio::test]
    async fn permits_in_use_are_taken_back_later() {
        let g = Gate::new(4);
        let held: Vec<_> = [(); 4]
            .iter()
            .map(|_| g.sem.try_acquire().unwrap())
            .collect();
        g.on_throttle();
        assert_eq!(g.lock().actual, 4, "nothing available to forget yet");
        drop(held);
        g.on_throttle();
        assert_eq!(g.limit(), 1);
        assert_eq!(g.sem.available_permits(), 1);
        assert!(g.acquire().await.is_some());
    }

    #[test]
    fn top_level_codes_are_errors() {
        assert!(top_level_error("q", json!({"records": []})).is_ok());
        let e = top_level_error("q", json!({"serverErrorCode": "TRY_AGAIN_LATER"})).unwrap_err();
        assert!(matches!(e, Error::Throttled { .. }));
        let e = top_level_error(
            "q",
            json!({"serverErrorCode": "ACCESS_DENIED", "reason": "private db access disabled"}),
        )
        .unwrap_err();
        assert!(matches!(e, Error::WebAccessDisabled { .. }));
    }
}
