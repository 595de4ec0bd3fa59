//! Writing a bundle out as a folder, for nginx or a CDN.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::bundle::Bundle;

/// The manifest format version written to `staticfiles.json`, as Django's
/// `ManifestStaticFilesStorage` reads it.
pub(crate) const MANIFEST_VERSION: &str = "1.0";

/// What [`Bundle::export`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exported {
    /// Files the export consists of, siblings and manifest included.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Files that were already there with the same bytes, left alone.
    pub unchanged: usize,
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
                    write(&file, variant.bytes(), &mut report)?;
                }
            }
        }
        let manifest = format!(
            "{{\"paths\": {}, \"version\": \"{MANIFEST_VERSION}\"}}\n",
            self.manifest_json()
        );
        write(
            &dir.join("staticfiles.json"),
            manifest.as_bytes(),
            &mut report,
        )?;
        Ok(report)
    }
}

/// Writes `bytes` to `path` unless it already holds them, through a temporary file and a rename.
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
    report.bytes += bytes.len() as u64;
    Ok(())
}
