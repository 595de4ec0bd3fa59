//! What to answer: everything about a request that does not build the response.
//!
//! The order follows RFC 9110: method, then lookup, then preconditions in §13.2.2 order
//! (`If-Match`, then `If-None-Match`; there is no `Last-Modified`, so the date conditions never
//! apply), then `Range` (§14.2) guarded by `If-Range` (§13.1.5).

use std::ops::Range;

use headers::{ETag, Header, HeaderMapExt, IfMatch, IfNoneMatch, IfRange};
use http::header::RANGE;
use http::{HeaderMap, Method};

use super::range::{self, Ranged};
use super::{Config, negotiate, path};
use crate::asset::{Asset, Variant};
use crate::bundle::{Bundle, Match};

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// 200 with `variant`, or 206 with `range` of the identity representation.
    Serve {
        found: Found,
        variant: &'static Variant,
        range: Option<Range<u64>>,
    },
    /// 304: the client's copy of `variant` is current.
    NotModified {
        found: Found,
        variant: &'static Variant,
    },
    /// 412: `If-Match` failed.
    PreconditionFailed,
    /// 416, with the identity length.
    RangeNotSatisfiable { found: Found },
    /// 405 with `Allow: GET, HEAD`.
    MethodNotAllowed,
    /// 404.
    NotFound,
}

/// The asset a request resolved to, and whether its URL was fingerprinted (immutable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) asset: &'static Asset,
    pub(crate) immutable: bool,
}

pub(crate) fn decide(
    method: &Method,
    uri_path: &str,
    headers: &HeaderMap,
    bundle: &Bundle,
    config: &Config,
) -> Decision {
    if method != Method::GET && method != Method::HEAD {
        return Decision::MethodNotAllowed;
    }
    let Some(found) = find(uri_path, bundle, config) else {
        return Decision::NotFound;
    };
    let variant = negotiate::choose(found.asset, headers);

    if let Some(if_match) = headers.typed_get::<IfMatch>()
        && !etag(variant).is_some_and(|tag| if_match.precondition_passes(&tag))
    {
        return Decision::PreconditionFailed;
    }
    if let Some(if_none_match) = headers.typed_get::<IfNoneMatch>()
        && etag(variant).is_some_and(|tag| !if_none_match.precondition_passes(&tag))
    {
        return Decision::NotModified { found, variant };
    }

    let identity = &found.asset.identity;
    let range = match headers.get(RANGE) {
        Some(value) if method == Method::GET && if_range_allows(headers, identity) => {
            match range::evaluate(value.as_bytes(), identity.len() as u64) {
                Ranged::Partial(range) => Some(range),
                Ranged::Unsatisfiable => return Decision::RangeNotSatisfiable { found },
                Ranged::Ignore => None,
            }
        }
        _ => None,
    };
    match range {
        Some(range) => Decision::Serve {
            found,
            variant: identity,
            range: Some(range),
        },
        None => Decision::Serve {
            found,
            variant,
            range: None,
        },
    }
}

/// Looks the request path up: the plain path, then the path without the bundle's prefix (for a
/// service mounted at the root rather than with `nest_service`), then the fallback.
fn find(uri_path: &str, bundle: &Bundle, config: &Config) -> Option<Found> {
    let path = path::resolve(uri_path)?;
    let matched = bundle.lookup(&path).or_else(|| {
        let prefix = bundle.prefix().strip_prefix('/')?;
        let rest = path.strip_prefix(prefix)?.strip_prefix('/')?;
        bundle.lookup(rest)
    });
    match matched {
        Some(Match::Plain(asset)) => Some(Found {
            asset,
            immutable: false,
        }),
        Some(Match::Fingerprinted(asset)) => Some(Found {
            asset,
            immutable: true,
        }),
        None => config.fallback.map(|asset| Found {
            asset,
            immutable: false,
        }),
    }
}

/// `If-Range` (RFC 9110 §13.1.5): the range applies only if the validator matches the identity
/// representation strongly. A date never matches: there is no `Last-Modified` to compare it to.
fn if_range_allows(headers: &HeaderMap, identity: &Variant) -> bool {
    if !headers.contains_key(http::header::IF_RANGE) {
        return true;
    }
    headers
        .typed_get::<IfRange>()
        .is_some_and(|if_range| !if_range.is_modified(etag(identity).as_ref(), None))
}

/// The typed entity tag of `variant` (no allocation: the header value is static); `None` only
/// for a malformed tag, which matches nothing.
fn etag(variant: &Variant) -> Option<ETag> {
    ETag::decode(&mut std::iter::once(&variant.etag_header())).ok()
}
