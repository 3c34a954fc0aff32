//! The first stage of the front end: the command line (and the environment's values, handed
//! in) as raw flags, with icloudpd 1.32's model: GLOBAL options anywhere, COMMON options as
//! defaults before the first `-u` and per user after it, USER options only inside a user group.
//!
//! clap cannot express "split at every `-u` and inherit the defaults", so this is a small
//! table-driven parser; the table ([`specs`]) is also the help text, the environment variables'
//! names and the generated completions and man page. Only [`crate::settings`] looks at what it
//! returns.

mod env;
mod generate;
mod help;
mod raw;
mod specs;

use icloudpd_sync::FolderStructure;

use crate::timestamp;
use specs::Scope::{self, Common, Global, User};
use specs::{Set, Spec, Takes, find};

pub use env::EnvArgs;
pub use generate::generate;
pub use help::{help, usage};
#[cfg(test)]
pub use raw::Hidden;
pub use raw::{GlobalArgs, Secret, UserArgs};
use raw::{Value, unique_sizes};

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Help,
    Version,
    /// `--generate`: a completion script or the man page.
    Generate(String),
    Run(LowArgs),
}

/// The options of the command line, by group, in order: raw flags, before the environment and
/// the defaults are folded in ([`LowArgs::resolve`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LowArgs {
    /// No argument at all: icloudpd's help, unless the environment gives options.
    pub bare: bool,
    globals: Occurrences,
    /// COMMON options before the first `-u`: defaults for every user.
    defaults: Occurrences,
    /// Each user's group, from its `-u` on.
    users: Vec<Occurrences>,
}

/// A parse failure, worded as argparse words it.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// `argument --x: …` (printed on stdout by icloudpd), or a variable's value that is not
    /// valid for its option.
    Argument(String),
    /// Unknown tokens (usage + `icloudpd: error: unrecognized arguments: …` on stderr).
    Unrecognized(Vec<String>),
}

/// Parsed occurrences of options, in order.
type Occurrences = Vec<(&'static Spec, Value)>;

/// A token split into option name and inline value (`--x=v`; never for `-u`, see quirk 13).
fn split_inline(token: &str) -> (&str, Option<&str>) {
    match token.split_once('=') {
        Some((name, value)) if name.starts_with("--") && name != "--username" => {
            (name, Some(value))
        }
        _ => (token, None),
    }
}

/// Whether argparse takes `token` as an option's value rather than as an option: it does not
/// start with `-`, or is `-` alone, a negative number, or contains a space.
fn is_value(token: &str) -> bool {
    let negative_number = token.strip_prefix('-').is_some_and(|n| {
        let (int, frac) = n.split_once('.').unwrap_or((n, ""));
        let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        !n.is_empty() && digits(int) && digits(frac) && !(n.contains('.') && frac.is_empty())
    });
    !token.starts_with('-') || token.len() == 1 || negative_number || token.contains(' ')
}

/// Takes the options of `scopes` out of `tokens`; returns them and the tokens left over.
fn extract(tokens: &[String], scopes: &[Scope]) -> Result<(Occurrences, Vec<String>), ParseError> {
    let mut found = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (name, inline) = split_inline(&tokens[i]);
        match find(name).filter(|s| scopes.contains(&s.scope)) {
            None => rest.push(tokens[i].clone()),
            Some(s) if s.takes == Takes::Flag => {
                if let Some(inline) = inline {
                    return Err(ParseError::Argument(format!(
                        "argument {}: ignored explicit argument '{inline}'",
                        display_name(s),
                    )));
                }
                found.push((s, Value::Flag));
            }
            Some(s) => {
                let value = match inline {
                    Some(v) => v.to_owned(),
                    None => {
                        i += 1;
                        match tokens.get(i) {
                            Some(v) if is_value(v) => v.clone(),
                            _ => {
                                return Err(ParseError::Argument(format!(
                                    "argument {}: expected one argument",
                                    display_name(s)
                                )));
                            }
                        }
                    }
                };
                let value = check_value(s, value).map_err(|reason| {
                    ParseError::Argument(format!("argument {}: {reason}", s.long))
                })?;
                found.push((s, value));
            }
        }
        i += 1;
    }
    Ok((found, rest))
}

fn display_name(s: &Spec) -> String {
    match s.short {
        Some(short) => format!("{short}/{}", s.long),
        None => s.long.to_owned(),
    }
}

/// Checks and converts one value of option `s`; the error is argparse's reason.
fn check_value(s: &Spec, value: String) -> Result<Value, String> {
    match s.takes {
        Takes::Choice(choices, case_sensitive) => {
            let v = if case_sensitive {
                value.clone()
            } else {
                value.to_lowercase()
            };
            if choices.contains(&v.as_str()) {
                Ok(Value::Text(v))
            } else {
                let list = choices
                    .iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(format!("invalid choice: '{value}' (choose from {list})"))
            }
        }
        Takes::Int(min) => {
            let n = value
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("invalid int value: '{value}'"))?;
            match u64::try_from(n) {
                Ok(n) if n >= min => Ok(Value::Int(n)),
                _ => {
                    let kind = if min == 0 { "non-negative" } else { "positive" };
                    Err(format!("invalid {kind} int value: '{value}'"))
                }
            }
        }
        Takes::Port => value
            .trim()
            .parse::<u16>()
            .map(|n| Value::Int(u64::from(n)))
            .map_err(|_| format!("invalid port value: '{value}'")),
        Takes::Date => timestamp::parse_date_bound(&value)
            .map(Value::Date)
            .ok_or_else(|| "Not an ISO timestamp or time interval in days".to_owned()),
        Takes::Folder => FolderStructure::parse(&value)
            .map(Value::Folder)
            .map_err(|_| format!("Format {value} specified in --folder-structure is incorrect")),
        Takes::Token => crate::webui::check_token(&value).map(|()| Value::Text(value)),
        Takes::Flag | Takes::Value | Takes::Path(_) => Ok(Value::Text(value)),
    }
}

/// Fails when one place gives two options that set the same thing (`--password` and
/// `--password-file`), naming them as `name` shows them.
fn check_alternatives(found: &Occurrences, name: impl Fn(&Spec) -> String) -> Result<(), String> {
    for (i, (a, _)) in found.iter().enumerate() {
        if let Some((b, _)) = found[..i]
            .iter()
            .find(|(b, _)| b.long != a.long && b.same_setting(a))
        {
            return Err(format!("{}: not allowed with {}", name(a), name(b)));
        }
    }
    Ok(())
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Parsed, ParseError> {
    if args.is_empty() {
        return Ok(Parsed::Run(LowArgs {
            bare: true,
            ..LowArgs::default()
        }));
    }
    let (globals, rest) = extract(args, &[Global])?;
    let has = |long: &str| globals.iter().any(|(s, _)| s.long == long);
    if has("--help") && has("--version") {
        return Err(ParseError::Argument(
            "argument --version: not allowed with argument --help/-h".to_owned(),
        ));
    }
    // Split at every `-u` / `--username` token.
    let mut chunks: Vec<Vec<String>> = vec![Vec::new()];
    for t in rest {
        if t == "-u" || t == "--username" {
            chunks.push(Vec::new());
        }
        if let Some(chunk) = chunks.last_mut() {
            chunk.push(t);
        }
    }
    let defaults_chunk = chunks.remove(0);
    let (defaults, mut unrecognized) = extract(&defaults_chunk, &[Common])?;
    let mut users = Vec::new();
    for chunk in chunks {
        let (occ, unknown) = extract(&chunk, &[Common, User])?;
        unrecognized.extend(unknown);
        users.push(occ);
    }
    if !unrecognized.is_empty() {
        return Err(ParseError::Unrecognized(unrecognized));
    }
    for found in std::iter::once(&globals).chain([&defaults]).chain(&users) {
        check_alternatives(found, |s| format!("argument {}", s.long))
            .map_err(ParseError::Argument)?;
    }
    if has("--help") {
        return Ok(Parsed::Help);
    }
    if has("--version") {
        return Ok(Parsed::Version);
    }
    if let Some((_, what)) = globals.iter().rev().find(|(s, _)| s.long == "--generate") {
        return Ok(Parsed::Generate(what.text().to_owned()));
    }
    Ok(Parsed::Run(LowArgs {
        bare: false,
        globals,
        defaults,
        users,
    }))
}

impl LowArgs {
    /// Folds the command line over the environment's options and icloudpd's defaults: the
    /// process-wide options, and one configuration per user.
    ///
    /// The environment's options come first, as if given before everything else: for the
    /// process, and for every user as COMMON defaults before the first `-u`. An option the
    /// command line gives (for a user: before the first `-u` or in that user's group) replaces
    /// the environment's value whole, repeatable options included. `ICLOUDPD_USERNAME` makes a
    /// user only when the command line names none.
    pub fn resolve(&self, env: &EnvArgs) -> (GlobalArgs, Vec<UserArgs>) {
        let given = |found: &Occurrences, s: &Spec| found.iter().any(|(o, _)| o.same_setting(s));
        let mut global = GlobalArgs::default();
        let from_env = env.options().filter(|(s, _)| !given(&self.globals, s));
        for (s, v) in from_env.chain(self.globals.iter().map(|(s, v)| (*s, v))) {
            if let Set::Global(set) = s.set {
                set(&mut global, v);
            }
        }
        let env_user = env.username().map(|name| vec![name]);
        let chunks = match (self.users.is_empty(), env_user) {
            (true, Some(chunk)) => vec![chunk],
            _ => self.users.clone(),
        };
        let users = chunks
            .iter()
            .map(|chunk| {
                let mut user = UserArgs::default();
                let from_env = env.options().filter(|(s, _)| {
                    s.long != "--username" && !given(&self.defaults, s) && !given(chunk, s)
                });
                let line = self.defaults.iter().chain(chunk).map(|(s, v)| (*s, v));
                for (s, v) in from_env.chain(line) {
                    if let Set::User(set) = s.set {
                        set(&mut user, v);
                    }
                }
                user.sizes = unique_sizes(&user.sizes);
                user
            })
            .collect();
        (global, users)
    }
}

/// The commit this binary was built from, or `unknown`.
fn commit_sha() -> &'static str {
    option_env!("ICLOUDPD_COMMIT_SHA").unwrap_or("unknown")
}

/// Returns the `--version` line: this implementation, its version and the commit it was built
/// from (with the commit's date), and the Python icloudpd it stands in for.
pub fn version() -> String {
    let date = option_env!("ICLOUDPD_COMMIT_DATE").unwrap_or("unknown date");
    format!(
        "icloudpd-rs {} (commit {}, {date}), a Rust reimplementation of icloudpd 1.32",
        env!("CARGO_PKG_VERSION"),
        commit_sha()
    )
}

/// Returns the `x:xmptk` of XMP sidecars: `icloudpd <version>+<commit sha>`.
pub fn xmp_toolkit() -> String {
    format!("icloudpd {}+{}", env!("CARGO_PKG_VERSION"), commit_sha())
}

#[cfg(test)]
mod tests;
