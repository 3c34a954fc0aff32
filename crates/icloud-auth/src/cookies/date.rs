//! Date parsing and formatting for cookies: `Expires` attributes and LWP `expires` values.

use time::{Date, Month, OffsetDateTime};

/// The first and last second [`time2isoz`] can write (years 0 to 9999).
const EARLIEST: i64 = -62_167_219_200;
const LATEST: i64 = 253_402_300_799;

/// Returns `unix` moved into the years an LWP file can hold, so that every expiry is written
/// and reads back as it was (Python fails to save a cookie whose expiry is past year 9999).
pub(super) fn writable(unix: i64) -> i64 {
    unix.clamp(EARLIEST, LATEST)
}

/// Python's `time2isoz`: `YYYY-MM-DD hh:mm:ssZ` in UTC.
pub(super) fn time2isoz(unix: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp(unix).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

/// Parses the ISO dates of LWP files (`2026-12-21 17:47:44Z`; also `T`, no seconds, `±hh[:mm]`),
/// kept within the years [`time2isoz`] writes.
pub(super) fn iso2time(text: &str) -> Option<i64> {
    let mut s = Scanner(text.trim().as_bytes());
    let year = s.digits(4, 4)?;
    s.skip_one(b"-/");
    let month = s.digits(1, 2)?;
    s.skip_one(b"-/");
    let day = s.digits(1, 2)?;
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    if s.skip_one(b" \tTt-:") {
        s.skip_while(b" \t");
        hour = s.digits(1, 2)?;
        s.skip_one(b":");
        minute = s.digits(2, 2)?;
        if s.skip_one(b":") || s.peek_digit() {
            second = s.digits(2, 2)?;
            if s.skip_one(b".") {
                s.skip_digits();
            }
        }
    }
    s.skip_while(b" \t");
    let mut offset = 0;
    if !s.skip_one(b"Zz")
        && let Some(sign) = s.take_one(b"+-")
    {
        let hours = s.digits(1, 2)?;
        s.skip_one(b":");
        let minutes = s.digits(2, 2).unwrap_or(0);
        offset = (hours * 60 + minutes) * 60 * if sign == b'-' { -1 } else { 1 };
    }
    s.skip_while(b" \t");
    if !s.0.is_empty() {
        return None;
    }
    unix_time(year, month, day, hour, minute, second).map(|t| writable(t - offset))
}

/// A tiny cursor over ASCII bytes for the date parsers.
struct Scanner<'a>(&'a [u8]);

impl Scanner<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<i64> {
        let n = self
            .0
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        let value = self.0[..n]
            .iter()
            .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
        self.0 = &self.0[n..];
        Some(value)
    }

    fn take_one(&mut self, set: &[u8]) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        set.contains(&first).then(|| {
            self.0 = rest;
            first
        })
    }

    fn skip_one(&mut self, set: &[u8]) -> bool {
        self.take_one(set).is_some()
    }

    fn skip_while(&mut self, set: &[u8]) {
        while self.skip_one(set) {}
    }

    fn skip_digits(&mut self) {
        while self.0.first().is_some_and(u8::is_ascii_digit) {
            self.0 = &self.0[1..];
        }
    }

    fn peek_digit(&self) -> bool {
        self.0.first().is_some_and(u8::is_ascii_digit)
    }
}

/// Parses a cookie `Expires` date leniently, per RFC 6265 §5.1.1. Handles Apple's
/// `Tue,16-Jan-2024 02:07:19 GMT` and `Fri, 12-Jan-2024 05:06:31 GMT` and RFC 1123 dates.
pub(super) fn parse_cookie_date(text: &str) -> Option<i64> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let is_delimiter = |c: char| matches!(c, '\t' | ' '..='/' | ';'..='@' | '['..='`' | '{'..='~');
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    for token in text.split(is_delimiter).filter(|t| !t.is_empty()) {
        let bytes = token.as_bytes();
        if time.is_none()
            && let Some(t) = parse_hms(bytes)
        {
            time = Some(t);
            continue;
        }
        if day.is_none()
            && let Some(d) = leading_number(bytes, 1, 2)
        {
            day = Some(d);
            continue;
        }
        if month.is_none() && bytes.len() >= 3 {
            let prefix = bytes[..3].to_ascii_lowercase();
            if let Some(m) = MONTHS.iter().position(|m| m[..] == prefix[..]) {
                month = i64::try_from(m + 1).ok();
                continue;
            }
        }
        if year.is_none()
            && let Some(y) = leading_number(bytes, 2, 4)
        {
            year = Some(y);
        }
    }
    let (hour, minute, second) = time?;
    let mut year = year?;
    if (70..=99).contains(&year) {
        year += 1900;
    } else if (0..=69).contains(&year) {
        year += 2000;
    }
    if year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    unix_time(year, month?, day?, hour, minute, second)
}

/// `hms-time = time-field ":" time-field ":" time-field ( non-digit *OCTET )`, fields 1–2 digits.
fn parse_hms(token: &[u8]) -> Option<(i64, i64, i64)> {
    let mut s = Scanner(token);
    let hour = s.digits(1, 2)?;
    s.take_one(b":")?;
    let minute = s.digits(1, 2)?;
    s.take_one(b":")?;
    let second = s.digits(1, 2)?;
    (!s.peek_digit()).then_some((hour, minute, second))
}

/// `min*max DIGIT ( non-digit *OCTET )`
fn leading_number(token: &[u8], min: usize, max: usize) -> Option<i64> {
    let mut s = Scanner(token);
    let n = s.digits(min, max)?;
    (!s.peek_digit()).then_some(n)
}

fn unix_time(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> Option<i64> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let clock = date
        .with_hms(
            u8::try_from(hour).ok()?,
            u8::try_from(minute).ok()?,
            u8::try_from(second).ok()?,
        )
        .ok()?;
    Some(clock.assume_utc().unix_timestamp())
}
