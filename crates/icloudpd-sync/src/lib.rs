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
//! ```no_run
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use icloud_photos::PhotosClient;
//! use icloudpd_sync::{
//!     DirectoryLock, Reporter, Size, SyncEngine, SyncEvent, SyncOptions, SyncState,
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
//! # Features
//!
//! - `rustls` (default): TLS with rustls, passed through to `icloud-photos` and `icloud-auth`.
//! - `native-tls`: TLS with the platform's library, passed through likewise. With
//!   `default-features = false` and only this feature, rustls is not compiled in.
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
mod paths;
mod plan;
mod report;
mod safety;
mod select;
mod state;
mod stop;

pub use disk::DiskProblem;
pub use engine::{DEFAULT_FULL_SCAN_INTERVAL, SyncEngine};
pub use error::{Error, Result};
pub use lock::{DirectoryLock, LOCK_FILE_NAME};
pub use options::{
    DEFAULT_CONCURRENCY, DateBound, FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize,
    Size, SyncOptions,
};
pub use paths::{PathPolicy, TemplateError, TimeNames, truncate_middle};
pub use report::{
    AssetFailure, FailureKind, FullScanReason, MediaScope, NoopReporter, Reporter, SkipReason,
    SyncEvent, SyncReport,
};
pub use safety::UnsafeOptions;
pub use state::SyncState;
pub use stop::StopHandle;
