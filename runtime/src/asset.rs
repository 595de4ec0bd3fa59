//! The data of one embedded file.

use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::HeaderValue;

pub use crate::encoding::Encoding;

/// Appends the strong entity tag of the representation of content `hash` in `encoding`, quoted:
/// `"<hash>"` for identity, `"<hash>-br"` and so on for the others, and for a delta
/// (`bytes` starting with the hash of its dictionary, RFC 9842 §4) `"<hash>-dcb-<the first 16
/// hex digits of the dictionary's hash>"`: distinct per content, coding and dictionary. The one
/// format of every source's entity tags.
pub(crate) fn write_etag(out: &mut String, hash: &str, encoding: Encoding, bytes: &[u8]) {
    out.push('"');
    out.push_str(hash);
    if encoding != Encoding::Identity {
        out.push('-');
        out.push_str(encoding.as_str());
    }
    if encoding.needs_dictionary()
        && let Some(dictionary) = kiln_codec::delta::dictionary_of(bytes)
    {
        out.push('-');
        push_hex(out, &dictionary[..8]);
    }
    out.push('"');
}

/// Appends `bytes` as lowercase hex digits (the runtime's one hex encoder: the baked runtime has
/// no kiln-bake to ask).
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// One stored representation of an asset: its encoding, bytes and entity tag.
///
/// Its header values (entity tag, length in decimal) are made when the asset is loaded, so
/// serving it formats nothing. Cloning it is cheap: the bytes are shared, not copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    encoding: Encoding,
    bytes: Bytes,
    len: usize,
    etag: HeaderValue,
    len_header: HeaderValue,
}

impl Variant {
    /// `len` is the length of the representation (for a compressed-only identity, whose `bytes`
    /// are empty until decoded); `etag` is its quoted entity tag and `len_header` `len` in
    /// decimal.
    pub(crate) fn new(
        encoding: Encoding,
        bytes: Bytes,
        len: usize,
        etag: HeaderValue,
        len_header: HeaderValue,
    ) -> Self {
        Variant {
            encoding,
            bytes,
            len,
            etag,
            len_header,
        }
    }

    /// The `ETag` header value.
    pub(crate) fn etag_header(&self) -> HeaderValue {
        self.etag.clone()
    }

    /// The entity tag's bytes, quotes included, for comparing with a request's.
    pub(crate) fn etag_bytes(&self) -> &[u8] {
        self.etag.as_bytes()
    }

    /// The `Content-Length` header value.
    pub(crate) fn len_header(&self) -> HeaderValue {
        self.len_header.clone()
    }

    /// The bytes, shared (no copy).
    pub(crate) fn shared(&self) -> Bytes {
        self.bytes.clone()
    }

    /// How the bytes are encoded.
    pub const fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
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
    pub fn etag(&self) -> &str {
        self.etag.to_str().unwrap_or_default()
    }
}

/// A file of a bundle: its paths, type, hashes and every stored representation.
///
/// In a baked bundle the bytes live in the binary's read-only data and serving an asset copies
/// nothing. An asset of a `compressed_only` bundle stores no identity bytes; they are decoded
/// from its gzip or brotli variant the first time they are needed, and kept with the asset.
#[derive(Debug)]
pub struct Asset {
    /// Path, fingerprinted path, URL, content type and SRI string, back to back from `start`
    /// (the text may be shared by every asset of a bundle).
    text: Arc<str>,
    start: usize,
    /// Where, after `start`, the path and the fingerprinted path end, where the URL's path part
    /// starts, and where the URL, the content type and the SRI string end.
    ends: [u16; 6],
    /// The content type as a header value (sharing its bytes with the bundle's other header
    /// texts).
    content_type: HeaderValue,
    /// For a compressed-only asset, `bytes` is empty and `decoded` fills in.
    pub(crate) identity: Variant,
    /// The precompressed variants, then the deltas (RFC 9842) against earlier versions.
    variants: Box<[Variant]>,
    /// How many of `variants` are precompressed variants; the rest are deltas.
    ordinary: usize,
    /// Whether the fingerprinted URL offers the asset as a compression dictionary.
    dictionary: bool,
    compressed_only: bool,
    decoded: OnceLock<Bytes>,
    /// When references in the file were rewritten to fingerprinted names: the file as written,
    /// which its plain path serves.
    as_written: Option<Box<Written>>,
    /// Where fingerprints were inserted, in the file as written, until
    /// [`derive_as_written`](Self::derive_as_written) takes them.
    insertions: Box<[u32]>,
}

/// The file as written of a rewritten asset.
// Held in a `Box`, and only by rewritten assets: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Written {
    /// Read as it is (reload mode).
    Ready(Asset),
    /// Made on first use from the rewritten bytes, with the inserted fingerprints taken out (a
    /// baked bundle stores the rewritten bytes only): `template` has its paths, type, hashes and
    /// entity tag, `removals` says where the insertions are.
    Derived {
        template: Asset,
        removals: Box<[u32]>,
        made: OnceLock<Asset>,
    },
}

/// The length of each insertion: `.` and 12 hex digits.
const INSERTION_LEN: usize = 13;

impl PartialEq for Asset {
    fn eq(&self, other: &Self) -> bool {
        self.field(None, 5) == other.field(None, 5) && self.identity == other.identity
    }
}

impl Eq for Asset {}

impl Asset {
    /// `text[start..]` holds the path, the fingerprinted path, the URL, the content type and the
    /// SRI string back to back, and `ends` says where each ends (after the fingerprinted path
    /// comes where the URL's path part starts).
    pub(crate) fn new(
        text: Arc<str>,
        start: usize,
        ends: [u16; 6],
        content_type: HeaderValue,
        identity: Variant,
        variants: Box<[Variant]>,
        compressed_only: bool,
    ) -> Self {
        // Deltas come after the variants (kiln-bake writes them so).
        let ordinary = variants
            .iter()
            .take_while(|v| !v.encoding.needs_dictionary())
            .count();
        Asset {
            text,
            start,
            ends,
            content_type,
            identity,
            variants,
            ordinary,
            dictionary: false,
            compressed_only,
            decoded: OnceLock::new(),
            as_written: None,
            insertions: Box::new([]),
        }
    }

    /// Offers the asset's fingerprinted URL to browsers as a compression dictionary for its next
    /// version (`Use-As-Dictionary`): a baked bundle that bakes deltas.
    pub(crate) fn set_dictionary(&mut self, yes: bool) {
        self.dictionary = yes;
    }

    /// Whether the fingerprinted URL offers the asset as a compression dictionary.
    pub(crate) fn is_dictionary(&self) -> bool {
        self.dictionary
    }

    /// The deltas (`dcb`, `dcz`) of the asset's bytes against earlier versions, each starting
    /// with the SHA-256 of the version it was made against (RFC 9842 §4). Served only under the
    /// fingerprinted URL, to a client that names that version in `Available-Dictionary`.
    pub fn deltas(&self) -> &[Variant] {
        self.variants.get(self.ordinary..).unwrap_or_default()
    }

    /// The variants and the deltas, in the order of [`representation`](Self::representation)
    /// after identity.
    pub(crate) fn stored_variants(&self) -> &[Variant] {
        &self.variants
    }

    /// Records `written` as the file as written of this (rewritten) asset.
    #[cfg_attr(not(feature = "reload"), allow(dead_code))]
    pub(crate) fn set_as_written(&mut self, written: Asset) {
        self.as_written = Some(Box::new(Written::Ready(written)));
    }

    /// Records where fingerprints were inserted into this asset's bytes.
    pub(crate) fn set_insertions(&mut self, insertions: Box<[u32]>) {
        self.insertions = insertions;
    }

    /// Records `template` as the description of the file as written, whose bytes are made on
    /// first use from this asset's, without the insertions.
    pub(crate) fn derive_as_written(&mut self, template: Asset) {
        self.as_written = Some(Box::new(Written::Derived {
            template,
            removals: std::mem::take(&mut self.insertions),
            made: OnceLock::new(),
        }));
    }

    /// The file as written, made from this asset's bytes with `removals` taken out; its
    /// variants were stored.
    fn derive(&self, template: &Asset, removals: &[u32]) -> Asset {
        let rewritten = self.identity_bytes();
        let mut bytes = Vec::with_capacity(template.len());
        let mut done = 0;
        for (k, &at) in removals.iter().enumerate() {
            let at = (at as usize + k * INSERTION_LEN).clamp(done, rewritten.len());
            bytes.extend_from_slice(&rewritten[done..at]);
            done = (at + INSERTION_LEN).min(rewritten.len());
        }
        bytes.extend_from_slice(&rewritten[done..]);
        // The build recorded the length; the header follows the bytes whatever happens.
        debug_assert_eq!(bytes.len(), template.len(), "{}", template.path());
        let identity = Variant {
            len: bytes.len(),
            len_header: HeaderValue::from(bytes.len()),
            bytes: Bytes::from(bytes),
            ..template.identity.clone()
        };
        Asset {
            text: Arc::clone(&template.text),
            start: template.start,
            ends: template.ends,
            content_type: template.content_type.clone(),
            identity,
            variants: template.variants.clone(),
            ordinary: template.ordinary,
            dictionary: false,
            compressed_only: false,
            decoded: OnceLock::new(),
            as_written: None,
            insertions: Box::new([]),
        }
    }

    /// The file exactly as it is in the folder, which the asset's plain path serves.
    ///
    /// Kiln rewrites references in CSS and JavaScript to other files of the bundle
    /// (`url(../img/logo.png)` becomes `url(../img/logo.3f2a9c1e8b47.png)`): the asset's
    /// [`bytes`](Self::bytes), [`hash`](Self::hash) and [`integrity`](Self::integrity) are those
    /// of the rewritten bytes, which its fingerprinted URL serves. For such a file this returns
    /// the file as written; for every other file, the asset itself.
    ///
    /// In a baked bundle the bytes of the file as written are made from the rewritten bytes on
    /// first use (the binary stores them once); its hashes and compressed variants are stored.
    pub fn as_written(&self) -> &Asset {
        match self.as_written.as_deref() {
            None => self,
            Some(Written::Ready(asset)) => asset,
            Some(Written::Derived {
                template,
                removals,
                made,
            }) => made.get_or_init(|| self.derive(template, removals)),
        }
    }

    /// What [`as_written`](Self::as_written) describes (paths, type, hashes, entity tags,
    /// lengths, variants) without making its bytes: for response heads, which need no body.
    pub(crate) fn as_written_described(&self) -> &Asset {
        match self.as_written.as_deref() {
            None => self,
            Some(Written::Ready(asset)) => asset,
            Some(Written::Derived { template, made, .. }) => made.get().unwrap_or(template),
        }
    }

    /// Whether references in the file were rewritten (see [`as_written`](Self::as_written)).
    pub fn is_rewritten(&self) -> bool {
        self.as_written.is_some()
    }

    /// `text[ends[from]..ends[to]]`, or `text[..ends[to]]` for `from == None`, after `start`.
    fn field(&self, from: Option<usize>, to: usize) -> &str {
        let begin = from.map_or(0, |i| usize::from(self.ends[i]));
        self.text
            .get(self.start + begin..self.start + usize::from(self.ends[to]))
            .unwrap_or_default()
    }

    /// The representation at `index`: 0 for identity, then 1 + a variant's position among the
    /// [`variants`](Self::variants), then the [`deltas`](Self::deltas).
    pub(crate) fn representation(&self, index: usize) -> &Variant {
        match index.checked_sub(1) {
            None => &self.identity,
            Some(i) => self.variants.get(i).unwrap_or(&self.identity),
        }
    }

    /// The path relative to the folder, `/`-separated: `css/app.css`.
    pub fn path(&self) -> &str {
        self.field(None, 0)
    }

    /// The path with the content fingerprint in its file name: `css/app.3f2a9c1e8b47.css`.
    pub fn fingerprinted_path(&self) -> &str {
        self.field(Some(0), 1)
    }

    /// The fingerprinted URL under the bundle's prefix, percent-encoded:
    /// `/static/css/app.3f2a9c1e8b47.css`. It ignores any runtime base URL; the generated
    /// `url()` function honours it.
    pub fn url(&self) -> &str {
        self.field(Some(1), 3)
    }

    /// The fingerprinted path, percent-encoded for use in a URL (no prefix, no leading `/`).
    pub fn url_path(&self) -> &str {
        self.field(Some(2), 3)
    }

    /// The `Content-Type` header value, e.g. `text/css; charset=utf-8`.
    pub fn content_type(&self) -> &str {
        self.field(Some(3), 4)
    }

    pub(crate) fn content_type_header(&self) -> HeaderValue {
        self.content_type.clone()
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
    /// decodes them (and keeps them with the asset).
    pub fn bytes(&self) -> &[u8] {
        self.identity_bytes_ref()
    }

    fn identity_bytes_ref(&self) -> &Bytes {
        if !self.compressed_only {
            return &self.identity.bytes;
        }
        self.decoded.get_or_init(|| decode_identity(&self.variants))
    }

    /// The identity bytes, shared (no copy).
    pub(crate) fn identity_bytes(&self) -> Bytes {
        self.identity_bytes_ref().clone()
    }

    /// Whether the binary stores only compressed variants of this file (see [`bytes`](Self::bytes)).
    pub const fn is_compressed_only(&self) -> bool {
        self.compressed_only
    }

    /// The content hash: SHA-256 of [`bytes`](Self::bytes), 64 lowercase hex characters. Its
    /// first 12 characters are the fingerprint.
    pub fn hash(&self) -> &str {
        let etag = self.identity.etag();
        etag.get(1..etag.len().saturating_sub(1))
            .unwrap_or_default()
    }

    /// The Subresource Integrity string, `sha384-<base64>`, for `integrity="..."` attributes.
    pub fn integrity(&self) -> &str {
        self.field(Some(4), 5)
    }

    /// The strong entity tag of the identity representation, quoted.
    pub fn etag(&self) -> &str {
        self.identity.etag()
    }

    /// The identity representation.
    pub fn identity(&self) -> Variant {
        Variant {
            bytes: self.identity_bytes(),
            ..self.identity.clone()
        }
    }

    /// The precompressed representations, each at least 5% smaller than the file. Empty for
    /// types that are already compressed (images, fonts, archives) and for `compress(none)`.
    /// The [`deltas`](Self::deltas) are not among them.
    pub fn variants(&self) -> &[Variant] {
        &self.variants[..self.ordinary]
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
        std::iter::once(self.identity()).chain(self.variants().iter().cloned())
    }

    /// The representation in `encoding`, if there is one.
    pub fn encoding(&self, encoding: Encoding) -> Option<Variant> {
        if encoding == Encoding::Identity {
            return Some(self.identity());
        }
        self.variants()
            .iter()
            .find(|v| v.encoding == encoding)
            .cloned()
    }
}

/// A cheap handle to an [`Asset`], what `Static::get` returns: it derefs to the asset, and
/// cloning it copies a pointer (or counts a reference).
///
/// A baked bundle's assets live as long as the program, and a handle to one is a `&'static`
/// reference. A bundle read from disk (the `reload` feature) makes a new asset when a file
/// changes; a handle keeps the version it was given alive, and the old version is dropped when
/// the last handle to it is.
#[derive(Clone)]
pub struct AssetRef(Inner);

#[derive(Clone)]
enum Inner {
    Static(&'static Asset),
    #[cfg_attr(not(feature = "reload"), allow(dead_code))]
    Shared(Arc<Asset>),
}

impl AssetRef {
    /// A handle to a shared asset.
    #[cfg_attr(not(feature = "reload"), allow(dead_code))]
    pub(crate) fn shared(asset: Arc<Asset>) -> Self {
        AssetRef(Inner::Shared(asset))
    }

    /// The asset, for as long as the program runs, when it is baked into the binary; `None`
    /// for an asset read from disk.
    pub fn as_static(&self) -> Option<&'static Asset> {
        match self.0 {
            Inner::Static(asset) => Some(asset),
            Inner::Shared(_) => None,
        }
    }
}

impl From<&'static Asset> for AssetRef {
    fn from(asset: &'static Asset) -> Self {
        AssetRef(Inner::Static(asset))
    }
}

impl std::ops::Deref for AssetRef {
    type Target = Asset;

    fn deref(&self) -> &Asset {
        match &self.0 {
            Inner::Static(asset) => asset,
            Inner::Shared(asset) => asset,
        }
    }
}

impl AsRef<Asset> for AssetRef {
    fn as_ref(&self) -> &Asset {
        self
    }
}

impl fmt::Debug for AssetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Asset::fmt(self, f)
    }
}

impl PartialEq for AssetRef {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for AssetRef {}

/// Decodes the first variant of a compressed-only asset that its encoding can decode.
fn decode_identity(variants: &[Variant]) -> Bytes {
    let decoded = variants
        .iter()
        .find_map(|v| v.encoding().decode(v.bytes()).ok());
    // Invariant: the derive makes an asset compressed-only only when it has a gzip or brotli
    // variant, compressed from these very bytes at build time, so decoding cannot fail.
    Bytes::from(decoded.expect("kiln: no decodable variant for a compressed-only asset"))
}
