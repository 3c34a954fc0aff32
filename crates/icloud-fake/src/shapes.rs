//! Apple's response bodies, rebuilt with the recorded shapes: error bodies, boot args, account data.
//!
//! Each body here copies the shape of an answer recorded from Apple (icloudpd's cassettes and
//! the reports the specs cite), key for key where clients read keys, so that a client that
//! passes against the fake reads Apple's real answers too:
//!
//! - sign-in errors in idmsa's `serviceErrors` shape (auth.md §11.2): a wrong password 401
//!   `-20101`, a locked account 403 `-20209`, a wrong code 400 `-21669`, and the same code with
//!   `securityCodeLocked` after too many wrong ones (§7.4);
//! - the 2FA page of `GET /appleauth/auth` (§7.2): HTML with a decoy `pre` script holding
//!   another phone number, the real `boot_args`, and a `post` script, so a client that takes
//!   the first JSON script it finds picks the wrong number. The trusted numbers sit where
//!   Apple put them before 2026 (`direct.twoSV.phoneNumberVerification`) or, for accounts
//!   set to the 2026 bridge, under `bridgeInitiateData` with `authInitialRoute`
//!   `auth/bridge/step` (§16 item 2);
//! - the account data of `accountLogin` and `validate` (§9): `dsInfo`, `webservices` (every
//!   service Apple lists, each pointing back at the fake, with `pcsRequired` where Apple sets
//!   it), the trust flags `hsaTrustedBrowser` and `hsaChallengeRequired`, and the switches a
//!   test can turn (`hsaVersion` 2, 1 or absent, `isWebAccessAllowed`, `iCDPEnabled` for
//!   Advanced Data Protection, and no `ckdatabasews` at all when photos are off, which
//!   clients report as "Webservice not available", photos.md §2).
//!
//! Where Apple's exact answer is unknown, [`fake_error`] says so in both error spellings
//! clients look for, rather than inventing a plausible Apple code.

use serde_json::{Value, json};

use crate::account::{FakeAccount, Phone, SecondFactor};
use crate::http::{CT_HTML, CT_IDMSA_JSON, Reply};
use crate::origins::Origins;

/// Body of a wrong-password `signin/complete` (401).
pub(crate) fn wrong_password() -> Reply {
    let body = json!({"serviceErrors": [{
        "code": "-20101",
        "message": "Enter the email or phone number and password for your Apple Account.",
        "suppressDismissal": false
    }]});
    Reply::json(401, CT_IDMSA_JSON, &body)
}

/// Body of a locked account's `signin/complete` (403, `-20209`).
pub(crate) fn account_locked() -> Reply {
    let body = json!({"serviceErrors": [{
        "code": "-20209",
        "message": "This Apple Account has been locked for security reasons. Visit iForgot to reset your account (https://iforgot.apple.com).",
        "suppressDismissal": false
    }]});
    Reply::json(403, CT_IDMSA_JSON, &body)
}

/// An error the fake invents where Apple's exact answer is unknown; carries both Apple error
/// spellings (`serviceErrors` for sign-in code, `service_errors` + `hasError` for the generic
/// classification of spec §11.1) so any client reports the message.
pub(crate) fn fake_error(status: u16, message: &str) -> Reply {
    let entry = json!({"code": "-20000", "title": "Request failed", "message": message, "suppressDismissal": false});
    let body =
        json!({"serviceErrors": [entry.clone()], "service_errors": [entry], "hasError": true});
    Reply::json(status, CT_IDMSA_JSON, &body)
}

/// The `securityCode` object of boot args and verify responses.
pub(crate) fn security_code(locked: bool) -> Value {
    json!({
        "length": 6,
        "tooManyCodesSent": false,
        "tooManyCodesValidated": locked,
        "securityCodeLocked": locked,
        "securityCodeCooldown": false
    })
}

/// Wrong security code (400, `-21669`).
pub(crate) fn wrong_code() -> Reply {
    let body = json!({
        "service_errors": [{
            "code": "-21669",
            "title": "Incorrect Verification Code",
            "message": "Incorrect verification code.",
            "suppressDismissal": false
        }],
        "hasError": true
    });
    Reply::json(400, CT_IDMSA_JSON, &body).header("X-Apple-I-Ercd", "-21669")
}

/// Too many wrong codes: still a -21669 error, with `securityCodeLocked` set.
pub(crate) fn code_locked() -> Reply {
    let body = json!({
        "service_errors": [{
            "code": "-21669",
            "title": "Incorrect Verification Code",
            "message": "Too many incorrect verification codes were entered. Try again later.",
            "suppressDismissal": false
        }],
        "hasError": true,
        "securityCode": security_code(true)
    });
    Reply::json(400, CT_IDMSA_JSON, &body).header("X-Apple-I-Ercd", "-21669")
}

/// One trusted phone number entry.
pub(crate) fn phone(p: &Phone) -> Value {
    let digits: Vec<char> = p.obfuscated.chars().filter(char::is_ascii_digit).collect();
    let last_two: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    json!({
        "numberWithDialCode": format!("+1 {}", p.obfuscated),
        "pushMode": "sms",
        "obfuscatedNumber": p.obfuscated,
        "lastTwoDigits": last_two,
        "id": p.id
    })
}

/// The `phoneNumberVerification` object.
pub(crate) fn phone_number_verification(acc: &FakeAccount, locked: bool) -> Value {
    let mut pnv = json!({
        "trustedPhoneNumbers": acc.phones.iter().map(phone).collect::<Vec<_>>(),
        "securityCode": security_code(locked),
        "authenticationType": "hsa2",
        "recoveryUrl": "https://iforgot.apple.com/phone/add",
        "autoVerified": false,
        "showAutoVerificationUI": false,
        "hideSendSMSCodeOption": false,
        "supportsRecovery": true,
        "hsa2Account": true,
        "restrictedAccount": false,
        "managedAccount": false
    });
    if let (Some(first), Some(obj)) = (acc.phones.first(), pnv.as_object_mut()) {
        obj.insert("trustedPhoneNumber".to_owned(), phone(first));
    }
    pnv
}

/// The boot-args JSON of `GET /appleauth/auth`.
fn boot_args(acc: &FakeAccount, locked: bool) -> Value {
    let pnv = phone_number_verification(acc, locked);
    let (route, two_sv) = if acc.phones_in_bridge {
        let two_sv = json!({
            "supportedPushModes": ["voice", "sms"],
            "authFactors": ["web_piggybacking", "sms"],
            "sourceAppId": 1159,
            "bridgeInitiateData": {
                "apnsTopic": "com.apple.idmsauthwidget",
                "apnsEnvironment": "prod",
                "webSocketUrl": "websocket.push.apple.com",
                "phoneNumberVerification": pnv
            }
        });
        ("auth/bridge/step", two_sv)
    } else {
        let two_sv = json!({
            "supportedPushModes": ["voice", "sms"],
            "phoneNumberVerification": pnv,
            "authFactors": ["robocall", "sms", "generatedcode"],
            "source_returnurl": "https://idmsa.apple.com/",
            "sourceAppId": 1159
        });
        ("auth/verify/phone", two_sv)
    };
    json!({
        "direct": {
            "module": "widget/auth/components/hsa2/hsa2",
            "isReact": true,
            "authUserType": "hsa2",
            "hasTrustedDevices": true,
            "twoSV": two_sv,
            "referrerQuery": "",
            "urlContext": "/appleauth",
            "authType": "hsa2",
            "authInitialRoute": route,
            "appleIDUrl": "https://appleid.apple.com"
        },
        "additional": {"canRoute2sv": true}
    })
}

/// The HTML page of `GET /appleauth/auth`: a decoy `pre` script with a different number, the
/// real `boot_args`, and a `post` script.
pub(crate) fn boot_page(acc: &FakeAccount, locked: bool) -> Reply {
    let decoy = json!({"direct": {"twoSV": {"phoneNumberVerification": {"trustedPhoneNumbers": [
        {"numberWithDialCode": "+1 (•••) •••-••00", "pushMode": "sms",
         "obfuscatedNumber": "(•••) •••-••00", "lastTwoDigits": "00", "id": 99}
    ]}}}});
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Apple Account</title>\n\
         <script type=\"application/json\" class=\"pre\">{decoy}</script>\n\
         <script type=\"application/json\" class=\"boot_args\">{}</script>\n\
         <script type=\"application/json\" class=\"post\">{{\"additional\":{{\"canRoute2sv\":true}}}}</script>\n\
         </head>\n<body><div id=\"root\"></div></body>\n</html>\n",
        boot_args(acc, locked)
    );
    Reply::body(200, CT_HTML, html)
}

/// The webservices announced, all pointing back at the fake: name, host label as Apple's
/// (`p61-<label>.icloud.com` in HTTPS mode), `pcsRequired`.
const SERVICES: &[(&str, &str, bool)] = &[
    ("ckdatabasews", "ckdatabasews", true),
    ("photos", "photosws", true),
    ("photosupload", "uploadphotosws", true),
    ("drivews", "drivews", true),
    ("docws", "docws", true),
    ("uploadimagews", "uploadimagews", false),
    ("cksharews", "ckshare", false),
    ("findme", "fmipweb", false),
    ("calendar", "calendarws", false),
    ("contacts", "contactsws", false),
    ("reminders", "remindersws", false),
    ("settings", "settingsws", false),
    ("ubiquity", "ubiquityws", false),
    ("keyvalue", "keyvalueservice", false),
    ("push", "pushws", false),
    ("geows", "geows", false),
];
/// Host label of the `account` webservice (Apple's `p61-setup.icloud.com`).
const ACCOUNT_LABEL: &str = "setup";

/// Returns the host label of every webservice announced (see [`Origins::webservice`]).
pub(crate) fn webservice_labels() -> impl Iterator<Item = &'static str> {
    SERVICES
        .iter()
        .map(|(_, label, _)| *label)
        .chain([ACCOUNT_LABEL])
}

/// Account data of `accountLogin` / `validate` (spec §9), with URLs from `origins`.
pub(crate) fn account_data(acc: &FakeAccount, trusted: bool, origins: &Origins) -> Value {
    let mut ds = json!({
        "dsid": acc.dsid,
        "appleId": acc.apple_id,
        "primaryEmail": acc.apple_id,
        "primaryEmailVerified": true,
        "appleIdAliases": [],
        "appleIdEntries": [{"isPrimary": true, "type": "EMAIL", "value": acc.apple_id}],
        "fullName": "Fake User",
        "firstName": "Fake",
        "lastName": "User",
        "isWebAccessAllowed": acc.photos.web_access,
        "locked": false,
        "statusCode": 2,
        "countryCode": acc.country,
        "languageCode": "en-us",
        "locale": "en-us_US",
        "isManagedAppleID": false,
        "aDsID": format!("000000-10-{}", acc.dsid),
        "notificationId": format!("fake-{}", acc.dsid),
        "iCDPEnabled": acc.adp.is_some(),
        "pcsDeleted": false,
        "hasPaymentInfo": false,
        "familyEligible": true,
        "hsaEnabled": acc.factor != SecondFactor::None,
        "hasICloudQualifyingDevice": acc.factor != SecondFactor::TwoStep
    });
    if let Some(obj) = ds.as_object_mut() {
        match acc.factor {
            SecondFactor::TwoFactor => {
                obj.insert("hsaVersion".to_owned(), json!(2));
            }
            SecondFactor::TwoStep => {
                obj.insert("hsaVersion".to_owned(), json!(1));
            }
            SecondFactor::None => {
                obj.remove("hsaEnabled");
            }
        }
    }
    let mut webservices = serde_json::Map::new();
    for (name, label, pcs) in SERVICES {
        if *name == "ckdatabasews" && !acc.photos.enabled {
            continue;
        }
        let mut entry = json!({"url": origins.webservice(label), "status": "active"});
        if *pcs {
            entry["pcsRequired"] = json!(true);
        }
        if *name == "photos" {
            entry["uploadUrl"] = json!(origins.webservice("uploadphotosws"));
        }
        webservices.insert((*name).to_owned(), entry);
    }
    webservices.insert(
        "account".to_owned(),
        json!({"url": origins.webservice(ACCOUNT_LABEL), "status": "active", "iCloudEnv": {"shortId": "p", "vipSuffix": "prod"}}),
    );
    webservices.insert("schoolwork".to_owned(), json!({}));
    let setup = format!("{}/setup/ws/1", origins.setup());
    let idmsa = origins.idmsa();
    let mut data = json!({
        "dsInfo": ds,
        "hasMinimumDeviceForPhotosWeb": true,
        "iCDPEnabled": acc.adp.is_some(),
        "webservices": webservices,
        "pcsEnabled": true,
        "configBag": {
            "urls": {
                "accountLogin": format!("{setup}/accountLogin"),
                "accountLoginUI": format!("{idmsa}/appleauth/auth/signin?widgetKey="),
                "accountAuthorizeUI": format!("{idmsa}/appleauth/auth/authorize/signin?client_id="),
                "getICloudTerms": format!("{setup}/getTerms"),
                "repairDone": format!("{setup}/repairDone")
            },
            "accountCreateEnabled": true
        },
        "appsOrder": ["mail", "contacts", "calendar", "photos", "iclouddrive", "notes3", "reminders", "find", "settings"],
        "version": 2,
        "isExtendedLogin": true,
        "pcsServiceIdentitiesIncluded": false,
        "requestInfo": {"country": "US", "timeZone": "GMT", "region": "CA"},
        "iCloudInfo": {"SafariBookmarksHasMigratedToCloudKit": true},
        "apps": {
            "calendar": {}, "reminders": {}, "mail": {}, "photos": {}, "notes3": {}, "iclouddrive": {},
            "contacts": {}, "settings": {"canLaunchWithOneFactor": true}, "find": {"canLaunchWithOneFactor": true}
        }
    });
    if acc.factor != SecondFactor::None {
        data["hsaTrustedBrowser"] = json!(trusted);
        data["hsaChallengeRequired"] = json!(!trusted);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(apple: bool) -> Origins {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 1));
        if apple {
            Origins::apple(addr)
        } else {
            Origins::plain(addr)
        }
    }

    #[test]
    fn untrusted_hsa2_requires_2fa() {
        let acc = FakeAccount::new("a@b.c", "p");
        let d = account_data(&acc, false, &origins(false));
        assert_eq!(d["dsInfo"]["hsaVersion"], 2);
        assert_eq!(d["dsInfo"]["hasICloudQualifyingDevice"], true);
        assert_eq!(d["hsaTrustedBrowser"], false);
        assert_eq!(d["hsaChallengeRequired"], true);
        assert_eq!(
            d["webservices"]["ckdatabasews"]["url"],
            "http://127.0.0.1:1"
        );
        assert_eq!(d["webservices"]["schoolwork"], json!({}));
        assert_eq!(
            d["configBag"]["urls"]["accountLogin"],
            "http://127.0.0.1:1/setup/ws/1/accountLogin"
        );
    }

    #[test]
    fn apple_mode_announces_apple_urls() {
        let acc = FakeAccount::new("a@b.c", "p");
        let d = account_data(&acc, true, &origins(true));
        let ws = &d["webservices"];
        assert_eq!(
            ws["ckdatabasews"]["url"],
            "https://p61-ckdatabasews.icloud.com:1"
        );
        assert_eq!(ws["photos"]["url"], "https://p61-photosws.icloud.com:1");
        assert_eq!(
            ws["photos"]["uploadUrl"],
            "https://p61-uploadphotosws.icloud.com:1"
        );
        assert_eq!(ws["account"]["url"], "https://p61-setup.icloud.com:1");
        let urls = &d["configBag"]["urls"];
        assert_eq!(
            urls["accountLogin"],
            "https://setup.icloud.com/setup/ws/1/accountLogin"
        );
        assert_eq!(
            urls["accountLoginUI"],
            "https://idmsa.apple.com/appleauth/auth/signin?widgetKey="
        );
    }

    #[test]
    fn non_2fa_has_no_hsa_keys() {
        let acc = FakeAccount::new("a@b.c", "p").without_two_factor();
        let d = account_data(&acc, true, &origins(false));
        assert!(d["dsInfo"].get("hsaVersion").is_none());
        assert!(d.get("hsaTrustedBrowser").is_none());
        assert!(d.get("hsaChallengeRequired").is_none());
    }

    #[test]
    fn boot_page_has_decoy_first_and_bridge_variant() {
        let acc = FakeAccount::new("a@b.c", "p");
        let page = String::from_utf8(boot_page(&acc, false).body).unwrap_or_default();
        let pre = page.find("class=\"pre\"").unwrap_or(usize::MAX);
        let boot = page
            .find("<script type=\"application/json\" class=\"boot_args\">")
            .unwrap_or(0);
        assert!(pre < boot);
        assert!(page.contains("\"obfuscatedNumber\":\"(•••) •••-••81\""));
        let bridged = acc.phones_in_bridge(true);
        let page = String::from_utf8(boot_page(&bridged, false).body).unwrap_or_default();
        assert!(page.contains("bridgeInitiateData"));
        assert!(page.contains("auth/bridge/step"));
    }

    #[test]
    fn phone_last_two_digits() {
        let p = Phone {
            id: 2,
            obfuscated: "(•••) •••-••42".into(),
        };
        assert_eq!(phone(&p)["lastTwoDigits"], "42");
    }
}
