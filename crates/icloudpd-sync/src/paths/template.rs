//! Python's `str.format` with one positional argument, the creation datetime: what
//! `--folder-structure` is.
//!
//! Supported as in Python: literal text, `{{`/`}}`, fields `{}`/`{0}` (automatic or manual
//! numbering, never mixed), a spec after `:` that may itself hold fields (one level),
//! conversions `!s`/`!r`/`!a`, and the integer attributes of a datetime (`{0.year}`,
//! `{.month:02}`). A datetime's spec is a strftime pattern (empty: `str(datetime)`).
//!
//! Not supported (rejected): indexing (`{0[1]}`, an error in Python too), other attributes
//! (`{0.tzinfo}`), integer specs other than fill, align, sign, `#`, `0`, width and type `d`,
//! and widths over 4096.

use time::OffsetDateTime;

use super::strftime::{Tm, strftime};
use crate::options::TimeNames;

/// A template Python would reject (or one using what is not supported here).
#[derive(Debug)]
pub(super) struct Invalid;

/// A parsed template.
#[derive(Debug, Clone)]
pub(super) struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
enum Piece {
    Literal(String),
    Field(Field),
}

#[derive(Debug, Clone)]
struct Field {
    attrs: Vec<String>,
    conversion: Option<char>,
    spec: Template,
}

/// CPython's automatic field numbering state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbering {
    Init,
    Auto(usize),
    Manual,
}

/// Python allows a replacement field inside a spec, but not one level deeper.
const DEPTH: u32 = 2;
/// The widest spec accepted for the optional forms (Python has no limit).
const MAX_WIDTH: usize = 4096;

impl Template {
    /// Parses a template (structure only; [`Template::render`] finds the rest).
    pub(super) fn parse(text: &str) -> Result<Template, Invalid> {
        let mut numbering = Numbering::Init;
        parse(text, DEPTH, &mut numbering)
    }

    /// Formats the template with `created`.
    pub(super) fn render(
        &self,
        created: &OffsetDateTime,
        names: &TimeNames,
    ) -> Result<String, Invalid> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Field(field) => {
                    let mut value = Value::DateTime;
                    for attr in &field.attrs {
                        value = value.attr(attr, created)?;
                    }
                    if let Some(conversion) = field.conversion {
                        value = Value::Str(match conversion {
                            's' => value.str(created),
                            _ => value.repr(created),
                        });
                    }
                    let spec = field.spec.render(created, names)?;
                    out.push_str(&value.format(&spec, created, names)?);
                }
            }
        }
        Ok(out)
    }
}

fn parse(text: &str, depth: u32, numbering: &mut Numbering) -> Result<Template, Invalid> {
    if depth == 0 {
        return Err(Invalid); // "Max string recursion exceeded"
    }
    let chars: Vec<char> = text.chars().collect();
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match (c, chars.get(i + 1)) {
            ('{', Some('{')) | ('}', Some('}')) => {
                literal.push(c);
                i += 2;
            }
            ('}', _) | ('{', None) => return Err(Invalid), // a single brace
            ('{', Some(_)) => {
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                let (field, next) = parse_field(&chars, i + 1, depth, numbering)?;
                pieces.push(Piece::Field(field));
                i = next;
            }
            _ => {
                literal.push(c);
                i += 1;
            }
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(Template { pieces })
}

/// Parses the field starting at `start` (after its `{`); returns it and the index after its
/// closing `}`.
fn parse_field(
    chars: &[char],
    start: usize,
    depth: u32,
    numbering: &mut Numbering,
) -> Result<(Field, usize), Invalid> {
    let mut i = start;
    loop {
        match chars.get(i) {
            None | Some('{' | '[') => return Err(Invalid),
            Some('}' | ':' | '!') => break,
            Some(_) => i += 1,
        }
    }
    let name: String = chars[start..i].iter().collect();
    let attrs = field_name(&name, numbering)?;
    let mut conversion = None;
    if chars.get(i) == Some(&'!') {
        let c = *chars.get(i + 1).ok_or(Invalid)?;
        if !matches!(c, 's' | 'r' | 'a') {
            return Err(Invalid);
        }
        conversion = Some(c);
        i += 2;
        if !matches!(chars.get(i), Some(':' | '}')) {
            return Err(Invalid);
        }
    }
    if chars.get(i) == Some(&'}') {
        let spec = Template { pieces: Vec::new() };
        return Ok((
            Field {
                attrs,
                conversion,
                spec,
            },
            i + 1,
        ));
    }
    // A spec: up to the `}` that balances the field's `{`.
    let spec_start = i + 1;
    let mut count = 1;
    let mut j = spec_start;
    loop {
        match chars.get(j) {
            None => return Err(Invalid),
            Some('{') => count += 1,
            Some('}') => {
                count -= 1;
                if count == 0 {
                    break;
                }
            }
            Some(_) => {}
        }
        j += 1;
    }
    let spec_text: String = chars[spec_start..j].iter().collect();
    let spec = if spec_text.contains('{') {
        parse(&spec_text, depth - 1, numbering)?
    } else {
        Template {
            pieces: vec![Piece::Literal(spec_text)],
        }
    };
    Ok((
        Field {
            attrs,
            conversion,
            spec,
        },
        j + 1,
    ))
}

/// Checks the argument a field names (only argument 0 exists) and returns its attributes.
fn field_name(name: &str, numbering: &mut Numbering) -> Result<Vec<String>, Invalid> {
    let mut parts = name.split('.');
    let first = parts.next().unwrap_or_default();
    let attrs: Vec<String> = parts.map(str::to_owned).collect();
    if attrs.iter().any(String::is_empty) {
        return Err(Invalid); // "Empty attribute in format string"
    }
    let index = if first.is_empty() {
        match *numbering {
            Numbering::Init => 0,
            Numbering::Auto(next) => next,
            Numbering::Manual => return Err(Invalid),
        }
    } else if first.bytes().all(|b| b.is_ascii_digit()) {
        if matches!(numbering, Numbering::Auto(_)) {
            return Err(Invalid);
        }
        *numbering = Numbering::Manual;
        // Any number but 0 is out of range (and so is one too long to parse).
        if first.bytes().any(|b| b != b'0') {
            return Err(Invalid);
        }
        0
    } else {
        return Err(Invalid); // a keyword argument: there are none
    };
    if first.is_empty() {
        *numbering = Numbering::Auto(index + 1);
    }
    if index != 0 {
        return Err(Invalid);
    }
    Ok(attrs)
}

/// What a field evaluates to.
#[derive(Debug, Clone)]
enum Value {
    DateTime,
    Int(i64),
    Str(String),
}

impl Value {
    fn attr(self, name: &str, dt: &OffsetDateTime) -> Result<Value, Invalid> {
        let int = match (&self, name) {
            (Value::DateTime, "year") => i64::from(dt.year()),
            (Value::DateTime, "month") => i64::from(u8::from(dt.month())),
            (Value::DateTime, "day") => i64::from(dt.day()),
            (Value::DateTime, "hour") => i64::from(dt.hour()),
            (Value::DateTime, "minute") => i64::from(dt.minute()),
            (Value::DateTime, "second") => i64::from(dt.second()),
            (Value::DateTime, "microsecond") => i64::from(micros(dt)),
            (Value::DateTime, "fold") => 0,
            (Value::Int(v), "real" | "numerator") => *v,
            (Value::Int(_), "imag") => 0,
            (Value::Int(_), "denominator") => 1,
            _ => return Err(Invalid),
        };
        Ok(Value::Int(int))
    }

    fn str(&self, dt: &OffsetDateTime) -> String {
        match self {
            Value::DateTime => python_str(dt),
            Value::Int(v) => v.to_string(),
            Value::Str(s) => s.clone(),
        }
    }

    fn repr(&self, dt: &OffsetDateTime) -> String {
        match self {
            Value::DateTime => python_repr(dt),
            other => other.str(dt),
        }
    }

    fn format(
        &self,
        spec: &str,
        dt: &OffsetDateTime,
        names: &TimeNames,
    ) -> Result<String, Invalid> {
        match self {
            Value::DateTime if spec.is_empty() => Ok(python_str(dt)),
            // The C library sees the pattern up to an embedded NUL.
            Value::DateTime => {
                let pattern = spec.split('\0').next().unwrap_or_default();
                Ok(strftime(pattern, &Tm::new(dt), names))
            }
            Value::Int(v) => format_int(*v, spec),
            Value::Str(s) => format_str(s, spec),
        }
    }
}

fn micros(dt: &OffsetDateTime) -> u32 {
    dt.microsecond().min(999_999)
}

/// Python's `str(datetime)`: `2018-07-31 07:22:24.816000+00:00` (microseconds only when not
/// zero; offset seconds only when not zero).
pub(super) fn python_str(dt: &OffsetDateTime) -> String {
    let mut s = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if micros(dt) != 0 {
        s.push_str(&format!(".{:06}", micros(dt)));
    }
    let offset = dt.offset().whole_seconds();
    let abs = offset.unsigned_abs();
    let sign = if offset < 0 { '-' } else { '+' };
    s.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60));
    if !abs.is_multiple_of(60) {
        s.push_str(&format!(":{:02}", abs % 60));
    }
    s
}

/// Python's `repr(datetime)` for a datetime with a fixed-offset `datetime.timezone`.
fn python_repr(dt: &OffsetDateTime) -> String {
    let mut fields = vec![
        i64::from(dt.year()),
        i64::from(u8::from(dt.month())),
        i64::from(dt.day()),
        i64::from(dt.hour()),
        i64::from(dt.minute()),
        i64::from(dt.second()),
        i64::from(micros(dt)),
    ];
    for _ in 0..2 {
        if fields.last() == Some(&0) {
            fields.pop();
        }
    }
    let fields: Vec<String> = fields.iter().map(i64::to_string).collect();
    let offset = i64::from(dt.offset().whole_seconds());
    let tz = if offset == 0 {
        "datetime.timezone.utc".to_owned()
    } else {
        let (days, seconds) = (offset.div_euclid(86_400), offset.rem_euclid(86_400));
        let mut args = Vec::new();
        if days != 0 {
            args.push(format!("days={days}"));
        }
        if seconds != 0 {
            args.push(format!("seconds={seconds}"));
        }
        format!("datetime.timezone(datetime.timedelta({}))", args.join(", "))
    };
    format!("datetime.datetime({}, tzinfo={tz})", fields.join(", "))
}

/// A parsed standard format spec (`[[fill]align][sign][z][#][0][width][,|_][.precision][type]`).
#[derive(Debug, Default)]
struct FormatSpec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    negative_zero: bool,
    alternate: bool,
    zero: bool,
    width: usize,
    grouping: bool,
    precision: Option<usize>,
    kind: Option<char>,
}

fn parse_spec(spec: &str) -> Result<FormatSpec, Invalid> {
    let chars: Vec<char> = spec.chars().collect();
    let is_align = |c: Option<&char>| matches!(c, Some('<' | '>' | '=' | '^'));
    let mut f = FormatSpec::default();
    let mut i = 0;
    if chars.len() >= 2 && is_align(chars.get(1)) {
        f.fill = chars.first().copied();
        f.align = chars.get(1).copied();
        i = 2;
    } else if is_align(chars.first()) {
        f.align = chars.first().copied();
        i = 1;
    }
    if let Some(&c @ ('+' | '-' | ' ')) = chars.get(i) {
        f.sign = Some(c);
        i += 1;
    }
    if chars.get(i) == Some(&'z') {
        f.negative_zero = true;
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        f.alternate = true;
        i += 1;
    }
    if f.fill.is_none() && chars.get(i) == Some(&'0') {
        f.zero = true;
        i += 1;
    }
    let digits = |i: &mut usize| -> Result<Option<usize>, Invalid> {
        let start = *i;
        let mut value = 0usize;
        while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
            value = value.saturating_mul(10).saturating_add(d as usize);
            *i += 1;
        }
        match *i - start {
            0 => Ok(None),
            _ if value > MAX_WIDTH => Err(Invalid),
            _ => Ok(Some(value)),
        }
    };
    f.width = digits(&mut i)?.unwrap_or(0);
    if let Some(',' | '_') = chars.get(i) {
        f.grouping = true;
        i += 1;
        if let Some(',' | '_') = chars.get(i) {
            return Err(Invalid);
        }
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        f.precision = Some(digits(&mut i)?.ok_or(Invalid)?);
    }
    match chars.len() - i {
        0 => {}
        1 => f.kind = chars.get(i).copied(),
        _ => return Err(Invalid),
    }
    Ok(f)
}

/// `format(int, spec)` for type `d` (the subset this module supports).
fn format_int(value: i64, spec: &str) -> Result<String, Invalid> {
    let f = parse_spec(spec)?;
    if f.precision.is_some() || f.negative_zero || f.grouping || !matches!(f.kind, None | Some('d'))
    {
        return Err(Invalid);
    }
    let sign = match (value < 0, f.sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    };
    let digits = value.unsigned_abs().to_string();
    let (fill, align) = match (f.zero, f.fill, f.align) {
        (true, None, None) => ('0', '='),
        (true, None, Some(a)) => ('0', a),
        (_, fill, align) => (fill.unwrap_or(' '), align.unwrap_or('>')),
    };
    Ok(pad(sign, &digits, f.width, fill, align))
}

/// `format(str, spec)`.
fn format_str(value: &str, spec: &str) -> Result<String, Invalid> {
    let f = parse_spec(spec)?;
    if f.sign.is_some()
        || f.negative_zero
        || f.alternate
        || f.grouping
        || f.align == Some('=')
        || !matches!(f.kind, None | Some('s'))
    {
        return Err(Invalid);
    }
    let text: String = match f.precision {
        Some(p) => value.chars().take(p).collect(),
        None => value.to_owned(),
    };
    let fill = match (f.zero, f.fill) {
        (true, None) => '0',
        (_, fill) => fill.unwrap_or(' '),
    };
    Ok(pad("", &text, f.width, fill, f.align.unwrap_or('<')))
}

/// Pads `sign` + `body` to `width` characters.
fn pad(sign: &str, body: &str, width: usize, fill: char, align: char) -> String {
    let len = sign.chars().count() + body.chars().count();
    let n = width.saturating_sub(len);
    let fill_n = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match align {
        '<' => format!("{sign}{body}{}", fill_n(n)),
        '^' => format!("{}{sign}{body}{}", fill_n(n / 2), fill_n(n - n / 2)),
        '=' => format!("{sign}{}{body}", fill_n(n)),
        _ => format!("{}{sign}{body}", fill_n(n)),
    }
}
