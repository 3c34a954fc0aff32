//! The web UI on a network address (`--webui-host 0.0.0.0`), over raw HTTP/1.1 so that every
//! header is the test's: the `Host` names it answers to, the origin of a post, the token (in
//! the URL, then the cookie, or a bearer header), and silent or slow connections that must
//! neither exhaust the server nor hold it.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use icloud_fake::{FakeAccount, FakeICloud};

use crate::live::{PATIENCE, Running, WebUrl, wait_until};
use crate::{PASSWORD, USER, command, cookie_dir, fake};

/// The name the tests reach the UI under (`--webui-allowed-host`).
const NAME: &str = "nas.local";

/// Starts `icloudpd --auth-only` waiting for a password in a web UI on 0.0.0.0; returns it and
/// its logged address.
fn start(fake: &FakeICloud, cookies: &std::path::Path) -> (Running, WebUrl) {
    let mut cmd = command(Some(fake));
    cmd.args(["-u", USER, "--auth-only", "--password-provider", "webui"])
        .args(["--webui-host", "0.0.0.0", "--webui-port", "0"])
        .args(["--webui-allowed-host", NAME])
        .args(["--cookie-directory", &cookie_dir(cookies)]);
    let mut running = Running::spawn(cmd);
    let url = running.web_url();
    (running, url)
}

/// An answer: the status code, the head (lowercase) and the body.
struct Answer {
    code: u16,
    head: String,
    body: String,
}

/// Sends `method path` with `Host: host` and `headers` (and `body` as a form) on a new
/// connection; returns the answer.
fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" {
        request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    Answer {
        code,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

/// `GET path` under the logged name with `headers`.
fn get(url: &WebUrl, path: &str, headers: &[(&str, &str)]) -> Answer {
    send(url.addr, "GET", path, &url.host, headers, "")
}

fn bearer(url: &WebUrl) -> String {
    format!("Bearer {}", url.token.as_deref().unwrap())
}

/// Waits until the JSON status says `need_password`.
fn wait_for_password_form(url: &WebUrl) {
    let auth = bearer(url);
    let asked = wait_until(PATIENCE, || {
        let answer = get(
            url,
            "/status",
            &[("Authorization", &auth), ("Accept", "application/json")],
        );
        answer.body.contains("\"need_password\"").then_some(())
    });
    assert!(asked.is_some(), "the web UI never asked for the password");
}

#[test]
fn a_network_web_ui_refuses_other_hosts_other_sites_and_requests_without_its_token() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).without_two_factor()]);
    let cookies = tempfile::tempdir().unwrap();
    let (mut running, url) = start(&fake, cookies.path());
    let token = url.token.clone().expect("a generated token is logged");
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    let port = url.addr.port();
    assert_eq!(url.host, format!("{NAME}:{port}"));
    let line = running.wait_for("Web UI: http://");
    assert_eq!(line.matches(&token).count(), 1, "{line}");

    // DNS rebinding: another name, even with the token, is refused.
    let evil = send(
        url.addr,
        "GET",
        &format!("/?token={token}"),
        &format!("evil.example:{port}"),
        &[],
        "",
    );
    assert_eq!(evil.code, 403, "{}", evil.body);
    assert!(!evil.head.contains("set-cookie"), "{}", evil.head);

    // No token, a wrong one: 401, for the page, the status and the static files alike.
    for path in ["/", "/status", "/static/app.js", "/?token=wrong"] {
        let answer = get(&url, path, &[]);
        assert_eq!(answer.code, 401, "{path}: {}", answer.body);
        assert!(answer.body.contains("?token="), "{}", answer.body);
    }
    // An IP address is a name the UI answers to; the token is still needed.
    let by_ip = send(
        url.addr,
        "GET",
        "/status",
        &format!("192.168.1.5:{port}"),
        &[],
        "",
    );
    assert_eq!(by_ip.code, 401);
    let auth = bearer(&url);
    let by_ip = send(
        url.addr,
        "GET",
        "/status",
        &format!("192.168.1.5:{port}"),
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(by_ip.code, 200, "{}", by_ip.body);

    // The address from the log: the page, and the cookie that keeps the token.
    let first = get(&url, &format!("/?token={token}"), &[]);
    assert_eq!(first.code, 200, "{}", first.body);
    let set_cookie = format!(
        "set-cookie: icloudpd-webui-{port}={}; path=/; httponly; samesite=strict",
        token.to_ascii_lowercase()
    );
    assert!(first.head.contains(&set_cookie), "{}", first.head);
    assert!(
        first
            .body
            .contains("<title>iCloud Photos Downloader</title>")
    );
    let cookie = format!("icloudpd-webui-{port}={token}");
    let later = get(&url, "/status", &[("Cookie", &cookie)]);
    assert_eq!(later.code, 200, "{}", later.body);
    assert!(!later.head.contains("set-cookie"), "{}", later.head);
    let stale = get(
        &url,
        "/status",
        &[("Cookie", &format!("icloudpd-webui-{port}=old"))],
    );
    assert_eq!(stale.code, 401);

    wait_for_password_form(&url);
    // A post from another site's page, even with the cookie: refused, nothing taken.
    let form = format!("password={PASSWORD}");
    for origin in ["http://evil.example", "null", &format!("http://{NAME}:1")] {
        let answer = send(
            url.addr,
            "POST",
            "/password",
            &url.host,
            &[("Cookie", &cookie), ("Origin", origin)],
            &form,
        );
        assert_eq!(answer.code, 403, "{origin}: {}", answer.body);
    }
    let referred = send(
        url.addr,
        "POST",
        "/password",
        &url.host,
        &[("Cookie", &cookie), ("Referer", "http://evil.example/")],
        &form,
    );
    assert_eq!(referred.code, 403, "{}", referred.body);
    // Without the token, even from the page's own origin: refused.
    let origin = format!("http://{}", url.host);
    let anonymous = send(
        url.addr,
        "POST",
        "/password",
        &url.host,
        &[("Origin", &origin)],
        &form,
    );
    assert_eq!(anonymous.code, 401);
    assert_eq!(fake.count("POST", "/signin/complete"), 0);

    // The page's own post: taken, and the sign-in completes.
    let answer = send(
        url.addr,
        "POST",
        "/password",
        &url.host,
        &[("Cookie", &cookie), ("Origin", &origin)],
        &form,
    );
    assert_eq!(answer.code, 200, "{}", answer.body);
    let (code, output) = running.finish();
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(fake.count("POST", "/signin/complete"), 1);
    assert!(!output.contains(PASSWORD), "{output}");
}

#[test]
fn a_given_token_is_read_from_a_file_and_never_logged() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).without_two_factor()]);
    let dir = tempfile::tempdir().unwrap();
    let token = "given-token-0123456789";
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let mut cmd = command(Some(&fake));
    cmd.args(["-u", USER, "--auth-only", "--password-provider", "webui"])
        .args(["--webui-host", "0.0.0.0", "--webui-port", "0"])
        .arg("--webui-token-file")
        .arg(&file)
        .args(["--cookie-directory", &cookie_dir(dir.path())]);
    let mut running = Running::spawn(cmd);
    let url = running.web_url();
    assert_eq!(url.token.as_deref(), Some("<the token you gave>"));
    assert_eq!(get(&url, "/status", &[]).code, 401);
    let answer = get(
        &url,
        "/status",
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(answer.code, 200, "{}", answer.body);
    drop(running);

    // A bad token in the file stops the start with the reason, not the token.
    std::fs::write(&file, "short\n").unwrap();
    let mut cmd = command(Some(&fake));
    cmd.args(["-u", USER, "--auth-only", "--password-provider", "webui"])
        .args(["--webui-host", "0.0.0.0", "--webui-port", "0"])
        .arg("--webui-token-file")
        .arg(&file)
        .args(["--cookie-directory", &cookie_dir(dir.path())]);
    let out = crate::run(cmd, None);
    let text = format!("{}{}", crate::stdout(&out), crate::stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Cannot start the web UI: the web UI token must have 16 to 256 characters"),
        "{text}"
    );
    assert!(!text.contains("short"), "{text}");
}

#[test]
fn silent_connections_neither_exhaust_the_web_ui_nor_delay_an_answer() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).without_two_factor()]);
    let cookies = tempfile::tempdir().unwrap();
    let (_running, url) = start(&fake, cookies.path());
    let auth = bearer(&url);
    assert_eq!(get(&url, "/status", &[("Authorization", &auth)]).code, 200);

    // Far more connections than the server serves at once, all silent.
    let silent: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(url.addr).unwrap())
        .collect();
    let started = Instant::now();
    let answer = get(&url, "/status", &[("Authorization", &auth)]);
    let took = started.elapsed();
    assert_eq!(answer.code, 200, "{}", answer.body);
    assert!(took < Duration::from_secs(5), "answered after {took:?}");

    // The oldest silent connections made room: the server closed them.
    let closed = silent
        .iter()
        .filter(|stream| {
            let mut stream: &TcpStream = stream;
            stream
                .set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
            let mut byte = [0u8; 1];
            match stream.read(&mut byte) {
                Ok(0) => true,
                Ok(_) => false,
                Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            }
        })
        .count();
    assert!(
        closed >= 100,
        "only {closed} of 200 silent connections were closed"
    );
    let again = get(&url, "/status", &[("Authorization", &auth)]);
    assert_eq!(again.code, 200);
}

#[test]
fn a_request_head_sent_byte_by_byte_is_cut_off() {
    let fake = fake([FakeAccount::new(USER, PASSWORD).without_two_factor()]);
    let cookies = tempfile::tempdir().unwrap();
    let (_running, url) = start(&fake, cookies.path());
    let head = format!(
        "GET /status HTTP/1.1\r\nHost: {}\r\nX-Slow: {}\r\n\r\n",
        url.host,
        "a".repeat(200)
    );
    let mut stream = TcpStream::connect(url.addr).unwrap();
    let started = Instant::now();
    let mut reader = stream.try_clone().unwrap();
    let closed = std::thread::spawn(move || {
        let mut answer = Vec::new();
        // Ends when the server closes the connection.
        let _ = reader.read_to_end(&mut answer);
        (started.elapsed(), answer)
    });
    // One byte every 100 ms: the head would take 25 s.
    for byte in head.bytes() {
        if stream.write_all(&[byte]).is_err() || closed.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (after, answer) = closed.join().unwrap();
    assert!(
        (Duration::from_secs(9)..Duration::from_secs(20)).contains(&after),
        "closed after {after:?}"
    );
    assert!(
        !String::from_utf8_lossy(&answer).contains("200 OK"),
        "the slow request was answered"
    );
}
