//! Trusted sessions survive between runs through the session store.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use icloud_auth::{FileSessionStore, SessionStore, SignIn};
use icloud_fake::FakeAccount;

use crate::{PASSWORD, USER, client, fake, secret};

async fn sign_in_with_2fa(fake: &icloud_fake::FakeICloud, store: Arc<dyn SessionStore>) {
    let SignIn::TwoFactor(ch) = client(fake)
        .sign_in(USER, &secret(PASSWORD), store)
        .await
        .unwrap()
    else {
        panic!("expected 2FA")
    };
    ch.request_code().await.unwrap();
    ch.submit_code(&fake.current_code(USER).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stored_session_resumes_without_password_or_code() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SessionStore> = Arc::new(FileSessionStore::new(dir.path()));
    sign_in_with_2fa(&fake, store.clone()).await;
    let inits = fake.count("POST", "/signin/init");

    let resumed = client(&fake).resume(USER, store).await.unwrap();
    assert!(matches!(resumed, Some(SignIn::Complete(_))), "{resumed:?}");
    assert_eq!(
        fake.count("POST", "/signin/init"),
        inits,
        "no new SRP sign-in"
    );
}

#[tokio::test]
async fn files_are_private_and_in_icloudpds_layout() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    let dir = tempfile::tempdir().unwrap();
    let cookies = dir.path().join("cookies");
    sign_in_with_2fa(&fake, Arc::new(FileSessionStore::new(&cookies))).await;
    for name in ["jdoegmailcom", "jdoegmailcom.session"] {
        let meta = std::fs::metadata(cookies.join(name)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
    }
    let session: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cookies.join("jdoegmailcom.session")).unwrap())
            .unwrap();
    for key in [
        "client_id",
        "session_token",
        "trust_token",
        "scnt",
        "session_id",
    ] {
        assert!(session.get(key).is_some(), "{key} missing from {session}");
    }
    let jar = std::fs::read_to_string(cookies.join("jdoegmailcom")).unwrap();
    assert!(jar.starts_with("#LWP-Cookies-2.0"), "{jar}");
    assert!(jar.contains("X-APPLE-WEBAUTH-TOKEN="), "{jar}");
}

#[tokio::test]
async fn an_expired_web_session_signs_in_again_without_a_code() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SessionStore> = Arc::new(FileSessionStore::new(dir.path()));
    sign_in_with_2fa(&fake, store.clone()).await;
    fake.expire_web_sessions();

    let client = client(&fake);
    assert!(client.resume(USER, store.clone()).await.unwrap().is_none());
    let signed = client
        .sign_in(USER, &secret(PASSWORD), store)
        .await
        .unwrap();
    assert!(
        signed.is_complete(),
        "the trust token skips 2FA: {signed:?}"
    );
}

#[tokio::test]
async fn an_expired_trust_token_asks_for_a_code_again() {
    let fake = fake(FakeAccount::new(USER, PASSWORD));
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SessionStore> = Arc::new(FileSessionStore::new(dir.path()));
    sign_in_with_2fa(&fake, store.clone()).await;
    fake.expire_web_sessions();
    fake.expire_trust_tokens();
    let signed = client(&fake)
        .sign_in(USER, &secret(PASSWORD), store)
        .await
        .unwrap();
    assert!(matches!(signed, SignIn::TwoFactor(_)), "{signed:?}");
}

/// A store that counts the writes it receives.
#[derive(Debug, Default)]
struct CountingStore {
    inner: icloud_auth::MemorySessionStore,
    saves: std::sync::atomic::AtomicUsize,
}

impl SessionStore for CountingStore {
    fn load(&self, apple_id: &str) -> icloud_auth::Result<icloud_auth::SessionState> {
        self.inner.load(apple_id)
    }

    fn save(&self, apple_id: &str, state: &icloud_auth::SessionState) -> icloud_auth::Result<()> {
        self.saves.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.save(apple_id, state)
    }
}

#[tokio::test]
async fn responses_that_change_nothing_are_not_written_again() {
    use std::sync::atomic::Ordering;
    let fake = fake(FakeAccount::new(USER, PASSWORD).without_two_factor());
    let store = Arc::new(CountingStore::default());
    let SignIn::Complete(session) = client(&fake)
        .sign_in(USER, &secret(PASSWORD), store.clone())
        .await
        .unwrap()
    else {
        panic!("expected a complete sign-in")
    };
    let after_sign_in = store.saves.load(Ordering::SeqCst);
    assert!(after_sign_in >= 3, "every changing response is persisted");

    // Bare error replies carry no cookies or tokens: nothing new to write.
    fake.set_fault(icloud_fake::Fault::status("/validate", 400, Some(2)));
    let url = format!("{}/setup/ws/1/validate", fake.base_url());
    for _ in 0..2 {
        assert!(
            session
                .post_json(&url, &serde_json::Value::Null)
                .await
                .is_err()
        );
    }
    assert_eq!(store.saves.load(Ordering::SeqCst), after_sign_in);
}
