//! What Apple's sign-in does since mid-2026 (auth.md §16): the escrow password proof, 409
//! answers that mean success, the repair cookie, Advanced Data Protection accounts and the
//! trust's expiry.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use icloud_auth::{
    Error, FileSessionStore, PcsEvent, PcsOutcome, PcsPolicy, Session, SignIn, TwoFactorChallenge,
};
use icloud_fake::{Escrow, FakeAccount, FakeICloud};

use crate::{PASSWORD, USER, client, fake, memory, secret};

async fn challenge(
    fake: &FakeICloud,
    store: Arc<dyn icloud_auth::SessionStore>,
) -> TwoFactorChallenge {
    match client(fake)
        .sign_in(USER, &secret(PASSWORD), store)
        .await
        .unwrap()
    {
        SignIn::TwoFactor(c) => c,
        other => panic!("expected 2FA, got {other:?}"),
    }
}

/// Signs in with a device code.
async fn with_code(fake: &FakeICloud, store: Arc<dyn icloud_auth::SessionStore>) -> Session {
    let ch = challenge(fake, store).await;
    ch.request_code().await.unwrap();
    let code = fake.current_code(USER).expect("a code was delivered");
    ch.submit_code(&code).await.unwrap()
}

fn paths(fake: &FakeICloud) -> Vec<String> {
    fake.requests()
        .into_iter()
        .map(|r| {
            let path = r
                .path
                .rsplit("/appleauth/auth")
                .next()
                .unwrap_or("")
                .to_owned();
            let path = path.rsplit("/setup/ws/1/").next().unwrap_or("").to_owned();
            format!("{} {path}", r.method)
        })
        .collect()
}

#[tokio::test]
async fn escrow_follows_a_valid_code_before_the_trust() {
    for kind in [Escrow::Edp, Escrow::Pdp] {
        let fake = fake(FakeAccount::new(USER, PASSWORD).escrow(kind));
        let session = with_code(&fake, memory()).await;
        assert!(session.has_web_token());
        let seen = paths(&fake);
        let at = |p: &str| {
            seen.iter()
                .position(|s| s == p)
                .unwrap_or_else(|| panic!("{p} in {seen:?}"))
        };
        assert!(at("POST /verify/trusteddevice/securitycode") < at("POST /escrow/init"));
        assert!(at("POST /escrow/init") < at("POST /escrow/complete"));
        assert!(at("POST /escrow/complete") < at("GET /2sv/trust"));
        let init = fake
            .requests()
            .into_iter()
            .find(|r| r.path.ends_with("/escrow/init"))
            .unwrap();
        let body = init.json().unwrap();
        assert_eq!(
            body["accountName"], "",
            "escrow proves the password for an empty name"
        );
        assert_eq!(body["protocols"], serde_json::json!(["s2k", "s2k_fo"]));
        let complete = fake
            .requests()
            .into_iter()
            .find(|r| r.path.ends_with("/escrow/complete"))
            .unwrap()
            .json()
            .unwrap();
        for key in ["m1", "m2", "c", "k"] {
            assert!(complete[key].is_string(), "{key} in {complete}");
        }
    }
}

#[tokio::test]
async fn a_later_sign_in_with_the_trust_token_does_escrow_and_asks_no_code() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).escrow(Escrow::Edp));
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn icloud_auth::SessionStore> = Arc::new(FileSessionStore::new(dir.path()));
    with_code(&fake, store.clone()).await;
    fake.expire_web_sessions();
    let before = fake.requests().len();
    let resumed = client(&fake).resume(USER, store.clone()).await.unwrap();
    assert!(resumed.is_none(), "the web session is gone");
    let signed = client(&fake)
        .sign_in(USER, &secret(PASSWORD), store)
        .await
        .unwrap();
    let SignIn::Complete(session) = signed else {
        panic!("no code must be needed, got {signed:?}");
    };
    assert!(session.has_web_token());
    let later: Vec<String> = paths(&fake).split_off(before);
    assert_eq!(
        later,
        [
            "POST validate",
            "POST /signin/init",
            "POST /signin/complete",
            "POST /escrow/init",
            "POST /escrow/complete",
            "POST accountLogin",
        ]
    );
    assert_eq!(fake.current_code(USER), None, "no code was sent");
}

#[tokio::test]
async fn conflict_answers_to_a_right_code_are_success() {
    type Variant = fn(FakeAccount) -> FakeAccount;
    let variants: [(&str, Variant); 3] = [
        ("valid and token", |a| a.code_409(true)),
        ("valid only", FakeAccount::code_409_valid_only),
        ("token only", FakeAccount::code_409_token_only),
    ];
    for (name, variant) in variants {
        // Device code.
        let fake = fake(variant(FakeAccount::new(USER, PASSWORD)));
        let session = with_code(&fake, memory()).await;
        assert!(session.has_web_token(), "{name}: device code");
        // SMS code.
        let fake = self::fake(variant(FakeAccount::new(USER, PASSWORD)));
        let ch = challenge(&fake, memory()).await;
        let phones = ch.trusted_phones().await.unwrap();
        ch.send_sms(&phones[0]).await.unwrap();
        let code = fake.current_code(USER).unwrap();
        let session = ch.submit_sms_code(&phones[0], &code).await.unwrap();
        assert!(session.has_web_token(), "{name}: sms code");
        assert_eq!(fake.count("POST", "/verify/phone/securitycode"), 1);
    }
}

#[tokio::test]
async fn the_phone_page_and_the_sms_may_answer_409() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).boot_page_409().sms_409());
    let ch = challenge(&fake, memory()).await;
    let phones = ch.trusted_phones().await.unwrap();
    assert_eq!(phones.len(), 1, "the 409 page still lists the phones");
    ch.send_sms(&phones[0])
        .await
        .expect("a 409 with the code sent is success");
    let code = fake.current_code(USER).expect("the SMS went out");
    assert!(
        ch.submit_sms_code(&phones[0], &code)
            .await
            .unwrap()
            .has_web_token()
    );
}

#[tokio::test]
async fn a_repair_cookie_instead_of_a_web_session_stops_the_sign_in() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).needs_web_repair());
    let ch = challenge(&fake, memory()).await;
    ch.request_code().await.unwrap();
    let code = fake.current_code(USER).unwrap();
    let err = ch.submit_code(&code).await.unwrap_err();
    assert!(matches!(err, Error::AccountActionRequired), "{err:?}");
    assert!(!err.needs_reauth(), "signing in again does not help");

    let fake = self::fake(
        FakeAccount::new(USER, PASSWORD)
            .without_two_factor()
            .needs_web_repair(),
    );
    let err = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AccountActionRequired), "{err:?}");
    assert_eq!(fake.count("POST", "/accountLogin"), 1, "no retry");
}

fn fast() -> PcsPolicy {
    PcsPolicy::default().interval(Duration::from_millis(20))
}

#[tokio::test]
async fn an_adp_account_gets_the_photos_keys_after_the_device_approves() {
    let fake = fake(
        FakeAccount::new(USER, PASSWORD)
            .adp(true)
            .pcs_polls_before_consent(3),
    );
    let session = with_code(&fake, memory()).await;
    assert!(session.account().adp_enabled());
    assert!(session.needs_pcs());
    let mut events = Vec::new();
    let outcome = session
        .ensure_pcs(fast(), |e| events.push(e))
        .await
        .unwrap();
    assert_eq!(outcome, PcsOutcome::Attached);
    assert!(!session.needs_pcs());
    let approvals = events
        .iter()
        .filter(|e| **e == PcsEvent::ApproveOnDevice)
        .count();
    assert_eq!(approvals, 1, "the person is told once: {events:?}");
    assert_eq!(fake.count("POST", "/requestWebAccessState"), 1);
    assert_eq!(fake.count("POST", "/enableDeviceConsentForPCS"), 1);
    assert_eq!(
        fake.count("POST", "/requestPCS"),
        4,
        "3 pending answers, then the keys"
    );
    let first = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/requestPCS"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        first,
        serde_json::json!({"appName": "photos", "derivedFromUserAction": true})
    );
    // Unexpired keys are not asked for again.
    let again = session.ensure_pcs(fast(), |_| {}).await.unwrap();
    assert_eq!(again, PcsOutcome::AlreadyAttached);
    assert_eq!(fake.count("POST", "/requestPCS"), 4);
}

#[tokio::test]
async fn keys_refused_later_are_dropped_and_asked_for_without_a_prompt() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).adp(true));
    let session = with_code(&fake, memory()).await;
    session.ensure_pcs(fast(), |_| {}).await.unwrap();
    fake.expire_pcs_cookies();
    let ck = session.webservice("ckdatabasews").unwrap().url().to_owned();
    let url = format!(
        "{ck}/database/1/com.apple.photos.cloud/production/private/zones/list?dsid={}",
        session.account().dsid()
    );
    let err = session
        .post_json(&url, &serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PcsRequired), "{err:?}");
    assert!(err.needs_reauth());
    assert!(session.needs_pcs(), "the refused keys were dropped");
    let mut events = Vec::new();
    let outcome = session
        .ensure_pcs(fast(), |e| events.push(e))
        .await
        .unwrap();
    assert_eq!(outcome, PcsOutcome::Attached);
    assert!(events.is_empty(), "consent was given before: {events:?}");
    assert_eq!(fake.count("POST", "/enableDeviceConsentForPCS"), 1);
    session
        .post_json(&url, &serde_json::json!({}))
        .await
        .unwrap();
}

#[tokio::test]
async fn adp_without_web_access_is_refused_by_name() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).adp(false));
    let session = with_code(&fake, memory()).await;
    assert!(!session.account().web_access_allowed());
    let err = session.ensure_pcs(fast(), |_| {}).await.unwrap_err();
    assert!(matches!(err, Error::AdpWebAccessDisabled), "{err:?}");
    assert_eq!(fake.count("POST", "/requestPCS"), 0);
}

#[tokio::test]
async fn a_device_that_never_approves_ends_the_wait() {
    let fake = fake(
        FakeAccount::new(USER, PASSWORD)
            .adp(true)
            .pcs_polls_before_consent(1000),
    );
    let session = with_code(&fake, memory()).await;
    let policy = fast().timeout(Duration::from_millis(200));
    let err = session.ensure_pcs(policy, |_| {}).await.unwrap_err();
    assert!(matches!(err, Error::PcsUnavailable { .. }), "{err:?}");
}

#[tokio::test]
async fn accounts_without_adp_need_no_keys() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    let session = with_code(&fake, memory()).await;
    assert!(!session.needs_pcs());
    assert_eq!(
        session.ensure_pcs(fast(), |_| {}).await.unwrap(),
        PcsOutcome::NotNeeded
    );
    assert_eq!(fake.count("POST", "/requestWebAccessState"), 0);
}

#[tokio::test]
async fn the_trust_expiry_is_the_trust_cookies() {
    let lifetime = Duration::from_secs(5 * 24 * 3600);
    let fake = fake(FakeAccount::new(USER, PASSWORD).trust_lifetime(lifetime));
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn icloud_auth::SessionStore> = Arc::new(FileSessionStore::new(dir.path()));
    let session = with_code(&fake, store.clone()).await;
    let expires = session.trust_expires().expect("a trust expiry");
    let left = expires.duration_since(SystemTime::now()).unwrap();
    assert!(
        left <= lifetime && left > lifetime - Duration::from_secs(60),
        "{left:?}"
    );
    // A later run reads the same day from the stored cookies, and validation does not move it.
    let Some(SignIn::Complete(resumed)) = client(&fake).resume(USER, store).await.unwrap() else {
        panic!("the session resumes");
    };
    let again = resumed.trust_expires().unwrap();
    let diff = again
        .duration_since(expires)
        .unwrap_or_else(|e| e.duration());
    assert!(diff < Duration::from_secs(2), "{diff:?}");

    let fake = self::fake(FakeAccount::new(USER, PASSWORD).without_two_factor());
    let Ok(SignIn::Complete(session)) = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
    else {
        panic!("no second factor");
    };
    assert_eq!(session.trust_expires(), None);
}
