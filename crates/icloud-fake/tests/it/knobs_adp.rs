//! The Advanced Data Protection knobs (the PCS consent flow, PCS cookie expiry), the trust
//! lifetime, and that with every 2026 knob off nothing changed.

use std::time::Duration;

use icloud_fake::{FakeICloud, Fault};
use serde_json::{Value, json};

use crate::client::{Client, Resp};
use crate::knobs_2026::{
    DAY, assert_trusted, cookie_names, expires, hsa_trust_expires, now, set_cookie,
    signed_in_with_code,
};
use crate::{ID, PW, fake_with};

/// A client of a non-2FA account with the ADP knob, after a trusted accountLogin.
fn adp_client(fake: &FakeICloud) -> (Client, Resp) {
    let mut c = Client::new(&fake.base_url());
    assert_eq!(c.sign_in(ID, PW).status, 200);
    let login = c.account_login();
    assert_eq!(login.status, 200, "{}", login.text());
    assert!(set_cookie(&login, "X-APPLE-WEBAUTH-TOKEN").is_some());
    (c, login)
}

fn request_pcs(c: &mut Client) -> Resp {
    let body = json!({"appName": "photos", "derivedFromUserAction": true});
    c.setup("POST", "requestPCS", Some(body))
}

fn zones(c: &mut Client) -> Resp {
    c.ck("private", "zones/list", &json!({}))
}

fn assert_423(resp: &Resp) {
    assert_eq!(resp.status, 423, "{}", resp.text());
    let body = resp.json();
    assert_eq!(body["errorReason"], "Missing PCS cookies from the request");
    assert_eq!(body["errorCode"], 423);
    assert!(body["requestUUID"].is_string(), "{body}");
}

/// Asks for consent and polls `requestPCS` through the default single pending answer.
fn consent(c: &mut Client) -> Resp {
    let asked = c.setup("POST", "enableDeviceConsentForPCS", Some(json!({})));
    assert_eq!(asked.json()["isDeviceConsentNotificationSent"], true);
    let pending = request_pcs(c);
    assert_eq!(pending.json()["status"], "failure");
    let ok = request_pcs(c);
    assert_eq!(ok.json()["status"], "success", "{}", ok.text());
    ok
}

#[test]
fn adp_consent_flow_hands_out_pcs_cookies() {
    let fake = fake_with(|a| a.without_two_factor().adp(true).pcs_polls_before_consent(3));
    let (mut c, login) = adp_client(&fake);
    let data = login.json();
    assert_eq!(data["iCDPEnabled"], true);
    assert_eq!(data["dsInfo"]["iCDPEnabled"], true);
    assert_eq!(data["dsInfo"]["isWebAccessAllowed"], true);
    let names = cookie_names(&login);
    assert!(
        !names.iter().any(|n| n.starts_with("X-APPLE-WEBAUTH-PCS-")),
        "{names:?}"
    );
    assert_423(&zones(&mut c));

    let state = c.setup("POST", "requestWebAccessState", Some(json!({})));
    assert_eq!(state.status, 200);
    assert_eq!(state.json()["isWebAccessAllowed"], true);
    assert_eq!(state.json()["isDeviceConsentedForPCS"], false);

    let early = request_pcs(&mut c);
    assert_eq!(early.status, 500, "before consent was requested");
    assert_eq!(early.json()["isDeviceConsentedForPCS"], false);
    assert_eq!(early.json()["message"], "Issue requesting IDMS for arming.");

    let asked = c.setup("POST", "enableDeviceConsentForPCS", Some(json!({})));
    assert_eq!(asked.status, 200);
    assert_eq!(asked.json()["isDeviceConsentNotificationSent"], true);
    for message in [
        "Requested the device to upload cookies.",
        "Cookies not available yet on server.",
        "Cookies not available yet on server.",
    ] {
        let pending = request_pcs(&mut c);
        assert_eq!(pending.status, 200);
        assert_eq!(
            pending.json(),
            json!({"isWebAccessAllowed": true, "status": "failure", "message": message})
        );
        assert!(pending.set_cookies().is_empty());
        assert_423(&zones(&mut c));
    }
    let ok = request_pcs(&mut c);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["status"], "success");
    let mut names = cookie_names(&ok);
    names.sort();
    assert_eq!(
        names,
        ["X-APPLE-WEBAUTH-PCS-Photos", "X-APPLE-WEBAUTH-PCS-Sharing"]
    );
    let photos = set_cookie(&ok, "X-APPLE-WEBAUTH-PCS-Photos").unwrap_or_default();
    let left = expires(photos) - now();
    assert!((30 * DAY - 5..=30 * DAY + 5).contains(&left), "{photos}");
    assert_eq!(zones(&mut c).status, 200);
    let state = c.setup("POST", "requestWebAccessState", Some(json!({})));
    assert_eq!(state.json()["isDeviceConsentedForPCS"], true);

    // A forged PCS cookie is refused.
    c.cookies.insert(
        "X-APPLE-WEBAUTH-PCS-Photos".to_owned(),
        "\"pcsphotosforged\"".to_owned(),
    );
    assert_423(&zones(&mut c));
}

#[test]
fn adp_without_web_access() {
    let fake = fake_with(|a| a.without_two_factor().adp(false));
    let (mut c, login) = adp_client(&fake);
    let data = login.json();
    assert_eq!(data["iCDPEnabled"], true);
    assert_eq!(data["dsInfo"]["iCDPEnabled"], true);
    assert_eq!(data["dsInfo"]["isWebAccessAllowed"], false);
    let denied = zones(&mut c);
    assert_eq!(denied.status, 403, "{}", denied.text());
    assert!(denied.text().contains("ACCESS_DENIED"), "{}", denied.text());

    let state = c.setup("POST", "requestWebAccessState", Some(json!({})));
    assert_eq!(state.json()["isWebAccessAllowed"], false);
    let asked = c.setup("POST", "enableDeviceConsentForPCS", Some(json!({})));
    assert_eq!(asked.json()["isDeviceConsentNotificationSent"], false);
    let pcs = request_pcs(&mut c);
    assert_eq!(pcs.status, 200);
    assert_eq!(pcs.json()["isWebAccessAllowed"], false);
    assert_eq!(pcs.json()["status"], "failure");
    assert!(pcs.set_cookies().is_empty());
}

#[test]
fn pcs_cookies_expire_after_their_lifetime() {
    let fake = fake_with(|a| {
        a.without_two_factor()
            .adp(true)
            .pcs_cookie_lifetime(Duration::from_secs(2))
    });
    let (mut c, _) = adp_client(&fake);
    let ok = consent(&mut c);
    let photos = set_cookie(&ok, "X-APPLE-WEBAUTH-PCS-Photos").expect("PCS cookie");
    assert!((1..=3).contains(&(expires(photos) - now())), "{photos}");
    assert_eq!(zones(&mut c).status, 200);
    std::thread::sleep(Duration::from_millis(2200));
    assert_423(&zones(&mut c));
    assert_eq!(request_pcs(&mut c).json()["status"], "success");
    assert_eq!(zones(&mut c).status, 200, "fresh cookies at once");
}

#[test]
fn pcs_cookies_expire_by_fault_and_on_demand() {
    let fake = fake_with(|a| a.without_two_factor().adp(true));
    let (mut c, _) = adp_client(&fake);
    consent(&mut c);
    fake.set_fault(Fault::expire_pcs_after(2));
    assert_eq!(zones(&mut c).status, 200);
    assert_eq!(zones(&mut c).status, 200);
    assert_423(&zones(&mut c));
    assert_423(&zones(&mut c));
    let again = request_pcs(&mut c);
    assert_eq!(again.json()["status"], "success", "consent is remembered");
    assert_eq!(zones(&mut c).status, 200);
    assert_eq!(zones(&mut c).status, 200, "the fault is used up");

    fake.expire_pcs_cookies();
    assert_423(&zones(&mut c));
    assert_eq!(request_pcs(&mut c).json()["status"], "success");
    assert_eq!(zones(&mut c).status, 200);
}

#[test]
fn trust_lifetime_bounds_tokens_and_the_hsa_trust_cookie() {
    let fake = fake_with(|a| a.trust_lifetime(Duration::from_secs(6)));
    let (mut c, verified) = signed_in_with_code(&fake);
    assert_eq!(verified.status, 204);
    assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 204);
    let login = c.account_login();
    assert_trusted(&login);
    let first = hsa_trust_expires(&login);
    assert!((5..=7).contains(&(first - now())), "{}", first - now());

    let mut next = Client::new(&fake.base_url());
    next.trust_token = c.trust_token.clone();
    assert_eq!(next.sign_in(ID, PW).status, 200, "token still live");

    // Not sliding: two seconds later validate sets the same expiry.
    std::thread::sleep(Duration::from_secs(2));
    let validate = c.setup("POST", "validate", Some(Value::Null));
    assert_eq!(validate.status, 200);
    let again = hsa_trust_expires(&validate);
    assert!((again - first).abs() <= 1, "{first} → {again}");

    std::thread::sleep(Duration::from_millis(4200));
    let mut later = Client::new(&fake.base_url());
    later.trust_token = c.trust_token.clone();
    assert_eq!(later.sign_in(ID, PW).status, 409, "trust token expired");
}

/// Once the latest trust token expired, the cookie must not announce a fresh trust period.
#[test]
fn hsa_trust_cookie_does_not_outlive_the_trust_token() {
    let fake = fake_with(|a| a.trust_lifetime(Duration::from_secs(1)));
    let (mut c, verified) = signed_in_with_code(&fake);
    assert_eq!(verified.status, 204);
    assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 204);
    assert_trusted(&c.account_login());
    std::thread::sleep(Duration::from_millis(1500));
    let validate = c.setup("POST", "validate", Some(Value::Null));
    assert_eq!(validate.status, 200, "the web session lives on");
    let line = validate
        .set_cookies()
        .into_iter()
        .find(|l| l.starts_with("X-APPLE-WEBAUTH-HSA-TRUST"));
    if let Some(line) = line {
        assert!(expires(line) <= now(), "{line}");
    }
}

#[test]
fn knobs_off_change_nothing() {
    let fake = fake_with(|a| a);
    let (mut c, verified) = signed_in_with_code(&fake);
    assert_eq!(verified.status, 204);
    assert_eq!(verified.header("X-Apple-EDP"), None);
    assert_eq!(verified.header("X-Apple-PDP"), None);
    let boot = c.idmsa("GET", "", None);
    assert_eq!(boot.status, 200);
    let sms = c.idmsa(
        "PUT",
        "/verify/phone",
        Some(json!({"phoneNumber": {"id": 1}, "mode": "sms"})),
    );
    assert_eq!(sms.status, 200);
    let code = fake.current_code(ID).expect("code");
    let body = json!({"phoneNumber": {"id": 1}, "securityCode": {"code": code}, "mode": "sms"});
    assert_eq!(
        c.idmsa("POST", "/verify/phone/securitycode", Some(body))
            .status,
        200
    );
    assert_eq!(c.idmsa("GET", "/2sv/trust", None).status, 204);

    let login = c.account_login();
    assert_trusted(&login);
    let data = login.json();
    assert_eq!(data["iCDPEnabled"], false);
    assert_eq!(data["dsInfo"]["iCDPEnabled"], false);
    assert_eq!(data["dsInfo"]["isWebAccessAllowed"], true);
    let names = cookie_names(&login);
    for app in ["Photos", "Sharing", "Documents", "Notes", "News"] {
        let name = format!("X-APPLE-WEBAUTH-PCS-{app}");
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert!(!names.iter().any(|n| n == "X-APPLE-WEBAUTH-REPAIR"));
    let left = hsa_trust_expires(&login) - now();
    assert!((60 * DAY - 5..=60 * DAY + 5).contains(&left), "{left}");
    assert_eq!(zones(&mut c).status, 200, "no PCS consent needed");

    let state = c.setup("POST", "requestWebAccessState", Some(json!({})));
    assert_eq!(state.json()["isWebAccessAllowed"], true);
    assert!(state.json().get("isDeviceConsentedForPCS").is_none());
    let asked = c.setup("POST", "enableDeviceConsentForPCS", Some(json!({})));
    assert_eq!(asked.json()["isDeviceConsentNotificationSent"], false);
    let pcs = request_pcs(&mut c);
    assert_eq!(pcs.json()["status"], "success", "no consent flow");

    // Next run: a trusted sign-in is a plain 200.
    let mut next = Client::new(&fake.base_url());
    next.trust_token = c.trust_token.clone();
    let complete = next.sign_in(ID, PW);
    assert_eq!(complete.status, 200);
    assert_eq!(
        complete.header("X-Apple-TwoSV-Trust-Eligible"),
        Some("true")
    );
    assert_eq!(complete.header("X-Apple-EDP"), None);
    assert_eq!(complete.header("X-Apple-PDP"), None);
    assert_trusted(&next.account_login());
}
