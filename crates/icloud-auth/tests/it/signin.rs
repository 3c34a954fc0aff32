//! The password step: outcomes and errors.

use icloud_auth::{Error, SignIn};
use icloud_fake::{FakeAccount, Fault};

use crate::{PASSWORD, USER, client, fake, memory, secret};

#[tokio::test]
async fn account_without_second_factor_signs_in_completely() {
    let fake = fake(
        FakeAccount::new(USER, PASSWORD)
            .without_two_factor()
            .dsid("123456"),
    );
    let signed = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap();
    let SignIn::Complete(session) = signed else {
        panic!("expected a complete sign-in, got {signed:?}");
    };
    assert_eq!(session.account().dsid(), "123456");
    let ck = session.webservice("ckdatabasews").unwrap();
    assert!(ck.url().starts_with(&fake.base_url()), "{}", ck.url());
    assert!(matches!(
        session.webservice("nope"),
        Err(Error::WebserviceUnavailable { .. })
    ));
}

#[tokio::test]
async fn s2k_fo_accounts_sign_in_too() {
    let fake = fake(
        FakeAccount::new(USER, PASSWORD)
            .protocol_s2k_fo()
            .without_two_factor(),
    );
    let signed = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap();
    assert!(signed.is_complete());
}

#[tokio::test]
async fn mixed_case_apple_ids_sign_in() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).without_two_factor());
    let signed = client(&fake)
        .sign_in("JDoe@Gmail.com", &secret(PASSWORD), memory())
        .await;
    assert!(signed.unwrap().is_complete());
}

#[tokio::test]
async fn wrong_password_is_invalid_credentials() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    let err = client(&fake)
        .sign_in(USER, &secret("wrong"), memory())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidCredentials), "{err:?}");
    assert!(!err.needs_reauth());
}

#[tokio::test]
async fn unknown_account_is_invalid_credentials() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    let err = client(&fake)
        .sign_in("nobody@example.com", &secret(PASSWORD), memory())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidCredentials), "{err:?}");
}

#[tokio::test]
async fn throttling_on_init_is_reported_and_not_retried() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    fake.set_fault(Fault::ServiceUnavailable {
        path_suffix: "/signin/init".into(),
        times: None,
    });
    let err = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Throttled { .. }), "{err:?}");
    assert_eq!(fake.count("POST", "/signin/init"), 1);
    assert_eq!(fake.count("POST", "/signin/complete"), 0);
}

#[tokio::test]
async fn locked_account_is_reported_as_locked() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).locked());
    let err = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AccountLocked), "{err:?}");
}

#[tokio::test]
async fn security_keys_are_detected_before_any_code_is_asked() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).fido(&["YubiKey 5C"]));
    let err = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap_err();
    match err {
        Error::UnsupportedAuthMethod { key_names } => assert_eq!(key_names, "YubiKey 5C"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn accounts_needing_repair_are_repaired() {
    let fake = fake(
        FakeAccount::new(USER, PASSWORD)
            .without_two_factor()
            .needs_repair(),
    );
    let signed = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap();
    assert!(signed.is_complete());
    assert_eq!(fake.count("POST", "/repair/complete"), 1);
}

#[tokio::test]
async fn wrong_region_names_the_domain_to_use() {
    let fake = fake(FakeAccount::new(USER, PASSWORD).wrong_region("iCloud.com.cn"));
    let err = client(&fake)
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap_err();
    match err {
        Error::WrongRegion { domain } => assert_eq!(domain, "iCloud.com.cn"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn errors_and_debug_output_hold_no_secrets() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    let err = client(&fake)
        .sign_in(USER, &secret("hunter2-secret"), memory())
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    let s = secret("hunter2-secret");
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = icloud_auth::AuthClient::builder()
        .endpoints(
            icloud_auth::Endpoints::single_origin(
                icloud_auth::Region::Global,
                &format!("http://127.0.0.1:{port}"),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let err = client
        .sign_in(USER, &secret(PASSWORD), memory())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(err.retry_class(), icloud_auth::RetryClass::Transient);
}
