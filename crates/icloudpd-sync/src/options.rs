//! What to mirror and how: the download options of icloudpd, as plain data.

use std::path::PathBuf;
use std::time::Duration;

use icloud_auth::RetryPolicy;
use icloud_photos::RawPolicy;
use time::OffsetDateTime;

use crate::zone::TimeZone;

/// Month, weekday and format names used by `%B`, `%a`, `%c`, … in folder templates.
///
/// icloudpd formats folders with the C locale unless `--use-os-locale`, so `{:%Y/%B}` is
/// `2018/July` everywhere by default. The engine reads no locale: an embedder that wants
/// local names fills these fields itself (the `icloudpd` binary does so from the OS locale
/// under `--use-os-locale`). The names are part of the state's configuration, so changing
/// them makes the next run list the whole library and download the files that land in new
/// folders.
///
/// ```
/// use icloudpd_sync::{FolderStructure, TimeNames};
/// use icloudpd_sync::time::OffsetDateTime;
///
/// let mut french = TimeNames::english();
/// french.months[6] = "juillet".to_owned();
/// let taken = OffsetDateTime::from_unix_timestamp(1_533_021_744)?; // 2018-07-31
/// let folders = FolderStructure::parse("{:%Y/%B}")?;
/// assert_eq!(folders.render(&taken, &french), "2018/juillet");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// Each size asked for is one file per asset. `Medium` and `Thumb` files get a `-medium` /
/// `-thumb` suffix; `Adjusted` (the edited photo) and `Alternative` get `-adjusted` /
/// `-alternative` only where the name would otherwise clash with the original's. A size the
/// asset does not have falls back to the original, unless [`SyncOptions::force_size`] (or
/// the original is asked for too, which makes the fallback a duplicate and skips it).
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
///
/// With the default, a file is named after the asset (`IMG_0001.HEIC`) and counts as
/// downloaded when a file of that name and Apple's size is there. Two assets of one name in
/// one folder (common: cameras restart their counters) are told apart by size: the second one
/// planned becomes `IMG_0001-<bytes>.HEIC`. Two same-named assets of equal size are taken for
/// one file. [`FileMatchPolicy::NameId7`] avoids that by putting part of the asset's id in
/// every name, at the cost of names that differ from icloudpd's default ones.
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
///
/// A template is Python's `str.format` applied to the asset's creation time in
/// [`SyncOptions::time_zone`], as icloudpd runs `folder_structure.format(created)`:
///
/// - `{:SPEC}` (or `{0:SPEC}`) formats the datetime with `SPEC` as a glibc `strftime`
///   pattern: `%Y`, `%m`, `%d`, `%B` (month name, from [`SyncOptions::time_names`]), `%j`,
///   glibc's flags (`%-d` unpadded, `%^B` upper case, `%_m` space-padded) and widths;
/// - `{}` alone is `str(datetime)` (`2018-07-31 07:22:24+00:00`), and `{0.year}` or
///   `{.month:02}` read the datetime's integer attributes;
/// - `{{` and `}}` are literal braces; text outside fields is copied as is, and `/` makes
///   sub-folders.
///
/// [`FolderStructure::parse`] rejects what Python would reject (named fields, a second
/// argument such as `{:%Y}/{:%m}`, unbalanced braces). The rendered folder never leaves the
/// download directory: `..` stops at it and an absolute result counts as relative.
///
/// ```
/// use icloudpd_sync::{FolderStructure, TimeNames};
/// use icloudpd_sync::time::OffsetDateTime;
///
/// let taken = OffsetDateTime::from_unix_timestamp(1_533_021_744)?; // 2018-07-31 07:22 UTC
/// let english = TimeNames::english();
/// let render = |t: &str| FolderStructure::parse(t).map(|f| f.render(&taken, &english));
/// assert_eq!(render("{:%Y/%m/%d}")?, "2018/07/31"); // the default
/// assert_eq!(render("{:%Y/%B}")?, "2018/July");
/// assert_eq!(render("{:%Y/%-m-%-d}")?, "2018/7-31"); // glibc's unpadded flag
/// assert_eq!(render("{0.year}/{0.month:02}")?, "2018/07"); // attributes, integer spec
/// assert_eq!(render("photos {{{:%Y}}}")?, "photos {2018}");
/// assert_eq!(render("none")?, ""); // FolderStructure::Flat
/// assert!(FolderStructure::parse("{:%Y}/{:%m}").is_err()); // asks for a second argument
/// assert!(FolderStructure::parse("{0:%Y}/{:%m}").is_err()); // mixed numbering
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// A bound is inclusive: an asset created exactly at it is kept. A fixed instant is compared
/// as an instant (its offset only says how messages show it); a bound in days counts back
/// from the moment each asset is considered and makes every run a full listing, since
/// assets cross it without changing.
///
/// ```
/// use icloudpd_sync::time::{Date, Month, UtcOffset};
/// use icloudpd_sync::{DateBound, SyncOptions};
///
/// let paris = UtcOffset::from_hms(1, 0, 0)?;
/// let mut options = SyncOptions::new("/srv/photos");
/// // Only 2024 in Paris: from its first second to its last.
/// let first = Date::from_calendar_date(2024, Month::January, 1)?.midnight();
/// let last = Date::from_calendar_date(2024, Month::December, 31)?.with_hms(23, 59, 59)?;
/// options.skip_created_before = Some(DateBound::At(first.assume_offset(paris)));
/// options.skip_created_after = Some(DateBound::At(last.assume_offset(paris)));
/// // Or: only the last 30 days (`--skip-created-before 30d`).
/// options.skip_created_before = Some(DateBound::DaysAgo(30));
/// # Ok::<(), icloudpd_sync::time::error::ComponentRange>(())
/// ```
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
    /// The download directory (`--directory`; no default, [`SyncOptions::new`] takes it).
    /// Nothing is ever written outside it: a folder template that renders `..` or an
    /// absolute path is confined to it. It is created on the first download if need be.
    pub directory: PathBuf,
    /// Renditions to download, in order, without duplicates (`--size`, repeatable; default
    /// `[Size::Original]`). A size an asset lacks falls back to the original unless
    /// [`SyncOptions::force_size`]; the deletion modes require [`Size::Original`] in the list.
    pub sizes: Vec<Size>,
    /// The live-photo video rendition (`--live-photo-size`; default [`LiveSize::Original`]).
    pub live_photo_size: LiveSize,
    /// A missing medium/thumb (or adjusted/alternative next to original) is skipped with an
    /// error instead of falling back to the original (`--force-size`; default `false`). The
    /// asset's other sizes are still downloaded.
    pub force_size: bool,
    /// Which file of a RAW+JPEG pair counts as the original and which as the alternative
    /// (`--align-raw as-is|original|alternative`; default `as-is`, as iCloud has them).
    pub align_raw: RawPolicy,
    /// Naming and "already downloaded" policy (`--file-match-policy`; default
    /// [`FileMatchPolicy::NameSizeDedupWithSuffix`]).
    pub file_match_policy: FileMatchPolicy,
    /// Live-photo video naming (`--live-photo-mov-filename-policy`; default
    /// [`LiveMovPolicy::Suffix`]).
    pub live_mov_policy: LiveMovPolicy,
    /// Sub-folder template (`--folder-structure`; default `{:%Y/%m/%d}`); see
    /// [`FolderStructure`]. Build it with [`FolderStructure::parse`] to reject a template
    /// Python would reject.
    pub folder_structure: FolderStructure,
    /// Month and day names for `%B`, `%a`, `%p`, `%c`, … in the folder template
    /// (`--use-os-locale` fills them from the OS locale); default [`TimeNames::english`].
    pub time_names: TimeNames,
    /// The zone creation times are read in for folder names, EXIF dates and the
    /// `skip_created_*` bounds; [`TimeZone::UTC`] by default (the engine reads no
    /// environment: pass the machine's zone to file photos by local date, as icloudpd does).
    pub time_zone: TimeZone,
    /// Keep non-ASCII characters in file names (`--keep-unicode-in-filenames`; default
    /// `false`: icloudpd drops them, so `Café.JPG` becomes `Caf.JPG`).
    pub keep_unicode_in_filenames: bool,
    /// Skip videos (`--skip-videos`; default `false`); live-photo videos are not affected.
    pub skip_videos: bool,
    /// Skip photos (`--skip-photos`; default `false`).
    pub skip_photos: bool,
    /// Do not download the video of live photos (`--skip-live-photos`; default `false`).
    pub skip_live_photos: bool,
    /// Consider only the N newest assets of each album (`--recent`; default `None`). Such
    /// runs do not mirror the whole library, so they neither read nor keep the state.
    pub recent: Option<u64>,
    /// Stop an album after N consecutive files that were already present (`--until-found`;
    /// default `None`). Counted in primary files, reset by any file to download; like
    /// `recent`, it makes the run list without the state.
    pub until_found: Option<u64>,
    /// Skip assets created before this (`--skip-created-before 2025-01-02` or `20d`;
    /// default `None`). A bound in days moves with time, so it makes every run a
    /// full listing ([`crate::FullScanReason::OptionsNeedListing`]).
    pub skip_created_before: Option<DateBound>,
    /// Skip assets created after this (`--skip-created-after`; default `None`); as
    /// [`SyncOptions::skip_created_before`].
    pub skip_created_after: Option<DateBound>,
    /// Albums to mirror, in order (`--album`, repeatable; default empty, the whole
    /// library). A name the library does not have stops the run with
    /// [`crate::Error::UnknownAlbum`] before anything is downloaded.
    pub albums: Vec<String>,
    /// Write the creation time, as wall-clock time in [`SyncOptions::time_zone`], into
    /// downloaded JPEGs whose EXIF has no `DateTimeOriginal` (`--set-exif-datetime`; default
    /// `false`). The file then differs from Apple's bytes; the state records its new size.
    pub set_exif_datetime: bool,
    /// Write `<file>.xmp` sidecars next to each downloaded primary file (`--xmp-sidecar`;
    /// default `false`), byte for byte as icloudpd 1.32 does. A sidecar another tool wrote
    /// is left alone ([`crate::SyncEvent::XmpKept`]).
    pub xmp_sidecar: bool,
    /// The `x:xmptk` value of sidecars, e.g. `icloudpd 1.32.2+abcdefgh` (default
    /// `icloudpd-rs <version>`). Sidecars whose toolkit does not start with `icloudpd` are
    /// taken for another tool's and never overwritten.
    pub xmp_toolkit: String,
    /// Whether the run downloads, only reports what it would do, or only lists the files
    /// it would download (`--dry-run`, `--only-print-filenames`; default
    /// [`RunMode::Download`]).
    pub mode: RunMode,
    /// Delete local files of assets found in Recently Deleted (`--auto-delete`; default
    /// `false`). Only files of Apple's size go (a same-named file of the user's stays), and
    /// with a state, never the files of assets this program moved there itself.
    pub auto_delete: bool,
    /// Move each downloaded asset to Recently Deleted in iCloud (`--delete-after-download`;
    /// default `false`), once all its files are durably on disk. An asset whose files were
    /// all present already is left in iCloud.
    pub delete_after_download: bool,
    /// Move assets older than N days to Recently Deleted once they are safely on disk
    /// (`--keep-icloud-recent-days`; default `None`, nothing is moved). Ages are whole days
    /// from creation to the start of the album's listing; `Some(0)` moves every asset. Ages
    /// change without the library changing, so every run is a full listing.
    pub keep_icloud_recent_days: Option<u32>,
    /// Assets downloaded at once (`--threads-num`; default [`DEFAULT_CONCURRENCY`], chosen
    /// by the benchmark in `benches/`). Each asset's files are fetched one after another.
    /// `0` counts as `1`. The listing has its own concurrency, in the photos client.
    pub concurrency: usize,
    /// Retries of one file: transient failures, throttling and refused URLs (default: 6
    /// attempts, jittered backoff from 1 s up to 30 s; when Apple throttles, its
    /// `Retry-After`, capped at 30 s).
    /// A refused URL is replaced by a fresh one once; refused again, the file fails.
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
