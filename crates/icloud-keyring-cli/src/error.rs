//! The one error type of `icloud`: the message, hints and exit code shown to the user.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::args::{Args, KEYRING_BACKEND_ENV};

/// Exit code for usage errors, as argparse uses.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for everything else that went wrong.
pub const EXIT_FAILURE: u8 = 1;

/// A failure, worded for the person at the terminal.
#[derive(Debug)]
pub struct CliError {
    message: String,
    hints: Vec<String>,
    exit_code: u8,
    show_usage: bool,
}

impl CliError {
    /// A usage error: printed after the usage line, exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hints: Vec::new(),
            exit_code: EXIT_USAGE,
            show_usage: true,
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
            icloud_auth::Error::Keyring(_) => CliError::failure(e.to_string()).with_hint(format!(
                "to use another keyring, set {KEYRING_BACKEND_ENV} to secret-service or \
                 keyutils (the Linux kernel keyring, which needs no desktop session)"
            )),
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
