//! The sync: albums → listing → select → plan → download, with bounded concurrency.
//!
//! Planning runs in listing order on one task (so names, de-duplication and `--until-found`
//! are exactly icloudpd's); each asset's downloads then run on their own task, at most
//! `concurrency` assets at a time. The listing waits for a free slot, so memory stays bounded
//! whatever the library size, and the first download starts as soon as the first page is in.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, FixedOffset, Local};
use futures_util::StreamExt;
use icloud_photos::{Album, Asset, Library, ListOptions, PhotosClient, VersionKind};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::disk::{RunMarker, available_space};
use crate::error::{Error, Result};
use crate::execute::{FetchError, Fetcher, dated_by_us, write_sidecar};
use crate::options::SyncOptions;
use crate::plan::{AssetPlan, Claims, Planner};
use crate::report::{AssetFailure, FailureKind, NoopReporter, Reporter, SyncEvent, SyncReport};
use crate::safety;
use crate::select::{Selection, age_days, created_local};

/// The name of the smart folder `--auto-delete` reads.
const RECENTLY_DELETED: &str = "Recently Deleted";

/// One sync of one library into a directory.
///
/// ```no_run
/// # async fn demo(session: icloud_auth::Session) -> Result<(), Box<dyn std::error::Error>> {
/// use icloud_photos::PhotosClient;
/// use icloudpd_sync::{SyncEngine, SyncOptions};
///
/// let photos = PhotosClient::new(&session)?;
/// let library = photos.primary().await?;
/// let report = SyncEngine::new(photos, library, SyncOptions::new("/srv/photos"))
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
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("library", &self.library.name())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What the download task of one asset reports back.
#[derive(Debug, Default)]
struct AssetOutcome {
    downloaded: u64,
    bytes: u64,
    deleted: bool,
    failures: Vec<AssetFailure>,
}

impl SyncEngine {
    /// A sync of `library` with `options`.
    pub fn new(photos: PhotosClient, library: Library, options: SyncOptions) -> SyncEngine {
        SyncEngine {
            photos,
            library,
            options: Arc::new(options),
            reporter: Arc::new(NoopReporter),
        }
    }

    /// Sends events to `reporter`.
    #[must_use]
    pub fn reporter(mut self, reporter: Arc<dyn Reporter>) -> SyncEngine {
        self.reporter = reporter;
        self
    }

    /// Runs the sync. `Err` means the run could not go on (listing failed, session expired,
    /// unknown album); downloads in flight are finished first, so a re-run continues where
    /// this one stopped. Per-asset failures are in the report.
    pub async fn run(&self) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        self.run_into(&mut report).await?;
        Ok(report)
    }

    /// Runs the sync, adding its counts to `total` even when it fails: a caller that signs
    /// in again and re-runs after an expired session keeps one report for the whole job.
    pub async fn run_into(&self, total: &mut SyncReport) -> Result<()> {
        let started = Instant::now();
        let report = Arc::new(Mutex::new(SyncReport::default()));
        let result = self.run_with(&report).await;
        let mut done = report.lock().map(|r| r.clone()).unwrap_or_default();
        done.elapsed = started.elapsed();
        total.merge(done);
        result
    }

    async fn run_with(&self, report: &Arc<Mutex<SyncReport>>) -> Result<()> {
        let options = &self.options;
        let writes = !options.dry_run && !options.only_print_filenames;
        let marker = writes.then(|| RunMarker::begin(&options.directory));
        self.run_albums(report).await?;
        // A clean pass over the whole library: what interrupted runs left behind is orphaned.
        let whole =
            options.albums.is_empty() && options.recent.is_none() && options.until_found.is_none();
        let clean = report.lock().is_ok_and(|r| r.failed.is_empty());
        if let (Some(marker), true, true) = (marker, whole, clean) {
            for path in marker.finish_clean() {
                self.reporter.event(&SyncEvent::TempRemoved { path: &path });
            }
        }
        Ok(())
    }

    async fn run_albums(&self, report: &Arc<Mutex<SyncReport>>) -> Result<()> {
        let options = &self.options;
        let selection = Selection::new(options);
        let scope = selection.scope();
        self.reporter.event(&SyncEvent::LookingUp {
            scope,
            albums: &options.albums,
        });
        let albums = self.albums().await?;
        let mut counts = Vec::with_capacity(albums.len());
        for album in &albums {
            counts.push(self.library.count(album).await?);
        }
        let claims = Claims::default();
        let planner = Planner::new(options, claims.clone());
        let space = Space::new(&options.directory);
        let fetcher = Fetcher::new(
            self.photos.clone(),
            self.library.clone(),
            options,
            self.reporter.clone(),
        );
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
            let run = Run {
                selection: &selection,
                planner: &planner,
                fetcher: &fetcher,
                claims: &claims,
                space: &space,
            };
            self.sync_album(album, count, &run, report).await?;
            self.reporter.event(&SyncEvent::AlbumFinished {
                album: album.name(),
                scope,
            });
        }
        if options.auto_delete && !options.only_print_filenames {
            self.auto_delete(&planner, report).await?;
        }
        Ok(())
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

    async fn sync_album(
        &self,
        album: &Album,
        count: u64,
        run: &Run<'_>,
        report: &Arc<Mutex<SyncReport>>,
    ) -> Result<()> {
        let Run {
            selection,
            planner,
            fetcher,
            claims,
            space,
        } = *run;
        let options = &self.options;
        let reporter = self.reporter.as_ref();
        let mut list = ListOptions::default().expected_count(count);
        if let Some(recent) = options.recent {
            list = list.limit(recent);
        }
        let mut assets = self.library.assets_with(album, list);
        let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
        let mut tasks: JoinSet<AssetOutcome> = JoinSet::new();
        let album_now = Local::now().fixed_offset();
        let mut until_found = 0u64;
        let mut fatal = None;
        while let Some(item) = assets.next().await {
            while let Some(done) = tasks.try_join_next() {
                merge(report, done);
            }
            // The disk refused a file for good: start no more downloads.
            if fetcher.disk_problem().is_some() {
                break;
            }
            let mut asset = match item {
                Ok(asset) => asset,
                Err(icloud_photos::Error::Decode(e)) => {
                    let error = e.to_string();
                    reporter.event(&SyncEvent::BadRecord { error: &error });
                    update(report, |r| {
                        r.failed.push(AssetFailure {
                            name: "(undecodable record)".to_owned(),
                            path: None,
                            error,
                        });
                    });
                    reporter.event(&SyncEvent::AssetDone);
                    continue;
                }
                Err(e) => {
                    fatal = Some(e);
                    break;
                }
            };
            if let Some(limit) = options.until_found
                && until_found >= limit
            {
                reporter.event(&SyncEvent::UntilFound { count: limit });
                break;
            }
            asset.align_raw(options.align_raw);
            let created = created_local(&asset);
            let now = Local::now().fixed_offset();
            if let Some(reason) = selection.skip_reason(&asset, &created, &now) {
                let name = planner.policy().display_name(&asset);
                reporter.event(&SyncEvent::AssetSkipped {
                    name: &name,
                    reason: &reason,
                });
                update(report, |r| r.skipped += 1);
                reporter.event(&SyncEvent::AssetDone);
                continue;
            }
            let plan = planner.plan(&asset, created, reporter, &mut until_found);
            update(report, |r| r.present += plan.present);
            if options.only_print_filenames {
                for task in &plan.downloads {
                    reporter.event(&SyncEvent::FileListed { path: &task.path });
                    claims.release(&task.path);
                }
                reporter.event(&SyncEvent::AssetDone);
                continue;
            }
            let planned: u64 = plan.downloads.iter().map(|t| t.version.size()).sum();
            if let Some((needed, available)) = space.plan(planned) {
                reporter.event(&SyncEvent::LowDiskSpace {
                    directory: &options.directory,
                    needed,
                    available,
                });
            }
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let job = AssetJob {
                fetcher: fetcher.clone(),
                options: Arc::clone(&self.options),
                claims: claims.clone(),
            };
            tasks.spawn(async move {
                let outcome = job.run(asset, plan, album_now).await;
                drop(slot);
                outcome
            });
        }
        // Let the downloads in flight finish, even when the listing failed: their files are
        // complete and a re-run will not fetch them again.
        while let Some(done) = tasks.join_next().await {
            merge(report, done);
        }
        if let Some(problem) = fetcher.disk_problem() {
            return Err(Error::Disk {
                problem,
                directory: options.directory.clone(),
            });
        }
        match fatal {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// `--auto-delete`: removes local files of assets in Recently Deleted. Only files whose
    /// size is one of the asset's versions (or that we dated ourselves) are removed, so a
    /// same-named file of another asset survives.
    async fn auto_delete(&self, planner: &Planner, report: &Arc<Mutex<SyncReport>>) -> Result<()> {
        let reporter = self.reporter.as_ref();
        reporter.event(&SyncEvent::AutoDeleteStarted);
        let album = self.library.album(RECENTLY_DELETED).await?;
        let mut assets = self.library.assets(&album);
        while let Some(item) = assets.next().await {
            let mut asset = match item {
                Ok(asset) => asset,
                Err(icloud_photos::Error::Decode(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            asset.align_raw(self.options.align_raw);
            let created = created_local(&asset);
            let folder = planner.policy().folder(&created);
            let names = planner
                .policy()
                .auto_delete_names(&asset, &self.options.sizes);
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
                self.delete_local(&path, report)?;
            }
        }
        Ok(())
    }

    fn delete_local(&self, path: &Path, report: &Arc<Mutex<SyncReport>>) -> Result<()> {
        if self.options.dry_run {
            self.reporter.event(&SyncEvent::WouldDeleteLocal { path });
            return Ok(());
        }
        self.reporter.event(&SyncEvent::LocalDeleting { path });
        match std::fs::remove_file(path) {
            Ok(()) => {
                self.reporter.event(&SyncEvent::LocalDeleted { path });
                update(report, |r| r.deleted_locally += 1);
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

/// The pieces of one run that every album's sync uses.
#[derive(Clone, Copy)]
struct Run<'a> {
    selection: &'a Selection,
    planner: &'a Planner,
    fetcher: &'a Fetcher,
    claims: &'a Claims,
    space: &'a Space,
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

/// The work of one asset after planning: its downloads, sidecars and iCloud deletion.
struct AssetJob {
    fetcher: Fetcher,
    options: Arc<SyncOptions>,
    claims: Claims,
}

impl AssetJob {
    async fn run(
        self,
        asset: Asset,
        plan: AssetPlan,
        album_now: DateTime<FixedOffset>,
    ) -> AssetOutcome {
        let reporter = self.fetcher.reporter.clone();
        let reporter = reporter.as_ref();
        let options = &self.options;
        let mut out = AssetOutcome::default();
        // What is on disk under its final name: the files found present and the downloads.
        let mut on_disk = plan.on_disk.clone();
        for task in &plan.downloads {
            if options.dry_run {
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
            match self.fetcher.fetch(&asset, task, &plan.created).await {
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
                    let missing = matches!(e, FetchError::MissingUrl(_))
                        .then_some((task.url_name.as_str(), task.size_word));
                    let kind = match e {
                        FetchError::Folder(_) => FailureKind::Folder,
                        FetchError::Io(..) | FetchError::NotTried(_) => FailureKind::Disk,
                        FetchError::MissingUrl(_) => FailureKind::Refused,
                        FetchError::Failed(_) => FailureKind::Network,
                    };
                    reporter.event(&SyncEvent::DownloadFailed {
                        name: &plan.name,
                        path: &task.path,
                        error: &error,
                        missing_url: missing,
                        kind,
                    });
                    out.failures.push(AssetFailure {
                        name: plan.name.clone(),
                        path: Some(task.path.clone()),
                        error,
                    });
                }
            }
            self.claims.release(&task.path);
        }
        if options.xmp_sidecar && !options.dry_run {
            let on_disk = plan
                .primaries
                .iter()
                .filter(|(path, present)| *present || path.is_file())
                .map(|(path, _)| path);
            for media in on_disk {
                if let Err(e) = write_sidecar(media, &asset, &options.xmp_toolkit, reporter).await {
                    let error = format!("could not write the XMP sidecar: {e}");
                    reporter.event(&SyncEvent::XmpFailed {
                        path: media,
                        error: &error,
                    });
                    out.failures.push(AssetFailure {
                        name: plan.name.clone(),
                        path: Some(media.clone()),
                        error,
                    });
                }
            }
        }
        if options.delete_after_download {
            if out.downloaded > 0 && out.failures.is_empty() {
                self.delete_if_safe(&asset, &plan.name, &on_disk, &mut out)
                    .await;
            }
        } else if let Some(keep) = options.keep_icloud_recent_days {
            let age = age_days(&plan.created, &album_now);
            let kept = age < i64::from(keep);
            reporter.event(&SyncEvent::AgeChecked {
                name: &plan.name,
                created: &plan.created,
                keep_days: keep,
                age_days: age,
                kept,
            });
            if !kept && out.failures.is_empty() {
                self.delete_if_safe(&asset, &plan.name, &on_disk, &mut out)
                    .await;
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
        if !self.options.dry_run {
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
        if self.options.dry_run {
            reporter.event(&SyncEvent::WouldDeleteInIcloud {
                name,
                library: self.fetcher.library.name(),
            });
            return;
        }
        reporter.event(&SyncEvent::DeletingInIcloud { name });
        match self.fetcher.library.delete(asset).await {
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

fn update(report: &Mutex<SyncReport>, f: impl FnOnce(&mut SyncReport)) {
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
