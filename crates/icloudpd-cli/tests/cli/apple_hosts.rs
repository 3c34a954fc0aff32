//! The real binary against a fake Apple served over TLS under Apple's real host names, with
//! Apple's cookie attributes: no endpoint overrides; the fake's CA comes in through
//! `SSL_CERT_FILE` (the system store, as behind a TLS-inspecting proxy) and the host names reach
//! it through `ICLOUD_RESOLVE` or through an `HTTPS_PROXY`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary, Fault};

use crate::notify::transcript;
use crate::{PASSWORD, USER, command, cookie_dir, run};

const CODE: &str = "123456";
const PROXY_VARS: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn https_fake(library: FakeLibrary) -> FakeICloud {
    FakeICloud::builder()
        .account(
            FakeAccount::new(USER, PASSWORD)
                .fixed_code(CODE)
                .library(library),
        )
        .https()
        .start()
        .expect("the fake starts")
}

/// Writes the fake's CA where `SSL_CERT_FILE` can name it.
fn ca_file(fake: &FakeICloud, dir: &Path) -> std::path::PathBuf {
    let path = dir.join("fake-ca.pem");
    std::fs::write(&path, fake.ca_certificate_pem().unwrap()).unwrap();
    path
}

/// `ICLOUD_RESOLVE` for every host the fake serves.
fn resolve(fake: &FakeICloud) -> String {
    fake.host_overrides()
        .iter()
        .map(|(host, addr)| format!("{host}={addr}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `icloudpd` with Apple's real endpoints (no overrides) and no proxy from our environment.
fn icloudpd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = command(None);
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd.env_remove("SSL_CERT_DIR")
        .args(["--username", USER, "--password", PASSWORD])
        .args(["--cookie-directory", &cookie_dir(&dir.join("cookies"))])
        .args(["--no-progress-bar"])
        .args(args);
    cmd
}

fn download_args(dir: &Path) -> Vec<String> {
    vec![
        "--directory".into(),
        cookie_dir(&dir.join("photos")),
        "--folder-structure".into(),
        "none".into(),
    ]
}

fn files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("photos"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn sign_in_download_restart_and_reauthentication_under_apples_names() {
    let fake = https_fake(FakeLibrary::generated(30, 5));
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&fake, dir.path());
    let args = download_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let go = |stdin: Option<&str>| {
        let mut cmd = icloudpd(dir.path(), &args);
        cmd.env("SSL_CERT_FILE", &ca)
            .env("ICLOUD_RESOLVE", resolve(&fake));
        run(cmd, stdin)
    };

    // First run: the code on stdin, everything downloaded.
    let out = go(Some(&format!("{CODE}\n")));
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let expected = fake.expected_listing(USER, "PrimarySync", None).len();
    let downloaded = files(dir.path());
    assert!(
        downloaded >= expected && expected > 0,
        "{downloaded} files\n{log}"
    );
    let hosts: Vec<String> = fake.requests().into_iter().filter_map(|r| r.host).collect();
    for host in [
        "idmsa.apple.com",
        "setup.icloud.com",
        "p61-ckdatabasews.icloud.com",
        "cvws.icloud-content.com",
    ] {
        assert!(hosts.iter().any(|h| h == host), "{host} in {hosts:?}");
    }

    // A restart: the stored cookies (Domain=.icloud.com, Secure) still open the session.
    let out = go(None);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert_eq!(
        fake.count("POST", "/signin/init"),
        1,
        "no new sign-in: {log}"
    );
    assert!(log.contains("0 downloaded"), "{log}");

    // The session expires in the middle of a full listing: signed in again without a code.
    for name in std::fs::read_dir(dir.path().join("photos")).unwrap() {
        std::fs::remove_file(name.unwrap().path()).unwrap();
    }
    fake.set_fault(Fault::expire_session_after(2));
    let out = {
        let mut full = args.clone();
        full.push("--full-scan");
        let mut cmd = icloudpd(dir.path(), &full);
        cmd.env("SSL_CERT_FILE", &ca)
            .env("ICLOUD_RESOLVE", resolve(&fake));
        run(cmd, None)
    };
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("Session error, re-authenticating..."), "{log}");
    assert_eq!(fake.count("POST", "/signin/init"), 2, "{log}");
    assert_eq!(
        fake.count("POST", "/verify/trusteddevice/securitycode"),
        1,
        "no second code: {log}"
    );
    assert!(files(dir.path()) >= expected, "{log}");
}

#[test]
fn an_unknown_ca_is_refused_and_the_reason_shown() {
    let fake = https_fake(FakeLibrary::generated(2, 1));
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-bundle.pem");
    std::fs::write(&empty, "").unwrap();
    let mut cmd = icloudpd(dir.path(), &["--auth-only"]);
    // A store that does not hold the fake's CA.
    cmd.env("SSL_CERT_FILE", &empty)
        .env("ICLOUD_RESOLVE", resolve(&fake));
    let out = run(cmd, None);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        log.contains("Cannot connect to Apple iCloud service (") && log.contains("certificate"),
        "the cause must be shown: {log}"
    );
}

#[test]
fn an_https_proxy_is_used_and_no_proxy_is_honoured() {
    let fake = https_fake(FakeLibrary::generated(2, 1));
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&fake, dir.path());

    // Through a CONNECT proxy that knows where Apple's names lead.
    let proxy = ConnectProxy::start(fake.addr());
    let mut cmd = icloudpd(dir.path(), &["--auth-only"]);
    cmd.env("SSL_CERT_FILE", &ca)
        .env("HTTPS_PROXY", format!("http://{}", proxy.addr));
    let out = run(cmd, Some(&format!("{CODE}\n")));
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let tunnels = proxy.tunnels();
    assert!(
        tunnels.contains(&"idmsa.apple.com:443".to_owned()),
        "{tunnels:?}"
    );
    assert!(
        tunnels.contains(&"setup.icloud.com:443".to_owned()),
        "{tunnels:?}"
    );

    // A proxy that is down, bypassed for Apple's domains by NO_PROXY.
    let dead = crate::free_port();
    let mut cmd = icloudpd(dir.path(), &["--auth-only"]);
    cmd.env("SSL_CERT_FILE", &ca)
        .env("ICLOUD_RESOLVE", resolve(&fake))
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{dead}"))
        .env("NO_PROXY", "apple.com,icloud.com,icloud-content.com");
    let out = run(cmd, None);
    let log = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
}

/// A minimal HTTP `CONNECT` proxy that tunnels every target to one address and records the
/// targets it was asked for.
struct ConnectProxy {
    addr: SocketAddr,
    tunnels: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let seen = tunnels.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let _ = tunnel(client, target, &seen);
                });
            }
        });
        ConnectProxy { addr, tunnels }
    }

    fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

fn tunnel(client: TcpStream, target: SocketAddr, seen: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let Some(host) = first
        .strip_prefix("CONNECT ")
        .and_then(|r| r.split(' ').next())
    else {
        return Ok(());
    };
    seen.lock().unwrap().push(host.to_owned());
    let upstream = TcpStream::connect(target)?;
    let mut answer = client.try_clone()?;
    answer.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
    let (mut up_read, mut up_write) = (upstream.try_clone()?, upstream);
    let mut down_write = client;
    let upload = std::thread::spawn(move || {
        let _ = std::io::copy(&mut reader, &mut up_write);
        let _ = up_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_read, &mut down_write);
    let _ = down_write.shutdown(std::net::Shutdown::Write);
    let _ = upload.join();
    Ok(())
}
