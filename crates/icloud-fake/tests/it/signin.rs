//! signin/init, signin/complete, repair, required headers.

use serde_json::json;

use crate::client::Client;
use crate::{ID, PW, fake_with};

#[test]
fn unknown_account_init_answers_normally_then_401() {
    let fake = fake_with(|a| a);
    let mut c = Client::new(&fake.base_url());
    let resp = c.sign_in("nobody@example.com", "whatever");
    assert_eq!(resp.status, 401);
    assert_eq!(resp.json()["serviceErrors"][0]["code"], "-20101");
    assert_eq!(fake.count("POST", "/signin/init"), 1);
    assert_eq!(fake.requests()[0].status, 200);
}

#[test]
fn init_shape_and_headers() {
    let fake = fake_with(|a| a.protocol_s2k_fo());
    let mut c = Client::new(&fake.base_url());
    let a = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 256]);
    let resp = c.idmsa(
        "POST",
        "/signin/init",
        Some(json!({"a": a, "accountName": ID, "protocols": ["s2k", "s2k_fo"]})),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("Content-Type"), Some("text/html;charset=UTF-8"));
    assert!(resp.header("scnt").is_some());
    assert!(resp.set_cookies().iter().any(|c| c.starts_with("aasp=")));
    let j = resp.json();
    assert_eq!(j["protocol"], "s2k_fo");
    assert_eq!(j["iteration"], 1000);
    assert_eq!(j["version"], 1);
    assert!(j["c"].is_string());
    let b = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        j["b"].as_str().unwrap_or_default(),
    );
    assert_eq!(b.map(|b| b.len()).ok(), Some(256));
}

#[test]
fn wrong_password_is_401_with_apple_body() {
    let fake = fake_with(|a| a);
    let mut c = Client::new(&fake.base_url());
    let resp = c.sign_in(ID, "wrong");
    assert_eq!(resp.status, 401);
    assert_eq!(
        resp.header("Content-Type"),
        Some("application/json;charset=UTF-8")
    );
    assert_eq!(
        resp.json(),
        json!({"serviceErrors": [{"code": "-20101",
            "message": "Enter the email or phone number and password for your Apple Account.",
            "suppressDismissal": false}]})
    );
    assert!(resp.header("X-Apple-Session-Token").is_none());
}

#[test]
fn right_password_needs_2fa_409() {
    let fake = fake_with(|a| a);
    let mut c = Client::new(&fake.base_url());
    let resp = c.sign_in(ID, PW);
    assert_eq!(resp.status, 409, "{}", resp.text());
    assert_eq!(resp.json(), json!({"authType": "hsa2"}));
    for h in [
        "X-Apple-Session-Token",
        "X-Apple-ID-Session-Id",
        "scnt",
        "X-Apple-Auth-Attributes",
    ] {
        assert!(resp.header(h).is_some(), "{h}");
    }
    assert_eq!(resp.header("X-Apple-ID-Account-Country"), Some("USA"));
    assert_eq!(resp.header("X-Apple-TwoSV-Trust-Eligible"), Some("true"));
    assert_eq!(resp.header("X-Apple-I-Rscd"), Some("409"));
    // 2026 behaviour: nothing pushed yet.
    assert_eq!(fake.current_code(ID), None);
}

#[test]
fn pysrp_minimal_encoding_and_mixed_case_name_are_accepted() {
    let fake = fake_with(|a| a);
    let mut c = Client::new(&fake.base_url());
    assert_eq!(c.sign_in_with(ID, PW, false).status, 409);
    assert_eq!(c.sign_in("JDoe@Gmail.com", PW).status, 409);
}

#[test]
fn c_is_single_use() {
    let fake = fake_with(|a| a);
    let mut c = Client::new(&fake.base_url());
    let resp = c.idmsa(
        "POST",
        "/signin/complete",
        Some(json!({"accountName": ID, "c": "nope", "m1": "", "m2": ""})),
    );
    assert_eq!(resp.status, 400);
}

#[test]
fn missing_widget_key_is_rejected() {
    let fake = fake_with(|a| a);
    let mut c = Client::new(&fake.base_url());
    let resp = c.send("POST", "/appleauth/auth/signin/init", &[], Some("{}"));
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["hasError"], true);
}

#[test]
fn non_2fa_account_completes_200_and_logs_in_trusted() {
    let fake = fake_with(|a| a.without_two_factor());
    let mut c = Client::new(&fake.base_url());
    assert_eq!(c.sign_in(ID, PW).status, 200);
    let login = c.account_login();
    assert_eq!(login.status, 200);
    assert!(login.json().get("hsaTrustedBrowser").is_none());
    assert!(login.json()["dsInfo"].get("hsaVersion").is_none());
    assert!(c.cookies.contains_key("X-APPLE-WEBAUTH-TOKEN"));
}

#[test]
fn repair_flow() {
    let fake = fake_with(|a| a.without_two_factor().needs_repair());
    let mut c = Client::new(&fake.base_url());
    let resp = c.sign_in(ID, PW);
    assert_eq!(resp.status, 412);
    assert_eq!(resp.json(), json!({"authType": "sa"}));
    assert_eq!(
        c.account_login().status,
        421,
        "token unusable before repair"
    );
    let repaired = c.idmsa("POST", "/repair/complete", Some(json!({})));
    assert_eq!(repaired.status, 200);
    assert!(repaired.body.is_empty());
    assert_eq!(c.account_login().status, 200);
}

#[test]
fn locked_account_is_403() {
    let fake = fake_with(|a| a.locked());
    let resp = Client::new(&fake.base_url()).sign_in(ID, PW);
    assert_eq!(resp.status, 403);
    assert_eq!(resp.json()["serviceErrors"][0]["code"], "-20209");
}

#[test]
fn fido_409_names_keys() {
    let fake = fake_with(|a| a.fido(&["YubiKey"]));
    let resp = Client::new(&fake.base_url()).sign_in(ID, PW);
    assert_eq!(resp.status, 409);
    assert_eq!(resp.json()["keyNames"], json!(["YubiKey"]));
    assert!(resp.json()["fsaChallenge"]["challenge"].is_string());
}

#[test]
fn default_iterations_and_s2k_fo_work() {
    let fake = icloud_fake::FakeICloud::builder()
        .account(icloud_fake::FakeAccount::new(ID, PW).protocol_s2k_fo())
        .start()
        .expect("start");
    assert_eq!(Client::new(&fake.base_url()).sign_in(ID, PW).status, 409);
}
