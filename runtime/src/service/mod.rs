//! The HTTP service: [`ServeAssets`].

mod body;
pub(crate) mod conditional;
mod decide;
pub(crate) mod dictionary;
pub(crate) mod fields;
mod negotiate;
mod range;
pub(crate) mod response;
mod settings;

use std::convert::Infallible;
use std::fmt;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request, Response};

pub use self::body::AssetBody;
pub(crate) use self::settings::{Route, Settings};
use crate::asset::AssetRef;
use crate::bundle::Bundle;

/// A [`tower_service::Service`] that serves a [`Bundle`] from memory, made by the generated
/// `Static::service()`.
///
/// Mount it under the bundle's prefix with `axum::Router::nest_service("/static",
/// Static::service())`; mounted at the root instead (plain hyper), it also accepts paths that
/// still start with the prefix. It implements RFC 9110 for static representations: content
/// negotiation of precompressed variants, a strong ETag per encoding, `If-Match`,
/// `If-None-Match` and 304s, single byte ranges with `If-Range`, HEAD, and 405 for other methods.
///
/// ```
/// # #[derive(kiln::Embed)]
/// # #[kiln(folder = "static")]
/// # struct Static;
/// use http::HeaderValue;
///
/// let service = Static::service()
///     .fallback(Static::get("index.html").expect("the bundle has an index.html"))
///     .header(
///         http::header::CONTENT_SECURITY_POLICY,
///         HeaderValue::from_static("default-src 'self'"),
///     );
/// let app: axum::Router = axum::Router::new().nest_service("/static", service);
/// ```
#[derive(Clone)]
pub struct ServeAssets {
    bundle: &'static Bundle,
    config: Arc<Settings>,
}

impl ServeAssets {
    /// Serves `bundle` with the default policy: `no-cache` for plain paths,
    /// `public, max-age=31536000, immutable` for fingerprinted ones, 404 for anything else.
    pub fn new(bundle: &'static Bundle) -> Self {
        let headers = HeaderMap::new();
        ServeAssets {
            bundle,
            config: Arc::new(Settings {
                fallback: None,
                fallback_any_path: false,
                cache_control_plain: HeaderValue::from_static(response::NO_CACHE),
                cache_control_fingerprinted: HeaderValue::from_static(response::IMMUTABLE),
                errors: OnceLock::new(),
                headers,
                routes: Vec::new(),
                prepared: (0..bundle.source().indexed_len())
                    .map(|_| OnceLock::new())
                    .collect(),
            }),
        }
    }

    fn config_mut(&mut self) -> &mut Settings {
        let config = Arc::make_mut(&mut self.config);
        config.reset(self.bundle.source().indexed_len());
        config
    }

    /// Asks `route` first, for every request: a feature that answers paths of its own.
    #[cfg_attr(not(feature = "reload"), allow(dead_code))]
    pub(crate) fn route(mut self, route: Route) -> Self {
        self.config_mut().routes.push(route);
        self
    }

    /// Serves `asset` (with `no-cache`), instead of a 404, for a GET or HEAD of a missing path
    /// that looks like a page: the `index.html` of a single-page app, whose client-side router
    /// then shows `/app/users/42`.
    ///
    /// A request looks like a page when the last segment of its path has no file extension
    /// (`/app/users/42`, `/app/`), or when its `Accept` prefers `text/html`, as browsers send when
    /// navigating. A missing asset (`/app/x.js`, fetched by a `<script>` with `Accept: */*`)
    /// still gets a 404, so that a typo is not "served" as HTML; see
    /// [`fallback_for_any_path`](Self::fallback_for_any_path) to change that. Paths that try to
    /// leave the bundle always get 404.
    #[must_use]
    pub fn fallback(mut self, asset: impl Into<AssetRef>) -> Self {
        self.config_mut().fallback = Some(asset.into());
        self
    }

    /// With `true`, the [fallback](Self::fallback) answers every missing path, `/app/x.js`
    /// included, not only those that look like pages. `false` by default.
    #[must_use]
    pub fn fallback_for_any_path(mut self, yes: bool) -> Self {
        self.config_mut().fallback_any_path = yes;
        self
    }

    /// The `Cache-Control` of plain (not fingerprinted) paths; `no-cache` by default, so that
    /// browsers revalidate with the ETag every time.
    #[must_use]
    pub fn cache_control_plain(mut self, value: HeaderValue) -> Self {
        self.config_mut().cache_control_plain = value;
        self
    }

    /// The `Cache-Control` of fingerprinted paths; `public, max-age=31536000, immutable` by
    /// default: their content never changes.
    #[must_use]
    pub fn cache_control_fingerprinted(mut self, value: HeaderValue) -> Self {
        self.config_mut().cache_control_fingerprinted = value;
        self
    }

    /// Adds a header to every response (a `Content-Security-Policy`, CORS headers, ...): assets,
    /// 304s, errors, redirects and the live-reload stream alike. Calling it again with the same
    /// name adds another value.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.config_mut().headers.append(name, value);
        self
    }

    /// The bundle this service serves.
    pub fn bundle(&self) -> &'static Bundle {
        self.bundle
    }

    /// Answers a request, synchronously: a baked bundle is in memory, and reload mode reads a
    /// changed file when it is asked for.
    pub fn respond<B>(&self, req: &Request<B>) -> Response<AssetBody> {
        for route in &self.config.routes {
            if let Some(mut res) = route(self.bundle, req.method(), req.uri()) {
                response::common(res.headers_mut(), &self.config.headers);
                return res;
            }
        }
        #[cfg(feature = "axum")]
        if let Some(location) = mount::slash_redirect(self.bundle, req) {
            let decision = decide::Decision::Redirect(location);
            return response::build(decision, req.method(), &self.config, self.bundle);
        }
        self.respond_parts(req.method(), req.uri(), req.headers())
    }

    fn respond_parts(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &HeaderMap,
    ) -> Response<AssetBody> {
        let decision = decide::decide(method, uri, headers, self.bundle, &self.config);
        response::build(decision, method, &self.config, self.bundle)
    }
}

/// What the service learns from axum about where it is mounted.
#[cfg(feature = "axum")]
mod mount {
    #[cfg(debug_assertions)]
    use std::sync::atomic::{AtomicBool, Ordering};

    use http::{HeaderValue, Method};

    use crate::bundle::Bundle;

    /// Nested with `nest_service("/static", ...)`, a request for `/static` reaches the service
    /// as `/`, like `/static/`: axum's `OriginalUri` tells them apart. The bare form gets the
    /// redirect any folder path without its slash gets (when the bundle has an `index.html` to
    /// serve there), or the index's relative URLs would resolve against the parent.
    pub(super) fn slash_redirect<B>(
        bundle: &'static Bundle,
        req: &http::Request<B>,
    ) -> Option<HeaderValue> {
        if req.uri().path() != "/" || (req.method() != Method::GET && req.method() != Method::HEAD)
        {
            return None;
        }
        let original = &req.extensions().get::<axum::extract::OriginalUri>()?.0;
        if original.path().ends_with('/') || bundle.source().find_mounted("index.html").is_none() {
            return None;
        }
        super::decide::redirect_to_folder(original)
    }

    /// Set once a mismatch was reported: once per process is enough.
    #[cfg(debug_assertions)]
    static WARNED: AtomicBool = AtomicBool::new(false);

    /// Warns, once, when axum nested the service under another path than the bundle's prefix:
    /// the URLs `url()` makes then lead nowhere.
    #[cfg(debug_assertions)]
    pub(super) fn check<B>(bundle: &'static Bundle, req: &http::Request<B>) {
        if WARNED.load(Ordering::Relaxed) {
            return;
        }
        let Some(nested) = req.extensions().get::<axum::extract::NestedPath>() else {
            return;
        };
        if let Some(message) = mismatch(nested.as_str(), bundle.prefix())
            && !WARNED.swap(true, Ordering::Relaxed)
        {
            eprintln!("{message}");
        }
    }

    /// The warning for a service nested at `nested` whose bundle's prefix is `prefix`, if they
    /// differ.
    #[cfg(debug_assertions)]
    pub(super) fn mismatch(nested: &str, prefix: &str) -> Option<String> {
        let nested = nested.trim_end_matches('/');
        (nested != prefix).then(|| {
            let shown = if prefix.is_empty() { "/" } else { prefix };
            format!(
                "kiln: a bundle whose prefix is `{shown}` is mounted at `{nested}`, so the URLs \
                 from `url()` (`{prefix}/...`) will not reach it; mount it with \
                 `Router::merge(Static::router())`, or set `#[kiln(prefix = \"{nested}\")]`"
            )
        })
    }

    #[cfg(all(test, debug_assertions))]
    mod tests {
        #[test]
        fn only_a_different_path_is_a_mismatch() {
            assert_eq!(super::mismatch("/static", "/static"), None);
            assert_eq!(super::mismatch("/static/", "/static"), None);
            let message = super::mismatch("/assets", "/static").unwrap();
            assert!(message.contains("prefix is `/static`"), "{message}");
            assert!(message.contains("mounted at `/assets`"), "{message}");
            assert!(super::mismatch("/app/static", "/static").is_some());
        }
    }
}

impl fmt::Debug for ServeAssets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeAssets")
            .field("prefix", &self.bundle.prefix())
            .field("disk", &self.bundle.is_read_from_disk())
            .field("config", &self.config)
            .finish()
    }
}

impl<B> tower_service::Service<Request<B>> for ServeAssets {
    type Response = Response<AssetBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> ResponseFuture {
        #[cfg(all(feature = "axum", debug_assertions))]
        mount::check(self.bundle, &req);
        ResponseFuture {
            inner: ready(Ok(self.respond(&req))),
        }
    }
}

/// The future of [`ServeAssets`]: already complete, since every answer is made synchronously.
#[derive(Debug)]
pub struct ResponseFuture {
    inner: Ready<Result<Response<AssetBody>, Infallible>>,
}

impl std::future::Future for ResponseFuture {
    type Output = Result<Response<AssetBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.inner).poll(cx)
    }
}
