//! Where the features that answer requests of their own join the asset service: what
//! `Static::service()`, `Static::router()` and `Static::live_reload_script()` are. The service
//! below knows nothing of them; in reload mode, live reload's event stream is joined here as a
//! [route](crate::service::Route).

use crate::bundle::Bundle;
use crate::service::ServeAssets;

impl Bundle {
    /// A [`ServeAssets`] for this bundle; in reload mode, it also answers the live-reload event
    /// stream at `<prefix>/__kiln/reload` (see [`live_reload_script`](Self::live_reload_script)).
    pub fn service(&'static self) -> ServeAssets {
        let service = ServeAssets::new(self);
        #[cfg(feature = "reload")]
        let service = service.route(crate::live::respond);
        service
    }

    /// An axum [`Router`](axum::Router) that serves this bundle at its own prefix: merge it into
    /// the app's router (`app.merge(Static::router())`), so that the prefix is written once, in
    /// the `#[kiln(prefix = ...)]` attribute, and `url()` always agrees with where the assets
    /// are served. A bundle whose prefix is `/` becomes the router's fallback service.
    ///
    /// ```
    /// #[derive(kiln::Embed)]
    /// #[kiln(folder = "static", prefix = "/assets")]
    /// struct Static;
    ///
    /// let app: axum::Router = axum::Router::new()
    ///     .route("/", axum::routing::get(|| async { "home" }))
    ///     .merge(Static::router());
    /// ```
    #[cfg(feature = "axum")]
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn router<S>(&'static self) -> axum::Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        match self.prefix() {
            "" => axum::Router::new().fallback_service(self.service()),
            prefix => axum::Router::new().nest_service(prefix, self.service()),
        }
    }

    /// A `<script>` element for the app's pages that makes them reload themselves when a file of
    /// the bundle changes on disk, in reload mode (the `reload` feature); the empty string for a
    /// baked bundle, so the same page source serves both modes. The [service](Self::service)
    /// answers the script's event stream at `<prefix>/__kiln/reload`.
    ///
    /// ```
    /// #[derive(kiln::Embed)]
    /// #[kiln(folder = "static")]
    /// struct Static;
    ///
    /// let page = format!("<body><h1>Hi</h1>{}</body>", Static::live_reload_script());
    /// # use kiln::Embed as _;
    /// # if !Static::bundle().is_read_from_disk() { assert_eq!(page, "<body><h1>Hi</h1></body>"); }
    /// ```
    pub fn live_reload_script(&'static self) -> &'static str {
        #[cfg(feature = "reload")]
        if let Some(script) = crate::live::script_of(self) {
            return script;
        }
        ""
    }
}
