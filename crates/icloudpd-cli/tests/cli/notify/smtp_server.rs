//! The aiosmtpd server of `tests/python/smtp_server.py`, as a test fixture.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use super::{SMTP_PASSWORD, SMTP_USER};

/// One message as the SMTP server received it.
#[derive(Debug)]
pub(crate) struct Mail {
    /// The envelope sender (`MAIL FROM`).
    pub(crate) mail_from: String,
    /// The envelope recipients (`RCPT TO`).
    pub(crate) rcpt_tos: Vec<String>,
    /// The message as received: CRLF line ends, dot-stuffing undone, ending with CRLF.
    pub(crate) data: String,
    /// Whether the session had switched to TLS (STARTTLS) before the message.
    pub(crate) tls: bool,
    /// The AUTH user name, if the client authenticated.
    pub(crate) auth_login: Option<String>,
}

/// `tests/python/smtp_server.py` running on a loopback port: STARTTLS with a self-signed
/// certificate for `localhost`, AUTH PLAIN/LOGIN for `SMTP_USER`/`SMTP_PASSWORD`.
pub(crate) struct SmtpServer {
    child: Child,
    port: u16,
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<String>>,
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts the server (Python from the test venv; panics with instructions without it).
    pub(crate) fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/smtp_server.py");
        let mut child = Command::new(crate::python::python())
            .arg(&script)
            .arg("--cert")
            .arg(&cert)
            .args(["--username", SMTP_USER, "--password", SMTP_PASSWORD])
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        let _ = stdout.read_line(&mut first);
        let Ok(port) = first.trim().parse() else {
            let _ = child.kill();
            let _ = child.wait();
            let text = stderr.join().unwrap_or_default();
            panic!("the SMTP server did not start (first line {first:?}):\n{text}");
        };
        SmtpServer {
            child,
            port,
            stdout,
            stderr: Some(stderr),
            cert,
            _dir: dir,
        }
    }

    /// Points icloudpd at this server, trusting its certificate (only it) through
    /// `SSL_CERT_FILE`.
    pub(crate) fn point_at(&self, cmd: &mut Command) {
        cmd.args(["--smtp-host", "localhost"])
            .args(["--smtp-port", &self.port.to_string()])
            .env("SSL_CERT_FILE", &self.cert)
            .env_remove("SSL_CERT_DIR");
    }

    /// Stops the server and returns the messages it received.
    pub(crate) fn finish(mut self) -> Vec<Mail> {
        drop(self.child.stdin.take());
        let mut text = String::new();
        let _ = self.stdout.read_to_string(&mut text);
        let status = self.child.wait().unwrap();
        let stderr = self.stderr.take().unwrap().join().unwrap_or_default();
        assert!(
            status.success(),
            "the SMTP server failed ({status}):\n{stderr}"
        );
        text.lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("bad line from the SMTP server {line:?}: {e}"));
                let text = |key: &str| v[key].as_str().map(str::to_owned);
                Mail {
                    mail_from: text("mail_from").unwrap_or_default(),
                    rcpt_tos: v["rcpt_tos"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r.as_str().map(str::to_owned))
                        .collect(),
                    data: text("data").unwrap_or_default(),
                    tls: v["tls"].as_bool().unwrap_or(false),
                    auth_login: text("auth_login"),
                }
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // Only after a failed assertion: `finish` has already reaped it otherwise.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
