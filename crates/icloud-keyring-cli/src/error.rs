//! The one error type of `icloud`: the message, hints and exit code shown to the user.

use std::process::ExitCode;

use clap::CommandFactory;
use icloud_auth::{KeyringLocation, KeyringPasswordStore};

use crate::args::{Args, KEYRING_BACKEND_ENV};

/// Exit code for usage errors, as argparse uses.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for everything else that went wrong.
pub const EXIT_FAILURE: u8 = 1;

/// The way around any keyring trouble.
const NO_KEYRING_HINT: &str = "or keep no password: give it to icloudpd with --password (or --password-file, or ICLOUDPD_PASSWORD)";

/// A failure, worded for the person at the terminal.
#[derive(Debug)]
pub struct CliError {
    message: String,
    hints: Vec<String>,
    exit_code: u8,
    show_usage: bool,
    /// The keyring failed: a hint about where the password was going helps.
    keyring: bool,
}

impl CliError {
    /// A usage error: printed after the usage line, exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hints: Vec::new(),
            exit_code: EXIT_USAGE,
            show_usage: true,
            keyring: false,
        }
    }

    /// A usage error about the environment: no usage line, exit code 2.
    pub fn config(message: impl Into<String>) -> Self {
        CliError {
            show_usage: false,
            ..CliError::usage(message)
        }
    }

    /// Any other failure: exit code 1.
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            exit_code: EXIT_FAILURE,
            ..CliError::config(message)
        }
    }

    /// Adds a line printed after the message.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Words the hints of a keyring failure for the place the password was going to: when
    /// that is a file, says how to make room for it instead of suggesting the file.
    pub fn or_keyring_hint(mut self, store: &KeyringPasswordStore) -> Self {
        if !self.keyring {
            return self;
        }
        if let Ok(KeyringLocation::File(path)) = store.location() {
            let dir = path.parent().unwrap_or(&path).display();
            self.hints = vec![
                format!(
                    "the password goes to the file {}: make sure you can create and write \
                     {dir}, or point XDG_DATA_HOME at a directory you can write (Python \
                     icloudpd follows it too)",
                    path.display()
                ),
                format!(
                    "or start a Secret Service (such as gnome-keyring-daemon in a D-Bus \
                     session), or set {KEYRING_BACKEND_ENV}=keyutils (the Linux kernel keyring, \
                     which needs no daemon but is cleared on reboot)"
                ),
                NO_KEYRING_HINT.to_owned(),
            ];
        }
        self
    }

    /// Returns the message (without the `icloud: error:` prefix).
    #[cfg(test)]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Returns the exit code this error ends the process with.
    #[cfg(test)]
    pub fn exit_code(&self) -> u8 {
        self.exit_code
    }

    /// Returns the hints, in the order they are printed.
    #[cfg(test)]
    pub fn hints(&self) -> &[String] {
        &self.hints
    }

    /// Prints the error to stderr and returns the exit code.
    pub fn report(&self) -> ExitCode {
        if self.show_usage {
            eprintln!("{}", Args::command().render_usage());
        }
        eprintln!("icloud: error: {}", self.message);
        for hint in &self.hints {
            eprintln!("hint: {hint}");
        }
        ExitCode::from(self.exit_code)
    }
}

impl From<icloud_auth::Error> for CliError {
    fn from(e: icloud_auth::Error) -> Self {
        match e {
            icloud_auth::Error::Keyring(_) => CliError {
                keyring: true,
                ..CliError::failure(e.to_string())
                    .with_hint(format!(
                        "to use another keyring, start a Secret Service (such as \
                         gnome-keyring-daemon in a D-Bus session), or set {KEYRING_BACKEND_ENV} \
                         to file (Python keyring's file, which Python icloudpd reads too) or \
                         keyutils (the Linux kernel keyring, which needs no daemon but is \
                         cleared on reboot)"
                    ))
                    .with_hint(NO_KEYRING_HINT)
            },
            icloud_auth::Error::Config(_) => CliError::config(e.to_string()),
            other => CliError::failure(other.to_string()),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::failure(format!("cannot talk to the terminal: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyring_failure_says_what_to_do() {
        let err = CliError::from(icloud_auth::Error::Keyring("cannot store".to_owned()));
        assert_eq!(err.exit_code(), EXIT_FAILURE);
        assert!(err.hints()[0].contains("start a Secret Service"), "{err:?}");
        assert!(err.hints()[0].contains("ICLOUD_KEYRING_BACKEND to file"));
        assert!(err.hints()[0].contains("keyutils"));
        assert!(err.hints()[1].contains("--password"));

        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("python_keyring").join("keyring_pass.cfg");
        let err = err.or_keyring_hint(&KeyringPasswordStore::with_file(&path));
        assert_eq!(err.hints().len(), 3);
        assert!(err.hints()[1].contains("start a Secret Service"), "{err:?}");
        assert!(err.hints()[1].contains("ICLOUD_KEYRING_BACKEND=keyutils"));
        assert!(!err.hints()[1].contains("file"));
        assert!(err.hints()[2].contains("--password"));
        assert!(
            err.hints()[0].starts_with(&format!(
                "the password goes to the file {}: make sure you can create and write {}",
                path.display(),
                path.parent().unwrap().display()
            )),
            "{err:?}"
        );

        let other = CliError::failure("x").or_keyring_hint(&KeyringPasswordStore::with_file(&path));
        assert!(other.hints().is_empty());
    }
}
