//! The asset graph: rewriting every reference that resolves inside the bundle to its target's
//! fingerprinted name, in dependency order, so that a changed image changes the fingerprint of
//! every stylesheet that uses it, transitively.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::names::hex;
use crate::refs::{Reference, ReferenceKind, Resolution, can_refer, insert_fingerprints, resolve};
use crate::{
    BakedFile, Cache, Config, Error, Representation, Rewrite, Stats, Stored, content_hash,
    fingerprint, integrity,
};

/// A reference Kiln could not rewrite: it names no file of the bundle, or it is part of a cycle of
/// `@import`s (whose files cannot each carry the other's fingerprint).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dangling {
    /// The referring file, relative to the folder.
    pub file: String,
    /// The line of the file the reference is on, from 1 (`None` for a cycle, which is no one
    /// place).
    pub line: Option<usize>,
    /// The URL as written.
    pub url: String,
    /// Why it was left as written.
    pub why: String,
    /// A path of the bundle close to the one the reference names, when it names a missing file:
    /// the "did you mean".
    pub suggestion: Option<String>,
}

impl std::fmt::Display for Dangling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`", self.file)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        write!(f, " refers to `{}`, but {}", self.url, self.why)?;
        if let Some(close) = &self.suggestion {
            write!(f, "; did you mean `{close}`?")?;
        }
        Ok(())
    }
}

/// The line of byte `at` in the file at `source`, from 1: read again only for a dangling
/// reference, which is rare.
fn line_of(source: &std::path::Path, at: usize) -> Option<usize> {
    let bytes = fs::read(source).ok()?;
    Some(1 + bytes.get(..at)?.iter().filter(|&&b| b == b'\n').count())
}

/// One reference of a file, resolved.
struct Edge {
    target: usize,
    insert_at: usize,
}

/// Rewrites the references of `files` (sorted by path) in place; returns what could not be
/// rewritten.
pub(crate) fn rewrite_all(
    files: &mut [BakedFile],
    config: &Config,
    stats: &mut Stats,
) -> Result<Vec<Dangling>, Error> {
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    let mut dangling = Vec::new();
    let mut edges: Vec<Vec<Edge>> = Vec::with_capacity(files.len());
    for file in files.iter() {
        let mut out = Vec::new();
        if can_refer(&file.path) {
            for reference in references_of(file, config.cache.as_ref())? {
                match resolve(&file.path, &reference, &config.prefix, |p| {
                    index.contains_key(p)
                }) {
                    Resolution::Local { target, insert_at } => out.push(Edge {
                        target: index[target.as_str()],
                        insert_at,
                    }),
                    Resolution::External => {}
                    Resolution::Missing(target) => dangling.push(Dangling {
                        file: file.path.clone(),
                        line: line_of(&file.source, reference.span.start),
                        why: format!("the bundle has no file `{target}`"),
                        suggestion: crate::closest(&target, files.iter().map(|f| f.path.as_str()))
                            .map(str::to_owned),
                        url: reference.url,
                    }),
                    Resolution::Unresolved(why) => dangling.push(Dangling {
                        file: file.path.clone(),
                        line: line_of(&file.source, reference.span.start),
                        url: reference.url,
                        why,
                        suggestion: None,
                    }),
                }
            }
        }
        out.sort_by_key(|e| e.insert_at);
        edges.push(out);
    }

    // Depth-first, targets before the files that refer to them. An edge back to a file still on
    // the stack closes a cycle: it is reported and left as written.
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; files.len()];
    let mut order = Vec::with_capacity(files.len());
    for root in 0..files.len() {
        if state[root] != State::New || edges[root].is_empty() {
            continue;
        }
        // (file, next edge to follow)
        let mut stack = vec![(root, 0)];
        state[root] = State::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(edge) = edges[node].get(*next) {
                *next += 1;
                let target = edge.target;
                match state[target] {
                    State::New => {
                        state[target] = State::Open;
                        stack.push((target, 0));
                    }
                    State::Open => {
                        let start = stack.iter().position(|&(n, _)| n == target).unwrap_or(0);
                        let cycle: Vec<&str> = stack[start..]
                            .iter()
                            .map(|&(n, _)| files[n].path.as_str())
                            .chain([files[target].path.as_str()])
                            .collect();
                        dangling.push(Dangling {
                            file: files[node].path.clone(),
                            line: None,
                            suggestion: None,
                            url: files[target].path.clone(),
                            why: format!(
                                "the files refer to each other in a cycle ({}), so their \
                                 fingerprints cannot include each other",
                                cycle.join(" -> ")
                            ),
                        });
                        edges[node].retain(|e| e.target != target);
                        // The edge at `next - 1` is gone; look at what moved into its place.
                        if let Some((_, next)) = stack.last_mut() {
                            *next -= 1;
                        }
                    }
                    State::Done => {}
                }
            } else {
                state[node] = State::Done;
                order.push(node);
                stack.pop();
            }
        }
    }

    for node in order {
        if edges[node].is_empty() {
            continue;
        }
        let insertions: Vec<(usize, String)> = edges[node]
            .iter()
            .map(|e| (e.insert_at, files[e.target].hash.clone()))
            .collect();
        rewrite_file(&mut files[node], &insertions, config)?;
    }
    compress(files, config, stats)?;
    dangling.sort_by(|a, b| (&a.file, &a.url).cmp(&(&b.file, &b.url)));
    dangling.dedup();
    Ok(dangling)
}

/// One compression job of the graph pass: a form of a file that may refer to others.
#[derive(Clone, Copy)]
struct Job {
    file: usize,
    /// The rewritten form (else the file as written).
    rewritten: bool,
}

/// Compresses both forms of every file that may refer to others (their variants were deferred
/// to this pass: see `defers_variants`), all at once on every thread, so that an edited
/// stylesheet's two forms are compressed side by side.
fn compress(files: &mut [BakedFile], config: &Config, stats: &mut Stats) -> Result<(), Error> {
    let jobs: Vec<Job> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            crate::defers_variants(&f.path, config) && !crate::is_precompressed_type(&f.path)
        })
        .flat_map(|(i, f)| {
            let rewritten = f.rewrite.is_some().then_some(Job {
                file: i,
                rewritten: true,
            });
            std::iter::once(Job {
                file: i,
                rewritten: false,
            })
            .chain(rewritten)
        })
        .collect();
    let shared: &[BakedFile] = files;
    let done = crate::in_parallel(&jobs, config, |job| {
        let file = &shared[job.file];
        let (hash, len) = match (&file.rewrite, job.rewritten) {
            (Some(rewrite), false) => (&rewrite.as_written.hash, rewrite.as_written.len),
            _ => (&file.hash, file.len),
        };
        let mut stats = Stats::default();
        let mut variants = Vec::new();
        if len == 0 {
            return Ok((variants, stats));
        }
        let mut bytes: Option<Vec<u8>> = None;
        let trial = crate::Trial::new();
        for &codec in &config.codecs {
            if let Some(kept) = crate::cached_variant_of(config.cache.as_ref(), hash, codec, len) {
                stats.cache_hits += 1;
                variants.extend(kept);
                continue;
            }
            if bytes.is_none() {
                bytes = Some(match (&file.rewrite, job.rewritten) {
                    (Some(rewrite), true) => rewrite.bytes.read()?,
                    _ => read_source(file, hash, config.cache.as_ref())?,
                });
            }
            let bytes = bytes.as_deref().unwrap_or_default();
            variants.extend(crate::new_variant(
                &file.path, bytes, hash, codec, config, &trial, &mut stats,
            )?);
        }
        Ok((variants, stats))
    })?;
    for (job, (variants, job_stats)) in jobs.iter().zip(done) {
        stats.add(job_stats);
        let file = &mut files[job.file];
        match (&mut file.rewrite, job.rewritten) {
            (Some(rewrite), false) => rewrite.as_written.variants = variants,
            _ => file.variants = variants,
        }
    }
    Ok(())
}

/// The references of `file`, from the cache (keyed by content hash) or read from the source.
fn references_of(file: &BakedFile, cache: Option<&Cache>) -> Result<Vec<Reference>, Error> {
    let entry = cache.map(|c| c.refs_entry(&file.hash));
    if let Some(path) = &entry
        && let Ok(text) = fs::read_to_string(path)
        && let Some(refs) = parse_refs(&text)
    {
        return Ok(refs);
    }
    let bytes = read_source(file, &file.hash, cache)?;
    let refs = crate::refs::references(&file.path, &bytes);
    if let (Some(cache), Some(path)) = (cache, &entry) {
        cache
            .write_atomically(path, format_refs(&refs).as_bytes())
            .map_err(|e| Error::Cache {
                path: path.clone(),
                source: e,
            })?;
    }
    Ok(refs)
}

fn format_refs(refs: &[Reference]) -> String {
    let rows: Vec<serde_json::Value> = refs
        .iter()
        .map(|r| {
            let kind = match r.kind {
                ReferenceKind::Url => "url",
                ReferenceKind::Import => "import",
                ReferenceKind::SourceMap => "map",
            };
            serde_json::json!([kind, r.span.start, r.span.end, r.url])
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

fn parse_refs(text: &str) -> Option<Vec<Reference>> {
    let rows: Vec<(String, usize, usize, String)> = serde_json::from_str(text).ok()?;
    rows.into_iter()
        .map(|(kind, start, end, url)| {
            let kind = match kind.as_str() {
                "url" => ReferenceKind::Url,
                "import" => ReferenceKind::Import,
                "map" => ReferenceKind::SourceMap,
                _ => return None,
            };
            Some(Reference {
                url,
                span: start..end,
                kind,
            })
        })
        .collect()
}

/// The bytes of `file`'s source, checked against `hash` (the file may have changed since it was
/// hashed).
fn read_source(file: &BakedFile, hash: &str, cache: Option<&Cache>) -> Result<Vec<u8>, Error> {
    let bytes = fs::read(&file.source).map_err(|e| Error::Read {
        path: file.source.clone(),
        source: e,
    })?;
    if content_hash(&bytes) != hash {
        if let Some(cache) = cache {
            cache.remove_stamp(&file.source);
        }
        return Err(Error::Changed(file.source.clone()));
    }
    Ok(bytes)
}

/// Makes `file` describe its bytes with `insertions` made (offset, target hash), keeping what it
/// described before as its [`Rewrite::as_written`].
fn rewrite_file(
    file: &mut BakedFile,
    insertions: &[(usize, String)],
    config: &Config,
) -> Result<(), Error> {
    let cache = config.cache.as_ref();
    // The rewrite is a function of the bytes (their hash) and the insertions.
    let mut key = Sha256::new();
    key.update(file.hash.as_bytes());
    for (at, hash) in insertions {
        key.update(format!("\n{at} {hash}").as_bytes());
    }
    let key = hex(&key.finalize());
    let record = cache.map(|c| c.rewrite_entry(&key));

    let cached = record
        .as_ref()
        .and_then(|path| fs::read_to_string(path).ok())
        .and_then(|text| {
            let mut lines = text.lines().map(str::to_owned);
            let (hash, integrity, len) = (lines.next()?, lines.next()?, lines.next()?);
            let bytes = cache?.identity_entry(&hash);
            let len: u64 = len.parse().ok()?;
            (fs::metadata(&bytes).ok()?.len() == len).then_some((hash, integrity, len, bytes))
        });
    let (hash, integrity, len, stored) = match cached {
        Some((hash, integrity, len, path)) => (hash, integrity, len, Stored::File(path)),
        None => {
            let source = read_source(file, &file.hash, cache)?;
            let insertions: Vec<(usize, &str)> =
                insertions.iter().map(|(at, h)| (*at, h.as_str())).collect();
            let bytes = insert_fingerprints(&source, &insertions);
            let hash = content_hash(&bytes);
            let integrity = integrity(&bytes);
            let len = bytes.len() as u64;
            let stored = match (cache, &record) {
                (Some(cache), Some(record)) => {
                    let path = cache.identity_entry(&hash);
                    let cache_error = |path: &PathBuf| {
                        let path = path.clone();
                        move |e| Error::Cache { path, source: e }
                    };
                    cache
                        .write_atomically(&path, &bytes)
                        .map_err(cache_error(&path))?;
                    let text = format!("{hash}\n{integrity}\n{len}\n");
                    cache
                        .write_atomically(record, text.as_bytes())
                        .map_err(cache_error(record))?;
                    Stored::File(path)
                }
                _ => Stored::Memory(bytes),
            };
            (hash, integrity, len, stored)
        }
    };

    let as_written = Representation {
        hash: std::mem::replace(&mut file.hash, hash),
        integrity: std::mem::replace(&mut file.integrity, integrity),
        len: std::mem::replace(&mut file.len, len),
        variants: std::mem::take(&mut file.variants),
    };
    file.fingerprinted = fingerprint(&file.path, &file.hash);
    file.rewrite = Some(Box::new(Rewrite {
        bytes: stored,
        as_written,
        insertions: insertions.iter().map(|(at, _)| *at as u64).collect(),
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::{Cache, Config, bake};

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    const FILES: &[(&str, &str)] = &[
        (
            "css/app.css",
            "@import \"base.css\";\n.a { background: url(../img/a.png?v=1) }\n/* url(../img/a.png) */\n.b { color: red } .b { color: red } .b { color: red } .b { color: red } .b { color: red }\n/*# sourceMappingURL=app.css.map */\n",
        ),
        (
            "css/base.css",
            "body { font: 1em url('../fonts/f.woff2#x'), url(data:font/woff2;base64,AA) }\n",
        ),
        ("css/app.css.map", "{}"),
        ("img/a.png", "png bytes"),
        ("fonts/f.woff2", "font bytes"),
        (
            "js/app.js",
            "import './util.js';\n//# sourceMappingURL=app.js.map\n",
        ),
        ("js/app.js.map", "{}"),
        ("css/loop-a.css", "@import 'loop-b.css';"),
        (
            "css/loop-b.css",
            "@import 'loop-a.css'; .x { background: url(nope.png) }",
        ),
    ];

    fn baked(dir: &std::path::Path, cache: Option<Cache>) -> crate::Baked {
        let mut config = Config::new(dir);
        config.cache = cache;
        bake(&config).unwrap()
    }

    fn served(baked: &crate::Baked, path: &str) -> String {
        let file = baked.files.iter().find(|f| f.path == path).unwrap();
        String::from_utf8(file.read().unwrap()).unwrap()
    }

    fn fingerprinted(baked: &crate::Baked, path: &str) -> String {
        let file = baked.files.iter().find(|f| f.path == path).unwrap();
        file.fingerprinted.rsplit('/').next().unwrap().to_owned()
    }

    #[test]
    fn references_are_rewritten_transitively_and_problems_reported() {
        let dir = folder(FILES);
        let cache_dir = tempfile::tempdir().unwrap();
        for cache in [None, Some(Cache::new(cache_dir.path()))] {
            let baked = baked(dir.path(), cache);
            let app = served(&baked, "css/app.css");
            let base_name = fingerprinted(&baked, "css/base.css");
            let png = fingerprinted(&baked, "img/a.png");
            assert_eq!(
                app,
                format!(
                    "@import \"{base_name}\";\n.a {{ background: url(../img/{png}?v=1) }}\n\
                     /* url(../img/a.png) */\n{}\n/*# sourceMappingURL={} */\n",
                    ".b { color: red } ".repeat(5).trim_end(),
                    fingerprinted(&baked, "css/app.css.map")
                )
            );
            let file = baked
                .files
                .iter()
                .find(|f| f.path == "css/app.css")
                .unwrap();
            assert_eq!(file.hash, crate::content_hash(app.as_bytes()));
            let written = &file.rewrite.as_ref().unwrap().as_written;
            assert_eq!(written.hash, crate::content_hash(FILES[0].1.as_bytes()));
            // Both forms are compressed, each from its own bytes.
            let gunzip = |variants: &[crate::Compressed]| {
                let gzip = variants
                    .iter()
                    .find(|v| v.codec == crate::Encoding::Gzip)
                    .unwrap();
                let mut out = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(&gzip.stored.read().unwrap()[..]),
                    &mut out,
                )
                .unwrap();
                out
            };
            assert_eq!(gunzip(&file.variants), app);
            assert_eq!(gunzip(&written.variants), FILES[0].1);
            assert!(
                served(&baked, "css/base.css").contains(&fingerprinted(&baked, "fonts/f.woff2"))
            );
            assert!(!served(&baked, "js/app.js").ends_with("app.js.map\n"));
            let problems: Vec<String> = baked.dangling.iter().map(ToString::to_string).collect();
            assert_eq!(problems.len(), 2, "{problems:#?}");
            assert!(
                problems[0].contains("cycle (css/loop-a.css -> css/loop-b.css -> css/loop-a.css)"),
                "{problems:#?}"
            );
            // Where it is, and what it resolves to.
            assert!(
                problems[1].starts_with("`css/loop-b.css` line 1 refers to `nope.png`, but the bundle has no file `css/nope.png`"),
                "{problems:#?}"
            );
        }
    }

    #[test]
    fn a_changed_image_changes_every_stylesheet_that_uses_it() {
        let dir = folder(FILES);
        let before = baked(dir.path(), None);
        fs::write(dir.path().join("fonts/f.woff2"), "new font").unwrap();
        let after = baked(dir.path(), None);
        for path in ["css/base.css", "css/app.css"] {
            assert_ne!(
                fingerprinted(&before, path),
                fingerprinted(&after, path),
                "{path}"
            );
        }
        assert_eq!(
            fingerprinted(&before, "js/app.js"),
            fingerprinted(&after, "js/app.js")
        );
    }

    #[test]
    fn rewriting_can_be_switched_off() {
        let dir = folder(FILES);
        let mut config = Config::new(dir.path());
        config.rewrite = false;
        let baked = bake(&config).unwrap();
        assert!(baked.files.iter().all(|f| f.rewrite.is_none()));
        assert!(baked.dangling.is_empty());
    }
}
