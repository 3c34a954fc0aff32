//! setup (`/setup/ws/1/...`): `accountLogin`, `validate`, and the legacy 2SA endpoints.
//!
//! Bodies are parsed as JSON whatever the Content-Type (icloudpd sends none).
//!
//! setup turns an idmsa session token into a web session, the `X-APPLE-WEBAUTH-*` cookies
//! CloudKit then requires. What each endpoint mirrors of Apple:
//!
//! - `accountLogin` (auth.md §5.6, §17 rule 3): the `dsWebAuthToken` of a sign-in buys the
//!   account data of §9 and the cookies of §10.4. Only a *trusted* login (a session token
//!   from a trusted sign-in, a valid `trustToken` in the body, or an account without a second
//!   factor) gets `X-APPLE-WEBAUTH-TOKEN`; an untrusted one gets `hsaChallengeRequired: true`
//!   and the `X-APPLE-WEBAUTH-HSA-LOGIN` cookie the legacy 2SA endpoints find it by. A token
//!   issued while an escrow proof is owed stays untrusted even with a trust token. An account
//!   in the wrong region answers 302 `{"domainToUse": …}` without a `Location`, and one with a
//!   pending action on icloud.com (the `web_repair` knob) a trusted body with
//!   `X-APPLE-WEBAUTH-REPAIR` instead of a web session (§16 item 10).
//! - `validate` (§5.1): 200 with the same account data while the web session lives, which
//!   slides its expiry; 421 `Missing X-APPLE-WEBAUTH-TOKEN cookie` or `Failed to validate the
//!   credentials from cookie` once it is gone, which sends a client back to a full sign-in.
//! - `listDevices`, `sendVerificationCode` and `validateVerificationCode` (§8): two-step
//!   authentication of `hsaVersion` 1 accounts. A wrong code answers **200** with
//!   `success: false` and `errorCode` -21669, as Apple does; a right one upgrades the session
//!   token of the untrusted login, so the next `accountLogin` with it is trusted.
//! - `logout`: ends the web session (§16 item 7).
//! - `requestWebAccessState`, `enableDeviceConsentForPCS` and `requestPCS`: the consent flow
//!   of Advanced Data Protection accounts, in [`pcs`] (§16 item 5).
//!
//! Errors have setup's shape, `{"success": false, "error": "…"}`, with the statuses clients
//! read as "authenticate again" (§10.5: 421, or 500 for a call without a web session); an
//! unknown endpoint answers 404.
//!
//! Cookie lifetimes follow the cassettes (§10.5): `X-APPLE-WEBAUTH-USER` and
//! `X-APPLE-DS-WEB-SESSION-TOKEN` 30 days, `X_APPLE_WEB_KB-*` 60 days, the web session
//! [`WEB_SESSION_TTL`], and the HSA trust cookie exactly as long as the account's latest trust
//! token, so a client reading its expiry learns the real one.

use std::time::Duration;

use serde_json::{Value, json};

use crate::account::SecondFactor;
use crate::http::{CT_SETUP_JSON, Cookie, Reply, Req};
use crate::shapes;
use crate::state::{Level, PendingWeb, State, WEB_SESSION_TTL, hex_ident, token};

mod pcs;

/// Days to a `Duration`.
const fn days(n: u64) -> Duration {
    Duration::from_secs(n * 24 * 3600)
}

/// Handles a request under `/setup/ws/1/`; `rest` is the endpoint name.
pub(crate) fn handle(state: &mut State, req: &Req, rest: &str) -> Reply {
    match (req.method.as_str(), rest.trim_end_matches('/')) {
        ("POST", "accountLogin") => account_login(state, req),
        ("POST", "validate") => validate(state, req),
        ("GET", "listDevices") => list_devices(state, req),
        ("POST", "sendVerificationCode") => send_code(state, req),
        ("POST", "validateVerificationCode") => validate_code(state, req),
        ("POST", "logout") => logout(state, req),
        ("POST", "requestWebAccessState") => pcs::web_access_state(state, req),
        ("POST", "enableDeviceConsentForPCS") => pcs::enable_consent(state, req),
        ("POST", "requestPCS") => pcs::request(state, req),
        _ => setup_error(404, "Not Found"),
    }
}

/// A setup-style error: `{"success":false,"error":…}`.
///
/// Clients match on the `error` text (auth.md §11.1), so callers pass Apple's own wording.
fn setup_error(status: u16, error: &str) -> Reply {
    Reply::json(
        status,
        CT_SETUP_JSON,
        &json!({"success": false, "error": error}),
    )
}

/// POST `accountLogin` (spec §5.6, §17 rule 3).
fn account_login(state: &mut State, req: &Req) -> Reply {
    let body = req.json().unwrap_or(Value::Null);
    let Some(token) = body["dsWebAuthToken"].as_str().filter(|t| !t.is_empty()) else {
        return setup_error(421, "Missing apple_id field");
    };
    let Some(session) = state.session_token(token) else {
        return setup_error(421, "Invalid global session");
    };
    if session.level == Level::NeedsRepair {
        return setup_error(421, "Invalid global session");
    }
    let key = session.account.clone();
    let level = session.level;
    let Some(acc) = state.account(&key).map(|a| a.cfg.clone()) else {
        return setup_error(421, "Invalid global session");
    };
    if let Some(domain) = &acc.wrong_region {
        return Reply::json(302, CT_SETUP_JSON, &json!({"domainToUse": domain}));
    }
    let trust_ok = body["trustToken"]
        .as_str()
        .is_some_and(|t| state.trust_token_valid(&key, t));
    // A token issued while the escrow proof is owed stays untrusted, trust token or not.
    let trusted = level == Level::Trusted
        || (trust_ok && level != Level::EscrowPending)
        || acc.factor == SecondFactor::None;
    let data = shapes::account_data(&acc, trusted, &state.origins);
    let mut reply = Reply::json(200, CT_SETUP_JSON, &data);
    for cookie in common_cookies(&acc.dsid) {
        reply = reply.cookie(&cookie, &state.origins);
    }
    if trusted && acc.web_repair {
        // An action is pending on icloud.com: no web session (auth.md §16.10).
        let repair = format!("\"v=1:t=AQ==BST_IAAAAAAABLw{}~~\"", hex_ident(12));
        let cookie = Cookie::setup("X-APPLE-WEBAUTH-REPAIR", &repair, None);
        reply = reply.cookie(&cookie, &state.origins);
    } else if trusted {
        let web = state.issue_web_session(&key);
        for cookie in trusted_cookies(state, &key, &web) {
            reply = reply.cookie(&cookie, &state.origins);
        }
    } else {
        let hsa_login = format!("\"v=2:t=AQ==BST_IAAAAAAABLwIAAAAA{}~~\"", hex_ident(16));
        state.pending_web.insert(
            hsa_login.clone(),
            PendingWeb {
                account: key.clone(),
                session_token: token.to_owned(),
            },
        );
        if let Some(a) = state.accounts.get_mut(&key) {
            a.last_untrusted_token = Some(token.to_owned());
        }
        let hsa_login = Cookie::setup("X-APPLE-WEBAUTH-HSA-LOGIN", &hsa_login, None);
        reply = reply.cookie(&hsa_login, &state.origins);
    }
    reply
}

/// Cookies of every `accountLogin`, trusted or not (names from the cassettes).
fn common_cookies(dsid: &str) -> Vec<Cookie> {
    let t = || format!("\"v=1:t=AQ==BST_IAAAAAAABLw{}~~\"", hex_ident(12));
    let mut unique = Cookie::setup(
        "X-APPLE-UNIQUE-CLIENT-ID",
        &format!("\"{}\"", token(8)),
        None,
    );
    unique.http_only = false;
    let mut validate = Cookie::setup("X-APPLE-WEBAUTH-VALIDATE", &t(), None);
    validate.http_only = false;
    vec![
        unique,
        Cookie::setup("X-APPLE-WEBAUTH-LOGIN", &t(), None),
        validate,
        Cookie::setup(
            "X-APPLE-WEBAUTH-USER",
            &format!("\"v=1:s=1:d={dsid}\""),
            Some(days(30)),
        ),
        Cookie::setup(
            "X_APPLE_WEB_KB-FAKEKB0000000000000000000000",
            &t(),
            Some(days(60)),
        ),
        Cookie::setup(
            "X-APPLE-DS-WEB-SESSION-TOKEN",
            &format!("\"{}\"", token(48)),
            Some(days(30)),
        ),
    ]
}

/// Cookies only a trusted session gets: the web session token, PCS cookies (not for ADP
/// accounts: those come from `requestPCS`), and the HSA trust cookie, which expires with the
/// account's latest trust token.
fn trusted_cookies(state: &State, key: &str, web_token: &str) -> Vec<Cookie> {
    let Some(acc) = state.account(key) else {
        return Vec::new();
    };
    let mut out = vec![Cookie::setup(
        "X-APPLE-WEBAUTH-TOKEN",
        web_token,
        Some(WEB_SESSION_TTL),
    )];
    if acc.cfg.adp.is_none() {
        for name in ["Photos", "Sharing", "Documents", "Notes", "News"] {
            let value = format!("\"pcs{}{}\"", name.to_lowercase(), token(32));
            out.push(Cookie::setup(
                &format!("X-APPLE-WEBAUTH-PCS-{name}"),
                &value,
                Some(days(30)),
            ));
        }
    }
    if acc.cfg.factor == SecondFactor::TwoFactor {
        let value = format!("\"v=1:t=AQ==BST_IAAAAAAABLw{}~~\"", hex_ident(12));
        // The cookie lives as long as the latest trust token; none once that expired.
        let left = match acc.trust_expires {
            Some(t) => t.duration_since(std::time::SystemTime::now()).ok(),
            None => Some(acc.cfg.trust_lifetime),
        };
        if let Some(left) = left {
            out.push(Cookie::setup(
                "X-APPLE-WEBAUTH-HSA-TRUST-FAKEKB0000000000000000000000",
                &value,
                Some(left),
            ));
        }
    }
    out
}

/// POST `validate` (spec §5.1): 200 with the account data while the web session lives
/// (sliding expiry), 421 otherwise.
fn validate(state: &mut State, req: &Req) -> Reply {
    let Some(web) = req.cookie("X-APPLE-WEBAUTH-TOKEN").map(str::to_owned) else {
        return setup_error(421, "Missing X-APPLE-WEBAUTH-TOKEN cookie");
    };
    let Some(key) = state.touch_web_session(&web) else {
        return setup_error(421, "Failed to validate the credentials from cookie");
    };
    let Some(acc) = state.account(&key).map(|a| a.cfg.clone()) else {
        return setup_error(421, "Failed to validate the credentials from cookie");
    };
    let data = shapes::account_data(&acc, true, &state.origins);
    let mut reply = Reply::json(200, CT_SETUP_JSON, &data);
    for cookie in trusted_cookies(state, &key, &web) {
        reply = reply.cookie(&cookie, &state.origins);
    }
    let user = Cookie::setup(
        "X-APPLE-WEBAUTH-USER",
        &format!("\"v=1:s=1:d={}\"", acc.dsid),
        Some(days(30)),
    );
    reply.cookie(&user, &state.origins)
}

/// Returns the account of the live web session (`X-APPLE-WEBAUTH-TOKEN`) of a request, or the
/// answer Apple gives without one (500 `Missing X-APPLE-WEBAUTH-TOKEN cookie`, as seen on
/// `requestPCS` after an `accountLogin` that set `X-APPLE-WEBAUTH-REPAIR`).
fn web_account(state: &mut State, req: &Req) -> Result<String, Reply> {
    let missing = || setup_error(500, "Missing X-APPLE-WEBAUTH-TOKEN cookie");
    let web = req.cookie("X-APPLE-WEBAUTH-TOKEN").ok_or_else(missing)?;
    let web = web.to_owned();
    state
        .touch_web_session(&web)
        .ok_or_else(|| setup_error(421, "Failed to validate the credentials from cookie"))
}

/// POST `logout`: ends the web session named by the cookie.
fn logout(state: &mut State, req: &Req) -> Reply {
    if let Some(web) = req.cookie("X-APPLE-WEBAUTH-TOKEN") {
        state.web_sessions.remove(web);
    }
    Reply::json(200, CT_SETUP_JSON, &json!({"success": true}))
}

/// Finds the 2SA login behind a request: the `X-APPLE-WEBAUTH-HSA-LOGIN` cookie, else the
/// `dsid` query parameter. Returns the account key and the session token to upgrade.
fn two_step_login(state: &State, req: &Req) -> Option<(String, Option<String>)> {
    if let Some(pending) = req
        .cookie("X-APPLE-WEBAUTH-HSA-LOGIN")
        .and_then(|c| state.pending_web.get(c))
    {
        return Some((pending.account.clone(), Some(pending.session_token.clone())));
    }
    let key = state.account_by_dsid(&req.query_param("dsid")?)?;
    let token = state
        .account(&key)
        .and_then(|a| a.last_untrusted_token.clone());
    Some((key, token))
}

/// The device id of a 2SA body (`deviceId` or `deviceID`, as the cassettes show both).
fn device_id(body: &Value) -> Option<String> {
    let id = body.get("deviceId").or_else(|| body.get("deviceID"))?;
    match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The 2SA device list entry.
fn device_json(id: &str, phone_number: &str) -> Value {
    json!({"deviceType": "SMS", "areaCode": "", "phoneNumber": phone_number, "deviceId": id})
}

/// GET `listDevices` (spec §8 step 1).
fn list_devices(state: &mut State, req: &Req) -> Reply {
    let Some((key, _)) = two_step_login(state, req) else {
        return setup_error(421, "Missing X-APPLE-WEBAUTH-TOKEN cookie");
    };
    let devices: Vec<Value> = state
        .account(&key)
        .map(|a| {
            a.cfg
                .devices
                .iter()
                .map(|d| device_json(&d.id, &d.phone_number))
                .collect()
        })
        .unwrap_or_default();
    Reply::json(200, CT_SETUP_JSON, &json!({"devices": devices}))
}

/// Returns whether the body names one of the account's 2SA devices.
fn known_device(state: &State, key: &str, body: &Value) -> bool {
    let id = device_id(body);
    state
        .account(key)
        .is_some_and(|a| a.cfg.devices.iter().any(|d| Some(&d.id) == id.as_ref()))
}

/// POST `sendVerificationCode` (spec §8 step 3).
fn send_code(state: &mut State, req: &Req) -> Reply {
    let Some((key, _)) = two_step_login(state, req) else {
        return setup_error(421, "Missing X-APPLE-WEBAUTH-TOKEN cookie");
    };
    let body = req.json().unwrap_or(Value::Null);
    if !known_device(state, &key, &body) {
        return Reply::json(
            200,
            CT_SETUP_JSON,
            &json!({"success": false, "errorMessage": "Unknown device."}),
        );
    }
    let code = state.new_code(&key);
    if let Some(a) = state.accounts.get_mut(&key) {
        a.two_step_code = Some(code);
    }
    Reply::json(200, CT_SETUP_JSON, &json!({"success": true}))
}

/// POST `validateVerificationCode` (spec §8 step 5): a right code upgrades the login's session
/// token, so the next `accountLogin` with it is trusted.
fn validate_code(state: &mut State, req: &Req) -> Reply {
    let Some((key, token)) = two_step_login(state, req) else {
        return setup_error(421, "Missing X-APPLE-WEBAUTH-TOKEN cookie");
    };
    let body = req.json().unwrap_or(Value::Null);
    let sent = match &body["verificationCode"] {
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    let pending = state
        .account(&key)
        .and_then(|a| a.two_step_code.as_ref())
        .map(|d| d.code.clone());
    if !known_device(state, &key, &body) || sent.is_none() || sent != pending {
        let body = json!({
            "success": false,
            "errorTitle": "Invalid Code",
            "errorMessage": "The code you entered is not valid.",
            "errorCode": -21669
        });
        return Reply::json(200, CT_SETUP_JSON, &body);
    }
    if let Some(a) = state.accounts.get_mut(&key) {
        a.two_step_code = None;
    }
    if let Some(t) = token.and_then(|t| state.session_tokens.get_mut(&t)) {
        t.level = Level::Trusted;
    }
    Reply::json(200, CT_SETUP_JSON, &json!({"success": true}))
}
