//! What a sync looks like on the console: icloudpd's log lines for every [`SyncEvent`], the
//! file list of `--only-print-filenames`, a progress bar over assets, and a closing summary.

use std::io::{self, IsTerminal, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use icloud_photos::VersionKind;
use icloudpd_sync::{
    FailureKind, FullScanReason, KeptSidecar, Rendition, Reporter, Size, SkipReason, SyncEvent,
    SyncOptions, SyncReport,
};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};
use tracing::Level;

use crate::logging::{self, APP};
use crate::timestamp::{python_offset, python_str};
use crate::webui::Exchange;

/// How syncs are shown, as the settings stage settled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Display {
    /// A progress bar is wanted (not `--no-progress-bar`, not `--only-print-filenames`); it is
    /// drawn when stdout is a terminal or `FORCE_TQDM` forces it.
    pub progress_bar: bool,
    /// `FORCE_TQDM`: draw the bar on stderr even when it is not a terminal, this many columns
    /// wide (`COLUMNS`, default 80).
    pub forced_columns: Option<u16>,
    /// `--only-print-filenames`: unreadable records go to stderr, the log being off.
    pub only_print_filenames: bool,
}

/// Which media a sync takes (from `--skip-videos` / `--skip-photos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaScope {
    /// Photos and videos.
    Both,
    /// Photos only (`--skip-videos`).
    Photos,
    /// Videos only (`--skip-photos`).
    Videos,
}

/// What icloudpd's messages say about a sync that its events leave out: the options of the
/// run and the library's name.
#[derive(Debug, Clone)]
struct Context {
    scope: MediaScope,
    albums: Vec<String>,
    sizes: Vec<Size>,
    directory: PathBuf,
    keep_days: Option<u32>,
    until_found: Option<u64>,
    library: String,
}

impl Context {
    fn new(options: &SyncOptions, library: &str) -> Context {
        Context {
            scope: match (options.skip_videos, options.skip_photos) {
                (true, false) => MediaScope::Photos,
                (false, true) => MediaScope::Videos,
                _ => MediaScope::Both,
            },
            albums: options.albums.clone(),
            sizes: options.sizes.clone(),
            directory: options.directory.clone(),
            keep_days: options.keep_icloud_recent_days,
            until_found: options.until_found,
            library: library.to_owned(),
        }
    }
}

/// Writes icloudpd's messages for a sync and draws the progress bar. Create one per user run.
#[derive(Debug)]
pub struct CliReporter {
    /// The run's options and library, which the messages name.
    context: Context,
    bar_wanted: bool,
    /// `FORCE_TQDM`: draw on stderr even when it is not a terminal, this many columns wide.
    forced: Option<u16>,
    bar: Mutex<Option<ProgressBar>>,
    /// `--only-print-filenames` turns the log off: unreadable records go to stderr instead.
    errors_to_stderr: bool,
    /// The web UI's status page, which shows the progress too.
    web: Option<Arc<Exchange>>,
}

impl CliReporter {
    /// Returns a reporter that shows a sync of `library` with `options` as `display` says.
    /// The progress bar is drawn on stderr when stdout is a terminal or `FORCE_TQDM` is set,
    /// and never with `--no-progress-bar` or `--only-print-filenames`.
    pub fn new(display: &Display, options: &SyncOptions, library: &str) -> CliReporter {
        let forced = display.forced_columns;
        CliReporter {
            context: Context::new(options, library),
            bar_wanted: display.progress_bar && (forced.is_some() || io::stdout().is_terminal()),
            forced,
            bar: Mutex::new(None),
            errors_to_stderr: display.only_print_filenames,
            web: None,
        }
    }

    /// Also shows the progress on the web UI's status page.
    pub fn with_web(mut self, exchange: Option<Arc<Exchange>>) -> CliReporter {
        self.web = exchange;
        self
    }

    fn start_bar(&self, count: Option<u64>) {
        self.clear_bar();
        if !self.bar_wanted {
            return;
        }
        let target = match self.forced {
            // Draw even though stderr is not a terminal, as tqdm does.
            Some(columns) if !io::stderr().is_terminal() => {
                ProgressDrawTarget::term_like(Box::new(PlainStderr { columns }))
            }
            _ => ProgressDrawTarget::stderr(),
        };
        let template = match count {
            Some(_) => "{percent:>3}%|{wide_bar}| {pos}/{len} [{elapsed_precise}<{eta_precise}]",
            None => "{pos} [{elapsed_precise}, {per_sec}]",
        };
        let bar = ProgressBar::with_draw_target(count, target);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("#987654321 "));
        }
        logging::set_progress_bar(Some(bar.clone()));
        *self.bar.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar);
    }

    fn clear_bar(&self) {
        let bar = self
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(bar) = bar {
            logging::set_progress_bar(None);
            bar.finish_and_clear();
        }
    }

    fn tick(&self) {
        if let Some(bar) = &*self.bar.lock().unwrap_or_else(PoisonError::into_inner) {
            bar.inc(1);
        }
    }
}

impl Drop for CliReporter {
    fn drop(&mut self) {
        self.clear_bar();
    }
}

impl Reporter for CliReporter {
    fn event(&self, event: &SyncEvent<'_>) {
        match event {
            SyncEvent::AlbumStarted { count, .. } => {
                self.start_bar(*count);
                if let Some(web) = &self.web {
                    web.start_progress(*count);
                }
            }
            SyncEvent::AssetDone => {
                self.tick();
                if let Some(web) = &self.web {
                    web.advance_progress();
                }
            }
            SyncEvent::AlbumFinished { .. } => self.clear_bar(),
            SyncEvent::BadRecord { error } if self.errors_to_stderr => {
                eprintln!("icloudpd: skipping an asset whose record could not be read: {error}");
            }
            _ => {}
        }
        for output in render(event, &self.context) {
            match output {
                Output::Stdout(line) => logging::print_line(&line),
                Output::Log(level, text) => log(level, &text),
            }
        }
    }
}

fn log(level: Level, text: &str) {
    match level {
        Level::ERROR => tracing::error!(target: APP, "{text}"),
        Level::WARN => tracing::warn!(target: APP, "{text}"),
        Level::INFO => tracing::info!(target: APP, "{text}"),
        _ => tracing::debug!(target: APP, "{text}"),
    }
}

/// What one event prints.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Output {
    /// A line of the application log.
    Log(Level, String),
    /// A line on stdout that is not a log line (`--only-print-filenames`).
    Stdout(String),
}

fn debug(text: String) -> Output {
    Output::Log(Level::DEBUG, text)
}

fn info(text: String) -> Output {
    Output::Log(Level::INFO, text)
}

fn error(text: String) -> Output {
    Output::Log(Level::ERROR, text)
}

/// `truncate_middle(path, 96)`, used in icloudpd's four per-file progress messages.
fn short(path: &Path) -> String {
    truncate_middle(&path.display().to_string(), 96)
}

/// `s` unchanged up to `max` characters; otherwise its first and last 46 characters joined by
/// `...` (icloudpd's `truncate_middle(s, 96)`).
///
/// For other limits it follows icloudpd's formula: the end keeps `max / 2 - 2` characters (at
/// least 1), the start `max - (max / 2 - 2) - 4`; a limit of 3 or less gives that many dots.
fn truncate_middle(s: &str, max: usize) -> String {
    let len = s.chars().count();
    if len <= max {
        return s.to_owned();
    }
    if max <= 3 {
        return ".".repeat(max);
    }
    let end = (max / 2).saturating_sub(2);
    let start = max - end - 4;
    let end = end.max(1);
    let head: String = s.chars().take(start).collect();
    let tail: String = s.chars().skip(len - end).collect();
    format!("{head}...{tail}")
}

/// `Could not find URL to download <file> for size <size>`: icloudpd names a live photo's
/// video there by the photo's display name with a `.MOV` extension (Python's `splitext`),
/// whatever the file is called, and the size by its word.
fn missing_url(name: &str, file_name: &str, rendition: Rendition) -> String {
    let (file, size) = match rendition {
        Rendition::LiveVideo(size) => (python_live_name(name), size.as_str()),
        Rendition::Size(size) => (file_name.to_owned(), size.as_str()),
        _ => (file_name.to_owned(), ""),
    };
    format!("Could not find URL to download {file} for size {size}")
}

/// `<stem>.MOV` of a display name, the stem as Python's `os.path.splitext` finds it (leading
/// dots belong to the stem); a name without extension is kept.
fn python_live_name(name: &str) -> String {
    match name.rfind('.') {
        Some(dot) if name[..dot].bytes().any(|b| b != b'.') => format!("{}.MOV", &name[..dot]),
        _ => name.to_owned(),
    }
}

/// Why a full listing runs, in the words of `Listing the whole library: <reason>`.
fn full_scan_reason(reason: FullScanReason) -> &'static str {
    match reason {
        FullScanReason::NoState => "no sync state",
        FullScanReason::NewState => "no earlier run recorded in the sync state",
        FullScanReason::NewConfiguration => {
            "no complete run with these options yet (first run, or an option changed)"
        }
        FullScanReason::Forced => "a full scan was asked for",
        FullScanReason::Due => "the periodic full scan is due",
        FullScanReason::OptionsNeedListing => {
            "--keep-icloud-recent-days and day-relative --skip-created-* bounds need every asset"
        }
        FullScanReason::NotWholeLibrary => {
            "this run does not mirror the whole library, or does not write"
        }
        FullScanReason::TokenRefused => "Apple refused the stored sync token",
        FullScanReason::LibraryChanged => "the library was made anew",
        FullScanReason::TooManyChanges => "too many changes to hold in memory",
        FullScanReason::ListingDisturbed => "the library changed while the last full listing ran",
        FullScanReason::Resumed => "continuing the interrupted listing",
        FullScanReason::Planned => "planning ahead of executing",
        _ => "the engine asked for it",
    }
}

/// Returns the lines icloudpd writes for `event` of a sync described by `run`, in order.
fn render(event: &SyncEvent<'_>, run: &Context) -> Vec<Output> {
    match event {
        SyncEvent::LookingUp => vec![debug(looking_up(run.scope, &run.albums))],
        SyncEvent::AlbumStarted { count, .. } => vec![info(downloading(
            *count,
            &run.sizes,
            run.scope,
            &run.directory,
        ))],
        SyncEvent::AssetSkipped { name, reason } => vec![debug(skipped(name, reason))],
        SyncEvent::SizeMissing { size, name } => vec![error(format!(
            "{} size does not exist for {name}. Skipping...",
            size.as_str()
        ))],
        SyncEvent::FileExists { path } => vec![debug(format!("{} already exists", short(path)))],
        SyncEvent::FileDeduplicated { path } => {
            vec![debug(format!("{} deduplicated", short(path)))]
        }
        SyncEvent::FileListed { path } => vec![Output::Stdout(path.display().to_string())],
        SyncEvent::WouldCreateFolder { path } => vec![debug(format!(
            "[DRY RUN] Would create folder hierarchy {}",
            path.display()
        ))],
        SyncEvent::WouldDownload { path } => {
            vec![info(format!("[DRY RUN] Would download {}", path.display()))]
        }
        SyncEvent::DownloadStarted { path } => {
            vec![debug(format!("Downloading {}...", short(path)))]
        }
        SyncEvent::Resuming { path, from } => vec![debug(format!(
            "Resuming downloading of {} from {from}",
            path.display()
        ))],
        SyncEvent::Retrying { path, error, after } => vec![Output::Log(
            Level::WARN,
            format!(
                "Error downloading {}, retrying after {} seconds: {error}",
                path.display(),
                seconds(*after)
            ),
        )],
        SyncEvent::Downloaded { path, .. } => vec![info(format!("Downloaded {}", short(path)))],
        SyncEvent::DownloadFailed {
            name,
            path,
            file_name,
            rendition,
            error: cause,
            kind,
        } => {
            let first = match kind {
                // `Could not create folder <dir>` said it all, as in icloudpd.
                FailureKind::Folder => return vec![debug(cause.to_string())],
                // Apple answered the download with an error status.
                FailureKind::Refused => missing_url(name, file_name, *rendition),
                FailureKind::Disk => format!(
                    "IOError while writing file to {}. You might have run out of disk space, or the file might be too large for your OS. Skipping this file...",
                    path.display()
                ),
                _ => format!("Error downloading {}: {cause}", path.display()),
            };
            vec![
                error(first),
                error(format!(
                    "Could not download {name}. Please try again later."
                )),
            ]
        }
        SyncEvent::FolderFailed { path, error: cause } => vec![
            error(format!("Could not create folder {}", path.display())),
            debug(cause.to_string()),
        ],
        SyncEvent::SettingExif { path, when } => vec![debug(format!(
            "Setting EXIF timestamp for {}: {}{}",
            path.display(),
            format_args!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                when.year(),
                u8::from(when.month()),
                when.day(),
                when.hour(),
                when.minute(),
                when.second()
            ),
            python_offset(when.offset().whole_seconds(), false)
        ))],
        SyncEvent::ExifFailed { path, read } => {
            let verb = if *read { "fetching" } else { "setting" };
            vec![debug(format!(
                "Error {verb} EXIF data for {}",
                path.display()
            ))]
        }
        SyncEvent::XmpFailed { path, error: e } => vec![error(format!(
            "Could not write the XMP sidecar of {}: {e}",
            path.display()
        ))],
        SyncEvent::XmpKept { path, reason } => {
            let why = match reason {
                KeptSidecar::OtherTool(tool) => {
                    format!("created by {}", tool.as_deref().unwrap_or("None"))
                }
                KeptSidecar::Unreadable(error) => format!("due to parser error: {error}"),
                _ => "created by another tool".to_owned(),
            };
            vec![info(format!(
                "Not overwriting XMP file {} {why}",
                path.display()
            ))]
        }
        SyncEvent::UntilFound => vec![info(format!(
            "Found {} consecutive previously downloaded photos. Exiting",
            run.until_found.unwrap_or_default()
        ))],
        SyncEvent::AgeChecked {
            name,
            created,
            age_days,
            kept,
        } => {
            let keep_days = run.keep_days.unwrap_or_default();
            let mut lines = vec![
                debug(format!("Created date: {}", python_str(created))),
                debug(format!("Keep iCloud recent days: {keep_days}")),
                debug(format!("Age days: {age_days}")),
            ];
            if *kept {
                lines.push(debug(format!(
                    "Skipping deletion of {name} as it is within the keep_icloud_recent_days period ({age_days} days old)"
                )));
            }
            lines
        }
        SyncEvent::DeletingInIcloud { name } => {
            vec![debug(format!("Deleting {name} in iCloud..."))]
        }
        SyncEvent::DeletedInIcloud { name } => vec![info(format!("Deleted {name} in iCloud"))],
        SyncEvent::WouldDeleteInIcloud { name } => vec![info(format!(
            "[DRY RUN] Would delete {name} in iCloud library {}",
            run.library
        ))],
        SyncEvent::IcloudDeleteSkipped { name, missing } => {
            let what = match missing {
                VersionKind::Original => "its original",
                VersionKind::Alternative => "its alternative original",
                VersionKind::LiveOriginal | VersionKind::LiveMedium | VersionKind::LiveThumb => {
                    "the video of this live photo"
                }
                VersionKind::Adjusted => "its adjusted version",
                _ => "a size asked for",
            };
            vec![info(format!(
                "Not deleting {name} in iCloud because {what} is not on disk"
            ))]
        }
        SyncEvent::AlbumFinished { .. } => vec![info(format!(
            "All {} have been downloaded",
            plural_what(run.scope)
        ))],
        SyncEvent::AutoDeleteStarted => vec![info(
            "Deleting any files found in 'Recently Deleted'...".to_owned(),
        )],
        SyncEvent::LocalDeleting { path } => vec![debug(format!("Deleting {}...", path.display()))],
        SyncEvent::LocalDeleted { path } => vec![info(format!("Deleted {}", path.display()))],
        SyncEvent::WouldDeleteLocal { path } => {
            vec![info(format!("[DRY RUN] Would delete {}", path.display()))]
        }
        SyncEvent::LowDiskSpace { needed, available } => vec![Output::Log(
            Level::WARN,
            format!(
                "The files to download need {} but only {} are free on the disk of {}; the run stops cleanly when the disk is full",
                indicatif::HumanBytes(*needed),
                indicatif::HumanBytes(*available),
                run.directory.display()
            ),
        )],
        SyncEvent::TempRemoved { path } => vec![debug(format!(
            "Removed {}, left behind by an interrupted run",
            path.display()
        ))],
        SyncEvent::BadRecord { error: cause } => vec![error(format!(
            "Skipping an asset whose record could not be read: {cause}"
        ))],
        SyncEvent::ListingChanges => {
            vec![info("Looking for changes since the last run...".to_owned())]
        }
        SyncEvent::ChangesFound {
            changed: 0,
            deleted: 0,
            missing: 0,
        } => vec![info("No changes since the last run".to_owned())],
        SyncEvent::ChangesFound {
            changed,
            deleted,
            missing,
        } => vec![info(format!(
            "Changes since the last run: {changed} new or changed, {deleted} deleted in iCloud, {missing} with files missing on disk"
        ))],
        SyncEvent::ListingAll { reason } => match reason {
            FullScanReason::NoState => Vec::new(),
            FullScanReason::NotWholeLibrary => vec![debug(format!(
                "Listing the whole library: {}",
                full_scan_reason(*reason)
            ))],
            _ => vec![info(format!(
                "Listing the whole library: {}",
                full_scan_reason(*reason)
            ))],
        },
        SyncEvent::ListingResumed { rank } => vec![info(format!(
            "Continuing the interrupted listing at asset {rank}"
        ))],
        _ => Vec::new(),
    }
}

/// `photos`, `videos` or `photos and videos`.
fn plural_what(scope: MediaScope) -> &'static str {
    match scope {
        MediaScope::Photos => "photos",
        MediaScope::Videos => "videos",
        MediaScope::Both => "photos and videos",
    }
}

/// `Looking up all photos and videos from album A...`.
fn looking_up(scope: MediaScope, albums: &[String]) -> String {
    let albums = match albums {
        [] => String::new(),
        [one] => format!(" from album {one}"),
        many => format!(" from albums {}", many.join(",")),
    };
    format!("Looking up all {}{albums}...", plural_what(scope))
}

/// `Downloading <count> <sizes> <what> to <normpath dir> ...` (§10.2).
fn downloading(count: Option<u64>, sizes: &[Size], scope: MediaScope, directory: &Path) -> String {
    let sizes = sizes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let (count, what) = match count {
        None => ("???".to_owned(), plural_what(scope).to_owned()),
        Some(n) => {
            let count = if n == 1 {
                "the first".to_owned()
            } else {
                n.to_string()
            };
            let s = if n == 1 { "" } else { "s" };
            let what = match scope {
                MediaScope::Photos => format!("photo{s}"),
                MediaScope::Videos => format!("video{s}"),
                MediaScope::Both if n == 1 => "photo or video".to_owned(),
                MediaScope::Both => "photos and videos".to_owned(),
            };
            (count, what)
        }
    };
    format!(
        "Downloading {count} {sizes} {what} to {} ...",
        normpath(directory)
    )
}

/// `Skipping <name>, …` for a filtered asset (§7.1, §7.2).
fn skipped(name: &str, reason: &SkipReason) -> String {
    match reason {
        SkipReason::Video => {
            format!("Skipping {name}, only downloading photos. (Item type was: MOVIE)")
        }
        SkipReason::Photo => {
            format!("Skipping {name}, only downloading videos. (Item type was: IMAGE)")
        }
        SkipReason::CreatedBefore { created, bound } => format!(
            "Skipping {name}, as it was created {}, before {}.",
            python_str(created),
            python_str(bound)
        ),
        SkipReason::CreatedAfter { created, bound } => format!(
            "Skipping {name}, as it was created {}, after {}.",
            python_str(created),
            python_str(bound)
        ),
        _ => format!("Skipping {name}"),
    }
}

/// Python's `os.path.normpath` on a POSIX path: no `.`, no `x/..`, no doubled or trailing `/`;
/// `.` when nothing is left.
fn normpath(path: &Path) -> String {
    let text = path.to_string_lossy();
    let root = if text.starts_with("//") && !text.starts_with("///") {
        "//"
    } else if text.starts_with('/') {
        "/"
    } else {
        ""
    };
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => match parts.last() {
                Some(last) if last != ".." => {
                    parts.pop();
                }
                _ if root.is_empty() => parts.push("..".to_owned()),
                _ => {}
            },
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    let joined = format!("{root}{}", parts.join("/"));
    if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// `5`, or `2.5` for a fractional wait.
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

/// Returns the closing line of a user's run (our addition to icloudpd's output), e.g.
/// `Summary: 3 downloaded (1.20 MiB), 12 already present, 2 skipped, 0 failed in 4.2s`.
pub fn summary(report: &SyncReport) -> String {
    let mut line = format!(
        "Summary: {} downloaded ({}), {} already present, {} skipped, {} failed",
        report.downloaded,
        HumanBytes(report.bytes),
        report.present,
        report.skipped,
        report.failed.len()
    );
    if report.deleted_in_icloud > 0 {
        line.push_str(&format!(", {} deleted in iCloud", report.deleted_in_icloud));
    }
    if report.deleted_locally > 0 {
        line.push_str(&format!(", {} deleted locally", report.deleted_locally));
    }
    line.push_str(&format!(" in {}", elapsed(report.elapsed)));
    line
}

/// `4.2s`, `3m 05s`, `2h 03m`.
fn elapsed(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{:.1}s", d.as_secs_f64()),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs / 60 % 60),
    }
}

/// Stderr as a terminal even when it is not one (`FORCE_TQDM`), like tqdm.
#[derive(Debug)]
struct PlainStderr {
    columns: u16,
}

impl PlainStderr {
    fn escape(&self, n: usize, code: char) -> io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.write_str(&format!("\x1b[{n}{code}"))
    }
}

impl TermLike for PlainStderr {
    fn width(&self) -> u16 {
        self.columns
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.escape(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.escape(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.escape(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.escape(n, 'D')
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        writeln!(io::stderr().lock(), "{s}")
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        io::stderr().lock().write_all(s.as_bytes())
    }

    fn clear_line(&self) -> io::Result<()> {
        self.write_str("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests;
