//! `icloudpd`: download an iCloud Photos library and keep it in sync.

mod args;
mod error;
mod locale;
mod locks;
mod logging;
mod login;
mod notify;
mod report;
mod run;
mod service;
mod settings;
mod timestamp;
mod trust;
mod webui;

use std::io::Write;
use std::process::ExitCode;

use error::CliError;
use settings::{Command, Environment};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    error::exit(start(&argv))
}

/// Parses the arguments, resolves them into settings, and does what they ask.
fn start(argv: &[String]) -> Result<(), CliError> {
    match settings::resolve(args::parse(argv)?, &Environment::capture())? {
        // A reader that stops early (`| head`) is no failure.
        Command::Print(text) => _ = writeln!(std::io::stdout(), "{text}"),
        Command::Note(text) => eprintln!("icloudpd: {text}"),
        Command::Run(settings) => run::main(&settings)?,
    }
    Ok(())
}
