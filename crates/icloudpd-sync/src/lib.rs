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
//!
//! Every file is written to a temporary file in its target directory, checked against the
//! size Apple announced (error pages are rejected), dated, and renamed into place. An
//! interrupted file is resumed with `Range` on the next run.
#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod engine;
mod error;
mod execute;
mod metadata;
mod options;
mod paths;
mod plan;
mod report;
mod select;

pub use engine::SyncEngine;
pub use error::{Error, Result};
pub use options::{
    DEFAULT_CONCURRENCY, DateBound, FileMatchPolicy, FolderStructure, LiveMovPolicy, LiveSize,
    Size, SyncOptions,
};
pub use paths::{PathPolicy, TemplateError, TimeNames, truncate_middle};
pub use report::{
    AssetFailure, MediaScope, NoopReporter, Reporter, SkipReason, SyncEvent, SyncReport,
};
