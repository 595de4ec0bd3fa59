//! The data of one embedded file.

use std::fmt;

use http::HeaderValue;

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

    /// A dense index, 0 to 3, for tables by encoding.
    pub(crate) const fn index(self) -> usize {
        match self {
            Encoding::Identity => 0,
            Encoding::Brotli => 1,
            Encoding::Zstd => 2,
            Encoding::Gzip => 3,
        }
    }

    /// The `Content-Encoding` header value; `None` for identity, which is sent without one.
    pub(crate) const fn header(self) -> Option<HeaderValue> {
        match self {
            Encoding::Identity => None,
            Encoding::Brotli => Some(HeaderValue::from_static("br")),
            Encoding::Zstd => Some(HeaderValue::from_static("zstd")),
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stored representation of an asset: its encoding, bytes and entity tag.
///
/// Its header texts (entity tag, length in decimal) are written when the crate is compiled, so
/// serving it formats nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    encoding: Encoding,
    bytes: &'static [u8],
    len: usize,
    /// The entity tag then the length in decimal, in one literal (fewer literals and pointers
    /// make a smaller binary and a faster build), split at `split`.
    text: &'static str,
    split: usize,
}

impl Variant {
    /// Built from the pack. `len` is the length of the representation (for a compressed-only
    /// identity, whose `bytes` are empty until decoded); `text` is its quoted entity tag followed
    /// by `len` in decimal, and `split` where the one ends.
    pub(crate) const fn new(
        encoding: Encoding,
        bytes: &'static [u8],
        len: usize,
        text: &'static str,
        split: usize,
    ) -> Self {
        Variant {
            encoding,
            bytes,
            len,
            text,
            split,
        }
    }

    /// The `ETag` header value.
    pub(crate) fn etag_header(&self) -> HeaderValue {
        HeaderValue::from_static(self.etag())
    }

    /// The `Content-Length` header value.
    pub(crate) fn len_header(&self) -> HeaderValue {
        HeaderValue::from_static(self.text.get(self.split..).unwrap_or("0"))
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
        self.len
    }

    /// Whether the encoded form is empty.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The strong entity tag of this representation, quoted: `"<hash>"` for identity,
    /// `"<hash>-br"` and so on for the others.
    pub fn etag(&self) -> &'static str {
        self.text.get(..self.split).unwrap_or_default()
    }
}

/// A file baked into the binary by `#[derive(kiln::Embed)]`.
///
/// Every byte slice is `'static` and lives in the binary's read-only data; the strings live in the
/// bundle's table, read once on first use and kept. Serving an asset copies nothing. An asset of
/// a `compressed_only` bundle stores no identity bytes; they are decoded from its gzip or brotli
/// variant the first time they are needed, and kept.
#[derive(Debug)]
pub struct Asset {
    /// Path, fingerprinted path, URL, content type and SRI string, back to back.
    text: &'static str,
    /// Where the path, the fingerprinted path end, where the URL's path part starts, and where
    /// the URL, the content type and the SRI string end.
    ends: [u16; 6],
    /// For a compressed-only asset, `bytes` is empty and `decoded` fills in.
    pub(crate) identity: Variant,
    variants: &'static [Variant],
    compressed_only: bool,
}

impl PartialEq for Asset {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.identity == other.identity
    }
}

impl Eq for Asset {}

impl Asset {
    /// Built from the pack: `text` holds the path, the fingerprinted path, the URL, the content
    /// type and the SRI string back to back, and `ends` says where each ends (after the
    /// fingerprinted path comes where the URL's path part starts).
    pub(crate) const fn new(
        text: &'static str,
        ends: [u16; 6],
        identity: Variant,
        variants: &'static [Variant],
        compressed_only: bool,
    ) -> Self {
        Asset {
            text,
            ends,
            identity,
            variants,
            compressed_only,
        }
    }

    /// `text[ends[from]..ends[to]]`, or `text[..ends[to]]` for `from == None`.
    fn field(&self, from: Option<usize>, to: usize) -> &'static str {
        let start = from.map_or(0, |i| usize::from(self.ends[i]));
        self.text
            .get(start..usize::from(self.ends[to]))
            .unwrap_or_default()
    }

    /// Where `variant` sits among this asset's representations: 0 for identity, then 1 + its
    /// position among the variants.
    pub(crate) fn representation_index(&self, variant: &Variant) -> usize {
        match variant.encoding {
            Encoding::Identity => 0,
            encoding => self
                .variants
                .iter()
                .position(|v| v.encoding == encoding)
                .map_or(usize::MAX, |i| i + 1),
        }
    }

    /// The path relative to the folder, `/`-separated: `css/app.css`.
    pub fn path(&self) -> &'static str {
        self.field(None, 0)
    }

    /// The path with the content fingerprint in its file name: `css/app.3f2a9c1e8b47.css`.
    pub fn fingerprinted_path(&self) -> &'static str {
        self.field(Some(0), 1)
    }

    /// The fingerprinted URL under the bundle's prefix, percent-encoded:
    /// `/static/css/app.3f2a9c1e8b47.css`. It ignores any runtime base URL; the generated
    /// `url()` function honours it.
    pub fn url(&self) -> &'static str {
        self.field(Some(1), 3)
    }

    /// The fingerprinted path, percent-encoded for use in a URL (no prefix, no leading `/`).
    pub fn url_path(&self) -> &'static str {
        self.field(Some(2), 3)
    }

    /// The `Content-Type` header value, e.g. `text/css; charset=utf-8`.
    pub fn content_type(&self) -> &'static str {
        self.field(Some(3), 4)
    }

    pub(crate) fn content_type_header(&self) -> HeaderValue {
        HeaderValue::from_static(self.content_type())
    }

    /// Length of the file in bytes (the identity representation).
    pub const fn len(&self) -> usize {
        self.identity.len
    }

    /// Whether the file is empty.
    pub const fn is_empty(&self) -> bool {
        self.identity.len == 0
    }

    /// The file's bytes, as they are in the folder. For a compressed-only asset the first call
    /// decodes them (and keeps them for the life of the program).
    pub fn bytes(&self) -> &'static [u8] {
        if !self.compressed_only {
            return self.identity.bytes;
        }
        crate::decode::identity(self)
    }

    /// Whether the binary stores only compressed variants of this file (see [`bytes`](Self::bytes)).
    pub const fn is_compressed_only(&self) -> bool {
        self.compressed_only
    }

    /// The content hash: SHA-256 of [`bytes`](Self::bytes), 64 lowercase hex characters. Its
    /// first 12 characters are the fingerprint.
    pub fn hash(&self) -> &'static str {
        let etag = self.identity.etag();
        etag.get(1..etag.len().saturating_sub(1))
            .unwrap_or_default()
    }

    /// The Subresource Integrity string, `sha384-<base64>`, for `integrity="..."` attributes.
    pub fn integrity(&self) -> &'static str {
        self.field(Some(4), 5)
    }

    /// The strong entity tag of the identity representation, quoted.
    pub fn etag(&self) -> &'static str {
        self.identity.etag()
    }

    /// The identity representation.
    pub fn identity(&self) -> Variant {
        Variant {
            bytes: self.bytes(),
            ..self.identity
        }
    }

    /// The precompressed representations, each at least 5% smaller than the file. Empty for
    /// types that are already compressed (images, fonts, archives) and for `compress(none)`.
    pub const fn variants(&self) -> &'static [Variant] {
        self.variants
    }

    /// Every representation, identity first, then the precompressed ones.
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
    pub fn encodings(&self) -> impl Iterator<Item = Variant> + '_ {
        std::iter::once(self.identity()).chain(self.variants.iter().copied())
    }

    /// The representation in `encoding`, if there is one.
    pub fn encoding(&self, encoding: Encoding) -> Option<Variant> {
        if encoding == Encoding::Identity {
            return Some(self.identity());
        }
        self.variants
            .iter()
            .find(|v| v.encoding == encoding)
            .cloned()
    }
}
