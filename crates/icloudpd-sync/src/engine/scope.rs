//! Which runs keep the [`crate::SyncState`] and which may read the change feed, and the
//! fingerprint that keeps configurations apart in it.

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
        dry_run: _,
        only_print_filenames: _,
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
    let offsets: Vec<i32> = ["2020-01-01T00:00:00Z", "2020-07-01T00:00:00Z"]
        .iter()
        .filter_map(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
        .map(|t| t.with_timezone(&chrono::Local).offset().local_minus_utc())
        .collect();
    format!(
        "rules={PLAN_RULES}\nlibrary={}\nsizes={sizes:?}\nlive={live_photo_size:?}\n\
         force_size={force_size}\nalign_raw={align_raw:?}\nmatch={file_match_policy:?}\n\
         live_mov={live_mov_policy:?}\nfolders={folder_structure:?}\ntime_names={time_names:?}\n\
         unicode={keep_unicode_in_filenames}\nskip_videos={skip_videos}\n\
         skip_photos={skip_photos}\nskip_live={skip_live_photos}\n\
         before={skip_created_before:?}\nafter={skip_created_after:?}\n\
         exif={set_exif_datetime}\nxmp={xmp_sidecar}\nauto_delete={auto_delete}\n\
         keep_days={keep_icloud_recent_days:?}\ntz={offsets:?}",
        source,
    )
}

/// Whether runs with `options` list the whole library and write: only those keep the state.
pub(crate) fn records(options: &SyncOptions) -> bool {
    options.albums.is_empty()
        && options.recent.is_none()
        && options.until_found.is_none()
        && !options.dry_run
        && !options.only_print_filenames
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
