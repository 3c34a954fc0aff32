//! Incremental runs: which runs may ask Apple only for what changed, and the run that does.
//!
//! A run is incremental when a [`SyncState`] holds tokens for the very configuration of this
//! run (the fingerprint of [`configuration`]) from a full listing less than
//! [`crate::DEFAULT_FULL_SCAN_INTERVAL`] ago (by default). It then
//!
//! 1. checks every file the state records (a `stat` each) and notes the assets with a file
//!    missing or changed in size;
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
//! run keeps in memory) makes the run fall back to a full listing.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use futures_util::StreamExt;
use icloud_photos::{Asset, AssetId, Change, Library, PhotosClient, SyncToken};

use super::pipeline::{Pipeline, Recorder, Step};
use crate::error::{Error, Result};
use crate::options::{DateBound, SyncOptions};
use crate::report::{FullScanReason, Reporter, SyncEvent};
use crate::state::{ACCOUNT, FileRow, SyncState, key, unix_now};

/// Changed assets a run holds in memory before it prefers a full listing (which streams).
pub(crate) const MAX_FEED_ASSETS: usize = 20_000;

/// The version of the planning rules in [`configuration`]: a build that names or places
/// files differently bumps it, and every state starts with a full listing.
const PLAN_RULES: u32 = 1;

/// The canonical text of everything that shapes the plan of `options` for `library`: two
/// runs with the same text put the same files at the same paths. Download tuning (concurrency,
/// retries) and the directory (part of the state's file name) are left out.
pub(crate) fn configuration(options: &SyncOptions, library: &Library) -> String {
    let o = options;
    // Folder names come from local time: a machine moved to another time zone plans anew.
    let offsets: Vec<i32> = ["2020-01-01T00:00:00Z", "2020-07-01T00:00:00Z"]
        .iter()
        .filter_map(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
        .map(|t| t.with_timezone(&chrono::Local).offset().local_minus_utc())
        .collect();
    format!(
        "rules={PLAN_RULES}\nlibrary={}\nsizes={:?}\nlive={:?}\nforce_size={}\nalign_raw={:?}\n\
         match={:?}\nlive_mov={:?}\nfolders={:?}\ntime_names={:?}\nunicode={}\nskip_videos={}\n\
         skip_photos={}\nskip_live={}\nbefore={:?}\nafter={:?}\nexif={}\nxmp={}\n\
         auto_delete={}\nkeep_days={:?}\ntz={offsets:?}",
        format_args!("{} {}", library.database().as_str(), library.name()),
        o.sizes,
        o.live_photo_size,
        o.force_size,
        o.align_raw,
        o.file_match_policy,
        o.live_mov_policy,
        o.folder_structure,
        o.time_names,
        o.keep_unicode_in_filenames,
        o.skip_videos,
        o.skip_photos,
        o.skip_live_photos,
        o.skip_created_before,
        o.skip_created_after,
        o.set_exif_datetime,
        o.xmp_sidecar,
        o.auto_delete,
        o.keep_icloud_recent_days,
    )
}

/// Whether runs with `options` list the whole library and write: only those keep the state.
pub(crate) fn records(options: &SyncOptions) -> bool {
    options.albums.is_empty()
        && options.recent.is_none()
        && options.until_found.is_none()
        && !options.dry_run
        && !options.only_print_filenames
}

/// Why runs with `options` cannot use the change feed although they keep the state, if so:
/// `--keep-icloud-recent-days` must see every asset grow old, and a relative
/// `--skip-created-*` bound moves with time, so unchanged assets enter or leave the range.
pub(crate) fn feed_unusable(options: &SyncOptions) -> Option<FullScanReason> {
    let relative = |b: &Option<DateBound>| matches!(b, Some(DateBound::DaysAgo(_)));
    (options.keep_icloud_recent_days.is_some()
        || relative(&options.skip_created_before)
        || relative(&options.skip_created_after))
    .then_some(FullScanReason::OptionsNeedListing)
}

/// How an incremental run ended.
pub(crate) enum Outcome {
    /// It ran (its failures, if any, are in the report).
    Done,
    /// The feed cannot answer: list the whole library.
    FullScan(FullScanReason),
}

/// The stored tokens an incremental run starts from.
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
    pub(crate) async fn run(&self, tokens: Tokens, pipeline: &mut Pipeline) -> Result<Outcome> {
        let reporter = self.reporter;
        reporter.event(&SyncEvent::ListingChanges);
        let missing = self.missing_files().await?;
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
        let zone_changed = changes.zones.iter().any(|z| z.name == self.library.name());
        let mut feed = Feed::default();
        let zone_token = if zone_changed {
            match self.read_feed(tokens.zone, &mut feed).await? {
                Ok(token) => token,
                Err(reason) => return Ok(Outcome::FullScan(reason)),
            }
        } else {
            tokens.zone
        };
        // Files missing on disk of assets the feed did not mention: look them up.
        let lookups: Vec<(AssetId, String)> = missing
            .into_iter()
            .filter(|(id, _)| !feed.upserted.contains_key(id) && !feed.deleted.contains(id))
            .collect();
        // Undecodable records fail like in a listing (and keep the token from advancing).
        for error in feed.bad {
            pipeline.bad_record(error);
        }
        let mut assets: Vec<Asset> = feed.upserted.into_values().collect();
        let restored = self.restore(&lookups, &mut assets, pipeline).await?;
        // Newest first, as a listing: the first of two same-named files keeps the plain name.
        assets.sort_by_key(|a| std::cmp::Reverse(a.asset_date()));
        reporter.event(&SyncEvent::ChangesFound {
            changed: assets.len() as u64 - restored,
            deleted: feed.deleted.len() as u64,
            missing: restored,
        });
        let scope = crate::select::Selection::new(self.options).scope();
        let mut stopped = false;
        if !assets.is_empty() {
            reporter.event(&SyncEvent::AlbumStarted {
                album: ALL_PHOTOS,
                count: Some(assets.len() as u64),
                sizes: &self.options.sizes,
                scope,
                directory: &self.options.directory,
            });
            for asset in assets {
                if pipeline.take(asset).await == Step::Stop {
                    stopped = true;
                    break;
                }
            }
            pipeline.finish().await?;
            reporter.event(&SyncEvent::AlbumFinished {
                album: ALL_PHOTOS,
                scope,
            });
        }
        if self.options.auto_delete && !feed.deleted.is_empty() {
            reporter.event(&SyncEvent::AutoDeleteStarted);
        }
        for id in &feed.deleted {
            self.deleted(id, pipeline)?;
        }
        let gone: Vec<&AssetId> = feed.deleted.iter().collect();
        self.recorder
            .state
            .forget_assets(&self.recorder.config, &gone)?;
        let clean = !stopped && pipeline_clean(pipeline);
        if clean {
            self.recorder.state.set_all(
                &self.recorder.config,
                &[
                    (key::DB_TOKEN, Some(changes.token.as_str())),
                    (key::ZONE_TOKEN, Some(zone_token.as_str())),
                ],
            )?;
        }
        Ok(Outcome::Done)
    }

    /// Returns the assets with a recorded file that is gone or changed in size (`stat`s on a
    /// blocking thread).
    async fn missing_files(&self) -> Result<Vec<(AssetId, String)>> {
        let state = std::sync::Arc::clone(&self.recorder.state);
        let config = self.recorder.config.clone();
        tokio::task::spawn_blocking(move || {
            let rows = state.files(&config)?;
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for row in rows {
                // As the planner sees files: through links.
                let intact = std::fs::metadata(&row.path)
                    .is_ok_and(|m| m.is_file() && m.len() == row.disk_size);
                if !intact && seen.insert(row.asset.clone()) {
                    out.push((AssetId::new(row.asset), row.master));
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| Error::State {
            path: self.recorder.state.path().to_path_buf(),
            reason: e.to_string(),
        })?
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
                Ok(Change::Upserted(asset)) => {
                    // Hidden assets are not in the library's listing either: left as they are.
                    if asset.is_hidden() || asset.is_deleted() {
                        continue;
                    }
                    feed.deleted.remove(asset.id());
                    feed.upserted.insert(asset.id().clone(), asset);
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
    /// `assets`; the others (purged, hidden, in Recently Deleted) are forgotten. Returns how
    /// many were added.
    async fn restore(
        &self,
        lookups: &[(AssetId, String)],
        assets: &mut Vec<Asset>,
        pipeline: &Pipeline,
    ) -> Result<u64> {
        if lookups.is_empty() {
            return Ok(0);
        }
        let found = self.library.lookup(lookups).await?;
        let mut present = HashSet::new();
        let mut added = 0;
        for item in found {
            match item {
                // Hidden or in Recently Deleted: not in the library's listing either.
                Ok(asset) if !asset.is_deleted() && !asset.is_hidden() => {
                    present.insert(asset.id().clone());
                    assets.push(asset);
                    added += 1;
                }
                Ok(_) => {}
                Err(icloud_photos::Error::Decode(e)) => pipeline.bad_record(e.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
        let recorder = self.recorder;
        for (id, _) in lookups {
            if !present.contains(id) {
                recorder.state.forget_asset(&recorder.config, id)?;
            }
        }
        Ok(added)
    }

    /// An asset the feed reports deleted (Recently Deleted, or purged): with `--auto-delete`
    /// its recorded files are removed, unless this program moved it there itself. (The state
    /// forgets it either way, afterwards.)
    fn deleted(&self, id: &AssetId, pipeline: &Pipeline) -> Result<()> {
        let recorder = self.recorder;
        let state: &SyncState = &recorder.state;
        if self.options.auto_delete && !state.was_deleted_by_us(id)? {
            for row in state.files_of(&recorder.config, id)? {
                remove_recorded(&row, pipeline, self.reporter);
            }
        }
        Ok(())
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

/// Whether the run so far has no failure.
fn pipeline_clean(pipeline: &Pipeline) -> bool {
    let mut clean = false;
    pipeline.update(|r| clean = r.failed.is_empty());
    clean
}

/// Removes a recorded file (and its XMP sidecar) if it is still the file recorded: a file of
/// another size at that path is someone else's and stays.
pub(crate) fn remove_recorded(row: &FileRow, pipeline: &Pipeline, reporter: &dyn Reporter) {
    let Ok(meta) = std::fs::symlink_metadata(&row.path) else {
        return;
    };
    if !meta.is_file() || meta.len() != row.disk_size {
        return;
    }
    let mut sidecar = row.path.clone().into_os_string();
    sidecar.push(".xmp");
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
            Err(e) => pipeline.update(|r| {
                r.failed.push(crate::AssetFailure {
                    name: path.display().to_string(),
                    path: Some(path.clone()),
                    error: format!("could not delete it: {e}"),
                });
            }),
        }
    }
}

/// Stores what a clean full listing leaves for the next run: the tokens taken before it,
/// when it ended, and the library.
pub(crate) fn finish_full_scan(
    recorder: &Recorder,
    tokens: Option<&Tokens>,
    library: &Library,
) -> Result<()> {
    let now = unix_now().to_string();
    let handle = library.handle().to_text();
    let mut pairs = vec![
        (key::LAST_FULL_SCAN, Some(now.as_str())),
        (key::LIBRARY, Some(handle.as_str())),
    ];
    match tokens {
        Some(t) => {
            pairs.push((key::DB_TOKEN, Some(t.db.as_str())));
            pairs.push((key::ZONE_TOKEN, Some(t.zone.as_str())));
        }
        None => {
            pairs.push((key::DB_TOKEN, None));
            pairs.push((key::ZONE_TOKEN, None));
        }
    }
    recorder.state.set_all(&recorder.config, &pairs)?;
    recorder
        .state
        .set_all(ACCOUNT, &[(key::LIBRARY, Some(handle.as_str()))])?;
    recorder.state.listed();
    recorder.state.prune(&recorder.config)
}
