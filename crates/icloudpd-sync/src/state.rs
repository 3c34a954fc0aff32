//! [`SyncState`]: what earlier runs put on disk and how far they read the change feed, in an
//! SQLite database, so that a run can ask Apple only for what changed.
//!
//! The files on disk stay the truth. The state is a cache of them: every incremental run
//! checks the files it records (a `stat` each) and restores what is missing; a state that
//! cannot be read is set aside and rebuilt by a full listing; a token is stored only after
//! everything it covers is on disk.
//!
//! One database belongs to one account, library and download directory
//! ([`SyncState::file_name`]). Inside it, tokens and files are kept per *configuration*: a
//! fingerprint of the options that shape the plan (sizes, naming, folders, filters). Two
//! configurations writing into one directory (two `--username` sections with different
//! options) therefore never read each other's tokens, and a changed option starts from a full
//! listing. What this program deleted in iCloud is kept for the state as a whole, whatever the
//! options: it is a fact about the library. (Two download directories of one account have two
//! states, and neither knows what the other's runs deleted.)
//!
//! # Schema (version 1, in `PRAGMA user_version`)
//!
//! - `meta (config, key, value)`: small facts per configuration, keys in [`key`]: the two
//!   sync tokens (`db_token`, `zone_token`), `last_full_scan` (seconds since the epoch),
//!   `relist` (the library changed during the last full listing). Under the configuration
//!   [`ACCOUNT`] (the empty string) live the facts about the library itself: `library`, the
//!   [`LibraryHandle`] that lets an incremental run skip looking its library up.
//! - `files (config, path, asset, master, kind, size, checksum, disk_size)`: one row per file
//!   on disk under its final name, keyed by `(config, path)` and indexed by `(config,
//!   asset)`. `size` and `checksum` are Apple's for the version; `disk_size` is what `stat`
//!   said when it was recorded (larger than `size` once an EXIF date was written), and what
//!   later runs compare with.
//! - `deleted_by_us (asset, at)`: every asset this program moved to Recently Deleted, for
//!   the state as a whole, so that `--auto-delete` never takes them for the user's deletions.
//!
//! A newer schema is refused ([`Opening::Newer`]: it belongs to a newer program); an older
//! one is migrated in one transaction by [`MIGRATIONS`]; anything else that is not a sound
//! state (a failed `quick_check`, a missing table, not SQLite at all) is set aside as
//! `<file>.corrupt` and a new state starts. Errors about the surroundings (busy, read-only,
//! full disk) are not the file's fault and fail the run instead.
//!
//! # Invariants
//!
//! - **Files before tokens.** File rows are buffered ([`SyncState::record`]) and written in
//!   batches of [`BATCH`] in one transaction; every write of `meta` ([`SyncState::set_all`])
//!   and every read of `files` flushes the buffer first. A token is therefore never on disk
//!   ahead of the files it covers, and a crash at any point loses at most rows whose files
//!   the next run finds present anyway.
//! - **A row means "on disk under its final name"**: rows are written after the rename,
//!   never for a temporary file. An asset that failed keeps its older rows (they are added
//!   to, not replaced), so the next run checks them again.
//! - **Deletions by this program are durable before they happen.** `deleted_by_us` is written
//!   with `synchronous = FULL` before the request to Apple, so a crash right after it cannot
//!   turn this program's deletion into the user's.
//! - **Configurations age out.** At the end of a full listing, configurations whose last full
//!   listing is older than [`CONFIG_MAX_AGE`] (90 days) are forgotten, rows and tokens.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use icloud_photos::{AssetId, LibraryHandle, SyncToken, VersionKind};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The schema version this build writes; older ones are migrated, newer ones set aside.
const SCHEMA_VERSION: i64 = 1;

/// The migrations, index `n` taking schema `n` to `n + 1`.
const MIGRATIONS: [&str; 1] = ["CREATE TABLE meta (
         config TEXT NOT NULL,
         key TEXT NOT NULL,
         value TEXT NOT NULL,
         PRIMARY KEY (config, key)
     );
     CREATE TABLE files (
         config TEXT NOT NULL,
         path TEXT NOT NULL,
         asset TEXT NOT NULL,
         master TEXT NOT NULL,
         kind TEXT NOT NULL,
         size INTEGER NOT NULL,
         checksum TEXT NOT NULL,
         disk_size INTEGER NOT NULL,
         PRIMARY KEY (config, path)
     );
     CREATE INDEX files_by_asset ON files (config, asset);
     CREATE TABLE deleted_by_us (asset TEXT PRIMARY KEY, at INTEGER NOT NULL);"];

/// The configuration name of what belongs to no configuration (the library).
pub(crate) const ACCOUNT: &str = "";

/// Rows buffered before they are written in one transaction.
const BATCH: usize = 512;

/// Configurations unused for this long are forgotten at the end of a full listing.
const CONFIG_MAX_AGE: Duration = Duration::from_secs(90 * 86_400);

/// One file a run put (or found) on disk under its final name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileRow {
    /// Full path.
    pub path: PathBuf,
    /// CPLAsset record name.
    pub asset: String,
    /// CPLMaster record name.
    pub master: String,
    /// The version it holds.
    pub kind: VersionKind,
    /// Its size as Apple announced it.
    pub size: u64,
    /// Apple's checksum of that version.
    pub checksum: String,
    /// Its size on disk when recorded (differs from `size` when the EXIF date was written).
    pub disk_size: u64,
}

/// A buffered write of [`SyncState::record`].
#[derive(Debug)]
enum Pending {
    /// Forget the records of (configuration, asset).
    Forget(String, String),
    /// Record a file in a configuration.
    Row(String, FileRow),
}

/// The state of incremental runs of one account, library and download directory.
///
/// Without a state every run lists the whole library (about one request per 200 assets);
/// with one, a run reads the library's change feed and costs two requests when nothing
/// changed, then re-checks with a full listing every [`crate::DEFAULT_FULL_SCAN_INTERVAL`].
/// It is an SQLite file (bundled SQLite, nothing to install) created readable by its owner
/// only; losing it loses nothing but time, since the files on disk stay the truth.
///
/// Open it with [`SyncState::open`] and give it to [`crate::SyncEngine::state`]; the engine
/// decides from it whether a run may ask only for changes. Share it with `Arc`: every method
/// takes `&self`. Only one process should use a state at a time (hold the download
/// directory's [`crate::DirectoryLock`]); SQLite keeps the file sound even if two do.
///
/// Where to keep it: outside the download directory (so it is not mirrored with the photos
/// by a backup of that directory), one file per [`SyncState::file_name`], which folds the
/// Apple ID, the library and the directory into the name. The `icloudpd` binary puts it next
/// to the session files in the cookie directory.
///
/// # Example
///
/// Three runs of one engine against `icloud-fake`: the first lists the whole library, the
/// second finds the one photo added since in the change feed, the third finds nothing.
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// use icloud_fake::{FakeAccount, FakeAsset, FakeICloud, FakeLibrary};
/// use icloudpd_sync::{FullScanReason, Reporter, SyncEngine, SyncEvent, SyncOptions, SyncState};
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
///
/// /// How each run looked at the library.
/// #[derive(Default)]
/// struct Scans(Mutex<Vec<String>>);
///
/// impl Reporter for Scans {
///     fn event(&self, event: &SyncEvent<'_>) {
///         let seen = match event {
///             SyncEvent::ListingAll { reason } => format!("listed all: {reason:?}"),
///             SyncEvent::ChangesFound { changed, .. } => format!("{changed} changed"),
///             _ => return,
///         };
///         self.0.lock().unwrap().push(seen);
///     }
/// }
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fake = FakeICloud::builder()
///     .account(
///         FakeAccount::new("jdoe@example.com", "secret")
///             .without_two_factor()
///             .library(FakeLibrary::generated(10, 3)),
///     )
///     .start()?;
/// # let auth = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
/// #     .build()?;
/// # let password = SecretString::from("secret".to_owned());
/// # let store = Arc::new(MemorySessionStore::default());
/// # let SignIn::Complete(session) = auth.sign_in("jdoe@example.com", &password, store).await?
/// # else { unreachable!() };
/// // Signed in as in the crate's example.
/// let photos = icloud_photos::PhotosClient::new(&session)?;
/// let library = photos.primary().await?;
/// let (photos_dir, state_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
///
/// let name = SyncState::file_name("jdoe@example.com", library.name(), photos_dir.path());
/// let state = Arc::new(SyncState::open(state_dir.path().join(name))?);
/// assert!(state.is_new());
/// let scans = Arc::new(Scans::default());
/// let engine = SyncEngine::new(photos, library, SyncOptions::new(photos_dir.path()))
///     .reporter(scans.clone())
///     .state(Arc::clone(&state));
///
/// let first = engine.run().await?;
/// assert!(!state.is_new()); // a full listing completed into it
///
/// fake.add_asset("jdoe@example.com", "PrimarySync", FakeAsset::photo("IMG_9001.JPG"));
/// let second = engine.run().await?;
/// assert_eq!(second.downloaded, 1);
///
/// let third = engine.run().await?;
/// assert_eq!(third.downloaded, 0);
///
/// let scans = scans.0.lock().unwrap().clone();
/// let new_state = format!("listed all: {:?}", FullScanReason::NewState);
/// assert_eq!(scans, [new_state.as_str(), "1 changed", "0 changed"]);
/// assert!(first.downloaded >= 10);
/// # Ok(())
/// # }
/// ```
pub struct SyncState {
    conn: Mutex<Connection>,
    pending: Mutex<Vec<Pending>>,
    path: PathBuf,
    /// Created when opened, and no full listing completed since.
    fresh: AtomicBool,
}

impl fmt::Debug for SyncState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncState")
            .field("path", &self.path)
            .field("fresh", &self.is_new())
            .finish_non_exhaustive()
    }
}

impl SyncState {
    /// Returns the file name of the state of `apple_id`'s library `library` mirrored into
    /// `directory`: `<apple id, lower-case letters and digits only>.<16 hex digits>.sqlite`, the digits
    /// hashing the Apple ID, the library and the directory (made absolute).
    pub fn file_name(apple_id: &str, library: &str, directory: &Path) -> String {
        let directory = std::path::absolute(directory).unwrap_or_else(|_| directory.to_owned());
        let mut h = Sha256::new();
        for part in [
            apple_id.to_lowercase().as_bytes(),
            library.as_bytes(),
            directory.as_os_str().as_encoded_bytes(),
        ] {
            h.update(part);
            h.update([0]);
        }
        let base: String = apple_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        format!("{base}.{}.sqlite", hex(&h.finalize()[..8]))
    }

    /// Opens the state at `path`, creating it (and its folder) when there is none. A file that
    /// is not a sound state of a known schema is renamed `<path>.corrupt` and a new state is
    /// started: the next run lists the whole library, and nothing on disk is lost.
    ///
    /// # Errors
    ///
    /// Returns [`Error::State`] when no state can be created at `path` at all (a folder that
    /// cannot be written, for instance).
    pub fn open(path: impl Into<PathBuf>) -> Result<SyncState> {
        let path = path.into();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| state_error(&path, e))?;
        }
        let existed = path.exists();
        if !existed {
            create_private(&path).map_err(|e| state_error(&path, e))?;
        }
        match open_checked(&path) {
            Ok(conn) => Ok(SyncState::new(conn, path, !existed)),
            // Only a file that is not a sound state is set aside: a busy, locked, read-only
            // or full disk is an error, and a newer schema belongs to a newer program.
            Err(Opening::Unusable(why)) if existed => {
                let aside = with_suffix(&path, ".corrupt");
                tracing::warn!(
                    "The sync state {} cannot be used ({why}): it is kept as {}, and this run lists the whole library",
                    path.display(),
                    aside.display()
                );
                std::fs::rename(&path, &aside).map_err(|e| state_error(&path, e))?;
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(with_suffix(&path, suffix));
                }
                create_private(&path).map_err(|e| state_error(&path, e))?;
                let conn = open_checked(&path).map_err(|e| state_error(&path, e))?;
                Ok(SyncState::new(conn, path, true))
            }
            Err(e) => Err(state_error(&path, e)),
        }
    }

    fn new(conn: Connection, path: PathBuf, fresh: bool) -> SyncState {
        SyncState {
            conn: Mutex::new(conn),
            pending: Mutex::new(Vec::new()),
            path,
            fresh: AtomicBool::new(fresh),
        }
    }

    /// Returns where the state is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns `true` if this state was created when it was opened (none existed, or the old
    /// one was set aside) and no full listing has completed into it since: it knows nothing
    /// yet.
    pub fn is_new(&self) -> bool {
        self.fresh.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn err(&self, e: impl fmt::Display) -> Error {
        state_error(&self.path, e)
    }

    /// Returns the library the last complete listing into this directory mirrored, for
    /// [`icloud_photos::PhotosClient::reopen`]: a run that asks only for changes then needs no
    /// request to find its library.
    ///
    /// # Errors
    ///
    /// Returns [`Error::State`] when the state cannot be read.
    pub fn library(&self) -> Result<Option<LibraryHandle>> {
        Ok(self
            .get(ACCOUNT, key::LIBRARY)?
            .as_deref()
            .and_then(LibraryHandle::from_text))
    }

    /// Forgets the library [`SyncState::library`] returns (it was not found any more): the
    /// next run looks it up again.
    ///
    /// # Errors
    ///
    /// Returns [`Error::State`] when the state cannot be written.
    pub fn forget_library(&self) -> Result<()> {
        self.set_all(ACCOUNT, &[(key::LIBRARY, None)])
    }

    /// Notes that a full listing completed into this state.
    pub(crate) fn listed(&self) {
        self.fresh.store(false, Ordering::Relaxed);
    }

    /// Returns the value of `key` for configuration `config`.
    pub(crate) fn get(&self, config: &str, key: &str) -> Result<Option<String>> {
        self.lock()
            .query_row(
                "SELECT value FROM meta WHERE config = ?1 AND key = ?2",
                [config, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Sets (or, with `None`, removes) several keys of `config` in one transaction, after the
    /// buffered file records: a token is never stored ahead of the files it covers.
    pub(crate) fn set_all(&self, config: &str, pairs: &[(&str, Option<&str>)]) -> Result<()> {
        self.flush()?;
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        for (key, value) in pairs {
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO meta (config, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (config, key) DO UPDATE SET value = excluded.value",
                    params![config, key, v],
                ),
                None => tx.execute(
                    "DELETE FROM meta WHERE config = ?1 AND key = ?2",
                    [config, key],
                ),
            }
            .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Returns the stored database and zone tokens of `config`, when both are there.
    pub(crate) fn tokens(&self, config: &str) -> Result<Option<(SyncToken, SyncToken)>> {
        let db = self.get(config, key::DB_TOKEN)?;
        let zone = self.get(config, key::ZONE_TOKEN)?;
        Ok(db
            .zip(zone)
            .map(|(d, z)| (SyncToken::new(d), SyncToken::new(z))))
    }

    /// Returns when the last full listing of `config` that refreshed the state ended.
    pub(crate) fn last_full_scan(&self, config: &str) -> Result<Option<SystemTime>> {
        Ok(self
            .get(config, key::LAST_FULL_SCAN)?
            .and_then(|s| s.parse::<u64>().ok())
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs)))
    }

    /// Records the files of one asset on disk under their final names (buffered; written with
    /// the next batch, and always before a token). With `replace`, they are all its files: the
    /// asset's other records in `config` go (another version's name, a file changed on disk).
    pub(crate) fn record(
        &self,
        config: &str,
        asset: &AssetId,
        rows: Vec<FileRow>,
        replace: bool,
    ) -> Result<()> {
        let full = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if replace {
                pending.push(Pending::Forget(
                    config.to_owned(),
                    asset.as_str().to_owned(),
                ));
            }
            pending.extend(rows.into_iter().map(|r| Pending::Row(config.to_owned(), r)));
            pending.len() >= BATCH
        };
        if full { self.flush() } else { Ok(()) }
    }

    /// Writes the buffered file records in one transaction.
    pub(crate) fn flush(&self) -> Result<()> {
        let pending =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if pending.is_empty() {
            return Ok(());
        }
        let written = self.write(&pending);
        if written.is_err() {
            // Kept for the next flush, in order, before what came meanwhile.
            let mut buffer = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            let later = std::mem::replace(&mut *buffer, pending);
            buffer.extend(later);
        }
        written
    }

    /// Writes `pending` in one transaction.
    fn write(&self, pending: &[Pending]) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO files (config, path, asset, master, kind, size, checksum, disk_size)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (config, path) DO UPDATE SET asset = excluded.asset,
                         master = excluded.master, kind = excluded.kind, size = excluded.size,
                         checksum = excluded.checksum, disk_size = excluded.disk_size",
                )
                .map_err(|e| self.err(e))?;
            let mut forget = tx
                .prepare_cached("DELETE FROM files WHERE config = ?1 AND asset = ?2")
                .map_err(|e| self.err(e))?;
            for item in pending {
                match item {
                    Pending::Forget(config, asset) => forget.execute([config, asset]),
                    Pending::Row(config, row) => insert.execute(params![
                        config,
                        path_text(&row.path),
                        row.asset,
                        row.master,
                        kind_name(row.kind),
                        to_i64(row.size),
                        row.checksum,
                        to_i64(row.disk_size),
                    ]),
                }
                .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Returns every recorded file of `config`.
    pub(crate) fn files(&self, config: &str) -> Result<Vec<FileRow>> {
        self.select(
            "SELECT path, asset, master, kind, size, checksum, disk_size FROM files
             WHERE config = ?1",
            &[config],
        )
    }

    /// Returns the recorded files of `asset` in `config`.
    pub(crate) fn files_of(&self, config: &str, asset: &AssetId) -> Result<Vec<FileRow>> {
        self.select(
            "SELECT path, asset, master, kind, size, checksum, disk_size FROM files
             WHERE config = ?1 AND asset = ?2",
            &[config, asset.as_str()],
        )
    }

    fn select(&self, sql: &str, args: &[&str]) -> Result<Vec<FileRow>> {
        self.flush()?;
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (path, asset, master, kind, size, checksum, disk_size) =
                row.map_err(|e| self.err(e))?;
            // A kind this build does not know (a newer one wrote it): not ours to check.
            let Some(kind) = kind_from_name(&kind) else {
                continue;
            };
            out.push(FileRow {
                path: PathBuf::from(path),
                asset,
                master,
                kind,
                size: u64::try_from(size).unwrap_or(0),
                checksum,
                disk_size: u64::try_from(disk_size).unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// Forgets every file of each of `assets` in `config`, in one transaction.
    pub(crate) fn forget_assets(&self, config: &str, assets: &[&AssetId]) -> Result<()> {
        self.flush()?;
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM files WHERE config = ?1 AND asset = ?2")
                .map_err(|e| self.err(e))?;
            for asset in assets {
                delete
                    .execute([config, asset.as_str()])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Forgets every file of `asset` in `config` (it left the library).
    pub(crate) fn forget_asset(&self, config: &str, asset: &AssetId) -> Result<()> {
        self.flush()?;
        self.lock()
            .execute(
                "DELETE FROM files WHERE config = ?1 AND asset = ?2",
                [config, asset.as_str()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Forgets the configurations other than `config` whose last full listing is older than
    /// [`CONFIG_MAX_AGE`] (or unknown).
    pub(crate) fn prune(&self, config: &str) -> Result<()> {
        let cutoff = unix_now().saturating_sub(CONFIG_MAX_AGE.as_secs());
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let stale = "SELECT config FROM (SELECT config FROM files UNION SELECT config FROM meta)
                     WHERE config NOT IN (?1, '') AND config NOT IN
                         (SELECT config FROM meta WHERE key = 'last_full_scan'
                          AND CAST(value AS INTEGER) >= ?2)";
        let configs: Vec<String> = {
            let mut stmt = tx.prepare(stale).map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map(params![config, to_i64(cutoff)], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| self.err(e))?
        };
        for old in &configs {
            tx.execute("DELETE FROM files WHERE config = ?1", [old])
                .map_err(|e| self.err(e))?;
            tx.execute("DELETE FROM meta WHERE config = ?1", [old])
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Records, durably, that this program is about to move `asset` to Recently Deleted:
    /// written before the request, so that a crash right after it cannot make `--auto-delete`
    /// take the deletion for the user's.
    pub(crate) fn deleted_by_us(&self, asset: &AssetId) -> Result<()> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO deleted_by_us (asset, at) VALUES (?1, ?2)",
                params![asset.as_str(), to_i64(unix_now())],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Returns whether this program moved `asset` to Recently Deleted.
    pub(crate) fn was_deleted_by_us(&self, asset: &AssetId) -> Result<bool> {
        self.lock()
            .query_row(
                "SELECT 1 FROM deleted_by_us WHERE asset = ?1",
                [asset.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.err(e))
    }
}

/// The keys of the `meta` table.
pub(crate) mod key {
    /// The database's sync token (`changes/database`).
    pub(crate) const DB_TOKEN: &str = "db_token";
    /// The library zone's sync token (`changes/zone`).
    pub(crate) const ZONE_TOKEN: &str = "zone_token";
    /// Seconds since the epoch when the last full listing ended.
    pub(crate) const LAST_FULL_SCAN: &str = "last_full_scan";
    /// The library's [`icloud_photos::LibraryHandle`].
    pub(crate) const LIBRARY: &str = "library";
    /// The library changed while the last full listing ran: list it again.
    pub(crate) const RELIST: &str = "relist";
    /// A shared album's change tag at its last complete listing.
    pub(crate) const ALBUM_CTAG: &str = "album_ctag";
}

/// Why a state could not be opened.
#[derive(Debug)]
enum Opening {
    /// The file is not a sound state of a schema this build knows how to read: set it aside.
    Unusable(String),
    /// A newer program's state.
    Newer(i64),
    /// Something around the file (busy, locked, read-only, a full disk): not the file's fault.
    Failed(rusqlite::Error),
}

impl fmt::Display for Opening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Opening::Unusable(why) => f.write_str(why),
            Opening::Newer(version) => write!(
                f,
                "it was written by a newer icloudpd (schema {version}, this one knows up to \
                 {SCHEMA_VERSION}); run that version, or remove the file to start over"
            ),
            Opening::Failed(e) => write!(f, "{e}"),
        }
    }
}

impl From<rusqlite::Error> for Opening {
    /// Sorts SQLite's errors: those about the surroundings fail the run, the others mean the
    /// file is not a state.
    fn from(e: rusqlite::Error) -> Opening {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(
                C::DatabaseBusy
                | C::DatabaseLocked
                | C::ReadOnly
                | C::CannotOpen
                | C::DiskFull
                | C::SystemIoFailure
                | C::PermissionDenied
                | C::OutOfMemory
                | C::FileLockingProtocolFailed
                | C::NoLargeFileSupport,
            ) => Opening::Failed(e),
            _ => Opening::Unusable(e.to_string()),
        }
    }
}

/// Opens the database, checks it and brings its schema up to date.
fn open_checked(path: &Path) -> Result<Connection, Opening> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Every commit is on disk when it returns (file records are committed in batches, so
    // this costs one flush per batch).
    conn.pragma_update(None, "synchronous", "FULL")?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(Opening::Unusable(format!("quick_check: {check}")));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Opening::Newer(version));
    }
    if version < 0 {
        return Err(Opening::Unusable(format!("schema version {version}")));
    }
    let tx = conn.transaction()?;
    for (from, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", from as i64 + 1)?;
    }
    tx.commit()?;
    // Every table must be there and readable.
    for table in ["meta", "files", "deleted_by_us"] {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })?;
    }
    Ok(conn)
}

/// Returns the fingerprint of a configuration: the hex SHA-256 of `canonical`.
pub(crate) fn fingerprint(canonical: &str) -> String {
    hex(&Sha256::digest(canonical.as_bytes())[..16])
}

/// Returns seconds since the epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates an empty file at `path` that only its owner may read (as the session files): SQLite
/// gives its `-wal` and `-shm` files the same mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn state_error(path: &Path, e: impl fmt::Display) -> Error {
    Error::State {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Returns the name a version kind is stored under.
fn kind_name(kind: VersionKind) -> &'static str {
    match kind {
        VersionKind::Original => "original",
        VersionKind::Alternative => "alternative",
        VersionKind::Medium => "medium",
        VersionKind::Thumb => "thumb",
        VersionKind::Adjusted => "adjusted",
        VersionKind::LiveOriginal => "live-original",
        VersionKind::LiveMedium => "live-medium",
        VersionKind::LiveThumb => "live-thumb",
        _ => "other",
    }
}

fn kind_from_name(name: &str) -> Option<VersionKind> {
    VersionKind::ALL
        .into_iter()
        .find(|kind| kind_name(*kind) == name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests;
