//! A running `icloudpd` whose output is read while it runs, and a plain HTTP/1.1 client for
//! its web UI (std only, so the test talks to the server the way any tool would).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
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

    /// Waits for a line containing `needle` and returns it; panics with everything seen so far
    /// when it does not come.
    pub fn wait_for(&mut self, needle: &str) -> String {
        self.wait_for_nth(needle, 1)
    }

    /// Waits for the `n`th line (from the start) containing `needle` and returns it.
    pub fn wait_for_nth(&mut self, needle: &str, n: usize) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut found = self.seen.iter().filter(|l| l.contains(needle));
        if let Some(line) = found.nth(n - 1) {
            return line.clone();
        }
        let mut count = self.seen.iter().filter(|l| l.contains(needle)).count();
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

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one request as a script would (`Accept: */*`, like curl); returns the status code and
/// the body.
pub fn http(addr: SocketAddr, method: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    request(addr, method, path, form, "*/*")
}

/// `GET /status` as JSON.
pub fn status(addr: SocketAddr) -> serde_json::Value {
    let (code, body) = request(addr, "GET", "/status", &[], "application/json");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Polls `GET /status` until its `status` is `wanted`; returns that status document.
pub fn wait_status(addr: SocketAddr, wanted: &str) -> serde_json::Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let s = status(addr);
        if s["status"] == wanted {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "status never became {wanted}: {s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
    accept: &str,
) -> (u16, String) {
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut stream = TcpStream::connect(addr).expect("the web UI accepts connections");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let reply = String::from_utf8_lossy(&reply);
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (code, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
