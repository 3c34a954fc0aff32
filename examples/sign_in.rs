//! Signs an Apple ID in, asking for the two-factor code on stdin, and keeps the session in
//! Python icloudpd's cookie directory so later runs need neither password nor code.
//!
//! Against Apple: `cargo run --example sign_in -- you@example.com` (the password is asked on the
//! terminal, or read from `APPLE_PASSWORD`). Against the bundled fake:
//! start `icloud-fake --account me@example.com:secret`, then set `ICLOUD_AUTH_ENDPOINT`,
//! `ICLOUD_SETUP_ENDPOINT` and `ICLOUD_HOME_ENDPOINT` to the URL it prints.

use std::io::BufRead;
use std::sync::Arc;

use icloud_auth::{AuthClient, Endpoints, FileSessionStore, Region, SecretString, SignIn};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let apple_id = std::env::args().nth(1).ok_or("usage: sign_in APPLE_ID")?;
    let dir = std::env::var("COOKIE_DIRECTORY")
        .unwrap_or_else(|_| format!("{}/.pyicloud", std::env::var("HOME").unwrap_or_default()));
    let store = Arc::new(FileSessionStore::new(dir));
    // The library reads no environment: opt in to the endpoint overrides explicitly.
    let endpoints = Endpoints::from_lookup(Region::Global, |name| std::env::var(name).ok())?;
    let client = AuthClient::builder().endpoints(endpoints).build()?;

    let signed_in = match client.resume(&apple_id, store.clone()).await? {
        Some(signed_in) => signed_in,
        None => {
            // From the environment for scripts (`APPLE_PASSWORD`), else asked on the terminal.
            let password = match std::env::var("APPLE_PASSWORD") {
                Ok(password) => password,
                Err(_) => rpassword::prompt_password(format!("Password for {apple_id}: "))?,
            };
            client
                .sign_in(&apple_id, &SecretString::from(password), store)
                .await?
        }
    };
    let session = match signed_in {
        SignIn::Complete(session) => session,
        SignIn::TwoFactor(challenge) => {
            challenge.request_code().await?;
            eprintln!("Enter the code shown on your Apple device:");
            let mut code = String::new();
            std::io::stdin().lock().read_line(&mut code)?;
            challenge.submit_code(code.trim()).await?
        }
        other => return Err(format!("unsupported second factor: {other:?}").into()),
    };
    println!(
        "signed in as {} (dsid {}); photos at {}",
        session.apple_id(),
        session.account().dsid(),
        session.webservice("ckdatabasews")?.url()
    );
    Ok(())
}
