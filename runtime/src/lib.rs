//! Kiln bakes a web app's static assets into its binary at compile time, fingerprinted,
//! hashed and precompressed, and serves them from memory.
//!
//! ```
//! #[derive(kiln::Embed)]
//! #[kiln(folder = "static", prefix = "/static")]
//! struct Static;
//!
//! // Look files up by their path in the folder...
//! let css = Static::get("css/app.css").unwrap();
//! assert_eq!(css.content_type(), "text/css; charset=utf-8");
//! assert!(css.integrity().starts_with("sha384-"));
//!
//! // ...and link them by their fingerprinted URL, which browsers and CDNs may cache forever.
//! let url = Static::url("css/app.css").unwrap();
//! assert_eq!(url, format!("/static/css/app.{}.css", &css.hash()[..12]));
//! assert_eq!(Static::get(&url["/static/".len()..]).unwrap().path(), "css/app.css");
//! ```
//!
//! # Serving
//!
//! With the `axum` feature, `Static::router()` is an axum `Router` that serves the bundle at its
//! prefix, so the prefix is written once, in the attribute, and `url()` always points where the
//! assets are:
//!
//! ```
//! # #[derive(kiln::Embed)]
//! # #[kiln(folder = "static", prefix = "/static")]
//! # struct Static;
//! # #[cfg(feature = "axum")]
//! let app: axum::Router = axum::Router::new().merge(Static::router());
//! ```
//!
//! `Static::service()` is the [`ServeAssets`] under it, a `tower::Service` for any request body;
//! mount it at the bundle's prefix yourself (in a debug build with the `axum` feature, a service
//! nested elsewhere warns once on its first request):
//!
//! ```
//! # #[derive(kiln::Embed)]
//! # #[kiln(folder = "static", prefix = "/static")]
//! # struct Static;
//! let app: axum::Router = axum::Router::new().nest_service("/static", Static::service());
//! ```
//!
//! With the `actix` feature, `Static::actix_service()` ([`ActixService`]) mounts the same service
//! in an actix-web `App` at the bundle's prefix, `App::new().service(Static::actix_service())`,
//! and [`Page::respond_actix`] answers a page from an actix-web handler.
//!
//! | request | response |
//! |---|---|
//! | a plain path, `/static/css/app.css` | 200, `Cache-Control: no-cache` (revalidated with the ETag) |
//! | a fingerprinted path, `/static/css/app.3f2a9c1e8b47.css` | 200, `Cache-Control: public, max-age=31536000, immutable` |
//! | a fingerprint that is not the current content's | 404 |
//! | `Accept-Encoding` | the acceptable representation with the highest q-value, the smallest on ties; identity if nothing else is acceptable |
//! | `If-Match` / `If-None-Match` | 412 / 304 (with `ETag`, `Cache-Control`, `Vary`), in RFC 9110 §13.2.2 order |
//! | `Range: bytes=a-b`, `a-`, `-n` | 206 from the identity representation; 416 when unsatisfiable; ignored when malformed, multiple, or when `If-Range` does not match |
//! | HEAD | the headers of GET, no body |
//! | other methods | 405 with `Allow: GET, HEAD` |
//! | `..`, `%2e%2e`, `\`, NUL, invalid UTF-8 | 404 |
//! | a folder path ending in `/` | its `index.html`, else 404 |
//! | a folder path without the `/` (`/static/docs`) whose `index.html` exists | 308 to `./docs/` (relative, so right under any mount path), query kept |
//! | an unknown path | 404, or the configured [fallback](ServeAssets::fallback) for paths that look like pages |
//! | `If-Modified-Since` alone | 200: no `Last-Modified` is sent (see below) |
//!
//! Every asset response carries `Content-Type` (with `charset=utf-8` for text), `Content-Length`,
//! a strong `ETag` that differs per encoding (`"<sha256>"`, `"<sha256>-br"`, ...),
//! `X-Content-Type-Options: nosniff`, `Vary: Accept-Encoding` when the asset has precompressed
//! variants, and `Accept-Ranges: bytes` on identity.
//!
//! Kiln sends no `Last-Modified`. Every response has a strong ETag, which browsers, CDNs and
//! crawlers revalidate with; RFC 9110 §13.2.2 has `If-None-Match` replace `If-Modified-Since`
//! whenever both are sent. A date would have to come from file modification times, which change on
//! every checkout (so two builds of the same sources would differ, and a `git checkout` of old
//! files would give them new dates) and say nothing the content hash does not.
//!
//! # Pages the app renders
//!
//! A page rendered by the app (whose links come from `Static::url()`) is served best as a
//! [`Page`]: a strong ETag of its bytes and `Cache-Control: no-cache`, so that a browser's reload
//! costs one 304 and no asset requests at all (the assets' URLs are immutable). Keep it in a
//! [`LazyPage`], which renders it once in a baked build and on every request in reload mode,
//! where the fingerprinted URLs change as the files are edited.
//!
//! # How it works
//!
//! At build time `#[derive(Embed)]` walks the folder (sorted, hidden files left out), hashes every
//! file (SHA-256 for the fingerprint and ETag, SHA-384 for Subresource Integrity), precompresses
//! the compressible ones with brotli and gzip (and zstd with the `zstd` feature), keeps a variant
//! only when it saves at least 5%, and writes a *pack* to a content-addressed cache in the target
//! folder: the bytes of every representation (each distinct content once) in data chunks of about
//! 1 MiB, and a small compressed table of paths, types, hashes and offsets. The generated code is
//! one `include_bytes!` per chunk; the table is read on the first use of the bundle (a few
//! milliseconds and about a megabyte of memory per thousand assets). Variants are compressed
//! once, not on every build: a rebuild compresses and packs only what changed.
//!
//! # The `#[kiln(...)]` attribute
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `folder = "static"` | the folder; relative to the crate's `Cargo.toml`; `$VAR`/`${VAR}` expand environment variables such as `OUT_DIR` | required |
//! | `prefix = "/static"` | where the bundle is mounted; used by `url()` | `"/static"` |
//! | `include = "glob"`, `exclude = "glob"` | repeatable; matched against the `/`-separated path in the folder; `*` stops at `/`, `**` does not; a pattern without `/` matches any single name, e.g. `exclude = "*.map"` | every file but hidden ones |
//! | `compress(br, gzip, zstd)`, `compress(none)` | which precompressed variants to build | `br`, `gzip` (and `zstd` with its feature) |
//! | `compressed_only`, `compressed_only(min_size = 4096)` | store no identity bytes for files (of at least `min_size` bytes) that have a `br` or `gzip` variant; see below | off |
//! | `rewrite = false` | serve CSS and JavaScript as written, without rewriting their references (see [The asset graph](#the-asset-graph)) | `true` |
//! | `dangling = "warn"`, `"error"`, `"allow"` | what a reference that names no file of the bundle is: a compile-time warning naming the file and the URL, a compile error, or nothing | `"warn"` |
//! | `crate = "path::to::kiln"` | where `kiln` is, for crates that re-export it | `::kiln` |
//!
//! Files and folders whose name starts with `.` are left out unless an `include` pattern matches
//! them (`include = ".well-known/**"`).
//!
//! # Generated items
//!
//! `get(path)`, `url(path)`, `resolve(path)` (the URL with the asset, for its tags), `iter()`,
//! `manifest_json()`, `import_map()`, `service()`, `live_reload_script()` and
//! `set_base_url(base)` as inherent functions of the struct (`router()` too with the `axum`
//! feature), and an implementation of [`Embed`] for generic code
//! (`Static::bundle()` gives the [`Bundle`], with `export(dir)` among others).
//!
//! # The asset graph
//!
//! A fingerprinted URL may be cached forever only if everything it loads is fingerprinted too: a
//! stylesheet that says `url(../img/logo.png)` would load the logo from its plain, revalidated
//! URL, and a new logo would not change the stylesheet's fingerprint. So, as Django's
//! `ManifestStaticFilesStorage` does, Kiln rewrites references at build time:
//!
//! - in CSS: `url(...)` (quoted or not), `@import "..."`, strings in `image-set()`, and
//!   `/*# sourceMappingURL=... */`; in JavaScript: the trailing `//# sourceMappingURL=...`.
//!   CSS is read with Servo's `cssparser` tokenizer, so references in comments and strings are
//!   not taken for real ones.
//! - a reference that resolves, relative to the referring file (or, starting with the prefix,
//!   `/static/...`, to the bundle), to a file of the bundle gets that file's fingerprint
//!   inserted: `url(../img/logo.png?v=2#top)` becomes `url(../img/logo.3f2a9c1e8b47.png?v=2#top)`.
//!   Nothing else in the file changes. Data URIs, absolute and protocol-relative URLs, fragments
//!   and root-relative paths outside the prefix are left alone.
//! - files are rewritten in dependency order, so a new logo changes the fingerprint of every
//!   stylesheet that uses it, and of every stylesheet that `@import`s those. A cycle of imports
//!   is reported (its references stay as written), not looped on. A reference to a file the
//!   bundle does not have is a warning (`dangling = "error"` makes it an error).
//!
//! The fingerprinted URL serves the rewritten bytes; its [`Asset::hash`], ETag, SRI
//! [`integrity`](Asset::integrity) and compressed variants are those of the rewritten bytes. The
//! plain URL serves the file exactly as written ([`Asset::as_written`]). `rewrite = false` turns it
//! off per bundle. Reload mode rewrites the same way, on each request, and follows edits of the
//! files referred to.
//!
//! JavaScript modules that import each other (`import "./util.js"`) are not rewritten: a page
//! includes the bundle's [import map](Bundle::import_map), which sends each module's plain URL to
//! its fingerprinted one.
//!
//! In templates, [`asset!`] gives a fingerprinted URL checked at compile time, and [`AssetUrl`]
//! renders the `<link>` and `<script>` tags with `integrity`; the `minijinja` feature adds the
//! same to minijinja templates (the [`minijinja`] module):
//!
//! ```
//! #[derive(kiln::Embed)]
//! #[kiln(folder = "static")]
//! struct Static;
//!
//! let head = format!(
//!     "{}\n{}\n{}",
//!     kiln::asset!(Static, "css/app.css").stylesheet(),
//!     Static::import_map(),
//!     kiln::asset!(Static, "js/app.js").module(),
//! );
//! assert!(head.contains(r#"<script type="module" src="/static/js/app."#));
//! ```
//!
//! # Binary size: `compressed_only`
//!
//! By default the binary holds every file as it is plus its kept variants. With
//! `#[kiln(compress(br), compressed_only)]` it holds only the brotli form of every file that
//! compresses, so the assets cost about their brotli size. The trade-off: a client that accepts
//! neither br nor gzip (rare: curl without `--compressed`, some bots), or a range request, needs
//! the identity bytes, which are decoded from the variant on first use and then kept in memory
//! for the life of the process; [`Asset::bytes`] does the same.
//!
//! # Large files
//!
//! A file over 32 MB makes the build warn (through a `#[deprecated]` note pointing at the
//! `folder` attribute): it is read, hashed and compressed at build time, and rustc holds it in
//! memory while compiling. Leave it out with `exclude = "..."`, or silence the warning with
//! `#[allow(deprecated)]` on the struct.
//!
//! # New and deleted files
//!
//! Cargo rebuilds the crate when an embedded file changes, but it does not look for files that
//! were added to or removed from the folder. A two-line build script fixes that:
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     println!("cargo::rerun-if-changed=static");
//! }
//! ```
//!
//! It also makes builds faster. Without it, the derive emits an unused `include_bytes!` of every
//! file, the only way a macro has to make Cargo rebuild the crate when one changes, and rustc
//! reads and evaluates each (about 0.25 s per 2,000 files). When the crate's build script watches
//! the folder (or a folder that holds it) the derive sees that and leaves them out.
//!
//! # Build speed
//!
//! Cargo compiles proc macros and their dependencies without optimisation, even in release
//! builds, which makes brotli 5-10 times slower. Compressed variants are cached, so this only
//! matters the first time, but on large folders add to your workspace `Cargo.toml`:
//!
//! ```toml
//! [profile.dev.build-override]
//! opt-level = 3
//! [profile.release.build-override]
//! opt-level = 3
//! ```
//!
//! The cache lives in `<target>/kiln-cache`; set `KILN_CACHE_DIR` to put it elsewhere (for
//! example to share it between checkouts), and `KILN_JOBS` to limit compression threads.
//!
//! Embedding costs rustc about what `include_bytes!` of the same bytes costs, every time the
//! crate that holds the derive is compiled (see BENCHMARKS.md in the repository). For a very large
//! folder, put the derive in a small crate of its own (`assets/` in the workspace, with the
//! `build.rs` above) and depend on it from the app: a change to the app's code then does not
//! recompile the assets at all. `KILN_TIMINGS=1 cargo build -vv`
//! prints how long the derive itself took; `KILN_EXPAND_TO=file.rs` writes out what it generated.
//!
//! # Reload mode
//!
//! With the `reload` feature, the same derive expands to a bundle that reads its folder from disk
//! on each request, so that editing a stylesheet needs no rebuild: the same API, the same URLs
//! and the same HTTP behaviour, with fingerprints of the files' current bytes. An edited file
//! gets a new fingerprinted URL (the old one is a 404), an added file is served, a deleted one is
//! a 404. Switch it on from the application's own feature, for development only:
//!
//! ```toml
//! [features]
//! reload = ["kiln/reload"]
//! ```
//!
//! and `cargo run --features reload`. The first use of the bundle prints the folder it reads;
//! the environment variable `KILN_<STRUCT>_FOLDER` (`KILN_STATIC_FOLDER` for `struct Static`)
//! points it at another folder at run time.
//!
//! Live reload takes two lines: serve the bundle (`Static::router()` or `Static::service()`,
//! which answers the event stream at `<prefix>/__kiln/reload`), and put
//! `Static::live_reload_script()` in the app's pages. The open page then reloads itself within
//! a second of a file of the folder being saved. Without the feature the script is the empty
//! string and the endpoint does not exist: nothing of it is compiled in. A page rendered once
//! (in a `LazyLock`) would keep the fingerprinted URLs it was rendered with: a [`LazyPage`]
//! renders it again on every request in reload mode, and once in a baked build.
//!
//! Where it differs from a baked bundle, on purpose:
//!
//! - Files are hashed and compressed by the same code the derive uses, when they are first
//!   requested after a change, but at a faster setting (brotli 5, gzip 6, zstd 3: milliseconds
//!   for a large stylesheet); a variant is still kept only if it saves 5%. Each file's result is
//!   kept until its size, modification time, change time or inode changes.
//! - `compressed_only` does nothing: files are read as they are.
//! - A symbolic link is followed only when its target is inside the folder (a baked bundle
//!   embeds whatever the link pointed at when it was built).
//! - A file that cannot be read is a 404 at run time instead of a compile error.
//!
//! # Features
//!
//! | feature | what it does |
//! |---|---|
//! | `reload` | read the folder from disk on each request instead of baking it in (development; see [Reload mode](#reload-mode)) |
//! | `axum` | `Static::router()`: an axum `Router` with the bundle at its prefix; in debug builds, a warning when the service is nested at another path |
//! | `actix` | `Static::actix_service()`: the bundle in an actix-web `App` at its prefix, live reload included, and [`Page::respond_actix`] |
//! | `zstd` | also precompress with zstd (build-time cost only) |
//! | `minijinja` | [`minijinja::install`]: `{{ static("css/app.css") }}`, tags with integrity and the import map in minijinja templates |
//! | `upload` | [`Bundle::upload`] and the [`upload`] module: the bundle's files to S3-compatible storage, GCS, Azure or a folder, for a CDN |
//! | `bake` | [`Bundle::from_baked`]: a bundle of a folder baked at run time by `kiln-bake` (what the `kiln` command exports and uploads); `reload` turns it on |

#![cfg_attr(docsrs, feature(doc_cfg))]
// The build-script example is a whole `build.rs`, `fn main` included.
#![allow(clippy::needless_doctest_main)]

// The layers, bottom up (ARCHITECTURE.md): asset data, sources, the bundle, the HTTP service,
// then the features on top. A module imports only from its own layer and the ones below.
mod asset;
mod encoding;
mod json;
mod path;

mod source;

mod bundle;

mod service;

#[cfg(feature = "actix")]
mod actix;
mod export;
mod files;
mod html;
#[cfg(feature = "reload")]
mod live;
#[cfg(feature = "minijinja")]
#[cfg_attr(docsrs, doc(cfg(feature = "minijinja")))]
pub mod minijinja;
mod page;
mod routes;
#[cfg(feature = "upload")]
#[cfg_attr(docsrs, doc(cfg(feature = "upload")))]
pub mod upload;

#[cfg(feature = "actix")]
pub use crate::actix::ActixService;
pub use crate::asset::{Asset, AssetRef, Encoding, Variant};
pub use crate::bundle::{Bundle, Embed};
pub use crate::export::{ExportError, ExportOptions, Exported};
pub use crate::files::OutputFile;
pub use crate::html::AssetUrl;
pub use crate::page::{LazyPage, Page};
pub use crate::service::{AssetBody, ResponseFuture, ServeAssets};
pub use crate::source::{Iter, Match};

/// Embeds a folder at compile time; see the [crate documentation](crate) for the attributes.
///
/// ```
/// #[derive(kiln::Embed)]
/// #[kiln(folder = "static", exclude = "*.html")]
/// struct Static;
///
/// assert!(Static::get("css/app.css").is_some());
/// assert!(Static::get("index.html").is_none());
/// assert!(Static::iter().all(|a| !a.path().ends_with(".html")));
/// ```
pub use kiln_macros::Embed;

/// The fingerprinted URL of a file of a bundle, checked at compile time:
/// `kiln::asset!(Static, "css/app.css")`.
///
/// The value is a [`kiln::AssetUrl`](AssetUrl) (it derefs to `str` and is `Display`) equal to
/// what `Static::url("css/app.css")` returns, base URL included, but found without a lookup by
/// string at run time; it also renders the asset's tags with their `integrity`
/// ([`AssetUrl::stylesheet`], [`AssetUrl::module`], ...): the path's place in the bundle is worked out while compiling. A path that is not
/// a file of the bundle fails the build, pointing at the string, with a "did you mean" when a path
/// of the bundle is close:
///
/// ```compile_fail
/// # #[derive(kiln::Embed)]
/// # #[kiln(folder = "static")]
/// # struct Static;
/// let url = kiln::asset!(Static, "css/ap.css"); // error: ... did you mean `css/app.css`?
/// ```
///
/// ```
/// #[derive(kiln::Embed)]
/// #[kiln(folder = "static")]
/// struct Static;
///
/// let url = kiln::asset!(Static, "css/app.css");
/// assert_eq!(url, Static::url("css/app.css").unwrap());
/// assert!(url.starts_with("/static/css/app.") && url.ends_with(".css"));
/// ```
///
/// In reload mode the path is checked against the folder as it was at compile time, and the URL
/// is that of the file's current content.
///
/// The expansion names the crate `::kiln`: a crate that uses `asset!` through a re-export must
/// still depend on `kiln` under that name.
pub use kiln_macros::asset;

/// Not public API: only for code generated by `#[derive(Embed)]`. May change in any release.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "axum")]
    pub use axum;

    #[cfg(feature = "reload")]
    pub use crate::source::disk::DiskOptions;

    /// A derive's sorted list of paths, which `kiln::asset!` looks a path up in at compile time.
    #[derive(Debug)]
    pub struct Paths {
        /// The paths, back to back.
        pub text: &'static str,
        /// Where each ends in `text`.
        pub ends: &'static [u32],
        /// Whether this is the bundle's list: `false` next to the derive's compile error, which
        /// is then the only error (the lookups do not fail too).
        pub complete: bool,
    }

    /// The position of `path` in a derive's sorted list of paths, at compile time: `kiln::asset!`
    /// evaluates it in a `const`, so a path not in the bundle fails the build with `missing` as
    /// the message (unless the derive failed: its own error says what is wrong).
    pub const fn index_of(list: &Paths, path: &str, missing: &'static str) -> usize {
        if !list.complete {
            return 0;
        }
        let (paths, ends, path) = (list.text.as_bytes(), list.ends, path.as_bytes());
        let (mut low, mut high) = (0, ends.len());
        while low < high {
            let mid = low + (high - low) / 2;
            let start = if mid == 0 { 0 } else { ends[mid - 1] as usize };
            let end = ends[mid] as usize;
            // Byte order, as `str` sorts.
            let mut i = 0;
            let order = loop {
                match (start + i < end, i < path.len()) {
                    (false, false) => break 0i8,
                    (false, true) => break -1,
                    (true, false) => break 1,
                    (true, true) if paths[start + i] < path[i] => break -1,
                    (true, true) if paths[start + i] > path[i] => break 1,
                    (true, true) => i += 1,
                }
            };
            match order {
                0 => return mid,
                -1 => low = mid + 1,
                _ => high = mid,
            }
        }
        panic!("{}", missing)
    }
}

// The README's programs use `Static::router()` and `Static::actix_service()`; `tests/readme.rs`
// also builds each as a crate of its own, exactly as pasted.
#[cfg(all(doctest, feature = "axum", feature = "actix"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
