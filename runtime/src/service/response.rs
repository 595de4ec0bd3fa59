//! Building responses: the one builder of every response Kiln writes. The service's answers to a
//! [`Decision`], a [`Page`](crate::Page)'s, and the streams of features (live reload) all get
//! their `X-Content-Type-Options: nosniff` and the app's extra headers here, and every error has
//! the same short text body.

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, ALLOW, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, ETAG, LOCATION, VARY, X_CONTENT_TYPE_OPTIONS,
};
use http::response::Parts;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};

use super::body::AssetBody;
use super::decide::{Decision, Found};
use super::dictionary;
use super::settings::{ErrorHeads, Prepared, Settings};
use crate::asset::Variant;
use crate::bundle::Bundle;

/// `Cache-Control` of fingerprinted URLs, by default.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of plain URLs, by default.
pub(crate) const NO_CACHE: &str = "no-cache";

const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const BYTES: HeaderValue = HeaderValue::from_static("bytes");
const ACCEPT_ENCODING: HeaderValue = HeaderValue::from_static("accept-encoding");
/// The `Vary` of an asset with deltas: which one is sent depends on the dictionary too.
const ACCEPT_ENCODING_DICTIONARY: HeaderValue =
    HeaderValue::from_static("accept-encoding, available-dictionary");
const GET_HEAD: HeaderValue = HeaderValue::from_static("GET, HEAD");
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

pub(crate) fn build(
    decision: Decision,
    method: &Method,
    config: &Settings,
    bundle: &'static Bundle,
) -> Response<AssetBody> {
    let is_head = method == Method::HEAD;
    match decision {
        Decision::Serve {
            found,
            variant,
            range: None,
        } => Response::from_parts(
            head_for(Kind::Ok, &found, variant, config, bundle),
            body(bytes_of(&found, variant), is_head),
        ),
        Decision::Serve {
            found,
            variant,
            range: Some(range),
        } => {
            // `decide` only produces ranges within the identity representation.
            let bytes = bytes_of(&found, variant).slice(range.start as usize..range.end as usize);
            let len = bytes.len();
            let mut res = response(StatusCode::PARTIAL_CONTENT, body(bytes, is_head));
            let headers = res.headers_mut();
            let variant = found.served().representation(variant);
            representation_headers(headers, &found, variant, config);
            if let Some(value) = formatted(format_args!("{len}")) {
                headers.insert(CONTENT_LENGTH, value);
            }
            headers.insert(ACCEPT_RANGES, BYTES);
            if let Some(value) = formatted(format_args!(
                "bytes {}-{}/{}",
                range.start,
                range.end - 1,
                variant.len()
            )) {
                headers.insert(CONTENT_RANGE, value);
            }
            res
        }
        Decision::NotModified { found, variant } => Response::from_parts(
            head_for(Kind::NotModified, &found, variant, config, bundle),
            AssetBody::empty(),
        ),
        Decision::RangeNotSatisfiable { found } => {
            let mut res = error(StatusCode::RANGE_NOT_SATISFIABLE, is_head, config);
            let headers = res.headers_mut();
            if let Some(value) = formatted(format_args!("bytes */{}", found.served().len())) {
                headers.insert(CONTENT_RANGE, value);
            }
            headers.insert(ACCEPT_RANGES, BYTES);
            res
        }
        Decision::Redirect(location) => {
            let mut res = response(StatusCode::PERMANENT_REDIRECT, AssetBody::empty());
            let headers = res.headers_mut();
            headers.insert(LOCATION, location);
            headers.insert(CACHE_CONTROL, config.cache_control_plain.clone());
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
            common(headers, &config.headers);
            res
        }
        Decision::PreconditionFailed => error(StatusCode::PRECONDITION_FAILED, is_head, config),
        Decision::MethodNotAllowed => error(StatusCode::METHOD_NOT_ALLOWED, is_head, config),
        Decision::NotFound => error(StatusCode::NOT_FOUND, is_head, config),
    }
}

/// Every header of a 200 response for `variant`.
fn full_headers(headers: &mut HeaderMap, found: &Found, variant: &Variant, config: &Settings) {
    representation_headers(headers, found, variant, config);
    headers.insert(CONTENT_LENGTH, variant.len_header());
    match crate::encoding::header(variant.encoding()) {
        None => {
            headers.insert(ACCEPT_RANGES, BYTES);
        }
        Some(encoding) => {
            headers.insert(CONTENT_ENCODING, encoding);
        }
    }
}

/// The two responses whose header maps are prepared per asset.
#[derive(Clone, Copy)]
enum Kind {
    /// 200.
    Ok = 0,
    /// 304.
    NotModified = 1,
}

impl Kind {
    fn status(self) -> StatusCode {
        match self {
            Kind::Ok => StatusCode::OK,
            Kind::NotModified => StatusCode::NOT_MODIFIED,
        }
    }

    fn builder(self) -> fn(&mut HeaderMap, &Found, &Variant, &Settings) {
        match self {
            Kind::Ok => full_headers,
            Kind::NotModified => not_modified_headers,
        }
    }
}

/// The status and headers of a 200 or 304 for the representation at index `variant`: a clone of
/// the prepared head when the asset is one of the bundle's (no header value validated, no header
/// name hashed), else built now.
fn head_for(
    kind: Kind,
    found: &Found,
    variant: usize,
    config: &Settings,
    bundle: &'static Bundle,
) -> Parts {
    let prepared = found
        .index
        .and_then(|i| config.prepared.get(i))
        .map(|cell| cell.get_or_init(|| Prepared::new(found, config, bundle)));
    match prepared.and_then(|p| p.get(kind, found.immutable, variant)) {
        Some(head) => head.clone(),
        None => build_head(
            kind,
            found,
            found.described().representation(variant),
            config,
            None,
        ),
    }
}

/// The head of a 200 or 304; a 200 offers the response as a compression dictionary with
/// `offer` (a `Use-As-Dictionary` value) when there is one.
fn build_head(
    kind: Kind,
    found: &Found,
    variant: &Variant,
    config: &Settings,
    offer: Option<&HeaderValue>,
) -> Parts {
    let mut headers = HeaderMap::with_capacity(HEADER_CAPACITY);
    kind.builder()(&mut headers, found, variant, config);
    if let (Kind::Ok, Some(offer)) = (kind, offer) {
        headers.insert(dictionary::USE_AS_DICTIONARY, offer.clone());
    }
    head(kind.status(), headers)
}

/// The `Use-As-Dictionary` of the asset's fingerprinted URL, if it offers one: a baked asset of a
/// dictionary type in a bundle that bakes deltas, served with a `max-age` (a browser keeps a
/// dictionary only while it is fresh). The pattern follows the bundle's base URL when one is set
/// (when the asset is first served).
fn offer(found: &Found, config: &Settings, bundle: &'static Bundle) -> Option<HeaderValue> {
    let asset = &found.asset;
    let fresh = config
        .cache_control_fingerprinted
        .to_str()
        .is_ok_and(|value| value.contains("max-age") && !value.contains("no-store"));
    if !asset.is_dictionary() || !fresh {
        return None;
    }
    let url = bundle.url_of(asset);
    dictionary::use_as_dictionary(dictionary::path_of(&url), asset.hash().get(..12)?)
}

impl Prepared {
    fn new(found: &Found, config: &Settings, bundle: &'static Bundle) -> Box<Self> {
        let offer = offer(found, config, bundle);
        let heads = |kind, immutable: bool| -> Vec<Parts> {
            // Heads need what a form describes, not its bytes: the plain form of a rewritten
            // file (whose bytes a baked bundle makes on first use) is not made for them.
            let found = Found {
                immutable,
                ..found.clone()
            };
            // Only the fingerprinted URL offers the asset as a dictionary.
            let offer = offer.as_ref().filter(|_| immutable);
            std::iter::once(&found.described().identity)
                .chain(found.described().stored_variants())
                .map(|variant| build_head(kind, &found, variant, config, offer))
                .collect()
        };
        Box::new(Prepared {
            heads: [Kind::Ok, Kind::NotModified]
                .map(|kind| [heads(kind, false), heads(kind, true)]),
        })
    }

    fn get(&self, kind: Kind, immutable: bool, variant: usize) -> Option<&Parts> {
        self.heads[kind as usize][usize::from(immutable)].get(variant)
    }
}

/// A response head with `status` and `headers`.
fn head(status: StatusCode, headers: HeaderMap) -> Parts {
    let (mut head, ()) = Response::new(()).into_parts();
    head.status = status;
    head.headers = headers;
    head
}

/// Formats a header value that depends on the request (`Content-Range`, the `Content-Length` of
/// a range) on the stack; the header value's own copy is the only allocation.
fn formatted(args: std::fmt::Arguments<'_>) -> Option<HeaderValue> {
    use std::io::Write as _;
    let mut buf = [0u8; 64];
    let mut cursor = &mut buf[..];
    cursor.write_fmt(args).ok()?;
    let written = 64 - cursor.len();
    HeaderValue::from_bytes(&buf[..written]).ok()
}

/// Room for every header Kiln sets plus a few extra ones, so the map is allocated once and never
/// grows.
const HEADER_CAPACITY: usize = 12;

fn response(status: StatusCode, body: AssetBody) -> Response<AssetBody> {
    Response::from_parts(
        head(status, HeaderMap::with_capacity(HEADER_CAPACITY)),
        body,
    )
}

/// The bytes of the representation at index `variant`: for identity, the asset's bytes
/// (decoded on first use for a compressed-only asset).
fn bytes_of(found: &Found, variant: usize) -> Bytes {
    if variant == 0 {
        found.served().identity_bytes()
    } else {
        found.served().representation(variant).shared()
    }
}

fn body(bytes: Bytes, is_head: bool) -> AssetBody {
    if is_head {
        AssetBody::empty()
    } else {
        AssetBody::new(bytes)
    }
}

/// Headers shared by 200 and 206: what the representation is, and how to cache it.
fn representation_headers(
    headers: &mut HeaderMap,
    found: &Found,
    variant: &Variant,
    config: &Settings,
) {
    headers.insert(CONTENT_TYPE, found.described().content_type_header());
    headers.insert(ETAG, variant.etag_header());
    headers.insert(CACHE_CONTROL, cache_control(found, config));
    vary(headers, found);
    common(headers, &config.headers);
}

/// `Vary` for a representation of an asset that has variants (`Accept-Encoding`), and deltas
/// under its fingerprinted URL (`Available-Dictionary` too): on 200, 206 and 304 alike.
fn vary(headers: &mut HeaderMap, found: &Found) {
    let asset = found.described();
    if found.immutable && !asset.deltas().is_empty() {
        headers.insert(VARY, ACCEPT_ENCODING_DICTIONARY);
    } else if !asset.variants().is_empty() {
        headers.insert(VARY, ACCEPT_ENCODING);
    }
}

/// The headers of a 304: what a 200 would have sent of `ETag`, `Cache-Control` and `Vary`
/// (RFC 9110 §15.4.5), and the configured extra headers.
fn not_modified_headers(
    headers: &mut HeaderMap,
    found: &Found,
    variant: &Variant,
    config: &Settings,
) {
    headers.insert(ETAG, variant.etag_header());
    headers.insert(CACHE_CONTROL, cache_control(found, config));
    vary(headers, found);
    common(headers, &config.headers);
}

fn cache_control(found: &Found, config: &Settings) -> HeaderValue {
    if found.immutable {
        config.cache_control_fingerprinted.clone()
    } else {
        config.cache_control_plain.clone()
    }
}

/// What every response Kiln writes carries: `X-Content-Type-Options: nosniff`, and the app's
/// extra headers ([`ServeAssets::header`](crate::ServeAssets::header)) after Kiln's own.
pub(crate) fn common(headers: &mut HeaderMap, extra: &HeaderMap) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    for (name, value) in extra {
        headers.append(name, value.clone());
    }
}

/// The body of an error response and its length in decimal, both static so that nothing is
/// formatted at run time.
fn error_body(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("Not Found\n", "10"),
        StatusCode::METHOD_NOT_ALLOWED => ("Method Not Allowed\n", "19"),
        StatusCode::PRECONDITION_FAILED => ("Precondition Failed\n", "20"),
        StatusCode::RANGE_NOT_SATISFIABLE => ("Range Not Satisfiable\n", "22"),
        _ => ("", "0"),
    }
}

/// The error statuses whose heads do not depend on the request: made once per configuration
/// (see [`ErrorHeads`]), then cloned.
const FIXED_ERRORS: [StatusCode; 3] = [
    StatusCode::NOT_FOUND,
    StatusCode::METHOD_NOT_ALLOWED,
    StatusCode::PRECONDITION_FAILED,
];

impl ErrorHeads {
    pub(crate) fn new(extra: &HeaderMap) -> Self {
        ErrorHeads(FIXED_ERRORS.map(|status| error_head(status, extra)))
    }

    fn get(&self, status: StatusCode) -> Option<&Parts> {
        let i = FIXED_ERRORS.iter().position(|&fixed| fixed == status)?;
        self.0.get(i)
    }
}

/// The head of an error response: a short plain-text body naming the status, so that a browser
/// shows something readable, and `Allow` on a 405.
fn error_head(status: StatusCode, extra: &HeaderMap) -> Parts {
    let (_, len) = error_body(status);
    let mut headers = HeaderMap::with_capacity(HEADER_CAPACITY);
    headers.insert(CONTENT_TYPE, TEXT);
    headers.insert(CONTENT_LENGTH, HeaderValue::from_static(len));
    if status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(ALLOW, GET_HEAD);
    }
    common(&mut headers, extra);
    head(status, headers)
}

fn error(status: StatusCode, is_head: bool, config: &Settings) -> Response<AssetBody> {
    let errors = config
        .errors
        .get_or_init(|| ErrorHeads::new(&config.headers));
    let head = match errors.get(status) {
        Some(head) => head.clone(),
        None => error_head(status, &config.headers),
    };
    error_with(head, is_head)
}

/// An error response with `head` (from [`error_head`]) and its status's text body.
fn error_with(head: Parts, is_head: bool) -> Response<AssetBody> {
    let (text, _) = error_body(head.status);
    Response::from_parts(head, body(Bytes::from_static(text.as_bytes()), is_head))
}

/// The error response for `status` with no extra headers: what a [`Page`](crate::Page) answers,
/// the same as the service's.
pub(crate) fn plain_error(status: StatusCode) -> Response<AssetBody> {
    error_with(error_head(status, &HeaderMap::new()), false)
}

/// A response of `status` with `headers` and `body`, finished as every response is
/// ([`common`], with `extra`): how pages and features' streams are built.
pub(crate) fn finish(
    status: StatusCode,
    mut headers: HeaderMap,
    extra: &HeaderMap,
    body: AssetBody,
) -> Response<AssetBody> {
    common(&mut headers, extra);
    Response::from_parts(head(status, headers), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lengths_match_their_bodies() {
        for status in [
            StatusCode::NOT_FOUND,
            StatusCode::METHOD_NOT_ALLOWED,
            StatusCode::PRECONDITION_FAILED,
            StatusCode::RANGE_NOT_SATISFIABLE,
            StatusCode::IM_A_TEAPOT,
        ] {
            let (text, len) = error_body(status);
            assert_eq!(text.len().to_string(), len, "{status}");
            if !text.is_empty() {
                assert!(text.starts_with(status.canonical_reason().unwrap()));
            }
        }
    }
}
