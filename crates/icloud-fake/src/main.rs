//! `icloud-fake [--port N] [--account APPLEID:PASSWORD]... [--fixed-code C] [--no-2fa]
//! [--two-step] [--exit-on-stdin-close]`: serve the fake on 127.0.0.1, print its URL on stdout.
//!
//! Without `--account`, serves `jdoe@gmail.com` / `password1`. Logs `METHOD path status` per
//! request on stderr (never bodies, so never passwords). Runs until killed, or until stdin
//! closes with `--exit-on-stdin-close`.

use std::io::{Read, Write};
use std::process::ExitCode;

use icloud_fake::{FakeAccount, FakeICloud};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("icloud-fake: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let (mut port, mut accounts, mut code) = (0u16, Vec::new(), None);
    let (mut no_2fa, mut two_step, mut exit_on_eof) = (false, false, false);
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => {
                port = value()?
                    .parse()
                    .map_err(|_| "--port needs a number".to_owned())?
            }
            "--account" => accounts.push(value()?),
            "--fixed-code" => code = Some(value()?),
            "--no-2fa" => no_2fa = true,
            "--two-step" => two_step = true,
            "--exit-on-stdin-close" => exit_on_eof = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if accounts.is_empty() {
        accounts.push("jdoe@gmail.com:password1".to_owned());
    }
    let mut builder = FakeICloud::builder().port(port).on_request(|r| {
        eprintln!("{} {} {}", r.method, r.path, r.status);
    });
    for spec in &accounts {
        let (id, password) = spec
            .split_once(':')
            .ok_or("--account needs APPLEID:PASSWORD")?;
        let mut account = FakeAccount::new(id, password);
        if let Some(code) = &code {
            account = account.fixed_code(code);
        }
        if no_2fa {
            account = account.without_two_factor();
        } else if two_step {
            account = account.two_step();
        }
        builder = builder.account(account);
    }
    let fake = builder.start().map_err(|e| format!("cannot start: {e}"))?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", fake.base_url())
        .and_then(|()| stdout.flush())
        .map_err(|e| e.to_string())?;
    if exit_on_eof {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        return Ok(());
    }
    loop {
        std::thread::park();
    }
}
