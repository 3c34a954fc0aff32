//! Shared helpers for the workspace's end-to-end tests and examples: a fake Apple with one
//! account, and an [`AuthClient`] pointed at it.

use icloud_auth::{AuthClient, Endpoints, Region};
use icloud_fake::{FakeAccount, FakeICloud};

/// The Apple ID of the default test account.
pub const APPLE_ID: &str = "jdoe@example.com";
/// Its password.
pub const PASSWORD: &str = "correct horse battery staple";

/// Starts a fake with `account` on an ephemeral loopback port.
pub fn start_fake(account: FakeAccount) -> FakeICloud {
    FakeICloud::builder()
        .account(account)
        .start()
        .expect("the fake Apple server starts on loopback")
}

/// Returns a client whose every endpoint is `fake`, as an embedder would build it.
pub fn client_for(fake: &FakeICloud) -> AuthClient {
    let endpoints = Endpoints::single_origin(Region::Global, &fake.base_url())
        .expect("the fake's base URL is valid");
    AuthClient::builder()
        .endpoints(endpoints)
        .build()
        .expect("client builds")
}
