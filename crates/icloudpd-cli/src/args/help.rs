//! The usage line and the help text, laid out as argparse lays out icloudpd's.

use std::fmt::Write as _;

use super::specs::Scope::{self, Common, Global, User};
use super::specs::{SPECS, Spec, Takes};

/// Returns the usage line.
pub fn usage() -> &'static str {
    "usage: icloudpd [GLOBAL] [COMMON] [<USER> [COMMON] <USER> [COMMON] ...]"
}

/// Column where help texts start, and the width argparse fills (100 columns minus 2).
const HELP_COLUMN: usize = 24;
const HELP_WIDTH: usize = 98;

/// The groups of options, with argparse's titles.
pub(super) const GROUPS: [(Scope, &str); 3] = [
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

/// What the help says of the environment, after the options.
pub(super) const ENVIRONMENT: &str = "Environment variables: every option but --help, --version and --generate can also be given as ICLOUDPD_ and its long name in upper case, with _ for - (ICLOUDPD_DIRECTORY, ICLOUDPD_PASSWORD_FILE). The command line wins: an option given there replaces the variable's value, also for repeatable options. The variables act as options given before everything else, so for users as COMMON defaults before the first --username; ICLOUDPD_USERNAME adds a user only when the command line names none. Flags take true or false; repeatable options take a comma-separated list (\\, for a comma). Without arguments, icloudpd prints this help unless such a variable is set.";

/// Returns an option's names as the help shows them: `-d DIRECTORY, --directory DIRECTORY`.
pub(super) fn names(s: &Spec) -> String {
    let value = match s.takes {
        Takes::Flag => String::new(),
        Takes::Choice(c, _) => format!(" {{{}}}", c.join(",")),
        _ => format!(" {}", s.metavar),
    };
    match s.short {
        _ if s.long == "--help" => "--help, -h".to_owned(),
        Some(short) => format!("{short}{value}, {}{value}", s.long),
        None => format!("{}{value}", s.long),
    }
}

/// Stands for the space inside `[env: NAME]` while lines are filled, so that the two words
/// stay on one line.
const TIED: char = '\u{1}';

/// The help text with its environment variable, tied together for [`wrap`].
fn tagged(s: &Spec) -> String {
    match s.env_var() {
        Some(var) => format!("{} [env:{TIED}{var}]", s.help),
        None => s.help.to_owned(),
    }
}

/// Returns the help text (the three option groups, as icloudpd prints them on 100 columns,
/// each option with its environment variable; then what the environment does).
pub fn help() -> String {
    let mut out = format!("{}\n", usage());
    let indent = " ".repeat(HELP_COLUMN);
    for (scope, title) in GROUPS {
        let _ = write!(out, "\n{title}\n");
        for s in SPECS.iter().filter(|s| s.scope == scope) {
            let names = names(s);
            let lines = wrap(&tagged(s), HELP_WIDTH - HELP_COLUMN);
            if names.len() <= HELP_COLUMN - 4 {
                let _ = write!(out, "  {names:<22}");
            } else {
                let _ = write!(out, "  {names}\n{indent}");
            }
            let _ = writeln!(
                out,
                "{}",
                lines.join(&format!("\n{indent}")).replace(TIED, " ")
            );
        }
    }
    let _ = writeln!(out, "\n{}", wrap(ENVIRONMENT, HELP_WIDTH).join("\n"));
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
