//! The libraries against a fake Apple served over TLS under Apple's real host names, with
//! Apple's cookie attributes (`Domain=.icloud.com; Secure; HttpOnly`): no endpoint overrides,
//! only host overrides and the fake's CA, as an embedder behind a TLS-inspecting proxy would
//! configure them. Cookie-domain bugs (cookies lost on reload, sent to the wrong host) show here
//! and nowhere on plain HTTP to 127.0.0.1.

use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use icloud_auth::{AuthClient, Error, FileSessionStore, SecretString, SessionStore, SignIn};
use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};
use icloud_photos::{Asset, PhotosClient, VersionKind};
use icloud_workspace::{APPLE_ID, PASSWORD, client_for_apple_hosts};

fn https_fake() -> FakeICloud {
    FakeICloud::builder()
        .account(
            FakeAccount::new(APPLE_ID, PASSWORD)
                .fixed_code("123456")
                .library(FakeLibrary::generated(40, 11)),
        )
        .https()
        .start()
        .expect("the fake starts")
}

fn hosts(fake: &FakeICloud, path_end: &str) -> Vec<String> {
    let mut hosts: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with(path_end))
        .filter_map(|r| r.host)
        .collect();
    hosts.dedup();
    hosts
}

async fn all_assets(photos: &PhotosClient) -> Result<Vec<Asset>, icloud_photos::Error> {
    let library = photos.primary().await?;
    library.assets(&library.all_photos()).try_collect().await
}

async fn download(photos: &PhotosClient, asset: &Asset) -> Vec<u8> {
    let version = asset.version(VersionKind::Original).unwrap();
    let mut stream = photos.download(version, 0).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

#[tokio::test]
async fn sign_in_reuse_after_a_restart_reauthentication_and_downloads_under_apples_names() {
    let fake = https_fake();
    let dir = tempfile::tempdir().unwrap();
    let password = SecretString::from(PASSWORD.to_owned());
    let client: AuthClient = client_for_apple_hosts(&fake);
    assert_eq!(
        client.endpoints().auth(),
        "https://idmsa.apple.com/appleauth/auth"
    );

    // Run 1: sign in with a code; the session lands in Python icloudpd's cookie files.
    let store: Arc<dyn SessionStore> = Arc::new(FileSessionStore::new(dir.path()));
    let SignIn::TwoFactor(challenge) = client.sign_in(APPLE_ID, &password, store).await.unwrap()
    else {
        panic!("a new device needs a code");
    };
    challenge.request_code().await.unwrap();
    let session = challenge.submit_code("123456").await.unwrap();
    assert_eq!(hosts(&fake, "/signin/init"), ["idmsa.apple.com"]);
    assert_eq!(hosts(&fake, "/accountLogin"), ["setup.icloud.com"]);
    assert!(
        session
            .webservice("ckdatabasews")
            .unwrap()
            .url()
            .starts_with("https://p61-ckdatabasews.icloud.com:")
    );
    drop(session);
    let jar = std::fs::read_to_string(dir.path().join("jdoeexamplecom")).unwrap();
    assert!(
        jar.contains("X-APPLE-WEBAUTH-TOKEN=") && jar.contains("domain=\".icloud.com\""),
        "{jar}"
    );

    // Run 2, a new process: the cookies reloaded from disk still reach setup and CloudKit.
    let client = client_for_apple_hosts(&fake);
    let store: Arc<dyn SessionStore> = Arc::new(FileSessionStore::new(dir.path()));
    let Some(SignIn::Complete(session)) = client.resume(APPLE_ID, store.clone()).await.unwrap()
    else {
        panic!("the stored session resumes after a restart");
    };
    assert_eq!(fake.count("POST", "/signin/init"), 1, "no new sign-in");
    let photos = PhotosClient::new(&session).unwrap();
    let assets = all_assets(&photos).await.unwrap();
    let expected = fake.expected_listing(APPLE_ID, "PrimarySync", None);
    assert_eq!(assets.len(), expected.len());
    assert_eq!(
        hosts(&fake, "/records/query"),
        ["p61-ckdatabasews.icloud.com"]
    );

    // Downloads come from the CDN host over TLS, byte for byte.
    let first = &assets[0];
    let bytes = download(&photos, first).await;
    let truth = fake
        .version_bytes(APPLE_ID, "PrimarySync", first.id().as_str(), "resOriginal")
        .unwrap();
    assert_eq!(bytes, truth);
    let cdn = hosts(&fake, "");
    assert!(
        cdn.iter().any(|h| h == "cvws.icloud-content.com"),
        "{cdn:?}"
    );

    // Apple ends the web session mid-run: sign in again with the stored trust token (no
    // code), and carry on.
    fake.expire_web_sessions();
    let err = all_assets(&photos).await.unwrap_err();
    assert!(err.needs_reauth(), "{err:?}");
    let again = client.sign_in(APPLE_ID, &password, store).await.unwrap();
    let SignIn::Complete(session) = again else {
        panic!("the trust token spares the code: {again:?}");
    };
    let photos = PhotosClient::new(&session).unwrap();
    assert_eq!(all_assets(&photos).await.unwrap().len(), expected.len());
    let last = assets.last().unwrap();
    let truth = fake
        .version_bytes(APPLE_ID, "PrimarySync", last.id().as_str(), "resOriginal")
        .unwrap();
    assert_eq!(download(&photos, last).await, truth);
    assert_eq!(fake.count("POST", "/verify/trusteddevice/securitycode"), 1);
}

#[tokio::test]
async fn without_the_fakes_ca_the_certificate_is_refused_with_its_reason() {
    let fake = https_fake();
    let mut network = icloud_auth::Network::default().no_proxy();
    for (host, addr) in fake.host_overrides() {
        network = network.resolve(host, addr);
    }
    let client = AuthClient::builder()
        .endpoints(icloud_auth::Endpoints::for_region(
            icloud_auth::Region::Global,
        ))
        .network(network)
        .build()
        .unwrap();
    let password = SecretString::from(PASSWORD.to_owned());
    let store: Arc<dyn SessionStore> = Arc::new(icloud_auth::MemorySessionStore::default());
    let err = client
        .sign_in(APPLE_ID, &password, store)
        .await
        .unwrap_err();
    let Error::Transport(transport) = &err else {
        panic!("{err:?}");
    };
    let mut chain = transport.to_string();
    let mut source = std::error::Error::source(transport);
    while let Some(cause) = source {
        chain.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");
}
