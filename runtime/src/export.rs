//! Writing a bundle out as a folder, for nginx or a CDN.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::bundle::Bundle;

/// The manifest format version written to `staticfiles.json`, as Django's
/// `ManifestStaticFilesStorage` reads it.
const MANIFEST_VERSION: &str = "1.0";

/// What [`Bundle::export`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exported {
    /// Files written, siblings and manifest included.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
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
    /// Files already in `dir` are overwritten, other files are left alone.
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
        let dir = dir.as_ref();
        let mut report = Exported::default();
        for asset in self.iter() {
            // The plain name serves the file as written, the fingerprinted one the file with its
            // references rewritten (the same file unless it has any).
            for (name, form) in [
                (asset.path(), asset.as_written()),
                (asset.fingerprinted_path(), &*asset),
            ] {
                for variant in form.encodings() {
                    let file = match variant.encoding().file_extension() {
                        None => dir.join(name),
                        Some(ext) => dir.join(format!("{name}.{ext}")),
                    };
                    write(&file, variant.bytes())?;
                    report.files += 1;
                    report.bytes += variant.len() as u64;
                }
            }
        }
        let manifest = format!(
            "{{\"paths\": {}, \"version\": \"{MANIFEST_VERSION}\"}}\n",
            self.manifest_json()
        );
        write(&dir.join("staticfiles.json"), manifest.as_bytes())?;
        report.files += 1;
        report.bytes += manifest.len() as u64;
        Ok(report)
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let fail = |source| ExportError {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| ExportError {
            path: parent.to_owned(),
            source: e,
        })?;
    }
    fs::write(path, bytes).map_err(fail)
}
