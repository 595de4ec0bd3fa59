//! Precompression: which variants are worth keeping, and the content-addressed cache that makes
//! compressing a one-time cost. The codecs themselves (names, settings, encoders) are
//! `kiln-codec`'s table.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use kiln_codec::Encoding;

/// Whether a compressed form of `raw_len` bytes that is `compressed_len` long is worth keeping:
/// it must save at least 5% of the bytes.
pub fn worth_keeping(raw_len: u64, compressed_len: u64) -> bool {
    // compressed <= 95% of raw, in integers.
    compressed_len.saturating_mul(100) <= raw_len.saturating_mul(95)
}

/// Files at least this large get a trial before they are compressed in earnest
/// ([`will_not_compress`]).
const TRIAL_MIN: usize = 1 << 20;
/// The length of each of the trial's samples.
const TRIAL_SAMPLE: usize = 64 << 10;

/// Whether `bytes` will not compress enough to be worth a variant, decided cheaply: for a file
/// of at least 1 MiB, four 64 KiB samples spread over it (start, end and between) are compressed
/// with brotli at its reload-mode setting; if they save less than 2% together, the file is
/// taken for incompressible (random, encrypted or already-compressed data under an extension
/// Kiln does not know), and no codec spends its build-time setting on it: a 50 MB random file
/// would otherwise cost minutes of brotli 11 for a variant that is then thrown away. A file
/// that compresses at all saves far more than 2% on such samples at that setting, so the 5%
/// rule decides every other file as before.
pub fn will_not_compress(bytes: &[u8]) -> bool {
    if bytes.len() < TRIAL_MIN {
        return false;
    }
    let last = bytes.len() - TRIAL_SAMPLE;
    let mut raw = 0u64;
    let mut packed = 0u64;
    for i in 0..4 {
        let start = last / 3 * i;
        let sample = &bytes[start..start + TRIAL_SAMPLE];
        let Ok(encoded) = Encoding::Brotli.encode(sample, kiln_codec::Effort::Fast) else {
            return false;
        };
        raw += sample.len() as u64;
        packed += encoded.len() as u64;
    }
    // Saves less than 2%.
    packed.saturating_mul(100) > raw.saturating_mul(98)
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

    /// Where the entry of content `hash` named `{hash}.{what}` lives: the one layout of entries
    /// by content, with a two-character fan-out that keeps folders small on large bundles.
    pub(crate) fn by_content(&self, hash: &str, what: std::fmt::Arguments<'_>) -> PathBuf {
        let (fan, _) = hash.split_at(2.min(hash.len()));
        self.dir.join(fan).join(format!("{hash}.{what}"))
    }

    /// Where the entry for content `hash` compressed with `codec` lives.
    pub fn entry(&self, hash: &str, codec: Encoding) -> PathBuf {
        self.by_content(hash, format_args!("{}", codec.cache_tag()))
    }

    /// Where the bytes of content `hash` live, when the folder's file is not enough: the
    /// rewritten bytes of a file (see [`crate::Rewrite`]), and each version a delta may be made
    /// against (see [`crate::deltas`]).
    pub fn identity_entry(&self, hash: &str) -> PathBuf {
        self.by_content(hash, format_args!("raw"))
    }

    /// Where the references found in content `hash` are recorded.
    pub(crate) fn refs_entry(&self, hash: &str) -> PathBuf {
        self.dir.join("refs").join(format!("{hash}.json"))
    }

    /// Where the outcome of rewrite `key` (bytes hash and insertions) is recorded.
    pub(crate) fn rewrite_entry(&self, key: &str) -> PathBuf {
        self.dir.join("rewrites").join(key)
    }

    /// The length of a cached entry, if there is one; `u64::MAX` for content that was found not
    /// to compress ([`refuse`](Self::refuse)).
    pub fn lookup(&self, hash: &str, codec: Encoding) -> Option<u64> {
        let entry = self.entry(hash, codec);
        match fs::metadata(&entry) {
            Ok(meta) => Some(meta.len()),
            Err(_) => fs::metadata(refused(&entry)).ok().map(|_| u64::MAX),
        }
    }

    /// Records that content `hash` is not worth compressing with `codec` (see
    /// [`will_not_compress`]), so the next build need not find out again: an empty marker beside
    /// where the entry would be.
    pub fn refuse(&self, hash: &str, codec: Encoding) -> io::Result<()> {
        self.write_atomically(&refused(&self.entry(hash, codec)), b"")
    }

    /// Stores `bytes` as the entry for `hash` and `codec`, atomically.
    pub fn store(&self, hash: &str, codec: Encoding, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.entry(hash, codec);
        self.write_atomically(&path, bytes)?;
        Ok(path)
    }

    /// [`write_atomically`] into the cache.
    pub(crate) fn write_atomically(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        write_atomically(path, bytes)
    }
}

/// Writes `bytes` to `path` (creating its folder) through a temporary file in the same folder
/// and a rename, so that a reader never sees a partial file and concurrent writers of the same
/// bytes are harmless: the one atomic write of the build side (the cache, the derive's registry).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static UNIQUE: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
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

/// The marker of an entry that was not compressed.
fn refused(entry: &Path) -> PathBuf {
    let mut name = entry.as_os_str().to_owned();
    name.push(".refused");
    PathBuf::from(name)
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
        use kiln_codec::Effort::Max;
        let raw = sample();
        let br = Encoding::Brotli.encode(&raw, Max).unwrap();
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
        assert_eq!(out, raw);

        let gz = Encoding::Gzip.encode(&raw, Max).unwrap();
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
        let gzip = || {
            Encoding::Gzip
                .encode(&raw, kiln_codec::Effort::Max)
                .unwrap()
        };
        assert_eq!(gzip(), gzip());
    }

    #[test]
    fn five_percent_rule() {
        assert!(worth_keeping(100, 95));
        assert!(!worth_keeping(100, 96));
        assert!(!worth_keeping(0, 20));
        assert!(worth_keeping(1000, 10));
    }

    #[test]
    fn only_large_incompressible_data_is_refused() {
        // A xorshift stream: random to any compressor.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let random: Vec<u8> = (0..(3 << 20))
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        assert!(will_not_compress(&random));
        // Too small for a trial: decided by compressing it.
        assert!(!will_not_compress(&random[..TRIAL_MIN - 1]));
        // Text, and random data with compressible text in the middle of it.
        assert!(!will_not_compress(&sample().repeat(300)));
        let mut mixed = random.clone();
        let text = sample().repeat(150);
        mixed[1 << 20..(1 << 20) + text.len()].copy_from_slice(&text);
        assert!(!will_not_compress(&mixed));
    }

    #[test]
    fn refused_content_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        assert_eq!(cache.lookup("abcdef", Encoding::Brotli), None);
        cache.refuse("abcdef", Encoding::Brotli).unwrap();
        assert_eq!(cache.lookup("abcdef", Encoding::Brotli), Some(u64::MAX));
        assert!(!worth_keeping(10, u64::MAX));
        assert_eq!(cache.lookup("abcdef", Encoding::Gzip), None);
    }

    #[test]
    fn cache_store_then_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("c"));
        assert_eq!(cache.lookup("abcdef", Encoding::Gzip), None);
        let path = cache.store("abcdef", Encoding::Gzip, b"12345").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"12345");
        assert_eq!(cache.lookup("abcdef", Encoding::Gzip), Some(5));
        assert_eq!(cache.lookup("abcdef", Encoding::Brotli), None);
        // No temporary files left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
