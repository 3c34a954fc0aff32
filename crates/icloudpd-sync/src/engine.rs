//! The sync: choose how to look at the library (its change feed, or a full listing), then take
//! each asset through the [`Pipeline`] with bounded concurrency.
//!
//! A full listing plans in listing order on one task (so names, de-duplication and
//! `--until-found` are exactly icloudpd's); each asset's downloads then run on their own task,
//! at most `concurrency` assets at a time. The listing waits for a free slot, so memory stays
//! bounded whatever the library size, and the first download starts as soon as the first page
//! is in. An incremental run (see [`incremental`]) asks only for what changed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use icloud_photos::{Album, AssetId, Library, ListOptions, PhotosClient};

use crate::disk::RunMarker;
use crate::error::{Error, Result};
use crate::execute::{Fetcher, dated_by_us};
use crate::options::SyncOptions;
use crate::report::{FullScanReason, NoopReporter, Reporter, SyncEvent, SyncReport};
use crate::state::SyncState;

mod incremental;
mod pipeline;

use incremental::{Incremental, Outcome, Tokens};
use pipeline::{Pipeline, Recorder, Step};

/// The name of the smart folder `--auto-delete` reads.
const RECENTLY_DELETED: &str = "Recently Deleted";

/// How often a run with a [`SyncState`] lists the whole library even though the change feed
/// could answer: every 7 days. The feed is the fast path, the listing the check of it. It
/// catches what a feed cannot tell (a file changed on disk to the same size, a change Apple
/// never put in the feed) and keeps the tokens young; for 100k assets it costs about 500
/// requests a week, next to the 2 of each run without changes.
pub const DEFAULT_FULL_SCAN_INTERVAL: Duration = Duration::from_secs(7 * 86_400);

/// One sync of one library into a directory.
///
/// ```no_run
/// # async fn demo(session: icloud_auth::Session) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
///
/// use icloud_photos::PhotosClient;
/// use icloudpd_sync::{SyncEngine, SyncOptions, SyncState};
///
/// let photos = PhotosClient::new(&session)?;
/// let library = photos.primary().await?;
/// let name = SyncState::file_name("jdoe@example.com", library.name(), "/srv/photos".as_ref());
/// let state = Arc::new(SyncState::open(format!("/var/lib/photos/{name}"))?);
/// let report = SyncEngine::new(photos, library, SyncOptions::new("/srv/photos"))
///     .state(state)
///     .run()
///     .await?;
/// let (downloaded, failed) = (report.downloaded, report.failed.len());
/// # Ok(()) }
/// ```
pub struct SyncEngine {
    photos: PhotosClient,
    library: Library,
    /// Shared with every asset's download task.
    options: Arc<SyncOptions>,
    reporter: Arc<dyn Reporter>,
    state: Option<Arc<SyncState>>,
    force_full_scan: bool,
    full_scan_interval: Duration,
    /// Where the listing an expired session interrupted stopped, for the next run.
    resume: Mutex<Option<Resume>>,
    /// Files downloaded by the runs of this engine.
    downloaded: AtomicU64,
    /// The furthest rank a listing of this engine reached.
    furthest: AtomicU64,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("library", &self.library.name())
            .field("options", &self.options)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// A listing interrupted by an expired session. It goes on one page before where it stopped:
/// assets added meanwhile push the old ones down, deleted ones pull them up. Unless it meets
/// the last asset taken before the interruption again, the shift was larger and the state
/// keeps no tokens: the next run lists everything again.
struct Resume {
    /// The rank it had reached.
    rank: u64,
    /// The last asset it took.
    anchor: Option<AssetId>,
    /// The tokens taken before it began.
    tokens: Option<Tokens>,
    /// Whether an asset failed before the interruption (the state then keeps no tokens).
    failed: bool,
}

/// Where an interrupted listing had got to: the rank, and the last asset it took.
type Reached = (u64, Option<AssetId>);

/// How a run looks at the library.
enum Scan {
    Incremental(Tokens),
    Full(FullScanReason),
}

impl SyncEngine {
    /// A sync of `library` with `options`.
    pub fn new(photos: PhotosClient, library: Library, options: SyncOptions) -> SyncEngine {
        SyncEngine {
            photos,
            library,
            options: Arc::new(options),
            reporter: Arc::new(NoopReporter),
            state: None,
            force_full_scan: false,
            full_scan_interval: DEFAULT_FULL_SCAN_INTERVAL,
            resume: Mutex::new(None),
            downloaded: AtomicU64::new(0),
            furthest: AtomicU64::new(0),
        }
    }

    /// Sends events to `reporter`.
    #[must_use]
    pub fn reporter(mut self, reporter: Arc<dyn Reporter>) -> SyncEngine {
        self.reporter = reporter;
        self
    }

    /// Keeps what runs put on disk in `state`, so that later runs ask Apple only for what
    /// changed (see [`SyncState`]). Runs that do not mirror the whole library or do not
    /// write (albums, `recent`, `until_found`, `dry_run`, `only_print_filenames`) list as
    /// without a state and leave its files and tokens alone.
    ///
    /// With a state, `auto_delete` never removes the files of assets this program moved to
    /// Recently Deleted itself, so it may be combined with `keep_icloud_recent_days`
    /// ([`SyncOptions::check_safety_with_state`]).
    #[must_use]
    pub fn state(mut self, state: Arc<SyncState>) -> SyncEngine {
        self.state = Some(state);
        self
    }

    /// Lists the whole library this time even if the change feed could answer (`--full-scan`).
    #[must_use]
    pub fn full_scan(mut self, yes: bool) -> SyncEngine {
        self.force_full_scan = yes;
        self
    }

    /// Lists the whole library when the last full listing is older than `interval` (default
    /// [`DEFAULT_FULL_SCAN_INTERVAL`]).
    #[must_use]
    pub fn full_scan_interval(mut self, interval: Duration) -> SyncEngine {
        self.full_scan_interval = interval;
        self
    }

    /// Returns the library this engine mirrors.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// Continues with another session's client (after signing in again when the session
    /// expired), without asking Apple anything: the next [`SyncEngine::run_into`] goes on
    /// where the interrupted one stopped.
    pub fn rebind(&mut self, photos: PhotosClient) {
        self.library = self.library.rebind(&photos);
        self.photos = photos;
    }

    /// Returns a number that grows whenever a run of this engine gets further: files
    /// downloaded, and the furthest rank a listing reached. A caller that signs in again after
    /// each expired session can stop once it no longer grows.
    pub fn progress(&self) -> u64 {
        self.downloaded.load(Ordering::Relaxed) + self.furthest.load(Ordering::Relaxed)
    }

    /// Runs the sync. `Err` means the run could not go on (listing failed, session expired,
    /// unknown album); downloads in flight are finished first, so a re-run continues where
    /// this one stopped. Per-asset failures are in the report.
    ///
    /// # Errors
    ///
    /// [`Error::Unsafe`] before anything happens when the options could delete in iCloud what
    /// is not kept; [`Error::Photos`] when Apple failed (see [`Error::needs_reauth`]);
    /// [`Error::UnknownAlbum`], [`Error::Disk`], [`Error::State`], [`Error::Io`] as they say.
    pub async fn run(&self) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        self.run_into(&mut report).await?;
        Ok(report)
    }

    /// Runs the sync, adding its counts to `total` even when it fails: a caller that signs
    /// in again, [`SyncEngine::rebind`]s and runs again after an expired session keeps one
    /// report for the whole job, and the listing goes on where it stopped.
    ///
    /// # Errors
    ///
    /// As [`SyncEngine::run`].
    pub async fn run_into(&self, total: &mut SyncReport) -> Result<()> {
        let started = Instant::now();
        let report = Arc::new(Mutex::new(SyncReport::default()));
        let result = self.run_with(&report).await;
        if !result.as_ref().is_err_and(Error::needs_reauth) {
            *self.resume.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
        let mut done = report.lock().map(|r| r.clone()).unwrap_or_default();
        done.elapsed = started.elapsed();
        self.downloaded
            .fetch_add(done.downloaded, Ordering::Relaxed);
        total.merge(done);
        result
    }

    async fn run_with(&self, report: &Arc<Mutex<SyncReport>>) -> Result<()> {
        let options = &self.options;
        let safe = match self.state {
            Some(_) => options.check_safety_with_state(),
            None => options.check_safety(),
        };
        safe.map_err(Error::Unsafe)?;
        let writes = !options.dry_run && !options.only_print_filenames;
        let marker = writes.then(|| RunMarker::begin(&options.directory));
        let recorder = self.recorder();
        let fetcher = Fetcher::new(
            self.photos.clone(),
            self.library.clone(),
            options,
            self.reporter.clone(),
        );
        let mut pipeline = Pipeline::new(
            fetcher,
            Arc::clone(&self.options),
            recorder.clone(),
            Arc::clone(report),
        );
        let resume = self
            .resume
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let resumed = resume.is_some();
        let scan = match resume {
            Some(_) => Scan::Full(FullScanReason::Resumed),
            None => self.choose(recorder.as_ref())?,
        };
        let reason = match (scan, &recorder) {
            (Scan::Incremental(tokens), Some(recorder)) => {
                let run = Incremental {
                    photos: &self.photos,
                    library: &self.library,
                    options,
                    reporter: self.reporter.as_ref(),
                    recorder,
                };
                match run.run(tokens, &mut pipeline).await? {
                    Outcome::Done => None,
                    Outcome::FullScan(reason) => Some(reason),
                }
            }
            (Scan::Incremental(_), None) => Some(FullScanReason::NoState),
            (Scan::Full(reason), _) => Some(reason),
        };
        if let Some(reason) = reason {
            self.full(reason, resume, &mut pipeline, report).await?;
        }
        // A clean pass over the whole library: what interrupted runs left behind is orphaned.
        let whole =
            options.albums.is_empty() && options.recent.is_none() && options.until_found.is_none();
        let clean = report.lock().is_ok_and(|r| r.failed.is_empty());
        if let (Some(marker), true, true, false) = (marker, whole, clean, resumed) {
            for path in marker.finish_clean() {
                self.reporter.event(&SyncEvent::TempRemoved { path: &path });
            }
        }
        Ok(())
    }

    /// Where this run records what it puts on disk, if it keeps the state.
    fn recorder(&self) -> Option<Recorder> {
        let state = self.state.as_ref()?;
        incremental::records(&self.options).then(|| Recorder {
            state: Arc::clone(state),
            config: crate::state::fingerprint(&incremental::configuration(
                &self.options,
                &self.library,
            )),
        })
    }

    /// Chooses between the change feed and a full listing.
    fn choose(&self, recorder: Option<&Recorder>) -> Result<Scan> {
        let Some(recorder) = recorder else {
            return Ok(Scan::Full(match self.state {
                Some(_) => FullScanReason::NotWholeLibrary,
                None => FullScanReason::NoState,
            }));
        };
        if let Some(reason) = incremental::feed_unusable(&self.options) {
            return Ok(Scan::Full(reason));
        }
        let state = &recorder.state;
        let config = recorder.config.as_str();
        if state.is_new() {
            return Ok(Scan::Full(FullScanReason::NewState));
        }
        if self.force_full_scan {
            return Ok(Scan::Full(FullScanReason::Forced));
        }
        let Some((db, zone)) = state.tokens(config)? else {
            return Ok(Scan::Full(FullScanReason::NewConfiguration));
        };
        let due = match state.last_full_scan(config)? {
            Some(at) => SystemTime::now()
                .duration_since(at)
                .is_ok_and(|age| age >= self.full_scan_interval),
            None => true,
        };
        if due {
            return Ok(Scan::Full(FullScanReason::Due));
        }
        Ok(Scan::Incremental(Tokens { db, zone }))
    }

    /// A full listing (continuing `resume` when given); on a clean end it leaves the state
    /// ready for incremental runs.
    async fn full(
        &self,
        reason: FullScanReason,
        resume: Option<Resume>,
        pipeline: &mut Pipeline,
        report: &Arc<Mutex<SyncReport>>,
    ) -> Result<()> {
        self.reporter.event(&SyncEvent::ListingAll { reason });
        let recorder = pipeline.recorder().cloned();
        let (start, reached_before, anchor, tokens, failed_before) = match resume {
            Some(r) => {
                let margin = self.photos.page_size() as u64;
                let rank = r.rank.saturating_sub(margin);
                self.reporter.event(&SyncEvent::ListingResumed { rank });
                (rank, r.rank, r.anchor, r.tokens, r.failed)
            }
            None => {
                // Taken before the listing, so that what changes during it is read next time.
                let wanted =
                    recorder.is_some() && incremental::feed_unusable(&self.options).is_none();
                let tokens = if wanted { self.tokens().await? } else { None };
                (0, 0, None, tokens, false)
            }
        };
        let met = match self.run_albums(pipeline, start, anchor.as_ref()).await {
            Ok(met) => met,
            Err((e, reached)) => {
                if e.needs_reauth()
                    && let Some((rank, last)) = reached
                {
                    let failed = failed_before || report.lock().is_ok_and(|r| !r.failed.is_empty());
                    // An attempt that got less far keeps the place (and anchor) of the
                    // furthest one.
                    let further = rank >= reached_before;
                    *self.resume.lock().unwrap_or_else(PoisonError::into_inner) = Some(Resume {
                        rank: rank.max(reached_before),
                        anchor: if further { last.or(anchor) } else { anchor },
                        tokens,
                        failed,
                    });
                }
                return Err(e);
            }
        };
        let clean = met && !failed_before && report.lock().is_ok_and(|r| r.failed.is_empty());
        if let (Some(recorder), true) = (&recorder, clean) {
            incremental::finish_full_scan(recorder, tokens.as_ref(), &self.library)?;
        }
        Ok(())
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
            .find(|z| z.name == self.library.name())
            .and_then(|z| z.token);
        Ok(zone.map(|zone| Tokens {
            db: changes.token,
            zone,
        }))
    }

    /// Lists the albums (the whole library without `--album`), the whole library from rank
    /// `start`, and returns whether it met `anchor` (when given). On failure, returns where
    /// the whole-library listing had got to, if it was one.
    async fn run_albums(
        &self,
        pipeline: &mut Pipeline,
        start: u64,
        anchor: Option<&AssetId>,
    ) -> std::result::Result<bool, (Error, Option<Reached>)> {
        let options = &self.options;
        let scope = crate::select::Selection::new(options).scope();
        self.reporter.event(&SyncEvent::LookingUp {
            scope,
            albums: &options.albums,
        });
        let albums = self.albums().await.map_err(|e| (e, None))?;
        let mut counts = Vec::with_capacity(albums.len());
        for album in &albums {
            counts.push(
                self.library
                    .count(album)
                    .await
                    .map_err(|e| (e.into(), None))?,
            );
        }
        let whole = options.albums.is_empty() && options.recent.is_none();
        let mut met = anchor.is_none();
        for (album, count) in albums.iter().zip(counts) {
            let shown = match (options.until_found, options.recent) {
                (Some(_), _) => None,
                (None, Some(recent)) => Some(recent),
                (None, None) => Some(count),
            };
            self.reporter.event(&SyncEvent::AlbumStarted {
                album: album.name(),
                count: shown,
                sizes: &options.sizes,
                scope,
                directory: &options.directory,
            });
            pipeline.start_album();
            let start = if whole { start } else { 0 };
            met |= self
                .sync_album(album, count, start, anchor, pipeline)
                .await
                .map_err(|(e, reached)| (e, reached.filter(|_| whole)))?;
            self.reporter.event(&SyncEvent::AlbumFinished {
                album: album.name(),
                scope,
            });
        }
        if options.auto_delete && !options.only_print_filenames {
            self.auto_delete(pipeline).await.map_err(|e| (e, None))?;
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
    /// failure, also returns where the listing had got to.
    async fn sync_album(
        &self,
        album: &Album,
        count: u64,
        start: u64,
        anchor: Option<&AssetId>,
        pipeline: &mut Pipeline,
    ) -> std::result::Result<bool, (Error, Option<Reached>)> {
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
        while let Some(item) = assets.next().await {
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
            self.furthest.fetch_max(rank, Ordering::Relaxed);
        }
        // Let the downloads in flight finish, even when the listing failed: their files are
        // complete and a re-run will not fetch them again.
        pipeline.finish().await.map_err(|e| (e, None))?;
        match fatal {
            Some(e) => Err((e.into(), Some((rank, last)))),
            None => Ok(met),
        }
    }

    /// `--auto-delete`: removes local files of assets in Recently Deleted. Only files whose
    /// size is one of the asset's versions (or that we dated ourselves) are removed, so a
    /// same-named file of another asset survives. With a state, assets this program moved
    /// there itself are left alone; with `--keep-icloud-recent-days` too, only files the
    /// state recorded are removed.
    async fn auto_delete(&self, pipeline: &Pipeline) -> Result<()> {
        let reporter = self.reporter.as_ref();
        reporter.event(&SyncEvent::AutoDeleteStarted);
        let album = self.library.album(RECENTLY_DELETED).await?;
        let mut assets = self.library.assets(&album);
        let recorder = pipeline.recorder();
        let only_recorded = self.options.keep_icloud_recent_days.is_some();
        while let Some(item) = assets.next().await {
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
                for row in recorder.state.files_of(&recorder.config, asset.id())? {
                    incremental::remove_recorded(&row, pipeline, reporter);
                }
                recorder.state.forget_asset(&recorder.config, asset.id())?;
                continue;
            }
            asset.align_raw(self.options.align_raw);
            let created = crate::select::created_local(&asset);
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
                    if media.exists() && !self.options.dry_run {
                        continue;
                    }
                } else if !ours {
                    continue;
                }
                self.delete_local(&path, pipeline)?;
            }
            if let Some(recorder) = recorder {
                recorder.state.forget_asset(&recorder.config, asset.id())?;
            }
        }
        Ok(())
    }

    fn delete_local(&self, path: &std::path::Path, pipeline: &Pipeline) -> Result<()> {
        if self.options.dry_run {
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
