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
/// A stopped engine stays stopped: to go on later, build a new engine (the files already
/// downloaded are found present, and interrupted ones resume from their temporary files).
///
/// ```
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// # use icloud_fake::{FakeAccount, FakeICloud, FakeLibrary};
/// use icloudpd_sync::{Error, SyncEngine, SyncOptions};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = FakeICloud::builder()
/// #     .account(
/// #         FakeAccount::new("jdoe@example.com", "secret")
/// #             .without_two_factor()
/// #             .library(FakeLibrary::generated(5, 1)),
/// #     )
/// #     .start()?;
/// # let auth = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?)
/// #     .build()?;
/// # let password = SecretString::from("secret".to_owned());
/// # let store = Arc::new(MemorySessionStore::default());
/// # let SignIn::Complete(session) = auth.sign_in("jdoe@example.com", &password, store).await?
/// # else { unreachable!() };
/// // Signed in to icloud-fake as in the crate's example.
/// let photos = icloud_photos::PhotosClient::new(&session)?;
/// let library = photos.primary().await?;
/// let dir = tempfile::tempdir()?;
/// let engine = SyncEngine::new(photos.clone(), library.clone(), SyncOptions::new(dir.path()));
///
/// // Hand a clone to whatever decides to stop: a signal handler, a cancel button.
/// let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
/// let stop = engine.stop_handle();
/// let watcher = tokio::spawn(async move {
///     if cancelled.await.is_ok() {
///         stop.stop();
///     }
/// });
/// cancel.send(()).ok(); // the user pressed "cancel" before the run began
/// watcher.await?;
/// assert!(matches!(engine.run().await, Err(Error::Cancelled)));
///
/// // Later, a new engine takes it up.
/// let report = SyncEngine::new(photos, library, SyncOptions::new(dir.path())).run().await?;
/// assert!(report.is_complete() && report.downloaded >= 5);
/// # Ok(())
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
