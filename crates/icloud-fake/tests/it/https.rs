//! HTTPS mode: Apple's host names through reqwest `resolve` overrides and the fake's own CA.

use std::net::SocketAddr;

use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary, Fault, WIDGET_KEY};
use reqwest::blocking::{Client as Http, ClientBuilder};
use serde_json::{Value, json};

use crate::client::Client;
use crate::paging::{list_body, of_type, smart};
use crate::{ID, PW, read_line, spawn_binary_with_stdout};

/// Returns an HTTPS fake whose one account (no 2FA) has `library` as PrimarySync.
fn https_fake(library: FakeLibrary) -> FakeICloud {
    FakeICloud::builder()
        .https()
        .account(
            FakeAccount::new(ID, PW)
                .iterations(1000)
                .without_two_factor()
                .library(library),
        )
        .start()
        .expect("fake starts")
}

/// Returns a reqwest builder that trusts only `ca_pem` and resolves `overrides`, with a
/// cookie jar and no proxy, as an end-to-end test configures the real client.
fn http_for(ca_pem: &str, overrides: &[(String, SocketAddr)]) -> ClientBuilder {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA");
    let mut builder = Http::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .cookie_store(true)
        .no_proxy();
    for (host, addr) in overrides {
        builder = builder.resolve(host, *addr);
    }
    builder
}

/// Returns a reqwest client set up for `fake`.
fn http(fake: &FakeICloud) -> Http {
    let pem = fake.ca_certificate_pem().expect("HTTPS mode has a CA");
    http_for(&pem, &fake.host_overrides())
        .build()
        .expect("client")
}

/// Returns the test client over TLS, signed in, with the web cookies in reqwest's jar.
fn signed_in(fake: &FakeICloud) -> Client {
    Client::tls(http(fake)).sign_in_fully(ID, PW)
}

#[test]
fn home_page_answers_over_h2_and_http1() {
    let fake = https_fake(FakeLibrary::new());
    assert!(fake.base_url().starts_with("https://127.0.0.1:"));
    let resp = http(&fake)
        .get("https://www.icloud.com/")
        .send()
        .expect("GET");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2, "ALPN picks h2");
    let pem = fake.ca_certificate_pem().expect("CA");
    let http1 = http_for(&pem, &fake.host_overrides())
        .http1_only()
        .build()
        .expect("client");
    let resp = http1.get("https://www.icloud.com.cn/").send().expect("GET");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    let hosts: Vec<_> = fake.requests().into_iter().map(|r| r.host).collect();
    assert_eq!(
        hosts,
        [
            Some("www.icloud.com".into()),
            Some("www.icloud.com.cn".into())
        ]
    );
}

#[test]
fn overrides_cover_apple_hosts_and_http_mode_has_none() {
    let fake = https_fake(FakeLibrary::new());
    let overrides = fake.host_overrides();
    for host in [
        "idmsa.apple.com",
        "idmsa.apple.com.cn",
        "setup.icloud.com",
        "setup.icloud.com.cn",
        "www.icloud.com",
        "www.icloud.com.cn",
        "p61-ckdatabasews.icloud.com",
        "cvws.icloud-content.com",
    ] {
        assert!(
            overrides
                .iter()
                .any(|(h, a)| h == host && *a == fake.addr()),
            "{host}"
        );
    }
    let plain = FakeICloud::builder().start().expect("start");
    assert!(plain.host_overrides().is_empty());
    assert_eq!(plain.ca_certificate_pem(), None);
    assert_eq!(plain.base_url(), format!("http://{}", plain.addr()));
}

#[test]
fn signin_init_sets_aasp_for_idmsa() {
    let fake = https_fake(FakeLibrary::new());
    let resp = http(&fake)
        .post("https://idmsa.apple.com/appleauth/auth/signin/init")
        .header("X-Apple-Widget-Key", WIDGET_KEY)
        .header("X-Apple-OAuth-Client-Id", WIDGET_KEY)
        .header("X-Apple-OAuth-State", "auth-0")
        .json(&json!({"a": "AAAA", "accountName": ID, "protocols": ["s2k", "s2k_fo"]}))
        .send()
        .expect("POST");
    assert_eq!(resp.status(), 200);
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let aasp = cookies
        .iter()
        .find(|c| c.starts_with("aasp="))
        .expect("aasp cookie");
    assert!(aasp.contains("; Domain=idmsa.apple.com; "), "{aasp}");
    assert!(aasp.contains("; Secure"), "{aasp}");
}

#[test]
fn a_request_on_the_wrong_host_gets_421() {
    let fake = https_fake(FakeLibrary::new());
    fake.set_fault(Fault::status("/validate", 503, Some(1)));
    let mut c = Client::tls(http(&fake));
    let resp = c.send(
        "POST",
        "https://idmsa.apple.com/setup/ws/1/validate",
        &[],
        Some("null"),
    );
    assert_eq!(resp.status, 421);
    assert!(resp.text().contains("setup.icloud.com"), "{}", resp.text());
    let last = fake.requests().pop().expect("recorded");
    assert_eq!(
        (last.status, last.host.as_deref()),
        (421, Some("idmsa.apple.com"))
    );
    // The misdirected request left the fault alone; the right host meets it.
    assert_eq!(c.setup("POST", "validate", None).status, 503);
    assert_eq!(c.setup("POST", "validate", None).status, 421);
    // Test routes answer on any host, the bare address included.
    let code = c.get_url(
        &format!("{}/__fake/code?account={ID}", fake.base_url()),
        &[],
    );
    assert_eq!((code.status, code.text()), (404, "no code".to_owned()));
}

#[test]
fn a_client_without_the_ca_fails_the_handshake_and_the_server_goes_on() {
    let fake = https_fake(FakeLibrary::new());
    let mut untrusting = Http::builder().use_rustls_tls().no_proxy();
    for (host, addr) in fake.host_overrides() {
        untrusting = untrusting.resolve(&host, addr);
    }
    let untrusting = untrusting.build().expect("client");
    let err = untrusting
        .get("https://www.icloud.com/")
        .send()
        .expect_err("an unknown CA must fail");
    let mut chain = format!("{err}");
    let mut source = std::error::Error::source(&err);
    while let Some(e) = source {
        chain.push_str(&format!(": {e}"));
        source = e.source();
    }
    assert!(err.is_connect(), "{chain}");
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");
    // Garbage instead of a ClientHello is dropped too.
    let mut raw = std::net::TcpStream::connect(fake.addr()).expect("connect");
    std::io::Write::write_all(&mut raw, b"GET / HTTP/1.1\r\n\r\n").expect("write");
    drop(raw);
    let ok = http(&fake).get("https://www.icloud.com/").send();
    assert_eq!(ok.expect("GET").status(), 200);
    assert_eq!(fake.requests().len(), 1, "{:?}", fake.requests());
}

#[test]
fn account_login_sets_apple_cookies_that_reach_cloudkit() {
    let fake = https_fake(FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG")));
    let mut c = Client::tls(http(&fake));
    assert_eq!(c.sign_in(ID, PW).status, 200);
    let login = c.account_login();
    assert_eq!(login.status, 200, "{}", login.text());
    let cookies = login.set_cookies();
    assert!(cookies.len() > 5, "{cookies:?}");
    for cookie in &cookies {
        assert!(
            cookie.contains(";Path=/;Domain=.icloud.com;Secure"),
            "{cookie}"
        );
    }
    let named = |name: &str| {
        cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {cookies:?}"))
            .to_string()
    };
    assert!(named("X-APPLE-WEBAUTH-TOKEN").ends_with(";Secure;HttpOnly"));
    assert!(named("X-APPLE-WEBAUTH-TOKEN").contains(";Expires="));
    assert!(named("X-APPLE-WEBAUTH-VALIDATE").ends_with(";Domain=.icloud.com;Secure"));
    assert!(named("X-APPLE-UNIQUE-CLIENT-ID").ends_with(";Domain=.icloud.com;Secure"));
    // reqwest's jar sends them to the CloudKit host, so its cookie check passes.
    let zones = c.ck("private", "zones/list", &json!({}));
    assert_eq!(zones.status, 200, "{}", zones.text());
    let validate = c.setup("POST", "validate", None);
    assert_eq!(validate.status, 200, "{}", validate.text());
}

#[test]
fn webservices_and_downloads_use_apple_hosts() {
    let fake = https_fake(FakeLibrary::new().asset(FakeAsset::live("IMG_0002.HEIC").size(70_000)));
    let port = fake.addr().port();
    let mut c = signed_in(&fake);
    assert_eq!(
        c.ck_base.as_deref(),
        Some(format!("https://p61-ckdatabasews.icloud.com:{port}").as_str())
    );
    let page = c.ck(
        "private",
        "records/query",
        &list_body("PrimarySync", &smart(None), 0, 200),
    );
    assert_eq!(page.status, 200, "{}", page.text());
    let page = page.json();
    let master = of_type(&page, "CPLMaster")[0];
    let url = master["fields"]["resOriginalRes"]["value"]["downloadURL"]
        .as_str()
        .expect("url");
    let cdn = format!("https://cvws.icloud-content.com:{port}/B/");
    assert!(url.starts_with(&cdn), "{url}");
    let expected = fake.resource_bytes(url).expect("bytes");
    assert_eq!(expected.len(), 70_000);
    let whole = c.get_url(url, &[]);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, expected);
    let part = c.get_url(url, &[("Range", "bytes=1000-".into())]);
    assert_eq!(
        (part.status, part.body.as_slice()),
        (206, &expected[1000..])
    );
    // The same URL on the CloudKit host is a client bug.
    let wrong = url.replace("cvws.icloud-content.com", "p61-ckdatabasews.icloud.com");
    assert_eq!(c.get_url(&wrong, &[]).status, 421);
}

#[test]
fn download_faults_cut_tls_bodies_over_h2_and_http1() {
    let fake = https_fake(FakeLibrary::new().asset(FakeAsset::photo("IMG_0003.JPG").size(200_000)));
    let mut c = signed_in(&fake);
    let page = c
        .ck(
            "private",
            "records/query",
            &list_body("PrimarySync", &smart(None), 0, 200),
        )
        .json();
    let url = of_type(&page, "CPLMaster")[0]["fields"]["resOriginalRes"]["value"]["downloadURL"]
        .as_str()
        .expect("url")
        .to_owned();
    let pem = fake.ca_certificate_pem().expect("CA");
    for http1 in [false, true] {
        let mut builder = http_for(&pem, &fake.host_overrides());
        if http1 {
            builder = builder.http1_only();
        }
        let client = builder.build().expect("client");
        fake.set_fault(Fault::truncate_download(5000, Some(1)));
        let cut = client.get(&url).send().expect("headers arrive");
        assert_eq!(cut.status(), 200);
        assert!(
            cut.bytes().is_err(),
            "http1 {http1}: a cut body is an error"
        );
        let whole = client.get(&url).send().expect("GET").bytes().expect("body");
        assert_eq!(whole.len(), 200_000, "http1 {http1}");
    }
}

#[test]
fn china_hosts_see_china_names() {
    let fake = https_fake(FakeLibrary::new());
    let port = fake.addr().port();
    let mut c = Client::tls(http(&fake));
    assert_eq!(c.sign_in(ID, PW).status, 200);
    let body = json!({"dsWebAuthToken": c.session_token, "extended_login": true});
    let login = c.send(
        "POST",
        "https://setup.icloud.com.cn/setup/ws/1/accountLogin",
        &[],
        Some(&body.to_string()),
    );
    assert_eq!(login.status, 200, "{}", login.text());
    let data: Value = login.json();
    assert_eq!(
        data["webservices"]["ckdatabasews"]["url"],
        format!("https://p61-ckdatabasews.icloud.com.cn:{port}")
    );
    assert_eq!(
        data["configBag"]["urls"]["accountLogin"],
        "https://setup.icloud.com.cn/setup/ws/1/accountLogin"
    );
    for cookie in login.set_cookies() {
        assert!(cookie.contains(";Domain=.icloud.com.cn;Secure"), "{cookie}");
    }
    c.ck_base = Some(format!("https://p61-ckdatabasews.icloud.com.cn:{port}"));
    assert_eq!(c.ck("private", "zones/list", &json!({})).status, 200);
}

#[test]
fn binary_serves_https_and_prints_its_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    let ca_arg = ca.to_str().expect("utf-8 path");
    let (mut child, mut stdout) = spawn_binary_with_stdout(&[
        "--https",
        "--ca-out",
        ca_arg,
        "--quiet",
        "--exit-on-stdin-close",
    ]);
    let url = read_line(&mut stdout);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let mut overrides = Vec::new();
    loop {
        let line = read_line(&mut stdout);
        if line.is_empty() {
            break;
        }
        if line.starts_with('#') {
            continue;
        }
        let (host, addr) = line.split_once(' ').expect("HOST ADDR");
        overrides.push((host.to_owned(), addr.parse::<SocketAddr>().expect("addr")));
    }
    assert!(overrides.iter().any(|(h, _)| h == "idmsa.apple.com"));
    let pem = std::fs::read_to_string(&ca).expect("CA written");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let http = http_for(&pem, &overrides).build().expect("client");
    let home = http.get("https://www.icloud.com/").send().expect("GET");
    assert_eq!(home.status(), 200);
    drop(child.stdin.take());
    assert!(child.wait().expect("exit").success());
}

#[test]
fn binary_refuses_ca_out_without_https() {
    let (mut child, _) = spawn_binary_with_stdout(&["--ca-out", "/nonexistent/ca.pem"]);
    let status = child.wait().expect("exit");
    assert_eq!(status.code(), Some(2));
}

#[test]
fn shared_albums_answer_on_their_partition_hosts() {
    let streams = icloud_fake::FakeSharedStreams::new().lives_on(108).album(
        icloud_fake::FakeSharedAlbum::owned("x")
            .partition(7)
            .generated(2, 1),
    );
    let fake = FakeICloud::builder()
        .https()
        .account(
            FakeAccount::new(ID, PW)
                .iterations(1000)
                .without_two_factor()
                .shared_albums(streams),
        )
        .start()
        .expect("fake starts");
    let hosts: Vec<String> = fake.host_overrides().into_iter().map(|(h, _)| h).collect();
    for host in [
        "p42-sharedstreams.icloud.com",
        "p108-sharedstreams.icloud.com",
        "p07-sharedstreams.icloud.com.cn",
    ] {
        assert!(hosts.iter().any(|h| h == host), "{host} in {hosts:?}");
    }
    let mut c = signed_in(&fake);
    let root = c.account_login().json()["webservices"]["sharedstreams"]["url"]
        .as_str()
        .expect("announced")
        .to_owned();
    let port = fake.addr().port();
    assert_eq!(root, format!("https://p42-sharedstreams.icloud.com:{port}"));
    let user = c.cookies["X-APPLE-WEBAUTH-USER"].clone();
    let dsid = user
        .trim_matches('"')
        .split(':')
        .find_map(|p| p.strip_prefix("d="))
        .expect("dsid")
        .to_owned();
    let list = |c: &mut Client, root: &str| {
        let url = format!("{root}/{dsid}/sharedstreams/webgetalbumslist");
        c.send("POST", &url, &[], Some("{}"))
    };
    let moved = list(&mut c, &root);
    assert_eq!(moved.status, 330);
    assert_eq!(
        moved.header("X-Apple-MMe-Host"),
        Some("p108-sharedstreams.icloud.com")
    );
    let albums = list(&mut c, &root.replace("p42-", "p108-")).json();
    let album = &albums["albums"][0];
    let location = album["albumlocation"].as_str().expect("location");
    assert!(location.starts_with(&format!("https://p07-sharedstreams.icloud.com:{port}/")));
    let body = json!({"albumguid": album["albumguid"], "offset": "0", "limit": "2"});
    let page = c.send(
        "POST",
        &format!("{location}webgetassets"),
        &[],
        Some(&body.to_string()),
    );
    assert_eq!(page.status, 200);
    let url = page.json()["records"][0]["fields"]["resOriginalRes"]["value"]["downloadURL"]
        .as_str()
        .expect("url")
        .to_owned();
    assert!(url.starts_with(&format!("https://cvws.icloud-content.com:{port}/B/")));
    let bytes = c.get_url(&url, &[]);
    assert_eq!(bytes.status, 200);
    assert_eq!(fake.resource_bytes(&url), Some(bytes.body));
}
