//! The usage line and the help text, laid out as argparse lays out icloudpd's.

use std::fmt::Write as _;

use super::specs::Scope::{Common, Global, User};
use super::specs::{SPECS, Takes};

/// Returns the usage line.
pub fn usage() -> &'static str {
    "usage: icloudpd [GLOBAL] [COMMON] [<USER> [COMMON] <USER> [COMMON] ...]"
}

/// Column where help texts start, and the width argparse fills (100 columns minus 2).
const HELP_COLUMN: usize = 24;
const HELP_WIDTH: usize = 98;

/// Returns the help text (the three option groups, as icloudpd prints them on 100 columns).
pub fn help() -> String {
    let mut out = format!("{}\n", usage());
    let groups = [
        (Global, "GLOBAL options. Applied for all user settings."),
        (
            Common,
            "COMMON options. If specified before the first username, then used as defaults for settings for all users.",
        ),
        (
            User,
            "USER options. Can be specified for setting user configuration only.",
        ),
    ];
    for (scope, title) in groups {
        let _ = write!(out, "\n{title}\n");
        for s in SPECS.iter().filter(|s| s.scope == scope) {
            let value = match s.takes {
                Takes::Flag => String::new(),
                Takes::Choice(c, _) => format!(" {{{}}}", c.join(",")),
                _ => format!(" {}", s.metavar),
            };
            let names = match s.short {
                Some(short) => format!("{short}{value}, {}{value}", s.long),
                None => format!("{}{value}", s.long),
            };
            let names = if s.long == "--help" {
                "--help, -h".to_owned()
            } else {
                names
            };
            let lines = wrap(s.help, HELP_WIDTH - HELP_COLUMN);
            let indent = " ".repeat(HELP_COLUMN);
            if names.len() <= HELP_COLUMN - 4 {
                let _ = write!(out, "  {names:<22}");
            } else {
                let _ = write!(out, "  {names}\n{indent}");
            }
            let _ = writeln!(out, "{}", lines.join(&format!("\n{indent}")));
        }
    }
    out.pop(); // printed with a newline, like Python's `print`
    out
}

/// Greedy line filling as Python's `textwrap.wrap`, which may also break after a hyphen inside
/// a word (`--auto-` / `delete`, `(as-` / `is)`).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut chunks = hyphen_chunks(word).into_iter();
        let first = chunks.next().unwrap_or_default();
        let sep = usize::from(!line.is_empty());
        if !line.is_empty() && line.len() + sep + first.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(first);
        for chunk in chunks {
            if line.len() + chunk.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push_str(chunk);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A word split after each hyphen that textwrap breaks at: preceded by two letters (or
/// letter-hyphen-letter) and followed by a letter, an optional hyphen and a letter.
fn hyphen_chunks(word: &str) -> Vec<&str> {
    let c: Vec<char> = word.chars().collect();
    let letter = |i: usize| c.get(i).is_some_and(|ch| ch.is_alphabetic() || *ch == '_');
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut byte = 0;
    for (i, ch) in c.iter().enumerate() {
        byte += ch.len_utf8();
        if *ch != '-' || i < 2 {
            continue;
        }
        let before = (letter(i - 1) && letter(i - 2))
            || (i >= 3 && letter(i - 1) && c[i - 2] == '-' && letter(i - 3));
        let after =
            letter(i + 1) && (letter(i + 2) || (c.get(i + 2) == Some(&'-') && letter(i + 3)));
        if before && after {
            chunks.push(&word[start..byte]);
            start = byte;
        }
    }
    chunks.push(&word[start..]);
    chunks
}
