//! Integration tests of `icloud-auth` against `icloud-fake` over loopback HTTP.

mod apple_2026;
mod persistence;
mod second_factor;
mod signin;
mod web_requests;

use std::sync::Arc;

use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SessionStore};
use icloud_fake::{FakeAccount, FakeICloud};

pub const USER: &str = "jdoe@gmail.com";
pub const PASSWORD: &str = "password1";

/// Starts a fake with one account.
pub fn fake(account: FakeAccount) -> FakeICloud {
    FakeICloud::builder()
        .account(account)
        .start()
        .expect("fake starts")
}

/// A client pointed at `fake`.
pub fn client(fake: &FakeICloud) -> AuthClient {
    AuthClient::builder()
        .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url()).unwrap())
        .build()
        .unwrap()
}

pub fn memory() -> Arc<dyn SessionStore> {
    Arc::new(MemorySessionStore::default())
}

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

#[test]
fn every_test_module_is_included() {
    // Forgotten-file guard: every .rs file in this directory must be a module of main.rs.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".rs")
            && stem != "main"
        {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/it/{name} is not included in main.rs"
            );
        }
    }
}
