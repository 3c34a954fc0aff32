//! What Apple says about the account: the data of `accountLogin` and `validate`, read into
//! [`AccountInfo`] and the [`Webservice`] map, and the decision whether a second factor is
//! needed.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::error::{Error, Result};

/// The account data of `accountLogin` / `validate` (§9), with the decisions made from it.
#[derive(Clone)]
pub(crate) struct AccountData {
    raw: Value,
}

impl AccountData {
    pub(crate) fn new(raw: Value) -> Result<AccountData> {
        if !raw.is_object() {
            return Err(Error::UnexpectedResponse {
                endpoint: "accountLogin",
                detail: "account data is not a JSON object".to_owned(),
            });
        }
        Ok(AccountData { raw })
    }

    fn ds(&self, key: &str) -> Option<&Value> {
        self.raw.get("dsInfo")?.get(key)
    }

    fn flag(&self, key: &str) -> bool {
        self.raw.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    fn hsa_version(&self) -> i64 {
        self.ds("hsaVersion").and_then(Value::as_i64).unwrap_or(0)
    }

    fn challenge_needed(&self) -> bool {
        self.flag("hsaChallengeRequired") || !self.flag("hsaTrustedBrowser")
    }

    /// `hsaVersion == 2 && (challenge required || browser untrusted) && qualifying device`.
    pub(crate) fn requires_2fa(&self) -> bool {
        self.hsa_version() == 2
            && self.challenge_needed()
            && self
                .ds("hasICloudQualifyingDevice")
                .and_then(Value::as_bool)
                .unwrap_or(false)
    }

    /// `hsaVersion >= 1 && (challenge required || browser untrusted)`.
    pub(crate) fn requires_2sa(&self) -> bool {
        self.hsa_version() >= 1 && self.challenge_needed()
    }

    pub(crate) fn dsid(&self) -> String {
        match self.ds("dsid") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    }

    pub(crate) fn info(&self) -> AccountInfo {
        let s = |k: &str| self.ds(k).and_then(Value::as_str).map(str::to_owned);
        AccountInfo {
            dsid: self.dsid(),
            apple_id: s("appleId").unwrap_or_default(),
            full_name: s("fullName"),
            country_code: s("countryCode"),
            hsa_version: self.hsa_version(),
            adp_enabled: self.flag("iCDPEnabled")
                || self.ds("iCDPEnabled").and_then(Value::as_bool) == Some(true),
            web_access_allowed: self
                .ds("isWebAccessAllowed")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        }
    }

    pub(crate) fn webservices(&self) -> BTreeMap<String, Webservice> {
        let Some(Value::Object(map)) = self.raw.get("webservices") else {
            return BTreeMap::new();
        };
        map.iter()
            .filter_map(|(name, v)| {
                let url = v.get("url")?.as_str()?.to_owned();
                Some((
                    name.clone(),
                    Webservice {
                        url,
                        status: v.get("status").and_then(Value::as_str).map(str::to_owned),
                        pcs_required: v
                            .get("pcsRequired")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    },
                ))
            })
            .collect()
    }
}

impl fmt::Debug for AccountData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountData")
            .field("dsid", &self.dsid())
            .finish_non_exhaustive()
    }
}

/// What Apple says about the signed-in account, from [`crate::Session::account`].
///
/// Read from the account data of `accountLogin` (or `validate`, when a stored session was
/// resumed). The fields a program usually needs are the [`AccountInfo::dsid`] (the account's
/// number, which iCloud's web services take as a query parameter) and the two switches that
/// decide whether photos can be reached from the web at all: [`AccountInfo::adp_enabled`]
/// and [`AccountInfo::web_access_allowed`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountInfo {
    dsid: String,
    apple_id: String,
    full_name: Option<String>,
    country_code: Option<String>,
    hsa_version: i64,
    adp_enabled: bool,
    web_access_allowed: bool,
}

impl AccountInfo {
    /// Returns the directory services id, which later iCloud calls send as `dsid`.
    pub fn dsid(&self) -> &str {
        &self.dsid
    }

    /// Returns the Apple ID as Apple spells it.
    pub fn apple_id(&self) -> &str {
        &self.apple_id
    }

    /// Returns the account holder's full name, if Apple sent it.
    pub fn full_name(&self) -> Option<&str> {
        self.full_name.as_deref()
    }

    /// Returns the account's country code (e.g. `USA`), if Apple sent it.
    pub fn country_code(&self) -> Option<&str> {
        self.country_code.as_deref()
    }

    /// Returns the security version: 0 none, 1 two-step (2SA), 2 two-factor (HSA2).
    pub fn hsa_version(&self) -> i64 {
        self.hsa_version
    }

    /// Returns `true` if Advanced Data Protection is on (`iCDPEnabled`), which stops web access
    /// to photos unless the account allows it.
    pub fn adp_enabled(&self) -> bool {
        self.adp_enabled
    }

    /// Returns `false` if "Access iCloud Data on the Web" is switched off.
    pub fn web_access_allowed(&self) -> bool {
        self.web_access_allowed
    }
}

/// One entry of the account's web services map, e.g. `ckdatabasews`, from
/// [`crate::Session::webservice`].
///
/// Apple serves each account's data from hosts of its own (`p61-ckdatabasews.icloud.com`
/// for one account, `p42-…` for another), and names them only in the account data: this is
/// where a client for one iCloud app finds its base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Webservice {
    url: String,
    status: Option<String>,
    pcs_required: bool,
}

impl Webservice {
    /// Returns the service's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Returns the service status Apple reported (e.g. `active`).
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// Returns `true` if the service needs PCS cookies (ADP accounts).
    pub fn pcs_required(&self) -> bool {
        self.pcs_required
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(v: Value) -> AccountData {
        AccountData::new(v).unwrap()
    }

    #[test]
    fn two_factor_needs_hsa2_an_untrusted_browser_and_a_device() {
        let d = data(
            json!({"dsInfo": {"hsaVersion": 2, "hasICloudQualifyingDevice": true},
            "hsaChallengeRequired": true, "hsaTrustedBrowser": false}),
        );
        assert!(d.requires_2fa());
        let d = data(
            json!({"dsInfo": {"hsaVersion": 2, "hasICloudQualifyingDevice": true},
            "hsaChallengeRequired": false, "hsaTrustedBrowser": true}),
        );
        assert!(!d.requires_2fa() && !d.requires_2sa());
    }

    #[test]
    fn hsa2_without_a_qualifying_device_falls_back_to_two_step() {
        let d = data(
            json!({"dsInfo": {"hsaVersion": 2, "hasICloudQualifyingDevice": false},
            "hsaChallengeRequired": true}),
        );
        assert!(!d.requires_2fa());
        assert!(d.requires_2sa());
    }

    #[test]
    fn accounts_without_hsa_need_nothing() {
        let d = data(json!({"dsInfo": {"dsid": 42}}));
        assert!(!d.requires_2fa() && !d.requires_2sa());
        assert_eq!(d.dsid(), "42");
    }

    #[test]
    fn webservices_without_url_are_not_available() {
        let d = data(json!({"webservices": {
            "ckdatabasews": {"url": "https://p61-ckdatabasews.icloud.com:443", "pcsRequired": true, "status": "active"},
            "schoolwork": {}
        }}));
        let ws = d.webservices();
        assert_eq!(
            ws["ckdatabasews"].url(),
            "https://p61-ckdatabasews.icloud.com:443"
        );
        assert!(!ws.contains_key("schoolwork"));
    }
}
