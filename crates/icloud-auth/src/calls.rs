//! The calls of the sign-in that more than one state makes: the SRP exchange (password
//! step and escrow proof), the escrow proof itself, and `accountLogin`, which turns Apple's
//! session token into a web session and its account data.
//!
//! They sit between the connection ([`crate::conn`]) and the sign-in states
//! ([`crate::signin`], [`crate::two_factor`]), so that both states use them without
//! importing each other.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::account::AccountData;
use crate::conn::{Conn, Kind, Reply};
use crate::error::{Error, Result};
use crate::srp::{SrpClient, SrpProof, SrpProtocol};

/// The response of `signin/init` and `escrow/init`.
#[derive(Debug, Deserialize)]
pub(crate) struct InitResponse {
    iteration: u32,
    salt: String,
    protocol: String,
    b: String,
    pub(crate) c: Value,
}

/// The first half of an SRP exchange: posts `A` to `init` (`signin/init` or `escrow/init`)
/// for `account_name` and returns the server's challenge with our proofs for it.
pub(crate) async fn srp_exchange(
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

pub(crate) fn unexpected(endpoint: &'static str, e: impl std::fmt::Display) -> Error {
    Error::UnexpectedResponse {
        endpoint,
        detail: e.to_string(),
    }
}
