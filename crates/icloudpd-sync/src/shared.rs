//! Mirroring shared albums ([`SharedAlbumsSync`]): one folder per album under the download
//! directory, each album planned as its own little library (names, de-duplication and the
//! state's records are per album), downloaded through the same pipeline as a library.
//!
//! Shared albums are read-only here: the deletion modes and `align_raw` are refused
//! ([`Error::NotForSharedAlbums`]). One album's failure is a failure in the report and the
//! others go on; only an expired session (or a full disk, a broken state) stops the run.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use icloud_photos::{Asset, AssetId, RawPolicy, SharedAlbum, SharedAlbums};

use crate::engine::{DEFAULT_FULL_SCAN_INTERVAL, Pipeline, Recorder, Step, scope};
use crate::error::{Error, Result};
use crate::execute::{Fetcher, Source};
use crate::options::SyncOptions;
use crate::outcome::{AssetFailure, SyncReport};
use crate::report::{NoopReporter, Reporter, SyncEvent};
use crate::state::{SyncState, fingerprint, key, unix_now};
use crate::stop::StopHandle;

/// Characters replaced by `_` in album folder names (Windows' reserved ones, and NUL).
const RESERVED: &[char] = &['<', '>', ':', '"', '/', '\\', '|', '?', '*', '\0'];

/// Returns the folder of each of `albums` (same order): the album name with `<>:"/\|?*` and
/// NUL replaced by `_`, trailing dots and spaces trimmed, `Unnamed` when nothing is left.
/// Albums whose folders would be the same (the same name, or names that differ only in what
/// was replaced or in case) each get `<folder> (<GUID>)` instead, so that no two albums ever
/// share a folder and an album's folder does not depend on which albums a run selects.
pub fn shared_album_folders(albums: &[SharedAlbum]) -> Vec<String> {
    let pairs: Vec<(&str, &str)> = albums.iter().map(|a| (a.name(), a.guid())).collect();
    folders(&pairs)
}

/// [`shared_album_folders`] of `(name, guid)` pairs.
fn folders(albums: &[(&str, &str)]) -> Vec<String> {
    let plain: Vec<String> = albums.iter().map(|(name, _)| sanitize(name)).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for folder in &plain {
        *seen.entry(folder.to_lowercase()).or_default() += 1;
    }
    plain
        .into_iter()
        .zip(albums)
        .map(|(folder, (_, guid))| {
            if seen.get(&folder.to_lowercase()).copied().unwrap_or(0) > 1 {
                format!("{folder} ({guid})")
            } else {
                folder
            }
        })
        .collect()
}

fn sanitize(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| if RESERVED.contains(&c) { '_' } else { c })
        .collect();
    let trimmed = replaced.trim_end_matches(['.', ' ']);
    if trimmed.is_empty() {
        "Unnamed".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Returns the albums `wanted` names (all of them when `wanted` is empty), in the order of
/// `albums`, each once. Each wanted text matches an exact album name first, then an album
/// GUID (any case).
///
/// # Errors
///
/// [`Error::AmbiguousSharedAlbum`] for a name several albums have, [`Error::UnknownSharedAlbum`]
/// for a text that is neither a name nor a GUID.
pub fn select_shared_albums<'a>(
    albums: &'a [SharedAlbum],
    wanted: &[String],
) -> Result<Vec<&'a SharedAlbum>> {
    let pairs: Vec<(&str, &str)> = albums.iter().map(|a| (a.name(), a.guid())).collect();
    Ok(select(&pairs, wanted)?
        .into_iter()
        .map(|i| &albums[i])
        .collect())
}

/// [`select_shared_albums`] of `(name, guid)` pairs: the indexes chosen, in order.
fn select(albums: &[(&str, &str)], wanted: &[String]) -> Result<Vec<usize>> {
    if wanted.is_empty() {
        return Ok((0..albums.len()).collect());
    }
    let mut chosen = HashSet::new();
    for text in wanted {
        let named: Vec<usize> = (0..albums.len()).filter(|&i| albums[i].0 == text).collect();
        let found = match named[..] {
            [i] => i,
            [] => albums
                .iter()
                .position(|(_, guid)| guid.eq_ignore_ascii_case(text))
                .ok_or_else(|| Error::UnknownSharedAlbum(text.clone()))?,
            _ => {
                return Err(Error::AmbiguousSharedAlbum {
                    name: text.clone(),
                    guids: named.iter().map(|&i| albums[i].1.to_owned()).collect(),
                });
            }
        };
        chosen.insert(found);
    }
    Ok((0..albums.len()).filter(|i| chosen.contains(i)).collect())
}

/// One sync of an account's shared albums into a directory: `DIRECTORY/<album folder>/…`
/// (see [`shared_album_folders`]), the `--folder-structure` inside each.
///
/// The albums are those of [`SyncOptions::albums`] (names or GUIDs, see
/// [`select_shared_albums`]), all of them when it is empty. Every album is listed whole
/// (Apple caps albums at 5000 items: at most 51 requests); `recent` keeps the items added
/// last, `until_found` walks an album from its newest item. Items are planned in album
/// order, so the first of two same-named items keeps the plain name.
///
/// With a [`SyncState`], each album's files are recorded, and an album whose change tag
/// (`albumctag`) is the one of its last complete listing, whose recorded files are all on
/// disk, and whose last listing is younger than the full-scan interval is not listed again.
///
/// ```no_run
/// # async fn demo(session: icloud_auth::Session) -> Result<(), Box<dyn std::error::Error>> {
/// use icloud_photos::SharedAlbums;
/// use icloudpd_sync::{SharedAlbumsSync, SyncOptions};
///
/// let Some(shared) = SharedAlbums::new(&session)? else {
///     return Ok(()); // no shared albums service
/// };
/// let report = SharedAlbumsSync::new(shared, SyncOptions::new("/srv/shared")).run().await?;
/// let (downloaded, failed) = (report.downloaded, report.failed.len());
/// # Ok(()) }
/// ```
pub struct SharedAlbumsSync {
    shared: SharedAlbums,
    options: SyncOptions,
    reporter: Arc<dyn Reporter>,
    state: Option<Arc<SyncState>>,
    force_full_scan: bool,
    full_scan_interval: Duration,
    stop: StopHandle,
}

impl std::fmt::Debug for SharedAlbumsSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAlbumsSync")
            .field("options", &self.options)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl SharedAlbumsSync {
    /// A sync of the shared albums of `shared` with `options`.
    pub fn new(shared: SharedAlbums, options: SyncOptions) -> SharedAlbumsSync {
        SharedAlbumsSync {
            shared,
            options,
            reporter: Arc::new(NoopReporter),
            state: None,
            force_full_scan: false,
            full_scan_interval: DEFAULT_FULL_SCAN_INTERVAL,
            stop: StopHandle::default(),
        }
    }

    /// Returns a handle that stops this sync's runs early and cleanly: no new file or album
    /// is started, the files in flight are finished, and the run ends with
    /// [`Error::Cancelled`].
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Sends events to `reporter` (default: none).
    #[must_use]
    pub fn reporter(mut self, reporter: Arc<dyn Reporter>) -> SharedAlbumsSync {
        self.reporter = reporter;
        self
    }

    /// Records what runs put on disk in `state` (default: no state), which lets later runs
    /// skip albums that did not change. Runs that do not write or do not take whole albums
    /// (`recent`, `until_found`, a [`crate::RunMode`] other than `Download`) leave it alone.
    #[must_use]
    pub fn state(mut self, state: Arc<SyncState>) -> SharedAlbumsSync {
        self.state = Some(state);
        self
    }

    /// Lists every album this time, changed or not (default `false`).
    #[must_use]
    pub fn full_scan(mut self, yes: bool) -> SharedAlbumsSync {
        self.force_full_scan = yes;
        self
    }

    /// Lists an unchanged album anyway when its last listing is older than `interval`
    /// (default [`DEFAULT_FULL_SCAN_INTERVAL`]).
    #[must_use]
    pub fn full_scan_interval(mut self, interval: Duration) -> SharedAlbumsSync {
        self.full_scan_interval = interval;
        self
    }

    /// Runs the sync. Per-album and per-asset failures are in the report.
    ///
    /// # Errors
    ///
    /// [`Error::NotForSharedAlbums`] before anything happens for a deletion mode or
    /// `align_raw`; [`Error::Photos`] when the album list cannot be had or the session
    /// expired (see [`Error::needs_reauth`]); [`Error::UnknownSharedAlbum`],
    /// [`Error::AmbiguousSharedAlbum`]; [`Error::Disk`], [`Error::State`] as they say.
    pub async fn run(&self) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        self.run_into(&mut report).await?;
        Ok(report)
    }

    /// Runs the sync, adding its counts to `total` even when it fails.
    ///
    /// # Errors
    ///
    /// As [`SharedAlbumsSync::run`].
    pub async fn run_into(&self, total: &mut SyncReport) -> Result<()> {
        let started = Instant::now();
        let report = Arc::new(Mutex::new(SyncReport::default()));
        let result = self.run_with(&report).await;
        total.absorb_run(&report, started);
        result
    }

    async fn run_with(&self, report: &Arc<Mutex<SyncReport>>) -> Result<()> {
        refuse(&self.options)?;
        let options = &self.options;
        self.reporter.event(&SyncEvent::LookingUp);
        let albums = self.shared.albums().await?;
        let folders = shared_album_folders(&albums);
        let folder_of: HashMap<&str, &str> = albums
            .iter()
            .zip(&folders)
            .map(|(a, f)| (a.guid(), f.as_str()))
            .collect();
        for album in select_shared_albums(&albums, &options.albums)? {
            if self.stop.is_stopped() {
                return Err(Error::Cancelled);
            }
            let folder = folder_of.get(album.guid()).copied().unwrap_or("Unnamed");
            let mut album_options = options.clone();
            album_options.directory = options.directory.join(folder);
            album_options.albums.clear();
            match self.sync_album(album, folder, album_options, report).await {
                Ok(()) => {}
                Err(e @ (Error::Disk { .. } | Error::State { .. })) => return Err(e),
                Err(e) if e.needs_reauth() => return Err(e),
                Err(Error::Cancelled) => return Err(Error::Cancelled),
                Err(e) => {
                    let error = e.to_string();
                    self.reporter.event(&SyncEvent::AlbumFailed {
                        album: album.name(),
                        error: &error,
                    });
                    crate::engine::update(report, |r| {
                        r.failed.push(AssetFailure {
                            name: format!("shared album {}", album.name()),
                            path: None,
                            error,
                        });
                    });
                }
            }
        }
        Ok(())
    }

    /// Lists `album` and takes its items through a pipeline of their own.
    async fn sync_album(
        &self,
        album: &SharedAlbum,
        folder: &str,
        options: SyncOptions,
        report: &Arc<Mutex<SyncReport>>,
    ) -> Result<()> {
        let recorder = self
            .state
            .as_ref()
            .filter(|_| scope::records(&options))
            .map(|state| Recorder {
                state: Arc::clone(state),
                config: fingerprint(&scope::configuration(
                    &options,
                    &format!("shared {} {folder}", album.guid()),
                )),
            });
        if let Some(recorder) = &recorder
            && self.unchanged(recorder, album)?
        {
            self.reporter.event(&SyncEvent::AlbumUnchanged {
                album: album.name(),
            });
            return Ok(());
        }
        let items = self.list(album, report).await?;
        let listed: HashSet<AssetId> = items.iter().map(|a| a.id().clone()).collect();
        let items = match (options.recent, options.until_found) {
            (Some(n), _) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                items[items.len().saturating_sub(n)..].to_vec()
            }
            (None, Some(_)) => items.into_iter().rev().collect(),
            (None, None) => items,
        };
        let shown = options.until_found.is_none().then_some(items.len() as u64);
        let directory = options.directory.clone();
        self.reporter.event(&SyncEvent::AlbumStarted {
            album: album.name(),
            directory: &directory,
            count: shown,
        });
        let failed_before = failures(report);
        let options = Arc::new(options);
        let fetcher = Fetcher::new(
            Source::Shared {
                shared: self.shared.clone(),
                album: album.clone(),
            },
            &options,
            self.reporter.clone(),
        );
        let mut pipeline = Pipeline::new(
            fetcher,
            Arc::clone(&options),
            self.state.clone(),
            recorder.clone(),
            Arc::clone(report),
            self.stop.clone(),
        );
        pipeline.start_album();
        for asset in items {
            if pipeline.take(asset).await == Step::Stop {
                break;
            }
        }
        pipeline.finish().await?;
        // Stopped on request: the album is not complete, its tag is not recorded.
        if self.stop.is_stopped() {
            return Err(Error::Cancelled);
        }
        self.reporter.event(&SyncEvent::AlbumFinished {
            album: album.name(),
        });
        if let Some(recorder) = &recorder
            && failures(report) == failed_before
        {
            self.listed(recorder, album, &listed)?;
        }
        Ok(())
    }

    /// Lists every item of `album`; an undecodable item is a failure in the report.
    async fn list(
        &self,
        album: &SharedAlbum,
        report: &Arc<Mutex<SyncReport>>,
    ) -> Result<Vec<Asset>> {
        let mut out = Vec::new();
        let mut items = self.shared.assets(album);
        while let Some(item) = items.next().await {
            match item {
                Ok(asset) => out.push(asset),
                Err(icloud_photos::Error::Decode(e)) => {
                    let error = e.to_string();
                    self.reporter.event(&SyncEvent::BadRecord { error: &error });
                    crate::engine::update(report, |r| {
                        r.failed.push(AssetFailure {
                            name: "(undecodable record)".to_owned(),
                            path: None,
                            error,
                        });
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// Whether `album` may be left unlisted: its change tag is the one its last complete
    /// listing saw, that listing is recent enough, and every file it recorded is on disk.
    fn unchanged(&self, recorder: &Recorder, album: &SharedAlbum) -> Result<bool> {
        let (state, config) = (&recorder.state, recorder.config.as_str());
        let Some(ctag) = album.ctag() else {
            return Ok(false);
        };
        if self.force_full_scan || state.get(config, key::ALBUM_CTAG)?.as_deref() != Some(ctag) {
            return Ok(false);
        }
        let young = state.last_full_scan(config)?.is_some_and(|at| {
            SystemTime::now()
                .duration_since(at)
                .is_ok_and(|age| age < self.full_scan_interval)
        });
        if !young {
            return Ok(false);
        }
        let on_disk =
            |path: &Path, size: u64| std::fs::metadata(path).is_ok_and(|m| m.len() == size);
        Ok(state
            .files(config)?
            .iter()
            .all(|row| on_disk(&row.path, row.disk_size)))
    }

    /// Notes a complete, clean listing of `album`: its change tag and time, and forgets the
    /// records of items no longer in it.
    fn listed(
        &self,
        recorder: &Recorder,
        album: &SharedAlbum,
        listed: &HashSet<AssetId>,
    ) -> Result<()> {
        let (state, config) = (&recorder.state, recorder.config.as_str());
        let gone: HashSet<AssetId> = state
            .files(config)?
            .into_iter()
            .map(|row| AssetId::new(row.asset))
            .filter(|id| !listed.contains(id))
            .collect();
        if !gone.is_empty() {
            state.forget_assets(config, &gone.iter().collect::<Vec<_>>())?;
        }
        let now = unix_now().to_string();
        state.set_all(
            config,
            &[
                (key::ALBUM_CTAG, album.ctag()),
                (key::LAST_FULL_SCAN, Some(&now)),
            ],
        )
    }
}

/// The failures so far.
fn failures(report: &Mutex<SyncReport>) -> usize {
    report
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .failed
        .len()
}

/// Refuses what makes no sense for shared albums: deleting (they are someone's shared copy,
/// and this program only reads them) and `align_raw` (they hold no RAW pairs).
fn refuse(options: &SyncOptions) -> Result<()> {
    let what = if options.delete_after_download {
        "delete_after_download"
    } else if options.auto_delete {
        "auto_delete"
    } else if options.keep_icloud_recent_days.is_some() {
        "keep_icloud_recent_days"
    } else if options.align_raw != RawPolicy::AsIs {
        "align_raw"
    } else {
        return Ok(());
    };
    Err(Error::NotForSharedAlbums(what))
}

#[cfg(test)]
mod tests;
