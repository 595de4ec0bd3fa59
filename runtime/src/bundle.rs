//! A set of embedded assets and the ways to look them up.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock, RwLock};

use crate::asset::AssetRef;
use crate::source::{Iter, Match, Origin, Source};

/// Implemented by `#[derive(kiln::Embed)]`: gives generic code access to the bundle.
///
/// The derive also generates inherent functions (`Static::get`, `Static::url`, ...) that forward
/// to [`Bundle`], so most code never names this trait.
pub trait Embed {
    /// The bundle of this type.
    fn bundle() -> &'static Bundle;
}

/// The assets of one `#[derive(kiln::Embed)]`, sorted by path.
///
/// The derive embeds a bundle as a pack: data chunks and a compressed table. The first use of the
/// bundle reads the table into [`Asset`](crate::Asset)s, kept for the life of the program (the assets' bytes
/// are not copied: they stay in the binary). The first lookup indexes every plain and
/// fingerprinted path in a hash map; every lookup after that hashes the path once and compares
/// one key.
///
/// With the `reload` feature, the derive makes a bundle that reads its folder on disk instead
/// (see the crate documentation): the same methods, answered from the files as they are now.
/// With the `bake` feature, [`Bundle::from_baked`] makes one of a folder baked in memory at run
/// time, as the `kiln` command does.
#[derive(Debug)]
pub struct Bundle {
    /// How to open the source, on first use.
    origin: Origin,
    source: OnceLock<Source>,
    base_url: RwLock<Option<Arc<str>>>,
    /// The environment variable that sets the base URL when `set_base_url` did not.
    base_url_env: &'static str,
    /// Its value, read on first use.
    env_base_url: OnceLock<Option<Arc<str>>>,
}

impl Bundle {
    /// Used by the derive: `meta` and `chunks` are the pack `kiln-bake` wrote (an empty `meta` is
    /// an empty bundle).
    #[doc(hidden)]
    pub const fn packed(meta: &'static [u8], chunks: &'static [&'static [u8]]) -> Self {
        Self::packed_with_base_url_env(meta, chunks, "")
    }

    /// [`packed`](Self::packed), with the base URL taken from the environment variable `env`
    /// (for `struct Static`, `KILN_STATIC_BASE_URL`) unless `set_base_url` sets one.
    #[doc(hidden)]
    pub const fn packed_with_base_url_env(
        meta: &'static [u8],
        chunks: &'static [&'static [u8]],
        env: &'static str,
    ) -> Self {
        Self::with_origin(Origin::Pack { meta, chunks }, env)
    }

    /// Used by the derive with the `reload` feature: a bundle read from its folder on disk at
    /// each lookup.
    #[doc(hidden)]
    #[cfg(feature = "reload")]
    pub const fn disk(options: &'static crate::source::disk::DiskOptions) -> Self {
        Self::with_origin(Origin::Disk(options), options.base_url_env)
    }

    const fn with_origin(origin: Origin, base_url_env: &'static str) -> Self {
        Bundle {
            origin,
            source: OnceLock::new(),
            base_url: RwLock::new(None),
            base_url_env,
            env_base_url: OnceLock::new(),
        }
    }

    /// A bundle of a folder baked in memory at run time by kiln-bake, served under `prefix`, as
    /// the `kiln` command makes one to export and upload: every asset, its variants and its file
    /// as written are read into memory. The bundle lives for the rest of the program, like a
    /// derive's.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("kiln-doc-baked-{}", std::process::id()));
    /// # std::fs::create_dir_all(dir.join("css"))?;
    /// # std::fs::write(dir.join("css/app.css"), "body { color: red }\n".repeat(50))?;
    /// let baked = kiln_bake::bake(&kiln_bake::Config::new(&dir))?;
    /// let bundle = kiln::Bundle::from_baked(&baked, "/static")?;
    /// let css = bundle.get("css/app.css").unwrap();
    /// assert_eq!(css.url(), format!("/static/{}", baked.files[0].fingerprinted));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "bake")]
    #[cfg_attr(docsrs, doc(cfg(feature = "bake")))]
    pub fn from_baked(
        baked: &kiln_bake::Baked,
        prefix: &str,
    ) -> Result<&'static Bundle, kiln_bake::Error> {
        let bundle = Self::with_origin(Origin::Open, "");
        let _ = bundle
            .source
            .set(crate::source::baked::open(baked, prefix)?);
        Ok(Box::leak(Box::new(bundle)))
    }

    /// The source, opened on first use.
    pub(crate) fn source(&'static self) -> &'static Source {
        self.source.get_or_init(|| self.origin.open())
    }

    /// Whether the bundle is read from disk (the `reload` feature) rather than baked in.
    pub fn is_read_from_disk(&'static self) -> bool {
        self.source().folder().is_some()
    }

    /// The folder the bundle reads from disk, in reload mode.
    #[cfg_attr(not(feature = "reload"), allow(dead_code))]
    pub(crate) fn folder(&'static self) -> Option<&'static std::path::Path> {
        self.source().folder()
    }

    /// The URL prefix the bundle is served under, without a trailing `/` (`/static`; empty for
    /// the root).
    pub fn prefix(&'static self) -> &'static str {
        self.source().prefix()
    }

    /// Every asset, in path order.
    pub fn iter(&'static self) -> Iter {
        self.source().iter()
    }

    /// How many assets there are.
    pub fn len(&'static self) -> usize {
        self.iter().len()
    }

    /// Whether the bundle is empty.
    pub fn is_empty(&'static self) -> bool {
        self.len() == 0
    }

    /// Looks up a path relative to the folder, plain (`css/app.css`) or fingerprinted
    /// (`css/app.3f2a9c1e8b47.css`). A leading `/` is ignored. A fingerprinted path only matches
    /// when its hash is the current content's.
    pub fn get(&'static self, path: &str) -> Option<AssetRef> {
        self.lookup(path).map(Match::asset)
    }

    /// Like [`get`](Self::get), and tells whether the path was the fingerprinted one. A path that
    /// is both (a file literally named like another file's fingerprinted form) is plain.
    pub fn lookup(&'static self, path: &str) -> Option<Match> {
        self.source().lookup(path)
    }

    /// The fingerprinted URL of `path`: the base URL if one is set, else the prefix, then the
    /// percent-encoded fingerprinted path. `None` if there is no such asset.
    pub fn url(&'static self, path: &str) -> Option<Cow<'static, str>> {
        Some(self.url_of(&self.get(path)?))
    }

    /// The base URL: the one `set_base_url` set, else the environment variable's (read once),
    /// if any.
    pub(crate) fn base(&self) -> Option<Arc<str>> {
        if let Some(base) = self
            .base_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Some(base);
        }
        self.env_base_url
            .get_or_init(|| {
                if self.base_url_env.is_empty() {
                    return None;
                }
                let value = std::env::var(self.base_url_env).ok()?;
                let value = value.trim().trim_end_matches('/');
                (!value.is_empty()).then(|| Arc::from(value))
            })
            .clone()
    }

    pub(crate) fn url_of(&'static self, asset: &AssetRef) -> Cow<'static, str> {
        let base = self.base();
        match base.as_deref() {
            None => match asset.as_static() {
                Some(asset) => Cow::Borrowed(asset.url()),
                None => Cow::Owned(asset.url().to_owned()),
            },
            Some(base) => Cow::Owned(format!("{base}/{}", asset.url_path())),
        }
    }

    /// Makes [`url`](Self::url) point at `base` (a CDN, or a server of exported files) instead of
    /// the prefix, e.g. `https://cdn.example.com/assets`. A trailing `/` is ignored. The service
    /// keeps serving under its own mount point.
    ///
    /// Without a call, the environment variable `KILN_<STRUCT>_BASE_URL` (`KILN_STATIC_BASE_URL`
    /// for `struct Static`), read on first use, plays this part, like Django's `STATIC_URL`:
    /// the same binary then links its own assets in development and the CDN's in production.
    pub fn set_base_url(&self, base: impl Into<String>) {
        let mut base: String = base.into();
        while base.ends_with('/') {
            base.pop();
        }
        *self.base_url.write().unwrap_or_else(|e| e.into_inner()) = Some(base.into());
    }

    /// Undoes [`set_base_url`](Self::set_base_url): URLs use the environment variable's base URL
    /// if it is set, else the prefix.
    pub fn clear_base_url(&self) {
        *self.base_url.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The manifest, `{"css/app.css": "css/app.3f2a9c1e8b47.css", ...}`: the shape of the
    /// `paths` map of Django's `staticfiles.json`.
    ///
    /// It is not stored in the binary (every path in it is): the first call writes it, and it is
    /// kept.
    pub fn manifest_json(&'static self) -> Cow<'static, str> {
        self.source().manifest_json()
    }
}
