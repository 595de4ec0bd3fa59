//! The response body: a slice of the binary's read-only data, sent in one frame.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// The body of every response of [`ServeAssets`](super::ServeAssets): the asset's bytes (or a
/// range of them), shared without copying (from the binary, for a baked bundle), or nothing; in
/// reload mode, also the live-reload event stream.
#[derive(Debug, Default)]
pub struct AssetBody {
    data: Option<Bytes>,
    #[cfg(feature = "reload")]
    events: Option<std::sync::Arc<crate::live::Subscriber>>,
}

impl AssetBody {
    pub(crate) fn new(data: Bytes) -> Self {
        AssetBody {
            data: (!data.is_empty()).then_some(data),
            #[cfg(feature = "reload")]
            events: None,
        }
    }

    pub(crate) fn empty() -> Self {
        AssetBody::default()
    }

    /// An event stream: a comment that opens it, then a message per change.
    #[cfg(feature = "reload")]
    pub(crate) fn events(subscriber: std::sync::Arc<crate::live::Subscriber>) -> Self {
        AssetBody {
            data: Some(Bytes::from_static(b": kiln live reload\n\n")),
            events: Some(subscriber),
        }
    }
}

impl Body for AssetBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(data) = this.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        #[cfg(feature = "reload")]
        if let Some(events) = &this.events {
            return events
                .poll_change(_cx)
                .map(|message| Some(Ok(Frame::data(message))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        #[cfg(feature = "reload")]
        if self.events.is_some() {
            return false;
        }
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        #[cfg(feature = "reload")]
        if self.events.is_some() {
            return SizeHint::default();
        }
        SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}
