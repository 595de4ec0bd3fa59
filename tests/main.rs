//! Kiln's integration tests: one binary (one link), one module per area.

mod actix;
// A scratch binary built twice and Chromium: baked mode only (reload mode has no deltas).
#[cfg(not(any(feature = "reload", feature = "zstd")))]
mod browser_deltas;
// Baked bundles only: a bundle read from disk allocates, and has no compression cache or pack.
#[cfg(not(feature = "reload"))]
mod alloc;
mod cache;
mod deltas;
mod derive;
mod e2e;
mod export;
mod filters;
mod graph;
mod html;
mod nginx;
mod pack;
mod readme;
mod rebuild;
#[cfg(feature = "reload")]
mod reload;
mod service;
mod util;
