//! Full listings: the albums (the whole library without `--album`) listed into the pipeline,
//! `--auto-delete` from Recently Deleted, and going on after an expired session.
//!
//! A whole-library listing interrupted by an expired session goes on, at the next
//! [`SyncEngine::run_into`], one page before where it stopped: assets added meanwhile push the
//! old ones down, deleted ones pull them up. The last asset taken before the interruption is
//! the anchor: an attempt that gets further without meeting it again may have skipped assets,
//! and the state then keeps no tokens, so the next run lists everything again.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use futures_util::StreamExt;
use icloud_photos::{Album, AssetId, ListOptions};

use super::incremental::{self, Tokens};
use super::pipeline::{Pipeline, Step};
use super::{SyncEngine, scope};
use crate::disk::dated_by_us;
use crate::error::{Error, Result};
use crate::options::RunMode;
use crate::outcome::SyncReport;
use crate::report::{FullScanReason, SyncEvent};

/// The name of the smart folder `--auto-delete` reads.
const RECENTLY_DELETED: &str = "Recently Deleted";

/// Where a whole-library listing interrupted by an expired session had got to.
pub(super) struct Resume {
    /// The furthest rank an attempt reached.
    rank: u64,
    /// The last asset that attempt took.
    anchor: Option<AssetId>,
    /// An attempt got further without meeting the anchor of the one before: assets may have
    /// been skipped.
    lost: bool,
    /// Every album was listed; only `--auto-delete` is left.
    listed: bool,
    /// The tokens taken before the first attempt.
    tokens: Option<Tokens>,
    /// When the first attempt began.
    began: SystemTime,
    /// An asset failed in an earlier attempt (the state then keeps no tokens).
    failed: bool,
}

/// How far a failed listing got.
enum Progress {
    /// Not as far as the whole-library listing (or it was not one).
    Nowhere,
    /// The whole-library listing reached `rank`, having taken `last` and met the anchor or not.
    At {
        rank: u64,
        last: Option<AssetId>,
        met: bool,
    },
    /// Every album was listed.
    Listed,
}

impl SyncEngine {
    /// A full listing (continuing `resume` when given); on a clean end it leaves the state
    /// ready for incremental runs.
    pub(super) async fn full(
        &self,
        reason: FullScanReason,
        resume: Option<Resume>,
        pipeline: &mut Pipeline,
        report: &Arc<Mutex<SyncReport>>,
    ) -> Result<()> {
        self.reporter.event(&SyncEvent::ListingAll { reason });
        let recorder = pipeline.recorder().cloned();
        let mut at = match resume {
            Some(at) => at,
            None => {
                // Taken before the listing, so that what changes during it is read next time.
                let wanted = recorder.is_some() && scope::feed_unusable(&self.options).is_none();
                Resume {
                    rank: 0,
                    anchor: None,
                    lost: false,
                    listed: false,
                    tokens: if wanted { self.tokens().await? } else { None },
                    began: SystemTime::now(),
                    failed: false,
                }
            }
        };
        let start = at.rank.saturating_sub(self.photos.page_size() as u64);
        if at.rank > 0 && !at.listed {
            self.reporter
                .event(&SyncEvent::ListingResumed { rank: start });
        }
        let failed_in =
            |report: &Arc<Mutex<SyncReport>>| report.lock().map_or(true, |r| !r.failed.is_empty());
        match self
            .run_albums(pipeline, start, at.anchor.as_ref(), at.listed)
            .await
        {
            // Stopped on request: nothing is complete, the next run goes on.
            Ok(_) if self.stop.is_stopped() => Err(Error::Cancelled),
            Ok(met) => {
                let lost = at.lost || (at.anchor.is_some() && !met && !at.listed);
                let clean = !lost && !at.failed && !failed_in(report);
                if let (Some(recorder), true) = (&recorder, clean) {
                    let disturbed = match &at.tokens {
                        Some(tokens) => {
                            incremental::disturbed(
                                &self.photos,
                                &self.library,
                                recorder,
                                tokens,
                                at.began,
                            )
                            .await
                        }
                        None => false,
                    };
                    incremental::finish_full_scan(
                        recorder,
                        at.tokens.as_ref(),
                        &self.library,
                        disturbed,
                    )?;
                }
                Ok(())
            }
            Err((e, progress)) => {
                if e.needs_reauth() {
                    at.failed |= failed_in(report);
                    match progress {
                        Progress::Nowhere => {}
                        Progress::Listed => at.listed = true,
                        Progress::At { rank, last, met } if rank > at.rank => {
                            at.lost |= at.anchor.is_some() && !met;
                            at.rank = rank;
                            at.anchor = last.or(at.anchor);
                        }
                        // Not further than before: the place and anchor of the furthest
                        // attempt hold, and are checked again.
                        Progress::At { .. } => {}
                    }
                    *self.resume.lock().unwrap_or_else(PoisonError::into_inner) = Some(at);
                }
                Err(e)
            }
        }
    }

    /// The database and library tokens as they are now, when Apple gives both.
    async fn tokens(&self) -> Result<Option<Tokens>> {
        let changes = self
            .photos
            .database_changes(self.library.database(), None)
            .await?;
        let zone = changes
            .zones
            .into_iter()
            .find(|z| z.name == self.library.name() && !z.deleted)
            .and_then(|z| z.token);
        Ok(zone.map(|zone| Tokens {
            db: changes.token,
            zone,
        }))
    }

    /// Lists the albums (the whole library without `--album`; it from rank `start`) unless
    /// `listed`, then runs `--auto-delete`. Returns whether the listing met `anchor`; on
    /// failure, how far it got.
    async fn run_albums(
        &self,
        pipeline: &mut Pipeline,
        start: u64,
        anchor: Option<&AssetId>,
        listed: bool,
    ) -> std::result::Result<bool, (Error, Progress)> {
        let options = &self.options;
        let whole = options.albums.is_empty() && options.recent.is_none();
        let mut met = anchor.is_none();
        if !listed {
            met |= self.list_albums(pipeline, start, anchor, whole).await?;
        }
        if options.auto_delete && options.mode != RunMode::OnlyPrintFilenames {
            let progress = if whole {
                Progress::Listed
            } else {
                Progress::Nowhere
            };
            self.auto_delete(pipeline)
                .await
                .map_err(|e| (e, progress))?;
        }
        Ok(met)
    }

    /// Lists the albums into the pipeline; returns whether the whole-library listing met
    /// `anchor`.
    async fn list_albums(
        &self,
        pipeline: &mut Pipeline,
        start: u64,
        anchor: Option<&AssetId>,
        whole: bool,
    ) -> std::result::Result<bool, (Error, Progress)> {
        let options = &self.options;
        self.reporter.event(&SyncEvent::LookingUp);
        let nowhere = |e: Error| (e, Progress::Nowhere);
        let albums = self.albums().await.map_err(nowhere)?;
        let mut counts = Vec::with_capacity(albums.len());
        for album in &albums {
            counts.push(
                self.library
                    .count(album)
                    .await
                    .map_err(|e| nowhere(e.into()))?,
            );
        }
        let mut met = false;
        for (album, count) in albums.iter().zip(counts) {
            let shown = match (options.until_found, options.recent) {
                (Some(_), _) => None,
                (None, Some(recent)) => Some(recent),
                (None, None) => Some(count),
            };
            self.reporter.event(&SyncEvent::AlbumStarted {
                album: album.name(),
                count: shown,
            });
            pipeline.start_album();
            let start = if whole { start } else { 0 };
            met |= self
                .sync_album(album, count, start, anchor, pipeline)
                .await
                .map_err(|(e, progress)| (e, if whole { progress } else { Progress::Nowhere }))?;
            self.reporter.event(&SyncEvent::AlbumFinished {
                album: album.name(),
            });
        }
        Ok(met)
    }

    async fn albums(&self) -> Result<Vec<Album>> {
        if self.options.albums.is_empty() {
            return Ok(vec![self.library.all_photos()]);
        }
        let mut out = Vec::with_capacity(self.options.albums.len());
        for name in &self.options.albums {
            match self.library.album(name).await {
                Ok(album) => out.push(album),
                Err(icloud_photos::Error::NotFound { .. }) => {
                    return Err(Error::UnknownAlbum(name.clone()));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// Lists `album` from rank `start` into the pipeline; returns whether it met `anchor`. On
    /// failure, also returns how far it got.
    async fn sync_album(
        &self,
        album: &Album,
        count: u64,
        start: u64,
        anchor: Option<&AssetId>,
        pipeline: &mut Pipeline,
    ) -> std::result::Result<bool, (Error, Progress)> {
        let mut list = ListOptions::default()
            .expected_count(count)
            .start_rank(start);
        if let Some(recent) = self.options.recent {
            list = list.limit(recent);
        }
        let mut assets = self.library.assets_with(album, list);
        let mut rank = start;
        let mut last = None;
        let mut met = false;
        let mut fatal = None;
        let stop = pipeline.stop().clone();
        loop {
            let item = tokio::select! {
                item = assets.next() => item,
                () = stop.stopped() => None,
            };
            let Some(item) = item else {
                break;
            };
            match item {
                Ok(asset) => {
                    met |= anchor == Some(asset.id());
                    last = Some(asset.id().clone());
                    if pipeline.take(asset).await == Step::Stop {
                        break;
                    }
                }
                Err(icloud_photos::Error::Decode(e)) => pipeline.bad_record(e.to_string()),
                Err(e) => {
                    fatal = Some(e);
                    break;
                }
            }
            rank += 1;
            self.furthest
                .fetch_max(rank, std::sync::atomic::Ordering::Relaxed);
        }
        // Let the downloads in flight finish, even when the listing failed: their files are
        // complete and a re-run will not fetch them again.
        pipeline
            .finish()
            .await
            .map_err(|e| (e, Progress::Nowhere))?;
        match fatal {
            Some(e) => Err((e.into(), Progress::At { rank, last, met })),
            None => Ok(met),
        }
    }

    /// `--auto-delete`: removes local files of assets in Recently Deleted. Only files whose
    /// size is one of the asset's versions (or that we dated ourselves) are removed, so a
    /// same-named file of another asset survives. With a state, assets this program moved
    /// there itself are left alone; and when the options make this program move assets there
    /// (`--keep-icloud-recent-days`), only files the state recorded are removed, so that a
    /// state lost since cannot make the files of those assets look like anyone's.
    async fn auto_delete(&self, pipeline: &mut Pipeline) -> Result<()> {
        let reporter = self.reporter.as_ref();
        reporter.event(&SyncEvent::AutoDeleteStarted);
        let album = self.library.album(RECENTLY_DELETED).await?;
        let mut assets = self.library.assets(&album);
        let recorder = pipeline.recorder().cloned();
        let recorder = recorder.as_ref();
        // What a dry run or a plan deletes is still there: sidecars go with their media.
        let keeps_media = self.options.mode == RunMode::Download && !pipeline.is_planning();
        let only_recorded =
            self.options.keep_icloud_recent_days.is_some() || self.options.delete_after_download;
        while let Some(item) = assets.next().await {
            if self.stop.is_stopped() {
                break;
            }
            let mut asset = match item {
                Ok(asset) => asset,
                Err(icloud_photos::Error::Decode(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            if let Some(state) = &self.state
                && state.was_deleted_by_us(asset.id())?
            {
                continue;
            }
            if only_recorded {
                let Some(recorder) = recorder else {
                    continue;
                };
                let mut done = true;
                for row in recorder.state.files_of(&recorder.config, asset.id())? {
                    done &= incremental::remove_recorded(&row, pipeline, reporter);
                }
                if done {
                    recorder.state.forget_asset(&recorder.config, asset.id())?;
                }
                continue;
            }
            asset.align_raw(self.options.align_raw);
            let created = crate::select::created_local(&asset, &self.options.time_zone);
            let policy = pipeline.planner().policy();
            let folder = policy.folder(&created);
            let names = policy.auto_delete_names(&asset, &self.options.sizes);
            let sizes: Vec<u64> = asset.versions().values().map(|v| v.size()).collect();
            for name in names {
                let path = folder.join(&name);
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                if !meta.is_file() {
                    continue;
                }
                let sidecar = name.ends_with(".xmp");
                let ours = sizes.contains(&meta.len()) || dated_by_us(&path, &meta, &created);
                if sidecar {
                    let media = folder.join(name.trim_end_matches(".xmp"));
                    if media.exists() && keeps_media {
                        continue;
                    }
                } else if !ours {
                    continue;
                }
                if !pipeline.plan_deletion(asset.id(), &path) {
                    self.delete_local(&path, pipeline)?;
                }
            }
            if let Some(recorder) = recorder {
                recorder.state.forget_asset(&recorder.config, asset.id())?;
            }
        }
        Ok(())
    }

    /// Deletes one local file (reports it under [`RunMode::DryRun`]).
    pub(super) fn delete_local(&self, path: &Path, pipeline: &Pipeline) -> Result<()> {
        if self.options.mode == RunMode::DryRun {
            self.reporter.event(&SyncEvent::WouldDeleteLocal { path });
            return Ok(());
        }
        self.reporter.event(&SyncEvent::LocalDeleting { path });
        match std::fs::remove_file(path) {
            Ok(()) => {
                self.reporter.event(&SyncEvent::LocalDeleted { path });
                pipeline.update(|r| r.deleted_locally += 1);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}
