//! [`TimeZone`]: the clock folder names and date filters are read on, supplied by the caller.

use std::fmt;
use std::sync::Arc;

use time::{OffsetDateTime, UtcOffset};

/// The time zone in which creation times become folder names, EXIF dates and the dates of
/// the `skip_created_*` filters.
///
/// icloudpd files a photo under the *local* date it was taken on the machine that runs it, so
/// a photo taken at 23:30 UTC lands in tomorrow's folder east of Greenwich. Which zone that is
/// (and its daylight-saving rules) is the caller's knowledge, not the engine's: the engine
/// reads no environment and no time-zone database. [`SyncOptions::time_zone`] defaults to
/// [`TimeZone::UTC`]; a program that wants the machine's zone supplies its rules with
/// [`TimeZone::from_fn`] (the `icloudpd` binary does so with the system's zone database).
///
/// [`SyncOptions::time_zone`]: crate::SyncOptions::time_zone
///
/// ```
/// use icloudpd_sync::TimeZone;
/// use icloudpd_sync::time::{OffsetDateTime, UtcOffset};
///
/// // A fixed offset, e.g. a NAS that lives in UTC+2 and ignores daylight saving.
/// let plus_two = TimeZone::fixed(UtcOffset::from_hms(2, 0, 0)?);
/// let taken = OffsetDateTime::from_unix_timestamp(1_533_079_800)?; // 2018-07-31 23:30 UTC
/// assert_eq!(plus_two.local(taken).day(), 1); // 01:30 on 1 August
///
/// // Rules of your own: here, a crude "summer time" from April to September.
/// let summer = TimeZone::from_fn(|instant| {
///     let hours = if (4..=9).contains(&(instant.month() as u8)) { 2 } else { 1 };
///     UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
/// });
/// assert_eq!(summer.offset_at(taken), UtcOffset::from_hms(2, 0, 0)?);
/// # Ok::<(), icloudpd_sync::time::error::ComponentRange>(())
/// ```
#[derive(Clone)]
pub struct TimeZone(Rules);

#[derive(Clone)]
enum Rules {
    Fixed(UtcOffset),
    Function(Arc<dyn Fn(OffsetDateTime) -> UtcOffset + Send + Sync>),
}

impl TimeZone {
    /// Coordinated Universal Time, the default.
    pub const UTC: TimeZone = TimeZone(Rules::Fixed(UtcOffset::UTC));

    /// Returns a zone that is always `offset` from UTC.
    pub fn fixed(offset: UtcOffset) -> TimeZone {
        TimeZone(Rules::Fixed(offset))
    }

    /// Returns a zone whose offset at an instant is what `rules` says; it is asked once per
    /// asset, so it should be quick (a lookup, not a file read).
    pub fn from_fn(
        rules: impl Fn(OffsetDateTime) -> UtcOffset + Send + Sync + 'static,
    ) -> TimeZone {
        TimeZone(Rules::Function(Arc::new(rules)))
    }

    /// Returns the zone's offset from UTC at `instant`.
    pub fn offset_at(&self, instant: OffsetDateTime) -> UtcOffset {
        match &self.0 {
            Rules::Fixed(offset) => *offset,
            Rules::Function(rules) => rules(instant),
        }
    }

    /// Returns `instant` as the zone's wall-clock time (the same instant, the zone's offset).
    pub fn local(&self, instant: OffsetDateTime) -> OffsetDateTime {
        instant.to_offset(self.offset_at(instant))
    }
}

impl Default for TimeZone {
    fn default() -> TimeZone {
        TimeZone::UTC
    }
}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Rules::Fixed(offset) => f.debug_tuple("TimeZone").field(offset).finish(),
            Rules::Function(_) => f.write_str("TimeZone(<rules>)"),
        }
    }
}
