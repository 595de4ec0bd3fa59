//! Content codings, as the runtime uses them: [`Encoding`] is kiln-codec's, whose one table says
//! everything about a coding (tokens, extensions, pack codes, decoding); what only HTTP needs is
//! here.

use http::HeaderValue;

pub use kiln_codec::Encoding;

/// The `Content-Encoding` header value of `encoding`; `None` for identity, which is sent without
/// one.
pub(crate) const fn header(encoding: Encoding) -> Option<HeaderValue> {
    match encoding {
        Encoding::Identity => None,
        encoding => Some(HeaderValue::from_static(encoding.as_str())),
    }
}
