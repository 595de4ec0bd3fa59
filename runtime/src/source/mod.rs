//! Where a bundle's assets come from: the one place the sources are listed.
//!
//! - [`pack`]: the pack `#[derive(Embed)]` bakes into the binary (the default).
//! - [`baked`]: a folder baked in memory at run time by kiln-bake, as the `kiln` command does
//!   (the `bake` feature).
//! - [`disk`]: the folder read from disk on each lookup (the `reload` feature).
//!
//! The pack and an in-memory bake give a [`Fixed`] set of assets, indexed once; the disk source
//! changes under the bundle. Everything else about lookups (the paths a service mounted at the
//! root or nested sees, folders with an `index.html`, what a fingerprinted path means) is here
//! once, for every source. A new source is a module beside these and a variant of [`Source`] and
//! [`Origin`].

#[cfg(feature = "bake")]
pub(crate) mod baked;
#[cfg(feature = "reload")]
pub(crate) mod disk;
pub(crate) mod pack;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rustc_hash::FxBuildHasher;

use crate::asset::{Asset, AssetRef};

/// How a request path matched an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The plain path (`css/app.css`): the content behind it may change between releases.
    Plain(AssetRef),
    /// The fingerprinted path (`css/app.3f2a9c1e8b47.css`): its content never changes.
    Fingerprinted(AssetRef),
}

impl Match {
    pub(crate) fn new(asset: AssetRef, fingerprinted: bool) -> Self {
        if fingerprinted {
            Match::Fingerprinted(asset)
        } else {
            Match::Plain(asset)
        }
    }

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

/// The assets of a bundle, in path order: what [`Bundle::iter`](crate::Bundle::iter) returns.
#[derive(Debug, Clone)]
pub struct Iter {
    inner: IterInner,
}

#[derive(Debug, Clone)]
enum IterInner {
    /// The assets of a fixed source.
    Baked(std::slice::Iter<'static, Asset>),
    /// Handles to assets listed for this walk (a source that changes).
    Read(std::vec::IntoIter<AssetRef>),
}

impl Iter {
    pub(crate) fn fixed(assets: &'static [Asset]) -> Self {
        Iter {
            inner: IterInner::Baked(assets.iter()),
        }
    }

    #[cfg_attr(not(feature = "reload"), allow(dead_code))]
    pub(crate) fn listed(assets: Vec<AssetRef>) -> Self {
        Iter {
            inner: IterInner::Read(assets.into_iter()),
        }
    }
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

/// What the derive knows of a bundle, as a `static` can hold it: how to open its source on first
/// use.
#[derive(Debug)]
pub(crate) enum Origin {
    /// The meta and data chunks of a pack.
    Pack {
        meta: &'static [u8],
        chunks: &'static [&'static [u8]],
    },
    /// A folder read from disk.
    #[cfg(feature = "reload")]
    Disk(&'static disk::DiskOptions),
    /// A source opened when the bundle was made (an in-memory bake).
    #[cfg_attr(not(feature = "bake"), allow(dead_code))]
    Open,
}

/// A bundle's source of assets, opened.
#[derive(Debug)]
pub(crate) enum Source {
    /// The same assets for the life of the program: a pack, or a folder baked in memory.
    Fixed(Fixed),
    /// The folder on disk, as it is now.
    #[cfg(feature = "reload")]
    Disk(disk::Disk),
}

impl Origin {
    /// Opens the source (an [`Origin::Open`] bundle was given its source when it was made).
    pub(crate) fn open(&self) -> Source {
        match *self {
            Origin::Pack { meta, chunks } => Source::Fixed(pack::load(meta, chunks)),
            #[cfg(feature = "reload")]
            Origin::Disk(options) => Source::Disk(disk::Disk::new(options)),
            Origin::Open => Source::Fixed(Fixed::new(String::new(), Vec::new())),
        }
    }
}

impl Source {
    /// The URL prefix, without a trailing `/` (empty for the root).
    pub(crate) fn prefix(&self) -> &str {
        match self {
            Source::Fixed(fixed) => &fixed.prefix,
            #[cfg(feature = "reload")]
            Source::Disk(disk) => disk.prefix(),
        }
    }

    /// Every asset, in path order.
    pub(crate) fn iter(&'static self) -> Iter {
        match self {
            Source::Fixed(fixed) => Iter::fixed(&fixed.assets),
            #[cfg(feature = "reload")]
            Source::Disk(disk) => Iter::listed(disk.assets()),
        }
    }

    /// The asset at `path` relative to the folder (no leading `/`), plain or fingerprinted, and
    /// its index for a fixed source (by which a service keeps its prepared response heads).
    fn get(&'static self, path: &str) -> Option<(Match, Option<usize>)> {
        match self {
            Source::Fixed(fixed) => {
                let (index, fingerprinted) = fixed.slot(path)?;
                let asset = AssetRef::from(fixed.assets.get(index)?);
                Some((Match::new(asset, fingerprinted), Some(index)))
            }
            #[cfg(feature = "reload")]
            Source::Disk(disk) => Some((disk.lookup(path)?, None)),
        }
    }

    /// [`get`](Self::get) of a path relative to the folder; a leading `/` is ignored.
    pub(crate) fn lookup(&'static self, path: &str) -> Option<Match> {
        let path = path.strip_prefix('/').unwrap_or(path);
        self.get(path).map(|(found, _)| found)
    }

    /// The mount logic, once for every source: looks up a request path (without its leading
    /// `/`) relative to where the service is mounted. With `nest_service`, that is a path in the
    /// bundle; mounted at the root, it may still start with the bundle's prefix, and is then
    /// tried without it. A path of the bundle itself that starts with the prefix (a folder named
    /// `static` in a bundle whose prefix is `/static`) wins.
    fn mounted<R>(&'static self, path: &str, get: impl Fn(&str) -> Option<R>) -> Option<R> {
        let prefix = self.mounted_prefix();
        // The first byte spares most paths of a nested service the comparison.
        let under_prefix = match (path.as_bytes().first(), prefix.as_bytes().first()) {
            // Extra slashes after the prefix are ignored, as they are before a nested path.
            (Some(a), Some(b)) if a == b => path
                .strip_prefix(prefix)
                .map(|rest| rest.trim_start_matches('/')),
            _ => None,
        };
        match under_prefix {
            Some(rest) if self.shadows_prefix() => get(path).or_else(|| get(rest)),
            Some(rest) => get(rest),
            None => get(path),
        }
    }

    /// The prefix as a request path under the mount point starts with it: `static/`.
    fn mounted_prefix(&self) -> &str {
        match self {
            Source::Fixed(fixed) => &fixed.mounted_prefix,
            #[cfg(feature = "reload")]
            Source::Disk(disk) => disk.mounted_prefix(),
        }
    }

    /// Whether some path of the bundle starts with the [mounted prefix](Self::mounted_prefix).
    fn shadows_prefix(&'static self) -> bool {
        match self {
            Source::Fixed(fixed) => fixed.index().shadows_prefix,
            #[cfg(feature = "reload")]
            Source::Disk(disk) => disk.shadows_prefix(),
        }
    }

    /// The asset at a request path relative to where the service is mounted, whether the path
    /// was fingerprinted, and its index in a fixed source.
    pub(crate) fn find_mounted(
        &'static self,
        path: &str,
    ) -> Option<(AssetRef, bool, Option<usize>)> {
        self.mounted(path, |path| self.get(path))
            .map(|(found, index)| {
                let fingerprinted = found.is_fingerprinted();
                (found.asset(), fingerprinted, index)
            })
    }

    /// Whether the request path `path` (as [`find_mounted`](Self::find_mounted) takes it, with
    /// no trailing `/`) names a folder of the bundle that has an `index.html`.
    pub(crate) fn is_folder_mounted(&'static self, path: &str) -> bool {
        // The bundle's own folder, requested as the bare prefix of a root-mounted service.
        let own = self.mounted_prefix().strip_suffix('/') == Some(path);
        let has = |folder: &str| self.has_folder(folder).then_some(());
        if own {
            return has("").is_some() || (self.shadows_prefix() && has(path).is_some());
        }
        self.mounted(path, has).is_some()
    }

    /// Whether the bundle has `folder/index.html` (`index.html` for the empty folder).
    fn has_folder(&'static self, folder: &str) -> bool {
        match self {
            Source::Fixed(fixed) => fixed.index().has_folder(folder),
            #[cfg(feature = "reload")]
            Source::Disk(_) => {
                let index = match folder {
                    "" => Cow::Borrowed("index.html"),
                    folder => Cow::Owned(format!("{folder}/index.html")),
                };
                self.get(&index).is_some()
            }
        }
    }

    /// The current version of `asset`: itself in a fixed source; read again from disk
    /// otherwise (`None` if its file is gone).
    pub(crate) fn current(&'static self, asset: &AssetRef) -> Option<AssetRef> {
        match self {
            Source::Fixed(_) => Some(asset.clone()),
            #[cfg(feature = "reload")]
            Source::Disk(disk) => disk.lookup(asset.path()).map(Match::asset),
        }
    }

    /// How many assets have an index, which services prepare response heads by: every asset of
    /// a fixed source, none of one that changes.
    pub(crate) fn indexed_len(&self) -> usize {
        match self {
            Source::Fixed(fixed) => fixed.assets.len(),
            #[cfg(feature = "reload")]
            Source::Disk(_) => 0,
        }
    }

    /// The asset that `kiln::asset!` found at `index` of the derive's sorted list of paths while
    /// compiling: by index in a fixed source, by `path` in one that changes.
    pub(crate) fn listed(&'static self, index: usize, path: &str) -> Option<AssetRef> {
        match self {
            Source::Fixed(fixed) => fixed.assets.get(index).map(AssetRef::from),
            #[cfg(feature = "reload")]
            Source::Disk(disk) => disk.lookup(path).map(Match::asset),
        }
        .filter(|asset| asset.path() == path)
    }

    /// The plain URL of `path`, for an asset that [`listed`](Self::listed) no longer finds.
    pub(crate) fn plain_url(&self, path: &str) -> String {
        match self {
            // A fixed source has every path its derive listed.
            Source::Fixed(fixed) => format!("{}/{path}", fixed.prefix),
            #[cfg(feature = "reload")]
            Source::Disk(disk) => format!("{}/{}", disk.prefix(), kiln_bake::url_encode(path)),
        }
    }

    /// The manifest, `{"css/app.css": "css/app.3f2a9c1e8b47.css", ...}`: written once for a
    /// fixed source, each time for one that changes.
    pub(crate) fn manifest_json(&'static self) -> Cow<'static, str> {
        match self {
            Source::Fixed(fixed) => {
                Cow::Borrowed(fixed.manifest.get_or_init(|| write_manifest(self.iter())))
            }
            #[cfg(feature = "reload")]
            Source::Disk(_) => Cow::Owned(write_manifest(self.iter())),
        }
    }

    /// The folder read, for a source that reads one from disk.
    pub(crate) fn folder(&self) -> Option<&std::path::Path> {
        match self {
            Source::Fixed(_) => None,
            #[cfg(feature = "reload")]
            Source::Disk(disk) => Some(disk.folder()),
        }
    }
}

/// The manifest of `assets`: every path to its fingerprinted path, as a JSON object.
fn write_manifest(assets: Iter) -> String {
    let mut json = String::with_capacity(assets.len() * 100);
    json.push('{');
    for (i, asset) in assets.enumerate() {
        if i > 0 {
            json.push(',');
        }
        crate::json::write_string(&mut json, asset.path());
        json.push(':');
        crate::json::write_string(&mut json, asset.fingerprinted_path());
    }
    json.push('}');
    json
}

/// A fixed set of assets, sorted by path, and the index of their paths (made on the first
/// lookup).
#[derive(Debug)]
pub(crate) struct Fixed {
    prefix: String,
    /// The prefix without its leading `/` and with a trailing one (`static/`); empty for the
    /// root.
    mounted_prefix: String,
    assets: Box<[Asset]>,
    index: OnceLock<Index>,
    manifest: OnceLock<String>,
}

/// The bit of an index entry that marks a fingerprinted path.
const FINGERPRINTED: u32 = 1 << 31;

/// Every plain and fingerprinted path of a [`Fixed`] source, to its asset's index (with
/// [`FINGERPRINTED`] set for a fingerprinted path).
#[derive(Debug)]
struct Index {
    paths: HashMap<&'static str, u32, FxBuildHasher>,
    /// Whether some path starts with the mounted prefix: then a request path that starts with
    /// it must be looked up as it is too.
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
    fn has_folder(&self, folder: &str) -> bool {
        !self.folders.is_empty()
            && self.folder_lengths & length_bit(folder) != 0
            && self.folders.contains(folder)
    }
}

/// The bit of [`Index::folder_lengths`] for a folder path.
fn length_bit(folder: &str) -> u64 {
    1 << (folder.len() % 64)
}

impl Fixed {
    /// `assets`, sorted by path, served under `prefix` (no trailing `/`).
    pub(crate) fn new(prefix: String, assets: Vec<Asset>) -> Self {
        Fixed {
            mounted_prefix: mounted_prefix(&prefix),
            prefix,
            assets: assets.into_boxed_slice(),
            index: OnceLock::new(),
            manifest: OnceLock::new(),
        }
    }

    /// The index of the asset at `path` and whether the path was the fingerprinted one.
    fn slot(&'static self, path: &str) -> Option<(usize, bool)> {
        let slot = *self.index().paths.get(path)?;
        Some(((slot & !FINGERPRINTED) as usize, slot & FINGERPRINTED != 0))
    }

    fn index(&'static self) -> &'static Index {
        self.index.get_or_init(|| {
            let assets = &self.assets;
            let mut paths = HashMap::with_capacity_and_hasher(assets.len() * 2, FxBuildHasher);
            // Fingerprinted paths first, so that a file named exactly like another file's
            // fingerprinted form is found under its own (plain) name.
            for (i, asset) in (0u32..).zip(assets.iter()) {
                paths.insert(asset.fingerprinted_path(), i | FINGERPRINTED);
            }
            for (i, asset) in (0u32..).zip(assets.iter()) {
                paths.insert(asset.path(), i);
            }
            let prefix = &self.mounted_prefix;
            let shadows_prefix =
                !prefix.is_empty() && paths.keys().any(|path| path.starts_with(prefix.as_str()));
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
                shadows_prefix,
                folders,
                folder_lengths,
            }
        })
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
