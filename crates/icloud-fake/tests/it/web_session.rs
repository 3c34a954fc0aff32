//! validate, accountLogin errors, region redirect, web-session expiry.

use serde_json::json;

use crate::client::Client;
use crate::{ID, PW, fake_with};

#[test]
fn validate_without_cookie_is_421() {
    let fake = fake_with(|a| a);
    let resp =
        Client::new(&fake.base_url()).setup("POST", "validate", Some(serde_json::Value::Null));
    assert_eq!(resp.status, 421);
    assert_eq!(
        resp.json(),
        json!({"success": false, "error": "Missing X-APPLE-WEBAUTH-TOKEN cookie"})
    );
}

#[test]
fn validate_with_session_then_expiry() {
    let fake = fake_with(|a| a.without_two_factor());
    let mut c = Client::new(&fake.base_url());
    c.sign_in(ID, PW);
    assert_eq!(c.account_login().status, 200);
    let ok = c.setup("POST", "validate", Some(serde_json::Value::Null));
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["dsInfo"]["appleId"], ID);
    let refreshed = ok
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("X-APPLE-WEBAUTH-TOKEN="));
    let refreshed = refreshed.unwrap_or_default();
    assert!(
        refreshed.contains(";Expires=") && refreshed.contains(" GMT;Path=/"),
        "{refreshed}"
    );
    assert!(
        !refreshed.contains("Domain") && !refreshed.contains("Secure"),
        "{refreshed}"
    );

    fake.expire_web_sessions();
    assert_eq!(
        c.setup("POST", "validate", Some(serde_json::Value::Null))
            .status,
        421
    );
    assert_eq!(c.account_login().status, 421, "session tokens expire too");
}

#[test]
fn account_login_with_unknown_token_is_421() {
    let fake = fake_with(|a| a);
    let mut c = Client::new(&fake.base_url());
    c.session_token = Some("bogus".to_owned());
    let resp = c.account_login();
    assert_eq!(resp.status, 421);
    assert_eq!(resp.json()["success"], false);
}

#[test]
fn wrong_region_is_302_domain_to_use() {
    let fake = fake_with(|a| a.wrong_region("iCloud.com.cn"));
    let mut c = Client::new(&fake.base_url());
    c.sign_in(ID, PW);
    let resp = c.account_login();
    assert_eq!(resp.status, 302);
    assert_eq!(resp.json(), json!({"domainToUse": "iCloud.com.cn"}));
    assert!(resp.header("Location").is_none());
}

#[test]
fn webservices_point_back_at_the_fake() {
    let fake = fake_with(|a| a.without_two_factor().dsid("12345678901"));
    let mut c = Client::new(&fake.base_url());
    c.sign_in(ID, PW);
    let data = c.account_login().json();
    assert_eq!(data["webservices"]["ckdatabasews"]["url"], fake.base_url());
    assert_eq!(data["dsInfo"]["dsid"], "12345678901");
    assert_eq!(
        c.cookies.get("X-APPLE-WEBAUTH-USER").map(String::as_str),
        Some("\"v=1:s=1:d=12345678901\"")
    );
}
