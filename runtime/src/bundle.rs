//! A set of embedded assets and the ways to look them up.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, RwLock};

use rustc_hash::FxBuildHasher;

/// The bit of an index entry that marks a fingerprinted path.
const FINGERPRINTED: u32 = 1 << 31;

use crate::asset::{Asset, AssetRef};
use crate::disk::{Disk, DiskOptions};
use crate::pack::Loaded;

/// Implemented by `#[derive(kiln::Embed)]`: gives generic code access to the bundle.
///
/// The derive also generates inherent functions (`Static::get`, `Static::url`, ...) that forward
/// to [`Bundle`], so most code never names this trait.
pub trait Embed {
    /// The bundle of this type.
    fn bundle() -> &'static Bundle;
}

/// How a request path matched an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The plain path (`css/app.css`): the content behind it may change between releases.
    Plain(AssetRef),
    /// The fingerprinted path (`css/app.3f2a9c1e8b47.css`): its content never changes.
    Fingerprinted(AssetRef),
}

impl Match {
    /// The asset, however it matched.
    pub fn asset(self) -> AssetRef {
        match self {
            Match::Plain(asset) | Match::Fingerprinted(asset) => asset,
        }
    }

    /// Whether the path carried the content fingerprint.
    pub const fn is_fingerprinted(&self) -> bool {
        matches!(self, Match::Fingerprinted(_))
    }
}

/// The assets of a bundle, in path order: what [`Bundle::iter`] returns.
#[derive(Debug, Clone)]
pub struct Iter {
    inner: IterInner,
}

#[derive(Debug, Clone)]
enum IterInner {
    Baked(std::slice::Iter<'static, Asset>),
    Read(std::vec::IntoIter<AssetRef>),
}

impl Iterator for Iter {
    type Item = AssetRef;

    fn next(&mut self) -> Option<AssetRef> {
        match &mut self.inner {
            IterInner::Baked(iter) => iter.next().map(AssetRef::from),
            IterInner::Read(iter) => iter.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            IterInner::Baked(iter) => iter.size_hint(),
            IterInner::Read(iter) => iter.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter {}

impl DoubleEndedIterator for Iter {
    fn next_back(&mut self) -> Option<AssetRef> {
        match &mut self.inner {
            IterInner::Baked(iter) => iter.next_back().map(AssetRef::from),
            IterInner::Read(iter) => iter.next_back(),
        }
    }
}

/// The assets of one `#[derive(kiln::Embed)]`, sorted by path.
///
/// The derive embeds a bundle as a pack: data chunks and a compressed table. The first use of the
/// bundle reads the table into [`Asset`]s, kept for the life of the program (the assets' bytes
/// are not copied: they stay in the binary). The first lookup indexes every plain and
/// fingerprinted path in a hash map; every lookup after that hashes the path once and compares
/// one key.
///
/// With the `reload` feature, the derive makes a bundle that reads its folder on disk instead
/// (see the crate documentation): the same methods, answered from the files as they are now.
#[derive(Debug)]
pub struct Bundle {
    meta: &'static [u8],
    chunks: &'static [&'static [u8]],
    base_url: RwLock<Option<Arc<str>>>,
    /// The environment variable that sets the base URL when `set_base_url` did not.
    base_url_env: &'static str,
    /// Its value, read on first use.
    env_base_url: OnceLock<Option<Arc<str>>>,
    loaded: OnceLock<Loaded>,
    index: OnceLock<Index>,
    manifest: OnceLock<String>,
    /// Set for a bundle read from disk (the `reload` feature).
    disk_options: Option<&'static DiskOptions>,
    #[cfg_attr(not(feature = "reload"), allow(dead_code))]
    disk: OnceLock<Disk>,
}

/// Every plain and fingerprinted path, to its asset's index (with [`FINGERPRINTED`] set for a
/// fingerprinted path).
#[derive(Debug)]
struct Index {
    paths: HashMap<&'static str, u32, FxBuildHasher>,
    /// The prefix without its leading `/` and with a trailing one (`static/`); empty for the root.
    prefix: String,
    /// Whether some path starts with [`prefix`](Self::prefix): then a request path that starts
    /// with it must be looked up as it is too.
    shadows_prefix: bool,
    /// The folders that have an `index.html` (`docs`; the empty string for the bundle's own), for
    /// the redirect of a folder path without its trailing `/`. Usually few or none: a missed
    /// path costs one check of this set, and nothing when it is empty.
    folders: HashSet<&'static str, FxBuildHasher>,
    /// Bit `n % 64` set for a folder of [`folders`](Self::folders) whose path is `n` bytes long:
    /// most missed paths are ruled out by their length, without hashing.
    folder_lengths: u64,
}

impl Index {
    /// Looks up `path`, relative to where the service is mounted, with `get`: with
    /// `nest_service`, a path in the bundle; mounted at the root, one that may still start with
    /// the bundle's prefix, which is then tried without it. A path in the bundle itself that
    /// starts with the prefix (a folder named `static`) wins.
    fn mounted<R>(&self, path: &str, get: impl Fn(&str) -> Option<R>) -> Option<R> {
        // The first byte spares most paths of a nested service the comparison.
        let under_prefix = match (path.as_bytes().first(), self.prefix.as_bytes().first()) {
            (Some(a), Some(b)) if a == b => path.strip_prefix(self.prefix.as_str()),
            _ => None,
        };
        match under_prefix {
            Some(rest) if self.shadows_prefix => get(path).or_else(|| get(rest)),
            Some(rest) => get(rest),
            None => get(path),
        }
    }
}

/// The prefix as a request path under the mount point starts with it, without the leading `/`
/// and with a trailing one (`/static` -> `static/`); empty for the root.
pub(crate) fn mounted_prefix(prefix: &str) -> String {
    match prefix.trim_start_matches('/') {
        "" => String::new(),
        prefix => format!("{prefix}/"),
    }
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
        Bundle {
            meta,
            chunks,
            base_url: RwLock::new(None),
            base_url_env: env,
            env_base_url: OnceLock::new(),
            loaded: OnceLock::new(),
            index: OnceLock::new(),
            disk_options: None,
            disk: OnceLock::new(),
            manifest: OnceLock::new(),
        }
    }

    /// Used by the derive with the `reload` feature: a bundle read from its folder on disk at
    /// each lookup.
    #[doc(hidden)]
    #[cfg(feature = "reload")]
    pub const fn disk(options: &'static DiskOptions) -> Self {
        Bundle {
            meta: &[],
            chunks: &[],
            base_url: RwLock::new(None),
            base_url_env: options.base_url_env,
            env_base_url: OnceLock::new(),
            loaded: OnceLock::new(),
            index: OnceLock::new(),
            manifest: OnceLock::new(),
            disk_options: Some(options),
            disk: OnceLock::new(),
        }
    }

    /// The disk source of a bundle read from disk; `None` for a baked one.
    fn read(&'static self) -> Option<&'static Disk> {
        #[cfg(feature = "reload")]
        if let Some(options) = self.disk_options {
            return Some(self.disk.get_or_init(|| Disk::new(options)));
        }
        None
    }

    /// The live-reload hub and the folder it watches, for a bundle read from disk.
    #[cfg(feature = "reload")]
    pub(crate) fn live(
        &'static self,
    ) -> Option<(&'static Arc<crate::live::Hub>, &'static std::path::Path)> {
        let disk = self.read()?;
        Some((&disk.hub, disk.folder()))
    }

    /// A `<script>` element for the app's pages that makes them reload themselves when a file of
    /// the bundle changes on disk, in reload mode (the `reload` feature); the empty string for a
    /// baked bundle, so the same page source serves both modes. The service answers the
    /// script's event stream at `<prefix>/__kiln/reload`.
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
        if let Some(disk) = self.read() {
            return &disk.script;
        }
        ""
    }

    /// Whether the bundle is read from disk (the `reload` feature) rather than baked in.
    pub fn is_read_from_disk(&'static self) -> bool {
        self.disk_options.is_some()
    }

    fn loaded(&'static self) -> &'static Loaded {
        self.loaded
            .get_or_init(|| crate::pack::load(self.meta, self.chunks))
    }

    fn assets(&'static self) -> &'static [Asset] {
        &self.loaded().assets
    }

    /// The URL prefix the bundle is served under, without a trailing `/` (`/static`; empty for
    /// the root).
    pub fn prefix(&'static self) -> &'static str {
        match self.read() {
            Some(disk) => disk.prefix(),
            None => &self.loaded().prefix,
        }
    }

    /// Every asset, in path order.
    pub fn iter(&'static self) -> Iter {
        let inner = match self.read() {
            Some(disk) => IterInner::Read(disk.assets().into_iter()),
            None => IterInner::Baked(self.assets().iter()),
        };
        Iter { inner }
    }

    /// How many assets there are.
    pub fn len(&'static self) -> usize {
        self.iter().len()
    }

    /// Whether the bundle is empty.
    pub fn is_empty(&'static self) -> bool {
        self.len() == 0
    }

    /// How many assets the service prepares response heads for: none when read from disk,
    /// where assets change.
    pub(crate) fn prepared_len(&'static self) -> usize {
        match self.read() {
            Some(_) => 0,
            None => self.assets().len(),
        }
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
        if let Some(disk) = self.read() {
            return disk.lookup(path);
        }
        let (index, fingerprinted) = self.slot(path)?;
        let asset = AssetRef::from(self.assets().get(index)?);
        Some(if fingerprinted {
            Match::Fingerprinted(asset)
        } else {
            Match::Plain(asset)
        })
    }

    /// The index of the asset at `path` in [`iter`](Self::iter) order, and whether the path was
    /// the fingerprinted one.
    pub(crate) fn slot(&'static self, path: &str) -> Option<(usize, bool)> {
        let path = path.strip_prefix('/').unwrap_or(path);
        Self::decode(*self.index().paths.get(path)?)
    }

    /// [`slot`](Self::slot) for a request path (without its leading `/`) relative to where the
    /// service is mounted (see `Index::mounted`): the path is hashed once, unless some path in
    /// the bundle itself starts with the prefix.
    pub(crate) fn slot_mounted(&'static self, path: &str) -> Option<(usize, bool)> {
        let index = self.index();
        index.mounted(path, |path| Self::decode(*index.paths.get(path)?))
    }

    /// [`slot_mounted`](Self::slot_mounted), for either source: the asset, whether the path was
    /// fingerprinted, and its index in a baked bundle (for prepared response heads).
    pub(crate) fn find_mounted(
        &'static self,
        path: &str,
    ) -> Option<(AssetRef, bool, Option<usize>)> {
        if let Some(disk) = self.read() {
            let (asset, fingerprinted) = disk.lookup_mounted(path)?;
            return Some((asset, fingerprinted, None));
        }
        let (index, fingerprinted) = self.slot_mounted(path)?;
        let asset = AssetRef::from(self.asset_at(index)?);
        Some((asset, fingerprinted, Some(index)))
    }

    /// Whether the request path `path` (as [`find_mounted`](Self::find_mounted) takes it, with no
    /// trailing `/`) names a folder of the bundle that has an `index.html`.
    pub(crate) fn is_folder_mounted(&'static self, path: &str) -> bool {
        if self.read().is_some() {
            return crate::service::path::with_index(path, |p| self.find_mounted(p)).is_some();
        }
        let index = self.index();
        if index.folders.is_empty() {
            return false;
        }
        let has = |folder: &str| {
            (index.folder_lengths & length_bit(folder) != 0 && index.folders.contains(folder))
                .then_some(())
        };
        // The bundle's own folder, requested as the bare prefix of a root-mounted service.
        if index.prefix.strip_suffix('/') == Some(path) {
            return has("").is_some() || (index.shadows_prefix && has(path).is_some());
        }
        index.mounted(path, has).is_some()
    }

    /// The current version of `asset`: itself in a baked bundle; read again from disk
    /// otherwise (`None` if its file is gone).
    pub(crate) fn current(&'static self, asset: &AssetRef) -> Option<AssetRef> {
        match self.read() {
            Some(disk) => disk.lookup(asset.path()).map(Match::asset),
            None => Some(asset.clone()),
        }
    }

    fn decode(slot: u32) -> Option<(usize, bool)> {
        Some(((slot & !FINGERPRINTED) as usize, slot & FINGERPRINTED != 0))
    }

    fn index(&'static self) -> &'static Index {
        self.index.get_or_init(|| {
            let assets = self.assets();
            let mut paths = HashMap::with_capacity_and_hasher(assets.len() * 2, FxBuildHasher);
            // Fingerprinted paths first, so that a file named exactly like another file's
            // fingerprinted form is found under its own (plain) name.
            for (i, asset) in (0u32..).zip(assets) {
                paths.insert(asset.fingerprinted_path(), i | FINGERPRINTED);
            }
            for (i, asset) in (0u32..).zip(assets) {
                paths.insert(asset.path(), i);
            }
            let prefix = mounted_prefix(self.prefix());
            let shadows_prefix =
                !prefix.is_empty() && paths.keys().any(|path| path.starts_with(&prefix));
            let folders: HashSet<&'static str, FxBuildHasher> = assets
                .iter()
                .filter_map(|asset| match asset.path() {
                    "index.html" => Some(""),
                    path => path.strip_suffix("/index.html"),
                })
                .collect();
            let folder_lengths = folders
                .iter()
                .fold(0, |mask, folder: &&str| mask | length_bit(folder));
            Index {
                paths,
                prefix,
                shadows_prefix,
                folders,
                folder_lengths,
            }
        })
    }

    /// The asset at `index` in [`iter`](Self::iter) order.
    pub(crate) fn asset_at(&'static self, index: usize) -> Option<&'static Asset> {
        self.assets().get(index)
    }

    /// The fingerprinted URL of `path`: the base URL if one is set, else the prefix, then the
    /// percent-encoded fingerprinted path. `None` if there is no such asset.
    pub fn url(&'static self, path: &str) -> Option<Cow<'static, str>> {
        Some(self.url_of(&self.get(path)?))
    }

    /// What `kiln::asset!` expands to: the URL of the asset at `index`, which the derive's list of
    /// paths gave at compile time (no lookup by string), or, for a bundle read from disk, of
    /// `path` (which may have been deleted since: then its plain URL, which answers 404).
    #[doc(hidden)]
    pub fn asset_url(&'static self, index: usize, path: &str) -> crate::AssetUrl {
        let asset = match self.read() {
            Some(_) => self.get(path),
            None => self.asset_at(index).map(AssetRef::from),
        };
        let url = match &asset {
            Some(asset) => self.url_of(asset),
            #[cfg(feature = "reload")]
            None => Cow::Owned(format!("{}/{}", self.prefix(), kiln_bake::url_encode(path))),
            // A baked bundle has every path its derive listed.
            #[cfg(not(feature = "reload"))]
            None => Cow::Owned(format!("{}/{path}", self.prefix())),
        };
        crate::AssetUrl::new(url, asset)
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

    /// A [`ServeAssets`](crate::ServeAssets) for this bundle.
    pub fn service(&'static self) -> crate::ServeAssets {
        crate::ServeAssets::new(self)
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

    /// The manifest, `{"css/app.css": "css/app.3f2a9c1e8b47.css", ...}`: the shape of the
    /// `paths` map of Django's `staticfiles.json`.
    ///
    /// It is not stored in the binary (every path in it is): the first call writes it, and it is
    /// kept.
    pub fn manifest_json(&'static self) -> Cow<'static, str> {
        if self.read().is_some() {
            return Cow::Owned(self.write_manifest());
        }
        Cow::Borrowed(self.manifest.get_or_init(|| self.write_manifest()))
    }

    fn write_manifest(&'static self) -> String {
        // One walk of the assets: read from disk, each walk lists the folder and stats its files.
        let assets = self.iter();
        let mut json = String::with_capacity(assets.len() * 100);
        json.push('{');
        for (i, asset) in assets.enumerate() {
            if i > 0 {
                json.push(',');
            }
            json_string(&mut json, asset.path());
            json.push(':');
            json_string(&mut json, asset.fingerprinted_path());
        }
        json.push('}');
        json
    }
}

/// The bit of [`Index::folder_lengths`] for a folder path.
fn length_bit(folder: &str) -> u64 {
    1 << (folder.len() % 64)
}

/// `s` as a JSON string: quoted, with quotes, backslashes and control characters escaped (as
/// serde_json writes it; the other characters, non-ASCII included, go as they are).
pub(crate) fn json_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_strings_escape_like_serde_json() {
        let mut out = String::new();
        super::json_string(&mut out, "a\"b\\c\n\u{1}\u{8}é/");
        assert_eq!(out, r#""a\"b\\c\n\u0001\bé/""#);
    }
}
