//! The response body: an asset's bytes (or a range of them) in one frame, nothing, or a stream
//! of a feature's own (live reload's events).

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// A body that streams until the client goes away (an event stream).
type Stream = Pin<Box<dyn Body<Data = Bytes, Error = Infallible> + Send + Sync + 'static>>;

/// The body of every response of [`ServeAssets`](super::ServeAssets) and [`Page`](crate::Page):
/// the bytes, shared without copying (from the binary, for a baked bundle), or nothing; or a
/// stream, for a feature that answers with one (live reload).
#[derive(Default)]
pub struct AssetBody {
    data: Option<Bytes>,
    stream: Option<Stream>,
}

impl AssetBody {
    pub(crate) fn new(data: Bytes) -> Self {
        AssetBody {
            data: (!data.is_empty()).then_some(data),
            stream: None,
        }
    }

    pub(crate) fn empty() -> Self {
        AssetBody::default()
    }

    /// `first`, then the frames of `stream`.
    #[cfg_attr(not(feature = "reload"), allow(dead_code))]
    pub(crate) fn stream(
        first: Bytes,
        stream: impl Body<Data = Bytes, Error = Infallible> + Send + Sync + 'static,
    ) -> Self {
        AssetBody {
            data: Some(first),
            stream: Some(Box::pin(stream)),
        }
    }
}

impl fmt::Debug for AssetBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssetBody")
            .field("data", &self.data)
            .field("stream", &self.stream.is_some())
            .finish()
    }
}

impl Body for AssetBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(data) = this.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        match &mut this.stream {
            Some(stream) => stream.as_mut().poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.stream {
            Some(stream) => self.data.is_none() && stream.is_end_stream(),
            None => self.data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.stream {
            Some(_) => SizeHint::default(),
            None => SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64)),
        }
    }
}
