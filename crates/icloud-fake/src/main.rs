//! `icloud-fake [--port N] [--account APPLEID:PASSWORD]... [--fixed-code C] [--no-2fa]
//! [--two-step] [--library N] [--seed S] [--shared-library] [--shared-albums] [--latency-ms MS]
//! [--quiet] [--https [--ca-out PATH]] [--exit-on-stdin-close]`: serve the fake on 127.0.0.1,
//! print its URL on stdout.
//!
//! `--https` serves HTTPS under Apple's host names: after the URL come `#` comment lines, then
//! one `HOST 127.0.0.1:PORT` line per host name the client must resolve to the fake, then an
//! empty line; `--ca-out` writes the CA certificate (PEM) the client must trust.
//!
//! Without `--account`, serves `jdoe@gmail.com` / `password1`. `--library N` gives every
//! account a generated PrimarySync of N assets (seed `--seed`, default 1; without it the
//! default small library); `--shared-library` adds a generated shared library zone
//! `SharedSync-00000000-1111-2222-3333-444444444444` (private database); `--shared-albums` gives
//! every account the generated shared albums of `FakeSharedStreams::generated` (seed
//! `--seed`); `--latency-ms` delays every request. Logs `METHOD path status` per request on
//! stderr (never bodies, so never passwords) unless `--quiet`. Runs until killed, or until
//! stdin closes with `--exit-on-stdin-close`.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use icloud_fake::{
    FakeAccount, FakeICloud, FakeLibrary, FakeSharedStreams, Fault, SharedPlacement,
};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("icloud-fake: {message}");
            ExitCode::from(2)
        }
    }
}

/// Parsed command line.
#[derive(Default)]
struct Options {
    port: u16,
    accounts: Vec<String>,
    code: Option<String>,
    no_2fa: bool,
    two_step: bool,
    exit_on_eof: bool,
    library: Option<usize>,
    seed: u64,
    shared: bool,
    shared_albums: bool,
    latency_ms: u64,
    quiet: bool,
    https: bool,
    ca_out: Option<String>,
}

fn parse(args: Vec<String>) -> Result<Options, String> {
    let mut o = Options {
        seed: 1,
        ..Options::default()
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--port" => o.port = number(value()?)? as u16,
            "--account" => o.accounts.push(value()?),
            "--fixed-code" => o.code = Some(value()?),
            "--no-2fa" => o.no_2fa = true,
            "--two-step" => o.two_step = true,
            "--exit-on-stdin-close" => o.exit_on_eof = true,
            "--library" => o.library = Some(number(value()?)? as usize),
            "--seed" => o.seed = number(value()?)?,
            "--shared-library" => o.shared = true,
            "--shared-albums" => o.shared_albums = true,
            "--latency-ms" => o.latency_ms = number(value()?)?,
            "--quiet" => o.quiet = true,
            "--https" => o.https = true,
            "--ca-out" => o.ca_out = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.ca_out.is_some() && !o.https {
        return Err("--ca-out needs --https".to_owned());
    }
    if o.accounts.is_empty() {
        o.accounts.push("jdoe@gmail.com:password1".to_owned());
    }
    Ok(o)
}

fn account(o: &Options, spec: &str) -> Result<FakeAccount, String> {
    let (id, password) = spec
        .split_once(':')
        .ok_or("--account needs APPLEID:PASSWORD")?;
    let mut account = FakeAccount::new(id, password);
    if let Some(code) = &o.code {
        account = account.fixed_code(code);
    }
    if o.no_2fa {
        account = account.without_two_factor();
    } else if o.two_step {
        account = account.two_step();
    }
    if let Some(n) = o.library {
        account = account.library(FakeLibrary::generated(n, o.seed));
    }
    if o.shared {
        let zone = "SharedSync-00000000-1111-2222-3333-444444444444";
        let lib = FakeLibrary::generated(o.library.unwrap_or(50).min(1000), o.seed + 1);
        account = account.shared_library(zone, lib, SharedPlacement::PrivateDb);
    }
    if o.shared_albums {
        account = account.shared_albums(FakeSharedStreams::generated(o.seed));
    }
    Ok(account)
}

fn run(args: Vec<String>) -> Result<(), String> {
    let o = parse(args)?;
    // A benchmark serves millions of requests: keep no history in a long-running binary.
    let mut builder = FakeICloud::builder().port(o.port).recording(false);
    if !o.quiet {
        builder = builder.on_request(|r| eprintln!("{} {} {}", r.method, r.path, r.status));
    }
    if o.latency_ms > 0 {
        builder = builder.fault(Fault::latency(Duration::from_millis(o.latency_ms)));
    }
    if o.https {
        builder = builder.https();
    }
    for spec in &o.accounts {
        builder = builder.account(account(&o, spec)?);
    }
    let fake = builder.start().map_err(|e| format!("cannot start: {e}"))?;
    if let (Some(path), Some(pem)) = (&o.ca_out, fake.ca_certificate_pem()) {
        std::fs::write(path, pem).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    announce(&fake, o.ca_out.as_deref()).map_err(|e| e.to_string())?;
    if o.exit_on_eof {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        return Ok(());
    }
    loop {
        std::thread::park();
    }
}

/// Prints the URL and, in HTTPS mode, the host names to map to the fake.
fn announce(fake: &FakeICloud, ca_out: Option<&str>) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", fake.base_url())?;
    let overrides = fake.host_overrides();
    if !overrides.is_empty() {
        let port = fake.addr().port();
        writeln!(
            stdout,
            "# Resolve these hosts to the fake (reqwest: resolve; curl: --connect-to ::127.0.0.1:{port})"
        )?;
        match ca_out {
            Some(path) => writeln!(stdout, "# and trust the CA in {path}")?,
            None => writeln!(stdout, "# and trust its CA (write it with --ca-out PATH)")?,
        }
        for (host, addr) in overrides {
            writeln!(stdout, "{host} {addr}")?;
        }
        writeln!(stdout)?;
    }
    stdout.flush()
}
