//! [`AssetStream`]: the stream type of every listing, CloudKit's and the shared albums'.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::Stream;

use crate::asset::Asset;
use crate::error::Result;

/// A listing of assets, newest first (a shared album's: in album order); a `Stream` of
/// `Result<Asset>`.
///
/// Dropping it cancels the requests in flight.
///
/// Drive it with `futures_util::StreamExt`/`TryStreamExt` (or any `Stream` combinator).
/// `Err` items come in two kinds: an [`crate::Error::Decode`] concerns one asset and the
/// stream goes on after it; any other error ([`crate::Error::Incomplete`] or
/// [`crate::Error::ListingStalled`] at the end, a failed request, an expired session) is the
/// stream's last item. `try_next`/`try_collect` stop at the first error of either kind; a
/// program that wants every good asset skips decode errors itself, as below.
///
/// # Example
///
/// ```
/// # use std::sync::Arc;
/// # use icloud_auth::{AuthClient, Endpoints, MemorySessionStore, Region, SecretString, SignIn};
/// # use icloud_fake::*;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let account = FakeAccount::new("jdoe@gmail.com", "password1").without_two_factor()
/// #     .library(FakeLibrary::new().asset(FakeAsset::photo("IMG_0001.JPG")).asset(FakeAsset::live("IMG_0002.HEIC")));
/// # let fake = FakeICloud::builder().account(account).start()?;
/// # let auth = AuthClient::builder()
/// #     .endpoints(Endpoints::single_origin(Region::Global, &fake.base_url())?).build()?;
/// # let (password, store) = (SecretString::from("password1".to_owned()), Arc::new(MemorySessionStore::default()));
/// # let SignIn::Complete(session) = auth.sign_in("jdoe@gmail.com", &password, store).await? else { unreachable!() };
/// use futures_util::StreamExt;
/// use icloud_photos::{Error, PhotosClient};
///
/// let library = PhotosClient::new(&session)?.primary().await?;
/// let mut listing = library.assets(&library.all_photos());
/// let mut names = Vec::new();
/// while let Some(item) = listing.next().await {
///     match item {
///         Ok(asset) => names.push(asset.filename().to_owned()),
///         Err(Error::Decode(bad)) => tracing::warn!("skipped: {bad}"), // one asset; go on
///         Err(other) => return Err(other.into()),                  // the listing failed
///     }
/// }
/// assert_eq!(names.len(), 2);
/// # Ok(()) }
/// ```
pub struct AssetStream {
    inner: Pin<Box<dyn Stream<Item = Result<Asset>> + Send>>,
}

impl AssetStream {
    /// Wraps a stream of assets (the shared albums' listing).
    pub(crate) fn new(inner: impl Stream<Item = Result<Asset>> + Send + 'static) -> AssetStream {
        AssetStream {
            inner: Box::pin(inner),
        }
    }
}

impl fmt::Debug for AssetStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssetStream").finish_non_exhaustive()
    }
}

impl Stream for AssetStream {
    type Item = Result<Asset>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}
