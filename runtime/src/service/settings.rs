//! A service's configuration ([`ServeAssets`](super::ServeAssets)'s builder methods set it), with
//! what is prepared from it: the heads of fixed errors, and of each asset's responses.

use std::sync::{Arc, OnceLock};

use http::response::Parts;
use http::{HeaderMap, HeaderValue, Method, Response, Uri};

use super::body::AssetBody;
use crate::asset::AssetRef;
use crate::bundle::Bundle;

/// A feature's own answer to some requests (live reload's event stream), asked before the
/// assets: how features join the service from above without the service naming them.
pub(crate) type Route = fn(&'static Bundle, &Method, &Uri) -> Option<Response<AssetBody>>;

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) fallback: Option<AssetRef>,
    /// Whether the fallback answers every missing path, not just navigations.
    pub(crate) fallback_any_path: bool,
    pub(crate) cache_control_plain: HeaderValue,
    pub(crate) cache_control_fingerprinted: HeaderValue,
    pub(crate) headers: HeaderMap,
    /// The heads of the fixed error responses, with `headers`.
    pub(crate) errors: OnceLock<ErrorHeads>,
    pub(crate) routes: Vec<Route>,
    /// The complete heads (status and headers) of 200 and 304 responses, per asset (by index),
    /// made on the asset's first request: a response then costs one head clone, no hashing of
    /// header names.
    pub(crate) prepared: Arc<[OnceLock<Box<Prepared>>]>,
}

impl Settings {
    /// Forgets the prepared heads (`service::response` makes them again on first use); called by every builder method, since they depend on the
    /// configuration.
    pub(crate) fn reset(&mut self, assets: usize) {
        self.prepared = (0..assets).map(|_| OnceLock::new()).collect();
        self.errors = OnceLock::new();
    }
}

/// The heads of an asset's 200 and 304 responses, for each representation (identity, then each
/// variant, then each delta) and for plain and fingerprinted URLs, made on the asset's first
/// request to a service (the 200s of the fingerprinted URL with its `Use-As-Dictionary`).
/// A whole head rather than a header map: cloning it costs the same, and the response then needs
/// no header map of its own to replace.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Indexed by the kind of response (200, 304), then `[plain, fingerprinted]`, then
    /// representation.
    pub(crate) heads: [[Vec<Parts>; 2]; 2],
}

/// The heads of the fixed errors (`service::response`) with a configuration's extra headers.
#[derive(Debug, Clone)]
pub(crate) struct ErrorHeads(pub(crate) [Parts; 3]);
