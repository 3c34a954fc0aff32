//! The password step: session validation, the SRP exchange, `accountLogin`, and the decision
//! whether a second factor is needed.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::account::AccountData;
use crate::calls::{account_login, escrow, escrow_asked, srp_exchange};
use crate::conn::{Conn, Kind, Reply};
use crate::error::{Error, Result};
use crate::session::Session;
use crate::two_factor::{TwoFactorChallenge, TwoStepChallenge};

/// Where a sign-in stands after the password (or a stored session) was accepted.
///
/// Apple decides after the password whether this browser is trusted. When it is (a trust
/// token from an earlier code is still valid, or the account has no second factor), the
/// sign-in is [`SignIn::Complete`]. Otherwise the variant is the challenge to answer, and only
/// answering it yields a [`Session`]: there is no way to reach a session with a challenge
/// pending, and a challenge is consumed by its successful answer. Which second factor Apple
/// asks for depends on the account: two-factor authentication (every account made since
/// 2015) gives [`SignIn::TwoFactor`]; the legacy two-step verification gives
/// [`SignIn::TwoStep`]. The enum is `#[non_exhaustive]`: match it with a fallback arm.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use std::sync::Arc;
/// use icloud_auth::{Session, SignIn};
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString};
/// # use icloud_fake::{FakeAccount, FakeICloud};
/// # let fake = FakeICloud::builder()
/// #     .account(FakeAccount::new("jdoe@gmail.com", "password1").fixed_code("123456"))
/// #     .start()?;
/// # let client = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
/// #     .build()?;
/// # let password = SecretString::from("password1".to_owned());
/// # let store = Arc::new(MemorySessionStore::default());
///
/// /// Answers whatever Apple asks with the code `ask` returns.
/// async fn finish(signed_in: SignIn, ask: impl Fn() -> String) -> icloud_auth::Result<Session> {
///     match signed_in {
///         SignIn::Complete(session) => Ok(session),
///         SignIn::TwoFactor(challenge) => {
///             challenge.request_code().await?;
///             challenge.submit_code(&ask()).await
///         }
///         SignIn::TwoStep(challenge) => {
///             let devices = challenge.devices().await?;
///             let device = devices.first().ok_or(icloud_auth::Error::CodeDeliveryFailed)?;
///             challenge.send_code(device).await?;
///             challenge.submit_code(device, &ask()).await
///         }
///         _ => Err(icloud_auth::Error::UnsupportedAuthMethod { key_names: String::new() }),
///     }
/// }
///
/// let signed_in = client.sign_in("jdoe@gmail.com", &password, store).await?;
/// assert!(!signed_in.is_complete());
/// let session = finish(signed_in, || "123456".to_owned()).await?;
/// assert!(session.has_web_token());
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SignIn {
    /// Signed in; the session is trusted and ready.
    Complete(Session),
    /// Apple wants a two-factor code (HSA2): from a trusted device or by SMS.
    TwoFactor(TwoFactorChallenge),
    /// Apple wants a legacy two-step code (2SA), sent to a chosen device.
    TwoStep(TwoStepChallenge),
}

impl SignIn {
    /// Returns `true` when no second factor is needed: the variant is [`SignIn::Complete`].
    pub fn is_complete(&self) -> bool {
        matches!(self, SignIn::Complete(_))
    }
}

pub(crate) async fn resume(conn: Arc<Conn>) -> Result<Option<SignIn>> {
    if conn.get("session_token").is_none() {
        return Ok(None);
    }
    let reply = conn.validate().await?;
    if let Some(err) = reply.api_error() {
        // icloudpd shows this as `ERROR Authentication required for Account. (421)`.
        tracing::warn!("{} ({})", err.reason, err.code);
        return Ok(None);
    }
    let Some(data) = reply.json() else {
        return Ok(None);
    };
    match decide(conn, AccountData::new(data)?, None) {
        complete @ SignIn::Complete(_) => Ok(Some(complete)),
        // Valid but not trusted: a second factor would be needed, and Apple may then ask for
        // the password again (escrow). Sign in with the password instead.
        _ => {
            tracing::debug!("the stored session is valid but not trusted");
            Ok(None)
        }
    }
}

pub(crate) async fn sign_in(conn: Arc<Conn>, password: &SecretString) -> Result<SignIn> {
    let account_name = conn.apple_id.clone();
    let (init, proof) = srp_exchange(&conn, "signin/init", &account_name, password).await?;
    let trust_tokens: Vec<String> = conn.get("trust_token").into_iter().collect();
    let body = json!({
        "accountName": account_name,
        "c": init.c,
        "m1": B64.encode(proof.m1),
        "m2": B64.encode(proof.m2),
        "rememberMe": true,
        "trustTokens": trust_tokens,
    });
    let url = format!(
        "{}/signin/complete?isRememberMeEnabled=true",
        conn.endpoints.auth()
    );
    let reply = conn
        .send(
            conn.request(Kind::AuthSrp, Method::POST, &url).json(&body),
            "signin/complete",
        )
        .await?;
    match reply.status.as_u16() {
        200..=299 => {}
        // A trust token was accepted, but Apple wants the escrow proof before it trusts the
        // session; without a trust token the header only means the usual second factor (as
        // rclone reads it).
        409 if escrow_asked(&reply) && !trust_tokens.is_empty() => {
            tracing::debug!("apple asks for the escrow proof after a trusted sign-in");
            escrow(&conn, password).await?;
        }
        409 => check_fido(&reply)?,
        412 => repair(&conn).await?,
        status => return Err(complete_error(status, &reply)),
    }
    let data = account_login(&conn).await?;
    Ok(decide(conn, data, Some(password.clone())))
}

/// Maps a refused `signin/complete` to an error (icloudpd calls them all "wrong password";
/// we keep the distinctions Apple makes).
fn complete_error(status: u16, reply: &Reply) -> Error {
    let codes: Vec<String> = reply
        .json()
        .and_then(|v| v.get("serviceErrors").cloned())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.get("code").and_then(Value::as_str).map(str::to_owned))
        .collect();
    match status {
        401 => Error::InvalidCredentials,
        403 if codes.iter().any(|c| c == "-20209") => Error::AccountLocked,
        403 => Error::InvalidCredentials,
        429 => Error::Throttled { retry_after: None },
        s => Error::SignInRefused { status: s },
    }
}

fn check_fido(reply: &Reply) -> Result<()> {
    let Some(body) = reply.json() else {
        return Ok(());
    };
    let names: Vec<String> = body
        .get("keyNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if body.get("fsaChallenge").is_some() || !names.is_empty() {
        return Err(Error::UnsupportedAuthMethod {
            key_names: names.join(", "),
        });
    }
    Ok(())
}

async fn repair(conn: &Conn) -> Result<()> {
    let url = format!("{}/repair/complete", conn.endpoints.auth());
    let reply = conn
        .send(
            conn.request(Kind::Auth, Method::POST, &url)
                .json(&json!({})),
            "repair/complete",
        )
        .await?;
    if reply.status.is_client_error()
        || reply.status.is_server_error()
        || reply.api_error().is_some()
    {
        return Err(Error::InvalidCredentials);
    }
    Ok(())
}

/// Decides from account data whether a second factor is needed (§4). `password` is kept in
/// a two-factor challenge for the escrow step that may follow the code.
fn decide(conn: Arc<Conn>, data: AccountData, password: Option<SecretString>) -> SignIn {
    if data.requires_2fa() {
        SignIn::TwoFactor(TwoFactorChallenge::new(conn, password))
    } else if data.requires_2sa() {
        SignIn::TwoStep(TwoStepChallenge::new(conn, data))
    } else {
        SignIn::Complete(Session::new(conn, data))
    }
}
