//! The fake's memory: accounts, sign-in attempts, idmsa sessions, tokens and web sessions.
//!
//! One [`State`] holds everything a server remembers, behind a single mutex in the server;
//! handlers take `&mut State` and run to completion, so no request ever sees another half
//! done. Download bodies are generated after the lock is released (see [`crate::http`]).
//!
//! The sign-in leaves a chain of credentials, each bought with the one before, as in the
//! model of auth.md §17:
//!
//! 1. `signin/init` stores an [`Attempt`] under its context `c` (15 minutes);
//! 2. a right password at `signin/complete` opens an [`AuthSession`] (the
//!    `X-Apple-ID-Session-Id`, with its `scnt`s, stage, pending code, wrong-code count and any
//!    repair or escrow step still owed) and issues a [`SessionToken`] whose [`Level`] decides
//!    what `accountLogin` gives;
//! 3. a verified code and `2sv/trust` issue a trust token (60 days unless
//!    [`FakeAccount::trust_lifetime`] says otherwise), which lets a later sign-in skip the
//!    second factor;
//! 4. a trusted `accountLogin` opens a web session, the `X-APPLE-WEBAUTH-TOKEN` every CloudKit
//!    call must carry; it lasts [`WEB_SESSION_TTL`] from its last use.
//!
//! Invariants:
//!
//! - accounts are keyed by the lower-cased Apple ID, and every session, token and zone names
//!   its account by that key, so `JDoe@gmail.com` and `jdoe@gmail.com` are one person;
//! - credentials are checked, never trusted for their shape: a value the state did not issue
//!   (or issued to another account) is as good as none, and expiry is checked when a
//!   credential is used (there is no sweeper), so a credential is either usable or refused;
//! - expiring web sessions also drops every session token and untrusted web login (as Apple
//!   does when it ends a session), while trust tokens survive, so the client's next sign-in
//!   needs the password but no code;
//! - zones are indexed by position, which never changes while the server runs: download URLs
//!   and sync tokens carry that index.
//!
//! Codes are 6 digits, the account's fixed code if it has one; each delivery gets a global
//! sequence number, so [`State::current_code`] (behind `GET /__fake/code`) returns the one
//! delivered last.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use num_bigint::BigUint;
use rand::Rng;
use sha2::Digest as _;

use crate::account::{FakeAccount, SharedPlacement};
use crate::cdn::{UrlSigner, now_secs};
use crate::library::FakeLibrary;
use crate::origins::Origins;
use crate::srp::{self, Group, ServerEphemeral};
use crate::zone::{Db, Zone};

/// Default lifetime of download URLs (Apple's `e=` is one hour ahead).
pub(crate) const DOWNLOAD_URL_TTL: Duration = Duration::from_secs(3600);

/// Lifetime of `X-Apple-Session-Token` values.
pub(crate) const SESSION_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Lifetime of trust tokens (`X-Apple-TwoSV-Trust-Token`).
pub(crate) const TRUST_TOKEN_TTL: Duration = Duration::from_secs(60 * 24 * 3600);
/// Lifetime of a web session (`X-APPLE-WEBAUTH-TOKEN`), sliding on `validate`.
pub(crate) const WEB_SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a `c` from `signin/init` stays usable.
const ATTEMPT_TTL: Duration = Duration::from_secs(15 * 60);
/// Wrong codes accepted before the session's codes are locked.
pub(crate) const MAX_WRONG_CODES: u32 = 5;

/// A code that was "delivered" to a device or phone.
#[derive(Clone, Debug)]
pub(crate) struct Delivered {
    /// The code (6 digits, leading zeros kept).
    pub(crate) code: String,
    /// Global delivery order, to find the most recent one.
    pub(crate) seq: u64,
}

/// Per-account runtime state.
#[derive(Debug)]
pub(crate) struct AccountState {
    /// Configuration.
    pub(crate) cfg: FakeAccount,
    /// SRP salt (first byte never zero).
    pub(crate) salt: Vec<u8>,
    /// SRP verifier.
    pub(crate) v: BigUint,
    /// Pending legacy 2SA code.
    pub(crate) two_step_code: Option<Delivered>,
    /// Session token of the latest untrusted `accountLogin` (2SA fallback without cookies).
    pub(crate) last_untrusted_token: Option<String>,
    /// When the latest trust token expires (wall clock, for the `HSA-TRUST` cookie).
    pub(crate) trust_expires: Option<std::time::SystemTime>,
    /// PCS consent of an ADP account.
    pub(crate) pcs: PcsState,
}

/// One `signin/init` awaiting its `signin/complete`.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// Lower-cased account key, `None` for unknown Apple IDs.
    pub(crate) account: Option<String>,
    /// Account name as sent to init.
    pub(crate) name: String,
    /// Salt issued.
    pub(crate) salt: Vec<u8>,
    /// Client `A`.
    pub(crate) a_pub: BigUint,
    /// Server ephemeral.
    pub(crate) server: ServerEphemeral,
    /// `scnt` issued by init (carried into the session).
    pub(crate) scnt: String,
    /// Creation time.
    pub(crate) created: Instant,
}

/// Progress of an idmsa session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Password proven; a second factor may be pending.
    PasswordOk,
    /// A security code was verified; `2sv/trust` is allowed.
    CodeVerified,
}

/// An idmsa session (`X-Apple-ID-Session-Id`).
#[derive(Debug)]
pub(crate) struct AuthSession {
    /// Lower-cased account key.
    pub(crate) account: String,
    /// Every `scnt` issued in this session (ipd replays older ones; see spec Q1/Q2).
    pub(crate) scnts: HashSet<String>,
    /// Stage.
    pub(crate) stage: Stage,
    /// Pending 2FA code.
    pub(crate) code: Option<Delivered>,
    /// Wrong codes submitted.
    pub(crate) wrong_codes: u32,
    /// Trust level the session reaches once `repair/complete` succeeds.
    pub(crate) repair: Option<Level>,
    /// The escrow proof still owed before the session is trusted, if any.
    pub(crate) escrow: Option<EscrowDue>,
}

/// An escrow password proof the session owes (auth.md §16.3). Owed after a valid code, it
/// must come before `2sv/trust`; owed at a sign-in with a trust token, `escrow/complete`
/// trusts the session and `accountLogin` follows directly (as icloud-photos-sync and rclone's
/// tests show; `2sv/trust` then needs a code, as without escrow).
#[derive(Debug, Default)]
pub(crate) struct EscrowDue {
    /// The pending `escrow/init`: its `c` and SRP values.
    pub(crate) attempt: Option<(String, Attempt)>,
}

/// What an `X-Apple-Session-Token` allows at `accountLogin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// Password only: `accountLogin` answers the untrusted body.
    Untrusted,
    /// Second factor done or trust token accepted: trusted body and web session.
    Trusted,
    /// Waiting for `repair/complete`: `accountLogin` refuses it.
    NeedsRepair,
    /// Issued while the session owes the escrow proof: `accountLogin` answers the untrusted
    /// body even with a valid trust token.
    EscrowPending,
}

/// An issued `X-Apple-Session-Token`.
#[derive(Debug)]
pub(crate) struct SessionToken {
    /// Lower-cased account key.
    pub(crate) account: String,
    /// Trust level.
    pub(crate) level: Level,
    /// Expiry.
    pub(crate) expires: Instant,
}

/// An issued trust token or web session.
#[derive(Debug)]
pub(crate) struct Expiring {
    /// Lower-cased account key.
    pub(crate) account: String,
    /// Expiry.
    pub(crate) expires: Instant,
}

/// Where an ADP account's PCS consent stands (auth.md §16.5).
#[derive(Debug, Default)]
pub(crate) struct PcsState {
    /// `enableDeviceConsentForPCS` was called: a prompt is on the person's devices.
    pub(crate) consent_requested: bool,
    /// The person approved: `requestPCS` hands out cookies.
    pub(crate) consented: bool,
    /// `requestPCS` answers since consent was requested.
    pub(crate) polls: u32,
    /// `requestPCS` answers since a renewal (after consent) began.
    pub(crate) renewal_polls: u32,
}

/// An untrusted web login waiting for a 2SA code (`X-APPLE-WEBAUTH-HSA-LOGIN` cookie).
#[derive(Debug)]
pub(crate) struct PendingWeb {
    /// Lower-cased account key.
    pub(crate) account: String,
    /// The `dsWebAuthToken` used by that `accountLogin`.
    pub(crate) session_token: String,
}

/// All mutable state of one fake server.
#[derive(Debug)]
pub(crate) struct State {
    /// SRP group.
    pub(crate) group: Group,
    /// Where the services live, as the request being answered sees them: the router sets
    /// them per request ([`Origins::at`] its host), so URLs and cookie domains follow its region.
    pub(crate) origins: Origins,
    /// Accounts by lower-cased Apple ID.
    pub(crate) accounts: HashMap<String, AccountState>,
    /// Sign-in attempts by `c`.
    pub(crate) attempts: HashMap<String, Attempt>,
    /// idmsa sessions by id.
    pub(crate) sessions: HashMap<String, AuthSession>,
    /// Session tokens.
    pub(crate) session_tokens: HashMap<String, SessionToken>,
    /// Trust tokens.
    pub(crate) trust_tokens: HashMap<String, Expiring>,
    /// Web sessions by the raw `X-APPLE-WEBAUTH-TOKEN` cookie value (quotes included).
    pub(crate) web_sessions: HashMap<String, Expiring>,
    /// Untrusted web logins by the raw `X-APPLE-WEBAUTH-HSA-LOGIN` cookie value.
    pub(crate) pending_web: HashMap<String, PendingWeb>,
    /// PCS cookies handed out by `requestPCS`, by raw value.
    pub(crate) pcs_cookies: HashMap<String, Expiring>,
    /// Served photo library zones of every account.
    pub(crate) zones: Vec<Zone>,
    /// Database change counters by (account key, database).
    pub(crate) db_counters: HashMap<(String, Db), u64>,
    /// Secret signing download URLs.
    pub(crate) cdn_secret: [u8; 16],
    /// Download URL generation; bumping it revokes every URL handed out.
    pub(crate) url_generation: u32,
    /// Lifetime of download URLs.
    pub(crate) url_lifetime: Duration,
    /// CloudKit requests answered since web sessions last expired
    /// ([`crate::Fault::ExpireSessionEvery`]).
    pub(crate) session_uses: usize,
    /// Delivery counter.
    seq: u64,
}

/// Returns the `ownerRecordName` for `seed` (`_` + 32 hex digits).
pub(crate) fn owner_record_name(seed: &str) -> String {
    let digest = sha2::Sha256::digest(seed.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("_{hex}")
}

/// Builds the zones an account serves, moving its libraries out of the configuration.
fn account_zones(key: &str, cfg: &mut FakeAccount) -> Vec<Zone> {
    let owner = owner_record_name(key);
    let mut zones = Vec::new();
    let primary = cfg.photos.library.take();
    if cfg.photos.enabled {
        let lib = primary.unwrap_or_else(|| FakeLibrary::generated(8, 1));
        zones.push(Zone::new(
            "PrimarySync",
            Db::Private,
            owner.clone(),
            key,
            lib,
        ));
    }
    for (name, lib, placement) in std::mem::take(&mut cfg.photos.shared) {
        let (db, owner) = match placement {
            SharedPlacement::PrivateDb => (Db::Private, owner.clone()),
            SharedPlacement::SharedDb => (Db::Shared, owner_record_name(&name)),
        };
        zones.push(Zone::new(&name, db, owner, key, lib));
    }
    zones
}

impl State {
    /// Builds the state, deriving each account's verifier (PBKDF2 runs here, once).
    pub(crate) fn new(accounts: Vec<FakeAccount>, origins: Origins) -> Self {
        let group = Group::rfc5054_2048();
        let mut zones = Vec::new();
        let mut db_counters = HashMap::new();
        let accounts = accounts
            .into_iter()
            .map(|mut cfg| {
                let key = cfg.apple_id.to_lowercase();
                for mut zone in account_zones(&key, &mut cfg) {
                    let counter: &mut u64 = db_counters.entry((key.clone(), zone.db)).or_default();
                    *counter += 1;
                    zone.db_seq = *counter;
                    zones.push(zone);
                }
                let salt = srp::random_salt();
                let key = srp::password_key(&cfg.password, &salt, cfg.iterations, cfg.protocol);
                let v = srp::verifier(&group, &salt, &key);
                let state = AccountState {
                    cfg,
                    salt,
                    v,
                    two_step_code: None,
                    last_untrusted_token: None,
                    trust_expires: None,
                    pcs: PcsState::default(),
                };
                (state.cfg.apple_id.to_lowercase(), state)
            })
            .collect();
        State {
            group,
            origins,
            accounts,
            attempts: HashMap::new(),
            sessions: HashMap::new(),
            session_tokens: HashMap::new(),
            trust_tokens: HashMap::new(),
            web_sessions: HashMap::new(),
            pending_web: HashMap::new(),
            pcs_cookies: HashMap::new(),
            zones,
            db_counters,
            cdn_secret: srp::random_bytes(16).try_into().unwrap_or_default(),
            url_generation: 0,
            url_lifetime: DOWNLOAD_URL_TTL,
            session_uses: 0,
            seq: 0,
        }
    }

    /// Returns a signer for download URLs rendered now.
    pub(crate) fn signer(&self) -> UrlSigner {
        UrlSigner {
            base: self.origins.cdn(),
            secret: self.cdn_secret,
            expires: now_secs() + self.url_lifetime.as_secs(),
            generation: self.url_generation,
        }
    }

    /// Returns the index of zone `name` of `account` in `db`.
    pub(crate) fn zone_index(&self, account: &str, db: Db, name: &str) -> Option<usize> {
        self.zones
            .iter()
            .position(|z| z.account == account && z.db == db && z.name == name)
    }

    /// Returns the index of zone `name` of `apple_id` in any database.
    pub(crate) fn find_zone(&self, apple_id: &str, name: &str) -> Option<usize> {
        let key = apple_id.to_lowercase();
        self.zones
            .iter()
            .position(|z| z.account == key && z.name == name)
    }

    /// Records a change of asset `asset` in zone `zone` (zone and database counters).
    pub(crate) fn touch_asset(&mut self, zone: usize, asset: usize) {
        let z = &mut self.zones[zone];
        z.touch_asset(asset);
        let counter = self
            .db_counters
            .entry((z.account.clone(), z.db))
            .or_default();
        *counter += 1;
        z.db_seq = *counter;
    }

    /// Returns the account for `key` (lower-cased Apple ID).
    pub(crate) fn account(&self, key: &str) -> Option<&AccountState> {
        self.accounts.get(key)
    }

    /// Returns the account whose dsid is `dsid`.
    pub(crate) fn account_by_dsid(&self, dsid: &str) -> Option<String> {
        self.accounts
            .iter()
            .find(|(_, a)| a.cfg.dsid == dsid)
            .map(|(k, _)| k.clone())
    }

    /// Produces a new code for `key`'s account (fixed or random) with a fresh sequence number.
    pub(crate) fn new_code(&mut self, key: &str) -> Delivered {
        self.seq += 1;
        let fixed = self
            .accounts
            .get(key)
            .and_then(|a| a.cfg.fixed_code.clone());
        let code = fixed
            .unwrap_or_else(|| format!("{:06}", rand::thread_rng().gen_range(0..1_000_000u32)));
        Delivered {
            code,
            seq: self.seq,
        }
    }

    /// Returns the most recently delivered, still pending code of an account.
    pub(crate) fn current_code(&self, apple_id: &str) -> Option<String> {
        let key = apple_id.to_lowercase();
        let account = self.accounts.get(&key)?;
        self.sessions
            .values()
            .filter(|s| s.account == key)
            .filter_map(|s| s.code.as_ref())
            .chain(account.two_step_code.as_ref())
            .max_by_key(|d| d.seq)
            .map(|d| d.code.clone())
    }

    /// Drops sign-in attempts older than their lifetime.
    pub(crate) fn prune_attempts(&mut self) {
        let now = Instant::now();
        self.attempts
            .retain(|_, a| now.duration_since(a.created) < ATTEMPT_TTL);
    }

    /// Issues a session token for `account` at `level`.
    pub(crate) fn issue_session_token(&mut self, account: &str, level: Level) -> String {
        let token = token(96);
        let expires = Instant::now() + SESSION_TOKEN_TTL;
        self.session_tokens.insert(
            token.clone(),
            SessionToken {
                account: account.to_owned(),
                level,
                expires,
            },
        );
        token
    }

    /// Returns a live session token.
    pub(crate) fn session_token(&self, token: &str) -> Option<&SessionToken> {
        self.session_tokens
            .get(token)
            .filter(|t| t.expires > Instant::now())
    }

    /// Issues a trust token for `account`, valid for the account's trust lifetime.
    pub(crate) fn issue_trust_token(&mut self, account: &str) -> String {
        let value = format!("HSARMTKNSRVXWFla{}", token(120));
        let lifetime = self
            .accounts
            .get(account)
            .map_or(TRUST_TOKEN_TTL, |a| a.cfg.trust_lifetime);
        let expires = Instant::now() + lifetime;
        if let Some(a) = self.accounts.get_mut(account) {
            a.trust_expires = Some(std::time::SystemTime::now() + lifetime);
        }
        self.trust_tokens.insert(
            value.clone(),
            Expiring {
                account: account.to_owned(),
                expires,
            },
        );
        value
    }

    /// Returns whether `value` is a live trust token of `account`.
    pub(crate) fn trust_token_valid(&self, account: &str, value: &str) -> bool {
        self.trust_tokens
            .get(value)
            .is_some_and(|t| t.account == account && t.expires > Instant::now())
    }

    /// Registers a web session and returns its cookie value (with Apple's literal quotes).
    pub(crate) fn issue_web_session(&mut self, account: &str) -> String {
        let value = format!("\"v=2:t=AQ==BST_IAAAAAAABLwIAAAAA{}~~\"", token(48));
        let expires = Instant::now() + WEB_SESSION_TTL;
        self.web_sessions.insert(
            value.clone(),
            Expiring {
                account: account.to_owned(),
                expires,
            },
        );
        value
    }

    /// Looks up a live web session and slides its expiry; returns the account key.
    pub(crate) fn touch_web_session(&mut self, value: &str) -> Option<String> {
        let now = Instant::now();
        let session = self
            .web_sessions
            .get_mut(value)
            .filter(|s| s.expires > now)?;
        session.expires = now + WEB_SESSION_TTL;
        Some(session.account.clone())
    }

    /// Invalidates every web session and session token.
    pub(crate) fn expire_web_sessions(&mut self) {
        self.web_sessions.clear();
        self.session_tokens.clear();
        self.pending_web.clear();
    }

    /// Issues a PCS cookie value for `account`, valid for `lifetime`.
    pub(crate) fn issue_pcs_cookie(
        &mut self,
        account: &str,
        app: &str,
        lifetime: Duration,
    ) -> String {
        let value = format!("\"pcs{app}{}\"", token(32));
        self.pcs_cookies.insert(
            value.clone(),
            Expiring {
                account: account.to_owned(),
                expires: Instant::now() + lifetime,
            },
        );
        value
    }

    /// Returns whether `value` is a live PCS cookie of `account`.
    pub(crate) fn pcs_cookie_valid(&self, account: &str, value: &str) -> bool {
        self.pcs_cookies
            .get(value)
            .is_some_and(|c| c.account == account && c.expires > Instant::now())
    }

    /// Returns whether `account` holds a live PCS cookie from `requestPCS`.
    pub(crate) fn has_pcs_cookie(&self, account: &str) -> bool {
        let now = Instant::now();
        self.pcs_cookies
            .values()
            .any(|c| c.account == account && c.expires > now)
    }

    /// Invalidates every PCS cookie handed out by `requestPCS`.
    pub(crate) fn expire_pcs_cookies(&mut self) {
        self.pcs_cookies.clear();
    }

    /// Invalidates every trust token.
    pub(crate) fn expire_trust_tokens(&mut self) {
        self.trust_tokens.clear();
    }
}

/// Returns a random standard-base64 token built from `n` random bytes (approximately).
pub(crate) fn token(n: usize) -> String {
    STANDARD.encode(srp::random_bytes(n * 3 / 4))
}

/// Returns a random header-safe identifier (`scnt`, session ids, request ids).
pub(crate) fn ident(n_bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(srp::random_bytes(n_bytes))
}

/// Returns a random upper-case hex string of `n_bytes` bytes.
pub(crate) fn hex_ident(n_bytes: usize) -> String {
    srp::random_bytes(n_bytes)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}
