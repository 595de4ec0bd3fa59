//! The files a bundle becomes outside the binary, once: every asset under its plain name (the
//! file as written) and its fingerprinted name (the bytes served there), a sibling per stored
//! variant (`app.3f2a9c1e8b47.css.br`, `.gz`, `.zst`), and `staticfiles.json`.
//! [`Bundle::export`] writes them to a folder and [`Bundle::upload`](crate::Bundle) sends them
//! to object storage; the `kiln` command does both through an in-memory bundle.

use std::borrow::Cow;

use bytes::Bytes;

use crate::asset::{Asset, Encoding};
use crate::bundle::Bundle;
use crate::service::response::{IMMUTABLE, NO_CACHE};

/// The name of the manifest among the output files.
pub(crate) const MANIFEST_NAME: &str = "staticfiles.json";

/// The manifest format version written to `staticfiles.json`, as Django's
/// `ManifestStaticFilesStorage` reads it.
pub(crate) const MANIFEST_VERSION: &str = "1.0";

/// One file of a bundle's output (see [`Bundle::files`]): its name, bytes and the headers a
/// server or object store sends with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    name: String,
    bytes: Bytes,
    content_type: Cow<'static, str>,
    encoding: Encoding,
    immutable: bool,
}

impl OutputFile {
    /// A file named `name` (`/`-separated, relative to the output's root) holding `bytes` in
    /// `encoding`; `immutable` for a fingerprinted name and its siblings.
    pub fn new(
        name: impl Into<String>,
        bytes: impl Into<Bytes>,
        content_type: impl Into<Cow<'static, str>>,
        encoding: Encoding,
        immutable: bool,
    ) -> Self {
        OutputFile {
            name: name.into(),
            bytes: bytes.into(),
            content_type: content_type.into(),
            encoding,
            immutable,
        }
    }

    /// The name, `/`-separated: `css/app.3f2a9c1e8b47.css.br`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bytes (shared with the bundle, not copied).
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The `Content-Type` of the asset (of the decoded bytes, for a sibling).
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// How the bytes are encoded: identity, or the variant of a sibling.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The `Content-Encoding` to send with a sibling; `None` for identity.
    pub fn content_encoding(&self) -> Option<&'static str> {
        match self.encoding {
            Encoding::Identity => None,
            encoding => Some(encoding.as_str()),
        }
    }

    /// Whether the name is fingerprinted (or a sibling of one): its content never changes.
    pub fn is_immutable(&self) -> bool {
        self.immutable
    }

    /// The `Cache-Control` the service sends for this name by default:
    /// `public, max-age=31536000, immutable` for a fingerprinted one, `no-cache` otherwise.
    pub fn cache_control(&self) -> &'static str {
        if self.immutable { IMMUTABLE } else { NO_CACHE }
    }
}

impl Bundle {
    /// Every file the bundle becomes outside the binary, in order: for each asset, its
    /// fingerprinted name (the bytes it serves there) and its plain name (the file as written,
    /// see [`Asset::as_written`]), each followed by a sibling per stored variant, named with the
    /// encoding's extension; then `staticfiles.json` ([`staticfiles_json`](Self::staticfiles_json)).
    /// What [`export`](Self::export) writes and [`upload`](Self::upload) sends.
    ///
    /// ```
    /// # #[derive(kiln::Embed)]
    /// # #[kiln(folder = "static")]
    /// # struct Static;
    /// use kiln::Embed;
    ///
    /// let files = Static::bundle().files();
    /// let css = Static::get("css/app.css").unwrap();
    /// let br = format!("{}.br", css.fingerprinted_path());
    /// let sibling = files.iter().find(|f| f.name() == br).unwrap();
    /// assert_eq!(sibling.content_encoding(), Some("br"));
    /// assert!(sibling.is_immutable());
    /// assert_eq!(files.last().unwrap().name(), "staticfiles.json");
    /// ```
    pub fn files(&'static self) -> Vec<OutputFile> {
        let assets = self.iter();
        let mut out = Vec::with_capacity(assets.len() * 6 + 1);
        for asset in assets {
            push(&mut out, &asset, asset.fingerprinted_path(), true);
            push(&mut out, asset.as_written(), asset.path(), false);
        }
        out.push(OutputFile::new(
            MANIFEST_NAME,
            self.staticfiles_json(),
            "application/json",
            Encoding::Identity,
            false,
        ));
        out
    }

    /// `staticfiles.json`, as Django's `ManifestStaticFilesStorage` writes it:
    /// `{"paths": {"css/app.css": "css/app.3f2a9c1e8b47.css", ...}, "version": "1.0"}` and a
    /// newline.
    pub fn staticfiles_json(&'static self) -> String {
        format!(
            "{{\"paths\": {}, \"version\": \"{MANIFEST_VERSION}\"}}\n",
            self.manifest_json()
        )
    }
}

/// The files of one name of an asset: `form`'s identity bytes, then a sibling per variant.
fn push(out: &mut Vec<OutputFile>, form: &Asset, name: &str, immutable: bool) {
    for variant in form.encodings() {
        let name = match variant.encoding().file_extension() {
            None => name.to_owned(),
            Some(ext) => format!("{name}.{ext}"),
        };
        out.push(OutputFile::new(
            name,
            variant.shared(),
            form.content_type().to_owned(),
            variant.encoding(),
            immutable,
        ));
    }
}

/// Whether `name`, an output file's name, is fingerprinted or the sibling of a fingerprinted
/// name: how files of earlier outputs are found for pruning.
pub(crate) fn is_fingerprinted_output(name: &str) -> bool {
    let base = Encoding::ALL
        .iter()
        .filter_map(|encoding| encoding.file_extension())
        .find_map(|ext| name.strip_suffix(ext)?.strip_suffix('.'))
        .unwrap_or(name);
    crate::path::looks_fingerprinted(base)
}
