//! The data of one embedded file.

use std::fmt;

/// A content coding an asset can be stored and served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Encoding {
    /// The bytes as they are in the folder.
    Identity,
    /// Brotli (`br`).
    Brotli,
    /// Zstandard (`zstd`).
    Zstd,
    /// Gzip (`gzip`).
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` token: `identity`, `br`, `zstd` or `gzip`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
            Encoding::Gzip => "gzip",
        }
    }

    /// The extension of a precompressed sibling file (`br`, `zst`, `gz`); `None` for identity.
    pub const fn file_extension(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Brotli => Some("br"),
            Encoding::Zstd => Some("zst"),
            Encoding::Gzip => Some("gz"),
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stored representation of an asset: its encoding, bytes and entity tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    encoding: Encoding,
    bytes: &'static [u8],
    etag: &'static str,
}

impl Variant {
    #[doc(hidden)]
    pub const fn new(encoding: Encoding, bytes: &'static [u8], etag: &'static str) -> Self {
        Variant {
            encoding,
            bytes,
            etag,
        }
    }

    /// How the bytes are encoded.
    pub const fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The encoded bytes.
    pub const fn bytes(&self) -> &'static [u8] {
        self.bytes
    }

    /// Length of the encoded bytes.
    pub const fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the encoded form is empty.
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The strong entity tag of this representation, quoted: `"<hash>"` for identity,
    /// `"<hash>-br"` and so on for the others.
    pub const fn etag(&self) -> &'static str {
        self.etag
    }
}

/// A file baked into the binary by `#[derive(kiln::Embed)]`.
///
/// Every string and byte slice is `'static`: it lives in the binary's read-only data, and serving
/// it copies nothing.
#[derive(Debug, PartialEq, Eq)]
pub struct Asset {
    path: &'static str,
    fingerprinted_path: &'static str,
    url: &'static str,
    url_path: &'static str,
    content_type: &'static str,
    hash: &'static str,
    integrity: &'static str,
    identity: Variant,
    variants: &'static [Variant],
}

impl Asset {
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        path: &'static str,
        fingerprinted_path: &'static str,
        url: &'static str,
        url_path: &'static str,
        content_type: &'static str,
        hash: &'static str,
        integrity: &'static str,
        identity: Variant,
        variants: &'static [Variant],
    ) -> Self {
        Asset {
            path,
            fingerprinted_path,
            url,
            url_path,
            content_type,
            hash,
            integrity,
            identity,
            variants,
        }
    }

    /// The path relative to the folder, `/`-separated: `css/app.css`.
    pub const fn path(&self) -> &'static str {
        self.path
    }

    /// The path with the content fingerprint in its file name: `css/app.3f2a9c1e8b47.css`.
    pub const fn fingerprinted_path(&self) -> &'static str {
        self.fingerprinted_path
    }

    /// The fingerprinted URL under the bundle's prefix, percent-encoded:
    /// `/static/css/app.3f2a9c1e8b47.css`. It ignores any runtime base URL; the generated
    /// `url()` function honours it.
    pub const fn url(&self) -> &'static str {
        self.url
    }

    /// The fingerprinted path, percent-encoded for use in a URL (no prefix, no leading `/`).
    pub const fn url_path(&self) -> &'static str {
        self.url_path
    }

    /// The `Content-Type` header value, e.g. `text/css; charset=utf-8`.
    pub const fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// Length of the file in bytes (the identity representation).
    pub const fn len(&self) -> usize {
        self.identity.bytes.len()
    }

    /// Whether the file is empty.
    pub const fn is_empty(&self) -> bool {
        self.identity.bytes.is_empty()
    }

    /// The file's bytes, as they are in the folder.
    pub const fn bytes(&self) -> &'static [u8] {
        self.identity.bytes
    }

    /// The content hash: SHA-256 of [`bytes`](Self::bytes), 64 lowercase hex characters. Its
    /// first 12 characters are the fingerprint.
    pub const fn hash(&self) -> &'static str {
        self.hash
    }

    /// The Subresource Integrity string, `sha384-<base64>`, for `integrity="..."` attributes.
    pub const fn integrity(&self) -> &'static str {
        self.integrity
    }

    /// The strong entity tag of the identity representation, quoted.
    pub const fn etag(&self) -> &'static str {
        self.identity.etag
    }

    /// The identity representation.
    pub const fn identity(&self) -> &Variant {
        &self.identity
    }

    /// The precompressed representations, each at least 5% smaller than the file. Empty for
    /// types that are already compressed (images, fonts, archives) and for `compress(none)`.
    pub const fn variants(&self) -> &'static [Variant] {
        self.variants
    }

    /// Every stored representation, identity first, then the precompressed ones.
    ///
    /// ```
    /// # #[derive(kiln::Embed)]
    /// # #[kiln(folder = "static")]
    /// # struct Static;
    /// let css = Static::get("css/app.css").unwrap();
    /// for variant in css.encodings() {
    ///     println!("{}: {} bytes", variant.encoding(), variant.len());
    /// }
    /// assert_eq!(css.encodings().next().unwrap().bytes(), css.bytes());
    /// ```
    pub fn encodings(&self) -> impl Iterator<Item = &Variant> + '_ {
        std::iter::once(&self.identity).chain(self.variants)
    }

    /// The stored representation in `encoding`, if there is one.
    pub fn encoding(&self, encoding: Encoding) -> Option<&Variant> {
        if encoding == Encoding::Identity {
            return Some(&self.identity);
        }
        self.variants.iter().find(|v| v.encoding == encoding)
    }
}
