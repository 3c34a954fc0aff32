//! Authenticated requests of a signed-in session and how Apple's errors are classified.

use icloud_auth::{Error, RetryClass, Session, SignIn};
use icloud_fake::{FakeAccount, FakeICloud, Fault};
use serde_json::Value;

use crate::{PASSWORD, USER, client, fake, memory, secret};

async fn session(fake: &FakeICloud) -> Session {
    match client(fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap()
    {
        SignIn::Complete(s) => s,
        other => panic!("{other:?}"),
    }
}

fn validate_url(fake: &FakeICloud) -> String {
    format!("{}/setup/ws/1/validate", fake.base_url())
}

#[tokio::test]
async fn a_trusted_session_gets_json() {
    let fake = fake(
        FakeAccount::new(USER, PASSWORD)
            .without_two_factor()
            .dsid("777"),
    );
    let s = session(&fake).await;
    let data = s
        .post_json(&validate_url(&fake), &Value::Null)
        .await
        .unwrap();
    assert_eq!(data["dsInfo"]["dsid"], "777");
}

#[tokio::test]
async fn an_expired_session_needs_reauthentication() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).without_two_factor());
    let s = session(&fake).await;
    fake.expire_web_sessions();
    let err = s
        .post_json(&validate_url(&fake), &Value::Null)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SessionExpired), "{err:?}");
    assert!(err.needs_reauth());
    assert_eq!(err.retry_class(), RetryClass::Reauthenticate);
    assert!(matches!(s.validate().await, Err(Error::SessionExpired)));
}

#[tokio::test]
async fn first_run_bad_request_means_not_ready() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).without_two_factor());
    let s = session(&fake).await;
    fake.set_fault(Fault::status("/validate", 400, Some(1)));
    let err = s
        .post_json(&validate_url(&fake), &Value::Null)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotReady), "{err:?}");
    // The fault was for one request only.
    assert!(
        s.post_json(&validate_url(&fake), &Value::Null)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn throttling_is_classified_with_its_retry_class() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).without_two_factor());
    let s = session(&fake).await;
    fake.set_fault(Fault::service_unavailable("/validate"));
    let err = s.get_json(&validate_url(&fake)).await.unwrap_err();
    assert!(matches!(err, Error::Throttled { .. }), "{err:?}");
    assert!(matches!(err.retry_class(), RetryClass::Throttled { .. }));
    fake.clear_faults();
    fake.set_fault(Fault::status("/validate", 450, Some(1)));
    let err = s.get_json(&validate_url(&fake)).await.unwrap_err();
    assert!(err.needs_reauth(), "450: {err:?}");
    // A 500 is a server failure worth retrying, not a reason to sign in again.
    fake.set_fault(Fault::status("/validate", 500, Some(1)));
    let err = s.get_json(&validate_url(&fake)).await.unwrap_err();
    assert!(matches!(err, Error::ServerError { status: 500 }), "{err:?}");
    assert_eq!(err.retry_class(), RetryClass::Transient);
    assert!(!err.needs_reauth());
}

/// Issue 12: an answer larger than any of Apple's is refused at the cap, whether its length is
/// announced (refused before reading) or not (refused once the cap is crossed).
#[tokio::test]
async fn answers_larger_than_the_cap_are_refused() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).without_two_factor());
    let s = session(&fake).await;
    for announced in [true, false] {
        fake.clear_faults();
        let size = icloud_auth::MAX_RESPONSE_BYTES + 1;
        fake.set_fault(Fault::oversized_body("/validate", size, announced));
        let err = s
            .post_json(&validate_url(&fake), &Value::Null)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::ResponseTooLarge { endpoint: "webservice", limit }
                    if limit == icloud_auth::MAX_RESPONSE_BYTES
            ),
            "{err:?}"
        );
        assert_eq!(err.retry_class(), RetryClass::Permanent);
        assert_eq!(
            err.to_string(),
            "answer from webservice larger than 67108864 bytes, not read"
        );
    }
    // At the cap exactly, the body is read (and here is no JSON).
    fake.clear_faults();
    let size = icloud_auth::MAX_RESPONSE_BYTES;
    fake.set_fault(Fault::oversized_body("/validate", size, false));
    let err = s
        .post_json(&validate_url(&fake), &Value::Null)
        .await
        .unwrap_err();
    assert!(!matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
    fake.clear_faults();
    assert!(s.validate().await.is_ok(), "the session still works");
}
