//! Building the response for a [`Decision`].

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, ALLOW, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, ETAG, VARY, X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};

use super::Config;
use super::body::AssetBody;
use super::decide::{Decision, Found};
use crate::asset::{Encoding, Variant};

const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const BYTES: HeaderValue = HeaderValue::from_static("bytes");
const ACCEPT_ENCODING: HeaderValue = HeaderValue::from_static("accept-encoding");
const GET_HEAD: HeaderValue = HeaderValue::from_static("GET, HEAD");
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

pub(crate) fn build(decision: Decision, method: &Method, config: &Config) -> Response<AssetBody> {
    let head = method == Method::HEAD;
    match decision {
        Decision::Serve {
            found,
            variant,
            range: None,
        } => {
            let mut res = Response::new(body(bytes_of(found, variant), head));
            match prepared(found, config).and_then(|p| p.ok(found, variant)) {
                // The whole header map in one clone: no header name is hashed.
                Some(map) => *res.headers_mut() = map.clone(),
                None => {
                    *res.headers_mut() = HeaderMap::with_capacity(HEADER_CAPACITY);
                    full_headers(res.headers_mut(), found, variant, config);
                }
            }
            res
        }
        Decision::Serve {
            found,
            variant,
            range: Some(range),
        } => {
            // `decide` only produces ranges within the identity representation.
            let bytes = &bytes_of(found, variant)[range.start as usize..range.end as usize];
            let mut res = response(StatusCode::PARTIAL_CONTENT, body(bytes, head));
            let headers = res.headers_mut();
            let _full_length = representation_headers(headers, found, variant, config);
            if let Some(value) = formatted(format_args!("{}", bytes.len())) {
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
        Decision::NotModified { found, variant } => {
            let mut res = Response::new(AssetBody::empty());
            *res.status_mut() = StatusCode::NOT_MODIFIED;
            match prepared(found, config).and_then(|p| p.not_modified(found, variant)) {
                Some(map) => *res.headers_mut() = map.clone(),
                None => {
                    *res.headers_mut() = HeaderMap::with_capacity(HEADER_CAPACITY);
                    not_modified_headers(res.headers_mut(), found, variant, config);
                }
            }
            res
        }
        Decision::RangeNotSatisfiable { found } => {
            let mut res = error(StatusCode::RANGE_NOT_SATISFIABLE, head);
            let headers = res.headers_mut();
            if let Some(value) = formatted(format_args!("bytes */{}", found.asset.len())) {
                headers.insert(CONTENT_RANGE, value);
            }
            headers.insert(ACCEPT_RANGES, BYTES);
            res
        }
        Decision::PreconditionFailed => error(StatusCode::PRECONDITION_FAILED, head),
        Decision::MethodNotAllowed => {
            let mut res = error(StatusCode::METHOD_NOT_ALLOWED, head);
            res.headers_mut().insert(ALLOW, GET_HEAD);
            res
        }
        Decision::NotFound => error(StatusCode::NOT_FOUND, head),
    }
}

/// Every header of a 200 response for `variant`.
fn full_headers(headers: &mut HeaderMap, found: Found, variant: &Variant, config: &Config) {
    let length = representation_headers(headers, found, variant, config);
    headers.insert(CONTENT_LENGTH, length);
    match variant.encoding().header() {
        None => {
            headers.insert(ACCEPT_RANGES, BYTES);
        }
        Some(encoding) => {
            headers.insert(CONTENT_ENCODING, encoding);
        }
    }
}

/// The header maps of an asset's 200 and 304 responses, for each representation (identity, then
/// each variant) and for plain and fingerprinted URLs: a response then costs one map clone, and
/// no header value is validated or header name hashed again.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// `[plain, fingerprinted]`, each indexed by representation.
    ok: [Vec<HeaderMap>; 2],
    not_modified: [Vec<HeaderMap>; 2],
}

type Builder = fn(&mut HeaderMap, Found, &Variant, &Config);

impl Prepared {
    fn new(found: Found, config: &Config) -> Box<Self> {
        let asset = found.asset;
        let maps = |immutable, build: Builder| -> Vec<HeaderMap> {
            let found = Found { immutable, ..found };
            std::iter::once(&asset.identity)
                .chain(asset.variants())
                .map(|variant| {
                    let mut map = HeaderMap::with_capacity(HEADER_CAPACITY);
                    build(&mut map, found, variant, config);
                    map
                })
                .collect()
        };
        Box::new(Prepared {
            ok: [maps(false, full_headers), maps(true, full_headers)],
            not_modified: [
                maps(false, not_modified_headers),
                maps(true, not_modified_headers),
            ],
        })
    }

    fn ok(&self, found: Found, variant: &Variant) -> Option<&HeaderMap> {
        self.ok[usize::from(found.immutable)].get(found.asset.representation_index(variant))
    }

    fn not_modified(&self, found: Found, variant: &Variant) -> Option<&HeaderMap> {
        self.not_modified[usize::from(found.immutable)]
            .get(found.asset.representation_index(variant))
    }
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
    let mut res = Response::new(body);
    *res.status_mut() = status;
    *res.headers_mut() = HeaderMap::with_capacity(HEADER_CAPACITY);
    res
}

/// The bytes of `variant`: for identity, the asset's bytes (decoded on first use for a
/// compressed-only asset).
fn bytes_of(found: Found, variant: &Variant) -> &'static [u8] {
    if variant.encoding() == Encoding::Identity {
        found.asset.bytes()
    } else {
        variant.bytes()
    }
}

fn body(bytes: &'static [u8], head: bool) -> AssetBody {
    if head {
        AssetBody::empty()
    } else {
        AssetBody::new(Bytes::from_static(bytes))
    }
}

/// Headers shared by 200 and 206: what the representation is, and how to cache it. Returns the
/// representation's `Content-Length` value.
fn representation_headers(
    headers: &mut HeaderMap,
    found: Found,
    variant: &Variant,
    config: &Config,
) -> HeaderValue {
    headers.insert(CONTENT_TYPE, found.asset.content_type_header());
    headers.insert(ETAG, variant.etag_header());
    headers.insert(CACHE_CONTROL, cache_control(found, config));
    headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    if !found.asset.variants().is_empty() {
        headers.insert(VARY, ACCEPT_ENCODING);
    }
    extend(headers, &config.headers);
    variant.len_header()
}

/// The headers of a 304: what a 200 would have sent of `ETag`, `Cache-Control` and `Vary`
/// (RFC 9110 §15.4.5), and the configured extra headers.
fn not_modified_headers(headers: &mut HeaderMap, found: Found, variant: &Variant, config: &Config) {
    headers.insert(ETAG, variant.etag_header());
    headers.insert(CACHE_CONTROL, cache_control(found, config));
    if !found.asset.variants().is_empty() {
        headers.insert(VARY, ACCEPT_ENCODING);
    }
    extend(headers, &config.headers);
}

/// The prepared header maps of the asset `found`, made on its first request to this service.
fn prepared(found: Found, config: &Config) -> Option<&Prepared> {
    let cell = config.prepared.get(found.index?)?;
    Some(cell.get_or_init(|| Prepared::new(found, config)))
}

fn cache_control(found: Found, config: &Config) -> HeaderValue {
    if found.immutable {
        config.cache_control_fingerprinted.clone()
    } else {
        config.cache_control_plain.clone()
    }
}

fn extend(headers: &mut HeaderMap, extra: &HeaderMap) {
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

/// A short plain-text body naming the status, so a browser shows something readable.
fn error(status: StatusCode, head: bool) -> Response<AssetBody> {
    let (text, len) = error_body(status);
    let mut res = response(status, body(text.as_bytes(), head));
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, TEXT);
    headers.insert(CONTENT_LENGTH, HeaderValue::from_static(len));
    headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    res
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
