//! The way of one asset through a run, whatever found it (a listing, the change feed or a
//! missing file): filters, plan, downloads, sidecars, deletion in iCloud, and the record of
//! what is now on disk. At most `concurrency` assets are downloaded at once; planning stays in
//! the order assets are offered, so names and de-duplication are icloudpd's.
//!
//! # Two halves
//!
//! [`Pipeline::take`] runs on the caller's task (the listing, or the incremental run): it
//! merges the outcomes of finished download tasks, stops offering when the disk refused a
//! file for good, a stop was requested or `--until-found` was reached, filters the asset,
//! plans it, and hands the plan to [`Pipeline::start`]. `start` waits for one of the
//! `concurrency` slots of a semaphore and spawns an [`AssetJob`] holding the slot. While all
//! slots are taken the listing waits, so at most `concurrency` assets (and their planned
//! files) are in memory besides the page being read.
//!
//! The [`AssetJob`] downloads the asset's files one after another, writes its sidecars, then
//! records what is on disk and, last, deletes in iCloud if the options say so and
//! [`safety`] allows it. Its counts come back as an [`AssetOutcome`], merged into the run's
//! [`SyncReport`].
//!
//! # Claims
//!
//! A file being downloaded does not exist yet under its final name, but for the planner of
//! later assets it must count as present (or as a same-named file of that size, which gets the
//! next one a `-<size>` suffix). The planner claims each path it plans to download in the
//! shared [`Claims`], and the job releases the claim when the file is done, whether or not
//! it succeeded. In planning mode ([`Pipeline::planning`]) claims are never released: the
//! whole [`Plan`] is made as if its downloads had all happened.
//!
//! # Ending
//!
//! [`Pipeline::finish`] waits for every job, even after the listing failed, so that what was
//! downloaded is complete and recorded and a re-run does not fetch it again; then it flushes
//! the state's buffered records. The run's tokens are stored by the caller only if
//! [`Pipeline::is_clean`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use icloud_photos::{Asset, AssetId, VersionKind};
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::planner::{Claims, Planner};
use crate::disk::available_space;
use crate::error::{Error, Result};
use crate::execute::{FetchError, Fetcher, write_sidecar};
use crate::options::{RunMode, SyncOptions};
use crate::outcome::{AssetFailure, FailureKind, SyncReport};
use crate::plan::{Plan, PlannedAsset, PlannedDeletion};
use crate::report::{Reporter, SyncEvent};
use crate::safety;
use crate::select::{Selection, age_days, created_local};
use crate::state::{FileRow, SyncState};
use crate::stop::StopHandle;

/// Where a run records what it put on disk: the state and the configuration's fingerprint.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    pub state: Arc<SyncState>,
    pub config: String,
}

impl Recorder {
    /// Records the files of `asset` that are on disk under their final names. With `complete`
    /// (nothing of the asset failed) they replace its earlier records; otherwise they are
    /// added, so that the files that failed stay recorded and the next run checks them again.
    fn record(
        &self,
        asset: &Asset,
        on_disk: &[(VersionKind, PathBuf)],
        complete: bool,
    ) -> Result<()> {
        let mut rows = Vec::with_capacity(on_disk.len());
        for (kind, path) in on_disk {
            let Some(version) = asset.version(*kind) else {
                continue;
            };
            let Ok(meta) = std::fs::metadata(path) else {
                continue;
            };
            rows.push(FileRow {
                path: path.clone(),
                asset: asset.id().as_str().to_owned(),
                master: asset.master_id().to_owned(),
                kind: *kind,
                size: version.size(),
                checksum: version.checksum().to_owned(),
                disk_size: meta.len(),
            });
        }
        self.state.record(&self.config, asset.id(), rows, complete)
    }
}

/// What happens after an asset was offered.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Offer the next one.
    Next,
    /// Stop offering (`--until-found` reached, the disk refused a file for good).
    Stop,
}

/// What the download task of one asset reports back.
#[derive(Debug, Default)]
struct AssetOutcome {
    downloaded: u64,
    bytes: u64,
    deleted: bool,
    failures: Vec<AssetFailure>,
}

/// The assets of one run on their way to disk.
pub(crate) struct Pipeline {
    options: Arc<SyncOptions>,
    reporter: Arc<dyn Reporter>,
    selection: Selection,
    planner: Planner,
    fetcher: Fetcher,
    claims: Claims,
    space: Space,
    recorder: Option<Recorder>,
    /// Notes what this program moves to Recently Deleted, whether or not the run records.
    state: Option<Arc<SyncState>>,
    /// Once stopped, no new asset is started.
    stop: StopHandle,
    report: Arc<Mutex<SyncReport>>,
    slots: Arc<Semaphore>,
    tasks: JoinSet<AssetOutcome>,
    /// When the current album started (`--keep-icloud-recent-days` ages count from it).
    album_now: OffsetDateTime,
    /// icloudpd's `--until-found` counter for the current album.
    until_found: u64,
    /// Planning only ([`crate::SyncEngine::plan`]): what would be done is collected here
    /// instead of being done.
    sink: Option<Plan>,
}

impl Pipeline {
    pub(crate) fn new(
        fetcher: Fetcher,
        options: Arc<SyncOptions>,
        state: Option<Arc<SyncState>>,
        recorder: Option<Recorder>,
        report: Arc<Mutex<SyncReport>>,
        stop: StopHandle,
    ) -> Pipeline {
        let claims = Claims::default();
        Pipeline {
            reporter: fetcher.reporter.clone(),
            selection: Selection::new(&options),
            planner: Planner::new(&options, claims.clone()),
            space: Space::new(&options.directory),
            slots: Arc::new(Semaphore::new(options.concurrency.max(1))),
            tasks: JoinSet::new(),
            album_now: OffsetDateTime::now_utc(),
            until_found: 0,
            sink: None,
            options,
            fetcher,
            claims,
            recorder,
            state,
            report,
            stop,
        }
    }

    /// Collects what the run would do instead of doing it.
    pub(crate) fn planning(mut self) -> Pipeline {
        self.sink = Some(Plan::default());
        self
    }

    /// Returns whether this pipeline only plans.
    pub(crate) fn is_planning(&self) -> bool {
        self.sink.is_some()
    }

    /// Returns the collected plan (empty unless [`Pipeline::planning`]).
    pub(crate) fn take_plan(&mut self) -> Plan {
        self.sink.take().unwrap_or_default()
    }

    /// Plans the deletion of a local file; `false` when this pipeline does not plan (the
    /// caller then deletes).
    pub(crate) fn plan_deletion(&mut self, asset: &AssetId, path: &Path) -> bool {
        match &mut self.sink {
            Some(plan) => {
                plan.deletions.push(PlannedDeletion {
                    asset: asset.clone(),
                    path: path.to_path_buf(),
                });
                true
            }
            None => false,
        }
    }

    pub(crate) fn planner(&self) -> &Planner {
        &self.planner
    }

    /// Returns the handle that stops this run.
    pub(crate) fn stop(&self) -> &StopHandle {
        &self.stop
    }

    pub(crate) fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    /// Starts a new album: `--until-found` counts again, and ages count from now.
    pub(crate) fn start_album(&mut self) {
        self.until_found = 0;
        self.album_now = OffsetDateTime::now_utc();
    }

    /// Returns whether no asset has failed so far.
    pub(crate) fn is_clean(&self) -> bool {
        let mut clean = false;
        self.update(|r| clean = r.failed.is_empty());
        clean
    }

    /// Adds to the run's report.
    pub(crate) fn update(&self, f: impl FnOnce(&mut SyncReport)) {
        update(&self.report, f);
    }

    /// Reports a record that could not be understood as a failed asset.
    pub(crate) fn bad_record(&self, error: String) {
        self.reporter.event(&SyncEvent::BadRecord { error: &error });
        self.update(|r| {
            r.failed.push(AssetFailure {
                name: "(undecodable record)".to_owned(),
                path: None,
                error,
            });
        });
        self.reporter.event(&SyncEvent::AssetDone);
    }

    /// Takes one asset: filters it, plans it, and starts its downloads (waiting for a free
    /// slot first, so that at most `concurrency` assets are in flight).
    pub(crate) async fn take(&mut self, mut asset: Asset) -> Step {
        while let Some(done) = self.tasks.try_join_next() {
            merge(&self.report, done);
        }
        // The disk refused a file for good, or the run was stopped: start no more downloads.
        if self.fetcher.disk_problem().is_some() || self.stop.is_stopped() {
            return Step::Stop;
        }
        let options = Arc::clone(&self.options);
        let reporter = Arc::clone(&self.reporter);
        if let Some(limit) = options.until_found
            && self.until_found >= limit
        {
            reporter.event(&SyncEvent::UntilFound);
            return Step::Stop;
        }
        asset.align_raw(options.align_raw);
        let zone = &options.time_zone;
        let created = created_local(&asset, zone);
        let now = zone.local(OffsetDateTime::now_utc());
        if let Some(reason) = self.selection.skip_reason(&asset, &created, &now) {
            let name = self.planner.policy().display_name(&asset);
            reporter.event(&SyncEvent::AssetSkipped {
                name: &name,
                reason: &reason,
            });
            self.update(|r| r.skipped += 1);
            reporter.event(&SyncEvent::AssetDone);
            return Step::Next;
        }
        let plan = self.planner.plan(
            asset,
            created,
            self.album_now,
            reporter.as_ref(),
            &mut self.until_found,
        );
        let present = plan.on_disk().len() as u64;
        self.update(|r| r.present += present);
        reporter.event(&SyncEvent::Planned { asset: &plan });
        if let Some(sink) = &mut self.sink {
            // Claims stay: later assets of the plan see these files as present.
            if !plan.downloads().is_empty() || plan.icloud_deletion().is_some() {
                sink.assets.push(plan);
            }
            reporter.event(&SyncEvent::AssetDone);
            return Step::Next;
        }
        self.start(plan).await
    }

    /// Starts the downloads of a planned asset (waiting for a free slot first, so that at
    /// most `concurrency` assets are in flight), or lists them under
    /// [`RunMode::OnlyPrintFilenames`].
    pub(crate) async fn start(&mut self, plan: PlannedAsset) -> Step {
        let options = Arc::clone(&self.options);
        let reporter = Arc::clone(&self.reporter);
        if options.mode == RunMode::OnlyPrintFilenames {
            for task in plan.downloads() {
                reporter.event(&SyncEvent::FileListed { path: &task.path });
                self.claims.release(&task.path);
            }
            reporter.event(&SyncEvent::AssetDone);
            return Step::Next;
        }
        let planned: u64 = plan.downloads().iter().map(|t| t.size()).sum();
        if let Some((needed, available)) = self.space.plan(planned) {
            reporter.event(&SyncEvent::LowDiskSpace { needed, available });
        }
        let slot = tokio::select! {
            slot = self.slots.clone().acquire_owned() => slot,
            () = self.stop.stopped() => {
                // Not started: it is planned again by the next run.
                for task in &plan.downloads {
                    self.claims.release(&task.path);
                }
                return Step::Stop;
            }
        };
        let Ok(slot) = slot else {
            return Step::Stop;
        };
        let job = AssetJob {
            fetcher: self.fetcher.clone(),
            options,
            claims: self.claims.clone(),
            recorder: self.recorder.clone(),
            state: self.state.clone(),
        };
        self.tasks.spawn(async move {
            let outcome = job.run(plan).await;
            drop(slot);
            outcome
        });
        Step::Next
    }

    /// Waits for the downloads in flight, then writes the buffered records. Even when the
    /// listing failed, those downloads are finished: their files are complete and a re-run
    /// will not fetch them again.
    ///
    /// # Errors
    ///
    /// [`Error::Disk`] when the disk refused a file for good, [`Error::State`] when the
    /// records could not be written.
    pub(crate) async fn finish(&mut self) -> Result<()> {
        while let Some(done) = self.tasks.join_next().await {
            merge(&self.report, done);
        }
        if let Some(recorder) = &self.recorder {
            recorder.state.flush()?;
        }
        match self.fetcher.disk_problem() {
            Some(problem) => Err(Error::Disk {
                problem,
                directory: self.options.directory.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// The disk's free space at the start of the run against the bytes planned since: says once
/// when the plan outgrows it.
#[derive(Debug)]
struct Space {
    available: Option<u64>,
    planned: std::sync::atomic::AtomicU64,
    warned: std::sync::atomic::AtomicBool,
}

impl Space {
    fn new(directory: &Path) -> Space {
        Space {
            available: available_space(directory),
            planned: Default::default(),
            warned: Default::default(),
        }
    }

    /// Adds `bytes` to the plan; `Some((planned, available))` the first time the plan needs
    /// more than was free.
    fn plan(&self, bytes: u64) -> Option<(u64, u64)> {
        use std::sync::atomic::Ordering;
        let available = self.available?;
        let planned = self.planned.fetch_add(bytes, Ordering::Relaxed) + bytes;
        (planned > available && !self.warned.swap(true, Ordering::Relaxed))
            .then_some((planned, available))
    }
}

/// The work of one asset after planning: its downloads, sidecars, iCloud deletion and record.
struct AssetJob {
    fetcher: Fetcher,
    options: Arc<SyncOptions>,
    claims: Claims,
    recorder: Option<Recorder>,
    state: Option<Arc<SyncState>>,
}

impl AssetJob {
    async fn run(self, plan: PlannedAsset) -> AssetOutcome {
        let reporter = self.fetcher.reporter.clone();
        let reporter = reporter.as_ref();
        let options = &self.options;
        let dry_run = options.mode == RunMode::DryRun;
        let mut out = AssetOutcome::default();
        let name = plan.name();
        let asset = plan.asset();
        // What is on disk under its final name: the files found present and the downloads.
        let mut on_disk = plan.on_disk().to_vec();
        for task in plan.downloads() {
            if dry_run {
                if let Some(dir) = task.path.parent().filter(|d| !d.is_dir()) {
                    reporter.event(&SyncEvent::WouldCreateFolder { path: dir });
                }
                reporter.event(&SyncEvent::WouldDownload { path: &task.path });
                out.downloaded += 1;
                // What a real run would then have on disk, for the deletions it would do.
                on_disk.push((task.version.kind(), task.path.clone()));
                self.claims.release(&task.path);
                continue;
            }
            match self.fetcher.fetch(asset, task, &plan.created()).await {
                Ok(bytes) => {
                    reporter.event(&SyncEvent::Downloaded {
                        path: &task.path,
                        bytes,
                    });
                    out.downloaded += 1;
                    out.bytes += bytes;
                    on_disk.push((task.version.kind(), task.path.clone()));
                }
                Err(e) => {
                    let error = e.to_string();
                    let kind = match e {
                        FetchError::Folder(_) => FailureKind::Folder,
                        FetchError::Io(..) | FetchError::NotTried(_) => FailureKind::Disk,
                        FetchError::MissingUrl(_) => FailureKind::Refused,
                        FetchError::Failed(_) => FailureKind::Network,
                    };
                    reporter.event(&SyncEvent::DownloadFailed {
                        name,
                        path: &task.path,
                        file_name: &task.file_name,
                        rendition: task.rendition,
                        error: &error,
                        kind,
                    });
                    out.failures.push(AssetFailure {
                        name: name.to_owned(),
                        path: Some(task.path.clone()),
                        error,
                    });
                }
            }
            self.claims.release(&task.path);
        }
        if options.xmp_sidecar && !dry_run {
            let on_disk = plan
                .primaries()
                .iter()
                .filter(|(path, present)| *present || path.is_file())
                .map(|(path, _)| path);
            for media in on_disk {
                if let Err(e) = write_sidecar(media, asset, &options.xmp_toolkit, reporter).await {
                    let error = format!("could not write the XMP sidecar: {e}");
                    reporter.event(&SyncEvent::XmpFailed {
                        path: media,
                        error: &error,
                    });
                    out.failures.push(AssetFailure {
                        name: name.to_owned(),
                        path: Some(media.clone()),
                        error,
                    });
                }
            }
        }
        if let Some(recorder) = &self.recorder
            && let Err(e) = recorder.record(asset, &on_disk, out.failures.is_empty())
        {
            out.failures.push(AssetFailure {
                name: name.to_owned(),
                path: None,
                error: e.to_string(),
            });
        }
        if options.delete_after_download {
            if out.downloaded > 0 && out.failures.is_empty() {
                self.delete_if_safe(asset, name, &on_disk, &mut out).await;
            }
        } else if options.keep_icloud_recent_days.is_some() {
            let created = plan.created();
            let age = age_days(&created, &plan.album_now);
            let kept = plan.icloud_deletion().is_none();
            reporter.event(&SyncEvent::AgeChecked {
                name,
                created: &created,
                age_days: age,
                kept,
            });
            if !kept && out.failures.is_empty() {
                self.delete_if_safe(asset, name, &on_disk, &mut out).await;
            }
        }
        reporter.event(&SyncEvent::AssetDone);
        out
    }

    /// Moves `asset` to Recently Deleted if the safety rule allows it: every version that makes
    /// it up is on disk (`on_disk`), and flushed there first.
    async fn delete_if_safe(
        &self,
        asset: &Asset,
        name: &str,
        on_disk: &[(VersionKind, PathBuf)],
        out: &mut AssetOutcome,
    ) {
        let reporter = self.fetcher.reporter.as_ref();
        let kept: BTreeSet<VersionKind> = on_disk.iter().map(|(kind, _)| *kind).collect();
        let live = (!self.options.skip_live_photos).then_some(self.options.live_photo_size);
        let required =
            safety::required_versions(&safety::versions_of(asset), &self.options.sizes, live);
        if let Some(missing) = safety::missing_version(&required, &kept) {
            reporter.event(&SyncEvent::IcloudDeleteSkipped { name, missing });
            return;
        }
        if self.options.mode != RunMode::DryRun {
            let files: Vec<PathBuf> = on_disk.iter().map(|(_, path)| path.clone()).collect();
            let flushed = tokio::task::spawn_blocking(move || safety::make_durable(&files)).await;
            let failure = match flushed {
                Ok(Ok(())) => None,
                Ok(Err((path, e))) => Some((Some(path), e.to_string())),
                Err(e) => Some((None, e.to_string())),
            };
            if let Some((path, e)) = failure {
                out.failures.push(AssetFailure {
                    name: name.to_owned(),
                    path,
                    error: format!(
                        "not moved to Recently Deleted: the files could not be flushed to disk: {e}"
                    ),
                });
                return;
            }
        }
        self.delete_in_icloud(asset, name, out).await;
    }

    async fn delete_in_icloud(&self, asset: &Asset, name: &str, out: &mut AssetOutcome) {
        let reporter = self.fetcher.reporter.as_ref();
        if self.options.mode == RunMode::DryRun {
            reporter.event(&SyncEvent::WouldDeleteInIcloud { name });
            return;
        }
        // Noted before the request: `--auto-delete` must never take this for the user's.
        if let Some(state) = &self.state
            && let Err(e) = state.deleted_by_us(asset.id())
        {
            out.failures.push(AssetFailure {
                name: name.to_owned(),
                path: None,
                error: format!("not moved to Recently Deleted: {e}"),
            });
            return;
        }
        reporter.event(&SyncEvent::DeletingInIcloud { name });
        match self.fetcher.source.delete(asset).await {
            Ok(()) => {
                reporter.event(&SyncEvent::DeletedInIcloud { name });
                out.deleted = true;
            }
            Err(e) => out.failures.push(AssetFailure {
                name: name.to_owned(),
                path: None,
                error: format!("could not move it to Recently Deleted: {e}"),
            }),
        }
    }
}

pub(crate) fn update(report: &Mutex<SyncReport>, f: impl FnOnce(&mut SyncReport)) {
    if let Ok(mut r) = report.lock() {
        f(&mut r);
    }
}

fn merge(
    report: &Mutex<SyncReport>,
    done: std::result::Result<AssetOutcome, tokio::task::JoinError>,
) {
    update(report, |r| match done {
        Ok(outcome) => {
            r.downloaded += outcome.downloaded;
            r.bytes += outcome.bytes;
            r.deleted_in_icloud += u64::from(outcome.deleted);
            r.failed.extend(outcome.failures);
        }
        Err(e) => r.failed.push(AssetFailure {
            name: "(download task)".to_owned(),
            path: None,
            error: e.to_string(),
        }),
    });
}
