//! Incremental sync feeds: `changes/database` (which zones changed) and `changes/zone` (record
//! deltas of one zone). Tokens are opaque base64 of a per-zone (or per-database) change counter.
//!
//! These are the feeds of photos.md §6.9, which icloudpd 1.32 never calls but incremental
//! clients do. What the fake keeps of Apple's contract:
//!
//! - `changes/database` with `{}` lists every zone of the database with its zone token; with a
//!   database token it lists only the zones changed since, and an empty `zones` means nothing
//!   changed. Its `moreComing` is always `false`.
//! - `changes/zone` without a `syncToken` returns the zone's whole history, with `""` nothing
//!   (the caller says it is caught up), with a token what changed after it. Pages hold at most
//!   `resultsLimit` records (200 by default) and end with `moreComing`; the client pages on
//!   with the returned token until `moreComing` is `false`.
//! - Zone-level errors come back with HTTP 200 inside the zone's entry: `ZONE_NOT_FOUND`, and
//!   `BAD_REQUEST` with Apple's reasons `Invalid continuation format` (not base64, or
//!   truncated) and `Unknown sync continuation type` (a database token given to
//!   `changes/zone`, or a zone token of another zone). Only a body without `zones` fails the
//!   whole request (400); `changes/database` refuses a bad token the same way.
//! - The `syncToken` of a `records/query` answer is a zone token valid here, so a full listing
//!   hands the client its bootstrap token.
//!
//! How the feed is kept (in [`crate::zone::Zone`]): every album and asset holds one change
//! sequence number, the zone counter when it last changed; the feed maps sequence numbers to
//! items and keeps each item once, at its latest number. A change therefore moves the item to
//! the end of the feed: a client sees the record's current state once, not every intermediate
//! one, which is what CloudKit promises too. A zone token is the sequence number of the last
//! change the client has seen; a database token is the account's database counter, which
//! every asset change bumps and stamps on the zone (`db_seq`).
//!
//! Two simplifications against Apple: an asset travels as its CPLMaster and CPLAsset together
//! on one page (Apple may split them, so clients must buffer; a page never starts a pair it
//! cannot finish, unless the limit is 1), and deletions are soft (`isDeleted` = 1 on the
//! records), never hard tombstones.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::cloudkit::ck_error;
use crate::faults::CT_CLOUDKIT;
use crate::http::Reply;
use crate::records::{self, Ctx, Obj, push_str};
use crate::state::State;
use crate::zone::{Db, Item};

/// Magic of zone tokens.
const ZONE_MAGIC: &[u8; 3] = b"FKZ";
/// Magic of database tokens.
const DB_MAGIC: &[u8; 3] = b"FKD";
/// Records per `changes/zone` page without a `resultsLimit`.
const DEFAULT_LIMIT: usize = 200;

/// Encodes a token: the three-byte magic, the zone index (or database number) and the counter,
/// big-endian, in standard base64 (15 bytes, 20 characters).
fn encode(magic: &[u8; 3], id: u32, counter: u64) -> String {
    let mut raw = Vec::with_capacity(15);
    raw.extend_from_slice(magic);
    raw.extend_from_slice(&id.to_be_bytes());
    raw.extend_from_slice(&counter.to_be_bytes());
    STANDARD.encode(raw)
}

/// Decodes a token of the kind `magic` into its id and counter.
///
/// The error is the `reason` CloudKit gives for the refusal: `Invalid continuation format`
/// when the text is not a token at all, `Unknown sync continuation type` when it is a token of
/// the other kind.
fn decode(magic: &[u8; 3], token: &str) -> Result<(u32, u64), &'static str> {
    let raw = STANDARD
        .decode(token.trim())
        .map_err(|_| "Invalid continuation format")?;
    if raw.len() != 15 {
        return Err("Invalid continuation format");
    }
    if &raw[..3] != magic {
        return Err("Unknown sync continuation type");
    }
    let id = u32::from_be_bytes([raw[3], raw[4], raw[5], raw[6]]);
    let mut counter = [0u8; 8];
    counter.copy_from_slice(&raw[7..]);
    Ok((id, u64::from_be_bytes(counter)))
}

/// Returns the sync token of zone `zone` at change `counter`.
pub(crate) fn zone_token(zone: usize, counter: u64) -> String {
    encode(ZONE_MAGIC, u32::try_from(zone).unwrap_or(u32::MAX), counter)
}

/// Returns the database token of `db` at change `counter`.
pub(crate) fn db_token(db: Db, counter: u64) -> String {
    encode(DB_MAGIC, u32::from(db == Db::Shared), counter)
}

/// `changes/database`: `{}` lists every zone; `{"syncToken"}` only zones changed since.
///
/// A token that does not decode, or belongs to the other database, answers 400 `BAD_REQUEST`
/// for the whole request: unlike `changes/zone` there is no per-zone entry to carry the error.
pub(crate) fn database(state: &mut State, account: &str, db: Db, body: &Value) -> Reply {
    let since = match body["syncToken"].as_str() {
        None => 0,
        Some(t) => match decode(DB_MAGIC, t) {
            Ok((id, counter)) if id == u32::from(db == Db::Shared) => counter,
            Ok(_) => return ck_error(400, "BAD_REQUEST", "Unknown sync continuation type"),
            Err(reason) => return ck_error(400, "BAD_REQUEST", reason),
        },
    };
    let counter = state
        .db_counters
        .get(&(account.to_owned(), db))
        .copied()
        .unwrap_or_default();
    let mut out = String::from("{\"syncToken\":");
    push_str(&mut out, &db_token(db, counter));
    out.push_str(",\"moreComing\":false,\"zones\":[");
    let changed = state
        .zones
        .iter()
        .enumerate()
        .filter(|(_, z)| z.account == account && z.db == db && z.db_seq > since);
    for (n, (zi, zone)) in changed.enumerate() {
        if n > 0 {
            out.push(',');
        }
        let mut o = Obj::open(&mut out);
        records::zone_id(o.key("zoneID"), zone);
        o.str("syncToken", &zone_token(zi, zone.counter));
        o.close();
    }
    out.push_str("]}");
    Reply::body(200, CT_CLOUDKIT, out)
}

/// `changes/zone`: the records changed after each requested zone's token, oldest change first,
/// paged by `resultsLimit` with `moreComing`. A master and its asset travel together.
///
/// `resultsLimit` may be given per zone or for the whole body (the zone's wins). The token
/// returned after an empty page is the zone's current counter, so a caught-up client keeps a
/// token that stays valid however long it waits.
pub(crate) fn zone(state: &mut State, account: &str, db: Db, body: &Value) -> Reply {
    let Some(requests) = body["zones"].as_array() else {
        return ck_error(400, "BAD_REQUEST", "missing zones");
    };
    let signer = state.signer();
    let mut out = String::from("{\"zones\":[");
    for (n, request) in requests.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let name = request["zoneID"]["zoneName"].as_str().unwrap_or_default();
        let mut o = Obj::open(&mut out);
        let Some(zi) = state.zone_index(account, db, name) else {
            o.raw("zoneID", &request["zoneID"]);
            o.str("serverErrorCode", "ZONE_NOT_FOUND");
            o.str("reason", &format!("Zone '{name}' does not exist"));
            o.close();
            continue;
        };
        let zone = &state.zones[zi];
        let since = match request["syncToken"].as_str() {
            None => Ok(0),
            Some("") => Ok(zone.counter),
            Some(t) => match decode(ZONE_MAGIC, t) {
                Ok((id, counter)) if id as usize == zi => Ok(counter),
                Ok(_) => Err("Unknown sync continuation type"),
                Err(reason) => Err(reason),
            },
        };
        let since = match since {
            Ok(since) => since,
            Err(reason) => {
                records::zone_id(o.key("zoneID"), zone);
                o.str("serverErrorCode", "BAD_REQUEST");
                o.str("reason", reason);
                o.close();
                continue;
            }
        };
        let limit = request["resultsLimit"]
            .as_u64()
            .or(body["resultsLimit"].as_u64())
            .map_or(DEFAULT_LIMIT, |l| l as usize)
            .max(1);
        let ctx = Ctx {
            zone_index: u16::try_from(zi).unwrap_or(u16::MAX),
            signer: &signer,
        };
        records::zone_id(o.key("zoneID"), zone);
        let mut last = since;
        let mut emitted = 0usize;
        {
            let recs = o.key("records");
            recs.push('[');
            for (&seq, item) in zone.changes.range(since.saturating_add(1)..) {
                let size = match item {
                    Item::Asset(_) => 2,
                    Item::Album(_) => 1,
                };
                if emitted > 0 && emitted + size > limit {
                    break;
                }
                if emitted > 0 {
                    recs.push(',');
                }
                match *item {
                    Item::Album(i) => {
                        let album = &zone.lib.albums[i as usize];
                        records::album(recs, zone, i as usize, album);
                    }
                    Item::Asset(i) => {
                        records::master(recs, &ctx, zone, i as usize);
                        recs.push(',');
                        records::asset(recs, &ctx, zone, i as usize);
                    }
                }
                emitted += size;
                last = seq;
            }
            recs.push(']');
        }
        let more = zone
            .changes
            .range(last.saturating_add(1)..)
            .next()
            .is_some();
        let token = if emitted == 0 { zone.counter } else { last };
        o.str("syncToken", &zone_token(zi, token));
        o.raw("moreComing", more);
        o.close();
    }
    out.push_str("]}");
    Reply::body(200, CT_CLOUDKIT, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_garbage() {
        let t = zone_token(3, 77);
        assert_eq!(decode(ZONE_MAGIC, &t), Ok((3, 77)));
        assert_eq!(decode(DB_MAGIC, &t), Err("Unknown sync continuation type"));
        assert_eq!(
            decode(ZONE_MAGIC, &t[..10]),
            Err("Invalid continuation format")
        );
        assert_eq!(
            decode(ZONE_MAGIC, "not base64!"),
            Err("Invalid continuation format")
        );
    }
}
