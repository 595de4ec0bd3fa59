//! The build-time half of [Kiln](https://docs.rs/kiln): everything that turns a folder of assets
//! into the data the `kiln` crate serves.
//!
//! `kiln-macros` calls [`bake`] while expanding `#[derive(kiln::Embed)]`, and `kiln`'s reload mode
//! calls the same functions at run time, so the two modes cannot drift apart. This crate has
//! no proc-macro dependencies and no opinion on HTTP.
//!
//! ```
//! # let dir = tempfile::tempdir()?;
//! # std::fs::create_dir_all(dir.path().join("css"))?;
//! # std::fs::write(dir.path().join("css/app.css"), "body { color: red }\n".repeat(50))?;
//! let config = kiln_bake::Config::new(dir.path());
//! let baked = kiln_bake::bake(&config)?;
//! let file = &baked.files[0];
//! assert_eq!(file.path, "css/app.css");
//! assert_eq!(file.fingerprinted, format!("css/app.{}.css", &file.hash[..12]));
//! assert_eq!(file.content_type, "text/css; charset=utf-8");
//! assert!(file.integrity.starts_with("sha384-"));
//! // Every codec (brotli, gzip, and zstd with its feature) saves more than 5%: all are kept.
//! assert_eq!(file.variants.len(), kiln_bake::Encoding::available().len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod compress;
pub mod deltas;
mod error;
mod graph;
mod media;
mod names;
mod pack;
mod refs;
mod stamp;
mod walk;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use crate::compress::{Cache, will_not_compress, worth_keeping, write_atomically};
pub use crate::error::{Error, Origin};
pub use crate::graph::Dangling;
pub use crate::media::{content_type, is_dictionary_type, is_precompressed_type};
pub use crate::names::{
    FINGERPRINT_LEN, closest, content_hash, fingerprint, integrity, normalise_prefix,
    unfingerprint, url_encode,
};
pub use crate::pack::{Pack, PackOptions, record_texts, write_pack};
pub use crate::refs::{
    Reference, ReferenceKind, Resolution, can_refer, insert_fingerprints, references, resolve,
};
pub use crate::walk::{Filter, SourceFile, Unmatched, scan, scan_reporting};
pub use kiln_codec::{Effort, Encoding};

/// What to bake and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder; must exist.
    pub folder: PathBuf,
    /// Include patterns (see [`Filter`]); empty means every file.
    pub include: Vec<String>,
    /// Exclude patterns (see [`Filter`]).
    pub exclude: Vec<String>,
    /// The codecs to precompress with, in order of preference for ties.
    pub codecs: Vec<Encoding>,
    /// Where compressed variants are cached. With `None`, variants are kept in memory
    /// ([`Stored::Memory`]); with a cache they are files in it ([`Stored::File`]).
    pub cache: Option<Cache>,
    /// How many threads compress at once; `None` means one per core.
    pub jobs: Option<usize>,
    /// Whether references in CSS and JavaScript to other files of the bundle are rewritten to
    /// their fingerprinted names (see [`references`]).
    pub rewrite: bool,
    /// The URL prefix the bundle is served under (`/static`), for root-relative references.
    pub prefix: String,
    /// How many earlier versions of each changed file to bake deltas against (RFC 9842 `dcb`,
    /// and `dcz` with the `zstd` feature); 0, the default here, bakes none. Earlier versions come
    /// from the cache's history (see [`deltas`]) and from [`previous`](Self::previous).
    pub deltas: usize,
    /// A folder written by an earlier export (its `staticfiles.json` and fingerprinted files):
    /// the release being replaced, whose files are earlier versions to bake deltas against.
    pub previous: Option<PathBuf>,
}

impl Config {
    /// Every file of `folder`, all available codecs, no cache.
    pub fn new(folder: impl Into<PathBuf>) -> Self {
        Config {
            folder: folder.into(),
            include: Vec::new(),
            exclude: Vec::new(),
            codecs: Encoding::available().to_vec(),
            cache: None,
            jobs: None,
            rewrite: true,
            prefix: String::new(),
            deltas: 0,
            previous: None,
        }
    }
}

/// A baked folder.
#[derive(Debug, Clone)]
pub struct Baked {
    /// The files, sorted by [`BakedFile::path`].
    pub files: Vec<BakedFile>,
    /// What the bake did.
    pub stats: Stats,
    /// The patterns of [`Config`] that matched nothing.
    pub unmatched: Unmatched,
    /// References that were left as written because they do not resolve in the bundle (or form
    /// a cycle), sorted.
    pub dangling: Vec<Dangling>,
}

/// Counters describing one [`bake`] call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files in the bundle.
    pub files: usize,
    /// Bytes read from the folder.
    pub bytes_read: u64,
    /// Compressions run in this call.
    pub compressed: usize,
    /// Compressions skipped because the cache had the result.
    pub cache_hits: usize,
    /// Files not read at all: their stamp in the cache matched and every variant was cached.
    pub unchanged: usize,
    /// Compressions not run because a trial on samples showed the file would not compress
    /// ([`will_not_compress`]).
    pub refused: usize,
    /// Deltas kept (see [`deltas`]), made in this call or found in the cache.
    pub deltas: usize,
}

/// One file of a bundle, with everything the runtime needs to serve it.
///
/// Its hash, integrity, length and variants are those of the bytes served under its
/// fingerprinted name: the file's bytes, or, when references in it were rewritten, the
/// rewritten bytes (then [`rewrite`](Self::rewrite) says where they are and describes the file
/// as written, which its plain name serves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BakedFile {
    /// Path relative to the folder, `/`-separated.
    pub path: String,
    /// The file on disk.
    pub source: PathBuf,
    /// [`path`](Self::path) with the fingerprint in its file name.
    pub fingerprinted: String,
    /// SHA-256 of the bytes, 64 lowercase hex characters.
    pub hash: String,
    /// SRI string, `sha384-<base64>`.
    pub integrity: String,
    /// The `Content-Type` header value.
    pub content_type: String,
    /// Length in bytes.
    pub len: u64,
    /// The precompressed variants worth keeping (each at least 5% smaller), in codec order.
    pub variants: Vec<Compressed>,
    /// Deltas of the bytes served under the fingerprinted name against earlier versions (each
    /// with its [`dictionary`](Compressed::dictionary)), the most recent version first; see
    /// [`deltas`].
    pub deltas: Vec<Compressed>,
    /// Set when references in the file were rewritten.
    pub rewrite: Option<Box<Rewrite>>,
}

/// A file whose references were rewritten to fingerprinted names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// Where the rewritten bytes are.
    pub bytes: Stored,
    /// The file as written (its source's bytes), which its plain name serves.
    pub as_written: Representation,
    /// Where, in the file as written, `.` and 12 hex digits were inserted, in order: removing
    /// those 13 bytes at each gives the file as written back from the rewritten bytes (which is
    /// how a baked binary stores both forms for the price of one).
    pub insertions: Vec<u64>,
}

/// The hashes, length and variants of one form of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representation {
    /// SHA-256 of the bytes, 64 lowercase hex characters.
    pub hash: String,
    /// SRI string, `sha384-<base64>`.
    pub integrity: String,
    /// Length in bytes.
    pub len: u64,
    /// The precompressed variants worth keeping.
    pub variants: Vec<Compressed>,
}

impl BakedFile {
    /// The file as its plain name serves it: itself, or, when it was rewritten, a description of
    /// the file as written (whose bytes are the source's).
    pub fn as_written(&self) -> std::borrow::Cow<'_, BakedFile> {
        match &self.rewrite {
            None => std::borrow::Cow::Borrowed(self),
            Some(rewrite) => {
                let written = &rewrite.as_written;
                std::borrow::Cow::Owned(BakedFile {
                    hash: written.hash.clone(),
                    integrity: written.integrity.clone(),
                    len: written.len,
                    variants: written.variants.clone(),
                    deltas: Vec::new(),
                    rewrite: None,
                    ..self.clone()
                })
            }
        }
    }

    /// The bytes served under the fingerprinted name: the rewritten bytes, or the source's.
    pub fn read(&self) -> Result<Vec<u8>, Error> {
        match &self.rewrite {
            Some(rewrite) => rewrite.bytes.read(),
            None => std::fs::read(&self.source).map_err(|e| Error::Read {
                path: self.source.clone(),
                source: e,
            }),
        }
    }
}

/// A precompressed form of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compressed {
    /// How it is compressed.
    pub codec: Encoding,
    /// Length in bytes.
    pub len: u64,
    /// Where the bytes are.
    pub stored: Stored,
    /// For a delta ([`Encoding::needs_dictionary`]): the SHA-256 (hex) of the earlier version
    /// it was made against. `None` for a variant.
    pub dictionary: Option<String>,
}

/// Where a variant's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A file in the compression cache.
    File(PathBuf),
    /// In memory (no cache configured).
    Memory(Vec<u8>),
}

impl Stored {
    /// The bytes.
    pub fn read(&self) -> Result<Vec<u8>, Error> {
        match self {
            Stored::File(path) => std::fs::read(path).map_err(|e| Error::Read {
                path: path.clone(),
                source: e,
            }),
            Stored::Memory(bytes) => Ok(bytes.clone()),
        }
    }
}

/// Walks, filters, hashes and precompresses `config.folder`.
///
/// Files are processed in parallel; compressed variants come from the cache when it has them, so a
/// second bake of unchanged content compresses nothing. The result is sorted and deterministic.
pub fn bake(config: &Config) -> Result<Baked, Error> {
    let filter = Filter::new(&config.include, &config.exclude)?;
    let (sources, unmatched) = scan_reporting(&config.folder, &filter)?;
    let mut stats = Stats::default();
    let mut files = Vec::with_capacity(sources.len());
    for (file, file_stats) in in_parallel(&sources, config, |source| bake_file(source, config))? {
        stats.add(file_stats);
        files.push(file);
    }
    stats.files = files.len();
    let dangling = if config.rewrite {
        graph::rewrite_all(&mut files, config, &mut stats)?
    } else {
        Vec::new()
    };
    if config.deltas > 0 {
        deltas::add(&mut files, config, &mut stats)?;
    }
    Ok(Baked {
        files,
        stats,
        unmatched,
        dangling,
    })
}

/// `work` over every item, on [`Config::jobs`] threads; the results in the items' order, or the
/// first error in that order.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    config: &Config,
    work: impl Fn(&T) -> Result<R, Error> + Sync,
) -> Result<Vec<R>, Error> {
    let jobs = config
        .jobs
        .or_else(|| std::thread::available_parallelism().ok().map(Into::into))
        .unwrap_or(1)
        .clamp(1, items.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<R, Error>>>> =
        Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = work(item);
                    let failed = result.is_err();
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                    if failed {
                        // Stop handing out work; the first error in order is reported.
                        next.store(items.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    // A `None` can only follow an error, which is returned first.
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

impl Stats {
    fn add(&mut self, other: Stats) {
        self.bytes_read += other.bytes_read;
        self.compressed += other.compressed;
        self.cache_hits += other.cache_hits;
        self.unchanged += other.unchanged;
        self.refused += other.refused;
        self.deltas += other.deltas;
    }
}

/// Whether `path`'s variants wait for the graph pass: a file that may be rewritten is compressed
/// there, in both its forms at once, on every thread.
fn defers_variants(path: &str, config: &Config) -> bool {
    config.rewrite && can_refer(path)
}

/// Hashes and compresses `bytes`, read (or rewritten) from `source`, at `effort`, keeping
/// everything in memory: what reload mode and an in-memory bake do with a file. Returns the baked
/// file (its variants [`Stored::Memory`]) and the bytes.
pub fn bake_bytes(
    source: &SourceFile,
    bytes: Vec<u8>,
    codecs: &[Encoding],
    effort: Effort,
) -> Result<(BakedFile, Vec<u8>), Error> {
    let hash = content_hash(&bytes);
    let mut variants = Vec::new();
    if !bytes.is_empty() && !is_precompressed_type(&source.path) && !will_not_compress(&bytes) {
        for &codec in codecs {
            let compressed = codec.encode(&bytes, effort).map_err(|e| Error::Compress {
                path: source.path.clone(),
                codec: codec.as_str(),
                source: e,
            })?;
            let len = compressed.len() as u64;
            if worth_keeping(bytes.len() as u64, len) {
                variants.push(Compressed {
                    codec,
                    len,
                    stored: Stored::Memory(compressed),
                    dictionary: None,
                });
            }
        }
    }
    Ok((describe(source, &bytes, hash, variants), bytes))
}

/// What a file of these `bytes` (whose content hash is `hash`) is, with its `variants`.
fn describe(
    source: &SourceFile,
    bytes: &[u8],
    hash: String,
    variants: Vec<Compressed>,
) -> BakedFile {
    BakedFile {
        fingerprinted: fingerprint(&source.path, &hash),
        integrity: integrity(bytes),
        content_type: content_type(&source.path, bytes),
        len: bytes.len() as u64,
        path: source.path.clone(),
        source: source.source.clone(),
        hash,
        variants,
        deltas: Vec::new(),
        rewrite: None,
    }
}

fn bake_file(source: &SourceFile, config: &Config) -> Result<(BakedFile, Stats), Error> {
    let codecs: &[Encoding] = if defers_variants(&source.path, config) {
        &[]
    } else {
        &config.codecs
    };
    let read_error = |e| Error::Read {
        path: source.source.clone(),
        source: e,
    };
    // With a cache, a file whose size, mtime and inode are those of its stamp, and whose variants
    // are all cached, is not read at all.
    let identity = match &config.cache {
        Some(cache) => {
            let meta = std::fs::metadata(&source.source).map_err(read_error)?;
            let identity = stamp::Identity::of(&meta);
            if let Some(id) = &identity
                && let Some(facts) = cache.read_stamp(&source.source, id)
                && let Some(done) = from_stamp(source, codecs, cache, id, facts)
            {
                return Ok(done);
            }
            identity
        }
        None => None,
    };
    let bytes = std::fs::read(&source.source).map_err(read_error)?;
    let hash = content_hash(&bytes);
    let mut stats = Stats {
        bytes_read: bytes.len() as u64,
        ..Stats::default()
    };
    let mut variants = Vec::new();
    if !bytes.is_empty() && !is_precompressed_type(&source.path) {
        let trial = Trial::new();
        for &codec in codecs {
            let made = variant(source, &bytes, &hash, codec, config, &trial, &mut stats)?;
            if let Some(variant) = made {
                variants.push(variant);
            }
        }
    }
    let file = describe(source, &bytes, hash, variants);
    if let (Some(cache), Some(id)) = (&config.cache, &identity)
        // The bytes read must be the ones the identity describes.
        && id.len == file.len
    {
        let facts = stamp::Facts {
            hash: file.hash.clone(),
            integrity: file.integrity.clone(),
            content_type: file.content_type.clone(),
        };
        cache
            .write_stamp(&source.source, id, &facts)
            .map_err(|e| Error::Cache {
                path: cache.dir().to_owned(),
                source: e,
            })?;
    }
    Ok((file, stats))
}

/// The baked file from its stamp, if every variant it needs is in the cache.
fn from_stamp(
    source: &SourceFile,
    codecs: &[Encoding],
    cache: &Cache,
    id: &stamp::Identity,
    facts: stamp::Facts,
) -> Option<(BakedFile, Stats)> {
    let mut stats = Stats {
        unchanged: 1,
        ..Stats::default()
    };
    let mut variants = Vec::new();
    if id.len > 0 && !is_precompressed_type(&source.path) {
        for &codec in codecs {
            let kept = cached_variant(cache, &facts.hash, codec, id.len)?;
            stats.cache_hits += 1;
            variants.extend(kept);
        }
    }
    let file = BakedFile {
        fingerprinted: fingerprint(&source.path, &facts.hash),
        path: source.path.clone(),
        source: source.source.clone(),
        len: id.len,
        hash: facts.hash,
        integrity: facts.integrity,
        content_type: facts.content_type,
        variants,
        deltas: Vec::new(),
        rewrite: None,
    };
    Some((file, stats))
}

/// The cached variant of content `hash` in `codec`: `None` if the cache has no entry,
/// `Some(None)` if it has one that does not save 5% of `raw_len`.
fn cached_variant(
    cache: &Cache,
    hash: &str,
    codec: Encoding,
    raw_len: u64,
) -> Option<Option<Compressed>> {
    let len = cache.lookup(hash, codec)?;
    Some(worth_keeping(raw_len, len).then(|| Compressed {
        codec,
        len,
        stored: Stored::File(cache.entry(hash, codec)),
        dictionary: None,
    }))
}

fn variant(
    source: &SourceFile,
    bytes: &[u8],
    hash: &str,
    codec: Encoding,
    config: &Config,
    trial: &Trial,
    stats: &mut Stats,
) -> Result<Option<Compressed>, Error> {
    let raw_len = bytes.len() as u64;
    if let Some(kept) = cached_variant_of(config.cache.as_ref(), hash, codec, raw_len) {
        stats.cache_hits += 1;
        return Ok(kept);
    }
    new_variant(&source.path, bytes, hash, codec, config, trial, stats)
}

/// Whether one file's bytes will not compress ([`will_not_compress`]), decided on the first
/// codec that needs to know and kept for the others: the trial runs once per file.
pub(crate) struct Trial(std::cell::OnceCell<bool>);

impl Trial {
    pub(crate) fn new() -> Self {
        Trial(std::cell::OnceCell::new())
    }

    fn refuses(&self, bytes: &[u8]) -> bool {
        *self.0.get_or_init(|| will_not_compress(bytes))
    }
}

/// [`cached_variant`] when there is a cache.
fn cached_variant_of(
    cache: Option<&Cache>,
    hash: &str,
    codec: Encoding,
    raw_len: u64,
) -> Option<Option<Compressed>> {
    cached_variant(cache?, hash, codec, raw_len)
}

/// Compresses `bytes` (of the file at `path`, whose content hash is `hash`) with `codec`, and
/// caches the result; `None` if it does not save 5%.
fn new_variant(
    path: &str,
    bytes: &[u8],
    hash: &str,
    codec: Encoding,
    config: &Config,
    trial: &Trial,
    stats: &mut Stats,
) -> Result<Option<Compressed>, Error> {
    let raw_len = bytes.len() as u64;
    if trial.refuses(bytes) {
        stats.refused += 1;
        if let Some(cache) = &config.cache {
            cache.refuse(hash, codec).map_err(|e| Error::Cache {
                path: cache.dir().to_owned(),
                source: e,
            })?;
        }
        return Ok(None);
    }
    let compressed = codec
        .encode(bytes, Effort::Max)
        .map_err(|e| Error::Compress {
            path: path.to_owned(),
            codec: codec.as_str(),
            source: e,
        })?;
    stats.compressed += 1;
    let len = compressed.len() as u64;
    // Entries that are not worth keeping are cached too, so the next build need not find out again.
    let stored = match &config.cache {
        Some(cache) => {
            Stored::File(
                cache
                    .store(hash, codec, &compressed)
                    .map_err(|e| Error::Cache {
                        path: cache.dir().to_owned(),
                        source: e,
                    })?,
            )
        }
        None => Stored::Memory(compressed),
    };
    Ok(worth_keeping(raw_len, len).then_some(Compressed {
        codec,
        len,
        stored,
        dictionary: None,
    }))
}

/// Resolves the `folder` attribute: `$VAR` and `${VAR}` are replaced by environment variables
/// (looked up with `env`), and a relative result is taken relative to `base` (the crate's
/// `CARGO_MANIFEST_DIR`).
///
/// ```
/// use std::path::Path;
/// let env = |name: &str| (name == "OUT_DIR").then(|| "/target/out".to_string());
/// let base = Path::new("/app");
/// assert_eq!(kiln_bake::resolve_folder("static", base, env)?, Path::new("/app/static"));
/// assert_eq!(kiln_bake::resolve_folder("${OUT_DIR}/gen", base, env)?, Path::new("/target/out/gen"));
/// assert!(kiln_bake::resolve_folder("$NOPE/x", base, env).is_err());
/// # Ok::<(), String>(())
/// ```
pub fn resolve_folder(
    raw: &str,
    base: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<PathBuf, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        rest = &rest[dollar + 1..];
        let (name, after) = if let Some(braced) = rest.strip_prefix('{') {
            let end = braced
                .find('}')
                .ok_or_else(|| format!("unclosed `${{` in `{raw}`"))?;
            (&braced[..end], &braced[end + 1..])
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        };
        if name.is_empty() {
            return Err(format!("`$` without a variable name in `{raw}`"));
        }
        let value = env(name)
            .ok_or_else(|| format!("environment variable `{name}` is not set (in `{raw}`)"))?;
        out.push_str(&value);
        rest = after;
    }
    out.push_str(rest);
    let path = PathBuf::from(out);
    Ok(if path.is_absolute() {
        path
    } else {
        base.join(path)
    })
}
