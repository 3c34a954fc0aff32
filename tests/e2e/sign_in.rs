//! Sign in with 2FA once, then keep working across "restarts" from the stored session.

use std::sync::Arc;

use icloud_auth::{Error, FileSessionStore, SecretString, SessionStore, SignIn};
use icloud_fake::FakeAccount;
use icloud_workspace::{APPLE_ID, PASSWORD, client_for, start_fake};

#[tokio::test]
async fn two_factor_once_then_unattended_runs() {
    let fake = start_fake(FakeAccount::new(APPLE_ID, PASSWORD));
    let dir = tempfile::tempdir().unwrap();
    let password = SecretString::from(PASSWORD.to_owned());

    // Run 1: interactive set-up, the code comes from the user (here: the fake's delivery log).
    let store: Arc<dyn SessionStore> = Arc::new(FileSessionStore::new(dir.path()));
    let client = client_for(&fake);
    assert!(
        client
            .resume(APPLE_ID, store.clone())
            .await
            .unwrap()
            .is_none()
    );
    let SignIn::TwoFactor(challenge) = client.sign_in(APPLE_ID, &password, store).await.unwrap()
    else {
        panic!("a new device needs 2FA");
    };
    challenge.request_code().await.unwrap();
    let code = fake.current_code(APPLE_ID).unwrap();
    let session = challenge.submit_code(&code).await.unwrap();
    let photos_db = session.webservice("ckdatabasews").unwrap().url().to_owned();
    drop(session);

    // Run 2, a new process: no password, no code.
    let store: Arc<dyn SessionStore> = Arc::new(FileSessionStore::new(dir.path()));
    let client = client_for(&fake);
    let Some(SignIn::Complete(session)) = client.resume(APPLE_ID, store.clone()).await.unwrap()
    else {
        panic!("the stored session resumes");
    };
    assert_eq!(session.webservice("ckdatabasews").unwrap().url(), photos_db);

    // Apple ends the web session mid-run: the error says to re-authenticate, and the stored
    // trust token makes that a password-only sign-in.
    fake.expire_web_sessions();
    let err = session.validate().await.unwrap_err();
    assert!(
        matches!(err, Error::SessionExpired) && err.needs_reauth(),
        "{err:?}"
    );
    let again = client.sign_in(APPLE_ID, &password, store).await.unwrap();
    assert!(again.is_complete(), "{again:?}");
    assert_eq!(fake.count("POST", "/verify/trusteddevice/securitycode"), 1);
}
