//! A running `icloudpd` whose output is read while it runs, and a blocking HTTP client for its
//! web UI (and for the WebDriver of `webui.rs`).

use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long any single expected line may take to appear (generous: CI machines are slow).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// An `icloudpd` process; stdout and stderr lines arrive in order of reading.
pub struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    /// Spawns `cmd` with both outputs piped.
    pub fn spawn(mut cmd: Command) -> Running {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("icloudpd starts");
        let (tx, lines) = channel();
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Returns the process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (as `docker stop` and systemd do), through the shell's `kill`.
    pub fn terminate(&self) {
        let sent = Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", self.child.id())])
            .status()
            .expect("sh runs");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Kills the process (SIGKILL on Unix: no chance to clean up) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for a line containing `needle` and returns it; panics with everything seen so far
    /// when it does not come.
    pub fn wait_for(&mut self, needle: &str) -> String {
        self.wait_for_nth(needle, 1)
    }

    /// Waits for the `n`th line (from the start) containing `needle` and returns it.
    pub fn wait_for_nth(&mut self, needle: &str, n: usize) -> String {
        let deadline = Instant::now() + PATIENCE;
        let earlier: Vec<&String> = self.seen.iter().filter(|l| l.contains(needle)).collect();
        if let Some(line) = earlier.get(n - 1) {
            return (*line).clone();
        }
        let mut count = earlier.len();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        count += 1;
                        if count == n {
                            return line;
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    let _ = self.child.kill();
                    panic!("{needle:?} never came; output:\n{}", self.seen.join("\n"));
                }
            }
        }
    }

    /// The web UI's address, from its start-up log line.
    pub fn web_addr(&mut self) -> SocketAddr {
        let line = self.wait_for("Web UI: http://");
        let url = line.split("http://").nth(1).unwrap();
        url.trim_end_matches('/').parse().expect("an address")
    }

    /// The web UI's logged address on a network address (`Web UI: http://HOST:PORT/?token=…`):
    /// where to connect (127.0.0.1 and the port), the `HOST:PORT` logged and the token.
    pub fn web_url(&mut self) -> WebUrl {
        let line = self.wait_for("Web UI: http://");
        let url = line.split("http://").nth(1).unwrap();
        let (authority, rest) = url.split_once('/').unwrap();
        let port: u16 = authority.rsplit_once(':').unwrap().1.parse().unwrap();
        WebUrl {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            host: authority.to_owned(),
            token: rest.strip_prefix("?token=").map(str::to_owned),
        }
    }

    /// Waits for the process to end; returns its exit code and all its output.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("icloudpd did not exit; output:\n{}", self.seen.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status.code(), self.seen.join("\n"))
    }
}

/// Where a web UI on a network address was logged.
pub struct WebUrl {
    /// 127.0.0.1 and the logged port.
    pub addr: SocketAddr,
    /// The logged `HOST:PORT`.
    pub host: String,
    /// The logged token, if any.
    pub token: Option<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `future` to completion on a runtime shared by the tests' HTTP clients: reqwest is
/// async, the tests are not. Any number of test threads may block on it at once.
pub fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime for the HTTP clients")
        })
        .block_on(future)
}

/// Returns the HTTP client the tests share (it sends `Accept: */*`, like curl).
pub fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

/// Calls `probe` every 50 ms until it returns something, for at most `limit`.
pub fn wait_until<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends one request as a script would, with `form` as an url-encoded body; returns the status
/// code and the body.
pub fn http(addr: SocketAddr, method: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let request = client()
        .request(method, format!("http://{addr}{path}"))
        .form(form);
    send(request)
}

/// `GET /status` as JSON.
pub fn status(addr: SocketAddr) -> serde_json::Value {
    let request = client()
        .get(format!("http://{addr}/status"))
        .header(reqwest::header::ACCEPT, "application/json");
    let (code, body) = send(request);
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Polls `GET /status` until its `status` is `wanted`; returns that status document.
pub fn wait_status(addr: SocketAddr, wanted: &str) -> serde_json::Value {
    wait_status_where(addr, &format!("the status {wanted}"), |s| {
        s["status"] == wanted
    })
}

/// Polls `GET /status` until `ready` accepts it (`what` names the wait for the failure
/// message); returns that status document.
pub fn wait_status_where(
    addr: SocketAddr,
    what: &str,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    let found = wait_until(PATIENCE, || {
        last = status(addr);
        ready(&last).then(|| last.clone())
    });
    found.unwrap_or_else(|| panic!("never {what}: {last}"))
}

fn send(request: reqwest::RequestBuilder) -> (u16, String) {
    block_on(async {
        let response = request
            .timeout(PATIENCE)
            .send()
            .await
            .expect("the web UI answers");
        let code = response.status().as_u16();
        (code, response.text().await.expect("the whole body"))
    })
}
