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
            let mut res = response(StatusCode::OK, body(variant.bytes(), head));
            let headers = res.headers_mut();
            representation_headers(headers, found, variant, config);
            headers.insert(CONTENT_LENGTH, HeaderValue::from(variant.len()));
            if variant.encoding() == Encoding::Identity {
                headers.insert(ACCEPT_RANGES, BYTES);
            } else {
                headers.insert(
                    CONTENT_ENCODING,
                    HeaderValue::from_static(variant.encoding().as_str()),
                );
            }
            res
        }
        Decision::Serve {
            found,
            variant,
            range: Some(range),
        } => {
            // `decide` only produces ranges within the identity representation.
            let bytes = &variant.bytes()[range.start as usize..range.end as usize];
            let mut res = response(StatusCode::PARTIAL_CONTENT, body(bytes, head));
            let headers = res.headers_mut();
            representation_headers(headers, found, variant, config);
            headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            headers.insert(ACCEPT_RANGES, BYTES);
            let content_range =
                format!("bytes {}-{}/{}", range.start, range.end - 1, variant.len());
            if let Ok(value) = HeaderValue::try_from(content_range) {
                headers.insert(CONTENT_RANGE, value);
            }
            res
        }
        Decision::NotModified { found, variant } => {
            let mut res = response(StatusCode::NOT_MODIFIED, AssetBody::empty());
            let headers = res.headers_mut();
            headers.insert(ETAG, HeaderValue::from_static(variant.etag()));
            headers.insert(CACHE_CONTROL, cache_control(found, config));
            if !found.asset.variants().is_empty() {
                headers.insert(VARY, ACCEPT_ENCODING);
            }
            extend(headers, &config.headers);
            res
        }
        Decision::RangeNotSatisfiable { found } => {
            let mut res = error(StatusCode::RANGE_NOT_SATISFIABLE, head);
            let headers = res.headers_mut();
            let content_range = format!("bytes */{}", found.asset.len());
            if let Ok(value) = HeaderValue::try_from(content_range) {
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

fn response(status: StatusCode, body: AssetBody) -> Response<AssetBody> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    res
}

fn body(bytes: &'static [u8], head: bool) -> AssetBody {
    if head {
        AssetBody::empty()
    } else {
        AssetBody::new(Bytes::from_static(bytes))
    }
}

/// Headers shared by 200 and 206: what the representation is, and how to cache it.
fn representation_headers(
    headers: &mut HeaderMap,
    found: Found,
    variant: &Variant,
    config: &Config,
) {
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(found.asset.content_type()),
    );
    headers.insert(ETAG, HeaderValue::from_static(variant.etag()));
    headers.insert(CACHE_CONTROL, cache_control(found, config));
    headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    if !found.asset.variants().is_empty() {
        headers.insert(VARY, ACCEPT_ENCODING);
    }
    extend(headers, &config.headers);
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

/// A short plain-text body naming the status, so a browser shows something readable.
fn error(status: StatusCode, head: bool) -> Response<AssetBody> {
    let reason: &'static str = status.canonical_reason().unwrap_or("Error");
    let mut res = response(status, body(reason.as_bytes(), head));
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, TEXT);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(reason.len()));
    headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    res
}
