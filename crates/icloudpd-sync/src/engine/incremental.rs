//! Incremental runs: the run that asks Apple only for what changed, and the bookkeeping of
//! tokens around full listings.
//!
//! A run is incremental when a [`crate::SyncState`] holds tokens for the very configuration
//! of this run (see `scope::configuration`) from a full listing less than
//! [`crate::DEFAULT_FULL_SCAN_INTERVAL`] ago (by default). It then
//!
//! 1. checks every file the state records (a `stat` each) and notes the assets with a file
//!    missing or changed in size ([`missing_files`]); more than half of them gone stops the
//!    run ([`Missing::guard`]: an unmounted disk is not a reason to download everything);
//! 2. asks `changes/database` whether the library's zone changed, and if so reads the zone's
//!    change feed from the stored token;
//! 3. looks up the assets of step 1 and takes them, and the assets the feed added or changed,
//!    through the same [`Pipeline`] as a listing (newest first, as a listing would);
//! 4. with `--auto-delete`, removes the recorded files of assets the feed says were deleted,
//!    unless this program deleted them itself;
//! 5. stores the new tokens only when every asset went well: a failure keeps the old ones, and
//!    the next run reads the same changes again.
//!
//! Anything the feed cannot answer (a refused token, a zone that is gone, more changes than a
//! run keeps in memory) makes the run fall back to a full listing. A full listing stores the
//! tokens taken before it; if the library changed while it ran in a way that may have moved
//! assets past it ([`disturbed`]), the next run lists again.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use icloud_photos::{Asset, AssetId, Change, Library, Lookup, PhotosClient, SyncToken};

use super::pipeline::{Pipeline, Recorder, Step};
use crate::error::{Error, Result};
use crate::options::SyncOptions;
use crate::outcome::AssetFailure;
use crate::report::{FullScanReason, Reporter, SyncEvent};
use crate::state::{ACCOUNT, FileRow, key, unix_now};

/// Changed assets a run holds in memory before it prefers a full listing (which streams).
pub(crate) const MAX_FEED_ASSETS: usize = 20_000;

/// [`Missing::guard`] stops a run only from this many missing files on.
const MISSING_GUARD_MIN: usize = 1_000;

/// An asset added this long before a full listing began counts as older than it (clocks
/// differ; see [`disturbed`]).
const CLOCK_MARGIN: Duration = Duration::from_secs(600);

/// The recorded files that are gone from disk or changed in size.
pub(crate) struct Missing {
    /// Their assets: CPLAsset and CPLMaster record names.
    pub assets: Vec<(AssetId, String)>,
    /// How many files.
    pub files: usize,
    /// How many files the state records in all.
    pub recorded: usize,
}

impl Missing {
    /// Stops the run when most recorded files are gone (at least [`MISSING_GUARD_MIN`] and
    /// more than half): a disk that is not mounted, a directory that was moved. Downloading
    /// the whole library again into the empty folder would fill the wrong disk.
    pub(crate) fn guard(&self, directory: &Path) -> Result<()> {
        if self.files >= MISSING_GUARD_MIN && self.files * 2 > self.recorded {
            return Err(Error::FilesMissing {
                directory: directory.to_path_buf(),
                missing: self.files,
                recorded: self.recorded,
            });
        }
        Ok(())
    }
}

/// Checks every file `recorder` records (a `stat` each, on a blocking thread).
pub(crate) async fn missing_files(recorder: &Recorder) -> Result<Missing> {
    let state = Arc::clone(&recorder.state);
    let config = recorder.config.clone();
    let path = recorder.state.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let rows = state.files(&config)?;
        let mut seen = HashSet::new();
        let mut missing = Missing {
            assets: Vec::new(),
            files: 0,
            recorded: rows.len(),
        };
        for row in rows {
            // As the planner sees files: through links.
            let intact =
                std::fs::metadata(&row.path).is_ok_and(|m| m.is_file() && m.len() == row.disk_size);
            if intact {
                continue;
            }
            missing.files += 1;
            if seen.insert(row.asset.clone()) {
                missing.assets.push((AssetId::new(row.asset), row.master));
            }
        }
        Ok(missing)
    })
    .await
    .map_err(|e| Error::State {
        path,
        reason: e.to_string(),
    })?
}

/// How an incremental run ended.
pub(crate) enum Outcome {
    /// It ran (its failures, if any, are in the report).
    Done,
    /// The feed cannot answer: list the whole library.
    FullScan(FullScanReason),
}

/// Database and library tokens: stored ones an incremental run starts from, or the ones
/// taken before a full listing.
pub(crate) struct Tokens {
    pub db: SyncToken,
    pub zone: SyncToken,
}

/// One incremental run.
pub(crate) struct Incremental<'a> {
    pub photos: &'a PhotosClient,
    pub library: &'a Library,
    pub options: &'a SyncOptions,
    pub reporter: &'a dyn Reporter,
    pub recorder: &'a Recorder,
}

impl Incremental<'_> {
    pub(crate) async fn run(
        &self,
        tokens: Tokens,
        missing: Missing,
        pipeline: &mut Pipeline,
    ) -> Result<Outcome> {
        let reporter = self.reporter;
        reporter.event(&SyncEvent::ListingChanges);
        let changes = match self
            .photos
            .database_changes(self.library.database(), Some(&tokens.db))
            .await
        {
            Ok(changes) => changes,
            Err(icloud_photos::Error::InvalidSyncToken { .. }) => {
                return Ok(Outcome::FullScan(FullScanReason::TokenRefused));
            }
            Err(e) => return Err(e.into()),
        };
        let zone = changes.zones.iter().find(|z| z.name == self.library.name());
        if zone.is_some_and(|z| z.deleted) {
            return Ok(Outcome::FullScan(FullScanReason::LibraryChanged));
        }
        let mut feed = Feed::default();
        let zone_token = match zone {
            Some(_) => match self.read_feed(tokens.zone, &mut feed).await? {
                Ok(token) => token,
                Err(reason) => return Ok(Outcome::FullScan(reason)),
            },
            None => tokens.zone,
        };
        // Files missing on disk of assets the feed did not mention: look them up.
        let lookups: Vec<(AssetId, String)> = missing
            .assets
            .into_iter()
            .filter(|(id, _)| !feed.upserted.contains_key(id) && !feed.deleted.contains(id))
            .collect();
        if lookups.len() > MAX_FEED_ASSETS {
            return Ok(Outcome::FullScan(FullScanReason::TooManyChanges));
        }
        // Undecodable records fail like in a listing (and keep the token from advancing).
        for error in feed.bad {
            pipeline.bad_record(error);
        }
        let mut assets: Vec<Asset> = feed.upserted.into_values().collect();
        let restored = self.restore(&lookups, &mut assets, pipeline).await?;
        // Newest first, as a listing: the first of two same-named files keeps the plain name.
        assets.sort_by(|a, b| {
            (b.asset_date(), b.id().as_str()).cmp(&(a.asset_date(), a.id().as_str()))
        });
        reporter.event(&SyncEvent::ChangesFound {
            changed: assets.len() as u64 - restored,
            deleted: feed.deleted.len() as u64,
            missing: restored,
        });
        let mut stopped = false;
        if !assets.is_empty() {
            reporter.event(&SyncEvent::AlbumStarted {
                album: ALL_PHOTOS,
                count: Some(assets.len() as u64),
            });
            for asset in assets {
                if pipeline.take(asset).await == Step::Stop {
                    stopped = true;
                    break;
                }
            }
            pipeline.finish().await?;
            reporter.event(&SyncEvent::AlbumFinished { album: ALL_PHOTOS });
        }
        if self.options.auto_delete && !feed.deleted.is_empty() {
            reporter.event(&SyncEvent::AutoDeleteStarted);
        }
        let mut gone: Vec<&AssetId> = Vec::new();
        for id in &feed.deleted {
            if self.deleted(id, pipeline)? {
                gone.push(id);
            }
        }
        let state = &self.recorder.state;
        state.forget_assets(&self.recorder.config, &gone)?;
        if !stopped && !pipeline.stop().is_stopped() && pipeline.is_clean() {
            state.set_all(
                &self.recorder.config,
                &[
                    (key::DB_TOKEN, Some(changes.token.as_str())),
                    (key::ZONE_TOKEN, Some(zone_token.as_str())),
                ],
            )?;
        }
        Ok(Outcome::Done)
    }

    /// Reads the zone's feed from `token` into `feed`; the inner `Err` when only a full
    /// listing can answer. Returns the token to store next.
    async fn read_feed(
        &self,
        token: SyncToken,
        feed: &mut Feed,
    ) -> Result<std::result::Result<SyncToken, FullScanReason>> {
        let mut changes = self.library.changes(Some(token));
        while let Some(item) = changes.next().await {
            match item {
                // The last word on an asset counts: an earlier change of it is dropped.
                Ok(Change::Upserted(asset)) => {
                    let id = asset.id().clone();
                    feed.upserted.remove(&id);
                    feed.deleted.remove(&id);
                    if asset.is_deleted() {
                        feed.deleted.insert(id);
                    } else if !asset.is_hidden() {
                        // (Hidden assets are not in a listing either: their files stay.)
                        feed.upserted.insert(id, asset);
                    }
                    if feed.upserted.len() > MAX_FEED_ASSETS {
                        return Ok(Err(FullScanReason::TooManyChanges));
                    }
                }
                Ok(Change::Deleted(id)) => {
                    feed.upserted.remove(&id);
                    feed.deleted.insert(id);
                }
                Ok(_) => {}
                Err(icloud_photos::Error::InvalidSyncToken { .. }) => {
                    return Ok(Err(FullScanReason::TokenRefused));
                }
                Err(icloud_photos::Error::Decode(e)) => feed.bad.push(e.to_string()),
                Err(icloud_photos::Error::NotFound { .. }) => {
                    return Ok(Err(FullScanReason::LibraryChanged));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(changes.next_token().ok_or(FullScanReason::TokenRefused))
    }

    /// Looks up the assets of missing files and adds those still in the library's listing to
    /// `assets`. Those definitely gone from it (purged, hidden, in Recently Deleted) are
    /// forgotten; those that could not be read fail, and stay recorded for the next run.
    /// Returns how many were added.
    async fn restore(
        &self,
        lookups: &[(AssetId, String)],
        assets: &mut Vec<Asset>,
        pipeline: &Pipeline,
    ) -> Result<u64> {
        if lookups.is_empty() {
            return Ok(0);
        }
        let mut gone: Vec<AssetId> = Vec::new();
        let mut added = 0;
        for found in self.library.lookup(lookups).await? {
            match found {
                Lookup::Found(asset) if !asset.is_deleted() && !asset.is_hidden() => {
                    assets.push(asset);
                    added += 1;
                }
                Lookup::Found(asset) => gone.push(asset.id().clone()),
                Lookup::Gone(id) => gone.push(id),
                Lookup::Failed(id, e) => pipeline.update(|r| {
                    r.failed.push(AssetFailure {
                        name: id.to_string(),
                        path: None,
                        error: format!(
                            "a file of it is missing, and it could not be looked up: {e}"
                        ),
                    });
                }),
                _ => {}
            }
        }
        let gone: Vec<&AssetId> = gone.iter().collect();
        self.recorder
            .state
            .forget_assets(&self.recorder.config, &gone)?;
        Ok(added)
    }

    /// An asset the feed reports deleted (Recently Deleted, or purged): with `--auto-delete`
    /// its recorded files are removed, unless this program moved it there itself. Returns
    /// whether the state may forget it (a file that could not be removed keeps it, and the
    /// failure keeps the token, so the next run tries again).
    fn deleted(&self, id: &AssetId, pipeline: &Pipeline) -> Result<bool> {
        let recorder = self.recorder;
        let state = &recorder.state;
        if !self.options.auto_delete || state.was_deleted_by_us(id)? {
            return Ok(true);
        }
        let mut done = true;
        for row in state.files_of(&recorder.config, id)? {
            done &= remove_recorded(&row, pipeline, self.reporter);
        }
        Ok(done)
    }
}

/// The name the whole library goes by in events.
const ALL_PHOTOS: &str = "All Photos";

/// What the feed said, by asset.
#[derive(Default)]
struct Feed {
    upserted: HashMap<AssetId, Asset>,
    deleted: HashSet<AssetId>,
    /// Records that could not be decoded.
    bad: Vec<String>,
}

/// Removes a recorded file (and its XMP sidecar) if it is still the file recorded: a file of
/// another size at that path is someone else's and stays. Returns `false` when a removal
/// failed (reported).
pub(crate) fn remove_recorded(row: &FileRow, pipeline: &Pipeline, reporter: &dyn Reporter) -> bool {
    let Ok(meta) = std::fs::metadata(&row.path) else {
        return true;
    };
    if !meta.is_file() || meta.len() != row.disk_size {
        return true;
    }
    let mut sidecar = row.path.clone().into_os_string();
    sidecar.push(".xmp");
    let mut done = true;
    for path in [row.path.clone(), PathBuf::from(sidecar)] {
        if !path.is_file() {
            continue;
        }
        reporter.event(&SyncEvent::LocalDeleting { path: &path });
        match std::fs::remove_file(&path) {
            Ok(()) => {
                reporter.event(&SyncEvent::LocalDeleted { path: &path });
                pipeline.update(|r| r.deleted_locally += 1);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                done = false;
                pipeline.update(|r| {
                    r.failed.push(AssetFailure {
                        name: path.display().to_string(),
                        path: Some(path.clone()),
                        error: format!("could not delete it: {e}"),
                    });
                });
            }
        }
    }
    done
}

/// Whether the library changed, while a full listing that began at `began` (with `tokens`
/// taken just before) ran, in a way that may have moved assets past it: ranks shift when
/// assets are deleted (other than by this program, whose deletions the listing makes up for)
/// or when an older asset changes (its date may have moved it). New assets only push the others
/// further back, where the listing still finds them. Any doubt (an error, too many changes)
/// counts as changed.
pub(crate) async fn disturbed(
    photos: &PhotosClient,
    library: &Library,
    recorder: &Recorder,
    tokens: &Tokens,
    began: SystemTime,
) -> bool {
    let changes = match photos
        .database_changes(library.database(), Some(&tokens.db))
        .await
    {
        Ok(changes) => changes,
        Err(_) => return true,
    };
    match changes.zones.iter().find(|z| z.name == library.name()) {
        None => return false,
        Some(zone) if zone.deleted => return true,
        Some(_) => {}
    }
    let older = time::OffsetDateTime::from(began.checked_sub(CLOCK_MARGIN).unwrap_or(began));
    let mut feed = library.changes(Some(tokens.zone.clone()));
    let mut seen = 0usize;
    while let Some(item) = feed.next().await {
        seen += 1;
        let moved = match item {
            Ok(Change::Deleted(id)) => !recorder.state.was_deleted_by_us(&id).unwrap_or(false),
            Ok(Change::Upserted(asset)) => asset.added_date().is_none_or(|added| added < older),
            Ok(_) => false,
            Err(_) => true,
        };
        if moved || seen > MAX_FEED_ASSETS {
            return true;
        }
    }
    false
}

/// Stores what a clean full listing leaves for the next run: the tokens taken before it,
/// when it ended, and the library. A `disturbed` listing keeps no end time, so that the next
/// run lists again.
pub(crate) fn finish_full_scan(
    recorder: &Recorder,
    tokens: Option<&Tokens>,
    library: &Library,
    disturbed: bool,
) -> Result<()> {
    let now = unix_now().to_string();
    let handle = library.handle().to_text();
    let mut pairs = vec![(key::LIBRARY, Some(handle.as_str()))];
    if disturbed {
        pairs.push((key::LAST_FULL_SCAN, None));
        pairs.push((key::RELIST, Some("1")));
    } else {
        pairs.push((key::LAST_FULL_SCAN, Some(now.as_str())));
        pairs.push((key::RELIST, None));
    }
    pairs.push((key::DB_TOKEN, tokens.map(|t| t.db.as_str())));
    pairs.push((key::ZONE_TOKEN, tokens.map(|t| t.zone.as_str())));
    recorder.state.set_all(&recorder.config, &pairs)?;
    recorder
        .state
        .set_all(ACCOUNT, &[(key::LIBRARY, Some(handle.as_str()))])?;
    recorder.state.listed();
    recorder.state.prune(&recorder.config)
}
