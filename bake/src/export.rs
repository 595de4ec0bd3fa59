//! Writing a baked folder out for a dedicated server (nginx): Django's `collectstatic`.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::{BakedFile, Error, Variant, manifest_json};

/// The manifest format version written to `staticfiles.json`, as Django's
/// `ManifestStaticFilesStorage` reads it.
pub const MANIFEST_VERSION: &str = "1.0";

/// What [`export`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exported {
    /// Files written (new or changed), the manifest included.
    pub written: usize,
    /// Files already there with the same bytes, left alone.
    pub unchanged: usize,
    /// Files of an earlier export removed (`prune`).
    pub removed: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// `staticfiles.json`: `{"paths": {...}, "version": "1.0"}` and a newline.
pub fn staticfiles_json(files: &[BakedFile]) -> String {
    format!(
        "{{\"paths\": {}, \"version\": \"{MANIFEST_VERSION}\"}}\n",
        manifest_json(files)
    )
}

/// One file of an export: its name under the output folder and where its bytes come from.
enum Source<'a> {
    /// The file as written, read from the folder and checked against `hash`.
    AsWritten(&'a BakedFile, &'a str),
    /// The bytes served under the fingerprinted name.
    Served(&'a BakedFile),
    Variant(&'a Variant),
    Text(String),
}

impl Source<'_> {
    fn read(&self) -> Result<Vec<u8>, Error> {
        match self {
            Source::AsWritten(file, hash) => {
                let bytes = fs::read(&file.source).map_err(|e| Error::Read {
                    path: file.source.clone(),
                    source: e,
                })?;
                if crate::content_hash(&bytes) != *hash {
                    return Err(Error::Changed(file.source.clone()));
                }
                Ok(bytes)
            }
            Source::Served(file) => file.read(),
            Source::Variant(variant) => variant.stored.read(),
            Source::Text(text) => Ok(text.clone().into_bytes()),
        }
    }
}

/// Every file an export of `files` writes, by name: the plain name with the file as written, the
/// fingerprinted name with the bytes served there, each with a `.br` / `.gz` / `.zst` sibling per
/// stored variant; and `staticfiles.json`.
fn entries(files: &[BakedFile]) -> Vec<(String, Source<'_>)> {
    let mut out = Vec::new();
    for file in files {
        let (written_hash, written_variants) = match &file.rewrite {
            Some(rewrite) => (&rewrite.as_written.hash, &rewrite.as_written.variants),
            None => (&file.hash, &file.variants),
        };
        let forms = [
            (
                &file.path,
                Source::AsWritten(file, written_hash),
                written_variants,
            ),
            (&file.fingerprinted, Source::Served(file), &file.variants),
        ];
        for (name, identity, variants) in forms {
            for variant in variants {
                let sibling = format!("{name}.{}", variant.codec.extension());
                out.push((sibling, Source::Variant(variant)));
            }
            out.push((name.clone(), identity));
        }
    }
    out.push((
        "staticfiles.json".to_owned(),
        Source::Text(staticfiles_json(files)),
    ));
    out
}

/// Writes `files` into `out`: each plain name with the file as written, each fingerprinted name
/// with the bytes served there, a `.br`/`.gz`/`.zst` sibling per variant, and `staticfiles.json`
/// ([`staticfiles_json`]). Each file is written to a temporary
/// file beside it and renamed into place, so a server never sends a half-written file; a file
/// that already has the same bytes is not touched (its modification time stays, which keeps
/// `rsync` and CDNs from copying it again). Files of earlier exports are kept, so that pages
/// still being served from the previous deploy find their fingerprinted assets, unless `prune`
/// is set: then the files this export does not write are removed if the previous
/// `staticfiles.json` named them (plain and fingerprinted, with their siblings) or if their name
/// is fingerprinted (`name.<12 hex>.ext`, and siblings), which is how the outputs of every
/// earlier export are found. Other files in `out` are never touched.
pub fn export(files: &[BakedFile], out: &Path, prune: bool) -> Result<Exported, Error> {
    let fail = |path: &Path| {
        let path = path.to_owned();
        move |e: io::Error| Error::Write { path, source: e }
    };
    let previous = if prune {
        previous_names(out)
    } else {
        BTreeSet::new()
    };
    let mut report = Exported::default();
    let mut names = BTreeSet::new();
    for (name, source) in entries(files) {
        let path = out.join(&name);
        let bytes = source.read()?;
        names.insert(name);
        if fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64)
            && fs::read(&path).is_ok_and(|old| old == bytes)
        {
            report.unchanged += 1;
            continue;
        }
        write_atomically(&path, &bytes).map_err(fail(&path))?;
        report.written += 1;
        report.bytes += bytes.len() as u64;
    }
    let stale = previous
        .into_iter()
        .chain(if prune {
            fingerprinted_names(out)
        } else {
            Vec::new()
        })
        .filter(|name| !names.contains(name))
        .collect::<BTreeSet<_>>();
    for name in &stale {
        let path = out.join(name);
        match fs::remove_file(&path) {
            Ok(()) => report.removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(&path)(e)),
        }
    }
    Ok(report)
}

/// The names an earlier export wrote into `out`, from its `staticfiles.json`: each plain and
/// fingerprinted name, and their possible siblings.
fn previous_names(out: &Path) -> BTreeSet<String> {
    let Ok(text) = fs::read_to_string(out.join("staticfiles.json")) else {
        return BTreeSet::new();
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return BTreeSet::new();
    };
    let mut names = BTreeSet::new();
    for (plain, fingerprinted) in value["paths"].as_object().into_iter().flatten() {
        for name in [Some(plain.as_str()), fingerprinted.as_str()]
            .into_iter()
            .flatten()
        {
            // Only names inside the folder: a hand-edited manifest must not reach elsewhere.
            if name
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
            {
                continue;
            }
            names.insert(name.to_owned());
            for ext in ["br", "gz", "zst"] {
                names.insert(format!("{name}.{ext}"));
            }
        }
    }
    names
}

/// The files under `out` whose name is fingerprinted, or the `.br`/`.gz`/`.zst` sibling of one.
fn fingerprinted_names(out: &Path) -> Vec<String> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| {
            let name = entry
                .path()
                .strip_prefix(out)
                .ok()?
                .to_str()?
                .replace('\\', "/");
            let base = ["br", "gz", "zst"]
                .iter()
                .find_map(|ext| name.strip_suffix(&format!(".{ext}")))
                .unwrap_or(&name);
            (!crate::unfingerprint(base).is_empty()).then_some(name)
        })
        .collect()
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp: PathBuf = dir.join(format!(".{name}.kiln-tmp-{}", std::process::id()));
    let result = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
