//! The 2026 sign-in knobs: escrow (EDP/PDP), the 409 answers that mean success and web
//! repair. Advanced Data Protection and the trust lifetime are in `knobs_adp`.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use icloud_fake::{Escrow, FakeAccount, FakeICloud};
use num_bigint::BigUint;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::client::{Client, Resp};
use crate::{ID, PW, fake_with};

pub(crate) const DAY: i64 = 24 * 3600;

fn code_body(code: &str) -> Value {
    json!({"securityCode": {"code": code}})
}

/// The `Set-Cookie` line of cookie `name` (exact name) in `resp`, if any.
pub(crate) fn set_cookie<'a>(resp: &'a Resp, name: &str) -> Option<&'a str> {
    resp.set_cookies()
        .into_iter()
        .find(|l| l.split_once('=').is_some_and(|(n, _)| n == name))
}

/// The names of every cookie `resp` sets.
pub(crate) fn cookie_names(resp: &Resp) -> Vec<String> {
    resp.set_cookies()
        .iter()
        .filter_map(|l| l.split_once('=').map(|(n, _)| n.to_owned()))
        .collect()
}

/// The `Expires` of a `Set-Cookie` line, as Unix seconds.
pub(crate) fn expires(line: &str) -> i64 {
    let date = line
        .split(';')
        .find_map(|p| p.trim().strip_prefix("Expires="))
        .unwrap_or_else(|| panic!("no Expires in {line}"));
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day]-[month repr:short]-[year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(date, fmt)
        .unwrap_or_else(|e| panic!("{date}: {e}"))
        .assume_utc()
        .unix_timestamp()
}

pub(crate) fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// The `Expires` of the `X-APPLE-WEBAUTH-HSA-TRUST…` cookie `resp` sets.
pub(crate) fn hsa_trust_expires(resp: &Resp) -> i64 {
    let line = resp
        .set_cookies()
        .into_iter()
        .find(|l| l.starts_with("X-APPLE-WEBAUTH-HSA-TRUST"))
        .unwrap_or_else(|| panic!("no HSA-TRUST cookie in {:?}", resp.set_cookies()));
    expires(line)
}

/// Asks for a code on the trusted devices and submits it.
fn submit_device_code(fake: &FakeICloud, c: &mut Client) -> Resp {
    let push = c.idmsa("PUT", "/verify/trusteddevice/securitycode", None);
    assert_eq!(push.status, 202, "{}", push.text());
    let code = fake.current_code(ID).expect("code delivered");
    c.idmsa(
        "POST",
        "/verify/trusteddevice/securitycode",
        Some(code_body(&code)),
    )
}

/// Signs in without a trust token (409) and submits a pushed code.
pub(crate) fn signed_in_with_code(fake: &FakeICloud) -> (Client, Resp) {
    let mut c = Client::new(&fake.base_url());
    assert_eq!(c.sign_in(ID, PW).status, 409);
    let verified = submit_device_code(fake, &mut c);
    (c, verified)
}

/// accountLogin with the client's session token only (no trust token).
fn login_without_trust_token(c: &mut Client) -> Resp {
    let trust = c.trust_token.take();
    let login = c.account_login();
    c.trust_token = trust;
    login
}

pub(crate) fn assert_trusted(login: &Resp) {
    assert_eq!(login.status, 200, "{}", login.text());
    assert_eq!(login.json()["hsaTrustedBrowser"], true);
    assert!(
        set_cookie(login, "X-APPLE-WEBAUTH-TOKEN").is_some(),
        "{:?}",
        cookie_names(login)
    );
}

fn assert_untrusted(login: &Resp) {
    assert_eq!(login.status, 200, "{}", login.text());
    assert_eq!(login.json()["hsaTrustedBrowser"], false);
    assert_eq!(login.json()["hsaChallengeRequired"], true);
    assert!(
        set_cookie(login, "X-APPLE-WEBAUTH-TOKEN").is_none(),
        "{:?}",
        cookie_names(login)
    );
}

// ---- The client half of SRP, with the session key K the escrow proof needs ----

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

/// What `escrow/complete` is sent.
struct EscrowProof {
    m1: Vec<u8>,
    m2: Vec<u8>,
    k: Vec<u8>,
}

/// SRP-6a client for the EMPTY account name, padded encodings: `m1`, `m2` and K = H(pad(S)).
fn escrow_proof((a, a_pub): (&BigUint, &BigUint), password: &str, init: &Value) -> EscrowProof {
    let decode = |k: &str| STANDARD.decode(init[k].as_str().unwrap_or_default());
    let salt = decode("salt").expect("salt");
    let b = decode("b").expect("b");
    let iterations = u32::try_from(init["iteration"].as_u64().unwrap_or(1)).unwrap_or(1);
    let (n, g) = (n(), BigUint::from(2u32));
    let digest = h(&[password.as_bytes()]);
    let pin = if init["protocol"] == "s2k_fo" {
        digest
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
            .into_bytes()
    } else {
        digest
    };
    let mut p = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(&pin, &salt, iterations, &mut p);
    let x = BigUint::from_bytes_be(&h(&[&salt, &h(&[b":", &p])]));
    let k_mul = BigUint::from_bytes_be(&h(&[&n.to_bytes_be(), &pad(&g)]));
    let b_pub = BigUint::from_bytes_be(&b);
    let u = BigUint::from_bytes_be(&h(&[&pad(a_pub), &pad(&b_pub)]));
    let kv = (&k_mul * g.modpow(&x, &n)) % &n;
    let base = ((&b_pub + &n) - kv) % &n;
    let s = base.modpow(&(a + &u * &x), &n);
    let key = h(&[&pad(&s)]);
    let xor: Vec<u8> = h(&[&n.to_bytes_be()])
        .iter()
        .zip(h(&[&pad(&g)]))
        .map(|(x, y)| x ^ y)
        .collect();
    let m1 = h(&[&xor, &h(&[b""]), &salt, &pad(a_pub), &b, &key]);
    let m2 = h(&[&pad(a_pub), &m1, &key]);
    EscrowProof { m1, m2, k: key }
}

/// Which part of the escrow proof to spoil.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spoil {
    Nothing,
    K,
    M1,
}

/// `escrow/init` (checking its signin/init shape) then `escrow/complete`; returns the latter.
fn escrow(c: &mut Client, password: &str, spoil: Spoil) -> Resp {
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut secret);
    let a = BigUint::from_bytes_be(&secret);
    let a_pub = BigUint::from(2u32).modpow(&a, &n());
    let body = json!({"a": STANDARD.encode(pad(&a_pub)), "accountName": "",
        "protocols": ["s2k", "s2k_fo"]});
    let init = c.idmsa("POST", "/escrow/init", Some(body));
    assert_eq!(init.status, 200, "escrow/init: {}", init.text());
    let j = init.json();
    for key in ["iteration", "salt", "protocol", "b", "c"] {
        assert!(!j[key].is_null(), "escrow/init lacks {key}: {j}");
    }
    assert_eq!(j["protocol"], "s2k");
    let mut proof = escrow_proof((&a, &a_pub), password, &j);
    match spoil {
        Spoil::Nothing => {}
        Spoil::K => proof.k[0] ^= 1,
        Spoil::M1 => proof.m1[0] ^= 1,
    }
    let body = json!({"m1": STANDARD.encode(&proof.m1), "m2": STANDARD.encode(&proof.m2),
        "c": j["c"], "k": STANDARD.encode(&proof.k)});
    c.idmsa("POST", "/escrow/complete", Some(body))
}

/// An escrow account's full first run: code, escrow proof, `2sv/trust`, trusted accountLogin.
fn escrow_trusted_by_code(fake: &FakeICloud) -> Client {
    let (mut c, verified) = signed_in_with_code(fake);
    assert_eq!(verified.status, 204);
    assert_eq!(escrow(&mut c, PW, Spoil::Nothing).status, 200);
    let trust = c.idmsa("GET", "/2sv/trust", None);
    assert_eq!(trust.status, 204, "{}", trust.text());
    assert!(c.trust_token.is_some());
    assert_trusted(&c.account_login());
    c
}

#[test]
fn escrow_after_a_code_gates_trust_until_the_proof() {
    let fake = fake_with(|a| a.escrow(Escrow::Edp));
    let mut c = Client::new(&fake.base_url());
    let complete = c.sign_in(ID, PW);
    assert_eq!(complete.status, 409);
    assert_eq!(
        complete.header("X-Apple-TwoSV-Trust-Eligible"),
        Some("true"),
        "a sign-in without trust token is the usual 409"
    );
    assert_eq!(complete.header("X-Apple-EDP"), None);

    let verified = submit_device_code(&fake, &mut c);
    assert_eq!(verified.status, 204, "{}", verified.text());
    assert_eq!(verified.header("X-Apple-EDP"), Some("true"));
    assert_eq!(verified.header("X-Apple-PDP"), None);
    let code_token = verified
        .header("X-Apple-Session-Token")
        .expect("token")
        .to_owned();
    assert_untrusted(&login_without_trust_token(&mut c));
    let early = c.idmsa("GET", "/2sv/trust", None);
    assert_eq!(early.status, 401, "2sv/trust before the escrow proof");
    assert!(early.header("X-Apple-TwoSV-Trust-Token").is_none());

    let proven = escrow(&mut c, PW, Spoil::Nothing);
    assert_eq!(proven.status, 200, "{}", proven.text());
    let escrow_token = proven.header("X-Apple-Session-Token").expect("new token");
    assert_ne!(escrow_token, code_token);
    assert_trusted(&login_without_trust_token(&mut c));

    let trust = c.idmsa("GET", "/2sv/trust", None);
    assert_eq!(trust.status, 204, "{}", trust.text());
    assert!(trust.header("X-Apple-TwoSV-Trust-Token").is_some());
    assert_trusted(&c.account_login());
}

#[test]
fn escrow_at_a_trusted_sign_in_edp_and_pdp() {
    for (kind, header, other) in [
        (Escrow::Edp, "X-Apple-EDP", "X-Apple-PDP"),
        (Escrow::Pdp, "X-Apple-PDP", "X-Apple-EDP"),
    ] {
        let fake = fake_with(|a| a.escrow(kind));
        let first = escrow_trusted_by_code(&fake);

        let mut next = Client::new(&fake.base_url());
        next.trust_token = first.trust_token.clone();
        let complete = next.sign_in(ID, PW);
        assert_eq!(complete.status, 409, "{header}: {}", complete.text());
        assert_eq!(complete.header(header), Some("true"));
        assert_eq!(complete.header(other), None);
        assert_eq!(complete.header("X-Apple-TwoSV-Trust-Eligible"), None);
        assert_eq!(complete.json()["authType"], "hsa2");
        assert_untrusted(&login_without_trust_token(&mut next));

        let proven = escrow(&mut next, PW, Spoil::Nothing);
        assert_eq!(proven.status, 200, "{header}: {}", proven.text());
        assert!(proven.header("X-Apple-Session-Token").is_some());
        assert_trusted(&login_without_trust_token(&mut next));
    }

    // Knob off: the same trusted sign-in answers 200 with the trust-eligible header.
    let fake = fake_with(|a| a);
    let (mut c, verified) = signed_in_with_code(&fake);
    assert_eq!(verified.status, 204);
    assert_eq!(verified.header("X-Apple-EDP"), None);
    assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 204);
    let mut next = Client::new(&fake.base_url());
    next.trust_token = c.trust_token.take();
    let complete = next.sign_in(ID, PW);
    assert_eq!(complete.status, 200);
    assert_eq!(
        complete.header("X-Apple-TwoSV-Trust-Eligible"),
        Some("true")
    );
    assert_eq!(complete.header("X-Apple-EDP"), None);
    assert_eq!(complete.header("X-Apple-PDP"), None);
}

#[test]
fn escrow_refuses_a_wrong_k_or_m1() {
    let fake = fake_with(|a| a.escrow(Escrow::Edp));
    let (mut c, verified) = signed_in_with_code(&fake);
    assert_eq!(verified.status, 204);

    let early = c.idmsa(
        "POST",
        "/escrow/complete",
        Some(json!({"m1": "", "m2": "", "c": "x", "k": ""})),
    );
    assert_eq!(early.status, 400, "complete before init: {}", early.text());
    let named = c.idmsa(
        "POST",
        "/escrow/init",
        Some(json!({"a": STANDARD.encode([2u8; 256]), "accountName": ID, "protocols": ["s2k"]})),
    );
    assert_eq!(named.status, 400, "escrow/init needs an empty accountName");

    for spoil in [Spoil::K, Spoil::M1] {
        let refused = escrow(&mut c, PW, spoil);
        assert_eq!(refused.status, 401, "{}", refused.text());
        assert_eq!(refused.json()["serviceErrors"][0]["code"], "-20101");
        assert!(refused.header("X-Apple-Session-Token").is_none());
        assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 401);
    }
    let wrong_password = escrow(&mut c, "not the password", Spoil::Nothing);
    assert_eq!(wrong_password.status, 401);

    assert_eq!(escrow(&mut c, PW, Spoil::Nothing).status, 200);
    assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 204);

    // A session of an account without the knob owes nothing.
    let plain = fake_with(|a| a);
    let mut p = Client::new(&plain.base_url());
    assert_eq!(p.sign_in(ID, PW).status, 409);
    let body = json!({"a": STANDARD.encode([2u8; 256]), "accountName": "", "protocols": ["s2k"]});
    assert_eq!(p.idmsa("POST", "/escrow/init", Some(body)).status, 400);
}

/// icloudpd sends its trust token to every accountLogin; the escrow 409 must not be skippable
/// that way.
#[test]
fn escrow_pending_session_is_not_trusted_by_the_trust_token() {
    let fake = fake_with(|a| a.escrow(Escrow::Edp));
    let first = escrow_trusted_by_code(&fake);
    let mut next = Client::new(&fake.base_url());
    next.trust_token = first.trust_token.clone();
    assert_eq!(next.sign_in(ID, PW).status, 409);
    assert_untrusted(&next.account_login());
}

#[test]
fn code_409_shapes() {
    type Knob = fn(FakeAccount) -> FakeAccount;
    // (knob, status, securityCode.valid, session token)
    let cases: [(&str, Knob, u16, Option<bool>, bool); 5] = [
        ("off", |a| a, 204, None, true),
        ("code_409(false)", |a| a.code_409(false), 204, None, true),
        (
            "code_409(true)",
            |a| a.code_409(true),
            409,
            Some(true),
            true,
        ),
        (
            "valid_only",
            |a| a.code_409_valid_only(),
            409,
            Some(true),
            false,
        ),
        ("token_only", |a| a.code_409_token_only(), 409, None, true),
    ];
    for (name, knob, status, valid, token) in cases {
        let fake = fake_with(|a| knob(a.fixed_code("246810")));
        let (mut c, verified) = signed_in_with_code(&fake);
        assert_eq!(verified.status, status, "{name}: {}", verified.text());
        if status == 409 {
            let body = verified.json();
            assert_eq!(body["securityCode"]["code"], "246810", "{name}");
            assert_eq!(body["securityCode"]["valid"].as_bool(), valid, "{name}");
        } else {
            assert!(verified.body.is_empty(), "{name}");
        }
        assert_eq!(
            verified.header("X-Apple-Session-Token").is_some(),
            token,
            "{name}"
        );
        let trust = c.idmsa("GET", "/2sv/trust", None);
        assert_eq!(trust.status, 204, "{name}: the code counted");
        assert_trusted(&c.account_login());
    }
}

#[test]
fn boot_page_409_keeps_the_boot_args() {
    let page = |fake: &FakeICloud| {
        let mut c = Client::new(&fake.base_url());
        assert_eq!(c.sign_in(ID, PW).status, 409);
        let page = c.idmsa("GET", "", None);
        let push = c.idmsa("PUT", "/verify/trusteddevice/securitycode", None);
        assert_eq!(push.status, 202, "the flow goes on");
        page
    };
    let conflict = page(&fake_with(|a| a.boot_page_409()));
    let plain = page(&fake_with(|a| a));
    assert_eq!(conflict.status, 409);
    assert_eq!(plain.status, 200);
    assert_eq!(
        conflict.header("Content-Type"),
        Some("text/html; charset=UTF-8")
    );
    assert!(
        conflict
            .text()
            .contains("<script type=\"application/json\" class=\"boot_args\">")
    );
    assert!(conflict.text().contains("••81"));
    assert_eq!(conflict.text(), plain.text(), "same body");
}

#[test]
fn sms_409_still_delivers_the_code() {
    for (knob, status) in [(true, 409), (false, 200)] {
        let fake = fake_with(|a| if knob { a.sms_409() } else { a });
        let mut c = Client::new(&fake.base_url());
        assert_eq!(c.sign_in(ID, PW).status, 409);
        assert_eq!(fake.current_code(ID), None);
        let sent = c.idmsa(
            "PUT",
            "/verify/phone",
            Some(json!({"phoneNumber": {"id": 1}, "mode": "sms"})),
        );
        assert_eq!(sent.status, status, "{}", sent.text());
        assert_eq!(sent.json()["trustedPhoneNumber"]["id"], 1);
        assert_eq!(sent.json()["mode"], "sms");
        let code = fake.current_code(ID).expect("code sent despite the 409");
        let body = json!({"phoneNumber": {"id": 1}, "securityCode": {"code": code}, "mode": "sms"});
        let ok = c.idmsa("POST", "/verify/phone/securitycode", Some(body));
        assert_eq!(ok.status, 200, "{}", ok.text());
        assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 204);
    }
}

#[test]
fn web_repair_replaces_the_web_token() {
    let fake = fake_with(|a| a.needs_web_repair());
    let mut c = Client::new(&fake.base_url());
    assert_eq!(c.sign_in(ID, PW).status, 409);
    let untrusted = c.account_login();
    assert_untrusted(&untrusted);
    assert!(set_cookie(&untrusted, "X-APPLE-WEBAUTH-REPAIR").is_none());
    assert!(set_cookie(&untrusted, "X-APPLE-WEBAUTH-HSA-LOGIN").is_some());

    assert_eq!(submit_device_code(&fake, &mut c).status, 204);
    assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 204);
    let login = c.account_login();
    assert_eq!(login.status, 200);
    assert_eq!(login.json()["hsaTrustedBrowser"], true);
    let repair = set_cookie(&login, "X-APPLE-WEBAUTH-REPAIR").expect("repair cookie");
    assert!(
        repair.starts_with("X-APPLE-WEBAUTH-REPAIR=\"v=1:t="),
        "{repair}"
    );
    let names = cookie_names(&login);
    assert!(
        !names
            .iter()
            .any(|n| n == "X-APPLE-WEBAUTH-TOKEN" || n.starts_with("X-APPLE-WEBAUTH-PCS-")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n == "X-APPLE-WEBAUTH-USER"));

    // Everything needing the web session fails.
    let pcs = c.setup("POST", "requestPCS", Some(json!({"appName": "photos"})));
    assert_eq!(pcs.status, 500);
    assert_eq!(pcs.json()["error"], "Missing X-APPLE-WEBAUTH-TOKEN cookie");
    assert_eq!(c.setup("POST", "validate", Some(Value::Null)).status, 421);
    let ck = c.ck("private", "zones/list", &json!({}));
    assert_eq!(ck.status, 421);
    assert_eq!(ck.text(), "Missing X-APPLE-WEBAUTH-TOKEN cookie");
}
