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
