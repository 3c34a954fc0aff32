//! Legacy 2SA on the setup service.

use serde_json::json;

use crate::client::Client;
use crate::{ID, PW, fake_with};

#[test]
fn two_step_flow() {
    let fake = fake_with(|a| a.two_step().fixed_code("654321"));
    let mut c = Client::new(&fake.base_url());
    assert_eq!(c.sign_in(ID, PW).status, 409);
    let login = c.account_login();
    assert_eq!(login.json()["dsInfo"]["hsaVersion"], 1);
    assert_eq!(login.json()["hsaChallengeRequired"], true);
    let dsid = login.json()["dsInfo"]["dsid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let q = format!(
        "?clientBuildNumber=2522Project44&clientMasteringNumber=2522B2&clientId=x&dsid={dsid}"
    );

    let devices = c.setup("GET", &format!("listDevices{q}"), None).json();
    let device = devices["devices"][0].clone();
    assert_eq!(device["deviceId"], "1");
    assert_eq!(
        c.setup(
            "POST",
            &format!("sendVerificationCode{q}"),
            Some(device.clone())
        )
        .json(),
        json!({"success": true})
    );
    assert_eq!(fake.current_code(ID).as_deref(), Some("654321"));

    let mut wrong =
        json!({"deviceType": "SMS", "areaCode": "", "phoneNumber": "*******03", "deviceID": "1"});
    wrong["verificationCode"] = json!("000000");
    wrong["trustBrowser"] = json!(true);
    let resp = c.setup(
        "POST",
        &format!("validateVerificationCode{q}"),
        Some(wrong.clone()),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["errorCode"], -21669);

    wrong["verificationCode"] = json!("654321");
    // Without cookies, the dsid query still names the login (the cassette shows no Cookie).
    c.cookies.clear();
    assert_eq!(
        c.setup("POST", &format!("validateVerificationCode{q}"), Some(wrong))
            .json(),
        json!({"success": true})
    );
    let after = c.account_login();
    assert_eq!(after.json()["hsaTrustedBrowser"], true);
    assert_eq!(
        c.idmsa("GET", "/2sv/trust", None).status,
        404,
        "no 2sv/trust for 2SA"
    );
}
