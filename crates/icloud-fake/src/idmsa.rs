//! idmsa (`/appleauth/auth/...`): SRP sign-in with a real server-side verifier, repair, boot
//! args, 2FA code delivery and validation, and session trust.
//!
//! A sign-in walks through these steps, each a function below:
//!
//! 1. `signin/init` ([`init`]) takes the client's SRP public key `A` and answers with the salt,
//!    iteration count and protocol of the account, the server key `B` and a context `c`. An
//!    unknown Apple ID gets a made-up but stable salt, so that the answer does not tell
//!    whether the account exists; the attempt is remembered under `c`.
//! 2. `signin/complete` ([`complete`]) checks the client's proof `M1` against the verifier
//!    (a wrong password, an unknown account and a mismatched name all answer the same 401),
//!    then decides from the account and the trust tokens sent along what comes next:
//!    200 for a trusted browser, 409 when a second factor is due (with `fsaChallenge` for
//!    FIDO accounts), 412 when the account needs `repair/complete` first, and the 2026 409
//!    with `X-Apple-EDP`/`X-Apple-PDP` when a trusted sign-in still owes the escrow proof.
//!    Every outcome but a refusal opens an idmsa session, identified by
//!    `X-Apple-ID-Session-Id` and a rotating `scnt`, and issues a session token whose level
//!    (untrusted, trusted, needs repair, escrow pending) decides what `accountLogin` will say.
//! 3. With a second factor due, the client reads the trusted phones from the boot page
//!    ([`boot_page`]), asks for a code on the devices ([`push_device_code`]) or by SMS
//!    ([`send_sms`]), and submits it ([`verify_device_code`], [`verify_sms_code`]). Codes are
//!    six digits sent as a string; after too many wrong ones the session's codes are locked.
//! 4. `2sv/trust` ([`trust`]) turns the session into a trusted one and hands out the trust
//!    token that spares the second factor at later sign-ins, for the account's
//!    [`FakeAccount::trust_lifetime`](crate::FakeAccount::trust_lifetime).
//!
//! Every step after the first checks the OAuth headers of Apple's web client (widget key,
//! client id, state) and, from the second on, the session id with a `scnt` the session
//! handed out; a request without them is refused as Apple refuses it. The 2026 variants an
//! account can be configured with (codes only on request, 409 answers for accepted codes,
//! phones at the `bridgeInitiateData` location, the escrow proof) change the answers of these
//! same steps, never the order.

use std::collections::HashSet;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigUint;
use serde_json::{Value, json};

use crate::account::SecondFactor;
use crate::http::{CT_IDMSA_HTML, CT_IDMSA_JSON, Cookie, Reply, Req};
use crate::shapes;
use crate::srp::{self, ProofInput};
use crate::state::EscrowDue;
use crate::state::{Attempt, AuthSession, Level, MAX_WRONG_CODES, Stage, State, hex_ident, ident};

/// Widget key = OAuth client id of iCloud.com (spec §1).
pub(crate) const WIDGET_KEY: &str =
    "d39ba9916b7251055b22c7f910e2ea796ee65e98b2ddecea8f5dde8d9d1a815d";

/// Handles a request under `/appleauth/auth`; `rest` is the path after that prefix.
pub(crate) fn handle(state: &mut State, req: &Req, rest: &str) -> Reply {
    if let Err(reply) = check_oauth_headers(req) {
        return finish(state, None, reply);
    }
    let (sid, reply) = match (req.method.as_str(), rest.trim_end_matches('/')) {
        ("POST", "/signin/init") => (None, init(state, req)),
        ("POST", "/signin/complete") => complete(state, req),
        ("POST", "/repair/complete") => repair(state, req),
        ("GET", "/authorize/signin") => (None, authorize_signin(state)),
        ("GET", "") => with_session(state, req, boot_page),
        ("PUT", "/verify/trusteddevice/securitycode") => with_session(state, req, push_device_code),
        ("POST", "/verify/trusteddevice/securitycode") => {
            with_session(state, req, verify_device_code)
        }
        ("PUT", "/verify/phone") => with_session(state, req, send_sms),
        ("POST", "/verify/phone/securitycode") => with_session(state, req, verify_sms_code),
        ("GET", "/2sv/trust") => with_session(state, req, trust),
        ("POST", "/escrow/init") => with_session(state, req, escrow_init),
        ("POST", "/escrow/complete") => with_session(state, req, escrow_complete),
        _ => (None, Reply::body(404, CT_IDMSA_HTML, "Not Found")),
    };
    finish(state, sid.as_deref(), reply)
}

/// Requires the widget key, the OAuth client id and the OAuth state (spec §17 rule 10).
fn check_oauth_headers(req: &Req) -> Result<(), Reply> {
    for name in ["X-Apple-Widget-Key", "X-Apple-OAuth-Client-Id"] {
        if req.header(name).map(str::trim) != Some(WIDGET_KEY) {
            return Err(shapes::fake_error(
                400,
                &format!("missing or wrong {name} header"),
            ));
        }
    }
    if req.header_nonempty("X-Apple-OAuth-State").is_none() {
        return Err(shapes::fake_error(
            400,
            "missing X-Apple-OAuth-State header",
        ));
    }
    Ok(())
}

/// Adds the headers every idmsa answer carries: a fresh `scnt` (remembered by the session, if
/// any) and a request id.
fn finish(state: &mut State, sid: Option<&str>, reply: Reply) -> Reply {
    let mut reply = reply.header("X-Apple-I-Request-ID", uuid::Uuid::new_v4().to_string());
    if reply.get_header("scnt").is_none() {
        let scnt = new_scnt();
        if let Some(session) = sid.and_then(|s| state.sessions.get_mut(s)) {
            session.scnts.insert(scnt.clone());
        }
        reply = reply.header("scnt", scnt);
    }
    reply
}

/// Returns a new `scnt` value.
fn new_scnt() -> String {
    format!("AAAA-{}", ident(60))
}

/// Runs `f` after checking the `X-Apple-ID-Session-Id` + `scnt` pair.
fn with_session(
    state: &mut State,
    req: &Req,
    f: fn(&mut State, &Req, &str) -> Reply,
) -> (Option<String>, Reply) {
    let sid = req
        .header_nonempty("X-Apple-ID-Session-Id")
        .map(str::to_owned);
    let scnt = req.header_nonempty("scnt");
    match (sid, scnt) {
        (Some(sid), Some(scnt)) => match state.sessions.get(&sid) {
            Some(session) if session.scnts.contains(scnt) => {
                let reply = f(state, req, &sid);
                (Some(sid), reply)
            }
            Some(_) => (
                None,
                shapes::fake_error(401, "scnt does not belong to this X-Apple-ID-Session-Id"),
            ),
            None => (
                None,
                shapes::fake_error(401, "unknown or expired X-Apple-ID-Session-Id"),
            ),
        },
        _ => (
            None,
            shapes::fake_error(401, "missing scnt or X-Apple-ID-Session-Id header"),
        ),
    }
}

/// Adds the session headers of a successful step.
fn session_headers(state: &State, sid: &str, reply: Reply) -> Reply {
    let country = state
        .sessions
        .get(sid)
        .and_then(|s| state.account(&s.account))
        .map_or_else(|| "USA".to_owned(), |a| a.cfg.country.clone());
    reply
        .header("X-Apple-ID-Session-Id", sid)
        .header("X-Apple-ID-Account-Country", country)
        .header("X-Apple-Auth-Attributes", ident(48))
}

/// Adds the cosmetic apple.com-wide `dslang`/`site` cookies of verify and trust answers.
fn locale_cookies(state: &State, reply: Reply) -> Reply {
    reply
        .cookie(&Cookie::apple("dslang", "US-EN"), &state.origins)
        .cookie(&Cookie::apple("site", "USA"), &state.origins)
}

/// POST `signin/init` (spec §5.3).
fn init(state: &mut State, req: &Req) -> Reply {
    let Some(body) = req.json() else {
        return shapes::fake_error(400, "signin/init body is not JSON");
    };
    let name = body["accountName"].as_str().unwrap_or_default().to_owned();
    let a_pub = body["a"]
        .as_str()
        .and_then(|a| STANDARD.decode(a).ok())
        .map(|a| BigUint::from_bytes_be(&a));
    let Some(a_pub) = a_pub.filter(|_| !name.is_empty()) else {
        return shapes::fake_error(400, "signin/init needs accountName and a");
    };
    state.prune_attempts();
    let key = name.to_lowercase();
    let (account, salt, iterations, protocol, v) = match state.account(&key) {
        Some(acc) => (
            Some(key),
            acc.salt.clone(),
            acc.cfg.iterations,
            acc.cfg.protocol,
            acc.v.clone(),
        ),
        None => {
            // Apple does not reveal whether the account exists: answer with random values.
            let fake_v = BigUint::from_bytes_be(&srp::random_bytes(256));
            (None, srp::random_salt(), 20064, srp::Protocol::S2k, fake_v)
        }
    };
    let server = srp::new_ephemeral(&state.group, &v);
    let c = format!("d-{}-{}:MSA", 100 + rand_u32() % 900, uuid::Uuid::new_v4());
    let scnt = new_scnt();
    let body = json!({
        "iteration": iterations,
        "salt": STANDARD.encode(&salt),
        "protocol": protocol.name(),
        "version": 1,
        "b": STANDARD.encode(server.public.to_bytes_be()),
        "c": c
    });
    let attempt = Attempt {
        account,
        name,
        salt,
        a_pub,
        server,
        scnt: scnt.clone(),
        created: Instant::now(),
    };
    state.attempts.insert(c, attempt);
    // Apple really labels this JSON body text/html.
    Reply::json(200, CT_IDMSA_HTML, &body)
        .header("scnt", scnt)
        .cookie(&Cookie::idmsa("aasp", &hex_ident(16)), &state.origins)
}

/// Returns a random `u32`.
fn rand_u32() -> u32 {
    let b = srp::random_bytes(4);
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// POST `signin/complete` (spec §5.4, §6.5, §17 rule 2).
fn complete(state: &mut State, req: &Req) -> (Option<String>, Reply) {
    let Some(body) = req.json() else {
        return (
            None,
            shapes::fake_error(400, "signin/complete body is not JSON"),
        );
    };
    let c = match &body["c"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let Some(attempt) = state.attempts.remove(&c) else {
        return (
            None,
            shapes::fake_error(400, "unknown or expired sign-in context c"),
        );
    };
    let sent_name = body["accountName"].as_str().unwrap_or_default();
    if !sent_name.eq_ignore_ascii_case(&attempt.name) {
        return (None, shapes::wrong_password());
    }
    let Some(key) = attempt.account.clone() else {
        return (None, shapes::wrong_password());
    };
    let Some(acc) = state.account(&key) else {
        return (None, shapes::wrong_password());
    };
    if acc.cfg.locked {
        return (
            None,
            shapes::account_locked().header("X-Apple-I-Rscd", "403"),
        );
    }
    let m1 = body["m1"]
        .as_str()
        .and_then(|m| STANDARD.decode(m).ok())
        .unwrap_or_default();
    let lower = attempt.name.to_lowercase();
    let names = [lower.as_str(), attempt.name.as_str(), sent_name];
    let input = ProofInput {
        names: &names,
        salt: &attempt.salt,
        a_pub: &attempt.a_pub,
        server: &attempt.server,
        v: &acc.v,
    };
    if srp::check_proof(&state.group, &input, &m1).is_none() {
        return (None, shapes::wrong_password());
    }

    let cfg = acc.cfg.clone();
    let trusted = cfg.factor == SecondFactor::None
        || body["trustTokens"].as_array().is_some_and(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .any(|t| state.trust_token_valid(&key, t))
        });
    let level = if trusted {
        Level::Trusted
    } else {
        Level::Untrusted
    };
    // An account that wants the escrow proof answers a trusted sign-in with 409 and the
    // escrow header; the session is trusted only after `escrow/complete` (auth.md §16.3).
    let escrow = cfg
        .escrow
        .filter(|_| trusted && cfg.factor == SecondFactor::TwoFactor && !cfg.needs_repair);
    let level = if escrow.is_some() {
        Level::EscrowPending
    } else {
        level
    };
    let sid = hex_ident(16);
    let mut session = AuthSession {
        account: key.clone(),
        scnts: HashSet::from([attempt.scnt]),
        stage: Stage::PasswordOk,
        code: None,
        wrong_codes: 0,
        repair: None,
        escrow: escrow.map(|_| EscrowDue::default()),
    };
    let auth_type = match cfg.factor {
        SecondFactor::None => "sa",
        SecondFactor::TwoStep => "hsa",
        SecondFactor::TwoFactor => "hsa2",
    };
    let (status, token_level, body) = if cfg.needs_repair {
        session.repair = Some(level);
        (412, Level::NeedsRepair, json!({"authType": "sa"}))
    } else if escrow.is_some() {
        (409, level, json!({"authType": auth_type}))
    } else if trusted {
        (200, level, json!({"authType": auth_type}))
    } else {
        let mut body = json!({"authType": auth_type});
        if !cfg.fido_keys.is_empty() {
            body["fsaChallenge"] = json!({
                "challenge": STANDARD.encode(srp::random_bytes(32)),
                "keyHandles": cfg.fido_keys.iter().map(|_| STANDARD.encode(srp::random_bytes(32))).collect::<Vec<_>>(),
                "rpId": "apple.com"
            });
            body["keyNames"] = json!(cfg.fido_keys);
        }
        (409, level, body)
    };
    if status == 409 && cfg.factor == SecondFactor::TwoFactor && !cfg.push_required {
        session.code = Some(state.new_code(&key));
    }
    state.sessions.insert(sid.clone(), session);
    let token = state.issue_session_token(&key, token_level);
    let mut reply = Reply::json(status, CT_IDMSA_JSON, &body)
        .header("Location", "/auth")
        .header("X-Apple-Session-Token", token);
    reply = match escrow {
        // Instead of the trust-eligible header (icloud-photos-sync's API notes).
        Some(kind) => reply.header(kind.header(), "true"),
        None => reply.header("X-Apple-TwoSV-Trust-Eligible", "true"),
    };
    if status != 200 {
        reply = reply.header("X-Apple-I-Rscd", status.to_string());
    }
    (Some(sid.clone()), session_headers(state, &sid, reply))
}

/// POST `repair/complete` after a 412 (spec §5.5).
fn repair(state: &mut State, req: &Req) -> (Option<String>, Reply) {
    let Some(sid) = req
        .header_nonempty("X-Apple-ID-Session-Id")
        .map(str::to_owned)
    else {
        return (
            None,
            shapes::fake_error(400, "repair/complete needs X-Apple-ID-Session-Id"),
        );
    };
    let Some(session) = state.sessions.get_mut(&sid) else {
        return (
            None,
            shapes::fake_error(401, "unknown or expired X-Apple-ID-Session-Id"),
        );
    };
    let Some(level) = session.repair.take() else {
        return (
            Some(sid),
            shapes::fake_error(400, "this session does not need a repair"),
        );
    };
    let account = session.account.clone();
    let token = state.issue_session_token(&account, level);
    let reply = Reply::body(200, CT_IDMSA_JSON, Vec::new())
        .header("Location", "/auth")
        .header("X-Apple-Session-Token", token)
        .header("X-Apple-TwoSV-Trust-Eligible", "true");
    (Some(sid.clone()), session_headers(state, &sid, reply))
}

/// GET `authorize/signin` (spec §5.2): an HTML frame with an `aasp` cookie.
fn authorize_signin(state: &State) -> Reply {
    Reply::body(
        200,
        CT_IDMSA_HTML,
        "<!DOCTYPE html><html><head><title>Sign In</title></head><body></body></html>",
    )
    .cookie(&Cookie::idmsa("aasp", &hex_ident(16)), &state.origins)
}

/// Returns the account configuration behind a session, if it uses HSA2.
fn hsa2_account(state: &State, sid: &str) -> Result<crate::account::FakeAccount, Reply> {
    let acc = state
        .sessions
        .get(sid)
        .and_then(|s| state.account(&s.account))
        .map(|a| a.cfg.clone())
        .ok_or_else(|| shapes::fake_error(401, "unknown session"))?;
    if acc.factor == SecondFactor::TwoFactor {
        Ok(acc)
    } else {
        Err(shapes::fake_error(
            400,
            "this account does not use two-factor authentication",
        ))
    }
}

/// Returns whether the session's codes are locked after too many wrong attempts.
fn codes_locked(state: &State, sid: &str) -> bool {
    state
        .sessions
        .get(sid)
        .is_some_and(|s| s.wrong_codes >= MAX_WRONG_CODES)
}

/// GET `/appleauth/auth`: boot args with the trusted phone numbers (spec §7.2).
fn boot_page(state: &mut State, _req: &Req, sid: &str) -> Reply {
    match state
        .sessions
        .get(sid)
        .and_then(|s| state.account(&s.account))
    {
        Some(acc) => {
            let mut page = shapes::boot_page(&acc.cfg, codes_locked(state, sid));
            if acc.cfg.boot_409 {
                page.status = 409;
            }
            page
        }
        None => shapes::fake_error(401, "unknown session"),
    }
}

/// Stores a freshly delivered code on the session (a new code replaces the pending one).
fn deliver(state: &mut State, sid: &str) {
    let Some(account) = state.sessions.get(sid).map(|s| s.account.clone()) else {
        return;
    };
    let code = state.new_code(&account);
    if let Some(session) = state.sessions.get_mut(sid) {
        session.code = Some(code);
    }
}

/// PUT `verify/trusteddevice/securitycode`: push a code to trusted devices (spec §7.3).
fn push_device_code(state: &mut State, _req: &Req, sid: &str) -> Reply {
    let acc = match hsa2_account(state, sid) {
        Ok(acc) => acc,
        Err(reply) => return reply,
    };
    let locked = codes_locked(state, sid);
    if !locked {
        deliver(state, sid);
    }
    let body = json!({
        "trustedDeviceCount": 1,
        "securityCode": shapes::security_code(locked),
        "phoneNumberVerification": shapes::phone_number_verification(&acc, locked)
    });
    session_headers(state, sid, Reply::json(202, CT_IDMSA_JSON, &body))
}

/// Extracts `securityCode.code` as a string (leading zeros matter, so numbers are refused).
fn submitted_code(req: &Req) -> Option<String> {
    req.json()?["securityCode"]["code"]
        .as_str()
        .map(str::to_owned)
}

/// Checks a submitted code against the session's pending code. `Ok(())` when valid.
fn check_code(state: &mut State, sid: &str, code: Option<String>) -> Result<(), Reply> {
    if codes_locked(state, sid) {
        return Err(shapes::code_locked());
    }
    let Some(session) = state.sessions.get_mut(sid) else {
        return Err(shapes::fake_error(401, "unknown session"));
    };
    let pending = session.code.as_ref().map(|d| d.code.as_str());
    if code.is_some() && pending == code.as_deref() {
        session.code = None;
        session.stage = Stage::CodeVerified;
        return Ok(());
    }
    session.wrong_codes += 1;
    if session.wrong_codes >= MAX_WRONG_CODES {
        Err(shapes::code_locked())
    } else {
        Err(shapes::wrong_code())
    }
}

/// The answer to a valid code: `ok` (204/200), or a 2026-style 409 (with `securityCode.valid`
/// and/or a new session token, as configured). An escrow account adds its header and owes the
/// escrow proof before `2sv/trust`.
fn code_accepted(
    state: &mut State,
    sid: &str,
    code: &str,
    ok: Reply,
    acc: &crate::account::FakeAccount,
) -> Reply {
    let Some(account) = state.sessions.get(sid).map(|s| s.account.clone()) else {
        return shapes::fake_error(401, "unknown session");
    };
    let (mut reply, with_token) = match acc.code_409 {
        Some(conflict) => {
            let mut sc = shapes::security_code(false);
            sc["code"] = json!(code);
            if conflict.valid {
                sc["valid"] = json!(true);
            }
            let body = json!({"securityCode": sc, "trustedDeviceCount": 1});
            (Reply::json(409, CT_IDMSA_JSON, &body), conflict.token)
        }
        None => (ok, true),
    };
    let level = match acc.escrow {
        Some(kind) => {
            reply = reply.header(kind.header(), "true");
            if let Some(session) = state.sessions.get_mut(sid) {
                session.escrow = Some(EscrowDue::default());
            }
            Level::EscrowPending
        }
        None => Level::Trusted,
    };
    if with_token {
        let token = state.issue_session_token(&account, level);
        reply = reply.header("X-Apple-Session-Token", token);
    }
    let reply = reply.header("X-Apple-OAuth-Grant-Code", ident(32));
    let reply = session_headers(state, sid, reply);
    locale_cookies(state, reply)
}

/// POST `verify/trusteddevice/securitycode`: validate a device code (spec §7.4).
fn verify_device_code(state: &mut State, req: &Req, sid: &str) -> Reply {
    let acc = match hsa2_account(state, sid) {
        Ok(acc) => acc,
        Err(reply) => return reply,
    };
    let code = submitted_code(req);
    match check_code(state, sid, code.clone()) {
        Ok(()) => {
            let ok = Reply::body(204, CT_IDMSA_JSON, Vec::new());
            code_accepted(state, sid, &code.unwrap_or_default(), ok, &acc)
        }
        Err(reply) => locale_cookies(state, reply),
    }
}

/// Returns the trusted phone with the `phoneNumber.id` of the body.
fn requested_phone(
    req: &Req,
    acc: &crate::account::FakeAccount,
) -> Result<crate::account::Phone, Reply> {
    let body = req
        .json()
        .ok_or_else(|| shapes::fake_error(400, "body is not JSON"))?;
    let id = body["phoneNumber"]["id"].as_u64();
    acc.phones
        .iter()
        .find(|p| Some(u64::from(p.id)) == id)
        .cloned()
        .ok_or_else(|| shapes::fake_error(400, "phoneNumber.id is not a trusted phone number"))
}

/// Body of the SMS endpoints.
fn sms_body(
    acc: &crate::account::FakeAccount,
    phone: &crate::account::Phone,
    mode: &str,
    locked: bool,
) -> Value {
    json!({
        "trustedPhoneNumbers": acc.phones.iter().map(shapes::phone).collect::<Vec<_>>(),
        "trustedPhoneNumber": shapes::phone(phone),
        "phoneNumber": shapes::phone(phone),
        "securityCode": shapes::security_code(locked),
        "mode": mode,
        "type": "verification",
        "authenticationType": "hsa2",
        "hsa2Account": true
    })
}

/// PUT `verify/phone`: send a code by SMS or voice (spec §7.5).
fn send_sms(state: &mut State, req: &Req, sid: &str) -> Reply {
    let acc = match hsa2_account(state, sid) {
        Ok(acc) => acc,
        Err(reply) => return reply,
    };
    let phone = match requested_phone(req, &acc) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let mode = req
        .json()
        .and_then(|b| b["mode"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "sms".to_owned());
    let locked = codes_locked(state, sid);
    if !locked {
        deliver(state, sid);
    }
    let body = sms_body(&acc, &phone, &mode, locked);
    let status = if acc.sms_409 { 409 } else { 200 };
    session_headers(state, sid, Reply::json(status, CT_IDMSA_JSON, &body))
}

/// POST `verify/phone/securitycode`: validate an SMS code (spec §7.6).
fn verify_sms_code(state: &mut State, req: &Req, sid: &str) -> Reply {
    let acc = match hsa2_account(state, sid) {
        Ok(acc) => acc,
        Err(reply) => return reply,
    };
    let phone = match requested_phone(req, &acc) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let code = submitted_code(req);
    match check_code(state, sid, code.clone()) {
        Ok(()) => {
            let ok = Reply::json(200, CT_IDMSA_JSON, &sms_body(&acc, &phone, "sms", false));
            code_accepted(state, sid, &code.unwrap_or_default(), ok, &acc)
        }
        Err(reply) => locale_cookies(state, reply),
    }
}

/// GET `2sv/trust`: after a verified code, issue a trust token and a trusted session token
/// (spec §7.8). 2SA and non-2FA accounts get 404, as from Apple.
fn trust(state: &mut State, _req: &Req, sid: &str) -> Reply {
    if let Err(reply) = hsa2_account(state, sid) {
        return if reply.status == 401 {
            reply
        } else {
            Reply::body(404, CT_IDMSA_HTML, "Not Found")
        };
    }
    let Some(session) = state.sessions.get(sid) else {
        return shapes::fake_error(401, "unknown session");
    };
    if session.stage != Stage::CodeVerified {
        return shapes::fake_error(401, "2sv/trust before a security code was verified");
    }
    if session.escrow.is_some() {
        return shapes::fake_error(401, "2sv/trust before the escrow proof");
    }
    let account = session.account.clone();
    let trust_token = state.issue_trust_token(&account);
    let token = state.issue_session_token(&account, Level::Trusted);
    let reply = Reply::body(204, CT_IDMSA_HTML, Vec::new())
        .header("X-Apple-TwoSV-Trust-Token", trust_token)
        .header("X-Apple-Session-Token", token)
        .header("X-Apple-OAuth-Grant-Code", ident(32));
    let reply = session_headers(state, sid, reply);
    locale_cookies(state, reply)
}

/// POST `escrow/init` (auth.md §16.3): a second SRP exchange, for the empty account name,
/// answered like `signin/init`.
fn escrow_init(state: &mut State, req: &Req, sid: &str) -> Reply {
    let owed = state.sessions.get(sid).is_some_and(|s| s.escrow.is_some());
    if !owed {
        return shapes::fake_error(400, "this session owes no escrow proof");
    }
    let Some(body) = req.json() else {
        return shapes::fake_error(400, "escrow/init body is not JSON");
    };
    if body["accountName"].as_str() != Some("") {
        return shapes::fake_error(400, "escrow/init needs an empty accountName");
    }
    let Some(a_pub) = body["a"]
        .as_str()
        .and_then(|a| STANDARD.decode(a).ok())
        .map(|a| BigUint::from_bytes_be(&a))
    else {
        return shapes::fake_error(400, "escrow/init needs a");
    };
    let Some(key) = state.sessions.get(sid).map(|s| s.account.clone()) else {
        return shapes::fake_error(401, "unknown session");
    };
    let Some(acc) = state.account(&key) else {
        return shapes::fake_error(401, "unknown session");
    };
    let (salt, iterations, protocol, v) = (
        acc.salt.clone(),
        acc.cfg.iterations,
        acc.cfg.protocol,
        acc.v.clone(),
    );
    let server = srp::new_ephemeral(&state.group, &v);
    let c = format!("e-{}-{}:MSA", 100 + rand_u32() % 900, uuid::Uuid::new_v4());
    let answer = json!({
        "iteration": iterations,
        "salt": STANDARD.encode(&salt),
        "protocol": protocol.name(),
        "version": 1,
        "b": STANDARD.encode(server.public.to_bytes_be()),
        "c": c
    });
    let attempt = Attempt {
        account: Some(key),
        name: String::new(),
        salt,
        a_pub,
        server,
        scnt: String::new(),
        created: Instant::now(),
    };
    if let Some(due) = state.sessions.get_mut(sid).and_then(|s| s.escrow.as_mut()) {
        due.attempt = Some((c, attempt));
    }
    session_headers(state, sid, Reply::json(200, CT_IDMSA_JSON, &answer))
}

/// POST `escrow/complete`: checks `m1` for the empty account name and `k`, the session key;
/// then the session is trusted (after a code, `2sv/trust` may follow) and a new session token
/// comes with the answer.
fn escrow_complete(state: &mut State, req: &Req, sid: &str) -> Reply {
    let Some(body) = req.json() else {
        return shapes::fake_error(400, "escrow/complete body is not JSON");
    };
    let decode = |k: &str| {
        body[k]
            .as_str()
            .and_then(|v| STANDARD.decode(v).ok())
            .unwrap_or_default()
    };
    let (m1, k) = (decode("m1"), decode("k"));
    let c = body["c"].as_str().unwrap_or_default().to_owned();
    let Some(session) = state.sessions.get_mut(sid) else {
        return shapes::fake_error(401, "unknown session");
    };
    let Some(due) = session.escrow.as_mut() else {
        return shapes::fake_error(400, "this session owes no escrow proof");
    };
    let Some((issued_c, attempt)) = due.attempt.take() else {
        return shapes::fake_error(400, "escrow/complete before escrow/init");
    };
    if issued_c != c {
        return shapes::fake_error(400, "unknown escrow context c");
    }
    let account = session.account.clone();
    let Some(acc) = state.account(&account) else {
        return shapes::fake_error(401, "unknown session");
    };
    let input = ProofInput {
        names: &[""],
        salt: &attempt.salt,
        a_pub: &attempt.a_pub,
        server: &attempt.server,
        v: &acc.v,
    };
    let proven = srp::check_proof_key(&state.group, &input, &m1)
        .is_some_and(|(_, key)| key.as_slice() == k.as_slice());
    if !proven {
        return shapes::wrong_password();
    }
    let Some(session) = state.sessions.get_mut(sid) else {
        return shapes::fake_error(401, "unknown session");
    };
    session.escrow = None;
    let token = state.issue_session_token(&account, Level::Trusted);
    let reply = Reply::body(200, CT_IDMSA_JSON, Vec::new()).header("X-Apple-Session-Token", token);
    session_headers(state, sid, reply)
}
