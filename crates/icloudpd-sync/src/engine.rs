//! The sync: choose how to look at the library (its change feed, or a full listing), then take
//! each asset through the [`Pipeline`] with bounded concurrency.
//!
//! A full listing plans in listing order on one task (so names, de-duplication and
//! `--until-found` are exactly icloudpd's); each asset's downloads then run on their own task,
//! at most `concurrency` assets at a time. The listing waits for a free slot, so memory stays
//! bounded whatever the library size, and the first download starts as soon as the first page
//! is in. An incremental run (see [`incremental`]) asks only for what changed.
//!
//! # One run, step by step ([`SyncEngine::run_with`])
//!
//! 1. The option mixes that could lose photos are refused ([`SyncOptions::check_safety`], or
//!    the laxer [`SyncOptions::check_safety_with_state`] when a state tells this program's
//!    deletions from the user's, or when nothing is written).
//! 2. A run that writes sets the run marker ([`RunMarker`]).
//! 3. With a state and options that mirror the whole library ([`scope::records`]), the run
//!    gets a [`Recorder`]: the state and the fingerprint of the options that shape the plan
//!    ([`scope::configuration`]). A state that knows files for it has them `stat`ed
//!    ([`incremental::missing_files`]); most of them gone stops the run unless a full scan
//!    was forced.
//! 4. [`SyncEngine::choose`] picks the scan: a listing interrupted by an expired session goes
//!    on ([`FullScanReason::Resumed`]); otherwise the change feed if the state holds fresh
//!    tokens for this configuration, else a full listing with its [`FullScanReason`].
//! 5. An incremental run may still end in a full listing (a refused token, too many changes).
//! 6. After a stop request the run ends with [`Error::Cancelled`]. After a clean pass over the
//!    whole library (no failure, not resumed) the marker is cleared and the temporary files
//!    of earlier interrupted runs removed.
//!
//! [`SyncEngine::plan`] and [`SyncEngine::execute`] use the same [`Pipeline`], the first in
//! planning mode (it collects [`PlannedAsset`](crate::PlannedAsset)s instead of starting
//! them) and without a recorder, the second fed with planned assets directly.
//!
//! # Expired sessions
//!
//! An error for which [`Error::needs_reauth`] holds leaves [`SyncEngine::resume`] set: the
//! rank the whole-library listing reached and the last asset it took (the anchor). The next
//! run (after [`SyncEngine::rebind`]) lists from one page before that rank; see [`listing`]
//! for how the anchor tells whether assets may have slipped past. Any other end clears it.
//! [`SyncEngine::progress`] lets a caller that signs in again and again see whether each
//! session gets further than the last.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use icloud_photos::{Library, PhotosClient};

use crate::disk::RunMarker;
use crate::error::{Error, Result};
use crate::execute::{Fetcher, Source};
use crate::options::SyncOptions;
use crate::outcome::SyncReport;
use crate::plan::Plan;
use crate::report::{FullScanReason, NoopReporter, Reporter, SyncEvent};
use crate::state::{SyncState, key};
use crate::stop::StopHandle;

mod incremental;
mod listing;
mod pipeline;
mod planner;
pub(crate) mod scope;

use incremental::{Incremental, Outcome, Tokens};
use listing::Resume;
pub(crate) use pipeline::{Pipeline, Recorder, Step, update};

/// How often a run with a [`SyncState`] lists the whole library even though the change feed
/// could answer: every 7 days. The feed is the fast path, the listing the check of it. It
/// catches what a feed cannot tell (a file changed on disk to the same size, a change Apple
/// never put in the feed) and keeps the tokens young; for 100k assets it costs about 500
/// requests a week, next to the 2 of each run without changes.
pub const DEFAULT_FULL_SCAN_INTERVAL: Duration = Duration::from_secs(7 * 86_400);

/// One sync of one library into a directory.
///
/// Built from a [`PhotosClient`], the [`Library`] to mirror and the [`SyncOptions`], then
/// configured with builder methods ([`SyncEngine::reporter`], [`SyncEngine::state`], …),
/// each of which states its default. An engine can run many times: in a watch loop, keep it
/// and call [`SyncEngine::run`] again, so that an interrupted listing goes on where it
/// stopped and [`SyncEngine::progress`] can tell a stuck loop from a slow one.
///
/// Three ways to use it:
///
/// - [`SyncEngine::run`]: list, plan and download asset by asset, with bounded memory and
///   concurrency; with a [`SyncState`], later runs read only the change feed.
/// - [`SyncEngine::plan`], then [`SyncEngine::execute`]: the whole [`Plan`] first, to show,
///   confirm or narrow, then carried out.
/// - [`crate::RunMode::DryRun`] or [`crate::RunMode::OnlyPrintFilenames`] in the options:
///   a run that only reports.
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
    /// Stops the runs early.
    stop: StopHandle,
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
            stop: StopHandle::default(),
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
    /// write (albums, `recent`, `until_found`, a [`crate::RunMode`] other than `Download`) list as
    /// without a state and leave its files and tokens alone.
    ///
    /// With a state, every asset this program moves to Recently Deleted is noted first (in
    /// every run, recording or not), and `auto_delete` never removes the files of those, so it
    /// may be combined with `keep_icloud_recent_days` or `delete_after_download`
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

    /// Returns a handle that stops this engine's runs early and cleanly (see [`StopHandle`]).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
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
        let done = total.absorb_run(&report, started);
        self.downloaded
            .fetch_add(done.downloaded, Ordering::Relaxed);
        result
    }

    async fn run_with(&self, report: &Arc<Mutex<SyncReport>>) -> Result<()> {
        let options = &self.options;
        let writes = options.mode.writes();
        // A run that writes nothing deletes nothing: only the refusals that say so apply.
        let safe = if self.state.is_some() || !writes {
            options.check_safety_with_state()
        } else {
            options.check_safety()
        };
        safe.map_err(Error::Unsafe)?;
        let marker = writes.then(|| RunMarker::begin(&options.directory));
        let recorder = self.recorder();
        let mut pipeline = self.pipeline(recorder.clone(), report);
        let resume = self
            .resume
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let resumed = resume.is_some();
        // Most recorded files gone (an unmounted disk): stop before downloading them all again.
        let missing = match (&recorder, resumed) {
            (Some(recorder), false) if !recorder.state.is_new() => {
                let missing = incremental::missing_files(recorder).await?;
                if !self.force_full_scan {
                    missing.guard(&options.directory)?;
                }
                Some(missing)
            }
            _ => None,
        };
        let scan = match resume {
            Some(_) => Scan::Full(FullScanReason::Resumed),
            None => self.choose(recorder.as_ref())?,
        };
        let reason = match (scan, &recorder, missing) {
            (Scan::Incremental(tokens), Some(recorder), Some(missing)) => {
                let run = Incremental {
                    photos: &self.photos,
                    library: &self.library,
                    options,
                    reporter: self.reporter.as_ref(),
                    recorder,
                };
                match run.run(tokens, missing, &mut pipeline).await? {
                    Outcome::Done => None,
                    Outcome::FullScan(reason) => Some(reason),
                }
            }
            (Scan::Incremental(_), _, _) => Some(FullScanReason::NewState),
            (Scan::Full(reason), _, _) => Some(reason),
        };
        if let Some(reason) = reason {
            self.full(reason, resume, &mut pipeline, report).await?;
        }
        if self.stop.is_stopped() {
            return Err(Error::Cancelled);
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

    /// Lists the library and plans every asset without changing anything: no file is
    /// written or deleted, nothing is moved to Recently Deleted, and the state is left alone.
    /// Inspect the [`Plan`], narrow it if need be, then carry it out with
    /// [`SyncEngine::execute`].
    ///
    /// The reporter sees the listing as in a run ([`SyncEvent::AlbumStarted`],
    /// [`SyncEvent::FileExists`], [`SyncEvent::Planned`] for each asset, …), but no download
    /// or deletion event.
    ///
    /// Planning always lists the whole library (or the albums asked for), never only the
    /// change feed: a plan is executed later, and the feed's tokens could only be committed
    /// once the files are on disk. Use [`SyncEngine::run`] for incremental mirroring of a
    /// large library; it plans and executes asset by asset in constant memory.
    ///
    /// # Errors
    ///
    /// As [`SyncEngine::run`], except the errors of writing ([`Error::Disk`]).
    pub async fn plan(&self) -> Result<Plan> {
        let options = &self.options;
        let safe = if self.state.is_some() {
            options.check_safety_with_state()
        } else {
            options.check_safety()
        };
        safe.map_err(Error::Unsafe)?;
        let report = Arc::new(Mutex::new(SyncReport::default()));
        let mut pipeline = self.pipeline(None, &report).planning();
        let listed = self
            .full(FullScanReason::Planned, None, &mut pipeline, &report)
            .await;
        // Nothing was downloaded: a later run must not go on where this listing stopped.
        *self.resume.lock().unwrap_or_else(PoisonError::into_inner) = None;
        listed?;
        let mut plan = pipeline.take_plan();
        plan.report = report.lock().map(|r| r.clone()).unwrap_or_default();
        Ok(plan)
    }

    /// Carries out a [`Plan`] made by [`SyncEngine::plan`] of this engine, as this engine's
    /// [`crate::RunMode`] says: downloads its files with bounded concurrency, writes sidecars
    /// and EXIF dates, moves assets to Recently Deleted where the plan says so (after the
    /// same safety checks as a run), then deletes the planned local files. Returns the
    /// report, which includes what planning counted ([`Plan::report`]).
    ///
    /// The plan is carried out as it was made: a file that appeared at a planned path since
    /// is replaced. Files downloaded are not recorded in the state, and its tokens are not
    /// advanced; the next [`SyncEngine::run`] lists the library and finds them present.
    ///
    /// # Errors
    ///
    /// [`Error::Unsafe`] before anything happens when the options could delete in iCloud
    /// what is not kept; [`Error::Disk`] when the disk refused a file for good (the files in
    /// flight are finished first); [`Error::Io`] when a planned deletion failed. Per-asset
    /// failures are in the report.
    pub async fn execute(&self, plan: Plan) -> Result<SyncReport> {
        let started = Instant::now();
        let options = &self.options;
        let safe = if self.state.is_some() || !options.mode.writes() {
            options.check_safety_with_state()
        } else {
            options.check_safety()
        };
        safe.map_err(Error::Unsafe)?;
        let Plan {
            assets,
            deletions,
            report: planned,
        } = plan;
        let report = Arc::new(Mutex::new(planned));
        let mut pipeline = self.pipeline(None, &report);
        let mut result = Ok(());
        for asset in assets {
            if pipeline.start(asset).await == Step::Stop {
                break;
            }
        }
        result = result.and(pipeline.finish().await);
        if result.is_ok() && options.mode != crate::RunMode::OnlyPrintFilenames {
            for deletion in &deletions {
                if let Err(e) = self.delete_local(&deletion.path, &pipeline) {
                    result = Err(e);
                    break;
                }
            }
        }
        let mut done = report.lock().map(|r| r.clone()).unwrap_or_default();
        done.elapsed = started.elapsed();
        self.downloaded
            .fetch_add(done.downloaded, Ordering::Relaxed);
        result.map(|()| done)
    }

    /// A pipeline of this engine that records into `recorder` and counts into `report`.
    fn pipeline(&self, recorder: Option<Recorder>, report: &Arc<Mutex<SyncReport>>) -> Pipeline {
        let fetcher = Fetcher::new(
            Source::Library {
                photos: self.photos.clone(),
                library: self.library.clone(),
            },
            &self.options,
            self.reporter.clone(),
        );
        Pipeline::new(
            fetcher,
            Arc::clone(&self.options),
            self.state.clone(),
            recorder,
            Arc::clone(report),
            self.stop.clone(),
        )
    }

    /// Where this run records what it puts on disk, if it keeps the state.
    fn recorder(&self) -> Option<Recorder> {
        let state = self.state.as_ref()?;
        scope::records(&self.options).then(|| Recorder {
            state: Arc::clone(state),
            config: crate::state::fingerprint(&scope::configuration(
                &self.options,
                &format!(
                    "{} {}",
                    self.library.database().as_str(),
                    self.library.name()
                ),
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
        if let Some(reason) = scope::feed_unusable(&self.options) {
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
        if state.get(config, key::RELIST)?.is_some() {
            return Ok(Scan::Full(FullScanReason::ListingDisturbed));
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
}
