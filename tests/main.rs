//! Kiln's integration tests: one binary (one link), one module per area.

mod cache;
mod derive;
mod filters;
mod util;
