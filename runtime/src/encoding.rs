//! Content codings: everything the runtime knows of one (its `Content-Encoding` token, the
//! extension of its sibling files, its code in a pack, its header value, how to decode it).

use std::fmt;
use std::io::{self, Read};

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
    /// Every encoding, identity first.
    pub(crate) const ALL: [Encoding; 4] = [
        Encoding::Identity,
        Encoding::Brotli,
        Encoding::Zstd,
        Encoding::Gzip,
    ];

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

    /// The encoding whose `Content-Encoding` token is `token`.
    #[cfg_attr(not(feature = "bake"), allow(dead_code))]
    pub(crate) fn from_token(token: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|encoding| encoding.as_str() == token)
    }

    /// The encoding of `code` in a pack's meta, as kiln-bake writes it (`tests/pack.rs` reads
    /// every codec's code back).
    pub(crate) const fn from_pack_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Encoding::Identity),
            1 => Some(Encoding::Brotli),
            2 => Some(Encoding::Zstd),
            3 => Some(Encoding::Gzip),
            _ => None,
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

impl Encoding {
    /// Decodes `bytes` encoded this way: what a compressed-only asset's identity bytes are made
    /// from. Zstandard is not decoded (the runtime carries no zstd decoder, and `compressed_only`
    /// needs a brotli or gzip variant).
    pub(crate) fn decode(self, bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        match self {
            Encoding::Identity => out.extend_from_slice(bytes),
            Encoding::Gzip => {
                flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
            }
            Encoding::Brotli => brotli_decompressor::BrotliDecompress(&mut &bytes[..], &mut out)?,
            Encoding::Zstd => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "zstd is not decoded at run time",
                ));
            }
        }
        Ok(out)
    }
}
