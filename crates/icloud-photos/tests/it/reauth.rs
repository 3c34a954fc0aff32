//! Apple's session expiry as icloudpd meets it mid-run: CloudKit refuses the web session, the
//! error asks for re-authentication, and the trust token stored after the first 2FA makes the
//! new sign-in password-only.

use std::sync::Arc;

use icloud_auth::{
    AuthClient, Endpoints, MemorySessionStore, Region, SecretString, Session, SessionStore, SignIn,
};
use icloud_fake::{FakeAccount, FakeLibrary, Fault};
use icloud_photos::PhotosClient;

use crate::{PASSWORD, USER, drain, fast_retry, start};

async fn sign_in(fake: &icloud_fake::FakeICloud, store: Arc<dyn SessionStore>) -> SignIn {
    let client = AuthClient::builder()
        .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url()).unwrap())
        .build()
        .unwrap();
    let password = SecretString::from(PASSWORD.to_owned());
    client.sign_in(USER, &password, store).await.unwrap()
}

fn photos(session: &Session) -> PhotosClient {
    PhotosClient::builder(session)
        .retry(fast_retry())
        .page_size(20)
        .concurrency(2)
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_expired_session_signs_in_again_without_two_factor() {
    let account = FakeAccount::new(USER, PASSWORD).library(FakeLibrary::generated(200, 3));
    let fake = start(account);
    let store: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
    let SignIn::TwoFactor(challenge) = sign_in(&fake, store.clone()).await else {
        panic!("a new device needs 2FA");
    };
    challenge.request_code().await.unwrap();
    let session = challenge
        .submit_code(&fake.current_code(USER).unwrap())
        .await
        .unwrap();

    fake.set_fault(Fault::expire_session_after(4));
    let library = photos(&session).primary().await.unwrap();
    let (assets, errors) = drain(library.assets(&library.all_photos())).await;
    assert!(assets.len() < 200);
    let err = errors.last().expect("the listing fails");
    assert!(err.needs_reauth(), "{err:?}");

    let again = sign_in(&fake, store).await;
    let SignIn::Complete(session) = again else {
        panic!("the trust token skips 2FA: {again:?}");
    };
    let library = photos(&session).primary().await.unwrap();
    let (assets, errors) = drain(library.assets(&library.all_photos())).await;
    assert!(errors.is_empty(), "{errors:?}");
    let expected = fake.expected_listing(USER, "PrimarySync", None);
    assert_eq!(assets.len(), expected.len());
    assert_eq!(fake.count("POST", "/verify/trusteddevice/securitycode"), 1);
    assert_eq!(fake.count("POST", "/signin/complete"), 2);
}
