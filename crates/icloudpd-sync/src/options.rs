//! What to mirror and how: the download options of icloudpd, as plain data.

use std::path::PathBuf;
use std::time::Duration;

use icloud_auth::RetryPolicy;
use icloud_photos::RawPolicy;
use time::OffsetDateTime;

use crate::zone::TimeZone;

/// Month, weekday and format names used by `%B`, `%a`, `%c`, … in folder templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeNames {
    /// `January` … `December`.
    pub months: [String; 12],
    /// `Jan` … `Dec`.
    pub months_abbr: [String; 12],
    /// `Sunday` … `Saturday`.
    pub weekdays: [String; 7],
    /// `Sun` … `Sat`.
    pub weekdays_abbr: [String; 7],
    /// `AM`, `PM`.
    pub am_pm: [String; 2],
    /// `%c` (`%a %b %e %H:%M:%S %Y` in the C locale).
    pub date_time_format: String,
    /// `%x` (`%m/%d/%y`).
    pub date_format: String,
    /// `%X` (`%H:%M:%S`).
    pub time_format: String,
}

impl TimeNames {
    /// The C/POSIX locale's names (what icloudpd uses without `--use-os-locale`).
    pub fn english() -> TimeNames {
        let owned = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let months = owned(&[
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]);
        let weekdays = owned(&[
            "Sunday",
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
        ]);
        let abbr = |names: &[String]| names.iter().map(|s| s[..3].to_owned()).collect::<Vec<_>>();
        TimeNames {
            months_abbr: array(abbr(&months)),
            months: array(months),
            weekdays_abbr: array(abbr(&weekdays)),
            weekdays: array(weekdays),
            am_pm: ["AM".to_owned(), "PM".to_owned()],
            date_time_format: "%a %b %e %H:%M:%S %Y".to_owned(),
            date_format: "%m/%d/%y".to_owned(),
            time_format: "%H:%M:%S".to_owned(),
        }
    }
}

/// A vector of known length as an array (`Default` values if it is short).
fn array<const N: usize>(items: Vec<String>) -> [String; N] {
    let mut items = items.into_iter();
    std::array::from_fn(|_| items.next().unwrap_or_default())
}

/// A rendition requested with `--size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Size {
    /// The file as it was imported (`resOriginal`).
    Original,
    /// A medium JPEG (photos) or medium video.
    Medium,
    /// A thumbnail JPEG (photos) or small video.
    Thumb,
    /// The edited rendition (`resJPEGFull`); falls back to the original.
    Adjusted,
    /// The alternative original of a RAW+JPEG pair (`resOriginalAlt`); falls back to the original.
    Alternative,
}

impl Size {
    /// Every size, in the order icloudpd's help lists them.
    pub const ALL: [Size; 5] = [
        Size::Original,
        Size::Medium,
        Size::Thumb,
        Size::Adjusted,
        Size::Alternative,
    ];

    /// The word used on the command line and in messages (`original`, `medium`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Size::Original => "original",
            Size::Medium => "medium",
            Size::Thumb => "thumb",
            Size::Adjusted => "adjusted",
            Size::Alternative => "alternative",
        }
    }

    /// Parses the command-line word (case-insensitive).
    pub fn parse(s: &str) -> Option<Size> {
        Size::ALL
            .into_iter()
            .find(|size| size.as_str().eq_ignore_ascii_case(s))
    }
}

/// The rendition of a live photo's video (`--live-photo-size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LiveSize {
    /// `resOriginalVidCompl`, no suffix.
    Original,
    /// `resVidMed`, suffix `-medium`.
    Medium,
    /// `resVidSmall`, suffix `-thumb` (icloudpd 1.32 crashes on this value; we download it).
    Thumb,
}

impl LiveSize {
    /// The word used on the command line and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveSize::Original => "original",
            LiveSize::Medium => "medium",
            LiveSize::Thumb => "thumb",
        }
    }

    /// Parses the command-line word (case-insensitive).
    pub fn parse(s: &str) -> Option<LiveSize> {
        [LiveSize::Original, LiveSize::Medium, LiveSize::Thumb]
            .into_iter()
            .find(|size| size.as_str().eq_ignore_ascii_case(s))
    }
}

/// How files are named and what counts as "already downloaded" (`--file-match-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FileMatchPolicy {
    /// Plain names; a same-named file of another size makes the new one `<stem>-<size>.<ext>`.
    #[default]
    NameSizeDedupWithSuffix,
    /// `<stem>_<id7>.<ext>`: the first seven base64 characters of the master record name.
    NameId7,
}

impl FileMatchPolicy {
    /// The word used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            FileMatchPolicy::NameSizeDedupWithSuffix => "name-size-dedup-with-suffix",
            FileMatchPolicy::NameId7 => "name-id7",
        }
    }
}

/// How a live photo's video is named (`--live-photo-mov-filename-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LiveMovPolicy {
    /// `IMG_1.HEIC` → `IMG_1_HEVC.MOV`, `IMG_1.JPG` → `IMG_1.MOV`.
    #[default]
    Suffix,
    /// `IMG_1.HEIC` → `IMG_1.MOV`.
    Original,
}

/// Sub-folders under the download directory (`--folder-structure`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FolderStructure {
    /// Everything directly in the download directory (`none`).
    Flat,
    /// A Python `str.format` template applied to the local creation time, e.g. `{:%Y/%m/%d}`.
    Template(String),
}

impl Default for FolderStructure {
    fn default() -> Self {
        FolderStructure::Template("{:%Y/%m/%d}".to_owned())
    }
}

/// One end of the `--skip-created-before/after` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    /// A fixed instant (its offset is how messages show the bound).
    At(OffsetDateTime),
    /// That many days before the moment each asset is considered.
    DaysAgo(u32),
}

/// What a run does with its plan.
///
/// The plan (which files to download, which to delete) is the same in every mode; the mode
/// says what happens to it. [`crate::SyncEngine::plan`] gives the plan itself, to inspect
/// before [`crate::SyncEngine::execute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RunMode {
    /// Download the planned files, write sidecars and EXIF dates, delete as asked.
    #[default]
    Download,
    /// Change nothing locally or in iCloud; report each planned action as a `Would…`
    /// [`crate::SyncEvent`] (`--dry-run`).
    DryRun,
    /// Report each file that would be downloaded as [`crate::SyncEvent::FileListed`] and do
    /// nothing else: no deletions, no sidecars (`--only-print-filenames`).
    OnlyPrintFilenames,
}

impl RunMode {
    /// Returns whether runs in this mode change anything on disk or in iCloud.
    pub fn writes(self) -> bool {
        self == RunMode::Download
    }
}

/// What to mirror and how. Start from [`SyncOptions::new`] and set fields.
///
/// The fields are icloudpd's download options as plain data (the flag each one stands for is
/// named in its documentation), with icloudpd's defaults: originals only, folders
/// `{:%Y/%m/%d}`, plain file names de-duplicated by size, live-photo videos included,
/// nothing deleted anywhere, 16 downloads at a time. The struct is `#[non_exhaustive]`: new
/// options arrive as new fields with defaults, so set the ones you care about on the value
/// [`SyncOptions::new`] returns rather than building it literally.
///
/// Options that shape where files go (sizes, naming, folders, filters, [`TimeZone`]) are
/// part of the [`crate::SyncState`]'s configuration: changing one makes the next run list
/// the whole library once. Options that only tune downloading (`concurrency`, retries,
/// stall detection) do not.
///
/// ```
/// use icloudpd_sync::{FolderStructure, RunMode, Size, SyncOptions, TimeZone};
///
/// let mut options = SyncOptions::new("/srv/photos");
/// options.sizes = vec![Size::Original, Size::Adjusted];
/// options.folder_structure = FolderStructure::parse("{:%Y/%B}")?; // 2018/July
/// options.skip_videos = true;
/// options.recent = Some(100); // only the 100 newest assets
/// options.mode = RunMode::DryRun; // report, change nothing
/// options.time_zone = TimeZone::UTC;
/// assert!(options.check_safety().is_ok());
/// # Ok::<(), icloudpd_sync::TemplateError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SyncOptions {
    /// The download directory (`--directory`). Nothing is ever written outside it.
    pub directory: PathBuf,
    /// Renditions to download, in order, without duplicates (`--size`).
    pub sizes: Vec<Size>,
    /// The live-photo video rendition (`--live-photo-size`).
    pub live_photo_size: LiveSize,
    /// A missing medium/thumb (or adjusted/alternative next to original) is skipped with an
    /// error instead of falling back to the original (`--force-size`).
    pub force_size: bool,
    /// RAW+JPEG handling (`--align-raw`).
    pub align_raw: RawPolicy,
    /// Naming and "already downloaded" policy (`--file-match-policy`).
    pub file_match_policy: FileMatchPolicy,
    /// Live-photo video naming (`--live-photo-mov-filename-policy`).
    pub live_mov_policy: LiveMovPolicy,
    /// Sub-folder template (`--folder-structure`).
    pub folder_structure: FolderStructure,
    /// Month and day names for the folder template (`--use-os-locale`); English by default.
    pub time_names: TimeNames,
    /// The zone creation times are read in for folder names, EXIF dates and the
    /// `skip_created_*` bounds; [`TimeZone::UTC`] by default (the engine reads no
    /// environment: pass the machine's zone to file photos by local date, as icloudpd does).
    pub time_zone: TimeZone,
    /// Keep non-ASCII characters in file names (`--keep-unicode-in-filenames`).
    pub keep_unicode_in_filenames: bool,
    /// Skip videos (`--skip-videos`); live-photo videos are not affected.
    pub skip_videos: bool,
    /// Skip photos (`--skip-photos`).
    pub skip_photos: bool,
    /// Do not download the video of live photos (`--skip-live-photos`).
    pub skip_live_photos: bool,
    /// Consider only the N newest assets of each album (`--recent`).
    pub recent: Option<u64>,
    /// Stop an album after N consecutive files that were already present (`--until-found`).
    pub until_found: Option<u64>,
    /// Skip assets created before this (`--skip-created-before`).
    pub skip_created_before: Option<DateBound>,
    /// Skip assets created after this (`--skip-created-after`).
    pub skip_created_after: Option<DateBound>,
    /// Albums to mirror, in order; empty means the whole library (`--album`).
    pub albums: Vec<String>,
    /// Write EXIF dates into downloaded JPEGs that have none (`--set-exif-datetime`).
    pub set_exif_datetime: bool,
    /// Write `<file>.xmp` sidecars (`--xmp-sidecar`).
    pub xmp_sidecar: bool,
    /// The `x:xmptk` value of sidecars, e.g. `icloudpd 1.32.2+abcdefgh`.
    pub xmp_toolkit: String,
    /// Whether the run downloads, only reports what it would do, or only lists the files
    /// it would download (`--dry-run`, `--only-print-filenames`).
    pub mode: RunMode,
    /// Delete local files of assets found in Recently Deleted (`--auto-delete`).
    pub auto_delete: bool,
    /// Move each downloaded asset to Recently Deleted in iCloud (`--delete-after-download`).
    pub delete_after_download: bool,
    /// Move assets older than N days to Recently Deleted once they are safely on disk
    /// (`--keep-icloud-recent-days`).
    pub keep_icloud_recent_days: Option<u32>,
    /// Downloads in flight at once (`--threads-num`).
    pub concurrency: usize,
    /// Retries of one file: transient failures, throttling and refused URLs.
    pub download_retry: RetryPolicy,
    /// The span over which a download must make progress (default 60 s): a download that is
    /// silent for that long, or slower than [`SyncOptions::min_download_speed`] over it, is
    /// cut and resumed (a retry).
    pub stall_window: Duration,
    /// The slowest a download may be, in bytes per second, averaged over
    /// [`SyncOptions::stall_window`] (default 1024).
    pub min_download_speed: u64,
}

/// The default number of downloads in flight (see the benchmark in `benches/`).
pub const DEFAULT_CONCURRENCY: usize = 16;

impl SyncOptions {
    /// icloudpd's defaults, downloading into `directory`.
    pub fn new(directory: impl Into<PathBuf>) -> SyncOptions {
        SyncOptions {
            directory: directory.into(),
            sizes: vec![Size::Original],
            live_photo_size: LiveSize::Original,
            force_size: false,
            align_raw: RawPolicy::AsIs,
            file_match_policy: FileMatchPolicy::default(),
            live_mov_policy: LiveMovPolicy::default(),
            folder_structure: FolderStructure::default(),
            time_names: TimeNames::english(),
            time_zone: TimeZone::UTC,
            keep_unicode_in_filenames: false,
            skip_videos: false,
            skip_photos: false,
            skip_live_photos: false,
            recent: None,
            until_found: None,
            skip_created_before: None,
            skip_created_after: None,
            albums: Vec::new(),
            set_exif_datetime: false,
            xmp_sidecar: false,
            xmp_toolkit: format!("icloudpd-rs {}", env!("CARGO_PKG_VERSION")),
            mode: RunMode::Download,
            auto_delete: false,
            delete_after_download: false,
            keep_icloud_recent_days: None,
            concurrency: DEFAULT_CONCURRENCY,
            download_retry: RetryPolicy::default()
                .max_attempts(6)
                .base_delay(Duration::from_secs(1))
                .max_delay(Duration::from_secs(30)),
            stall_window: Duration::from_secs(60),
            min_download_speed: 1024,
        }
    }
}
