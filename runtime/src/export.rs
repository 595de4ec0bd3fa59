//! Writing a bundle out as a folder, for nginx or a CDN.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::bundle::Bundle;
use crate::files::{MANIFEST_NAME, is_fingerprinted_output};

/// What [`Bundle::export`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exported {
    /// Files the export consists of, siblings and manifest included.
    pub files: usize,
    /// Files written (new or changed).
    pub written: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Files that were already there with the same bytes, left alone.
    pub unchanged: usize,
    /// Files of earlier exports removed (see [`ExportOptions::prune`]).
    pub removed: usize,
}

/// How to export: see [`Bundle::export_with`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExportOptions {
    /// Remove the files of earlier exports that this one does not write: those the previous
    /// `staticfiles.json` names (plain and fingerprinted, with their siblings), and every file
    /// whose name is fingerprinted (or the sibling of one). Other files are never touched.
    /// `false` by default: pages still served by the previous deploy keep finding their assets.
    pub prune: bool,
}

/// An export that failed: which file, and why.
#[derive(Debug)]
pub struct ExportError {
    path: PathBuf,
    source: io::Error,
}

impl ExportError {
    /// The file or folder that could not be written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write `{}`", self.path.display())
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl Bundle {
    /// Writes every asset into `dir` under its plain name (as written) and its fingerprinted name
    /// (with references rewritten, see [`Asset::as_written`](crate::Asset::as_written)), each encoded
    /// variant as a sibling with the encoding's extension (`app.css.br`, `app.css.gz`,
    /// `app.css.zst`), and `staticfiles.json` (`{"paths": {...}, "version": "1.0"}`).
    ///
    /// nginx with `gzip_static on;` (and `brotli_static on;` where that module is built in) serves
    /// the same bytes from that folder as [`ServeAssets`](crate::ServeAssets) does from memory.
    /// Each file is written beside its place and renamed into it, so a server never sends half a
    /// file; a file already there with the same bytes is left alone (`rsync` and CDNs then see
    /// no change), and files of earlier exports are kept, so pages of the previous deploy still
    /// find their assets. The `kiln export` command writes the same files from the folder.
    ///
    /// ```
    /// # #[derive(kiln::Embed)]
    /// # #[kiln(folder = "static")]
    /// # struct Static;
    /// # let dir = std::env::temp_dir().join(format!("kiln-doc-export-{}", std::process::id()));
    /// use kiln::Embed;
    ///
    /// Static::bundle().export(&dir)?;
    /// let css = Static::get("css/app.css").unwrap();
    /// assert_eq!(std::fs::read(dir.join(css.fingerprinted_path()))?, css.bytes());
    /// assert!(dir.join(format!("{}.br", css.fingerprinted_path())).exists());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn export(&'static self, dir: impl AsRef<Path>) -> Result<Exported, ExportError> {
        self.export_with(dir, &ExportOptions::default())
    }

    /// [`export`](Self::export) with options: `prune` removes what earlier exports wrote and
    /// this one does not.
    pub fn export_with(
        &'static self,
        dir: impl AsRef<Path>,
        options: &ExportOptions,
    ) -> Result<Exported, ExportError> {
        let dir = dir.as_ref();
        let previous = match options.prune {
            true => previous_names(dir),
            false => BTreeSet::new(),
        };
        let mut report = Exported::default();
        let mut names = BTreeSet::new();
        for file in self.files() {
            write(&dir.join(file.name()), file.bytes(), &mut report)?;
            names.insert(file.name().to_owned());
        }
        if options.prune {
            let stale = previous
                .into_iter()
                .chain(fingerprinted_names(dir))
                .filter(|name| !names.contains(name))
                .collect::<BTreeSet<_>>();
            for name in stale {
                let path = dir.join(&name);
                match fs::remove_file(&path) {
                    Ok(()) => report.removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(source) => return Err(ExportError { path, source }),
                }
            }
        }
        Ok(report)
    }
}

/// The names an earlier export wrote into `dir`, from its `staticfiles.json`: each plain and
/// fingerprinted name, and their possible siblings.
fn previous_names(dir: &Path) -> BTreeSet<String> {
    let Ok(text) = fs::read_to_string(dir.join(MANIFEST_NAME)) else {
        return BTreeSet::new();
    };
    let mut names = BTreeSet::new();
    for name in crate::json::manifest_paths(&text) {
        // Only names inside the folder: a hand-edited manifest must not reach elsewhere.
        if name
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == ".." || s.contains('\\'))
        {
            continue;
        }
        for ext in crate::Encoding::ALL
            .iter()
            .filter_map(|e| e.file_extension())
        {
            names.insert(format!("{name}.{ext}"));
        }
        names.insert(name);
    }
    names
}

/// The files under `dir` whose name is fingerprinted, or the sibling of one.
fn fingerprinted_names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                folders.push(path);
            } else if kind.is_file()
                && let Some(name) = path.strip_prefix(dir).ok().and_then(|p| p.to_str())
            {
                let name = name.replace('\\', "/");
                if is_fingerprinted_output(&name) {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// Writes `bytes` to `path` unless it already holds them, through a temporary file beside it and
/// a rename, so that a server never sends a half-written file: the one atomic write of an export.
fn write(path: &Path, bytes: &[u8], report: &mut Exported) -> Result<(), ExportError> {
    let fail = |path: &Path| {
        let path = path.to_owned();
        move |source| ExportError { path, source }
    };
    report.files += 1;
    if fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64)
        && fs::read(path).is_ok_and(|old| old == bytes)
    {
        report.unchanged += 1;
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(fail(dir))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.kiln-tmp-{}", std::process::id()));
    if let Err(e) = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(fail(path)(e));
    }
    report.written += 1;
    report.bytes += bytes.len() as u64;
    Ok(())
}
