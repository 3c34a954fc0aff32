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
//! Unlike icloudpd's, the server guards itself against slow and idle connections: see
//! [`server`].

mod exchange;
mod pages;
mod routes;
mod server;
#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::logging::APP;

pub use exchange::{Exchange, MfaInput};

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
    /// Binds `host:port` (port 0: any free port) and serves in the background. `overview` are
    /// the lines of configuration the status page shows (never a password).
    ///
    /// Must be called within a Tokio runtime. A bind failure names the address.
    pub async fn start(host: &str, port: u16, overview: Vec<String>) -> io::Result<WebUi> {
        info!(target: APP, "Starting web server for WebUI authentication...");
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
        let exchange = Arc::new(Exchange::default());
        let (stop, stopped) = watch::channel(());
        let app = routes::router(
            routes::App::new(exchange.clone(), overview, stopped),
            addr.ip().is_loopback(),
        );
        let server = tokio::spawn(server::serve(listener, app));
        let web = WebUi {
            exchange,
            addr,
            server,
            _stop: stop,
        };
        info!(target: APP, "Web UI: http://{}/", web.addr());
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
