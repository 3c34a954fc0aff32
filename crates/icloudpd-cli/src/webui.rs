//! The web UI: a small HTTP server where a person types the password or the second-factor
//! code that an unattended run waits for, sees the status, and can resume or cancel a watch
//! iteration (auth.md §13). Routes and form fields are icloudpd's, so tools built around its
//! web UI keep working.
//!
//! The worker (the sign-in code) and the pages meet in an [`Exchange`]: the worker announces
//! what it needs and waits; a form supplies it. [`WebUi::start`] serves the pages until the
//! [`WebUi`] is dropped.
//!
//! The pages are our own HTML, CSS and a little JavaScript, embedded in the binary: nothing is
//! fetched from elsewhere. Every form also works without JavaScript; with it, answers are
//! posted in the background and the status is long-polled (`GET /status?after=<version>`), so
//! a change shows at once and a form being typed into is replaced only when the status
//! changes.
//!
//! Unlike icloudpd's, the server guards itself: the host and origin checks and, on a network
//! address, the token of [`access`]; the connection limits and timeouts of [`server`].

mod access;
mod exchange;
mod pages;
mod routes;
mod server;
#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use icloud_auth::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::logging::APP;

pub use access::check_token;
pub use exchange::{Exchange, MfaInput};

/// Where the web UI listens and who may use it.
#[derive(Debug, Clone, Default)]
pub struct Listen {
    /// The address to bind (`--webui-host`).
    pub host: String,
    /// The port (`--webui-port`; 0: any free port).
    pub port: u16,
    /// More names the UI is reached under (`--webui-allowed-host`).
    pub allowed_hosts: Vec<String>,
    /// The token to ask for (`--webui-token`); `None`: a random one on a network address,
    /// none on a loopback address.
    pub token: Option<SecretString>,
}

/// The running server. Dropping it stops the server.
#[derive(Debug)]
pub struct WebUi {
    exchange: Arc<Exchange>,
    addr: SocketAddr,
    server: JoinHandle<()>,
    /// Dropped with the server, which ends the long polls in flight.
    _stop: watch::Sender<()>,
}

impl WebUi {
    /// Binds `listen.host:listen.port` and serves in the background. `overview` are the lines
    /// of configuration the status page shows (never a password).
    ///
    /// On a loopback address no token is asked for unless one is given: only programs on this
    /// computer reach it, and the host and origin checks keep browsers' cross-site requests
    /// out. On any other address every request needs the token; a generated one is logged
    /// once, in the address to open (`Web UI: http://HOST:PORT/?token=…`).
    ///
    /// Must be called within a Tokio runtime. A bind failure names the address.
    pub async fn start(listen: Listen, overview: Vec<String>) -> io::Result<WebUi> {
        info!(target: APP, "Starting web server for WebUI authentication...");
        let (host, port) = (listen.host.as_str(), listen.port);
        let listener = TcpListener::bind((host, port)).await.map_err(|e| {
            let address = if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            };
            io::Error::new(
                e.kind(),
                format!("cannot listen on {address} for the web UI: {e}"),
            )
        })?;
        let addr = listener.local_addr()?;
        let loopback = addr.ip().is_loopback();
        let generated = (listen.token.is_none() && !loopback).then(access::generate_token);
        let token = listen.token.clone().or_else(|| generated.clone());
        let mut names = listen.allowed_hosts.clone();
        if !loopback {
            names.extend(machine_names());
        }
        let access = Arc::new(access::Access::new(
            loopback,
            addr.port(),
            names,
            token.as_ref(),
        ));
        let exchange = Arc::new(Exchange::default());
        let (stop, stopped) = watch::channel(());
        let app = routes::router(
            routes::App::new(exchange.clone(), overview, stopped),
            access,
        );
        let web = WebUi {
            exchange,
            addr,
            server: tokio::spawn(server::serve(listener, app)),
            _stop: stop,
        };
        let url = format!("http://{}/", shown_authority(&listen, web.addr()));
        match (&generated, &token) {
            (Some(generated), _) => {
                info!(target: APP, "Web UI: {url}?token={}", generated.expose_secret());
            }
            (None, Some(_)) => info!(target: APP, "Web UI: {url}?token=<the token you gave>"),
            (None, None) => info!(target: APP, "Web UI: {url}"),
        }
        Ok(web)
    }

    /// Returns the address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the state shared with the pages.
    pub fn exchange(&self) -> &Arc<Exchange> {
        &self.exchange
    }
}

impl Drop for WebUi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Returns the names of this computer: its host name and, for a name without a dot, the
/// `.local` name mDNS gives it.
fn machine_names() -> Vec<String> {
    let Some(name) = hostname::get()
        .ok()
        .and_then(|n| n.into_string().ok())
        .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|n| !n.is_empty())
    else {
        return Vec::new();
    };
    if name.contains('.') {
        vec![name]
    } else {
        vec![format!("{name}.local"), name]
    }
}

/// Returns the `host:port` the log shows: a loopback address itself; else the first
/// `--webui-allowed-host` name; else the address, or this computer's name for `0.0.0.0` and
/// `::`.
fn shown_authority(listen: &Listen, addr: SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_loopback() || (!ip.is_unspecified() && listen.allowed_hosts.is_empty()) {
        return addr.to_string();
    }
    let name = listen
        .allowed_hosts
        .first()
        .cloned()
        .or_else(|| machine_names().pop())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{name}:{}", addr.port())
}
