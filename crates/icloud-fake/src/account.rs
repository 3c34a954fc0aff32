//! `FakeAccount`: the configuration of one Apple ID served by the fake.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::library::FakeLibrary;
use crate::srp::Protocol;

/// Where a shared library's zone is listed: Apple puts an iCloud Shared Photo Library in the
/// owner's and participants' **private** database (observed by icloudpd-rs), while icloudpd's
/// cassettes have it in the **shared** database (for invitees). The fake supports both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedPlacement {
    /// Listed by `/private/zones/list`; Python icloudpd then also fetches its user albums.
    PrivateDb,
    /// Listed by `/shared/zones/list`; Python icloudpd offers only the smart folders.
    SharedDb,
}

/// Photos configuration of an account.
#[derive(Clone, Debug)]
pub(crate) struct PhotosConfig {
    /// PrimarySync contents (`None` = the default generated library).
    pub(crate) library: Option<FakeLibrary>,
    /// Shared library zones.
    pub(crate) shared: Vec<(String, FakeLibrary, SharedPlacement)>,
    /// "Access iCloud data on the web" on (CloudKit answers 403 `ACCESS_DENIED` when off).
    pub(crate) web_access: bool,
    /// iCloud Photos set up (`ckdatabasews` announced, PrimarySync exists).
    pub(crate) enabled: bool,
}

/// Which second factor, if any, the account uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SecondFactor {
    /// No 2FA: `dsInfo` has no `hsaVersion`; `signin/complete` answers 200.
    None,
    /// Legacy two-step authentication (`hsaVersion` 1, setup-side devices).
    TwoStep,
    /// Two-factor authentication (`hsaVersion` 2).
    TwoFactor,
}

/// Which header asks for the escrow password proof (auth.md §16.3): Apple has been seen
/// sending either.
///
/// The header comes with a 409 where a client expects success: on `signin/complete` with a
/// valid trust token, or on an accepted security code. A client that knows the step then
/// proves the password a second time, to `escrow/init` and `escrow/complete`, with SRP for an
/// *empty* account name and `k` = the SRP session key; one that does not ends up with a
/// session token that `accountLogin` treats as untrusted. See [`FakeAccount::escrow`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escrow {
    /// `X-Apple-EDP: true`.
    Edp,
    /// `X-Apple-PDP: true`.
    Pdp,
}

impl Escrow {
    /// The response header that asks for escrow.
    pub(crate) fn header(self) -> &'static str {
        match self {
            Escrow::Edp => "X-Apple-EDP",
            Escrow::Pdp => "X-Apple-PDP",
        }
    }
}

/// How a valid security code is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CodeConflict {
    /// The 409 body says `securityCode.valid: true`.
    pub(crate) valid: bool,
    /// The 409 carries a new `X-Apple-Session-Token`.
    pub(crate) token: bool,
}

/// Advanced Data Protection settings of an account (auth.md §16.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Adp {
    /// "Access iCloud Data on the Web" is on.
    pub(crate) web_access: bool,
    /// `requestPCS` answers "pending" this many times after consent was asked for.
    pub(crate) polls_before_consent: u32,
    /// `requestPCS` answers "pending" this many times when, after consent, the account holds
    /// no live PCS cookie (the device uploads new keys without asking anybody).
    pub(crate) polls_after_consent: u32,
    /// Lifetime of the `X-APPLE-WEBAUTH-PCS-Photos` / `-Sharing` cookies it hands out.
    pub(crate) cookie_lifetime: std::time::Duration,
}

/// A trusted phone number of an HSA2 account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Phone {
    /// Numeric id sent back in `phoneNumber.id`.
    pub(crate) id: u32,
    /// Obfuscated number as Apple shows it, e.g. `(•••) •••-••81`.
    pub(crate) obfuscated: String,
}

/// A legacy 2SA device of a `hsaVersion == 1` account (`listDevices`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TwoStepDevice {
    /// `deviceId` (a string on the wire).
    pub(crate) id: String,
    /// Masked phone number, e.g. `*******03`.
    pub(crate) phone_number: String,
}

/// One Apple ID served by the fake, configured builder-style.
///
/// The defaults model a 2026 HSA2 account: two-factor authentication on (`hsaVersion` 2,
/// `hasICloudQualifyingDevice` true), SRP protocol `s2k` with 20064 PBKDF2 iterations, one trusted
/// phone (id 1, `(•••) •••-••81`), a dsid derived deterministically from the Apple ID, country
/// `USA`, random 6-digit codes delivered only when the client asks for them (`push_required`).
///
/// Each builder method changes one behaviour, named after what Apple does: how the password
/// step goes ([`FakeAccount::locked`], [`FakeAccount::fido`], [`FakeAccount::needs_repair`],
/// [`FakeAccount::wrong_region`]), which second factor is asked for and how its answers look
/// ([`FakeAccount::without_two_factor`], [`FakeAccount::two_step`],
/// [`FakeAccount::fixed_code`], [`FakeAccount::trusted_phones`], the 2026 variants such as
/// [`FakeAccount::code_409`] and [`FakeAccount::escrow`]), what the web session allows
/// ([`FakeAccount::adp`], [`FakeAccount::web_access_disabled`],
/// [`FakeAccount::needs_web_repair`]) and which photos it holds ([`FakeAccount::library`],
/// [`FakeAccount::shared_library`]). Apple IDs are matched case-insensitively, as Apple does.
///
/// ```
/// use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};
///
/// // A two-factor account whose devices always show 123456 and whose library holds 50
/// // generated photos and videos.
/// let jane = FakeAccount::new("jane@example.com", "correct horse")
///     .fixed_code("123456")
///     .library(FakeLibrary::generated(50, 7));
/// // An older account without a second factor, and one that Apple has locked.
/// let old = FakeAccount::new("old@me.com", "password1").without_two_factor();
/// let locked = FakeAccount::new("locked@me.com", "password2").locked();
/// assert_eq!(jane.apple_id(), "jane@example.com");
/// assert!(!jane.dsid_value().is_empty());
///
/// let fake = FakeICloud::builder().account(jane).account(old).account(locked).start()?;
/// assert_eq!(fake.library_names("jane@example.com"), ["PrimarySync"]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct FakeAccount {
    pub(crate) apple_id: String,
    pub(crate) password: String,
    pub(crate) protocol: Protocol,
    pub(crate) iterations: u32,
    pub(crate) factor: SecondFactor,
    pub(crate) phones: Vec<Phone>,
    pub(crate) devices: Vec<TwoStepDevice>,
    pub(crate) fixed_code: Option<String>,
    pub(crate) push_required: bool,
    pub(crate) phones_in_bridge: bool,
    pub(crate) code_409: Option<CodeConflict>,
    pub(crate) boot_409: bool,
    pub(crate) sms_409: bool,
    pub(crate) escrow: Option<Escrow>,
    pub(crate) web_repair: bool,
    pub(crate) adp: Option<Adp>,
    pub(crate) trust_lifetime: std::time::Duration,
    pub(crate) locked: bool,
    pub(crate) fido_keys: Vec<String>,
    pub(crate) needs_repair: bool,
    pub(crate) wrong_region: Option<String>,
    pub(crate) dsid: String,
    pub(crate) country: String,
    pub(crate) photos: PhotosConfig,
}

impl fmt::Debug for FakeAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeAccount")
            .field("apple_id", &self.apple_id)
            .field("factor", &self.factor)
            .field("dsid", &self.dsid)
            .finish_non_exhaustive()
    }
}

impl FakeAccount {
    /// Returns an HSA2 account with the defaults described on the type.
    pub fn new(apple_id: &str, password: &str) -> Self {
        let digest = Sha256::digest(apple_id.to_lowercase().as_bytes());
        let mut n = 0u64;
        for b in &digest[..8] {
            n = (n << 8) | u64::from(*b);
        }
        let dsid = (10_000_000_000 + n % 90_000_000_000).to_string();
        FakeAccount {
            apple_id: apple_id.to_owned(),
            password: password.to_owned(),
            protocol: Protocol::S2k,
            iterations: 20064,
            factor: SecondFactor::TwoFactor,
            phones: vec![Phone {
                id: 1,
                obfuscated: "(•••) •••-••81".to_owned(),
            }],
            devices: vec![TwoStepDevice {
                id: "1".to_owned(),
                phone_number: "*******03".to_owned(),
            }],
            fixed_code: None,
            push_required: true,
            phones_in_bridge: false,
            code_409: None,
            boot_409: false,
            sms_409: false,
            escrow: None,
            web_repair: false,
            adp: None,
            trust_lifetime: std::time::Duration::from_secs(60 * 24 * 3600),
            locked: false,
            fido_keys: Vec::new(),
            needs_repair: false,
            wrong_region: None,
            dsid,
            country: "USA".to_owned(),
            photos: PhotosConfig {
                library: None,
                shared: Vec::new(),
                web_access: true,
                enabled: true,
            },
        }
    }

    /// Announces SRP protocol `s2k_fo` instead of the default `s2k`.
    #[must_use]
    pub fn protocol_s2k_fo(mut self) -> Self {
        self.protocol = Protocol::S2kFo;
        self
    }

    /// Sets the PBKDF2 iteration count announced by `signin/init` (default 20064).
    #[must_use]
    pub fn iterations(mut self, iterations: u32) -> Self {
        self.iterations = iterations.max(1);
        self
    }

    /// Turns two-factor authentication off (the `auth_non_2fa` shape: no `hsaVersion`,
    /// `signin/complete` answers 200 and the first `accountLogin` is already trusted).
    #[must_use]
    pub fn without_two_factor(mut self) -> Self {
        self.factor = SecondFactor::None;
        self
    }

    /// Makes this a legacy two-step (2SA, `hsaVersion` 1) account with one SMS device
    /// (`deviceId` `"1"`, `*******03`), as in the 2SA cassettes.
    #[must_use]
    pub fn two_step(mut self) -> Self {
        self.factor = SecondFactor::TwoStep;
        self
    }

    /// Replaces the trusted phone numbers (default: id 1, `(•••) •••-••81`); empty is allowed.
    #[must_use]
    pub fn trusted_phones(mut self, phones: &[(u32, &str)]) -> Self {
        self.phones = phones
            .iter()
            .map(|(id, n)| Phone {
                id: *id,
                obfuscated: (*n).to_owned(),
            })
            .collect();
        self
    }

    /// Makes every delivered code equal to `code` (default: random 6 digits).
    #[must_use]
    pub fn fixed_code(mut self, code: &str) -> Self {
        self.fixed_code = Some(code.to_owned());
        self
    }

    /// Chooses when trusted-device codes are delivered (default `true`, the 2026 behaviour: only
    /// on `PUT verify/trusteddevice/securitycode` or `PUT verify/phone`). `false` also pushes a
    /// code automatically when `signin/complete` answers 409 (pre-2026 Apple).
    ///
    /// With the default, a client written for the old behaviour, which prompts for a code
    /// without asking for one, never gets one: the failure icloudpd 1.32 met with iOS 26.4
    /// (auth.md §7.3, §16 item 1). Each request delivers a new code that replaces the pending
    /// one, so a client that asks again after the person read the first code submits a stale
    /// code and gets the wrong-code answer, as with Apple (unless
    /// [`FakeAccount::fixed_code`] makes every code the same).
    #[must_use]
    pub fn push_required(mut self, yes: bool) -> Self {
        self.push_required = yes;
        self
    }

    /// Moves the trusted numbers in the boot args to the 2026 location
    /// `direct.twoSV.bridgeInitiateData.phoneNumberVerification` (default `false`).
    ///
    /// The page then also says `authInitialRoute: auth/bridge/step` and offers
    /// `web_piggybacking` instead of `generatedcode`, as Apple's does for accounts on the
    /// trusted-device bridge (auth.md §7.2, §16 item 2). A client that reads only the old
    /// location finds no phone and cannot offer SMS.
    #[must_use]
    pub fn phones_in_bridge(mut self, yes: bool) -> Self {
        self.phones_in_bridge = yes;
        self
    }

    /// Answers a valid code with 409, `securityCode.valid: true` and a new
    /// `X-Apple-Session-Token` (2026) instead of 204/200 (default `false`).
    ///
    /// Applies to both code checks, on trusted devices and by SMS. A correct client treats a
    /// 409 as success when `securityCode.valid` is true **or** a new session token came with it
    /// (auth.md §7.4, §16 item 10); [`FakeAccount::code_409_valid_only`] and
    /// [`FakeAccount::code_409_token_only`] send only one of the two signs, to check that a
    /// client accepts either alone. A wrong code still answers 400 `-21669`.
    #[must_use]
    pub fn code_409(mut self, yes: bool) -> Self {
        self.code_409 = yes.then_some(CodeConflict {
            valid: true,
            token: true,
        });
        self
    }

    /// Answers a valid code with 409 and `securityCode.valid: true` but no new session token
    /// (as rclone/rclone#9730 shows).
    #[must_use]
    pub fn code_409_valid_only(mut self) -> Self {
        self.code_409 = Some(CodeConflict {
            valid: true,
            token: false,
        });
        self
    }

    /// Answers a valid code with 409 and a new session token but no `securityCode.valid`.
    #[must_use]
    pub fn code_409_token_only(mut self) -> Self {
        self.code_409 = Some(CodeConflict {
            valid: false,
            token: true,
        });
        self
    }

    /// Serves the 2FA page (`GET /appleauth/auth`, boot args) with status 409, same body
    /// (openhab/openhab-addons#21176; default `false`).
    #[must_use]
    pub fn boot_page_409(mut self) -> Self {
        self.boot_409 = true;
        self
    }

    /// Answers `PUT verify/phone` with 409 although the SMS code was sent (default `false`).
    #[must_use]
    pub fn sms_409(mut self) -> Self {
        self.sms_409 = true;
        self
    }

    /// Requires the escrow password proof (auth.md §16.3): a sign-in with a valid trust token
    /// answers 409 with `kind`'s header instead of 200, and a valid code comes with that header;
    /// `escrow/init` + `escrow/complete` (SRP with an empty account name) must follow before the
    /// session is trusted (default: off).
    ///
    /// The two places it is owed lead on differently, as the reports describe:
    ///
    /// - at a sign-in with a trust token, a correct `escrow/complete` answers 200 with a new,
    ///   trusted session token, and `accountLogin` with it follows directly;
    /// - after a code, the proof comes before `2sv/trust` (which refuses the session until it
    ///   is given); then `2sv/trust` issues the trust token as usual.
    ///
    /// `escrow/init` wants `{"a", "accountName": "", "protocols"}` and answers like
    /// `signin/init`; `escrow/complete` wants `{"m1", "m2", "c", "k"}` with `k` the base64 SRP
    /// session key, and answers a wrong proof like a wrong password. Until then every session
    /// token the session issued is untrusted at `accountLogin`, trust token or not. Accounts
    /// without two-factor authentication, or that need a repair, are never asked.
    #[must_use]
    pub fn escrow(mut self, kind: Escrow) -> Self {
        self.escrow = Some(kind);
        self
    }

    /// Makes a trusted `accountLogin` set `X-APPLE-WEBAUTH-REPAIR` instead of
    /// `X-APPLE-WEBAUTH-TOKEN` (an action is pending on icloud.com: terms, repair); every call
    /// that needs the web session then fails (default `false`).
    ///
    /// The sign-in itself succeeds and the account data looks trusted, so only a client that
    /// checks which cookie came back can tell the person what to do; the others fail later,
    /// for example at `requestPCS` with 500 "Missing X-APPLE-WEBAUTH-TOKEN cookie" or at
    /// CloudKit with 421 (auth.md §16 item 10). The only remedy is a sign-in at icloud.com,
    /// which the fake does not model: the state lasts as long as the server.
    #[must_use]
    pub fn needs_web_repair(mut self) -> Self {
        self.web_repair = true;
        self
    }

    /// Turns Advanced Data Protection on (`iCDPEnabled`), with "Access iCloud Data on the Web"
    /// on or off. With web access on, `accountLogin` sets no PCS cookies and CloudKit answers
    /// 423 until the PCS consent flow (`requestWebAccessState`, `enableDeviceConsentForPCS`,
    /// `requestPCS`) handed out `X-APPLE-WEBAUTH-PCS-Photos` and `-Sharing`; with it off,
    /// CloudKit answers 403 `ACCESS_DENIED` (default: ADP off).
    ///
    /// The flow as a client meets it (auth.md §16 items 5 and 10): `requestWebAccessState`
    /// reports `isICDRSDisabled: true`; `enableDeviceConsentForPCS` puts a prompt on the
    /// person's devices; `requestPCS` answers "pending" [`FakeAccount::pcs_polls_before_consent`]
    /// times and then sets the two cookies; asked before any consent prompt, it answers 500
    /// "Issue requesting IDMS for arming.". Consent is remembered for the server's lifetime:
    /// after a new sign-in, `requestPCS` hands out cookies at once (or after
    /// [`FakeAccount::pcs_polls_after_consent`] polls) without a new prompt. PCS cookies
    /// expire after [`FakeAccount::pcs_cookie_lifetime`], and CloudKit answers 423 again, which
    /// a long-running client must handle by asking for new ones.
    #[must_use]
    pub fn adp(mut self, web_access: bool) -> Self {
        self.adp = Some(Adp {
            web_access,
            polls_before_consent: 1,
            polls_after_consent: 0,
            cookie_lifetime: std::time::Duration::from_secs(30 * 24 * 3600),
        });
        if !web_access {
            self.photos.web_access = false;
        }
        self
    }

    /// Sets how many times `requestPCS` answers "pending" before the person approves on a
    /// device (default 1). Only with [`FakeAccount::adp`].
    #[must_use]
    pub fn pcs_polls_before_consent(mut self, n: u32) -> Self {
        if let Some(adp) = &mut self.adp {
            adp.polls_before_consent = n;
        }
        self
    }

    /// Sets how many times `requestPCS` answers "pending" when new keys are asked for after
    /// the device consented (default 0: at once). Only with [`FakeAccount::adp`].
    #[must_use]
    pub fn pcs_polls_after_consent(mut self, n: u32) -> Self {
        if let Some(adp) = &mut self.adp {
            adp.polls_after_consent = n;
        }
        self
    }

    /// Sets the lifetime of the PCS cookies `requestPCS` hands out (default 30 days); a short
    /// one makes CloudKit refuse them (423) in the middle of a long run. Only with
    /// [`FakeAccount::adp`].
    #[must_use]
    pub fn pcs_cookie_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        if let Some(adp) = &mut self.adp {
            adp.cookie_lifetime = lifetime;
        }
        self
    }

    /// Sets how long Apple trusts a browser after a second factor (default 60 days): the
    /// lifetime of trust tokens and the expiry of the `X-APPLE-WEBAUTH-HSA-TRUST…` cookie.
    #[must_use]
    pub fn trust_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.trust_lifetime = lifetime;
        self
    }

    /// Locks the account: `signin/complete` answers 403 with service error `-20209`.
    ///
    /// The answer comes whatever the password (the proof is not checked) and carries
    /// `X-Apple-I-Rscd: 403`; a client should say the account is locked rather than that the
    /// password is wrong (auth.md §5.4).
    #[must_use]
    pub fn locked(mut self) -> Self {
        self.locked = true;
        self
    }

    /// Registers FIDO security keys: the 409 of `signin/complete` carries `fsaChallenge` and
    /// `keyNames`.
    ///
    /// The fake does not implement the WebAuthn step (`verify/security/key`), and neither do
    /// the clients it is tested against: the point is that a client detects the keys on the
    /// 409 and reports that it cannot sign in, instead of waiting for a code that never comes
    /// (auth.md §5.4, §16 item 8).
    #[must_use]
    pub fn fido(mut self, key_names: &[&str]) -> Self {
        self.fido_keys = key_names.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Makes `signin/complete` answer 412 `{"authType":"sa"}`; the client must then call
    /// `repair/complete` before `accountLogin` accepts the session token.
    ///
    /// `repair/complete` (auth.md §5.5) needs the session id and `scnt` of the 412 and answers
    /// 200 with a new session token, as trusted as the sign-in would have been without the
    /// repair; the token of the 412 stays refused (421 "Invalid global session").
    #[must_use]
    pub fn needs_repair(mut self) -> Self {
        self.needs_repair = true;
        self
    }

    /// Makes `accountLogin` answer 302 `{"domainToUse": domain}` (e.g. `iCloud.com.cn`).
    #[must_use]
    pub fn wrong_region(mut self, domain: &str) -> Self {
        self.wrong_region = Some(domain.to_owned());
        self
    }

    /// Overrides the dsid (default: derived from the Apple ID).
    #[must_use]
    pub fn dsid(mut self, dsid: &str) -> Self {
        self.dsid = dsid.to_owned();
        self
    }

    /// Sets the PrimarySync library (default: `FakeLibrary::generated(8, 1)`).
    #[must_use]
    pub fn library(mut self, library: FakeLibrary) -> Self {
        self.photos.library = Some(library);
        self
    }

    /// Adds a shared library zone called `zone_name` (e.g.
    /// `SharedSync-00000000-1111-2222-3333-444444444444`) in the database `placement` names
    /// (default: none).
    #[must_use]
    pub fn shared_library(
        mut self,
        zone_name: &str,
        library: FakeLibrary,
        placement: SharedPlacement,
    ) -> Self {
        self.photos
            .shared
            .push((zone_name.to_owned(), library, placement));
        self
    }

    /// Turns "Access iCloud data on the web" off (or Advanced Data Protection on): every
    /// CloudKit request answers 403 `ACCESS_DENIED` (default: on).
    #[must_use]
    pub fn web_access_disabled(mut self) -> Self {
        self.photos.web_access = false;
        self
    }

    /// Makes iCloud Photos not set up: `webservices` lacks `ckdatabasews` (icloudpd: "Webservice
    /// not available"), and CloudKit knows no PrimarySync zone (404 `ZONE_NOT_FOUND`).
    #[must_use]
    pub fn without_photos(mut self) -> Self {
        self.photos.enabled = false;
        self
    }

    /// Returns the Apple ID as configured.
    pub fn apple_id(&self) -> &str {
        &self.apple_id
    }

    /// Returns the account's dsid.
    pub fn dsid_value(&self) -> &str {
        &self.dsid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsid_is_deterministic_and_eleven_digits() {
        let a = FakeAccount::new("JDoe@gmail.com", "x");
        let b = FakeAccount::new("jdoe@gmail.com", "y");
        assert_eq!(a.dsid, b.dsid);
        assert_eq!(a.dsid.len(), 11);
        assert_ne!(a.dsid, FakeAccount::new("other@gmail.com", "x").dsid);
    }

    #[test]
    fn debug_hides_password() {
        let a = FakeAccount::new("jdoe@gmail.com", "hunter2");
        assert!(!format!("{a:?}").contains("hunter2"));
    }
}
