//! Two-factor (device and SMS codes, 2026 variants) and legacy two-step sign-in.

use icloud_auth::{Error, SignIn, TwoFactorChallenge};
use icloud_fake::FakeAccount;

use crate::{PASSWORD, USER, client, fake, memory, secret};

async fn challenge(fake: &icloud_fake::FakeICloud) -> TwoFactorChallenge {
    match client(fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap()
    {
        SignIn::TwoFactor(c) => c,
        other => panic!("expected 2FA, got {other:?}"),
    }
}

#[tokio::test]
async fn device_code_after_a_push_request_trusts_the_session() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    let ch = challenge(&fake).await;
    assert_eq!(
        fake.current_code(USER),
        None,
        "2026 Apple pushes only on request"
    );
    ch.request_code().await.unwrap();
    let code = fake.current_code(USER).expect("a code was delivered");
    let session = ch.submit_code(&code).await.unwrap();
    assert!(session.has_web_token());
    assert_eq!(fake.count("GET", "/2sv/trust"), 1);
    session.validate().await.unwrap();
}

#[tokio::test]
async fn a_wrong_code_can_be_followed_by_the_right_one() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).fixed_code("054321"));
    let ch = challenge(&fake).await;
    ch.request_code().await.unwrap();
    let err = ch.clone().submit_code("111111").await.unwrap_err();
    assert!(matches!(err, Error::TwoFactorRejected), "{err:?}");
    let session = ch.submit_code("054321").await.unwrap();
    assert!(session.has_web_token());
}

#[tokio::test]
async fn sms_code_to_a_trusted_phone() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).trusted_phones(&[
        (
            1,
            "(\u{2022}\u{2022}\u{2022}) \u{2022}\u{2022}\u{2022}-\u{2022}\u{2022}81",
        ),
        (2, "+44 \u{2022}\u{2022}\u{2022}\u{2022} 22"),
    ]));
    let ch = challenge(&fake).await;
    let phones = ch.trusted_phones().await.unwrap();
    let page = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "GET" && r.path.ends_with("/appleauth/auth"))
        .unwrap();
    let accepts: Vec<&String> = page
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("accept"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(
        accepts,
        ["text/html"],
        "one Accept header, asking for the HTML page"
    );
    let shown: Vec<String> = phones.iter().map(|p| p.display()).collect();
    assert_eq!(shown, ["(***) ***-**81", "+44 **** 22"]);
    ch.send_sms(&phones[1]).await.unwrap();
    let code = fake.current_code(USER).unwrap();
    let session = ch.submit_sms_code(&phones[1], &code).await.unwrap();
    assert!(session.has_web_token());
}

#[tokio::test]
async fn phones_at_the_2026_location_are_found() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).phones_in_bridge(true));
    let ch = challenge(&fake).await;
    assert_eq!(ch.trusted_phones().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_2026_style_409_for_a_valid_code_is_success() {
    let fake = fake(
        FakeAccount::new(USER, PASSWORD)
            .code_409(true)
            .fixed_code("123456"),
    );
    let ch = challenge(&fake).await;
    ch.request_code().await.unwrap();
    assert!(ch.submit_code("123456").await.unwrap().has_web_token());
}

#[tokio::test]
async fn pre_2026_accounts_get_their_code_without_asking() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).push_required(false));
    let ch = challenge(&fake).await;
    let code = fake.current_code(USER).expect("pushed at sign-in");
    assert!(ch.submit_code(&code).await.is_ok());
}

#[tokio::test]
async fn legacy_two_step_accounts() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).two_step());
    let signed = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap();
    let SignIn::TwoStep(ch) = signed else {
        panic!("expected 2SA, got {signed:?}");
    };
    let devices = ch.devices().await.unwrap();
    assert!(!devices.is_empty());
    ch.send_code(&devices[0]).await.unwrap();
    let code = fake.current_code(USER).unwrap();
    let err = ch.clone().submit_code(&devices[0], "000000").await;
    assert!(matches!(err, Err(Error::TwoFactorRejected)), "{err:?}");
    let session = ch.submit_code(&devices[0], &code).await.unwrap();
    assert!(!session.account().dsid().is_empty());
}
