//! Kiln's integration tests: one binary (one link), one module per area.

mod alloc;
mod cache;
mod derive;
mod e2e;
mod export;
mod filters;
mod nginx;
mod pack;
mod readme;
mod rebuild;
mod service;
mod util;
