//! Mirror an iCloud Photos library into a directory, incrementally.
//!
//! The engine of `icloudpd`, usable on its own: select assets (albums, filters, recent,
//! until-found), plan files (names, folders, de-duplication, live-photo companions), and
//! download them concurrently, never leaving a partial or misnamed file behind.
//!
//! - [`SyncOptions`] holds icloudpd's download options as plain data.
//! - [`SyncEngine`] runs one sync of one library and returns a [`SyncReport`]; one asset's
//!   failure is recorded there and the run goes on.
//! - [`Reporter`] receives [`SyncEvent`]s as they happen (progress bars, logs).
//! - [`PathPolicy`] is the naming of files and folders, usable without a network.
//! - [`SharedAlbumsSync`] mirrors an account's shared albums (Photos' "Shared Albums", see
//!   [`icloud_photos::SharedAlbums`]) into one folder per album ([`shared_album_folders`]),
//!   with the same options, pipeline and state; deleting is refused.
//! - [`DirectoryLock`] keeps a second process out of a download directory; take it before a
//!   run and hold it for as long as the directory is written.
//! - [`SyncState`] remembers what earlier runs put on disk and how far they read CloudKit's
//!   change feed: with it, a run asks only for what changed (a run without changes costs one
//!   request) and lists the whole library only now and then ([`FullScanReason`]).
//!
//! Every file is written to a temporary file in its target directory, checked against the
//! size Apple announced (error pages are rejected), dated, and renamed into place. An
//! interrupted file is resumed with `Range` on the next run.
//!
//! # Overview
//!
//! | Type | Role |
//! |---|---|
//! | [`SyncOptions`] | what to mirror and how: sizes, naming, folders, filters, deletions, [`RunMode`], [`TimeZone`] |
//! | [`SyncEngine`] | one library mirrored into one directory: [`SyncEngine::run`], or [`SyncEngine::plan`] then [`SyncEngine::execute`] |
//! | [`SharedAlbumsSync`] | an account's shared albums mirrored read-only, one folder per album ([`shared_album_folders`]), through the same pipeline |
//! | [`Plan`] | what a run would do, as a value: [`PlannedAsset`]s with their [`PlannedDownload`]s, and [`PlannedDeletion`]s |
//! | [`Reporter`], [`SyncEvent`] | what happens, as it happens (facts only: the wording is yours) |
//! | [`SyncReport`] | what a run did; [`AssetFailure`]s are data, not errors |
//! | [`SyncState`] | memory between runs, so a run asks Apple only for what changed |
//! | [`DirectoryLock`] | one writer per download directory |
//! | [`PathPolicy`], [`FolderStructure`] | icloudpd's file and folder names, usable offline |
//! | [`Error`] | why a run could not go on (see [`Error::needs_reauth`]) |
//!
//! # Mirroring a library
//!
//! Sign in with [`icloud_auth`], open the library with [`icloud_photos`], and run an engine.
//! This example runs against `icloud-fake`, the fake Apple the tests use; with a real account
//! only the [`icloud_auth::AuthClient`] differs (no endpoint override, and perhaps a
//! two-factor step).
//!
//! ```
//! use std::sync::Arc;
//!
//! use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
//! use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};
//! use icloud_photos::PhotosClient;
//! use icloudpd_sync::{FolderStructure, RunMode, SyncEngine, SyncOptions};
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A fake Apple with 20 photos and videos (some live photos) for jdoe.
//! let fake = FakeICloud::builder()
//!     .account(
//!         FakeAccount::new("jdoe@example.com", "secret")
//!             .without_two_factor()
//!             .library(FakeLibrary::generated(20, 7)),
//!     )
//!     .start()?;
//! let auth = AuthClient::builder()
//!     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
//!     .build()?;
//! let password = SecretString::from("secret".to_owned());
//! let store = Arc::new(MemorySessionStore::default());
//! let SignIn::Complete(session) = auth.sign_in("jdoe@example.com", &password, store).await?
//! else {
//!     unreachable!("this account has no two-factor authentication");
//! };
//! let photos = PhotosClient::new(&session)?;
//! let library = photos.primary().await?;
//!
//! let dir = tempfile::tempdir()?;
//! let mut options = SyncOptions::new(dir.path());
//! options.folder_structure = FolderStructure::parse("{:%Y/%m}")?;
//!
//! // First look: what would a run do? Nothing is written while planning.
//! let engine = SyncEngine::new(photos, library, options);
//! let plan = engine.plan().await?;
//! assert!(plan.downloads().count() >= 20); // live photos add their videos
//! assert!(std::fs::read_dir(dir.path())?.next().is_none());
//!
//! // Then do it, exactly as planned.
//! let report = engine.execute(plan).await?;
//! assert!(report.is_complete(), "{:?}", report.failed);
//! assert!(report.downloaded >= 20);
//!
//! // A second run finds everything present and downloads nothing.
//! let again = engine.run().await?;
//! assert_eq!((again.downloaded, again.present), (0, report.downloaded));
//! # let _ = RunMode::DryRun;
//! # Ok(())
//! # }
//! ```
//!
//! [`SyncEngine::run`] does the same in one go, asset by asset: it plans an asset, starts its
//! downloads and goes on listing while they run, so memory stays flat for 100 000 assets,
//! and each asset's plan reaches the [`Reporter`] as [`SyncEvent::Planned`]. A dry run is
//! [`RunMode::DryRun`]: the plan is reported as `Would…` events and nothing changes.
//!
//! # How a run works
//!
//! A run goes through five stages; the [`RunMode`] decides what the last one does:
//!
//! 1. **Listing.** The engine gets assets from Apple one page at a time, newest first: the
//!    whole library, or each album of [`SyncOptions::albums`] in turn, each stopping after
//!    [`SyncOptions::recent`] assets if set. With a [`SyncState`] it may read the library's
//!    *change feed* instead (see [Incremental runs](#incremental-runs)).
//! 2. **Selection.** Each asset goes through the filters of [`SyncOptions`]: media type
//!    (`skip_videos`, `skip_photos`) and creation date (`skip_created_before/after`, read in
//!    [`SyncOptions::time_zone`]). An asset filtered out is a
//!    [`SyncEvent::AssetSkipped`] with its [`SkipReason`], and nothing else happens to it.
//! 3. **Planning.** The [`PathPolicy`] turns the asset into files (one per size asked for,
//!    plus a live photo's video), each under a folder from the creation date; the planner
//!    looks on disk for each of them. A file with the right size is present; a same-named file
//!    of another size makes the new one `<stem>-<size>.<ext>`. Planning is sequential, in
//!    listing order, so that "first come, first named" holds as in icloudpd even though
//!    downloads overlap: a file being downloaded counts as present for later assets. The
//!    result is a [`PlannedAsset`] ([`SyncEvent::Planned`]).
//! 4. **Pipeline.** The planned asset waits for one of [`SyncOptions::concurrency`] slots,
//!    then its downloads run on a task of their own while the listing goes on. A full slot
//!    set makes the listing wait, which is what keeps memory flat on any library size.
//! 5. **Execution.** Each file is downloaded (see below), its XMP sidecar written, the asset
//!    recorded in the state, and, if the options say so, moved to Recently Deleted in iCloud.
//!    After the listing, `auto_delete` removes the local files of assets found in Recently
//!    Deleted.
//!
//! [`SyncEngine::plan`] stops after stage 3 and hands the planned assets back as a [`Plan`],
//! with the local files `auto_delete` would remove; [`SyncEngine::execute`] does stages 4 and
//! 5 for such a plan.
//!
//! # What is written, and when
//!
//! A file never appears under its final name half-written. Its bytes go to a temporary file
//! in the same folder, named after Apple's checksum of the version (`<BASE32>.part`), so the
//! next run that plans that file finds and resumes it with an HTTP `Range` request. When the
//! body is complete and exactly the size Apple announced (an error page or a short body is
//! rejected), the EXIF date is patched in if asked (through a second temporary file, so even
//! that rewrite is atomic), the modification time is set to the creation time, the file is
//! flushed to disk, and only then renamed into place. A rename within one folder is atomic:
//! a reader, a crash or a power cut sees either no file or the whole file. XMP sidecars go
//! the same way (`.<hash>.xmp.part`, then renamed).
//!
//! While a run that writes is going on, the download directory holds a marker,
//! `.icloudpd-unfinished`. A run that starts and finds it knows an earlier one was cut short;
//! after its own clean pass over the whole library it removes the temporary files the earlier
//! run left ([`SyncEvent::TempRemoved`]), and then the marker. Until such a pass, leftover
//! temporary files stay where they are, to be resumed.
//!
//! # Incremental runs
//!
//! Give the engine a [`SyncState`] and the first run lists the whole library as usual; it
//! records every file it put (or found) on disk and CloudKit's sync tokens taken *before* the
//! listing, so that what changed during it is read next time. A later run then
//!
//! - `stat`s every recorded file, and stops with [`Error::FilesMissing`] when most are gone
//!   (an unmounted disk must not be filled with a second copy of the library);
//! - asks `changes/database` whether the library changed at all (one request when it did
//!   not), and if so reads the zone's change feed from the stored token;
//! - takes the assets the feed added or changed, and those whose recorded files are missing,
//!   through the same selection, planning and pipeline as a listing;
//! - stores the new tokens only when every asset went well, so a failure means the next run
//!   reads the same changes again.
//!
//! A run lists the whole library instead when the feed cannot be trusted or cannot answer;
//! [`SyncEvent::ListingAll`] says why ([`FullScanReason`]). Every
//! [`DEFAULT_FULL_SCAN_INTERVAL`] (7 days) it lists anyway: the listing is the check on the
//! feed, and it catches what a feed cannot tell (a file changed on disk to the same size).
//!
//! When the session expires mid-listing, [`SyncEngine::run`] returns an error for which
//! [`Error::needs_reauth`] is true. Sign in again, [`SyncEngine::rebind`] the engine to the
//! new session's client and run again: the listing goes on one page before where it stopped
//! ([`SyncEvent::ListingResumed`]), and files already on disk are found present.
//!
//! # Deletions
//!
//! Nothing is deleted unless an option asks for it, and the rules that keep a photo from
//! existing nowhere are checked in one place:
//!
//! - In iCloud (`delete_after_download`, `keep_icloud_recent_days`), an asset is moved to
//!   Recently Deleted only once its original and every version asked for are on disk under
//!   their final names and flushed; otherwise [`SyncEvent::IcloudDeleteSkipped`] names the
//!   missing version. Options that would delete originals never downloaded are refused
//!   before the run starts ([`UnsafeOptions`], [`SyncOptions::check_safety`]).
//! - Locally (`auto_delete`), only files whose size is Apple's (or, from the state, the size
//!   recorded when it was written) are removed; a same-named file of the user's stays. With
//!   a state, an asset this program moves to Recently Deleted is noted *before* the request
//!   and never counts as the user's deletion, so the two kinds may be combined.
//!
//! # Events, not messages
//!
//! The engine never prints and never words a message: a [`Reporter`] receives
//! [`SyncEvent`]s carrying facts (paths, names, sizes, reasons as enums), and the embedder
//! decides what to show. The `icloudpd` binary turns them into Python icloudpd's log lines;
//! a GUI would update a progress bar. A reporter must be quick: it is called from the
//! download tasks.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use icloud_photos::PhotosClient;
//! use icloudpd_sync::{
//!     DirectoryLock, Reporter, Size, SyncEngine, SyncEvent, SyncOptions, SyncState, TimeZone,
//! };
//!
//! /// Counts the bytes of finished files (a GUI would update its progress here).
//! #[derive(Default)]
//! struct Bytes(AtomicU64);
//!
//! impl Reporter for Bytes {
//!     fn event(&self, event: &SyncEvent<'_>) {
//!         if let SyncEvent::Downloaded { bytes, .. } = event {
//!             self.0.fetch_add(*bytes, Ordering::Relaxed);
//!         }
//!     }
//! }
//!
//! # async fn demo(session: icloud_auth::Session) -> Result<(), Box<dyn std::error::Error>> {
//! // One writer at a time: fails if another process syncs into the directory.
//! let _lock = DirectoryLock::try_acquire("/srv/photos")?;
//! let photos = PhotosClient::new(&session)?;
//! let library = photos.primary().await?;
//! let mut options = SyncOptions::new("/srv/photos");
//! options.sizes = vec![Size::Original, Size::Medium];
//! // Folders by the date in Paris in winter (the engine reads no time zone itself).
//! options.time_zone = TimeZone::fixed(icloudpd_sync::time::UtcOffset::from_hms(1, 0, 0)?);
//! let bytes = Arc::new(Bytes::default());
//! // Next to the session files: one state per Apple ID, library and download directory.
//! let name = SyncState::file_name("jdoe@example.com", library.name(), "/srv/photos".as_ref());
//! let state = Arc::new(SyncState::open(format!("/var/lib/icloudpd/{name}"))?);
//! let report = SyncEngine::new(photos, library, options)
//!     .reporter(bytes.clone())
//!     .state(state)
//!     .run()
//!     .await?;
//! assert_eq!(bytes.0.load(Ordering::Relaxed), report.bytes);
//! for failure in &report.failed {
//!     let _ = (&failure.name, &failure.error); // what could not be mirrored, and why
//! }
//! # Ok(()) }
//! ```
//!
//! # Dates and times
//!
//! Every date in this API is a [`time::OffsetDateTime`], the type `icloud-photos` uses for
//! an asset's dates; the crate is re-exported as [`icloudpd_sync::time`](time) so that an
//! embedder names the same version. Which zone creation times are read in (for folder names,
//! EXIF dates and date filters) is [`SyncOptions::time_zone`], UTC unless you say otherwise.
//!
//! # Features
//!
//! - `rustls` (default): TLS with rustls, passed through to `icloud-photos` and `icloud-auth`.
//! - `native-tls`: TLS with the platform's library, passed through likewise. With
//!   `default-features = false` and only this feature, rustls is not compiled in.
//!
//! EXIF and XMP writing are built in and chosen per run in [`SyncOptions`].
#![deny(missing_docs)]
// docs.rs builds with `--cfg docsrs` (package.metadata.docs.rs) and shows which feature
// or platform an item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod disk;
mod engine;
mod error;
mod execute;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod lock;
mod metadata;
mod options;
mod outcome;
mod paths;
mod plan;
mod report;
mod safety;
mod select;
mod shared;
mod state;
mod stop;
mod zone;

pub use disk::DiskProblem;
pub use engine::{DEFAULT_FULL_SCAN_INTERVAL, SyncEngine};
pub use error::{Error, Result};
pub use lock::{DirectoryLock, LOCK_FILE_NAME};
pub use options::{
    DEFAULT_CONCURRENCY, DateBound, FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize,
    RunMode, Size, SyncOptions, TimeNames,
};
pub use outcome::{AssetFailure, FailureKind, SyncReport};
pub use paths::{PathPolicy, TemplateError};
pub use plan::{IcloudDeletion, Plan, PlannedAsset, PlannedDeletion, PlannedDownload, Rendition};
pub use report::{FullScanReason, KeptSidecar, NoopReporter, Reporter, SyncEvent};
pub use safety::UnsafeOptions;
pub use select::SkipReason;
pub use shared::{SharedAlbumsSync, select_shared_albums, shared_album_folders};
pub use state::SyncState;
pub use stop::StopHandle;
/// The date-time crate of this API ([`time::OffsetDateTime`] in [`SyncOptions`],
/// [`SkipReason`], [`PlannedAsset`]), re-exported so that an embedder uses the same version.
pub use time;
pub use zone::TimeZone;
