//! `icloudpd`: download an iCloud Photos library and keep it in sync.

mod args;
mod error;
mod keyring;
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

use std::process::ExitCode;

use args::{Invocation, ParseError};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (global, users) = match args::parse(&argv) {
        Ok(Invocation::Help) => return print_and(args::help(), 0),
        Ok(Invocation::Version) => return print_and(args::version(), 0),
        Ok(Invocation::Run { global, users }) => (*global, users),
        Err(ParseError::Argument(message)) => return print_and(message, error::EXIT_USAGE),
        Err(ParseError::Unrecognized(tokens)) => {
            let usage = args::usage();
            let tokens = tokens.join(" ");
            eprintln!("{usage}\nicloudpd: error: unrecognized arguments: {tokens}");
            return ExitCode::from(error::EXIT_USAGE);
        }
    };
    let time_names = match locale::time_names(global.use_os_locale) {
        Ok(names) => names,
        Err(e) => {
            eprintln!("icloudpd: {e}");
            return ExitCode::from(error::EXIT_FAILED);
        }
    };
    let users = match settings::validate(&global, &users, time_names.as_ref()) {
        Ok(users) => users,
        Err(message) => return print_and(message, error::EXIT_USAGE),
    };
    logging::init(&global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return print_and(format!("Cannot start: {e}"), error::EXIT_FAILED),
    };
    match runtime.block_on(run::run(&global, &users)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.message.is_empty() {
                tracing::info!(target: logging::APP, "{}", e.message);
            }
            ExitCode::from(e.exit_code)
        }
    }
}

fn print_and(text: impl std::fmt::Display, code: u8) -> ExitCode {
    println!("{text}");
    ExitCode::from(code)
}
