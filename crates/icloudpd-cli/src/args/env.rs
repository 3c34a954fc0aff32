//! Options given in environment variables (`ICLOUDPD_DIRECTORY`, …), checked as the command
//! line's are. The values are handed in by [`crate::settings`], the one reader of the
//! environment.

use super::raw::Value;
use super::specs::{SPECS, Spec, Takes};
use super::{Occurrences, ParseError, check_alternatives, check_value};

/// The options the environment gives, in the table's order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EnvArgs {
    found: Occurrences,
}

impl EnvArgs {
    /// Reads every option's variable through `lookup` (a variable's value, `None` when unset).
    ///
    /// An empty value counts as unset. Flags take `true`, `1`, `yes` or `on` (set) and `false`,
    /// `0`, `no` or `off` (not set); repeatable options a comma-separated list (`\,` for a
    /// comma in a value). A value that is not valid for its option fails as the command line
    /// would, naming the variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<EnvArgs, ParseError> {
        let mut found = Vec::new();
        for spec in SPECS {
            let Some(name) = spec.env_var() else {
                continue;
            };
            let Some(raw) = lookup(&name).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let error = |reason: String| {
                ParseError::Argument(format!("environment variable {name}: {reason}"))
            };
            if spec.takes == Takes::Flag {
                if flag(&raw).map_err(error)? {
                    found.push((spec, Value::Flag));
                }
                continue;
            }
            let values = if spec.repeats {
                split_list(&raw)
            } else {
                vec![raw]
            };
            for value in values {
                found.push((spec, check_value(spec, value).map_err(error)?));
            }
        }
        check_alternatives(&found, |s| {
            format!("environment variable {}", s.env_var().unwrap_or_default())
        })
        .map_err(ParseError::Argument)?;
        Ok(EnvArgs { found })
    }

    /// Whether no variable gives an option.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// The options, `ICLOUDPD_USERNAME` included.
    pub(super) fn options(&self) -> impl Iterator<Item = (&'static Spec, &Value)> {
        self.found.iter().map(|(s, v)| (*s, v))
    }

    /// `ICLOUDPD_USERNAME`, as an occurrence of `--username`.
    pub(super) fn username(&self) -> Option<(&'static Spec, Value)> {
        self.found
            .iter()
            .find(|(s, _)| s.long == "--username")
            .cloned()
    }
}

/// A flag's value: whether it is set.
fn flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, not '{value}'")),
    }
}

/// A comma-separated list, `\,` standing for a comma; items are trimmed, empty ones dropped.
fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut item = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&',') {
            item.push(',');
            chars.next();
        } else if c == ',' {
            items.push(std::mem::take(&mut item));
        } else {
            item.push(c);
        }
    }
    items.push(item);
    items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

/// Whether `spec` may be given in the environment.
#[cfg(test)]
pub(super) fn has_variable(spec: &Spec) -> bool {
    spec.env_var().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<EnvArgs, ParseError> {
        EnvArgs::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn longs(args: &EnvArgs) -> Vec<(&'static str, String)> {
        args.options()
            .map(|(s, v)| {
                let shown = match v {
                    Value::Flag => "*".to_owned(),
                    Value::Int(n) => n.to_string(),
                    other => other.text().to_owned(),
                };
                (s.long, shown)
            })
            .collect()
    }

    #[test]
    fn variables_are_read_and_checked_like_arguments() {
        let args = env(&[
            ("ICLOUDPD_DIRECTORY", "/photos"),
            ("ICLOUDPD_RECENT", "5"),
            ("ICLOUDPD_DRY_RUN", "Yes"),
            ("ICLOUDPD_AUTO_DELETE", "off"),
            ("ICLOUDPD_SIZE", "Original, medium,,"),
            ("ICLOUDPD_ALBUM", r"A\, B,C"),
            ("ICLOUDPD_LOG_LEVEL", ""),
            ("ICLOUDPD_USERNAME", "Me@Example.com"),
        ])
        .unwrap();
        assert_eq!(
            longs(&args),
            [
                ("--directory", "/photos".to_owned()),
                ("--size", "original".to_owned()),
                ("--size", "medium".to_owned()),
                ("--recent", "5".to_owned()),
                ("--album", "A, B".to_owned()),
                ("--album", "C".to_owned()),
                ("--dry-run", "*".to_owned()),
                ("--username", "Me@Example.com".to_owned()),
            ]
        );
        assert_eq!(args.username().unwrap().0.long, "--username");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let message = |pairs: &[(&str, &str)]| match env(pairs).unwrap_err() {
            ParseError::Argument(m) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            message(&[("ICLOUDPD_LOG_LEVEL", "warn")]),
            "environment variable ICLOUDPD_LOG_LEVEL: invalid choice: 'warn' (choose from 'debug', 'info', 'error')"
        );
        assert_eq!(
            message(&[("ICLOUDPD_DRY_RUN", "maybe")]),
            "environment variable ICLOUDPD_DRY_RUN: expected true or false, not 'maybe'"
        );
        assert_eq!(
            message(&[("ICLOUDPD_RECENT", "x")]),
            "environment variable ICLOUDPD_RECENT: invalid int value: 'x'"
        );
        assert_eq!(
            message(&[
                ("ICLOUDPD_PASSWORD", "x"),
                ("ICLOUDPD_PASSWORD_FILE", "/run/secrets/p")
            ]),
            "environment variable ICLOUDPD_PASSWORD_FILE: not allowed with environment variable ICLOUDPD_PASSWORD"
        );
        let token = message(&[("ICLOUDPD_WEBUI_TOKEN", "short")]);
        assert!(
            token.starts_with("environment variable ICLOUDPD_WEBUI_TOKEN: the web UI token must"),
            "{token}"
        );
        assert!(!token.contains("short"), "{token}");
    }

    #[test]
    fn every_option_but_the_actions_has_a_variable() {
        let without: Vec<&str> = SPECS
            .iter()
            .filter(|s| !has_variable(s))
            .map(|s| s.long)
            .collect();
        assert_eq!(without, ["--help", "--version", "--generate"]);
    }
}
