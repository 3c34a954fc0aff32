//! Signs an Apple ID in with a password and a two-factor code, saves the trusted session, and
//! resumes it the way a second run of a program would: without password or code.
//!
//! Runs against `icloud-fake` on loopback, so it needs no Apple account:
//!
//! ```text
//! cargo run -p icloud-auth --example sign_in
//! ```
//!
//! Against Apple, the only differences are the endpoints (leave the builder's default), a real
//! cookie directory for the store, and a person typing the password and the code.

use std::error::Error;
use std::sync::Arc;

use icloud_auth::{AuthClient, Endpoints, FileSessionStore, Region, SecretString, Session, SignIn};
use icloud_fake::{FakeAccount, FakeICloud};

const APPLE_ID: &str = "jdoe@gmail.com";
const PASSWORD: &str = "password1";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // A fake Apple with one account that has two-factor authentication. Its devices show a
    // fresh code when asked; the fake tells us which (in a program, the person reads it).
    let fake = FakeICloud::builder()
        .account(FakeAccount::new(APPLE_ID, PASSWORD))
        .start()?;
    println!("fake Apple at {}", fake.base_url());

    let client = AuthClient::builder()
        .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
        .build()?;
    let dir = tempfile::tempdir()?;
    let store = Arc::new(FileSessionStore::new(dir.path()));

    // First run: nothing stored, so a password and then a code.
    let session = match client.resume(APPLE_ID, store.clone()).await? {
        Some(SignIn::Complete(session)) => session,
        _ => {
            println!("no trusted session stored: signing in with the password");
            let password = SecretString::from(PASSWORD.to_owned());
            let signed_in = client.sign_in(APPLE_ID, &password, store.clone()).await?;
            second_factor(signed_in, &fake).await?
        }
    };
    describe(&session)?;
    println!(
        "session saved in {} and {}",
        store.cookie_path(APPLE_ID).display(),
        store.session_path(APPLE_ID).display()
    );

    // Second run: the stored session is trusted, so no password and no code.
    match client.resume(APPLE_ID, store.clone()).await? {
        Some(SignIn::Complete(session)) => {
            println!("second run: resumed without password or code");
            session.validate().await?;
        }
        other => return Err(format!("expected a resumed session, got {other:?}").into()),
    }
    println!(
        "requests the fake answered: {} (signin/init {} times)",
        fake.requests().len(),
        fake.count("POST", "/signin/init")
    );
    Ok(())
}

/// Answers the second factor Apple asks for, as a program would by asking the person.
async fn second_factor(signed_in: SignIn, fake: &FakeICloud) -> Result<Session, Box<dyn Error>> {
    match signed_in {
        SignIn::Complete(session) => Ok(session),
        SignIn::TwoFactor(challenge) => {
            println!("Apple asks for a two-factor code: requesting one on the trusted devices");
            challenge.request_code().await?;
            // A program prompts here; the fake tells us the code it "showed" on the devices.
            let code = fake.current_code(APPLE_ID).ok_or("the fake sent no code")?;
            println!("submitting the code {code}");
            Ok(challenge.submit_code(&code).await?)
        }
        other => Err(format!("this example does not handle {other:?}").into()),
    }
}

/// Prints what the session knows about the account.
fn describe(session: &Session) -> Result<(), Box<dyn Error>> {
    let account = session.account();
    println!(
        "signed in as {} (dsid {}), two-factor version {}",
        account.apple_id(),
        account.dsid(),
        account.hsa_version()
    );
    println!(
        "iCloud Photos lives at {}",
        session.webservice("ckdatabasews")?.url()
    );
    if let Some(until) = session.trust_expires() {
        let days = until
            .duration_since(std::time::SystemTime::now())
            .map(|d| d.as_secs() / 86_400)
            .unwrap_or(0);
        println!("Apple trusts this session for about {days} more days");
    }
    Ok(())
}
