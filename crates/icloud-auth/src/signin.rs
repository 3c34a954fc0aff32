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
use crate::srp::{SrpClient, SrpProof, SrpProtocol};
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

/// The response of `signin/init` and `escrow/init`.
#[derive(Debug, Deserialize)]
struct InitResponse {
    iteration: u32,
    salt: String,
    protocol: String,
    b: String,
    c: Value,
}

/// The first half of an SRP exchange: posts `A` to `init` (`signin/init` or `escrow/init`)
/// for `account_name` and returns the server's challenge with our proofs for it.
async fn srp_exchange(
    conn: &Conn,
    init: &'static str,
    account_name: &str,
    password: &SecretString,
) -> Result<(InitResponse, SrpProof)> {
    let srp = SrpClient::new();
    let body = json!({
        "a": B64.encode(srp.public_key()),
        "accountName": account_name,
        "protocols": ["s2k", "s2k_fo"],
    });
    let url = format!("{}/{init}", conn.endpoints.auth());
    let kind = if init == "signin/init" {
        Kind::AuthSrp
    } else {
        Kind::Auth
    };
    let reply = conn
        .send(conn.request(kind, Method::POST, &url).json(&body), init)
        .await?;
    if !reply.status.is_success() {
        return Err(match reply.status.as_u16() {
            401 if init == "signin/init" => Error::SrpInitRejected,
            429 => Error::Throttled { retry_after: None },
            s if init == "signin/init" => Error::SignInRefused { status: s },
            s => Error::EscrowFailed { status: s },
        });
    }
    let answer: InitResponse =
        serde_json::from_slice(&reply.body).map_err(|e| unexpected(init, e))?;
    let protocol =
        SrpProtocol::from_wire(&answer.protocol).ok_or_else(|| Error::UnexpectedResponse {
            endpoint: init,
            detail: format!("unsupported protocol {:?}", answer.protocol),
        })?;
    let salt = B64
        .decode(answer.salt.as_bytes())
        .map_err(|e| unexpected(init, e))?;
    let b = B64
        .decode(answer.b.as_bytes())
        .map_err(|e| unexpected(init, e))?;
    let proof = srp
        .respond(
            account_name,
            password.expose_secret().as_bytes(),
            protocol,
            &salt,
            answer.iteration,
            &b,
        )
        .map_err(|e| unexpected(init, e))?;
    Ok((answer, proof))
}

/// Returns `true` if a 409 asks for the escrow password proof (`X-Apple-EDP` or
/// `X-Apple-PDP`, auth.md §16.3).
pub(crate) fn escrow_asked(reply: &Reply) -> bool {
    ["x-apple-edp", "x-apple-pdp"].iter().any(|name| {
        reply
            .headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("false"))
    })
}

/// The escrow step (auth.md §16.3): a second SRP proof of the password, for an empty account
/// name, sending the session key `k` along; Apple answers with a new session token.
pub(crate) async fn escrow(conn: &Conn, password: &SecretString) -> Result<()> {
    let (init, proof) = srp_exchange(conn, "escrow/init", "", password).await?;
    let body = json!({
        "m1": B64.encode(proof.m1),
        "m2": B64.encode(proof.m2),
        "c": init.c,
        "k": B64.encode(proof.key),
    });
    let url = format!("{}/escrow/complete", conn.endpoints.auth());
    let reply = conn
        .send(
            conn.request(Kind::Auth, Method::POST, &url).json(&body),
            "escrow/complete",
        )
        .await?;
    if reply.status.is_success() {
        Ok(())
    } else {
        Err(Error::EscrowFailed {
            status: reply.status.as_u16(),
        })
    }
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
    if reply.status.as_u16() < 400
        && let Some(domain) = json
            .as_ref()
            .and_then(|v| v.get("domainToUse"))
            .and_then(Value::as_str)
    {
        return Err(Error::WrongRegion {
            domain: domain.to_owned(),
        });
    }
    if reply.api_error().is_some() || reply.status != StatusCode::OK {
        return Err(Error::InvalidAuthToken);
    }
    if needs_action(&reply, json.as_ref()) {
        return Err(Error::AccountActionRequired);
    }
    AccountData::new(json.ok_or_else(|| Error::UnexpectedResponse {
        endpoint: "accountLogin",
        detail: "body is not JSON".to_owned(),
    })?)
}

/// Whether `accountLogin` asks for an action on icloud.com instead of opening a web session
/// (auth.md §16.10): the `X-APPLE-WEBAUTH-REPAIR` cookie in place of `X-APPLE-WEBAUTH-TOKEN`,
/// or the body's `isRepairNeeded` / `termsUpdateNeeded`.
fn needs_action(reply: &Reply, body: Option<&Value>) -> bool {
    let flag = |k: &str| {
        body.and_then(|b| b.get(k))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    (reply.sets_cookie("X-APPLE-WEBAUTH-REPAIR") && !reply.sets_cookie("X-APPLE-WEBAUTH-TOKEN"))
        || flag("isRepairNeeded")
        || flag("termsUpdateNeeded")
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

pub(crate) fn unexpected(endpoint: &'static str, e: impl std::fmt::Display) -> Error {
    Error::UnexpectedResponse {
        endpoint,
        detail: e.to_string(),
    }
}
