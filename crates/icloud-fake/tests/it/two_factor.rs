//! HSA2: boot args, code delivery, validation, trust, and the trusted accountLogin.

use serde_json::json;

use crate::client::{Client, Resp};
use crate::{ID, PW, fake_with};

fn code_body(code: &str) -> serde_json::Value {
    json!({"securityCode": {"code": code}})
}

/// Signs in, checks the untrusted accountLogin, pushes a code to the devices.
fn signed_in(fake: &icloud_fake::FakeICloud) -> Client {
    let mut c = Client::new(&fake.base_url());
    assert_eq!(c.sign_in(ID, PW).status, 409);
    let login = c.account_login();
    assert_eq!(login.status, 200);
    assert_eq!(login.json()["hsaTrustedBrowser"], false);
    assert_eq!(login.json()["hsaChallengeRequired"], true);
    assert!(
        !c.cookies.contains_key("X-APPLE-WEBAUTH-TOKEN"),
        "untrusted login must not set the web token"
    );
    assert!(c.cookies.contains_key("X-APPLE-WEBAUTH-USER"));
    c
}

fn trusted_login(c: &mut Client) -> Resp {
    let login = c.account_login();
    assert_eq!(login.status, 200);
    assert_eq!(login.json()["hsaTrustedBrowser"], true);
    assert_eq!(login.json()["hsaChallengeRequired"], false);
    let token = c
        .cookies
        .get("X-APPLE-WEBAUTH-TOKEN")
        .cloned()
        .unwrap_or_default();
    assert!(
        token.starts_with("\"v=2:t=") && token.ends_with('"'),
        "{token}"
    );
    assert!(c.cookies.contains_key("X-APPLE-WEBAUTH-PCS-Photos"));
    login
}

#[test]
fn device_code_trust_and_reuse() {
    let fake = fake_with(|a| a);
    let mut c = signed_in(&fake);
    let boot = c.idmsa("GET", "", None);
    assert_eq!(boot.status, 200);
    assert_eq!(
        boot.header("Content-Type"),
        Some("text/html; charset=UTF-8")
    );
    assert!(
        boot.text()
            .contains("<script type=\"application/json\" class=\"boot_args\">")
    );

    let push = c.idmsa("PUT", "/verify/trusteddevice/securitycode", None);
    assert_eq!(push.status, 202);
    let code = fake.current_code(ID).expect("code delivered");
    assert_eq!(code.len(), 6);

    let ok = c.idmsa(
        "POST",
        "/verify/trusteddevice/securitycode",
        Some(code_body(&code)),
    );
    assert_eq!(ok.status, 204);
    assert!(ok.header("X-Apple-Session-Token").is_some());
    assert!(
        ok.set_cookies()
            .iter()
            .any(|c| c.starts_with("dslang=US-EN"))
    );

    let trust = c.idmsa("GET", "/2sv/trust", None);
    assert_eq!(trust.status, 204);
    assert!(trust.header("X-Apple-TwoSV-Trust-Token").is_some());
    trusted_login(&mut c);

    // Next run: the trust token makes complete answer 200 and accountLogin trusted.
    let mut next = Client::new(&fake.base_url());
    next.trust_token = c.trust_token.clone();
    assert_eq!(next.sign_in(ID, PW).status, 200);
    trusted_login(&mut next);

    // Expired trust tokens mean 2FA again.
    fake.expire_trust_tokens();
    let mut later = Client::new(&fake.base_url());
    later.trust_token = c.trust_token.clone();
    assert_eq!(later.sign_in(ID, PW).status, 409);
}

#[test]
fn sms_code_flow_and_test_route() {
    let fake = fake_with(|a| {
        a.fixed_code("054321")
            .trusted_phones(&[(1, "(•••) •••-••81"), (2, "(•••) •••-••22")])
    });
    let mut c = signed_in(&fake);
    let sent = c.idmsa(
        "PUT",
        "/verify/phone",
        Some(json!({"phoneNumber": {"id": 2}, "mode": "sms"})),
    );
    assert_eq!(sent.status, 200);
    assert_eq!(sent.json()["trustedPhoneNumber"]["id"], 2);

    let mut probe = Client::new(&fake.base_url());
    let via_route = probe.send("GET", "/__fake/code?account=jdoe%40gmail.com", &[], None);
    assert_eq!(
        (via_route.status, via_route.text()),
        (200, "054321".to_owned())
    );
    assert_eq!(
        probe
            .send("GET", "/__fake/code?account=x%40y.z", &[], None)
            .status,
        404
    );

    let body = json!({"phoneNumber": {"id": 2}, "securityCode": {"code": "054321"}, "mode": "sms"});
    let ok = c.idmsa("POST", "/verify/phone/securitycode", Some(body));
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 204);
    trusted_login(&mut c);
    assert_eq!(
        fake.count("GET", "/__fake/code"),
        0,
        "test routes are not recorded"
    );
}

#[test]
fn wrong_codes_then_lock() {
    let fake = fake_with(|a| a.fixed_code("123456"));
    let mut c = signed_in(&fake);
    c.idmsa("PUT", "/verify/trusteddevice/securitycode", None);
    for _ in 0..4 {
        let wrong = c.idmsa(
            "POST",
            "/verify/trusteddevice/securitycode",
            Some(code_body("000000")),
        );
        assert_eq!(wrong.status, 400);
        assert_eq!(wrong.header("X-Apple-I-Ercd"), Some("-21669"));
        assert_eq!(wrong.json()["hasError"], true);
        assert_eq!(wrong.json()["service_errors"][0]["code"], "-21669");
    }
    let locked = c.idmsa(
        "POST",
        "/verify/trusteddevice/securitycode",
        Some(code_body("000000")),
    );
    assert_eq!(locked.json()["securityCode"]["securityCodeLocked"], true);
    let still = c.idmsa(
        "POST",
        "/verify/trusteddevice/securitycode",
        Some(code_body("123456")),
    );
    assert_eq!(still.status, 400, "locked even for the right code");
    assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 401);
}

#[test]
fn code_409_mode() {
    let fake = fake_with(|a| a.code_409(true).fixed_code("111111"));
    let mut c = signed_in(&fake);
    c.idmsa("PUT", "/verify/trusteddevice/securitycode", None);
    let ok = c.idmsa(
        "POST",
        "/verify/trusteddevice/securitycode",
        Some(code_body("111111")),
    );
    assert_eq!(ok.status, 409);
    assert_eq!(ok.json()["securityCode"]["valid"], true);
    assert!(ok.header("X-Apple-Session-Token").is_some());
}

#[test]
fn pre_2026_push_at_complete() {
    let fake = fake_with(|a| a.push_required(false));
    let c = signed_in(&fake);
    assert!(fake.current_code(ID).is_some());
    drop(c);
}

#[test]
fn session_pair_is_required_and_trust_needs_a_code() {
    let fake = fake_with(|a| a);
    let mut c = signed_in(&fake);
    assert_eq!(
        c.idmsa("GET", "/2sv/trust", None).status,
        401,
        "no code verified yet"
    );
    let good_scnt = c.scnt.clone();
    c.scnt = Some("forged".to_owned());
    assert_eq!(c.idmsa("GET", "", None).status, 401);
    c.scnt = good_scnt;
    c.session_id = None;
    assert_eq!(
        c.idmsa("PUT", "/verify/trusteddevice/securitycode", None)
            .status,
        401
    );
}

#[test]
fn phones_in_bridge_and_no_phones() {
    let fake = fake_with(|a| a.phones_in_bridge(true).trusted_phones(&[]));
    let mut c = signed_in(&fake);
    let page = c.idmsa("GET", "", None).text();
    assert!(page.contains("bridgeInitiateData"));
    assert!(page.contains("\"trustedPhoneNumbers\":[]"));
}
