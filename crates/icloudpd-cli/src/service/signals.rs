//! SIGTERM and SIGINT (`docker stop`, systemd, Ctrl-C): the run stops starting new files, lets
//! those in flight finish for a short grace period, and the process exits 0.
//!
//! Two places react. A sync in progress hears the signal itself (see `run::sync`): it asks
//! its engine to stop, waits up to [`GRACE`] for the files in flight and returns. Everything
//! else (signing in, waiting for a lock, a prompt, the pause between watch passes) writes
//! nothing that a drop could leave half done, so [`Signals::guard`] drops it at once.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// How long the files in flight may take to finish after a stop signal. Docker sends SIGKILL
/// 10 s after SIGTERM by default; what is still in flight after this stays a `.part` file that
/// the next run resumes.
pub const GRACE: Duration = Duration::from_secs(5);

/// The first stop signal received, shared by every part of the run that must react to it.
#[derive(Debug, Clone)]
pub struct Signals {
    rx: watch::Receiver<Option<&'static str>>,
    /// Whether a sync is running, which handles the signal itself.
    syncing: Arc<AtomicBool>,
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
        Ok(Signals {
            rx,
            syncing: Arc::default(),
        })
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

    /// Marks a sync as running until the returned guard is dropped: [`Signals::guard`] then
    /// leaves the stop to the sync, for up to [`GRACE`] and a second.
    pub fn syncing(&self) -> Syncing {
        self.syncing.store(true, Ordering::SeqCst);
        Syncing(Arc::clone(&self.syncing))
    }

    /// Runs `future` to its end, or until a stop signal: `Err` with the signal's name then.
    /// While a sync runs inside `future`, the signal is the sync's to handle, and `future`
    /// normally ends on its own.
    pub async fn guard<T>(&self, future: impl Future<Output = T>) -> Result<T, &'static str> {
        tokio::select! {
            biased;
            out = future => Ok(out),
            name = self.stopped_outside_sync() => Err(name),
        }
    }

    /// Completes after a stop signal once no sync runs (or a sync overran its grace period).
    async fn stopped_outside_sync(&self) -> &'static str {
        let name = self.wait().await;
        let deadline = Instant::now() + GRACE + Duration::from_secs(1);
        while self.syncing.load(Ordering::SeqCst) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        name
    }
}

/// A running sync; see [`Signals::syncing`].
#[derive(Debug)]
pub struct Syncing(Arc<AtomicBool>);

impl Drop for Syncing {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}
