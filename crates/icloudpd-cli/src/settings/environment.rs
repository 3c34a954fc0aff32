//! [`Environment`]: the process environment, read once, here and nowhere else in the program
//! (proxies and certificate files excepted, which the HTTP and TLS libraries read themselves).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The environment variables and the home directory, as the settings stage sees them.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: BTreeMap<String, OsString>,
    home: Option<PathBuf>,
}

impl Environment {
    /// Returns the process's environment: its variables, and the home directory (`$HOME`, else
    /// the user database's, as Python's `expanduser`).
    pub fn capture() -> Environment {
        let vars = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value)))
            .collect();
        Environment {
            vars,
            home: std::env::home_dir().filter(|h| !h.as_os_str().is_empty()),
        }
    }

    /// Returns an environment of these variables and this home directory (for tests).
    #[cfg(test)]
    pub fn of(pairs: &[(&str, &str)], home: Option<&str>) -> Environment {
        Environment {
            vars: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
                .collect(),
            home: home.map(PathBuf::from),
        }
    }

    /// Returns a variable's value, `None` when it is unset or not valid UTF-8.
    pub fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .and_then(|v| v.to_str())
            .map(str::to_owned)
    }

    /// Returns a variable's value when it is set and not blank.
    pub fn set(&self, name: &str) -> Option<String> {
        self.var(name).filter(|v| !v.trim().is_empty())
    }

    /// Returns a variable's value as the OS gives it.
    pub fn var_os(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(name).map(OsString::as_os_str)
    }

    /// Returns the first variable whose name starts with `prefix` and whose value is not valid
    /// UTF-8.
    pub fn not_utf8(&self, prefix: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(name, value)| name.starts_with(prefix) && value.to_str().is_none())
            .map(|(name, _)| name.as_str())
    }

    /// Returns the home directory, if there is one.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }
}
