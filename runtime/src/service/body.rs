//! The response body: a slice of the binary's read-only data, sent in one frame.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// The body of every response of [`ServeAssets`](super::ServeAssets): the asset's bytes (or a
/// range of them), borrowed from the binary without copying, or nothing.
#[derive(Debug, Default)]
pub struct AssetBody {
    data: Option<Bytes>,
}

impl AssetBody {
    pub(crate) fn new(data: Bytes) -> Self {
        AssetBody {
            data: (!data.is_empty()).then_some(data),
        }
    }

    pub(crate) fn empty() -> Self {
        AssetBody { data: None }
    }
}

impl Body for AssetBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().data.take().map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}
