//! CloudKit (`/database/1/com.apple.photos.cloud/production/{private,shared}/…`): zones,
//! record queries with rank paging, record lookups by name, item counts, record modification,
//! and the auth checks in front of them.
//!
//! Every CloudKit request first passes the checks a real web session meets ([`handle`]): a
//! known container and database, `POST`, the `X-APPLE-WEBAUTH-USER` and a live
//! `X-APPLE-WEBAUTH-TOKEN` cookie of the same account (421 otherwise, as when Apple ends a
//! session), the account's web access (403 `ACCESS_DENIED` when "Access iCloud Data on the
//! Web" is off), and for Advanced Data Protection accounts the PCS cookies of the consent
//! flow (423 while they are missing or expired). Only then is the endpoint dispatched:
//!
//! - `zones/list`: the zones of the database, with a sync token;
//! - `records/query`: the indexing state (`CheckIndexingState`), the album list, and every
//!   listing index (whole collection, smart folders, albums), paged by `startRank` and
//!   `resultsLimit` as [`crate::zone`] describes;
//! - `records/lookup`: CPLAssets and CPLMasters by record name, with fresh download URLs;
//! - `internal/records/query/batch`: item counts, which always equal what a listing returns;
//! - `records/modify`: deleting, hiding and favouriting, which shifts later ranks at once;
//! - `changes/database` and `changes/zone`: the incremental feeds of [`crate::changes`].
//!
//! Errors use CloudKit's JSON shape (`serverErrorCode`, `reason`) through [`ck_error`], which
//! is what clients classify; unknown endpoints answer 404 `NOT_FOUND`.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::changes::{self, zone_token};
use crate::faults::CT_CLOUDKIT;
use crate::http::{Reply, Req};
use crate::library::flag;
use crate::records::{self, Ctx, Obj, change_tag, push_str};
use crate::state::State;
use crate::zone::{Db, Index, Slot};

/// Records per page when a query has no `resultsLimit`.
const DEFAULT_RESULTS_LIMIT: usize = 200;

/// Returns milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// A CloudKit JSON error: `{"uuid", "serverErrorCode", "reason"}`.
pub(crate) fn ck_error(status: u16, code: &str, reason: &str) -> Reply {
    let body = json!({"uuid": uuid::Uuid::new_v4().to_string(), "serverErrorCode": code, "reason": reason});
    Reply::json(status, CT_CLOUDKIT, &body)
}

/// A CloudKit success body.
fn ok(body: String) -> Reply {
    Reply::body(200, CT_CLOUDKIT, body)
}

/// 404 `ZONE_NOT_FOUND`.
fn zone_not_found(name: &str) -> Reply {
    ck_error(
        404,
        "ZONE_NOT_FOUND",
        &format!("Zone '{name}' does not exist"),
    )
}

/// Handles a request under `/database/1/`; `rest` is the remainder of the path.
pub(crate) fn handle(state: &mut State, req: &Req, rest: &str) -> Reply {
    let Some(rest) = rest.strip_prefix("com.apple.photos.cloud/production/") else {
        return ck_error(404, "NOT_FOUND", "unknown container or environment");
    };
    let Some((db, endpoint)) = rest.split_once('/') else {
        return ck_error(404, "NOT_FOUND", "unknown endpoint");
    };
    let Some(db) = Db::parse(db) else {
        return ck_error(404, "NOT_FOUND", "unknown database");
    };
    if req.method != "POST" {
        return ck_error(405, "BAD_REQUEST", "method not allowed");
    }
    let account = match authenticate(state, req) {
        Ok(account) => account,
        Err(reply) => return reply,
    };
    let web_access = state
        .account(&account)
        .is_some_and(|a| a.cfg.photos.web_access);
    if !web_access {
        return ck_error(
            403,
            "ACCESS_DENIED",
            "private db access disabled for this account",
        );
    }
    if let Err(reply) = check_pcs(state, req, &account) {
        return reply;
    }
    let body = if req.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match req.json() {
            Some(v) => v,
            None => return ck_error(400, "BAD_REQUEST", "Invalid JSON body"),
        }
    };
    match endpoint.trim_end_matches('/') {
        "zones/list" => zones_list(state, &account, db),
        "records/query" => query(state, &account, db, &body),
        "records/lookup" => lookup(state, &account, db, &body),
        "internal/records/query/batch" => batch(state, &account, db, &body),
        "records/modify" => modify(state, &account, db, &body),
        "changes/database" => changes::database(state, &account, db, &body),
        "changes/zone" => changes::zone(state, &account, db, &body),
        _ => ck_error(404, "NOT_FOUND", "unknown endpoint"),
    }
}

/// Checks the web cookies: both `X-APPLE-WEBAUTH-USER` and a live `X-APPLE-WEBAUTH-TOKEN` of
/// the same account. Returns the account key or the 421 to answer.
fn authenticate(state: &mut State, req: &Req) -> Result<String, Reply> {
    let missing = |name: &str| {
        Reply::body(
            421,
            "text/plain; charset=UTF-8",
            format!("Missing {name} cookie"),
        )
    };
    let user = req
        .cookie("X-APPLE-WEBAUTH-USER")
        .ok_or_else(|| missing("X-APPLE-WEBAUTH-USER"))?;
    let token = req
        .cookie("X-APPLE-WEBAUTH-TOKEN")
        .ok_or_else(|| missing("X-APPLE-WEBAUTH-TOKEN"))?
        .to_owned();
    let failed = || ck_error(421, "AUTHENTICATION_FAILED", "no auth method found");
    let dsid = user
        .trim_matches('"')
        .split(':')
        .find_map(|p| p.strip_prefix("d="))
        .map(str::to_owned);
    let key = state.touch_web_session(&token).ok_or_else(failed)?;
    let same_account = state
        .account(&key)
        .is_some_and(|a| Some(&a.cfg.dsid) == dsid.as_ref());
    if !same_account {
        return Err(failed());
    }
    Ok(key)
}

/// For an ADP account, requires a live `X-APPLE-WEBAUTH-PCS-Photos` cookie from `requestPCS`;
/// without one the answer is 423, as Apple's web services answer (rclone/rclone#9408).
fn check_pcs(state: &State, req: &Req, account: &str) -> Result<(), Reply> {
    let adp = state.account(account).and_then(|a| a.cfg.adp).is_some();
    let valid = req
        .cookie("X-APPLE-WEBAUTH-PCS-Photos")
        .is_some_and(|v| state.pcs_cookie_valid(account, v));
    if !adp || valid {
        return Ok(());
    }
    let body = json!({
        "requestUUID": uuid::Uuid::new_v4().to_string(),
        "errorReason": "Missing PCS cookies from the request",
        "errorCode": 423
    });
    Err(Reply::json(423, "application/json; charset=UTF-8", &body))
}

/// `zones/list` (photos.md §6.1): the account's zones in database `db`, each as a `zoneID`,
/// with the database's sync token (valid for `changes/database`).
///
/// PrimarySync comes first in the private database; a shared library appears in the database
/// its [`crate::SharedPlacement`] names. `moreComing` is always `false`.
fn zones_list(state: &State, account: &str, db: Db) -> Reply {
    let counter = state
        .db_counters
        .get(&(account.to_owned(), db))
        .copied()
        .unwrap_or_default();
    let mut out = String::from("{\"moreComing\":false,\"syncToken\":");
    push_str(&mut out, &changes::db_token(db, counter));
    out.push_str(",\"zones\":[");
    let zones = state
        .zones
        .iter()
        .filter(|z| z.account == account && z.db == db);
    for (n, zone) in zones.enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str("{\"zoneID\":");
        records::zone_id(&mut out, zone);
        out.push('}');
    }
    out.push_str("]}");
    ok(out)
}

/// Finds the zone named by `body.zoneID.zoneName`.
fn zone_of(state: &State, account: &str, db: Db, body: &Value) -> Result<usize, Reply> {
    let Some(name) = body["zoneID"]["zoneName"].as_str() else {
        return Err(ck_error(400, "BAD_REQUEST", "missing zoneID"));
    };
    state
        .zone_index(account, db, name)
        .ok_or_else(|| zone_not_found(name))
}

/// Collects `query.filterBy` (an array, or a single object) as (fieldName, fieldValue.value).
fn filters(query: &Value) -> Vec<(&str, &Value)> {
    fn one(f: &Value) -> Option<(&str, &Value)> {
        Some((f["fieldName"].as_str()?, &f["fieldValue"]["value"]))
    }
    match &query["filterBy"] {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        f @ Value::Object(_) => one(f).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// `records/query`: the indexing state (photos.md §6.2), the album list
/// (`CPLAlbumByPositionLive`, §6.3) or one page of a listing index (§6.5, with the list types
/// and filters of §6.6).
///
/// Listings read `startRank` from the filters (a number or a numeric string, 0 if absent)
/// and take `resultsLimit / 2` ranks (100 without a limit), because each rank is a
/// CPLMaster/CPLAsset pair. A list type or filter combination the fake does not know answers
/// 400 `BAD_REQUEST` rather than an empty page, so a client's typo is not mistaken for an
/// empty album. Every answer carries the zone's current sync token, valid for `changes/zone`.
fn query(state: &mut State, account: &str, db: Db, body: &Value) -> Reply {
    let zi = match zone_of(state, account, db, body) {
        Ok(zi) => zi,
        Err(reply) => return reply,
    };
    let q = &body["query"];
    let record_type = q["recordType"].as_str().unwrap_or_default();
    let token = zone_token(zi, state.zones[zi].counter);
    match record_type {
        "CheckIndexingState" => {
            let mut out = String::from("{\"records\":[");
            records::indexing_state(&mut out, &state.zones[zi]);
            out.push_str("],\"syncToken\":");
            push_str(&mut out, &token);
            out.push('}');
            ok(out)
        }
        "CPLAlbumByPositionLive" => {
            let zone = &state.zones[zi];
            let mut out = String::from("{\"records\":[");
            for (i, album) in zone.lib.albums.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                records::album(&mut out, zone, i, album);
            }
            out.push_str("],\"syncToken\":");
            push_str(&mut out, &token);
            out.push('}');
            ok(out)
        }
        list_type => {
            let f = filters(q);
            let value = |name: &str| f.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
            let smart = value("smartAlbum").and_then(Value::as_str);
            let parent = value("parentId").and_then(Value::as_str);
            let index = match Index::from_list(list_type, smart, parent) {
                Ok(index) => index,
                Err(reason) => return ck_error(400, "BAD_REQUEST", &reason),
            };
            let start = value("startRank").map_or(0, |v| match v {
                Value::String(s) => s.parse::<u64>().unwrap_or_default(),
                v => v.as_u64().unwrap_or_default(),
            });
            let limit = body["resultsLimit"]
                .as_u64()
                .map_or(DEFAULT_RESULTS_LIMIT, |n| n as usize);
            let per_page = (limit / 2).max(1);
            ok(page(
                state,
                zi,
                &index,
                usize::try_from(start).unwrap_or(usize::MAX),
                per_page,
            ))
        }
    }
}

/// Renders the page of `index` covering ranks `[start, start + n)` (the paging contract):
/// all masters, then their assets, then container relations and deleted records.
fn page(state: &mut State, zi: usize, index: &Index, start: usize, n: usize) -> String {
    let signer = state.signer();
    let zone = &mut state.zones[zi];
    let all = zone.slots(index);
    let len = all.len();
    let from = start.min(len);
    let to = start.saturating_add(n).min(len);
    let slots = all[from..to].to_vec();
    let zone = &state.zones[zi];
    let ctx = Ctx {
        zone_index: u16::try_from(zi).unwrap_or(u16::MAX),
        signer: &signer,
    };
    let mut out = String::with_capacity(64 + slots.len() * 5000);
    out.push_str("{\"records\":[");
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
    };
    let assets: Vec<usize> = slots
        .iter()
        .filter_map(|s| match s {
            Slot::Asset(i) => Some(*i as usize),
            _ => None,
        })
        .collect();
    for &i in &assets {
        sep(&mut out);
        records::master(&mut out, &ctx, zone, i);
    }
    for &i in &assets {
        sep(&mut out);
        records::asset(&mut out, &ctx, zone, i);
    }
    if let Index::Album(id) = index {
        for (k, &i) in assets.iter().enumerate() {
            sep(&mut out);
            records::relation(&mut out, zone, i, id, from + k);
        }
    }
    for s in &slots {
        if let Slot::Deleted(d) = s {
            sep(&mut out);
            records::deleted_slot(&mut out, zone, *d);
        }
    }
    out.push(']');
    if to < len {
        out.push_str(",\"continuationMarker\":");
        push_str(
            &mut out,
            &STANDARD.encode(format!("rank:{to}:{}", zone.counter)),
        );
    }
    out.push_str(",\"syncToken\":");
    push_str(&mut out, &zone_token(zi, zone.counter));
    out.push('}');
    out
}

/// `records/lookup`: the named CPLAsset and CPLMaster records, in the order asked, rendered as
/// `records/query` renders them (with download URLs signed now); a name that is neither comes
/// back as `{"recordName", "reason": "Record not found", "serverErrorCode": "NOT_FOUND"}`.
fn lookup(state: &mut State, account: &str, db: Db, body: &Value) -> Reply {
    let zi = match zone_of(state, account, db, body) {
        Ok(zi) => zi,
        Err(reply) => return reply,
    };
    let Some(wanted) = body["records"].as_array() else {
        return ck_error(400, "BAD_REQUEST", "missing records");
    };
    let found: Vec<(&str, Option<Found>)> = wanted
        .iter()
        .map(|r| {
            let name = r["recordName"].as_str().unwrap_or_default();
            let zone = &mut state.zones[zi];
            let hit = match zone.asset_by_name(name) {
                Some(i) => Some(Found::Asset(i)),
                None => zone.master_by_name(name).map(Found::Master),
            };
            (name, hit)
        })
        .collect();
    let signer = state.signer();
    let zone = &state.zones[zi];
    let ctx = Ctx {
        zone_index: u16::try_from(zi).unwrap_or(u16::MAX),
        signer: &signer,
    };
    let mut out = String::with_capacity(64 + found.len() * 5000);
    out.push_str("{\"records\":[");
    for (n, (name, hit)) in found.into_iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        match hit {
            Some(Found::Asset(i)) => records::asset(&mut out, &ctx, zone, i),
            Some(Found::Master(i)) => records::master(&mut out, &ctx, zone, i),
            None => {
                let mut o = Obj::open(&mut out);
                o.str("recordName", name);
                o.str("reason", "Record not found");
                o.str("serverErrorCode", "NOT_FOUND");
                o.close();
            }
        }
    }
    out.push_str("],\"syncToken\":");
    push_str(&mut out, &zone_token(zi, zone.counter));
    out.push('}');
    ok(out)
}

/// What a looked-up record name is.
enum Found {
    /// The CPLAsset of asset `i`.
    Asset(usize),
    /// The CPLMaster of asset `i`.
    Master(usize),
}

/// `internal/records/query/batch`: `HyperionIndexCountLookup` counts (photos.md §6.4).
///
/// Each count is what a complete listing of the same index returns, rank anomalies excluded,
/// so a client that compares its listing with the count can trust a mismatch to be its own.
/// An `indexCountID` the fake does not know counts 0; an unknown zone fails the whole batch
/// with 404 `ZONE_NOT_FOUND`.
fn batch(state: &mut State, account: &str, db: Db, body: &Value) -> Reply {
    let Some(entries) = body["batch"].as_array() else {
        return ck_error(400, "BAD_REQUEST", "missing batch");
    };
    let mut out = String::from("{\"batch\":[");
    for (n, entry) in entries.iter().enumerate() {
        let zi = match zone_of(state, account, db, entry) {
            Ok(zi) => zi,
            Err(reply) => return reply,
        };
        let f = filters(&entry["query"]);
        let id = f
            .iter()
            .find(|(name, _)| *name == "indexCountID")
            .and_then(|(_, v)| v.get(0).or(Some(*v)))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let count = Index::from_count_id(&id).map_or(0, |index| state.zones[zi].count(&index));
        if n > 0 {
            out.push(',');
        }
        out.push_str("{\"records\":[");
        records::count_result(&mut out, &state.zones[zi], &id, count);
        out.push_str("],\"syncToken\":");
        push_str(&mut out, &zone_token(zi, state.zones[zi].counter));
        out.push('}');
    }
    out.push_str("]}");
    ok(out)
}

/// Reads a flag value sent as a number, boolean or null.
fn flag_value(v: &Value) -> Option<bool> {
    match v {
        Value::Null => Some(false),
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_i64().is_some_and(|n| n != 0)),
        _ => None,
    }
}

/// `records/modify`: updates `isDeleted`, `isHidden` and `isFavorite` of CPLAssets.
///
/// This is how a client moves an asset to Recently Deleted (photos.md §6.7): `isDeleted` = 1
/// sets an expiry 30 days ahead and the answer carries `expirationTime`; 0 restores it. The
/// change is visible at once: later ranks of every index shift, counts follow, the record
/// gets a new change tag, and the change feeds report it. Operations are answered one by one
/// in the order sent; a bad one (another operation type, another record type, an unknown
/// record) gets a per-record error inside `records` with HTTP 200, which icloudpd does not
/// notice (§4 item 5). The `recordChangeTag` a client sends is not compared, so the fake
/// never answers `CONFLICT`.
fn modify(state: &mut State, account: &str, db: Db, body: &Value) -> Reply {
    let zi = match zone_of(state, account, db, body) {
        Ok(zi) => zi,
        Err(reply) => return reply,
    };
    let Some(ops) = body["operations"].as_array() else {
        return ck_error(400, "BAD_REQUEST", "missing operations");
    };
    let mut out = String::from("{\"records\":[");
    for (n, op) in ops.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let record = &op["record"];
        let name = record["recordName"].as_str().unwrap_or_default();
        let per_record_error = |out: &mut String, code: &str, reason: &str| {
            let mut o = Obj::open(out);
            o.str("recordName", name);
            o.str("serverErrorCode", code);
            o.str("reason", reason);
            o.close();
        };
        let op_type = op["operationType"].as_str().unwrap_or_default();
        if !matches!(
            op_type,
            "update" | "forceUpdate" | "replace" | "forceReplace"
        ) {
            per_record_error(&mut out, "BAD_REQUEST", "unsupported operation type");
            continue;
        }
        if record["recordType"]
            .as_str()
            .is_some_and(|t| t != "CPLAsset")
        {
            per_record_error(
                &mut out,
                "BAD_REQUEST",
                "only CPLAsset records can be changed",
            );
            continue;
        }
        let Some(i) = state.zones[zi].asset_by_name(name) else {
            per_record_error(&mut out, "NOT_FOUND", "Record not found");
            continue;
        };
        let now = now_ms();
        let mut changed = Vec::new();
        {
            let a = &mut state.zones[zi].lib.assets[i];
            let fields = record["fields"].as_object();
            for (key, bit) in [
                ("isDeleted", flag::DELETED),
                ("isHidden", flag::HIDDEN),
                ("isFavorite", flag::FAVORITE),
            ] {
                let Some(on) = fields
                    .and_then(|f| f.get(key))
                    .and_then(|v| flag_value(v.get("value").unwrap_or(&Value::Null)))
                else {
                    continue;
                };
                if on {
                    a.flags |= bit;
                } else {
                    a.flags &= !bit;
                }
                if key == "isDeleted" {
                    a.expunged_ms = if on { now + 30 * 86_400_000 } else { 0 };
                }
                changed.push((key, on));
            }
            a.tag += 1;
            a.modified_ms = now;
        }
        state.touch_asset(zi, i);
        let zone = &state.zones[zi];
        let a = &zone.lib.assets[i];
        let mut o = Obj::open(&mut out);
        o.str("recordName", name);
        o.str("recordType", "CPLAsset");
        {
            let mut f = Obj::open(o.key("fields"));
            for (key, on) in &changed {
                f.field(key, "INT64", u8::from(*on));
            }
            f.close();
        }
        o.raw("pluginFields", "{}");
        o.str("recordChangeTag", &change_tag(a.tag));
        records::stamp(o.key("created"), a.added(), &zone.owner);
        records::stamp(o.key("modified"), now, &zone.owner);
        o.raw("deleted", false);
        if a.has(flag::DELETED) {
            o.raw("expirationTime", a.expunged_ms / 1000);
        }
        o.close();
    }
    out.push_str("],\"syncToken\":");
    push_str(&mut out, &zone_token(zi, state.zones[zi].counter));
    out.push('}');
    ok(out)
}
