//! What to answer: everything about a request that does not build the response.
//!
//! The order follows RFC 9110: method, then lookup, then preconditions in §13.2.2 order
//! (`If-Match`, then `If-None-Match`; there is no `Last-Modified`, so the date conditions never
//! apply), then `Range` (§14.2) guarded by `If-Range` (§13.1.5).

use std::ops::Range;

use http::{HeaderMap, Method};

use super::conditional::{self, Condition};
use super::fields::{Field, Fields};
use super::range::{self, Ranged};
use super::{Config, negotiate, path};
use crate::asset::{Asset, Variant};
use crate::bundle::Bundle;

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
    /// The asset's index in the bundle; `None` for a fallback asset.
    pub(crate) index: Option<usize>,
}

pub(crate) fn decide(
    method: &Method,
    uri_path: &str,
    headers: &HeaderMap,
    bundle: &'static Bundle,
    config: &Config,
) -> Decision {
    if method != Method::GET && method != Method::HEAD {
        return Decision::MethodNotAllowed;
    }
    let Some(found) = find(uri_path, bundle, config) else {
        return Decision::NotFound;
    };
    let fields = Fields::new(headers);
    let variant = negotiate::choose(found.asset, &fields);

    // Most requests carry neither: `has` spares them the evaluation.
    if fields.has(Field::IfMatch)
        && conditional::if_match(&fields, variant.etag()) == Condition::Fails
    {
        return Decision::PreconditionFailed;
    }
    if fields.has(Field::IfNoneMatch)
        && conditional::if_none_match(&fields, variant.etag()) == Condition::Matches
    {
        return Decision::NotModified { found, variant };
    }

    let identity = &found.asset.identity;
    let range = match fields.first(Field::Range) {
        Some(value)
            if method == Method::GET && conditional::if_range_allows(&fields, identity.etag()) =>
        {
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
fn find(uri_path: &str, bundle: &'static Bundle, config: &Config) -> Option<Found> {
    // `None`: the path was refused (it tries to leave the bundle), and gets no fallback either;
    // `Some(None)`: a safe path that is not in the bundle.
    let matched = match path::as_is(uri_path) {
        Some(path) => match bundle.slot_mounted(path) {
            Some(slot) => Some(slot),
            // Refused and merely absent differ only in whether the fallback is served.
            None if config.fallback.is_some() && path::is_safe(path) => None,
            None => return None,
        },
        None => path::with_resolved(uri_path, |path| Some(bundle.slot_mounted(path)))?,
    };
    match matched {
        Some((index, immutable)) => Some(Found {
            asset: bundle.asset_at(index)?,
            immutable,
            index: Some(index),
        }),
        None => config.fallback.map(|asset| Found {
            asset,
            immutable: false,
            index: None,
        }),
    }
}
