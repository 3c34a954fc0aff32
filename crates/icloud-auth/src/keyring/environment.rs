//! [`KeyringEnvironment`]: what the keyring must know of the process's environment to choose and
//! place its store as Python's `keyring` does, handed in by the caller (the crate reads no
//! environment variable).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The keyring file's name, in Python keyring's data directory.
pub(super) const FILE_NAME: &str = "keyring_pass.cfg";

/// What the keyring needs to know of the environment: where Python keyrings.alt's plain-text
/// keyring file is, and which D-Bus session bus may offer the Secret Service.
///
/// Python's `keyring` decides both by environment variables; this crate never reads them
/// itself. A program that wants Python's choice passes its environment to
/// [`KeyringEnvironment::from_lookup`]; a program that wants something else says so with the
/// setters. [`KeyringEnvironment::new`] knows nothing: no file, no session bus.
///
/// ```
/// use std::path::Path;
/// use icloud_auth::KeyringEnvironment;
///
/// let env = KeyringEnvironment::from_lookup(
///     |name| (name == "XDG_DATA_HOME").then(|| "/data".into()),
///     Some(Path::new("/home/jane")),
/// );
/// # #[cfg(not(windows))]
/// assert_eq!(env.file(), Some(Path::new("/data/python_keyring/keyring_pass.cfg")));
/// assert_eq!(env.bus_address(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct KeyringEnvironment {
    file: Option<PathBuf>,
    session_bus: Option<OsString>,
}

impl KeyringEnvironment {
    /// Returns an environment that knows nothing: no keyring file and no session bus, so
    /// [`KeyringBackend::Platform`](super::KeyringBackend::Platform) finds no Secret Service
    /// and no file on Linux (the Keychain and the Credential Manager need neither).
    pub fn new() -> Self {
        KeyringEnvironment::default()
    }

    /// Returns what Python's `keyring` would find in an environment whose variables `var`
    /// gives, for a user whose home directory is `home` (`$HOME`, else the user database's).
    ///
    /// The file is `keyring_pass.cfg` in `$XDG_DATA_HOME/python_keyring`
    /// (`<home>/.local/share/python_keyring` when the variable is unset or empty; no file
    /// without either), and on Windows in `%LOCALAPPDATA%\Python Keyring` (else
    /// `%ProgramData%`, else the working directory). The session bus is
    /// `DBUS_SESSION_BUS_ADDRESS`; like Python (jeepney), no address means no bus.
    ///
    /// A program that wants Python's choice passes its own environment:
    /// `KeyringEnvironment::from_lookup(|name| std::env::var_os(name), home.as_deref())`.
    pub fn from_lookup(var: impl Fn(&str) -> Option<OsString>, home: Option<&Path>) -> Self {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let file = if cfg!(windows) {
            let root = set("LOCALAPPDATA")
                .or_else(|| set("ProgramData"))
                .map_or_else(|| PathBuf::from("."), PathBuf::from);
            Some(root.join("Python Keyring").join(FILE_NAME))
        } else {
            let home = home.filter(|h| !h.as_os_str().is_empty());
            set("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".local").join("share")))
                .map(|root| root.join("python_keyring").join(FILE_NAME))
        };
        KeyringEnvironment {
            file,
            session_bus: set("DBUS_SESSION_BUS_ADDRESS"),
        }
    }

    /// Sets the path of Python keyrings.alt's keyring file (default: none, so
    /// [`KeyringBackend::File`](super::KeyringBackend::File) cannot be used and the platform
    /// store has no file to fall back on).
    pub fn keyring_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self
    }

    /// Sets the address of the D-Bus session bus to look for the Secret Service on, in
    /// `DBUS_SESSION_BUS_ADDRESS`'s form (default: none, so no Secret Service is used by
    /// [`KeyringBackend::Platform`](super::KeyringBackend::Platform)).
    pub fn session_bus(mut self, address: impl Into<OsString>) -> Self {
        self.session_bus = Some(address.into());
        self
    }

    /// Returns the path of the keyring file, if there is one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Returns the address of the session bus, if there is one.
    pub fn bus_address(&self) -> Option<&OsStr> {
        self.session_bus.as_deref()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails loudly where it unwraps")]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[cfg(not(windows))]
    #[test]
    fn the_file_is_where_python_keyring_puts_it() {
        let home = Path::new("/home/jane");
        let env = KeyringEnvironment::from_lookup(vars(&[]), Some(home));
        assert_eq!(
            env.file().unwrap(),
            Path::new("/home/jane/.local/share/python_keyring/keyring_pass.cfg")
        );
        let env = KeyringEnvironment::from_lookup(vars(&[("XDG_DATA_HOME", "")]), Some(home));
        assert!(env.file().unwrap().starts_with("/home/jane/.local/share"));
        let env = KeyringEnvironment::from_lookup(vars(&[("XDG_DATA_HOME", "/x")]), None);
        assert_eq!(
            env.file().unwrap(),
            Path::new("/x/python_keyring/keyring_pass.cfg")
        );
        assert_eq!(
            KeyringEnvironment::from_lookup(vars(&[]), None).file(),
            None
        );
    }

    #[test]
    fn the_session_bus_is_only_the_given_address() {
        let env = KeyringEnvironment::from_lookup(vars(&[("DBUS_SESSION_BUS_ADDRESS", "")]), None);
        assert_eq!(env.bus_address(), None);
        let env = KeyringEnvironment::from_lookup(
            vars(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/bus")]),
            None,
        );
        assert_eq!(env.bus_address(), Some(OsStr::new("unix:path=/run/bus")));
        let env = KeyringEnvironment::new()
            .session_bus("unix:path=/b")
            .keyring_file("/k");
        assert_eq!(env.bus_address(), Some(OsStr::new("unix:path=/b")));
        assert_eq!(env.file(), Some(Path::new("/k")));
        assert_eq!(KeyringEnvironment::new().file(), None);
    }
}
