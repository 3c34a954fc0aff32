//! Second factors: two-factor codes (HSA2) from a trusted device or by SMS, the trust step, and
//! legacy two-step (2SA) codes.

use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::account::AccountData;
use crate::calls::{account_login, escrow, escrow_asked};
use crate::conn::{Conn, Kind, Reply};
use crate::error::{Error, Result};
use crate::session::Session;

/// A trusted phone number that can receive a two-factor code by SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustedPhone {
    id: u64,
    obfuscated: String,
    push_mode: Option<String>,
    non_fteu: Option<bool>,
}

impl TrustedPhone {
    /// Returns Apple's id of the number.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Returns the number as icloudpd shows it: Apple's obfuscated number with every `•`
    /// replaced by `*`, e.g. `(***) ***-**81`.
    pub fn display(&self) -> String {
        self.obfuscated.replace('\u{2022}', "*")
    }

    /// Returns how Apple delivers codes to it (`sms` or `voice`), if it said.
    pub fn push_mode(&self) -> Option<&str> {
        self.push_mode.as_deref()
    }
}

/// A pending two-factor (HSA2) challenge: Apple accepted the password and wants a six-digit
/// code before it trusts this browser.
///
/// The code comes one of two ways. By default from the account's trusted devices: call
/// [`TwoFactorChallenge::request_code`] (since 2026 Apple shows a code only when asked), then
/// [`TwoFactorChallenge::submit_code`]. Or by SMS: pick one of
/// [`TwoFactorChallenge::trusted_phones`], [`TwoFactorChallenge::send_sms`] to it, then
/// [`TwoFactorChallenge::submit_sms_code`]. A code accepted, the session is trusted (Apple
/// sets a trust token that spares the second factor at later sign-ins, for about a month)
/// and the challenge turns into the [`Session`].
///
/// Cheap to clone: clone it before [`TwoFactorChallenge::submit_code`] to try another code if
/// the first is rejected.
///
/// # Example
///
/// A code by SMS, against a fake account with two trusted phone numbers. The fake's
/// [`current_code`](https://docs.rs/icloud-fake) plays the person reading the text message.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use std::sync::Arc;
/// use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// use icloud_fake::{FakeAccount, FakeICloud};
///
/// let account = FakeAccount::new("jdoe@gmail.com", "password1")
///     .trusted_phones(&[(1, "(•••) •••-••81"), (2, "+44 •••• 22")]);
/// let fake = FakeICloud::builder().account(account).start()?;
/// let client = AuthClient::builder()
///     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
///     .build()?;
/// let password = SecretString::from("password1".to_owned());
/// let store = Arc::new(MemorySessionStore::default());
/// let SignIn::TwoFactor(challenge) = client.sign_in("jdoe@gmail.com", &password, store).await?
/// else {
///     return Err("expected a two-factor challenge".into());
/// };
///
/// let phones = challenge.trusted_phones().await?;
/// let shown: Vec<String> = phones.iter().map(|p| p.display()).collect();
/// assert_eq!(shown, ["(***) ***-**81", "+44 **** 22"]);
/// challenge.send_sms(&phones[1]).await?;
/// let code = fake.current_code("jdoe@gmail.com").ok_or("no code sent")?;
/// let session = challenge.submit_sms_code(&phones[1], &code).await?;
/// assert!(session.trust_expires().is_some());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TwoFactorChallenge {
    conn: Arc<Conn>,
    /// The password, for the escrow proof Apple may ask for after the code.
    password: Option<SecretString>,
}

impl fmt::Debug for TwoFactorChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoFactorChallenge")
            .field("apple_id", &self.conn.apple_id)
            .finish_non_exhaustive()
    }
}

impl TwoFactorChallenge {
    pub(crate) fn new(conn: Arc<Conn>, password: Option<SecretString>) -> Self {
        TwoFactorChallenge { conn, password }
    }

    /// Returns the Apple ID being signed in.
    pub fn apple_id(&self) -> &str {
        &self.conn.apple_id
    }

    /// Returns the trusted phone numbers that can receive a code by SMS.
    ///
    /// A page Apple doesn't serve or that can't be read gives an empty list, as in icloudpd.
    ///
    /// # Errors
    ///
    /// Transport errors, throttling and store errors only.
    pub async fn trusted_phones(&self) -> Result<Vec<TrustedPhone>> {
        let url = self.conn.endpoints.auth();
        let req = self
            .conn
            .request_accepting(Kind::Auth, Method::GET, &url, "text/html");
        let reply = self.conn.send(req, "auth").await?;
        // Since 2026 the page may come with a 409 (auth.md §16.10); its body is the same.
        if !matches!(reply.status.as_u16(), 200 | 204 | 409) {
            return Ok(Vec::new());
        }
        Ok(parse_trusted_phones(&String::from_utf8_lossy(&reply.body)))
    }

    /// Asks Apple to show a fresh code on the account's trusted devices (needed since 2026).
    ///
    /// Call it once before asking the user for a device code; a new request invalidates the
    /// previous code.
    ///
    /// # Errors
    ///
    /// [`Error::CodeDeliveryFailed`] when Apple refuses; transport, throttling and store
    /// errors.
    pub async fn request_code(&self) -> Result<()> {
        let url = format!(
            "{}/verify/trusteddevice/securitycode",
            self.conn.endpoints.auth()
        );
        let req = self
            .conn
            .request_accepting(Kind::Auth, Method::PUT, &url, "application/json");
        let reply = self
            .conn
            .send(req, "verify/trusteddevice/securitycode")
            .await?;
        if reply.status.is_success() {
            Ok(())
        } else {
            Err(Error::CodeDeliveryFailed)
        }
    }

    /// Sends a code by SMS to `phone` (a 409 counts as sent, as Apple answers since 2026).
    ///
    /// # Errors
    ///
    /// [`Error::CodeDeliveryFailed`] when Apple refuses; transport, throttling and store
    /// errors.
    pub async fn send_sms(&self, phone: &TrustedPhone) -> Result<()> {
        let url = format!("{}/verify/phone", self.conn.endpoints.auth());
        let body = json!({"phoneNumber": phone_json(phone), "mode": "sms"});
        let req = self.conn.request(Kind::Auth, Method::PUT, &url).json(&body);
        let reply = self.conn.send(req, "verify/phone").await?;
        // Since 2026 Apple may answer 409 although the code was sent (auth.md §16.10).
        if reply.status.as_u16() < 400 || reply.status.as_u16() == 409 {
            Ok(())
        } else {
            Err(Error::CodeDeliveryFailed)
        }
    }

    /// Submits a code shown on a trusted device, then trusts this session.
    ///
    /// A 409 answer counts as accepted when it says `securityCode.valid` or brings a new
    /// session token. When Apple then asks for the escrow password proof, it is answered with
    /// the password of the sign-in.
    ///
    /// # Errors
    ///
    /// - [`Error::TwoFactorRejected`] for a wrong code;
    /// - [`Error::TrustFailed`] when the code was right but the session could not be trusted;
    /// - [`Error::EscrowFailed`] when the escrow proof was refused, [`Error::PasswordRequired`]
    ///   when it was asked for and the challenge has no password (it came from a stored
    ///   session);
    /// - [`Error::AccountActionRequired`] when Apple wants something done on icloud.com first;
    /// - transport, throttling and store errors.
    pub async fn submit_code(self, code: &str) -> Result<Session> {
        let url = format!(
            "{}/verify/trusteddevice/securitycode",
            self.conn.endpoints.auth()
        );
        let body = json!({"securityCode": {"code": code}});
        let req = self
            .conn
            .request_accepting(Kind::Auth, Method::POST, &url, "application/json")
            .json(&body);
        let reply = self
            .conn
            .send(req, "verify/trusteddevice/securitycode")
            .await?;
        check_code(&reply)?;
        self.trust(&reply).await
    }

    /// Submits a code received by SMS on `phone`, then trusts this session.
    ///
    /// # Errors
    ///
    /// As [`TwoFactorChallenge::submit_code`].
    pub async fn submit_sms_code(self, phone: &TrustedPhone, code: &str) -> Result<Session> {
        let url = format!("{}/verify/phone/securitycode", self.conn.endpoints.auth());
        let body = json!({
            "phoneNumber": phone_json(phone),
            "securityCode": {"code": code},
            "mode": "sms",
        });
        let req = self
            .conn
            .request_accepting(Kind::Auth, Method::POST, &url, "application/json")
            .json(&body);
        let reply = self.conn.send(req, "verify/phone/securitycode").await?;
        check_code(&reply)?;
        self.trust(&reply).await
    }

    /// The escrow proof if the code's answer asked for it, then `GET 2sv/trust`, then
    /// `accountLogin` with the new tokens.
    async fn trust(self, code_reply: &Reply) -> Result<Session> {
        if escrow_asked(code_reply) {
            tracing::debug!("apple asks for the escrow proof after the code");
            let password = self.password.as_ref().ok_or(Error::PasswordRequired)?;
            escrow(&self.conn, password).await?;
        }
        let url = format!("{}/2sv/trust", self.conn.endpoints.auth());
        let req = self.conn.request(Kind::Auth, Method::GET, &url);
        let reply = self.conn.send(req, "2sv/trust").await?;
        if !reply.status.is_success() || reply.api_error().is_some() {
            tracing::warn!(status = reply.status.as_u16(), "session trust failed");
            return Err(Error::TrustFailed);
        }
        let data = match account_login(&self.conn).await {
            Ok(d) => d,
            Err(
                e @ (Error::Throttled { .. } | Error::Transport(_) | Error::AccountActionRequired),
            ) => return Err(e),
            Err(_) => return Err(Error::TrustFailed),
        };
        if data.requires_2fa() || data.requires_2sa() {
            return Err(Error::TwoFactorRejected);
        }
        Ok(Session::new(self.conn, data))
    }
}

/// Accepts 2xx, or a 2026-style 409 saying the code is valid; a 4xx is a rejected code.
fn check_code(reply: &Reply) -> Result<()> {
    let status = reply.status.as_u16();
    if reply.status.is_success() {
        return Ok(());
    }
    if status == 409 {
        let valid = reply
            .json()
            .and_then(|v| v.get("securityCode")?.get("valid")?.as_bool())
            .unwrap_or(false);
        if valid || reply.headers.contains_key("x-apple-session-token") {
            return Ok(());
        }
    }
    if (400..500).contains(&status) {
        if let Some(err) = reply.api_error() {
            tracing::warn!("{} ({})", err.reason, err.code);
        }
        return Err(Error::TwoFactorRejected);
    }
    Err(Error::UnexpectedResponse {
        endpoint: "verify",
        detail: format!("status {status}"),
    })
}

fn phone_json(phone: &TrustedPhone) -> Value {
    let mut p = json!({"id": phone.id});
    if let Some(n) = phone.non_fteu {
        p["nonFTEU"] = Value::Bool(n);
    }
    p
}

/// Extracts the trusted phone numbers from the HTML of `GET {AUTH}` (§7.2): the JSON inside the
/// `<script type="application/json" class="boot_args">` element, at the baseline location or the
/// 2026 `bridgeInitiateData` one.
pub(crate) fn parse_trusted_phones(html: &str) -> Vec<TrustedPhone> {
    let Some(json) = boot_args(html) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<Value>(json) else {
        return Vec::new();
    };
    let two_sv = &v["direct"]["twoSV"];
    let list = |pnv: &Value| {
        pnv["trustedPhoneNumbers"]
            .as_array()
            .filter(|a| !a.is_empty())
            .cloned()
    };
    let numbers = list(&two_sv["phoneNumberVerification"])
        .or_else(|| list(&two_sv["bridgeInitiateData"]["phoneNumberVerification"]))
        .unwrap_or_default();
    numbers
        .iter()
        .filter_map(|n| {
            Some(TrustedPhone {
                id: n.get("id")?.as_u64()?,
                obfuscated: n.get("obfuscatedNumber")?.as_str()?.to_owned(),
                push_mode: n.get("pushMode").and_then(Value::as_str).map(str::to_owned),
                non_fteu: n.get("nonFTEU").and_then(Value::as_bool),
            })
        })
        .collect()
}

/// Returns the text of the script element whose attributes are exactly
/// `type="application/json"` and `class="boot_args"` (in either order).
fn boot_args(html: &str) -> Option<&str> {
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start + "<script".len()..];
        let close = after.find('>')?;
        let attrs = after[..close].split_whitespace().collect::<Vec<_>>();
        let body = &after[close + 1..];
        let end = body.find("</script>")?;
        let mut sorted = attrs.clone();
        sorted.sort_unstable();
        if sorted == ["class=\"boot_args\"", "type=\"application/json\""] {
            return Some(body[..end].trim());
        }
        rest = &body[end..];
    }
    None
}

/// A device that can receive a legacy two-step (2SA) code.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TwoStepDevice {
    raw: Value,
}

impl TwoStepDevice {
    /// Returns the name icloudpd shows: the device name, or `SMS to <number>`.
    pub fn display(&self) -> String {
        if let Some(name) = self.raw.get("deviceName").and_then(Value::as_str) {
            return name.to_owned();
        }
        let number = self
            .raw
            .get("phoneNumber")
            .and_then(Value::as_str)
            .unwrap_or("");
        format!("SMS to {number}")
    }
}

/// A pending legacy two-step (2SA) challenge: the verification Apple IDs had before
/// two-factor authentication, still met on a few old accounts.
///
/// The code goes to a device the caller picks from [`TwoStepChallenge::devices`] (a trusted
/// device, or a phone number by SMS) with [`TwoStepChallenge::send_code`];
/// [`TwoStepChallenge::submit_code`] answers it, asks Apple to trust this browser, and signs
/// in again to yield the [`Session`]. Cheap to clone, like [`TwoFactorChallenge`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString};
/// use icloud_auth::SignIn;
/// use icloud_fake::{FakeAccount, FakeICloud};
///
/// let fake = FakeICloud::builder()
///     .account(FakeAccount::new("jdoe@gmail.com", "password1").two_step())
///     .start()?;
/// # let client = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
/// #     .build()?;
/// # let password = SecretString::from("password1".to_owned());
/// # let store = Arc::new(MemorySessionStore::default());
/// let SignIn::TwoStep(challenge) = client.sign_in("jdoe@gmail.com", &password, store).await?
/// else {
///     return Err("expected a two-step challenge".into());
/// };
/// let devices = challenge.devices().await?;
/// tracing::info!("sending a code to {}", devices[0].display());
/// challenge.send_code(&devices[0]).await?;
/// let code = fake.current_code("jdoe@gmail.com").ok_or("no code sent")?;
/// let session = challenge.submit_code(&devices[0], &code).await?;
/// assert_eq!(session.apple_id(), "jdoe@gmail.com");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TwoStepChallenge {
    conn: Arc<Conn>,
    data: AccountData,
}

impl fmt::Debug for TwoStepChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoStepChallenge")
            .field("apple_id", &self.conn.apple_id)
            .finish_non_exhaustive()
    }
}

impl TwoStepChallenge {
    pub(crate) fn new(conn: Arc<Conn>, data: AccountData) -> Self {
        TwoStepChallenge { conn, data }
    }

    /// Returns the Apple ID being signed in.
    pub fn apple_id(&self) -> &str {
        &self.conn.apple_id
    }

    fn setup_url(&self, call: &str) -> Result<reqwest::Url> {
        let base = format!("{}/{call}", self.conn.endpoints.setup());
        reqwest::Url::parse_with_params(&base, self.conn.setup_query(&self.data.dsid()))
            .map_err(|e| Error::Config(e.to_string()))
    }

    /// Returns the devices that can receive a code, in Apple's order; show them with
    /// [`TwoStepDevice::display`] and let the person pick one.
    ///
    /// # Errors
    ///
    /// [`Error::UnexpectedResponse`] when Apple's answer reports an error; transport,
    /// throttling and store errors as every request.
    pub async fn devices(&self) -> Result<Vec<TwoStepDevice>> {
        let url = self.setup_url("listDevices")?;
        let req = self.conn.request(Kind::Plain, Method::GET, url.as_str());
        let reply = self.conn.send(req, "listDevices").await?;
        if reply.api_error().is_some() {
            return Err(Error::UnexpectedResponse {
                endpoint: "listDevices",
                detail: format!("status {}", reply.status.as_u16()),
            });
        }
        Ok(reply
            .json()
            .and_then(|v| v.get("devices")?.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .map(|raw| TwoStepDevice { raw })
            .collect())
    }

    /// Sends a code to `device` (one of [`TwoStepChallenge::devices`]); a new code replaces
    /// the previous one.
    ///
    /// # Errors
    ///
    /// [`Error::CodeDeliveryFailed`] when Apple does not confirm the delivery; transport,
    /// throttling and store errors.
    pub async fn send_code(&self, device: &TwoStepDevice) -> Result<()> {
        let url = self.setup_url("sendVerificationCode")?;
        let req = self
            .conn
            .request(Kind::Plain, Method::POST, url.as_str())
            .body(device.raw.to_string());
        let reply = self.conn.send(req, "sendVerificationCode").await?;
        let ok = reply
            .json()
            .and_then(|v| v.get("success")?.as_bool())
            .unwrap_or(false);
        if ok && reply.api_error().is_none() {
            Ok(())
        } else {
            Err(Error::CodeDeliveryFailed)
        }
    }

    /// Submits the code that `device` received, then signs in again with the trusted browser.
    ///
    /// Consumes the challenge; clone it first to allow another try after a wrong code.
    ///
    /// # Errors
    ///
    /// [`Error::TwoFactorRejected`] for a wrong code (or when Apple still does not trust the
    /// browser after it); the errors of `accountLogin` as [`crate::AuthClient::sign_in`]
    /// ([`Error::InvalidAuthToken`], [`Error::AccountActionRequired`], …); transport,
    /// throttling and store errors.
    pub async fn submit_code(self, device: &TwoStepDevice, code: &str) -> Result<Session> {
        let url = self.setup_url("validateVerificationCode")?;
        let mut body = device.raw.clone();
        if let Value::Object(map) = &mut body {
            map.insert(
                "verificationCode".to_owned(),
                Value::String(code.to_owned()),
            );
            map.insert("trustBrowser".to_owned(), Value::Bool(true));
        }
        let req = self
            .conn
            .request(Kind::Plain, Method::POST, url.as_str())
            .body(body.to_string());
        let reply = self.conn.send(req, "validateVerificationCode").await?;
        let ok = reply
            .json()
            .and_then(|v| v.get("success")?.as_bool())
            .unwrap_or(false);
        if !ok || reply.api_error().is_some() {
            return Err(Error::TwoFactorRejected);
        }
        let data = account_login(&self.conn).await?;
        if data.requires_2sa() {
            return Err(Error::TwoFactorRejected);
        }
        Ok(Session::new(self.conn, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head>
<script type="application/json" class="pre">{"direct":{"twoSV":{"phoneNumberVerification":{"trustedPhoneNumbers":[{"id":9,"obfuscatedNumber":"decoy"}]}}}}</script>
<script class="boot_args" type="application/json">
{"direct":{"twoSV":{"phoneNumberVerification":{"trustedPhoneNumbers":[
 {"numberWithDialCode":"+1 (•••) •••-••81","pushMode":"sms","obfuscatedNumber":"(•••) •••-••81","lastTwoDigits":"81","id":1},
 {"obfuscatedNumber":"(\u2022\u2022\u2022) \u2022\u2022\u2022-\u2022\u202222","id":2},
 {"obfuscatedNumber":"no id"}]}}}}
</script></head></html>"#;

    #[test]
    fn trusted_phones_come_from_boot_args_only() {
        let phones = parse_trusted_phones(PAGE);
        assert_eq!(phones.len(), 2);
        assert_eq!(phones[0].id(), 1);
        assert_eq!(phones[0].display(), "(***) ***-**81");
        assert_eq!(phones[0].push_mode(), Some("sms"));
        assert_eq!(phones[1].display(), "(***) ***-**22");
    }

    #[test]
    fn trusted_phones_at_the_2026_location() {
        let page = r#"<script type="application/json" class="boot_args">{"direct":{"twoSV":{"phoneNumberVerification":{},"bridgeInitiateData":{"phoneNumberVerification":{"trustedPhoneNumbers":[{"id":3,"obfuscatedNumber":"•••33","nonFTEU":true}]}}}}}</script>"#;
        let phones = parse_trusted_phones(page);
        assert_eq!(phones.len(), 1);
        assert_eq!(phones[0].display(), "***33");
        assert_eq!(phone_json(&phones[0]), json!({"id": 3, "nonFTEU": true}));
    }

    #[test]
    fn unreadable_pages_give_no_phones() {
        assert!(parse_trusted_phones("").is_empty());
        assert!(
            parse_trusted_phones("<script type=\"application/json\" class=\"boot_args\">{bad")
                .is_empty()
        );
        assert!(
            parse_trusted_phones(
                "<script type=\"application/json\" class=\"boot_args\">{bad</script>"
            )
            .is_empty()
        );
    }

    #[test]
    fn two_step_devices_display_like_icloudpd() {
        let d = TwoStepDevice {
            raw: json!({"deviceType": "SMS", "phoneNumber": "*******03", "deviceId": "1"}),
        };
        assert_eq!(d.display(), "SMS to *******03");
        let d = TwoStepDevice {
            raw: json!({"deviceName": "iPhone", "deviceId": "2"}),
        };
        assert_eq!(d.display(), "iPhone");
    }
}
