//! [`StopHandle`]: ends a running sync early and cleanly, from another task (a signal handler,
//! a GUI's cancel button).

use std::sync::Arc;

use tokio::sync::watch;

/// Stops the runs of a [`crate::SyncEngine`] gracefully: once [`StopHandle::stop`] is called,
/// no new asset is started, the downloads in flight finish (drop the run's future to abandon
/// them; each leaves at most a resumable temporary file), and the run returns
/// [`crate::Error::Cancelled`]. Nothing is recorded as complete: the next run goes on from the
/// same place. Cheap to clone; every clone stops the same engine.
///
/// ```no_run
/// # async fn demo(engine: icloudpd_sync::SyncEngine) {
/// let stop = engine.stop_handle();
/// tokio::spawn(async move {
///     let _ = tokio::signal::ctrl_c().await;
///     stop.stop();
/// });
/// match engine.run().await {
///     Err(icloudpd_sync::Error::Cancelled) => { /* stopped on request */ }
///     other => { let _ = other; }
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct StopHandle(Arc<watch::Sender<bool>>);

impl Default for StopHandle {
    fn default() -> Self {
        StopHandle(Arc::new(watch::Sender::new(false)))
    }
}

impl StopHandle {
    /// Asks the engine to stop (idempotent; a stopped engine stays stopped).
    pub fn stop(&self) {
        self.0.send_replace(true);
    }

    /// Returns whether [`StopHandle::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once [`StopHandle::stop`] is called (at once if it was).
    pub(crate) async fn stopped(&self) {
        let mut rx = self.0.subscribe();
        // Errors only when the sender is gone, and this handle holds it.
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}
