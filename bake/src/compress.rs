//! Precompression, and the content-addressed cache that makes it a one-time cost.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A compression format Kiln can precompress with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Codec {
    /// Brotli, quality 11, 4 MiB window (`Content-Encoding: br`).
    Brotli,
    /// Gzip via flate2 at level 9, with a zero timestamp (`Content-Encoding: gzip`).
    Gzip,
    /// Zstandard, level 19 (`Content-Encoding: zstd`). Needs the `zstd` feature.
    Zstd,
}

/// Brotli quality and window (log2 bytes). 22 is brotli's default window: every decoder handles it.
const BROTLI_QUALITY: u32 = 11;
const BROTLI_LGWIN: u32 = 22;
const GZIP_LEVEL: u32 = 9;
/// Level 19 keeps the window at 8 MiB, the most browsers accept for `Content-Encoding: zstd`.
#[cfg(feature = "zstd")]
const ZSTD_LEVEL: i32 = 19;

/// How hard to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Effort {
    /// The smallest output: brotli 11, gzip 9, zstd 19. What builds use, once per content (the
    /// cache keeps the result).
    Max,
    /// Fast enough to run when a file is requested: brotli 5, gzip 6, zstd 3 (a few
    /// milliseconds for a 232 kB stylesheet, against about a second). What reload mode uses.
    Fast,
}

impl Effort {
    fn brotli_quality(self) -> u32 {
        match self {
            Effort::Max => BROTLI_QUALITY,
            Effort::Fast => 5,
        }
    }

    fn gzip_level(self) -> u32 {
        match self {
            Effort::Max => GZIP_LEVEL,
            Effort::Fast => 6,
        }
    }

    #[cfg(feature = "zstd")]
    fn zstd_level(self) -> i32 {
        match self {
            Effort::Max => ZSTD_LEVEL,
            Effort::Fast => 3,
        }
    }
}

impl Codec {
    /// Every codec this build of kiln-bake can run.
    pub const fn available() -> &'static [Codec] {
        if cfg!(feature = "zstd") {
            &[Codec::Brotli, Codec::Gzip, Codec::Zstd]
        } else {
            &[Codec::Brotli, Codec::Gzip]
        }
    }

    /// Whether this build of kiln-bake can compress with this codec.
    pub fn is_available(self) -> bool {
        Self::available().contains(&self)
    }

    /// The `Content-Encoding` token: `br`, `gzip` or `zstd`.
    pub const fn token(self) -> &'static str {
        match self {
            Codec::Brotli => "br",
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
        }
    }

    /// The file-name extension of a sibling file: `br`, `gz` or `zst`.
    pub const fn extension(self) -> &'static str {
        match self {
            Codec::Brotli => "br",
            Codec::Gzip => "gz",
            Codec::Zstd => "zst",
        }
    }

    /// A name for the codec and all its settings; part of the cache key, so changing a setting
    /// never serves a stale entry.
    fn cache_tag(self) -> String {
        match self {
            Codec::Brotli => format!("br-q{BROTLI_QUALITY}-w{BROTLI_LGWIN}"),
            Codec::Gzip => format!("gz-{GZIP_LEVEL}"),
            #[cfg(feature = "zstd")]
            Codec::Zstd => format!("zst-{ZSTD_LEVEL}"),
            #[cfg(not(feature = "zstd"))]
            Codec::Zstd => "zst-unavailable".into(),
        }
    }

    /// The names a codec is given in `compress(...)` and in `kiln --compress`: the same
    /// spellings in both (`none` aside, which names no codec).
    pub const NAMES: [(&'static str, Codec); 4] = [
        ("br", Codec::Brotli),
        ("brotli", Codec::Brotli),
        ("gzip", Codec::Gzip),
        ("zstd", Codec::Zstd),
    ];

    /// The codec named `name` in an attribute or on the command line (see [`NAMES`](Self::NAMES)).
    pub fn from_name(name: &str) -> Option<Codec> {
        Self::NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|&(_, codec)| codec)
    }

    /// The codec whose `Content-Encoding` token is `token` (`br`, `gzip`, `zstd`).
    pub fn from_token(token: &str) -> Option<Codec> {
        [Codec::Brotli, Codec::Gzip, Codec::Zstd]
            .into_iter()
            .find(|c| c.token() == token)
    }

    /// Compresses `bytes` with the build settings ([`Effort::Max`]).
    pub fn compress(self, bytes: &[u8]) -> io::Result<Vec<u8>> {
        self.compress_with(bytes, Effort::Max)
    }

    /// Compresses `bytes` at `effort`.
    pub fn compress_with(self, bytes: &[u8], effort: Effort) -> io::Result<Vec<u8>> {
        match self {
            Codec::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: effort.brotli_quality() as i32,
                    lgwin: BROTLI_LGWIN as i32,
                    size_hint: bytes.len(),
                    ..Default::default()
                };
                let mut out = Vec::with_capacity(bytes.len() / 3 + 64);
                brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
                Ok(out)
            }
            Codec::Gzip => {
                // GzBuilder writes a zero mtime and no file name: the output depends on the bytes only.
                let mut enc = flate2::GzBuilder::new().write(
                    Vec::with_capacity(bytes.len() / 3 + 64),
                    flate2::Compression::new(effort.gzip_level()),
                );
                enc.write_all(bytes)?;
                enc.finish()
            }
            #[cfg(feature = "zstd")]
            Codec::Zstd => zstd::bulk::compress(bytes, effort.zstd_level()),
            #[cfg(not(feature = "zstd"))]
            Codec::Zstd => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "kiln-bake was built without its `zstd` feature",
            )),
        }
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.token())
    }
}

/// Whether a compressed form of `raw_len` bytes that is `compressed_len` long is worth keeping:
/// it must save at least 5% of the bytes.
pub fn worth_keeping(raw_len: u64, compressed_len: u64) -> bool {
    // compressed <= 95% of raw, in integers.
    compressed_len.saturating_mul(100) <= raw_len.saturating_mul(95)
}

/// A folder of compressed files named by content hash and codec settings.
///
/// Entries are written to a temporary file and renamed into place, so a reader never sees a
/// partial entry, and concurrent builds writing the same entry are harmless (same bytes).
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache in `dir`, created on first write.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Cache { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry for content `hash` compressed with `codec` lives.
    pub fn entry(&self, hash: &str, codec: Codec) -> PathBuf {
        // Two-character fan-out keeps folders small on large bundles.
        let (fan, _) = hash.split_at(2.min(hash.len()));
        self.dir
            .join(fan)
            .join(format!("{hash}.{}", codec.cache_tag()))
    }

    /// Where the rewritten bytes of content `hash` live (see [`crate::Rewrite`]).
    pub fn identity_entry(&self, hash: &str) -> PathBuf {
        let (fan, _) = hash.split_at(2.min(hash.len()));
        self.dir.join(fan).join(format!("{hash}.raw"))
    }

    /// Where the references found in content `hash` are recorded.
    pub(crate) fn refs_entry(&self, hash: &str) -> PathBuf {
        self.dir.join("refs").join(format!("{hash}.json"))
    }

    /// Where the outcome of rewrite `key` (bytes hash and insertions) is recorded.
    pub(crate) fn rewrite_entry(&self, key: &str) -> PathBuf {
        self.dir.join("rewrites").join(key)
    }

    /// The length of a cached entry, if there is one.
    pub fn lookup(&self, hash: &str, codec: Codec) -> Option<u64> {
        fs::metadata(self.entry(hash, codec)).ok().map(|m| m.len())
    }

    /// Stores `bytes` as the entry for `hash` and `codec`, atomically.
    pub fn store(&self, hash: &str, codec: Codec, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.entry(hash, codec);
        self.write_atomically(&path, bytes)?;
        Ok(path)
    }

    /// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so
    /// that a reader never sees a partial file.
    pub(crate) fn write_atomically(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        static UNIQUE: AtomicU64 = AtomicU64::new(0);
        let dir = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(
            ".tmp-{}-{}-{}",
            std::process::id(),
            UNIQUE.fetch_add(1, Ordering::Relaxed),
            path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        ));
        let result = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample() -> Vec<u8> {
        b"body { color: red; }\n".repeat(200)
    }

    #[test]
    fn brotli_and_gzip_round_trip() {
        let raw = sample();
        let br = Codec::Brotli.compress(&raw).unwrap();
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
        assert_eq!(out, raw);

        let gz = Codec::Gzip.compress(&raw).unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, raw);
        assert!(br.len() < raw.len() / 10 && gz.len() < raw.len() / 10);
    }

    #[test]
    fn gzip_output_is_deterministic() {
        let raw = sample();
        assert_eq!(
            Codec::Gzip.compress(&raw).unwrap(),
            Codec::Gzip.compress(&raw).unwrap()
        );
    }

    #[test]
    fn five_percent_rule() {
        assert!(worth_keeping(100, 95));
        assert!(!worth_keeping(100, 96));
        assert!(!worth_keeping(0, 20));
        assert!(worth_keeping(1000, 10));
    }

    #[test]
    fn cache_store_then_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("c"));
        assert_eq!(cache.lookup("abcdef", Codec::Gzip), None);
        let path = cache.store("abcdef", Codec::Gzip, b"12345").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"12345");
        assert_eq!(cache.lookup("abcdef", Codec::Gzip), Some(5));
        assert_eq!(cache.lookup("abcdef", Codec::Brotli), None);
        // No temporary files left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
