//! The PCS consent flow of Advanced Data Protection accounts (auth.md §16.5):
//! `requestWebAccessState`, `enableDeviceConsentForPCS` and `requestPCS`, on setup.
//!
//! An ADP account with web access on gets no PCS cookies at `accountLogin`. The client asks for
//! consent (a prompt on the person's devices), then polls `requestPCS`, which answers "pending"
//! [`FakeAccount::pcs_polls_before_consent`](crate::FakeAccount::pcs_polls_before_consent)
//! times (the person has not approved yet) and then hands out `X-APPLE-WEBAUTH-PCS-Photos` and
//! `-Sharing`, the cookies CloudKit then requires. Once approved, later requests succeed at once.

use serde_json::{Value, json};

use super::{setup_error, web_account};
use crate::http::{CT_SETUP_JSON, Cookie, Reply, Req};
use crate::state::State;

/// The pending answers `requestPCS` gives while the person has not approved, in order (the
/// last one repeats); observed by pyicloud.
const PENDING: [&str; 2] = [
    "Requested the device to upload cookies.",
    "Cookies not available yet on server.",
];

/// POST `requestWebAccessState`.
pub(super) fn web_access_state(state: &mut State, req: &Req) -> Reply {
    let key = match web_account(state, req) {
        Ok(key) => key,
        Err(reply) => return reply,
    };
    let Some(acc) = state.account(&key) else {
        return setup_error(421, "Invalid global session");
    };
    let mut body = json!({
        "dsid": acc.cfg.dsid,
        "isWebAccessAllowed": acc.cfg.photos.web_access,
    });
    if acc.cfg.adp.is_some() {
        body["isDeviceConsentedForPCS"] = Value::Bool(acc.pcs.consented);
        body["isICDRSDisabled"] = Value::Bool(true);
        body["deviceConsentForPCSExpiry"] = json!(0);
    }
    Reply::json(200, CT_SETUP_JSON, &body)
}

/// POST `enableDeviceConsentForPCS`: puts the consent prompt on the person's devices.
pub(super) fn enable_consent(state: &mut State, req: &Req) -> Reply {
    let key = match web_account(state, req) {
        Ok(key) => key,
        Err(reply) => return reply,
    };
    let Some(acc) = state.accounts.get_mut(&key) else {
        return setup_error(421, "Invalid global session");
    };
    let sent = acc.cfg.adp.is_some_and(|a| a.web_access);
    if sent && !acc.pcs.consented {
        acc.pcs.consent_requested = true;
        acc.pcs.polls = 0;
    }
    Reply::json(
        200,
        CT_SETUP_JSON,
        &json!({"isDeviceConsentNotificationSent": sent}),
    )
}

/// POST `requestPCS` `{"appName": …, "derivedFromUserAction": …}`.
pub(super) fn request(state: &mut State, req: &Req) -> Reply {
    let key = match web_account(state, req) {
        Ok(key) => key,
        Err(reply) => return reply,
    };
    let app = req
        .json()
        .and_then(|b| b["appName"].as_str().map(str::to_owned))
        .unwrap_or_default();
    if app.is_empty() {
        return setup_error(400, "Missing appName");
    }
    let Some(acc) = state.accounts.get_mut(&key) else {
        return setup_error(421, "Invalid global session");
    };
    let Some(adp) = acc.cfg.adp else {
        return attached(state, &key, std::time::Duration::from_secs(30 * 24 * 3600));
    };
    if !adp.web_access {
        let body = json!({"isWebAccessAllowed": false, "status": "failure",
            "message": "Web access is disabled for this account."});
        return Reply::json(200, CT_SETUP_JSON, &body);
    }
    let had_keys = state.has_pcs_cookie(&key);
    let Some(acc) = state.accounts.get_mut(&key) else {
        return setup_error(421, "Invalid global session");
    };
    let pcs = &mut acc.pcs;
    if pcs.consented && !had_keys && adp.polls_after_consent > 0 {
        // A renewal: the device uploads new keys, which takes a few polls.
        pcs.renewal_polls += 1;
        if pcs.renewal_polls <= adp.polls_after_consent {
            let body = json!({"isWebAccessAllowed": true, "status": "failure",
                "message": PENDING[0]});
            return Reply::json(200, CT_SETUP_JSON, &body);
        }
        pcs.renewal_polls = 0;
    }
    if !pcs.consented && !pcs.consent_requested {
        let body = json!({"isDeviceConsentedForPCS": false,
            "message": "Issue requesting IDMS for arming."});
        return Reply::json(500, CT_SETUP_JSON, &body);
    }
    if !pcs.consented {
        pcs.polls += 1;
        if pcs.polls <= adp.polls_before_consent {
            let i = usize::try_from(pcs.polls - 1).unwrap_or(usize::MAX);
            let message = PENDING[i.min(PENDING.len() - 1)];
            let body = json!({"isWebAccessAllowed": true, "status": "failure", "message": message});
            return Reply::json(200, CT_SETUP_JSON, &body);
        }
        pcs.consented = true;
    }
    attached(state, &key, adp.cookie_lifetime)
}

/// The success answer with fresh `X-APPLE-WEBAUTH-PCS-Photos` and `-Sharing` cookies.
fn attached(state: &mut State, key: &str, lifetime: std::time::Duration) -> Reply {
    let body = json!({"isWebAccessAllowed": true, "status": "success",
        "message": "Cookies attached."});
    let mut reply = Reply::json(200, CT_SETUP_JSON, &body);
    for name in ["Photos", "Sharing"] {
        let value = state.issue_pcs_cookie(key, &name.to_lowercase(), lifetime);
        let cookie = Cookie::setup(
            &format!("X-APPLE-WEBAUTH-PCS-{name}"),
            &value,
            Some(lifetime),
        );
        reply = reply.cookie(&cookie, &state.origins);
    }
    reply
}
