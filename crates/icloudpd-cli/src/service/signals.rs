//! SIGTERM and SIGINT (`docker stop`, systemd, Ctrl-C): the run stops starting new files, lets
//! those in flight finish for a short grace period, and the process exits 0.

use std::io;

use tokio::sync::watch;

/// The first stop signal received, shared by every part of the run that must react to it.
#[derive(Debug, Clone)]
pub struct Signals {
    rx: watch::Receiver<Option<&'static str>>,
}

impl Signals {
    /// Starts listening for SIGTERM and SIGINT (Ctrl-C elsewhere than Unix).
    ///
    /// # Errors
    ///
    /// When the signal handlers cannot be installed.
    pub fn install() -> io::Result<Signals> {
        let (tx, rx) = watch::channel(None);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate())?;
            let mut int = signal(SignalKind::interrupt())?;
            tokio::spawn(async move {
                let name = tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = int.recv() => "SIGINT",
                };
                tx.send_replace(Some(name));
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tx.send_replace(Some("Ctrl-C"));
            }
        });
        Ok(Signals { rx })
    }

    /// Returns the signal received, if any.
    pub fn received(&self) -> Option<&'static str> {
        *self.rx.borrow()
    }

    /// Completes when a stop signal arrives (at once if one did); returns its name.
    pub async fn wait(&self) -> &'static str {
        let mut rx = self.rx.clone();
        match rx.wait_for(Option::is_some).await {
            Ok(name) => name.unwrap_or("a signal"),
            // The listener is gone: no signal will ever come.
            Err(_) => std::future::pending().await,
        }
    }
}
