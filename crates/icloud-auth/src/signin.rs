//! The password step: session validation, the SRP exchange, `accountLogin`, and the decision
//! whether a second factor is needed.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::conn::{Conn, Kind, Reply};
use crate::error::{Error, Result};
use crate::session::{AccountData, Session};
use crate::srp::{SrpClient, SrpProtocol};
use crate::two_factor::{TwoFactorChallenge, TwoStepChallenge};

/// Where a sign-in stands after the password (or a stored session) was accepted.
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
    /// Returns `true` when no second factor is needed.
    pub fn is_complete(&self) -> bool {
        matches!(self, SignIn::Complete(_))
    }
}

/// The response of `signin/init`.
#[derive(Debug, Deserialize)]
struct InitResponse {
    iteration: u32,
    salt: String,
    protocol: String,
    b: String,
    c: Value,
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
    Ok(Some(decide(conn, AccountData::new(data)?)))
}

pub(crate) async fn sign_in(conn: Arc<Conn>, password: &SecretString) -> Result<SignIn> {
    let srp = SrpClient::new();
    let account_name = conn.apple_id.clone();
    let auth = conn.endpoints.auth();

    let body = json!({
        "a": B64.encode(srp.public_key()),
        "accountName": account_name,
        "protocols": ["s2k", "s2k_fo"],
    });
    let req = conn
        .request(Kind::AuthSrp, Method::POST, &format!("{auth}/signin/init"))
        .json(&body);
    let reply = conn.send(req, "signin/init").await?;
    if !reply.status.is_success() {
        return Err(match reply.status.as_u16() {
            401 => Error::SrpInitRejected,
            429 => Error::Throttled { retry_after: None },
            s => Error::SignInRefused { status: s },
        });
    }
    let init: InitResponse =
        serde_json::from_slice(&reply.body).map_err(|e| unexpected("signin/init", e))?;
    let protocol =
        SrpProtocol::from_wire(&init.protocol).ok_or_else(|| Error::UnexpectedResponse {
            endpoint: "signin/init",
            detail: format!("unsupported protocol {:?}", init.protocol),
        })?;
    let salt = B64
        .decode(init.salt.as_bytes())
        .map_err(|e| unexpected("signin/init", e))?;
    let b = B64
        .decode(init.b.as_bytes())
        .map_err(|e| unexpected("signin/init", e))?;
    let proof = srp
        .respond(
            &account_name,
            password.expose_secret().as_bytes(),
            protocol,
            &salt,
            init.iteration,
            &b,
        )
        .map_err(|e| unexpected("signin/init", e))?;

    let trust_tokens: Vec<String> = conn.get("trust_token").into_iter().collect();
    let body = json!({
        "accountName": account_name,
        "c": init.c,
        "m1": B64.encode(proof.m1),
        "m2": B64.encode(proof.m2),
        "rememberMe": true,
        "trustTokens": trust_tokens,
    });
    let url = format!("{auth}/signin/complete?isRememberMeEnabled=true");
    let reply = conn
        .send(
            conn.request(Kind::AuthSrp, Method::POST, &url).json(&body),
            "signin/complete",
        )
        .await?;
    match reply.status.as_u16() {
        200..=299 => {}
        409 => check_fido(&reply)?,
        412 => repair(&conn).await?,
        status => return Err(complete_error(status, &reply)),
    }
    let data = account_login(&conn).await?;
    Ok(decide(conn, data))
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

/// `POST {SETUP}/accountLogin` with the captured session token and trust token.
pub(crate) async fn account_login(conn: &Conn) -> Result<AccountData> {
    let body = json!({
        "accountCountryCode": conn.get("account_country"),
        "dsWebAuthToken": conn.get("session_token"),
        "extended_login": true,
        "trustToken": conn.get("trust_token").unwrap_or_default(),
    });
    let url = format!("{}/accountLogin", conn.endpoints.setup());
    let reply = conn
        .send(
            conn.request(Kind::Plain, Method::POST, &url)
                .body(body.to_string()),
            "accountLogin",
        )
        .await?;
    let json = reply.json();
    if reply.status.as_u16() < 400 {
        if let Some(domain) = json
            .as_ref()
            .and_then(|v| v.get("domainToUse"))
            .and_then(Value::as_str)
        {
            return Err(Error::WrongRegion {
                domain: domain.to_owned(),
            });
        }
    }
    if reply.api_error().is_some() || reply.status != StatusCode::OK {
        return Err(Error::InvalidAuthToken);
    }
    AccountData::new(json.ok_or_else(|| Error::UnexpectedResponse {
        endpoint: "accountLogin",
        detail: "body is not JSON".to_owned(),
    })?)
}

/// Decides from account data whether a second factor is needed (§4).
fn decide(conn: Arc<Conn>, data: AccountData) -> SignIn {
    if data.requires_2fa() {
        SignIn::TwoFactor(TwoFactorChallenge::new(conn))
    } else if data.requires_2sa() {
        SignIn::TwoStep(TwoStepChallenge::new(conn, data))
    } else {
        SignIn::Complete(Session::new(conn, data))
    }
}

pub(crate) fn unexpected(endpoint: &'static str, e: impl std::fmt::Display) -> Error {
    Error::UnexpectedResponse {
        endpoint,
        detail: e.to_string(),
    }
}
