//! Which runs keep the [`crate::SyncState`] and which may read the change feed, and the
//! fingerprint that keeps configurations apart in it.
//!
//! Runs fall into three kinds:
//!
//! | Options | State | Listing |
//! |---|---|---|
//! | `--album`, `--recent`, `--until-found`, or a [`crate::RunMode`] that does not write | not read, not written ([`records`] is false) | full, every run ([`FullScanReason::NotWholeLibrary`]) |
//! | `--keep-icloud-recent-days`, a `--skip-created-*` bound in days | files recorded, tokens kept | full, every run ([`feed_unusable`]) |
//! | anything else | files recorded, tokens kept | the change feed, with a full listing when due |
//!
//! The fingerprint ([`configuration`], hashed by [`crate::state::fingerprint`]) covers what
//! decides which files a run puts where: sizes, naming, folders (with the zone's offsets in
//! January and July, so a machine moved to another zone or a changed [`crate::TimeZone`]
//! plans anew), filters and deletion options. What only tunes how files are fetched
//! (concurrency, retries, stall detection) or how the run reports is left out, so changing
//! it keeps the tokens. A changed fingerprint is a new configuration: its first run is a full
//! listing ([`FullScanReason::NewConfiguration`]) that finds the files already there.

use time::macros::datetime;

use crate::options::{DateBound, SyncOptions};
use crate::report::FullScanReason;

/// The version of the planning rules in [`configuration`]: a build that names or places
/// files differently bumps it, and every state starts with a full listing.
const PLAN_RULES: u32 = 1;

/// The canonical text of everything that shapes the plan of `options` for `source` (a
/// library's `<database> <zone>`, or `shared <GUID>` for a shared album): two runs with the
/// same text put the same files at the same paths and treat them alike.
///
/// Every field of [`SyncOptions`] is named here, so that a new one cannot be forgotten: a
/// field that shapes the plan goes into the text, the others are ignored on purpose.
pub(crate) fn configuration(options: &SyncOptions, source: &str) -> String {
    let SyncOptions {
        // Part of the state's file name.
        directory: _,
        sizes,
        live_photo_size,
        force_size,
        align_raw,
        file_match_policy,
        live_mov_policy,
        folder_structure,
        time_names,
        time_zone,
        keep_unicode_in_filenames,
        skip_videos,
        skip_photos,
        skip_live_photos,
        // Runs with these keep no state (see `records`).
        recent: _,
        until_found: _,
        skip_created_before,
        skip_created_after,
        albums: _,
        set_exif_datetime,
        xmp_sidecar,
        // A sidecar names its writer; it changes with every version of the program.
        xmp_toolkit: _,
        mode: _,
        auto_delete,
        // Acts on what was downloaded in the same run; the files stay the same.
        delete_after_download: _,
        keep_icloud_recent_days,
        // Download tuning.
        concurrency: _,
        download_retry: _,
        stall_window: _,
        min_download_speed: _,
    } = options;
    // Folder names come from local time: a machine moved to another time zone plans anew.
    let offsets: Vec<i32> = [
        datetime!(2020-01-01 0:00 UTC),
        datetime!(2020-07-01 0:00 UTC),
    ]
    .into_iter()
    .map(|t| time_zone.offset_at(t).whole_seconds())
    .collect();
    let (before, after) = (bound(skip_created_before), bound(skip_created_after));
    format!(
        "rules={PLAN_RULES}\nlibrary={}\nsizes={sizes:?}\nlive={live_photo_size:?}\n\
         force_size={force_size}\nalign_raw={align_raw:?}\nmatch={file_match_policy:?}\n\
         live_mov={live_mov_policy:?}\nfolders={folder_structure:?}\ntime_names={time_names:?}\n\
         unicode={keep_unicode_in_filenames}\nskip_videos={skip_videos}\n\
         skip_photos={skip_photos}\nskip_live={skip_live_photos}\n\
         before={before}\nafter={after}\n\
         exif={set_exif_datetime}\nxmp={xmp_sidecar}\nauto_delete={auto_delete}\n\
         keep_days={keep_icloud_recent_days:?}\ntz={offsets:?}",
        source,
    )
}

/// A `skip_created_*` bound as the fingerprint has always written it (`None`,
/// `Some(DaysAgo(3))`, `Some(At(2025-01-02T00:00:00+02:00))`), so that states written before
/// keep their tokens.
fn bound(bound: &Option<DateBound>) -> String {
    match bound {
        None => "None".to_owned(),
        Some(DateBound::DaysAgo(days)) => format!("Some(DaysAgo({days}))"),
        Some(DateBound::At(at)) => {
            let fraction = match at.nanosecond() {
                0 => String::new(),
                nanos => fraction(nanos),
            };
            let offset = at.offset().whole_seconds();
            let sign = if offset < 0 { '-' } else { '+' };
            let abs = offset.unsigned_abs();
            let seconds = match abs % 60 {
                0 => String::new(),
                s => format!(":{s:02}"),
            };
            format!(
                "Some(At({:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}{sign}{:02}:{:02}{seconds}))",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second(),
                abs / 3600,
                abs / 60 % 60,
            )
        }
    }
}

/// chrono's `.f` fraction: 3, 6 or 9 digits, as few as hold the value.
fn fraction(nanos: u32) -> String {
    if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    }
}

/// Whether runs with `options` list the whole library and write: only those keep the state.
pub(crate) fn records(options: &SyncOptions) -> bool {
    options.albums.is_empty()
        && options.recent.is_none()
        && options.until_found.is_none()
        && options.mode.writes()
}

/// Why runs with `options` cannot use the change feed although they keep the state, if so:
/// `--keep-icloud-recent-days` must see every asset grow old, and a relative
/// `--skip-created-*` bound moves with time, so unchanged assets enter or leave the range.
pub(crate) fn feed_unusable(options: &SyncOptions) -> Option<FullScanReason> {
    let relative = |b: &Option<DateBound>| matches!(b, Some(DateBound::DaysAgo(_)));
    (options.keep_icloud_recent_days.is_some()
        || relative(&options.skip_created_before)
        || relative(&options.skip_created_after))
    .then_some(FullScanReason::OptionsNeedListing)
}
