//! `icloud`: store or remove the Apple ID password that icloudpd reads from the OS keyring.

mod args;
mod commands;
mod error;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = args::Args::parse();
    match commands::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}
