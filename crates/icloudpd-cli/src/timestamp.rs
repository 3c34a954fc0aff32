//! Dates as icloudpd reads and prints them: `--skip-created-before/after` values (an interval
//! `20d`, or anything Python 3.11's `datetime.fromisoformat` accepts), Python's
//! `str(datetime)`, and the machine's time zone for the sync engine.
//!
//! The engine's API speaks `time` (re-exported as `icloudpd_sync::time`); this module keeps
//! chrono inside the CLI because chrono's `Local` reads the system's zone rules (`TZ`,
//! `/etc/localtime`) safely in a multi-threaded program, with daylight saving per instant,
//! while `time` refuses local offsets once a second thread exists on Unix.

use chrono::{
    DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Weekday,
};
use icloudpd_sync::DateBound;
use icloudpd_sync::time::{OffsetDateTime, UtcOffset};

/// Returns the machine's time zone (its rules, daylight saving included), in which icloudpd
/// names folders and reads naive dates.
pub fn local_zone() -> icloudpd_sync::TimeZone {
    icloudpd_sync::TimeZone::from_fn(|instant: OffsetDateTime| {
        let seconds = DateTime::from_timestamp(instant.unix_timestamp(), 0)
            .map(|utc| {
                Local
                    .offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc()
            })
            .unwrap_or(0);
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    })
}

/// The same instant and offset as a `time` value (`None` out of its range, years ±9999).
fn to_time(dt: &DateTime<FixedOffset>) -> Option<OffsetDateTime> {
    let nanos =
        i128::from(dt.timestamp()) * 1_000_000_000 + i128::from(dt.timestamp_subsec_nanos());
    let offset = UtcOffset::from_whole_seconds(dt.offset().local_minus_utc()).ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()?
        .checked_to_offset(offset)
}

/// Parses a `--skip-created-*` value: `<digits>d` (or `D`) at the start means that many days
/// ago (the rest is ignored, as icloudpd's `re.match` does); anything else must be an ISO
/// timestamp, and one without an offset is local time. `None` when it is neither.
pub fn parse_date_bound(value: &str) -> Option<DateBound> {
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && matches!(value.as_bytes().get(digits), Some(b'd' | b'D')) {
        return value[..digits].parse().ok().map(DateBound::DaysAgo);
    }
    let (naive, offset) = from_iso_format(value)?;
    let at = match offset {
        Some(offset) => offset.from_local_datetime(&naive).single()?,
        None => local(&naive)?,
    };
    Some(DateBound::At(to_time(&at)?))
}

/// A naive local time in the machine's zone: the earlier instant when the clock was turned
/// back, the offset in force just before a gap when it was turned forward.
fn local(naive: &NaiveDateTime) -> Option<DateTime<FixedOffset>> {
    let fixed = |dt: DateTime<Local>| dt.with_timezone(&dt.offset().fix());
    match Local.from_local_datetime(naive).earliest() {
        Some(dt) => Some(fixed(dt)),
        None => {
            let offset = Local.offset_from_utc_datetime(naive).fix();
            offset.from_local_datetime(naive).single()
        }
    }
}

/// Python 3.11 `datetime.fromisoformat`: a date (`YYYY-MM-DD`, `YYYYMMDD`, `YYYY-Www[-D]`,
/// `YYYYWww[D]`), optionally any one separator character and a time
/// `HH[:MM[:SS[.f…]]]` (or without colons), optionally `Z` or `±HH[:MM[:SS[.f…]]]`.
fn from_iso_format(s: &str) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    if !s.is_ascii() || s.len() < 7 {
        return None;
    }
    let split = date_length(s)?;
    let date = iso_date(s.get(..split)?)?;
    let Some(rest) = s.get(split + 1..) else {
        return Some((date.and_time(NaiveTime::MIN), None));
    };
    let (time, offset) = iso_time(rest)?;
    Some((date.and_time(time), offset))
}

/// Where the date ends (Python's `_find_isoformat_datetime_separator`).
fn date_length(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() == 7 {
        return Some(7);
    }
    if b[4] == b'-' {
        if b[5] != b'W' {
            return Some(10);
        }
        if b.len() > 8 && b[8] == b'-' {
            if b.len() == 9 {
                return None;
            }
            return Some(if b.len() > 10 && b[10].is_ascii_digit() {
                8
            } else {
                10
            });
        }
        return Some(8);
    }
    if b[4] == b'W' {
        let end = 7 + b[7..].iter().take_while(|c| c.is_ascii_digit()).count();
        return Some(match end {
            e if e < 9 => e,
            e if e % 2 == 0 => 7,
            _ => 8,
        });
    }
    Some(8)
}

fn number(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn iso_date(s: &str) -> Option<NaiveDate> {
    if !matches!(s.len(), 7 | 8 | 10) {
        return None;
    }
    let year = i32::try_from(number(s.get(..4)?)?)
        .ok()
        .filter(|y| *y >= 1)?;
    let dashed = s.as_bytes()[4] == b'-';
    let rest = &s[4 + usize::from(dashed)..];
    if let Some(week) = rest.strip_prefix('W') {
        let (week, day) = week.split_at(2.min(week.len()));
        let day = match day {
            "" => "1",
            d => match d.strip_prefix('-') {
                Some(d) if dashed => d,
                Some(_) => return None,
                None if dashed => return None,
                None => d,
            },
        };
        const DAYS: [Weekday; 7] = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        let weekday = *DAYS.get(usize::try_from(number(day)?.checked_sub(1)?).ok()?)?;
        return NaiveDate::from_isoywd_opt(year, number(week)?, weekday);
    }
    let (month, rest) = rest.split_at(2.min(rest.len()));
    let day = match rest.strip_prefix('-') {
        Some(day) if dashed => day,
        None if !dashed => rest,
        _ => return None,
    };
    if day.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, number(month)?, number(day)?)
}

fn iso_time(s: &str) -> Option<(NaiveTime, Option<FixedOffset>)> {
    if s.len() < 2 {
        return None;
    }
    // Python looks for `-`, then `+`, then `Z`, each anywhere.
    let tz_at = s.find('-').or_else(|| s.find('+')).or_else(|| s.find('Z'));
    let Some(at) = tz_at else {
        let [h, m, sec, us] = hh_mm_ss_ff(s)?;
        return Some((NaiveTime::from_hms_micro_opt(h, m, sec, us)?, None));
    };
    // CPython's C parser also tolerates one stray character before the offset
    // (`10:00 +02:00`), but not after a fraction.
    let before = &s[..at];
    let [h, m, sec, us] = hh_mm_ss_ff(before).or_else(|| {
        let trimmed = before.get(..before.len().checked_sub(1)?)?;
        (!before.contains(['.', ','])).then(|| hh_mm_ss_ff(trimmed))?
    })?;
    let time = NaiveTime::from_hms_micro_opt(h, m, sec, us)?;
    let tz = &s[at + 1..];
    if s.as_bytes()[at] == b'Z' {
        return FixedOffset::east_opt(0)
            .filter(|_| tz.is_empty())
            .map(|utc| (time, Some(utc)));
    }
    if matches!(tz.len(), 0 | 1 | 3) {
        return None;
    }
    let [oh, om, os, ous] = hh_mm_ss_ff(tz)?;
    if ous != 0 {
        return None; // sub-second offsets exist in Python only
    }
    let seconds = i32::try_from(oh * 3600 + om * 60 + os).ok()?;
    let sign = if s.as_bytes()[at] == b'-' { -1 } else { 1 };
    Some((time, Some(FixedOffset::east_opt(sign * seconds)?)))
}

/// `HH[:?MM[:?SS[{.,}f…]]]` → hours, minutes, seconds, microseconds (Python's `_parse_hh_mm_ss_ff`).
fn hh_mm_ss_ff(s: &str) -> Option<[u32; 4]> {
    let b = s.as_bytes();
    let mut parts = [0u32; 4];
    let mut pos = 0;
    let mut colons = false;
    for (i, part) in parts.iter_mut().take(3).enumerate() {
        *part = number(s.get(pos..pos + 2)?)?;
        pos += 2;
        let next = b.get(pos).copied();
        if i == 0 {
            colons = next == Some(b':');
        }
        if next.is_none() || i == 2 {
            break;
        }
        if colons {
            if next != Some(b':') {
                return None;
            }
            pos += 1;
        }
    }
    if pos < b.len() {
        if !matches!(b[pos], b'.' | b',') {
            return None;
        }
        let digits = &s[pos + 1..];
        let taken = &digits[..digits.len().min(6)];
        if !digits.bytes().all(|c| c.is_ascii_digit()) || taken.is_empty() {
            return None;
        }
        parts[3] = number(taken)? * 10u32.pow(6 - u32::try_from(taken.len()).ok()?);
    }
    Some(parts)
}

/// Python's `str(datetime)` of an aware datetime: `YYYY-MM-DD HH:MM:SS[.ffffff]±HH:MM[:SS]`.
pub fn python_str(dt: &OffsetDateTime) -> String {
    let micros = dt.microsecond();
    let fraction = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}")
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{fraction}{}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        python_offset(dt.offset().whole_seconds(), true)
    )
}

/// Python's `%z` (`+0000`), or with `colons` the `str()` form (`+00:00`); seconds only when
/// non-zero.
pub fn python_offset(seconds: i32, colons: bool) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let sep = if colons { ":" } else { "" };
    let mut out = format!("{sign}{:02}{sep}{:02}", s / 3600, s / 60 % 60);
    if !s.is_multiple_of(60) {
        out.push_str(&format!("{sep}{:02}", s % 60));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> Option<String> {
        from_iso_format(s).map(|(naive, offset)| match offset {
            Some(o) => python_str(&to_time(&o.from_local_datetime(&naive).unwrap()).unwrap()),
            None => naive.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        })
    }

    #[test]
    fn iso_formats_accepted_by_python_3_11() {
        // Expected values printed by Python 3.11.7's `datetime.fromisoformat`.
        for (input, expected) in [
            ("2025-01-02", "2025-01-02 00:00:00.000000"),
            ("20250102", "2025-01-02 00:00:00.000000"),
            ("2025-01-02T10:00", "2025-01-02 10:00:00.000000"),
            ("2025-01-02 10:00:00", "2025-01-02 10:00:00.000000"),
            ("2025-01-02T10:00:00.5", "2025-01-02 10:00:00.500000"),
            (
                "2025-01-02T10:00:00,123456789",
                "2025-01-02 10:00:00.123456",
            ),
            ("2025-01-02T10", "2025-01-02 10:00:00.000000"),
            ("2025-01-02T1000", "2025-01-02 10:00:00.000000"),
            ("2025-01-02T100000", "2025-01-02 10:00:00.000000"),
            ("2025-01-02x10:00", "2025-01-02 10:00:00.000000"),
            ("20250102T1000", "2025-01-02 10:00:00.000000"),
            ("2025-W01", "2024-12-30 00:00:00.000000"),
            ("2025W011", "2024-12-30 00:00:00.000000"),
            ("2025-W01-3", "2025-01-01 00:00:00.000000"),
            ("2025-01-02T10:00:00Z", "2025-01-02 10:00:00+00:00"),
            ("2025-01-02T10:00Z", "2025-01-02 10:00:00+00:00"),
            ("2025-01-02T10:00:00+02:00", "2025-01-02 10:00:00+02:00"),
            ("2025-01-02T10:00:00+0200", "2025-01-02 10:00:00+02:00"),
            ("2025-01-02T10:00+02", "2025-01-02 10:00:00+02:00"),
            ("2025-01-02T10:00:00-00:00", "2025-01-02 10:00:00+00:00"),
            (
                "2025-01-02T10:00:00.123+02:00",
                "2025-01-02 10:00:00.123000+02:00",
            ),
            (
                "2025-01-02T10:00:00+02:00:30",
                "2025-01-02 10:00:00+02:00:30",
            ),
            ("2025-01-02T10:00:00-0530", "2025-01-02 10:00:00-05:30"),
            ("2025-01-02T10:00:00 +02:00", "2025-01-02 10:00:00+02:00"),
            ("2025-01-02T10 +02:00", "2025-01-02 10:00:00+02:00"),
            ("2025-01-02T10:00:00 Z", "2025-01-02 10:00:00+00:00"),
            ("2026-W53", "2026-12-28 00:00:00.000000"),
        ] {
            assert_eq!(iso(input).as_deref(), Some(expected), "{input}");
        }
    }

    #[test]
    fn iso_formats_rejected_by_python_3_11() {
        for input in [
            "2025-01-33",
            "2",
            "2025",
            "2025-01",
            "2025-01-02T24:00",
            "2025-01-02T10:00:00.",
            "2025-01-02T10:00:00.1234567x",
            " 2025-01-02",
            "2025-01-02 ",
            "2025-0102",
            "202501-02",
            "2025-01-02T10:00:60",
            "２０２５-01-02",
            "2025-01-02T10:00:00+2:00",
            "2025-01-02T10:00:00+24:00",
            "2025-01-02T10:00:00z",
            "2025-01-02T10:5",
            "0000-01-01",
            "2025-01-02T10:00:00+02:00Z",
            "2025-01-02T10:00:00+02:0",
            "2025-01-02T",
            "2025-01-02T10:00 ",
            "2025-01-02T10:00:00.5 +02:00",
            "2025-01-02T10:00:00xy+02:00",
            "2025-W53",
            "2025-W00",
            "2025-W01-8",
            "2025-01-0",
        ] {
            assert_eq!(iso(input), None, "{input}");
        }
    }

    #[test]
    fn intervals_are_days_ago() {
        assert_eq!(parse_date_bound("2d"), Some(DateBound::DaysAgo(2)));
        assert_eq!(parse_date_bound("20D"), Some(DateBound::DaysAgo(20)));
        assert_eq!(parse_date_bound("20days"), Some(DateBound::DaysAgo(20)));
        assert_eq!(parse_date_bound("d"), None);
        assert_eq!(parse_date_bound("99999999999d"), None);
    }

    #[test]
    fn naive_values_are_local_time_and_aware_ones_keep_their_offset() {
        let Some(DateBound::At(at)) = parse_date_bound("2025-01-02") else {
            panic!("not a date")
        };
        let expected = Local
            .with_ymd_and_hms(2025, 1, 2, 0, 0, 0)
            .unwrap()
            .fixed_offset();
        let expected = to_time(&expected).unwrap();
        assert_eq!(at, expected);
        assert_eq!(at.offset(), expected.offset());
        let Some(DateBound::At(at)) = parse_date_bound("2025-01-02T10:00:00+02:00") else {
            panic!("not a date")
        };
        assert_eq!(python_str(&at), "2025-01-02 10:00:00+02:00");
    }

    #[test]
    fn python_str_shows_microseconds_only_when_present() {
        let at = |s: &str| {
            let (naive, offset) = from_iso_format(s).unwrap();
            to_time(&offset.unwrap().from_local_datetime(&naive).unwrap()).unwrap()
        };
        let dt = at("2018-07-31T07:22:24Z");
        assert_eq!(python_str(&dt), "2018-07-31 07:22:24+00:00");
        let dt = dt + icloudpd_sync::time::Duration::milliseconds(816);
        assert_eq!(python_str(&dt), "2018-07-31 07:22:24.816000+00:00");
        let dt = at("0005-01-01T00:00-07:30");
        assert_eq!(python_str(&dt), "0005-01-01 00:00:00-07:30");
        assert_eq!(python_offset(0, false), "+0000");
        assert_eq!(python_offset(-3600, false), "-0100");
    }
}
