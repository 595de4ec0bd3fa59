//! The data of one embedded file.

use std::fmt;
use std::sync::OnceLock;

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
    len_str: &'static str,
    etag: &'static str,
}

impl Variant {
    /// Used by the derive. `len` is the length of the representation (for a compressed-only
    /// identity, whose `bytes` are empty until decoded), `len_str` the same in decimal.
    #[doc(hidden)]
    pub const fn new(
        encoding: Encoding,
        bytes: &'static [u8],
        len: usize,
        len_str: &'static str,
        etag: &'static str,
    ) -> Self {
        Variant {
            encoding,
            bytes,
            len,
            len_str,
            etag,
        }
    }

    /// The `ETag` header value.
    pub(crate) fn etag_header(&self) -> HeaderValue {
        HeaderValue::from_static(self.etag)
    }

    /// The `Content-Length` header value.
    pub(crate) fn len_header(&self) -> HeaderValue {
        HeaderValue::from_static(self.len_str)
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
    pub const fn etag(&self) -> &'static str {
        self.etag
    }
}

/// A file baked into the binary by `#[derive(kiln::Embed)]`.
///
/// Every string and byte slice is `'static`: it lives in the binary's read-only data, and serving
/// it copies nothing. An asset of a `compressed_only` bundle stores no identity bytes; they are
/// decoded from its gzip or brotli variant the first time they are needed, and kept.
#[derive(Debug)]
pub struct Asset {
    path: &'static str,
    fingerprinted_path: &'static str,
    url: &'static str,
    url_path: &'static str,
    content_type: &'static str,
    hash: &'static str,
    integrity: &'static str,
    /// For a compressed-only asset, `bytes` is empty and `decoded` fills in.
    pub(crate) identity: Variant,
    variants: &'static [Variant],
    compressed_only: bool,
    decoded: OnceLock<&'static [u8]>,
    /// Header values, validated on the first request for this asset and then only cloned (a
    /// clone of a static header value copies four words).
    headers: OnceLock<Box<Headers>>,
}

/// The header values of one asset, built once.
#[derive(Debug)]
pub(crate) struct Headers {
    pub(crate) content_type: HeaderValue,
    /// Entity tag and length of identity, then of each variant in order.
    pub(crate) representations: Vec<(HeaderValue, HeaderValue)>,
}

impl PartialEq for Asset {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.hash == other.hash && self.url == other.url
    }
}

impl Eq for Asset {}

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
        compressed_only: bool,
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
            compressed_only,
            decoded: OnceLock::new(),
            headers: OnceLock::new(),
        }
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

    /// The header values of this asset, built on first use.
    pub(crate) fn headers(&self) -> &Headers {
        self.headers.get_or_init(|| {
            Box::new(Headers {
                content_type: HeaderValue::from_static(self.content_type),
                representations: std::iter::once(&self.identity)
                    .chain(self.variants)
                    .map(|v| (v.etag_header(), v.len_header()))
                    .collect(),
            })
        })
    }

    /// The `ETag` and `Content-Length` values of `variant`, which must be one of this asset's.
    pub(crate) fn variant_headers(&self, variant: &Variant) -> (HeaderValue, HeaderValue) {
        match self
            .headers()
            .representations
            .get(self.representation_index(variant))
        {
            Some((etag, len)) => (etag.clone(), len.clone()),
            None => (variant.etag_header(), variant.len_header()),
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

    pub(crate) fn content_type_header(&self) -> HeaderValue {
        self.headers().content_type.clone()
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
        self.decoded
            .get_or_init(|| crate::decode::identity(self.variants))
    }

    /// Whether the binary stores only compressed variants of this file (see [`bytes`](Self::bytes)).
    pub const fn is_compressed_only(&self) -> bool {
        self.compressed_only
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
