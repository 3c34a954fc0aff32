//! The loopback HTTP server: builder, lifecycle (own thread + runtime), routing, recording,
//! faults and panic detection.

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use tokio::sync::oneshot;

use crate::account::FakeAccount;
use crate::faults::{Fault, Faults};
use crate::http::{Reply, Req};
use crate::state::State;
use crate::{idmsa, setup};

/// Largest request body accepted.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// One request the fake has answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Method, upper case (`POST`).
    pub method: String,
    /// Path without the query (`/appleauth/auth/signin/init`).
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Status the fake answered.
    pub status: u16,
    /// Request headers in arrival order, names lower case.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// Returns the first request header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Callback invoked after every answered request.
type Hook = Arc<dyn Fn(&RecordedRequest) + Send + Sync>;

/// Everything the handlers and the test handle share.
struct Shared {
    state: Mutex<State>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<RecordedRequest>>,
    panicked: AtomicBool,
    hook: Option<Hook>,
}

/// Locks a mutex, ignoring poisoning (a panicking handler is reported separately).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Builds a [`FakeICloud`]: accounts, initial faults and port.
#[must_use]
pub struct FakeICloudBuilder {
    accounts: Vec<FakeAccount>,
    faults: Vec<Fault>,
    port: u16,
    hook: Option<Hook>,
}

impl fmt::Debug for FakeICloudBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeICloudBuilder")
            .field("accounts", &self.accounts)
            .field("faults", &self.faults)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl FakeICloudBuilder {
    /// Adds an account (default: none; every sign-in then fails with a wrong password).
    pub fn account(mut self, account: FakeAccount) -> Self {
        self.accounts.push(account);
        self
    }

    /// Adds a fault active from the first request (default: none).
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Chooses the port on 127.0.0.1 (default 0 = an ephemeral port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Calls `hook` after every answered request (default: none). The binary uses it to log.
    pub fn on_request(mut self, hook: impl Fn(&RecordedRequest) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Binds 127.0.0.1 and starts serving on a thread with its own Tokio runtime, so it works
    /// from plain tests, async tests and binaries alike.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the port or starting the runtime.
    pub fn start(self) -> io::Result<FakeICloud> {
        let listener = StdListener::bind(("127.0.0.1", self.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let mut state = State::new(self.accounts);
        state.base_url = format!("http://{addr}");
        let mut faults = Faults::default();
        for fault in self.faults {
            faults.add(fault);
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            faults: Mutex::new(faults),
            requests: Mutex::new(Vec::new()),
            panicked: AtomicBool::new(false),
            hook: self.hook,
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let app = Router::new()
            .fallback(serve_one)
            .with_state(Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name(format!("icloud-fake-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = stop_rx => {}
                    }
                });
                // Dropping the runtime here cancels connection tasks still held open by clients.
            })?;
        Ok(FakeICloud {
            addr,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

/// A running fake of Apple's iCloud sign-in servers (idmsa + setup) on loopback HTTP.
///
/// Dropping it stops the server; the drop panics (unless the thread is already panicking) if a
/// handler panicked while serving, so bugs in the fake cannot hide behind a client's retry.
pub struct FakeICloud {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakeICloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeICloud")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl FakeICloud {
    /// Returns a builder with no accounts and no faults.
    pub fn builder() -> FakeICloudBuilder {
        FakeICloudBuilder {
            accounts: Vec::new(),
            faults: Vec::new(),
            port: 0,
            hook: None,
        }
    }

    /// Returns `http://127.0.0.1:PORT`. idmsa lives under `/appleauth/auth/…`, setup under
    /// `/setup/ws/1/…`, and the same origin stands in for the home page and the webservices.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the pending 2FA/2SA code of `apple_id` (case-insensitive), or `None` if no code
    /// has been delivered (or the last one was used).
    pub fn current_code(&self, apple_id: &str) -> Option<String> {
        lock(&self.shared.state).current_code(apple_id)
    }

    /// Returns every request answered so far, in order (test routes excluded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Returns how many `method` requests had a path ending with `path`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.ends_with(path))
            .count()
    }

    /// Invalidates every web session (`X-APPLE-WEBAUTH-TOKEN`) and session token: `validate`
    /// and `accountLogin` with old values then answer 421.
    pub fn expire_web_sessions(&self) {
        lock(&self.shared.state).expire_web_sessions();
    }

    /// Invalidates every trust token: the next `signin/complete` answers 409 again.
    pub fn expire_trust_tokens(&self) {
        lock(&self.shared.state).expire_trust_tokens();
    }

    /// Adds a fault from now on.
    pub fn set_fault(&self, fault: Fault) {
        lock(&self.shared.faults).add(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }
}

impl Drop for FakeICloud {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if self.shared.panicked.load(Ordering::SeqCst) && !std::thread::panicking() {
            panic!("icloud-fake: a request handler panicked (see the panic message above)");
        }
    }
}

/// The single axum handler: read the request fully, answer it synchronously, record it.
async fn serve_one(AxumState(shared): AxumState<Arc<Shared>>, request: Request) -> Response {
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
        headers,
        body,
    };
    let reply = match catch_unwind(AssertUnwindSafe(|| dispatch(&shared, &req))) {
        Ok(reply) => reply,
        Err(_) => {
            shared.panicked.store(true, Ordering::SeqCst);
            Reply::body(500, "text/plain", "icloud-fake handler panicked")
        }
    };
    to_response(reply)
}

/// Routes a request, applying faults and recording it (test routes bypass both).
fn dispatch(shared: &Shared, req: &Req) -> Reply {
    if req.path.starts_with("/__fake/") {
        return test_route(shared, req);
    }
    let faulted = lock(&shared.faults).apply(&req.path);
    let reply = faulted.unwrap_or_else(|| route(&mut lock(&shared.state), req));
    let record = RecordedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        status: reply.status,
        headers: req.headers.clone(),
    };
    lock(&shared.requests).push(record.clone());
    if let Some(hook) = &shared.hook {
        hook(&record);
    }
    reply
}

/// Picks the service by path prefix.
fn route(state: &mut State, req: &Req) -> Reply {
    if let Some(rest) = req.path.strip_prefix("/appleauth/auth") {
        if rest.is_empty() || rest.starts_with('/') {
            return idmsa::handle(state, req, rest);
        }
    }
    if let Some(rest) = req.path.strip_prefix("/setup/ws/1/") {
        return setup::handle(state, req, rest);
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

/// Converts a [`Reply`] into an axum response.
fn to_response(reply: Reply) -> Response {
    let mut response = Response::new(Body::from(reply.body));
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;

    fn get(fake: &FakeICloud, path: &str) -> String {
        let mut stream = TcpStream::connect(fake.addr).expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("write");
        let mut out = String::new();
        stream.read_to_string(&mut out).expect("read");
        out
    }

    #[test]
    fn drop_panics_after_a_handler_panic() {
        let fake = FakeICloud::builder().start().expect("start");
        assert!(get(&fake, "/__fake/panic").starts_with("HTTP/1.1 500"));
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(fake)));
        assert!(dropped.is_err(), "drop must report the handler panic");
    }

    #[test]
    fn drop_is_quiet_otherwise_and_home_answers() {
        let fake = FakeICloud::builder().start().expect("start");
        assert!(get(&fake, "/").starts_with("HTTP/1.1 200"));
        assert!(get(&fake, "/nowhere").starts_with("HTTP/1.1 404"));
        assert_eq!(fake.count("get", "/nowhere"), 1);
        drop(fake);
    }
}
