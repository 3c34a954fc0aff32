//! Change feeds (`changes/zone`): [`SyncToken`], [`Change`] and the [`ChangeFeed`] stream.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_util::stream::Stream;
use serde_json::{Value, json};

use crate::asset::{Asset, AssetId};
use crate::call::{Call, Database};
use crate::cloudkit::{Record, RecordsReply, decode};
use crate::context::Inner;
use crate::error::{Error, Result};
use crate::query;

/// An opaque CloudKit sync token: where a change feed stopped. Store it as a string and pass
/// it back next time.
///
/// Tokens come in two kinds that are not interchangeable: a zone's, for
/// [`crate::Library::changes`] (from [`ChangeFeed::next_token`] or [`ChangedZone::token`]),
/// and a database's, for [`crate::PhotosClient::database_changes`] ([`DatabaseChanges::token`]).
/// Apple refuses a token that is too old ([`crate::Error::InvalidSyncToken`]): list the
/// library in full again and start over. `Serialize`/`Deserialize` write it as a plain
/// string.
///
/// ```
/// use icloud_photos::SyncToken;
///
/// let stored = SyncToken::new("AQAAAAAAAAEXf/////////9v7OlCrWN5ZA==").to_string();
/// let token = SyncToken::new(stored); // next run
/// assert!(token.as_str().starts_with("AQAA"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SyncToken(String);

impl SyncToken {
    /// Wraps a token received earlier.
    pub fn new(token: impl Into<String>) -> SyncToken {
        SyncToken(token.into())
    }

    /// Returns the token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SyncToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One change of a library, an item of a [`ChangeFeed`].
///
/// `Upserted` carries the whole asset as it is now, with fresh download URLs, so a mirror
/// can compare its versions' checksums with what it has and download what changed. An
/// upserted asset may now be in Recently Deleted or hidden ([`Asset::is_deleted`],
/// [`Asset::is_hidden`]): what to do with it is the caller's decision.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Change {
    /// An asset was added or modified (including hidden, restored or favourited).
    Upserted(Asset),
    /// An asset was moved to Recently Deleted (`isDeleted` = 1) or purged (a tombstone). For
    /// tombstones CloudKit does not say the record type, so the id may name a record that was
    /// never an asset (a master): ignore ids you do not know.
    Deleted(AssetId),
}

/// Records per `changes/zone` page.
const PAGE: usize = 200;

/// The changes of one library since a token, as a `Stream` of `Result<Change>`.
///
/// Pages are fetched while `moreComing` is true; a CPLAsset and its CPLMaster may come on
/// different pages and are paired. After the stream has ended without error,
/// [`ChangeFeed::next_token`] returns the token to store for next time. An asset whose master
/// did not change is completed with a `records/lookup` of the master.
///
/// # Example
///
/// A first full read keeps the token; after a change made on a phone, the feed from that
/// token brings only it:
///
/// ```
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// # use icloud_fake::*;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let account = FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor()
/// #     .library(FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG")).asset(FakeAsset::live("IMG_0002.HEIC")));
/// # let fake = FakeICloud::builder().account(account).start()?;
/// # let auth = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?).build()?;
/// # let (password, store) = (SecretString::from("password1".to_owned()), Arc::new(MemorySessionStore::default()));
/// # let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await? else { unreachable!() };
/// use futures_util::TryStreamExt;
/// use icloud_photos::{Change, PhotosClient};
///
/// let library = PhotosClient::new(&session)?.primary().await?;
/// let mut feed = library.changes(None);
/// while let Some(_change) = feed.try_next().await? {} // the full history
/// let token = feed.next_token().expect("read to its end");
///
/// let id = fake.add_asset("jdoe@gmail.com", "PrimarySync", FakeAsset::photo("IMG_0003.JPG"));
/// let mut feed = library.changes(Some(token));
/// let mut added = Vec::new();
/// while let Some(change) = feed.try_next().await? {
///     match change {
///         Change::Upserted(asset) => added.push(asset.filename().to_owned()),
///         Change::Deleted(id) => tracing::info!("deleted: {id}"),
///         _ => {}
///     }
/// }
/// assert_eq!(added, ["IMG_0003.JPG"]);
/// # let _ = id;
/// # Ok(()) }
/// ```
pub struct ChangeFeed {
    inner: Pin<Box<dyn Stream<Item = Result<Change>> + Send>>,
    token: Arc<Mutex<Option<SyncToken>>>,
}

impl fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeFeed")
            .field("next_token", &self.next_token())
            .finish_non_exhaustive()
    }
}

impl Stream for ChangeFeed {
    type Item = Result<Change>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl ChangeFeed {
    pub(crate) fn new(
        inner: Arc<Inner>,
        db: Database,
        zone: Arc<Value>,
        zone_name: String,
        token: Option<SyncToken>,
    ) -> ChangeFeed {
        let slot = Arc::new(Mutex::new(None));
        let state = Feed {
            inner,
            db,
            zone,
            token,
            slot: slot.clone(),
            pairs: Pairs::new(zone_name),
            more: true,
            done: false,
        };
        let s = futures_util::stream::unfold(state, |mut st| async move {
            st.next_item().await.map(|item| (item, st))
        });
        ChangeFeed {
            inner: Box::pin(s),
            token: slot,
        }
    }

    /// Returns the token to pass next time, once the feed has been read to its end without
    /// error (`None` before that).
    pub fn next_token(&self) -> Option<SyncToken> {
        self.token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A `changes/zone` answer: one [`RecordsReply`] per zone asked for.
#[derive(Debug, serde::Deserialize)]
struct ZoneChanges {
    #[serde(default)]
    zones: Vec<RecordsReply>,
    #[serde(rename = "serverErrorCode")]
    server_error_code: Option<Value>,
    reason: Option<Value>,
}

impl crate::call::Answer for ZoneChanges {
    fn server_error(&self) -> Option<(&str, &str)> {
        let code = self.server_error_code.as_ref()?.as_str()?;
        Some((
            code,
            self.reason.as_ref().and_then(Value::as_str).unwrap_or(""),
        ))
    }
}

struct Feed {
    inner: Arc<Inner>,
    db: Database,
    zone: Arc<Value>,
    token: Option<SyncToken>,
    slot: Arc<Mutex<Option<SyncToken>>>,
    pairs: Pairs,
    more: bool,
    done: bool,
}

impl Feed {
    async fn next_item(&mut self) -> Option<Result<Change>> {
        loop {
            if let Some(item) = self.pairs.out.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            let step = if self.more {
                self.page().await
            } else {
                self.complete().await
            };
            if let Err(e) = step {
                self.done = true;
                return Some(Err(e));
            }
        }
    }

    async fn page(&mut self) -> Result<()> {
        let token = self.token.as_ref().map(SyncToken::as_str);
        let body = query::changes_zone(&self.zone, token, PAGE);
        let reply: ZoneChanges = self
            .inner
            .ck
            .post_as(self.db, Call::CHANGES_ZONE, &body)
            .await?;
        let zone = reply
            .zones
            .into_iter()
            .next()
            .ok_or_else(|| Error::unexpected("changes/zone", "no zone in the answer"))?;
        if let Some((code, reason)) = zone.server_error() {
            return Err(match code {
                "BAD_REQUEST" => Error::InvalidSyncToken {
                    reason: reason.to_owned(),
                },
                _ => Error::from_server_code("changes/zone", code, reason, None),
            });
        }
        let next = zone
            .sync_token
            .as_ref()
            .and_then(Value::as_str)
            .map(SyncToken::new);
        let more = zone.more_coming == Some(Value::Bool(true));
        for record in zone.into_records() {
            self.pairs.record(record);
        }
        // Without a new token the same page would be asked for again and again.
        if more && (next.is_none() || next == self.token) {
            return Err(Error::unexpected(
                "changes/zone",
                "moreComing without a new sync token",
            ));
        }
        self.more = more;
        if next.is_some() {
            self.token = next;
        }
        Ok(())
    }

    /// Completes assets whose master did not change by looking the masters up, then publishes
    /// the token.
    async fn complete(&mut self) -> Result<()> {
        let wanted = self.pairs.missing_masters();
        if !wanted.is_empty() {
            self.lookup(&wanted).await?;
        }
        self.pairs.finish();
        *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = self.token.clone();
        self.done = true;
        Ok(())
    }

    /// Fetches masters by name (`records/lookup`), 200 at a time.
    async fn lookup(&mut self, names: &[String]) -> Result<()> {
        for chunk in names.chunks(PAGE) {
            let records: Vec<Value> = chunk.iter().map(|n| json!({"recordName": n})).collect();
            let body = json!({"records": records, "zoneID": *self.zone});
            let reply: RecordsReply = self.inner.ck.post_as(self.db, Call::LOOKUP, &body).await?;
            for record in reply.into_records() {
                if record.record_type() == Some("CPLMaster") && !record.is_tombstone() {
                    self.pairs.add_master(record);
                }
            }
        }
        Ok(())
    }
}

/// Pairs the CPLAssets and CPLMasters of a feed, which may come on different pages, into
/// changes (pure). Records are held only while their partner has not come. A CPLMaster that
/// changed without its CPLAsset (Apple re-rendering a file without an edit) makes no change:
/// what the asset's files are comes from the asset record, and a full listing sees the rest.
#[derive(Debug)]
struct Pairs {
    zone_name: String,
    /// Masters waiting for their asset, by name.
    masters: HashMap<String, Record>,
    /// Assets waiting for their master, by master name.
    waiting: HashMap<String, Vec<Record>>,
    /// Waiting asset name → its master name.
    waiting_for: HashMap<String, String>,
    out: VecDeque<Result<Change>>,
}

impl Pairs {
    fn new(zone_name: String) -> Pairs {
        Pairs {
            zone_name,
            masters: HashMap::new(),
            waiting: HashMap::new(),
            waiting_for: HashMap::new(),
            out: VecDeque::new(),
        }
    }

    fn record(&mut self, record: Record) {
        let name = record.name().to_owned();
        if record.is_tombstone() {
            self.masters.remove(&name);
            self.forget(&name);
            // Album membership (`<asset>-IN-<album>`) is not an asset.
            if !name.contains("-IN-") && record.record_type().is_none_or(|t| t == "CPLAsset") {
                self.out.push_back(Ok(Change::Deleted(AssetId::new(name))));
            }
            return;
        }
        match record.record_type() {
            Some("CPLAsset") if record.flag("isDeleted") => {
                self.forget(&name);
                self.out.push_back(Ok(Change::Deleted(AssetId::new(name))));
            }
            Some("CPLAsset") => {
                self.forget(&name);
                let key = record.reference("masterRef").unwrap_or("").to_owned();
                match self.masters.remove(&key) {
                    Some(master) => self.emit(master, record),
                    None => {
                        self.waiting_for.insert(name, key.clone());
                        self.waiting.entry(key).or_default().push(record);
                    }
                }
            }
            Some("CPLMaster") => match self.waiting.remove(&name) {
                Some(assets) => {
                    for asset in assets {
                        self.waiting_for.remove(asset.name());
                        self.emit(record.clone(), asset);
                    }
                }
                None => {
                    self.masters.insert(name, record);
                }
            },
            _ => {}
        }
    }

    /// Drops a waiting asset (deleted, or superseded by a newer version of its record).
    fn forget(&mut self, asset: &str) {
        let Some(master) = self.waiting_for.remove(asset) else {
            return;
        };
        if let Some(list) = self.waiting.get_mut(&master) {
            list.retain(|a| a.name() != asset);
            if list.is_empty() {
                self.waiting.remove(&master);
            }
        }
    }

    fn emit(&mut self, master: Record, asset: Record) {
        self.out
            .push_back(decode::pair(master, asset, &self.zone_name).map(Change::Upserted));
    }

    /// Returns the masters that assets still wait for.
    fn missing_masters(&self) -> Vec<String> {
        self.waiting.keys().cloned().collect()
    }

    /// Adds a master found by a lookup.
    fn add_master(&mut self, master: Record) {
        self.masters.insert(master.name().to_owned(), master);
    }

    /// Pairs the waiting assets with the masters now known; the others become errors.
    fn finish(&mut self) {
        self.waiting_for.clear();
        for (key, assets) in std::mem::take(&mut self.waiting) {
            let master = self.masters.get(&key).cloned();
            for asset in assets {
                match &master {
                    Some(master) => self.emit(master.clone(), asset),
                    None => {
                        let err = decode::missing_master(&asset, format!("master {key} not found"));
                        self.out.push_back(Err(err));
                    }
                }
            }
        }
    }
}

/// Decodes the zone names of a `changes/database` answer (deleted zones left out).
#[cfg(test)]
fn changed_zone_names(reply: &Value) -> Vec<String> {
    changed_zones(reply)
        .into_iter()
        .filter(|z| !z.deleted)
        .map(|z| z.name)
        .collect()
}

/// The zones of a `changes/database` answer, with their own sync token when it has one.
pub(crate) fn changed_zones(reply: &Value) -> Vec<ChangedZone> {
    let Some(zones) = reply.get("zones").and_then(Value::as_array) else {
        return Vec::new();
    };
    zones
        .iter()
        .filter_map(|z| {
            let name = crate::cloudkit::zone_name(z.get("zoneID")?)?.to_owned();
            let token = z
                .get("syncToken")
                .and_then(Value::as_str)
                .map(SyncToken::new);
            let deleted = z.get("deleted").and_then(Value::as_bool) == Some(true);
            Some(ChangedZone {
                name,
                token,
                deleted,
            })
        })
        .collect()
}

/// What changed in a database since a token ([`crate::PhotosClient::database_changes`]).
///
/// Without a token it lists every zone with its own token: taken before a full listing,
/// those tokens later give every change made during and after it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatabaseChanges {
    /// The zones that changed (every zone, without a token).
    pub zones: Vec<ChangedZone>,
    /// The database token to pass next time.
    pub token: SyncToken,
}

/// One changed zone of [`DatabaseChanges`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChangedZone {
    /// The zone's name, e.g. `PrimarySync`.
    pub name: String,
    /// The zone's own sync token, for [`crate::Library::changes`], when Apple sent one.
    pub token: Option<SyncToken>,
    /// The zone was deleted (a library that is gone, or about to be made anew).
    pub deleted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_serialize_as_strings() {
        let t = SyncToken::new("AQAAAAAAAwmVf//////////Kd+LphRdKGbpJMSeRX5Td");
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(text, "\"AQAAAAAAAwmVf//////////Kd+LphRdKGbpJMSeRX5Td\"");
        assert_eq!(serde_json::from_str::<SyncToken>(&text).unwrap(), t);
        assert_eq!(t.to_string(), t.as_str());
    }

    fn rec(v: Value) -> Record {
        Record::new(v).unwrap()
    }

    fn master(name: &str) -> Record {
        rec(
            json!({"recordName": name, "recordType": "CPLMaster", "fields": {
            "filenameEnc": {"value": "a.JPG", "type": "STRING"},
            "resOriginalRes": {"value": {"fileChecksum": "c", "size": 1, "downloadURL": "http://x"}, "type": "ASSETID"},
            "resOriginalFileType": {"value": "public.jpeg", "type": "STRING"}}}),
        )
    }

    fn asset(name: &str, master: &str, deleted: Value) -> Record {
        rec(
            json!({"recordName": name, "recordType": "CPLAsset", "fields": {
            "masterRef": {"value": {"recordName": master}, "type": "REFERENCE"},
            "isDeleted": deleted}}),
        )
    }

    fn drain(p: &mut Pairs) -> Vec<String> {
        p.out
            .drain(..)
            .map(|c| match c {
                Ok(Change::Upserted(a)) => format!("+{}", a.id()),
                Ok(Change::Deleted(id)) => format!("-{id}"),
                Err(e) => format!("!{e}"),
            })
            .collect()
    }

    #[test]
    fn assets_and_masters_pair_across_pages() {
        let mut p = Pairs::new("PrimarySync".into());
        p.record(asset("A", "M", Value::Null));
        assert!(drain(&mut p).is_empty(), "waits for its master");
        p.record(master("M"));
        assert_eq!(drain(&mut p), ["+A"]);
        p.record(master("N"));
        p.record(asset("B", "N", json!({"value": null})));
        assert_eq!(drain(&mut p), ["+B"], "a master first, then its asset");
        assert!(p.masters.is_empty(), "nothing is held once paired");
        p.record(asset("C", "M", Value::Null));
        p.record(asset("D", "Q", Value::Null));
        let mut missing = p.missing_masters();
        missing.sort();
        assert_eq!(
            missing,
            ["M", "Q"],
            "a master already used is looked up again"
        );
        p.add_master(master("M"));
        p.finish();
        let mut out = drain(&mut p);
        out.sort();
        assert_eq!(
            out[0],
            "!cannot decode CPLAsset D: masterRef: master Q not found"
        );
        assert_eq!(out[1], "+C");
    }

    #[test]
    fn deletions_are_reported_and_other_records_ignored() {
        let mut p = Pairs::new("PrimarySync".into());
        p.record(asset("W", "X", Value::Null));
        p.record(asset("W", "X", json!({"value": 1, "type": "INT64"})));
        p.record(rec(
            json!({"recordName": "G", "recordType": null, "deleted": true}),
        ));
        p.record(rec(
            json!({"recordName": "A-IN-B", "recordType": null, "deleted": true}),
        ));
        p.record(rec(
            json!({"recordName": "L", "recordType": "CPLAlbum", "fields": {}}),
        ));
        assert_eq!(drain(&mut p), ["-W", "-G"]);
        assert!(
            p.missing_masters().is_empty(),
            "the deleted asset no longer waits"
        );
    }

    #[test]
    fn changed_zones_are_named() {
        let reply = json!({"syncToken": "db", "moreComing": false, "zones": [
            {"zoneID": {"zoneName": "PrimarySync"}, "syncToken": "z1"},
            {"zoneID": {"zoneName": "SharedSync-1"}, "syncToken": "z2"}]});
        assert_eq!(
            changed_zone_names(&reply),
            ["PrimarySync".to_owned(), "SharedSync-1".to_owned()]
        );
    }
}
