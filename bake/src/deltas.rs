//! Deltas across deploys (RFC 9842, Compression Dictionary Transport): for each file a browser may
//! keep as a dictionary ([`is_dictionary_type`]), the bytes its fingerprinted name serves,
//! compressed against earlier versions of the same path. A returning visitor whose browser holds
//! one of those versions downloads the delta instead of the whole file.
//!
//! Earlier versions come from two places, the release being replaced first:
//!
//! - [`Config::previous`] (`KILN_PREVIOUS` for the derive): a folder an earlier export wrote.
//!   Its `staticfiles.json` maps each path to the fingerprinted name whose bytes that release
//!   served; no cache is needed, so a CI machine that starts empty gets deltas too.
//! - The cache's history: each build records, per URL (prefix and path), the content hashes it
//!   baked, most recent first, and keeps the bytes of each version by hash (the entry
//!   [`Cache::identity_entry`] names, shared with rewritten files). A second build with the same
//!   cache after an edit has deltas with no set-up.
//!
//! Deltas are cached like variants, by (file hash, coding, dictionary hash), and kept only when
//! they are at most half the file's best ordinary variant: a delta that saves less is not worth
//! the bytes in the binary.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use kiln_codec::{Encoding, delta};
use sha2::{Digest, Sha256};

use crate::names::hex;
use crate::{
    BakedFile, Cache, Compressed, Config, Error, Stats, Stored, content_hash, is_dictionary_type,
};

/// Adds to every file of `files` that may serve as a dictionary its deltas against up to
/// [`Config::deltas`] earlier versions, and records this build's versions in the cache's history.
pub(crate) fn add(
    files: &mut [BakedFile],
    config: &Config,
    stats: &mut Stats,
) -> Result<(), Error> {
    let previous = match &config.previous {
        Some(dir) => Previous::open(dir)?,
        None => Previous::default(),
    };
    let eligible: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].len > 0 && is_dictionary_type(&files[i].path))
        .collect();
    // Each file's earlier versions and what the cache has (cheap, per file), then every delta
    // still to make, in parallel: an edited file's deltas against two versions run side by side.
    let plans = crate::in_parallel(&eligible, config, |&i| {
        plan(i, &files[i], config, &previous)
    })?;
    let jobs: Vec<&Job> = plans.iter().flat_map(|p| &p.jobs).collect();
    let made = crate::in_parallel(&jobs, config, |job| make(&files[job.file], job, config))?;
    let mut deltas: Vec<(usize, usize, Compressed)> = Vec::new();
    for (job, delta) in jobs.iter().zip(made) {
        stats.compressed += 1;
        deltas.extend(delta.map(|d| (job.file, job.order, d)));
    }
    for plan in plans {
        stats.cache_hits += plan.cache_hits;
        deltas.extend(plan.kept);
    }
    deltas.sort_by_key(|(file, order, _)| (*file, *order));
    for (file, _, delta) in deltas {
        stats.deltas += 1;
        files[file].deltas.push(delta);
    }
    Ok(())
}

/// The delta codings this build makes: `dcb`, and `dcz` when zstd is one of the bundle's codecs.
fn codings(config: &Config) -> impl Iterator<Item = Encoding> + '_ {
    Encoding::deltas()
        .iter()
        .copied()
        .filter(|&coding| coding != Encoding::Dcz || config.codecs.contains(&Encoding::Zstd))
}

/// Whether a delta of `len` bytes is worth keeping beside a best ordinary representation of
/// `best` bytes: it must be at most half of it.
pub fn worth_keeping(best: u64, len: u64) -> bool {
    len.saturating_mul(2) <= best
}

/// An earlier version of a file: its content hash and where its bytes are.
#[derive(Clone)]
struct Earlier {
    hash: String,
    bytes: PathBuf,
}

/// One delta to make: of file `file` (by index) in `coding` against `version`; `order` places it
/// among the file's deltas (the most recent version first).
struct Job {
    file: usize,
    order: usize,
    coding: Encoding,
    version: Earlier,
    /// The size it must at most be (half the file's best ordinary representation).
    best: u64,
}

/// What one file needs: the deltas the cache has (file index, order, delta), the ones to make.
struct Plan {
    kept: Vec<(usize, usize, Compressed)>,
    jobs: Vec<Job>,
    cache_hits: usize,
}

/// Finds `file`'s earlier versions, takes what the cache has of its deltas, and records this
/// version in the cache's history (its bytes, for the next builds' deltas).
fn plan(
    index: usize,
    file: &BakedFile,
    config: &Config,
    previous: &Previous,
) -> Result<Plan, Error> {
    let cache = config.cache.as_ref();
    let key = history_key(&config.prefix, &file.path);
    let history = cache.map(|c| read_history(c, &key)).unwrap_or_default();

    let mut earlier: Vec<Earlier> = Vec::new();
    if let Some(found) = previous.version_of(file)? {
        earlier.push(found);
    }
    if let Some(cache) = cache {
        for hash in &history {
            let bytes = cache.identity_entry(hash);
            if earlier.iter().all(|e| e.hash != *hash) && bytes.is_file() {
                earlier.push(Earlier {
                    hash: hash.clone(),
                    bytes,
                });
            }
        }
    }
    // History lines are checked when read, the previous release's hashes are computed here.
    earlier.retain(|e| e.hash != file.hash);
    earlier.truncate(config.deltas);

    let best = file
        .variants
        .iter()
        .map(|v| v.len)
        .min()
        .unwrap_or(file.len);
    let mut plan = Plan {
        kept: Vec::new(),
        jobs: Vec::new(),
        cache_hits: 0,
    };
    let mut order = 0;
    for version in earlier {
        for coding in codings(config) {
            order += 1;
            if let Some(cache) = cache
                && let Some(len) = cache.lookup_delta(&file.hash, coding, &version.hash)
            {
                plan.cache_hits += 1;
                if worth_keeping(best, len) {
                    let delta = Compressed {
                        codec: coding,
                        len,
                        stored: Stored::File(cache.delta_entry(&file.hash, coding, &version.hash)),
                        dictionary: Some(version.hash.clone()),
                    };
                    plan.kept.push((index, order, delta));
                }
                continue;
            }
            plan.jobs.push(Job {
                file: index,
                order,
                coding,
                version: version.clone(),
                best,
            });
        }
    }

    if let Some(cache) = cache {
        let cache_error = |source| Error::Cache {
            path: cache.dir().to_owned(),
            source,
        };
        // This version's bytes, for the next builds' deltas (a rewritten file's are there).
        let entry = cache.identity_entry(&file.hash);
        if !entry.is_file() {
            cache
                .write_atomically(&entry, &file.read()?)
                .map_err(cache_error)?;
        }
        let mut updated = vec![file.hash.clone()];
        updated.extend(history.iter().filter(|h| **h != file.hash).cloned());
        updated.truncate(config.deltas + 1);
        if updated != history {
            let path = cache.dir().join("history").join(&key);
            cache
                .write_atomically(&path, updated.join("\n").as_bytes())
                .map_err(cache_error)?;
        }
    }
    Ok(plan)
}

/// Makes (and caches) one delta; `None` if it is not worth keeping, or its dictionary's bytes no
/// longer hash to its name (a cache entry or an exported file changed: the delta would decode to
/// garbage, so none is made).
fn make(file: &BakedFile, job: &Job, config: &Config) -> Result<Option<Compressed>, Error> {
    let dictionary = fs::read(&job.version.bytes).map_err(|e| Error::Read {
        path: job.version.bytes.clone(),
        source: e,
    })?;
    let Some(hash) =
        parse_hash(&job.version.hash).filter(|_| content_hash(&dictionary) == job.version.hash)
    else {
        return Ok(None);
    };
    let made =
        encode(job.coding, &file.read()?, &dictionary, &hash).map_err(|e| Error::Compress {
            path: file.path.clone(),
            codec: job.coding.as_str(),
            source: e,
        })?;
    let len = made.len() as u64;
    // Stored whether or not it is kept, so the next build need not find out again.
    let stored = match &config.cache {
        Some(cache) => Stored::File(
            cache
                .store_delta(&file.hash, job.coding, &job.version.hash, &made)
                .map_err(|source| Error::Cache {
                    path: cache.dir().to_owned(),
                    source,
                })?,
        ),
        None => Stored::Memory(made),
    };
    Ok(worth_keeping(job.best, len).then(|| Compressed {
        codec: job.coding,
        len,
        stored,
        dictionary: Some(job.version.hash.clone()),
    }))
}

/// `bytes` as a delta in `coding` against `dictionary`.
fn encode(
    coding: Encoding,
    bytes: &[u8],
    dictionary: &[u8],
    hash: &delta::DictionaryHash,
) -> std::io::Result<Vec<u8>> {
    match coding {
        Encoding::Dcb => delta::encode_dcb(bytes, dictionary, hash),
        #[cfg(feature = "zstd")]
        Encoding::Dcz => delta::encode_dcz(bytes, dictionary, hash),
        other => Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("{other} is not a delta coding of this build"),
        )),
    }
}

/// The name of a URL's history file: what a browser's dictionary is keyed by is the URL, so two
/// bundles with the same prefix and path share one history, and a moved checkout keeps it.
fn history_key(prefix: &str, path: &str) -> String {
    let digest = Sha256::new()
        .chain_update(prefix.trim_end_matches('/').as_bytes())
        .chain_update(b"/")
        .chain_update(path.as_bytes())
        .finalize();
    hex(&digest)[..32].to_owned()
}

/// The content hashes recorded for a URL, most recent first; empty when there is no history.
fn read_history(cache: &Cache, key: &str) -> Vec<String> {
    fs::read_to_string(cache.dir().join("history").join(key))
        .map(|text| {
            text.lines()
                .filter(|line| parse_hash(line).is_some())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A content hash (64 lowercase hex characters) as bytes.
fn parse_hash(hash: &str) -> Option<delta::DictionaryHash> {
    let digits = hash.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let nibble = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

impl Cache {
    /// Where the delta of content `hash` in `coding` against the dictionary `dictionary` (a
    /// content hash) lives.
    pub fn delta_entry(&self, hash: &str, coding: Encoding, dictionary: &str) -> PathBuf {
        let dictionary = &dictionary[..dictionary.len().min(32)];
        self.by_content(hash, format_args!("{dictionary}.{}", coding.cache_tag()))
    }

    /// The length of a cached delta, if there is one.
    pub fn lookup_delta(&self, hash: &str, coding: Encoding, dictionary: &str) -> Option<u64> {
        fs::metadata(self.delta_entry(hash, coding, dictionary))
            .ok()
            .map(|meta| meta.len())
    }

    /// Stores a delta, atomically.
    pub fn store_delta(
        &self,
        hash: &str,
        coding: Encoding,
        dictionary: &str,
        bytes: &[u8],
    ) -> std::io::Result<PathBuf> {
        let path = self.delta_entry(hash, coding, dictionary);
        self.write_atomically(&path, bytes)?;
        Ok(path)
    }
}

/// The release being replaced: an export's `staticfiles.json`, read once.
#[derive(Debug, Default)]
struct Previous {
    dir: PathBuf,
    /// Path to fingerprinted name.
    paths: HashMap<String, String>,
}

impl Previous {
    fn open(dir: &Path) -> Result<Self, Error> {
        let manifest = dir.join("staticfiles.json");
        let problem = |message: String| Error::Previous {
            path: dir.to_owned(),
            message,
        };
        let text = fs::read_to_string(&manifest).map_err(|e| {
            problem(format!(
                "cannot read `{}` ({e}); it must be a folder written by `kiln export` or a \
                 bundle's `export`",
                manifest.display()
            ))
        })?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| problem(format!("`{}` is not valid JSON: {e}", manifest.display())))?;
        let Some(paths) = json.get("paths").and_then(|p| p.as_object()) else {
            return Err(problem(format!(
                "`{}` has no `paths` object",
                manifest.display()
            )));
        };
        let paths = paths
            .iter()
            .filter_map(|(path, name)| Some((path.clone(), name.as_str()?.to_owned())))
            .collect();
        Ok(Previous {
            dir: dir.to_owned(),
            paths,
        })
    }

    /// The earlier version of `file`, if the previous release had another one and its file is
    /// there. A name that is the file's own fingerprinted name is this very version: it is not
    /// read (most files of a release are unchanged).
    fn version_of(&self, file: &BakedFile) -> Result<Option<Earlier>, Error> {
        let Some(name) = self.paths.get(&file.path) else {
            return Ok(None);
        };
        if *name == file.fingerprinted {
            return Ok(None);
        }
        // Names from the manifest stay inside the folder.
        if name.split('/').any(|part| part.is_empty() || part == "..") || name.contains('\\') {
            return Ok(None);
        }
        let path = self.dir.join(name);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::Read { path, source: e }),
        };
        Ok(Some(Earlier {
            hash: content_hash(&bytes),
            bytes: path,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_parse_and_keys_differ_by_url() {
        let hash = content_hash(b"x");
        let bytes = parse_hash(&hash).unwrap();
        assert_eq!(hex(&bytes), hash);
        assert_eq!(parse_hash("abc"), None);
        assert_eq!(parse_hash(&hash.to_uppercase()), None);
        assert_ne!(
            history_key("/static", "a.js"),
            history_key("/assets", "a.js")
        );
        assert_eq!(
            history_key("/static/", "a.js"),
            history_key("/static", "a.js")
        );
    }

    /// A script of `lines` varied lines, with line 100 saying `version`.
    fn script(version: u32) -> String {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..400)
            .map(|i| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                if i == 100 {
                    format!("export const version = {version};\n")
                } else {
                    format!(
                        "export function f{i}(a) {{ return a * {}; }}\n",
                        state >> 40
                    )
                }
            })
            .collect()
    }

    fn bake_with(folder: &Path, cache: &Path, previous: Option<&Path>) -> crate::Baked {
        let config = Config {
            cache: Some(Cache::new(cache)),
            deltas: 2,
            previous: previous.map(Path::to_owned),
            prefix: "/static".into(),
            ..Config::new(folder)
        };
        crate::bake(&config).unwrap()
    }

    fn decoded(file: &BakedFile, dictionary: &[u8]) -> Vec<u8> {
        let delta = file
            .deltas
            .iter()
            .find(|d| d.codec == Encoding::Dcb)
            .expect("a dcb delta");
        assert_eq!(
            delta.dictionary.as_deref(),
            Some(&*content_hash(dictionary))
        );
        delta::decode_dcb(&delta.stored.read().unwrap(), dictionary).unwrap()
    }

    #[test]
    fn the_cache_remembers_earlier_versions() {
        let dir = tempfile::tempdir().unwrap();
        let (folder, cache) = (dir.path().join("static"), dir.path().join("cache"));
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("app.js"), script(1)).unwrap();
        fs::write(folder.join("logo.png"), b"\x89PNG not a dictionary type").unwrap();
        let first = bake_with(&folder, &cache, None);
        assert!(first.files.iter().all(|f| f.deltas.is_empty()));

        // An edit: a delta against version 1, which decodes to version 2.
        fs::write(folder.join("app.js"), script(2)).unwrap();
        let second = bake_with(&folder, &cache, None);
        let js = &second.files[0];
        assert_eq!(js.path, "app.js");
        assert_eq!(decoded(js, script(1).as_bytes()), script(2).as_bytes());
        assert!(js.deltas.iter().all(|d| d.len * 2 <= js.variants[0].len));
        assert_eq!(second.stats.deltas, js.deltas.len());

        // Built again unchanged: the same deltas, from the cache.
        let again = bake_with(&folder, &cache, None);
        assert_eq!(again.files[0].deltas, js.deltas);
        assert_eq!(again.stats.compressed, 0);

        // Two more edits: deltas against the last two versions only, the most recent first.
        fs::write(folder.join("app.js"), script(3)).unwrap();
        bake_with(&folder, &cache, None);
        fs::write(folder.join("app.js"), script(4)).unwrap();
        let fourth = bake_with(&folder, &cache, None);
        let dictionaries: Vec<_> = fourth.files[0]
            .deltas
            .iter()
            .filter(|d| d.codec == Encoding::Dcb)
            .map(|d| d.dictionary.clone().unwrap())
            .collect();
        assert_eq!(
            dictionaries,
            [
                content_hash(script(3).as_bytes()),
                content_hash(script(2).as_bytes())
            ]
        );
        // Back to an earlier version: deltas against the ones after it.
        fs::write(folder.join("app.js"), script(2)).unwrap();
        let back = bake_with(&folder, &cache, None);
        assert_eq!(
            decoded(&back.files[0], script(4).as_bytes()),
            script(2).as_bytes()
        );
    }

    #[test]
    fn a_previous_release_needs_no_cache() {
        let dir = tempfile::tempdir().unwrap();
        let (folder, previous) = (dir.path().join("static"), dir.path().join("release"));
        fs::create_dir_all(&folder).unwrap();
        fs::create_dir_all(previous.join("js")).unwrap();
        fs::create_dir_all(folder.join("js")).unwrap();
        fs::write(previous.join("js/app.0123456789ab.js"), script(1)).unwrap();
        fs::write(
            previous.join("staticfiles.json"),
            r#"{"paths": {"js/app.js": "js/app.0123456789ab.js", "gone.css": "gone.1.css", "evil.js": "../../etc/passwd"}, "version": "1.0"}"#,
        )
        .unwrap();
        fs::write(folder.join("js/app.js"), script(2)).unwrap();
        fs::write(folder.join("evil.js"), script(3)).unwrap();
        let config = Config {
            deltas: 2,
            previous: Some(previous.clone()),
            ..Config::new(&folder)
        };
        let baked = crate::bake(&config).unwrap();
        let js = baked.files.iter().find(|f| f.path == "js/app.js").unwrap();
        assert_eq!(decoded(js, script(1).as_bytes()), script(2).as_bytes());
        // A name that leaves the folder is not followed.
        let evil = baked.files.iter().find(|f| f.path == "evil.js").unwrap();
        assert!(evil.deltas.is_empty());

        // A folder that is no export is a clear error.
        fs::remove_file(previous.join("staticfiles.json")).unwrap();
        let error = crate::bake(&config).unwrap_err().to_string();
        assert!(error.starts_with("KILN_PREVIOUS `"), "{error}");
        assert!(error.contains("staticfiles.json"), "{error}");
        fs::write(previous.join("staticfiles.json"), "{\"paths\": 3}").unwrap();
        let error = crate::bake(&config).unwrap_err().to_string();
        assert!(error.contains("no `paths` object"), "{error}");
        // Deltas off: the folder is not even read.
        let off = Config {
            deltas: 0,
            ..config
        };
        assert!(
            crate::bake(&off)
                .unwrap()
                .files
                .iter()
                .all(|f| f.deltas.is_empty())
        );
    }

    #[test]
    fn half_rule() {
        assert!(worth_keeping(100, 50));
        assert!(!worth_keeping(100, 51));
        assert!(!worth_keeping(0, 1));
    }
}
