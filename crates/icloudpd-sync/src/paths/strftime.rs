//! `datetime.strftime` as icloudpd runs it on Linux: CPython substitutes `%f`, `%z` and `%Z`
//! itself, then hands the rest to glibc's `wcsftime`, reproduced here for the C locale (names
//! come from [`TimeNames`]).
//!
//! glibc details kept: flags `_ - 0 ^ #`, field widths, the `E`/`O` modifiers (no eras or
//! alternative digits in the C locale), unpadded `%Y`/`%G` (year 5 is `5`), unknown
//! conversions copied as written (`%q`), and CPython's output limit (a result of 256
//! characters per format character or more becomes empty). Being the wide-character variant,
//! widths count characters and `^`/`#` change the case of any letter.
//!
//! Zone names: `%Z` is `UTC` for a zero offset and otherwise the numeric name tzdata uses for
//! zones without letters (`+02`, `-0330`): a fixed offset carries no abbreviation such as
//! `CEST`. `%z` and `%Z` written with flags or a width reach glibc in CPython, which then knows
//! no offset (giving `""` or `+0`); here they format the real one.

use time::OffsetDateTime;

use crate::options::TimeNames;

/// The broken-down time `strftime` reads.
#[derive(Debug, Clone)]
pub(super) struct Tm {
    year: i64,
    month0: usize,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    /// Day of the year, 0-based.
    yday: i64,
    /// Day of the week, 0 = Sunday.
    wday: usize,
    micro: u32,
    /// Seconds east of UTC.
    offset: i32,
    timestamp: i64,
}

impl Tm {
    pub(super) fn new(dt: &OffsetDateTime) -> Tm {
        Tm {
            year: i64::from(dt.year()),
            month0: usize::from(u8::from(dt.month()) - 1),
            mday: i64::from(dt.day()),
            hour: i64::from(dt.hour()),
            min: i64::from(dt.minute()),
            sec: i64::from(dt.second()),
            yday: i64::from(dt.ordinal()) - 1,
            wday: usize::from(dt.weekday().number_days_from_sunday()),
            micro: dt.microsecond().min(999_999),
            offset: dt.offset().whole_seconds(),
            timestamp: dt.unix_timestamp(),
        }
    }

    /// Python's `%z`: `+HHMM`, with seconds when there are any.
    fn python_offset(&self) -> String {
        let sign = if self.offset < 0 { '-' } else { '+' };
        let abs = self.offset.unsigned_abs();
        let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
        if s == 0 {
            format!("{sign}{h:02}{m:02}")
        } else {
            format!("{sign}{h:02}{m:02}{s:02}")
        }
    }

    /// The zone name: `UTC`, or tzdata's numeric style (`+02`, `+0530`).
    fn zone_name(&self) -> String {
        if self.offset == 0 {
            return "UTC".to_owned();
        }
        let sign = if self.offset < 0 { '-' } else { '+' };
        let abs = self.offset.unsigned_abs();
        let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
        match (m, s) {
            (0, 0) => format!("{sign}{h:02}"),
            (_, 0) => format!("{sign}{h:02}{m:02}"),
            _ => format!("{sign}{h:02}{m:02}{s:02}"),
        }
    }
}

/// Formats `tm` with a non-empty strftime pattern, as Python's `datetime.strftime` on glibc.
pub(super) fn strftime(pattern: &str, tm: &Tm, names: &TimeNames) -> String {
    let format = python_substitutions(pattern, tm);
    let mut out = Out::new(python_buffer_limit(format.chars().count()));
    match glibc(&format, tm, names, &mut out, 0) {
        Ok(()) => out.text,
        Err(Overflow) => String::new(),
    }
}

/// CPython's `wrap_strftime`: `%f`, `%z` and `%Z` right after a `%` are replaced before glibc
/// sees the format (`%` in the zone name doubled); every other `%x` pair is kept.
fn python_substitutions(pattern: &str, tm: &Tm) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            None => out.push('%'),
            Some('f') => out.push_str(&format!("{:06}", tm.micro)),
            Some('z') => out.push_str(&tm.python_offset()),
            Some('Z') => out.push_str(&tm.zone_name().replace('%', "%%")),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}

/// The largest output CPython's `time.strftime` accepts: it retries with buffers of 1024,
/// 2048, … characters until one is at least 256 times the format length, and glibc needs room
/// for the terminating NUL.
fn python_buffer_limit(format_len: usize) -> usize {
    let wanted = format_len.saturating_mul(256);
    let mut size = 1024usize;
    while size < wanted {
        size = size.saturating_mul(2);
    }
    size
}

/// The output did not fit (CPython then returns an empty string).
#[derive(Debug)]
struct Overflow;

/// The output so far. CPython calls the wide-character `wcsftime`, so lengths, widths and the
/// limit count characters, not bytes.
struct Out {
    text: String,
    chars: usize,
    limit: usize,
}

impl Out {
    fn new(limit: usize) -> Out {
        Out {
            text: String::new(),
            chars: 0,
            limit,
        }
    }

    /// Appends `text` after `pad` padding characters, failing once the result would not fit.
    fn push(&mut self, pad: usize, pad_char: char, text: &str) -> Result<(), Overflow> {
        let len = text.chars().count();
        let total = self.chars.saturating_add(pad).saturating_add(len);
        if total >= self.limit {
            return Err(Overflow);
        }
        self.text.extend(std::iter::repeat_n(pad_char, pad));
        self.text.push_str(text);
        self.chars = total;
        Ok(())
    }
}

/// `towupper`/`towlower`: one character for one, else unchanged.
fn map_case(text: &str, upper: bool) -> String {
    text.chars()
        .map(|c| {
            let mut mapped: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            match (mapped.pop(), mapped.is_empty()) {
                (Some(one), true) => one,
                _ => c,
            }
        })
        .collect()
}

/// The flags, width and modifier of one conversion.
#[derive(Debug, Clone, Copy, Default)]
struct Spec {
    /// `_`, `-` or `0`; `None` when not given.
    pad: Option<char>,
    /// `None` when no width was given (glibc's -1).
    width: Option<usize>,
    modifier: Option<char>,
    upcase: bool,
    lowcase: bool,
    change_case: bool,
}

impl Spec {
    fn width(&self) -> usize {
        self.width.unwrap_or(0)
    }

    /// glibc's `cpy`: `text` padded on the left up to the width (zeros with the `0` flag,
    /// otherwise spaces), case-changed as flagged.
    fn copy(&self, out: &mut Out, text: &str) -> Result<(), Overflow> {
        let pad = self.width().saturating_sub(text.chars().count());
        let pad_char = if self.pad == Some('0') { '0' } else { ' ' };
        if self.lowcase {
            out.push(pad, pad_char, &map_case(text, false))
        } else if self.upcase {
            out.push(pad, pad_char, &map_case(text, true))
        } else {
            out.push(pad, pad_char, text)
        }
    }

    /// glibc's `DO_NUMBER`: at least `digits` digits (or the width, if larger).
    fn number(&self, out: &mut Out, digits: usize, value: i64) -> Result<(), Overflow> {
        self.padded_number(out, digits.max(self.width()), value)
    }

    /// glibc's `DO_NUMBER_SPACEPAD`: as [`Spec::number`], padded with spaces by default.
    fn number_spacepad(&self, out: &mut Out, digits: usize, value: i64) -> Result<(), Overflow> {
        let mut spec = *self;
        if !matches!(spec.pad, Some('0' | '-')) {
            spec.pad = Some('_');
        }
        spec.number(out, digits, value)
    }

    /// glibc's `do_number_sign_and_padding`.
    fn padded_number(&self, out: &mut Out, digits: usize, value: i64) -> Result<(), Overflow> {
        let negative = value < 0;
        let magnitude = value.unsigned_abs().to_string();
        let len = magnitude.len() + usize::from(negative);
        let mut spec = *self;
        let mut sign_written = false;
        if spec.pad != Some('-') && digits > len {
            let padding = digits - len;
            if spec.pad == Some('_') {
                out.push(padding, ' ', "")?;
                spec.width = Some(spec.width().saturating_sub(padding));
            } else {
                if negative {
                    out.push(0, ' ', "-")?;
                    sign_written = true;
                }
                out.push(padding, '0', "")?;
                spec.width = Some(0);
            }
        }
        if negative && !sign_written {
            spec.copy(out, &format!("-{magnitude}"))
        } else {
            spec.copy(out, &magnitude)
        }
    }
}

/// Subformats nest (`%c` → the locale's pattern); a locale pattern naming itself stops here.
const MAX_DEPTH: usize = 4;

/// glibc's `__strftime_internal` over an already substituted format.
fn glibc(
    format: &str,
    tm: &Tm,
    names: &TimeNames,
    out: &mut Out,
    depth: usize,
) -> Result<(), Overflow> {
    let bytes = format.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let Some(rest) = format.get(i..) else { break };
        let Some(c) = rest.chars().next() else { break };
        if c != '%' {
            out.push(0, ' ', &rest[..c.len_utf8()])?;
            i += c.len_utf8();
            continue;
        }
        let start = i;
        i += 1;
        let mut spec = Spec::default();
        while let Some(&flag) = bytes.get(i) {
            match flag {
                b'_' | b'-' | b'0' => spec.pad = Some(char::from(flag)),
                b'^' => spec.upcase = true,
                b'#' => spec.change_case = true,
                _ => break,
            }
            i += 1;
        }
        if bytes.get(i).is_some_and(u8::is_ascii_digit) {
            let mut width = 0usize;
            while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
                width = width
                    .saturating_mul(10)
                    .saturating_add(usize::from(d - b'0'));
                i += 1;
            }
            spec.width = Some(width);
        }
        if let Some(&m @ (b'E' | b'O')) = bytes.get(i) {
            spec.modifier = Some(char::from(m));
            i += 1;
        }
        // The conversion character (a whole character, for the copy of unknown ones).
        let conversion = format.get(i..).and_then(|r| r.chars().next());
        let end = i + conversion.map_or(0, char::len_utf8);
        let known = match conversion {
            Some(conv) => convert(conv, &mut spec, tm, names, out, depth)?,
            None => false,
        };
        if !known {
            // Unknown (or cut-off) conversion: glibc copies it as written.
            spec.copy(out, &format[start..end])?;
        }
        i = end;
    }
    Ok(())
}

/// Formats one conversion; `Ok(false)` when glibc treats it as a bad format.
fn convert(
    conv: char,
    spec: &mut Spec,
    tm: &Tm,
    names: &TimeNames,
    out: &mut Out,
    depth: usize,
) -> Result<bool, Overflow> {
    let hour12 = match tm.hour {
        0 => 12,
        h if h > 12 => h - 12,
        h => h,
    };
    let modifier = spec.modifier;
    let no_e = modifier != Some('E');
    match conv {
        '%' => spec.copy(out, "%")?,
        'a' | 'A' if modifier.is_none() => {
            text_case(spec);
            let wday = tm.wday.min(6);
            let name = if conv == 'a' {
                &names.weekdays_abbr[wday]
            } else {
                &names.weekdays[wday]
            };
            spec.copy(out, name)?;
        }
        'b' | 'h' if !no_e => {
            // glibc applies `#` before rejecting the modifier, so the copy is upper-cased.
            text_case(spec);
            return Ok(false);
        }
        'b' | 'h' | 'B' if no_e => {
            text_case(spec);
            let month = tm.month0.min(11);
            let name = if conv == 'B' {
                &names.months[month]
            } else {
                &names.months_abbr[month]
            };
            spec.copy(out, name)?;
        }
        'c' if modifier != Some('O') => {
            subformat(spec, &names.date_time_format, tm, names, out, depth)?
        }
        'x' if modifier != Some('O') => subformat(spec, &names.date_format, tm, names, out, depth)?,
        'X' if modifier != Some('O') => subformat(spec, &names.time_format, tm, names, out, depth)?,
        'D' if modifier.is_none() => subformat(spec, "%m/%d/%y", tm, names, out, depth)?,
        'F' if modifier.is_none() => subformat(spec, "%Y-%m-%d", tm, names, out, depth)?,
        'R' => subformat(spec, "%H:%M", tm, names, out, depth)?,
        'T' => subformat(spec, "%H:%M:%S", tm, names, out, depth)?,
        'r' => subformat(spec, "%I:%M:%S %p", tm, names, out, depth)?,
        'C' => spec.number(out, 1, tm.year / 100 - i64::from(tm.year % 100 < 0))?,
        'd' if no_e => spec.number(out, 2, tm.mday)?,
        'e' if no_e => spec.number_spacepad(out, 2, tm.mday)?,
        'H' if no_e => spec.number(out, 2, tm.hour)?,
        'I' if no_e => spec.number(out, 2, hour12)?,
        'k' if no_e => spec.number_spacepad(out, 2, tm.hour)?,
        'l' if no_e => spec.number_spacepad(out, 2, hour12)?,
        'j' if no_e => spec.number(out, 3, 1 + tm.yday)?,
        'M' if no_e => spec.number(out, 2, tm.min)?,
        'm' if no_e => spec.number(out, 2, tm.month0 as i64 + 1)?,
        'S' if no_e => spec.number(out, 2, tm.sec)?,
        'n' => spec.copy(out, "\n")?,
        't' => spec.copy(out, "\t")?,
        'p' | 'P' => {
            if conv == 'P' {
                spec.lowcase = true;
            }
            if spec.change_case {
                spec.upcase = false;
                spec.lowcase = true;
            }
            let name = &names.am_pm[usize::from(tm.hour > 11)];
            spec.copy(out, name)?;
        }
        's' => spec.padded_number(out, 1, tm.timestamp)?,
        'u' => spec.number(out, 1, (tm.wday as i64 + 6) % 7 + 1)?,
        'w' if no_e => spec.number(out, 1, tm.wday as i64)?,
        'U' if no_e => spec.number(out, 2, (tm.yday - tm.wday as i64 + 7) / 7)?,
        'W' if no_e => spec.number(out, 2, (tm.yday - (tm.wday as i64 + 6) % 7 + 7) / 7)?,
        'V' | 'g' | 'G' if no_e => {
            let (year, week) = iso_week(tm);
            match conv {
                'g' => spec.number(out, 2, (year % 100 + 100) % 100)?,
                'G' => spec.number(out, 1, year)?,
                _ => spec.number(out, 2, week)?,
            }
        }
        'Y' if modifier != Some('O') => spec.number(out, 1, tm.year)?,
        'y' => spec.number(out, 2, (tm.year % 100 + 100) % 100)?,
        'Z' => {
            if spec.change_case {
                spec.upcase = false;
                spec.lowcase = true;
            }
            spec.copy(out, &tm.zone_name())?;
        }
        'z' => {
            let diff = tm.offset;
            spec.copy(out, if diff < 0 { "-" } else { "+" })?;
            let minutes = i64::from(diff.unsigned_abs() / 60);
            spec.number(out, 4, minutes / 60 * 100 + minutes % 60)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The `#` flag on names means upper case.
fn text_case(spec: &mut Spec) {
    if spec.change_case {
        spec.upcase = true;
        spec.lowcase = false;
    }
}

/// A conversion defined as another format (`%c`, `%F`, …): formatted on its own, then padded to
/// the width and upper-cased as flagged (glibc never lower-cases these).
fn subformat(
    spec: &Spec,
    format: &str,
    tm: &Tm,
    names: &TimeNames,
    out: &mut Out,
    depth: usize,
) -> Result<(), Overflow> {
    let mut inner = Out::new(out.limit);
    if depth < MAX_DEPTH {
        glibc(format, tm, names, &mut inner, depth + 1)?;
    }
    let spec = Spec {
        lowcase: false,
        ..*spec
    };
    spec.copy(out, &inner.text)
}

/// The ISO 8601 week-based year and week number (glibc's `iso_week_days` arithmetic).
fn iso_week(tm: &Tm) -> (i64, i64) {
    fn iso_week_days(yday: i64, wday: i64) -> i64 {
        let big_enough_multiple_of_7 = (366 / 7 + 2) * 7;
        yday - (yday - wday + 4 + big_enough_multiple_of_7) % 7 + 3
    }
    fn is_leap(year: i64) -> i64 {
        i64::from(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
    }
    let wday = tm.wday as i64;
    let mut year = tm.year;
    let mut days = iso_week_days(tm.yday, wday);
    if days < 0 {
        year -= 1;
        days = iso_week_days(tm.yday + 365 + is_leap(year), wday);
    } else {
        let next = iso_week_days(tm.yday - (365 + is_leap(year)), wday);
        if next >= 0 {
            year += 1;
            days = next;
        }
    }
    (year, days / 7 + 1)
}
