//! One request, from the socket to the answer: the host check, the faults' decision (latency
//! slept outside every lock), routing to the service modules, recording, panic detection, and
//! the response body (generated downloads paced by the bandwidth cap).

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State as AxumState};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use super::{BODY_LIMIT, RecordedRequest, Shared, lock};
use crate::bandwidth::{Bucket, MAX_CHUNK};
use crate::cdn::{self, Generated};
use crate::faults::{Decision, reset_prefix};
use crate::http::{Reply, Req};
use crate::state::State;
use crate::{cloudkit, idmsa, setup, sharedstreams};

/// The single axum handler: read the request fully, let the faults decide (sleeping any
/// latency outside every lock), answer it synchronously, record it.
pub(super) async fn serve_one(
    AxumState(shared): AxumState<Arc<Shared>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, BODY_LIMIT)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let req = Req {
        method: parts.method.as_str().to_ascii_uppercase(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        host: request_host(&parts),
        headers,
        body,
    };
    // A misdirected request is answered 421 without touching the faults: it is a client bug,
    // not a request that a fault should count.
    let misdirected = shared.origins.misdirected(&req);
    let mut decision = if req.path.starts_with("/__fake/") {
        Decision::default()
    } else if misdirected.is_some() {
        Decision {
            reply: misdirected,
            ..Decision::default()
        }
    } else {
        lock(&shared.faults).decide_for(&req)
    };
    let bandwidth = decision.bandwidth.take();
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let reply = match catch_unwind(AssertUnwindSafe(|| dispatch(&shared, &req, decision))) {
        Ok(reply) => reply,
        Err(_) => {
            shared.panicked.store(true, Ordering::SeqCst);
            Reply::body(500, "text/plain", "icloud-fake handler panicked")
        }
    };
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    to_response(reply, bandwidth)
}

/// Returns the host a request names: the URI's authority (HTTP/2 `:authority`, or an
/// absolute-form HTTP/1.1 target), else the `Host` header; lower case, without the port.
fn request_host(parts: &Parts) -> Option<String> {
    let host = match parts.uri.host() {
        Some(host) => host.to_owned(),
        None => {
            let header = parts.headers.get(axum::http::header::HOST)?.to_str().ok()?;
            header.parse::<Authority>().ok()?.host().to_owned()
        }
    };
    Some(host.to_ascii_lowercase())
}

/// Routes a request, applying the faults' decision and recording it (test routes bypass both).
fn dispatch(shared: &Shared, req: &Req, decision: Decision) -> Reply {
    if req.path.starts_with("/__fake/") {
        return test_route(shared, req);
    }
    if decision.expire_sessions || decision.expire_pcs {
        // Expiries happen whatever answers the request: a fault's answer too.
        let mut state = lock(&shared.state);
        if decision.expire_sessions {
            state.expire_web_sessions();
        }
        if decision.expire_pcs {
            state.expire_pcs_cookies();
        }
    }
    let mut reply = match decision.reply {
        Some(reply) => reply,
        None => {
            let mut state = lock(&shared.state);
            match decision.body {
                Some(body) => route(
                    &mut state,
                    &Req {
                        body,
                        ..req.clone()
                    },
                ),
                None => route(&mut state, req),
            }
        }
    };
    if let Some(budget) = decision.session_budget
        && reply.status < 300
    {
        let mut state = lock(&shared.state);
        state.session_uses += 1;
        if state.session_uses >= budget {
            state.expire_web_sessions();
            state.session_uses = 0;
        }
    }
    if let Some(how) = decision.misrange {
        cdn::misrange(&mut reply, how);
    }
    if let Some(g) = reply.generated.as_mut() {
        g.stall = decision.stall;
        let reset = decision.reset.map(|r| reset_prefix(r, g.end - g.start));
        g.truncate_after = match (decision.truncate, reset) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    if shared.recording || shared.hook.is_some() {
        let record = RecordedRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            host: req.host.clone(),
            status: reply.status,
            headers: req.headers.clone(),
            body: req.body.clone(),
        };
        if let Some(hook) = &shared.hook {
            hook(&record);
        }
        if shared.recording {
            lock(&shared.requests).push(record);
        }
    }
    reply
}

/// Picks the service by path prefix, with URLs and cookie domains in the region of the
/// request's host.
fn route(state: &mut State, req: &Req) -> Reply {
    state.origins = state.origins.at(req.host.as_deref());
    if state.origins.is_apple() {
        let host = req.host.clone().unwrap_or_default();
        if sharedstreams::partition_of(&host).is_some() {
            return sharedstreams::handle(state, req, &host, &req.path);
        }
    } else if let Some((host, rest)) = sharedstreams::split_path(&req.path) {
        return sharedstreams::handle(state, req, host, rest);
    }
    if let Some(rest) = req.path.strip_prefix("/appleauth/auth")
        && (rest.is_empty() || rest.starts_with('/'))
    {
        return idmsa::handle(state, req, rest);
    }
    if let Some(rest) = req.path.strip_prefix("/setup/ws/1/") {
        return setup::handle(state, req, rest);
    }
    if let Some(rest) = req.path.strip_prefix("/database/1/") {
        return cloudkit::handle(state, req, rest);
    }
    if req.path.starts_with("/B/") {
        return cdn::handle(state, req);
    }
    if req.method == "GET" && req.path == "/" {
        return Reply::body(
            200,
            "text/html; charset=UTF-8",
            "<!DOCTYPE html><html><head><title>iCloud</title></head><body></body></html>",
        );
    }
    Reply::body(404, "text/html;charset=UTF-8", "Not Found")
}

/// `GET /__fake/code?account=<apple id>`: the pending code as text, 404 if none.
fn test_route(shared: &Shared, req: &Req) -> Reply {
    if req.method == "GET" && req.path == "/__fake/code" {
        let account = req.query_param("account").unwrap_or_default();
        return match lock(&shared.state).current_code(&account) {
            Some(code) => Reply::body(200, "text/plain; charset=utf-8", code),
            None => Reply::body(404, "text/plain; charset=utf-8", "no code"),
        };
    }
    #[cfg(test)]
    if req.path == "/__fake/panic" {
        panic!("deliberate panic for the drop test");
    }
    Reply::body(404, "text/plain; charset=utf-8", "unknown test route")
}

/// Converts a [`Reply`] into an axum response; a generated body goes through `bandwidth`.
fn to_response(reply: Reply, bandwidth: Option<Arc<Bucket>>) -> Response {
    let body = match reply.generated {
        Some(g) => generated_body(*g, bandwidth),
        None => Body::from(reply.body),
    };
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.append(name, value);
        }
    }
    response
}

/// Streams a generated download body in chunks of up to 64 KiB (smaller under a bandwidth cap,
/// whose bucket every chunk waits for). A truncation ends the stream with an error once the
/// bytes before it had time to leave: hyper then drops the connection, and since
/// `Content-Length` promised more, the client sees a body error however small the body is.
fn generated_body(g: Generated, bandwidth: Option<Arc<Bucket>>) -> Body {
    /// A cut-short body this small fits in the socket buffers at once.
    const SMALL_PREFIX: u64 = 16 * 1024;
    let chunk = bandwidth.as_ref().map_or(MAX_CHUNK, |b| b.chunk());
    let limit = g
        .truncate_after
        .map_or(g.end, |t| g.start.saturating_add(t).min(g.end));
    let truncated = limit < g.end;
    let stall = g
        .stall
        .map(|(after, pause)| (g.start.saturating_add(after), pause));
    let stream = futures_util::stream::unfold((g.start, false), move |(pos, done)| {
        let bandwidth = bandwidth.clone();
        async move {
            if done {
                return None;
            }
            if let Some((at, pause)) = stall
                && pos == at
            {
                tokio::time::sleep(pause).await;
            }
            if pos >= limit {
                if truncated {
                    // hyper discards what it still buffers when a body fails: let the bytes
                    // sent so far reach the socket before the connection is torn down (a
                    // small prefix leaves at hyper's next flush, a large one may wait for the
                    // client to read).
                    let settle = if limit - g.start <= SMALL_PREFIX {
                        5
                    } else {
                        50
                    };
                    tokio::time::sleep(Duration::from_millis(settle)).await;
                    let err = io::Error::other("icloud-fake: download cut short by a fault");
                    return Some((Err(err), (pos, true)));
                }
                return None;
            }
            let mut n = chunk.min(limit - pos);
            if let Some((at, _)) = stall
                && pos < at
            {
                n = n.min(at - pos);
            }
            if let Some(bucket) = &bandwidth {
                bucket.take(n).await;
            }
            let mut buf = vec![0u8; usize::try_from(n).unwrap_or_default()];
            cdn::fill(g.seed, g.magic, pos, &mut buf);
            Some((Ok(Bytes::from(buf)), (pos + n, false)))
        }
    });
    Body::from_stream(stream)
}
