//! Advanced Data Protection (ADP) accounts: the PCS consent flow that gives a web client the
//! keys of one app's data (auth.md §16.5).
//!
//! With ADP on, Apple holds no keys it could use for a web client, and `accountLogin` sets no
//! `X-APPLE-WEBAUTH-PCS-*` cookies. With "Access iCloud Data on the Web" on, a web client asks
//! the account's devices to share the keys: `requestWebAccessState` says whether a device has
//! consented, `enableDeviceConsentForPCS` puts a prompt on the devices, and `requestPCS`
//! (polled while a device uploads the keys) answers with the app's PCS cookies. They expire;
//! a web service then answers 423 ([`Error::PcsRequired`]) and the flow runs again, this time
//! without a prompt.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::session::{PCS_COOKIES, Session};

/// `requestPCS` messages that mean "not yet, ask again" (pyicloud and icloud-photos-sync).
const PENDING: [&str; 3] = [
    "Requested the device to upload cookies.",
    "Cookies not available yet on server.",
    "Requested a new device arming to upload cookies.",
];

/// How long [`Session::ensure_pcs`] waits for a device to share the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PcsPolicy {
    /// Pause between two `requestPCS` polls (default 5 s; other clients use 5 to 10 s).
    pub interval: Duration,
    /// Longest total wait before giving up (default 5 minutes). The last poll, once sent,
    /// may take up to the client's request timeout more.
    pub timeout: Duration,
}

impl Default for PcsPolicy {
    fn default() -> Self {
        PcsPolicy {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(300),
        }
    }
}

impl PcsPolicy {
    /// Returns the policy with `interval` between polls (default 5 s).
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Returns the policy with `timeout` as the longest wait (default 5 minutes).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What [`Session::ensure_pcs`] reports while it waits, so the caller can tell the person.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PcsEvent {
    /// Apple put a consent request on the account's devices: the person should approve it on
    /// an iPhone, iPad or Mac signed in to the account. Reported once, and only when no device
    /// had consented yet (a renewal of the keys after consent needs nobody).
    ApproveOnDevice,
    /// Still waiting; `message` is Apple's.
    Waiting {
        /// Apple's message, e.g. `Cookies not available yet on server.`.
        message: String,
    },
}

/// What [`Session::ensure_pcs`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PcsOutcome {
    /// The account does not use Advanced Data Protection: nothing to do.
    NotNeeded,
    /// The session already holds unexpired PCS cookies.
    AlreadyAttached,
    /// New PCS cookies were attached to the session.
    Attached,
}

/// The answer of `requestWebAccessState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebAccessState {
    /// "Access iCloud Data on the Web" is on.
    pub web_access_allowed: bool,
    /// The iCloud Data Recovery Service is off, which is what Advanced Data Protection means.
    pub icdrs_disabled: bool,
    /// A device has consented to share the keys with web clients.
    pub device_consented: bool,
}

impl Session {
    /// Returns `true` if the account uses Advanced Data Protection and the session lacks
    /// unexpired photos PCS cookies (`X-APPLE-WEBAUTH-PCS-Photos` and `-Sharing`).
    pub fn needs_pcs(&self) -> bool {
        self.account().adp_enabled() && !self.has_pcs_cookies()
    }

    fn has_pcs_cookies(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let cookies = self.conn().cookies();
        PCS_COOKIES.iter().all(|name| {
            cookies
                .iter()
                .any(|c| c.name() == *name && !c.is_expired_at(now))
        })
    }

    /// Asks Apple whether web access is allowed and a device has consented to share the keys
    /// (`requestWebAccessState`).
    ///
    /// # Errors
    ///
    /// Returns [`Error::SessionExpired`] when the web session is gone, transport errors and
    /// throttling as such, [`Error::UnexpectedResponse`] for an answer without the fields.
    pub async fn web_access_state(&self) -> Result<WebAccessState> {
        let v = self.post_setup("requestWebAccessState", None).await?;
        let flag = |k: &str| v.get(k).and_then(Value::as_bool);
        Ok(WebAccessState {
            web_access_allowed: flag("isWebAccessAllowed").unwrap_or(true),
            icdrs_disabled: flag("isICDRSDisabled").unwrap_or(false),
            device_consented: flag("isDeviceConsentedForPCS").unwrap_or(false),
        })
    }

    /// Makes the account's devices ask the person to let web clients use the keys
    /// (`enableDeviceConsentForPCS`); `true` when Apple sent the prompt.
    ///
    /// # Errors
    ///
    /// As [`Session::web_access_state`].
    pub async fn request_device_consent(&self) -> Result<bool> {
        let v = self.post_setup("enableDeviceConsentForPCS", None).await?;
        Ok(v.get("isDeviceConsentNotificationSent")
            .and_then(Value::as_bool)
            .unwrap_or(false))
    }

    /// Makes sure the session holds the photos PCS cookies of an Advanced Data Protection
    /// account: asks for consent when no device gave it (reporting
    /// [`PcsEvent::ApproveOnDevice`] once), then polls `requestPCS` every `policy.interval`
    /// while Apple says the keys are on their way, for at most `policy.timeout`.
    ///
    /// Returns at once for accounts without ADP and for sessions whose cookies have not
    /// expired. After a web service refused the cookies ([`Error::PcsRequired`]) the session
    /// has dropped them, so a call asks again.
    ///
    /// # Errors
    ///
    /// - [`Error::AdpWebAccessDisabled`] when "Access iCloud Data on the Web" is off;
    /// - [`Error::PcsUnavailable`] when Apple refuses, the prompt could not be sent, or no
    ///   device shared the keys within `policy.timeout`;
    /// - session, transport and throttling errors as [`Session::post_json`].
    pub async fn ensure_pcs(
        &self,
        policy: PcsPolicy,
        mut on_event: impl FnMut(PcsEvent),
    ) -> Result<PcsOutcome> {
        let account = self.account();
        if !account.adp_enabled() {
            return Ok(PcsOutcome::NotNeeded);
        }
        if !account.web_access_allowed() {
            return Err(Error::AdpWebAccessDisabled);
        }
        if self.has_pcs_cookies() {
            return Ok(PcsOutcome::AlreadyAttached);
        }
        let state = self.web_access_state().await?;
        if !state.web_access_allowed {
            return Err(Error::AdpWebAccessDisabled);
        }
        if !state.device_consented {
            if !self.request_device_consent().await? {
                return Err(Error::PcsUnavailable {
                    reason: "apple did not send the consent request to the devices".to_owned(),
                });
            }
            on_event(PcsEvent::ApproveOnDevice);
        }
        let deadline = Instant::now().checked_add(policy.timeout);
        let mut first = true;
        loop {
            let body = json!({"appName": "photos", "derivedFromUserAction": first});
            first = false;
            let answer = self.post_setup("requestPCS", Some(&body)).await;
            let message = match answer {
                Ok(v) => {
                    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
                    let message = text("message").to_owned();
                    if v.get("isWebAccessAllowed").and_then(Value::as_bool) == Some(false) {
                        return Err(Error::AdpWebAccessDisabled);
                    }
                    if text("status") == "success" && self.has_pcs_cookies() {
                        return Ok(PcsOutcome::Attached);
                    }
                    if !PENDING.contains(&message.as_str()) {
                        return Err(Error::PcsUnavailable {
                            reason: if message.is_empty() {
                                "requestPCS gave no cookies".to_owned()
                            } else {
                                message
                            },
                        });
                    }
                    message
                }
                Err(Error::Api { reason, .. }) => {
                    return Err(Error::PcsUnavailable { reason });
                }
                // Apple answers 500 ("Issue requesting IDMS for arming.") when it cannot ask
                // the devices.
                Err(Error::ServerError { status }) => {
                    return Err(Error::PcsUnavailable {
                        reason: format!(
                            "apple could not ask the devices for the keys (status {status})"
                        ),
                    });
                }
                Err(e) => return Err(e),
            };
            on_event(PcsEvent::Waiting { message });
            let next = Instant::now().checked_add(policy.interval);
            if matches!((next, deadline), (Some(next), Some(deadline)) if next > deadline)
                || next.is_none()
            {
                return Err(Error::PcsUnavailable {
                    reason: format!(
                        "no device shared the keys within {} seconds",
                        policy.timeout.as_secs()
                    ),
                });
            }
            tokio::time::sleep(policy.interval).await;
        }
    }

    /// `POST {SETUP}/<call>` with the setup query string, a body (`{}` when `None`) and the
    /// session's cookies; errors classified as for every web service.
    async fn post_setup(&self, call: &str, body: Option<&Value>) -> Result<Value> {
        let conn = self.conn();
        let base = format!("{}/{call}", conn.endpoints.setup());
        let url = reqwest::Url::parse_with_params(&base, conn.setup_query(self.account().dsid()))
            .map_err(|e| Error::Config(e.to_string()))?;
        let empty = json!({});
        self.post_json_as(
            url.as_str(),
            body.unwrap_or(&empty),
            "text/plain;charset=UTF-8",
        )
        .await
    }
}
