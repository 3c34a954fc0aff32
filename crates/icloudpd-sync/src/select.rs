//! Which assets a sync considers: item-type filters and the creation-date range (cli.md §7).
//! Pure: the current time is an argument.
//!
//! The rules, in the order they apply:
//!
//! 1. The type filters: a movie under `skip_videos`, an image under `skip_photos`. A live
//!    photo is an image; its video is governed by `skip_live_photos` in the planner, not
//!    here. An asset of neither type passes.
//! 2. The date range, on the creation time in [`crate::SyncOptions::time_zone`]
//!    ([`created_local`]): an asset created strictly before `skip_created_before`, or
//!    strictly after `skip_created_after`, is skipped; the bounds themselves are inside the
//!    range. A bound in days ([`DateBound::DaysAgo`]) is resolved against the moment the
//!    asset is considered, so a long run's window moves with it, as in icloudpd.
//!
//! An asset without a usable date counts as created at 1970-01-01 00:00 on the zone's clock,
//! as icloudpd does: it falls in the first folder of the epoch and before any bound.

use icloud_photos::{Asset, MediaType};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::options::{DateBound, SyncOptions};
use crate::zone::TimeZone;

/// The asset's creation time in `zone` (`created` of photos.md §8.6). An asset without a
/// usable date gets the Unix epoch read as local time (1970-01-01 00:00 on the zone's
/// clock), as icloudpd does.
pub(crate) fn created_local(asset: &Asset, zone: &TimeZone) -> OffsetDateTime {
    match asset.asset_date() {
        Some(date) => zone.local(date),
        None => epoch_local(zone),
    }
}

fn epoch_local(zone: &TimeZone) -> OffsetDateTime {
    let offset = zone.offset_at(OffsetDateTime::UNIX_EPOCH);
    let midnight = Date::from_calendar_date(1970, Month::January, 1)
        .map(|d| PrimitiveDateTime::new(d, Time::MIDNIGHT))
        .unwrap_or(PrimitiveDateTime::MIN);
    midnight.assume_offset(offset)
}

/// Why an asset was not considered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// A video while only photos are wanted.
    Video,
    /// A photo while only videos are wanted.
    Photo,
    /// Created before `bound`.
    CreatedBefore {
        /// Creation time, in [`crate::SyncOptions::time_zone`].
        created: OffsetDateTime,
        /// The instant it was compared with (a bound in days counts back from the moment the
        /// asset was considered, in the same zone).
        bound: OffsetDateTime,
    },
    /// Created after `bound`.
    CreatedAfter {
        /// Creation time, in [`crate::SyncOptions::time_zone`].
        created: OffsetDateTime,
        /// The instant it was compared with (a bound in days counts back from the moment the
        /// asset was considered, in the same zone).
        bound: OffsetDateTime,
    },
}

/// The filters of one sync.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    skip_videos: bool,
    skip_photos: bool,
    before: Option<DateBound>,
    after: Option<DateBound>,
}

impl Selection {
    pub(crate) fn new(options: &SyncOptions) -> Selection {
        Selection {
            skip_videos: options.skip_videos,
            skip_photos: options.skip_photos,
            before: options.skip_created_before,
            after: options.skip_created_after,
        }
    }

    /// Why `asset` (created at `created`) is skipped, if it is; `now` resolves "N days ago".
    pub(crate) fn skip_reason(
        &self,
        asset: &Asset,
        created: &OffsetDateTime,
        now: &OffsetDateTime,
    ) -> Option<SkipReason> {
        match asset.media_type() {
            Some(MediaType::Movie) if self.skip_videos => return Some(SkipReason::Video),
            Some(MediaType::Image) if self.skip_photos => return Some(SkipReason::Photo),
            _ => {}
        }
        if let Some(bound) = self.before.map(|b| resolve(b, now))
            && *created < bound
        {
            return Some(SkipReason::CreatedBefore {
                created: *created,
                bound,
            });
        }
        if let Some(bound) = self.after.map(|b| resolve(b, now))
            && *created > bound
        {
            return Some(SkipReason::CreatedAfter {
                created: *created,
                bound,
            });
        }
        None
    }
}

fn resolve(bound: DateBound, now: &OffsetDateTime) -> OffsetDateTime {
    match bound {
        DateBound::At(at) => at,
        DateBound::DaysAgo(days) => *now - time::Duration::days(i64::from(days)),
    }
}

/// Whole days from `created` to `now`, rounded down (`--keep-icloud-recent-days`).
pub(crate) fn age_days(created: &OffsetDateTime, now: &OffsetDateTime) -> i64 {
    (*now - *created).whole_seconds().div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    }

    #[test]
    fn age_is_floored_whole_days() {
        let created = at("2018-07-31T07:22:24Z");
        assert_eq!(age_days(&created, &at("2018-10-29T00:00:00Z")), 89);
        assert_eq!(age_days(&created, &at("2018-08-01T00:00:00Z")), 0);
        assert_eq!(age_days(&created, &at("2018-07-31T23:59:59Z")), 0);
        assert_eq!(age_days(&created, &at("2018-08-10T00:00:00Z")), 9);
        assert_eq!(
            age_days(&at("2018-07-30T11:44:10Z"), &at("2018-08-01T00:00:00Z")),
            1
        );
    }

    #[test]
    fn interval_bounds_count_back_from_now() {
        let now = at("2025-01-10T12:00:00Z");
        assert_eq!(
            resolve(DateBound::DaysAgo(2), &now),
            at("2025-01-08T12:00:00Z")
        );
        let fixed = at("2025-01-02T00:00:00+02:00");
        assert_eq!(resolve(DateBound::At(fixed), &now), fixed);
    }
}
