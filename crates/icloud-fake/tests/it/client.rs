//! A tiny blocking HTTP/1.1 client with a cookie jar, and the client half of Apple's SRP, so
//! the tests drive the fake over real sockets. Against a fake in HTTPS mode the same client
//! sends through a reqwest client instead ([`Client::tls`]), to Apple's host names.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigUint;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const WIDGET_KEY: &str = "d39ba9916b7251055b22c7f910e2ea796ee65e98b2ddecea8f5dde8d9d1a815d";

/// One parsed response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How a [`Client`] reaches the fake.
#[derive(Clone, Debug, Default)]
pub enum Transport {
    /// Raw HTTP/1.1 over TCP to `base`; the client's own jar sends every cookie.
    #[default]
    Plain,
    /// HTTPS through this reqwest client to Apple's host names (idmsa paths to
    /// `idmsa.apple.com`, setup to `setup.icloud.com`, CloudKit to the announced
    /// `ckdatabasews` URL); reqwest's own jar, if enabled, sends the cookies.
    Tls(reqwest::blocking::Client),
}

/// A client with Apple-ish session data (scnt, session id, tokens) and a cookie jar.
#[derive(Clone, Debug, Default)]
pub struct Client {
    pub base: String,
    pub transport: Transport,
    /// CloudKit's origin from the last `accountLogin` (HTTPS mode).
    pub ck_base: Option<String>,
    /// Every cookie set so far, by name (sent by the client itself only over `Plain`).
    pub cookies: BTreeMap<String, String>,
    pub scnt: Option<String>,
    pub session_id: Option<String>,
    pub session_token: Option<String>,
    pub trust_token: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Client {
            base: base.to_owned(),
            ..Client::default()
        }
    }

    /// Returns a client that sends through `http` (built for the fake's CA and host names).
    pub fn tls(http: reqwest::blocking::Client) -> Self {
        Client {
            base: "https://www.icloud.com".to_owned(),
            transport: Transport::Tls(http),
            ..Client::default()
        }
    }

    /// Sends a request to `target` (a path, or an absolute URL) and returns the response;
    /// stores cookies and Apple session headers.
    pub fn send(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Resp {
        let resp = match &self.transport {
            Transport::Plain => self.send_plain(method, target, headers, body),
            Transport::Tls(http) => send_tls(http, method, &self.url(target), headers, body),
        };
        for line in resp.set_cookies() {
            let first = line.split(';').next().unwrap_or_default();
            if let Some((k, v)) = first.split_once('=') {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let capture = |name: &str| {
            resp.header(name)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        self.scnt = capture("scnt").or(self.scnt.take());
        self.session_id = capture("X-Apple-ID-Session-Id").or(self.session_id.take());
        self.session_token = capture("X-Apple-Session-Token").or(self.session_token.take());
        self.trust_token = capture("X-Apple-TwoSV-Trust-Token").or(self.trust_token.take());
        resp
    }

    /// Returns the absolute URL of `target` over `Tls`: Apple's host for the path's service.
    fn url(&self, target: &str) -> String {
        if target.starts_with("https://") || target.starts_with("http://") {
            return target.to_owned();
        }
        let origin = if target.starts_with("/appleauth/auth") {
            "https://idmsa.apple.com"
        } else if target.starts_with("/setup/ws/1/") {
            "https://setup.icloud.com"
        } else if target.starts_with("/database/") {
            self.ck_base
                .as_deref()
                .expect("accountLogin before CloudKit")
        } else {
            &self.base
        };
        format!("{origin}{target}")
    }

    /// Sends over raw HTTP/1.1 to `base`, with this client's cookies.
    fn send_plain(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Resp {
        let path = if target.contains("://") {
            target
                .strip_prefix(&self.base)
                .unwrap_or_else(|| panic!("{target} is not on {}", self.base))
        } else {
            target
        };
        let host = self.base.trim_start_matches("http://").to_owned();
        let mut stream = TcpStream::connect(&host).expect("connect");
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        let body = body.unwrap_or("");
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        stream.write_all(req.as_bytes()).expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Resp {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    /// The §3.2 auth headers.
    pub fn auth_headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("Accept", "application/json, text/javascript".to_owned()),
            ("Content-Type", "application/json".to_owned()),
            ("X-Apple-OAuth-Client-Id", WIDGET_KEY.to_owned()),
            ("X-Apple-OAuth-Client-Type", "firstPartyAuth".to_owned()),
            (
                "X-Apple-OAuth-State",
                "auth-00000000-0000-0000-0000-000000000000".to_owned(),
            ),
            ("X-Apple-Widget-Key", WIDGET_KEY.to_owned()),
        ];
        if let Some(s) = &self.scnt {
            h.push(("scnt", s.clone()));
        }
        if let Some(s) = &self.session_id {
            h.push(("X-Apple-ID-Session-Id", s.clone()));
        }
        h
    }

    /// An idmsa request with auth headers.
    pub fn idmsa(&mut self, method: &str, endpoint: &str, body: Option<Value>) -> Resp {
        let headers = self.auth_headers();
        let body = body.map(|b| b.to_string());
        self.send(
            method,
            &format!("/appleauth/auth{endpoint}"),
            &headers,
            body.as_deref(),
        )
    }

    /// A setup request (no Content-Type, like icloudpd).
    pub fn setup(&mut self, method: &str, endpoint: &str, body: Option<Value>) -> Resp {
        let body = body.map(|b| b.to_string());
        self.send(
            method,
            &format!("/setup/ws/1/{endpoint}"),
            &[],
            body.as_deref(),
        )
    }

    /// SRP init + complete; returns the complete response.
    pub fn sign_in(&mut self, account: &str, password: &str) -> Resp {
        self.sign_in_with(account, password, true)
    }

    /// SRP with padded (`true`) or pysrp-minimal (`false`) encodings.
    pub fn sign_in_with(&mut self, account: &str, password: &str, padded: bool) -> Resp {
        let srp = ClientSrp::new();
        let a_enc = if padded {
            pad(&srp.a_pub)
        } else {
            srp.a_pub.to_bytes_be()
        };
        let init = self.idmsa(
            "POST",
            "/signin/init",
            Some(json!({"a": STANDARD.encode(&a_enc), "accountName": account, "protocols": ["s2k", "s2k_fo"]})),
        );
        assert_eq!(init.status, 200, "init: {}", init.text());
        let j = init.json();
        let salt = STANDARD
            .decode(j["salt"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let b = STANDARD
            .decode(j["b"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let iterations = j["iteration"].as_u64().unwrap_or(1) as u32;
        let fo = j["protocol"] == "s2k_fo";
        let (m1, m2) = srp.proofs(account, password, &salt, iterations, fo, &b, padded);
        let trust: Vec<String> = self.trust_token.iter().cloned().collect();
        let body = json!({
            "accountName": account, "c": j["c"], "m1": STANDARD.encode(m1), "m2": STANDARD.encode(m2),
            "rememberMe": true, "trustTokens": trust
        });
        self.idmsa(
            "POST",
            "/signin/complete?isRememberMeEnabled=true",
            Some(body),
        )
    }

    /// Signs in (the account must not use 2FA) and completes `accountLogin`: the jar then holds
    /// the web cookies CloudKit requires.
    pub fn signed_in(base: &str, account: &str, password: &str) -> Self {
        Client::new(base).sign_in_fully(account, password)
    }

    /// Like [`Client::signed_in`], starting from this client (e.g. one over `Tls`).
    pub fn sign_in_fully(mut self, account: &str, password: &str) -> Self {
        let c = &mut self;
        let complete = c.sign_in(account, password);
        assert_eq!(complete.status, 200, "sign-in: {}", complete.text());
        let login = c.account_login();
        assert_eq!(login.status, 200, "accountLogin: {}", login.text());
        assert!(c.cookies.contains_key("X-APPLE-WEBAUTH-TOKEN"));
        self
    }

    /// POSTs `body` to CloudKit endpoint `endpoint` of database `db` with icloudpd's query
    /// string (none for `zones/list`).
    pub fn ck(&mut self, db: &str, endpoint: &str, body: &Value) -> Resp {
        let query = if endpoint == "zones/list" {
            String::new()
        } else {
            "?clientBuildNumber=2522Project44&clientMasteringNumber=2522B2&clientId=X&dsid=1\
             &remapEnums=True&getCurrentSyncToken=True"
                .to_owned()
        };
        let path = format!("/database/1/com.apple.photos.cloud/production/{db}/{endpoint}{query}");
        let headers = [("Content-type", "text/plain".to_owned())];
        self.send("POST", &path, &headers, Some(&body.to_string()))
    }

    /// GETs an absolute URL of this server (a download URL) with extra headers.
    pub fn get_url(&mut self, url: &str, headers: &[(&str, String)]) -> Resp {
        self.send("GET", url, headers, None)
    }

    /// accountLogin with the captured tokens.
    pub fn account_login(&mut self) -> Resp {
        let body = json!({
            "accountCountryCode": "USA",
            "dsWebAuthToken": self.session_token,
            "extended_login": true,
            "trustToken": self.trust_token.clone().unwrap_or_default()
        });
        let resp = self.setup("POST", "accountLogin", Some(body));
        let ck = resp.json()["webservices"]["ckdatabasews"]["url"].clone();
        self.ck_base = ck.as_str().map(str::to_owned).or(self.ck_base.take());
        resp
    }
}

/// Sends one request through reqwest.
fn send_tls(
    http: &reqwest::blocking::Client,
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> Resp {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = http.request(method, url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(body) = body {
        req = req.body(body.to_owned());
    }
    let resp = req.send().unwrap_or_else(|e| panic!("{url}: {e:?}"));
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_owned(), v)
        })
        .collect();
    let body = resp.bytes().expect("body").to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

fn n() -> BigUint {
    let hex = "AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B855F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773BCA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB694B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73";
    BigUint::parse_bytes(hex.as_bytes(), 16).expect("N")
}

fn pad(x: &BigUint) -> Vec<u8> {
    let b = x.to_bytes_be();
    let mut out = vec![0u8; 256 - b.len()];
    out.extend(b);
    out
}

fn h(parts: &[&[u8]]) -> Vec<u8> {
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    d.finalize().to_vec()
}

/// The client half of SRP (spec §6.3), written separately from the fake's server half.
pub struct ClientSrp {
    a: BigUint,
    pub a_pub: BigUint,
}

impl ClientSrp {
    pub fn new() -> Self {
        let g = BigUint::from(2u32);
        let a = BigUint::from_bytes_be(&rand_bytes());
        let a_pub = g.modpow(&a, &n());
        ClientSrp { a, a_pub }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "test helper mirrors the protocol inputs"
    )]
    pub fn proofs(
        &self,
        name: &str,
        password: &str,
        salt: &[u8],
        iterations: u32,
        fo: bool,
        b: &[u8],
        padded: bool,
    ) -> (Vec<u8>, Vec<u8>) {
        let (n, g) = (n(), BigUint::from(2u32));
        let digest = h(&[password.as_bytes()]);
        let hex: String = digest.iter().map(|x| format!("{x:02x}")).collect();
        let pin = if fo { hex.into_bytes() } else { digest };
        let mut p = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(&pin, salt, iterations, &mut p);
        let x = BigUint::from_bytes_be(&h(&[salt, &h(&[b":", &p])]));
        let k = BigUint::from_bytes_be(&h(&[&n.to_bytes_be(), &pad(&g)]));
        let b_pub = BigUint::from_bytes_be(b);
        let u = BigUint::from_bytes_be(&h(&[&pad(&self.a_pub), &pad(&b_pub)]));
        let kv = (&k * g.modpow(&x, &n)) % &n;
        let base = ((&b_pub + &n) - kv) % &n;
        let s = base.modpow(&(&self.a + &u * &x), &n);
        let enc = |v: &BigUint| if padded { pad(v) } else { v.to_bytes_be() };
        let key = h(&[&enc(&s)]);
        let xor: Vec<u8> = h(&[&n.to_bytes_be()])
            .iter()
            .zip(h(&[&pad(&g)]))
            .map(|(a, b)| a ^ b)
            .collect();
        let a_enc = enc(&self.a_pub);
        let m1 = h(&[
            &xor,
            &h(&[name.to_lowercase().as_bytes()]),
            salt,
            &a_enc,
            b,
            &key,
        ]);
        let m2 = h(&[&a_enc, &m1, &key]);
        (m1, m2)
    }
}

fn rand_bytes() -> [u8; 32] {
    let mut out = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut out);
    out
}
