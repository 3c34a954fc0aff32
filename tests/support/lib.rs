//! Shared helpers for the workspace's end-to-end tests and examples: a fake Apple with one
//! account, and an [`AuthClient`] pointed at it.

use icloud_auth::{AuthClient, Certificate, Endpoints, Network, Region};
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

/// Returns the network settings that reach `fake` (started with `https()`) under Apple's real
/// host names: its CA as an extra root and its host overrides.
pub fn network_for_apple_hosts(fake: &FakeICloud) -> Network {
    let pem = fake
        .ca_certificate_pem()
        .expect("the fake serves HTTPS under Apple's host names");
    // Straight to the fake: a proxy from the environment would resolve Apple's names itself.
    let mut network = Network::default().no_proxy();
    for cert in Certificate::from_pem_bundle(&pem).expect("the fake's CA is PEM") {
        network = network.add_root_certificate(cert);
    }
    for (host, addr) in fake.host_overrides() {
        network = network.resolve(host, addr);
    }
    network
}

/// Returns a client with Apple's real endpoints, reaching `fake` (HTTPS mode) only through
/// host overrides and its CA, as an embedder's test would.
pub fn client_for_apple_hosts(fake: &FakeICloud) -> AuthClient {
    AuthClient::builder()
        .endpoints(Endpoints::for_region(Region::Global))
        .network(network_for_apple_hosts(fake))
        .build()
        .expect("client builds")
}
