//! The content codings of [Kiln](https://docs.rs/kiln), in one table.
//!
//! Everything about a coding is here: the names `#[kiln(compress(...))]` and `kiln --compress`
//! accept, its `Content-Encoding` token (and the aliases clients send), the extension of its
//! sibling files, its code in a pack, the cargo feature it needs, its build-time and reload-mode
//! settings, and how to encode (feature `encode`, for builds) and decode (feature `decode`, for
//! the runtime) it. `kiln-bake` compresses with it, the `kiln` runtime serves and negotiates with
//! it, the derive and the command line parse its names: adding a codec is a row of [`TABLE`], a
//! variant of [`Encoding`] and its arms in [`Encoding::encode`] and [`Encoding::decode`].
//!
//! ```
//! use kiln_codec::Encoding;
//!
//! assert_eq!(Encoding::from_name("brotli"), Some(Encoding::Brotli));
//! assert_eq!(Encoding::Gzip.as_str(), "gzip");
//! assert_eq!(Encoding::Zstd.file_extension(), Some("zst"));
//! assert_eq!(Encoding::from_pack_code(Encoding::Gzip.pack_code()), Some(Encoding::Gzip));
//! ```

use std::fmt;

pub mod delta;

/// A content coding a representation can be stored and served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Encoding {
    /// The bytes as they are in the folder.
    Identity,
    /// Brotli (`br`): quality 11 with a 4 MiB window at build time.
    Brotli,
    /// Zstandard (`zstd`): level 19 at build time. Encoding it needs the `zstd` feature.
    Zstd,
    /// Gzip (`gzip`), via flate2: level 9, with a zero timestamp.
    Gzip,
    /// Dictionary-compressed brotli (`dcb`, RFC 9842): a [`delta`] against an earlier
    /// version the client holds. Made by [`delta::encode_dcb`], never by [`Encoding::encode`].
    Dcb,
    /// Dictionary-compressed zstd (`dcz`, RFC 9842), made by `delta::encode_dcz` (feature
    /// `zstd`).
    Dcz,
}

/// What one row of [`TABLE`] says about a coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// The coding.
    pub encoding: Encoding,
    /// The `Content-Encoding` token.
    pub token: &'static str,
    /// Other spellings of the token in `Accept-Encoding` (RFC 9110 §8.4.1.3: `x-gzip`).
    pub aliases: &'static [&'static str],
    /// The names `compress(...)` and `kiln --compress` accept; empty for identity, which is no
    /// codec to compress with.
    pub names: &'static [&'static str],
    /// The extension of a precompressed sibling file (`app.css.br`); `None` for identity.
    pub extension: Option<&'static str>,
    /// The representation's code in a pack's meta (kiln-bake writes it, `kiln` reads it).
    pub pack_code: u8,
    /// The cargo feature of `kiln` (and of `kiln-bake`) without which it cannot be encoded.
    pub feature: Option<&'static str>,
    /// Whether the runtime decodes it ([`Encoding::decode`]): a `compressed_only` asset needs a
    /// variant it can decode its identity bytes from.
    pub decoded_at_run_time: bool,
    /// The level builds compress at ([`Effort::Max`]).
    pub build_level: i32,
    /// The level reload mode compresses at ([`Effort::Fast`]): milliseconds for a large
    /// stylesheet.
    pub reload_level: i32,
    /// Whether it needs a dictionary (an earlier version of the file, which the client names in
    /// `Available-Dictionary`): such a coding is a delta, made by [`delta`], not a variant of
    /// the file on its own. No name selects it, it has no sibling file, and it is sent only to a
    /// client that holds the dictionary.
    pub dictionary: bool,
}

/// Every coding, in [`Encoding`] order (`TABLE[e as usize].encoding == e`).
pub const TABLE: [Info; 6] = [
    Info {
        encoding: Encoding::Identity,
        token: "identity",
        aliases: &[],
        names: &[],
        extension: None,
        pack_code: 0,
        feature: None,
        decoded_at_run_time: true,
        build_level: 0,
        reload_level: 0,
        dictionary: false,
    },
    Info {
        encoding: Encoding::Brotli,
        token: "br",
        aliases: &[],
        names: &["br", "brotli"],
        extension: Some("br"),
        pack_code: 1,
        feature: None,
        decoded_at_run_time: true,
        build_level: 11,
        reload_level: 5,
        dictionary: false,
    },
    Info {
        encoding: Encoding::Zstd,
        token: "zstd",
        aliases: &[],
        names: &["zstd"],
        extension: Some("zst"),
        pack_code: 2,
        feature: Some("zstd"),
        // Level 19 keeps the window at 8 MiB, the most browsers accept for `zstd`.
        decoded_at_run_time: false,
        build_level: 19,
        reload_level: 3,
        dictionary: false,
    },
    Info {
        encoding: Encoding::Gzip,
        token: "gzip",
        aliases: &["x-gzip"],
        names: &["gzip"],
        extension: Some("gz"),
        pack_code: 3,
        feature: None,
        decoded_at_run_time: true,
        build_level: 9,
        reload_level: 6,
        dictionary: false,
    },
    Info {
        encoding: Encoding::Dcb,
        token: "dcb",
        aliases: &[],
        names: &[],
        extension: None,
        pack_code: 4,
        feature: None,
        decoded_at_run_time: false,
        build_level: 11,
        reload_level: 0,
        dictionary: true,
    },
    Info {
        encoding: Encoding::Dcz,
        token: "dcz",
        aliases: &[],
        names: &[],
        extension: None,
        pack_code: 5,
        feature: Some("zstd"),
        decoded_at_run_time: false,
        build_level: 19,
        reload_level: 0,
        dictionary: true,
    },
];

/// Brotli's window (log2 bytes) at every effort: 22 is brotli's default, which every decoder
/// handles.
#[cfg(feature = "encode")]
const BROTLI_LGWIN: u32 = 22;

impl Encoding {
    /// Every coding, identity first.
    pub const ALL: [Encoding; 6] = [
        Encoding::Identity,
        Encoding::Brotli,
        Encoding::Zstd,
        Encoding::Gzip,
        Encoding::Dcb,
        Encoding::Dcz,
    ];

    /// Its row of [`TABLE`].
    pub const fn info(self) -> &'static Info {
        &TABLE[self as usize]
    }

    /// A dense index, `0..TABLE.len()`, for tables by coding.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The `Content-Encoding` token: `identity`, `br`, `zstd`, `gzip`, `dcb` or `dcz`.
    pub const fn as_str(self) -> &'static str {
        self.info().token
    }

    /// The extension of a precompressed sibling file (`br`, `zst`, `gz`); `None` for identity.
    pub const fn file_extension(self) -> Option<&'static str> {
        self.info().extension
    }

    /// The representation's code in a pack.
    pub const fn pack_code(self) -> u8 {
        self.info().pack_code
    }

    /// The coding of `code` in a pack.
    pub fn from_pack_code(code: u8) -> Option<Self> {
        TABLE
            .iter()
            .find(|info| info.pack_code == code)
            .map(|info| info.encoding)
    }

    /// The coding whose `Content-Encoding` token is `token` (exactly, as Kiln writes it).
    pub fn from_token(token: &str) -> Option<Self> {
        TABLE
            .iter()
            .find(|info| info.token == token)
            .map(|info| info.encoding)
    }

    /// The coding a client names in `Accept-Encoding` (its token or an alias, any case).
    pub fn from_accepted(coding: &[u8]) -> Option<Self> {
        TABLE
            .iter()
            .find(|info| {
                std::iter::once(info.token)
                    .chain(info.aliases.iter().copied())
                    .any(|name| name.as_bytes().eq_ignore_ascii_case(coding))
            })
            .map(|info| info.encoding)
    }

    /// The codec named `name` in `compress(...)` or `kiln --compress` (see [`Info::names`]).
    pub fn from_name(name: &str) -> Option<Self> {
        TABLE
            .iter()
            .find(|info| info.names.contains(&name))
            .map(|info| info.encoding)
    }

    /// Every name `compress(...)` and `kiln --compress` accept, in table order.
    pub fn names() -> impl Iterator<Item = &'static str> + Clone {
        TABLE.iter().flat_map(|info| info.names.iter().copied())
    }

    /// The codings that compress a file on its own (every one but identity and the deltas), in
    /// table order.
    pub fn codecs() -> impl Iterator<Item = Encoding> + Clone {
        Self::ALL
            .into_iter()
            .filter(|&e| e != Encoding::Identity && !e.info().dictionary)
    }

    /// Whether this is a delta coding ([`Info::dictionary`]): `dcb` or `dcz`.
    pub const fn needs_dictionary(self) -> bool {
        self.info().dictionary
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How hard to compress.
#[cfg(feature = "encode")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Effort {
    /// The smallest output ([`Info::build_level`]): what builds use, once per content (their
    /// cache keeps the result).
    Max,
    /// Fast enough to run when a file is requested ([`Info::reload_level`]): what reload mode
    /// uses.
    Fast,
}

#[cfg(feature = "encode")]
impl Encoding {
    /// Every codec this build can encode a file with on its own, in table order: brotli and
    /// gzip, and zstd with the `zstd` feature (not the deltas: see [`deltas`](Self::deltas)).
    pub fn available() -> &'static [Encoding] {
        if cfg!(feature = "zstd") {
            &[Encoding::Brotli, Encoding::Zstd, Encoding::Gzip]
        } else {
            &[Encoding::Brotli, Encoding::Gzip]
        }
    }

    /// Whether this build can encode with this codec.
    pub fn is_available(self) -> bool {
        Self::available().contains(&self) || Self::deltas().contains(&self)
    }

    /// The delta codings this build can make ([`delta`]): `dcb`, and `dcz` with the `zstd`
    /// feature.
    pub fn deltas() -> &'static [Encoding] {
        if cfg!(feature = "zstd") {
            &[Encoding::Dcb, Encoding::Dcz]
        } else {
            &[Encoding::Dcb]
        }
    }

    /// A name for the codec and its build settings, which changes whenever they do: part of a
    /// cache key, so that changing a setting never serves a stale entry.
    pub fn cache_tag(self) -> String {
        let info = self.info();
        match self {
            Encoding::Brotli => format!("br-q{}-w{BROTLI_LGWIN}", info.build_level),
            Encoding::Gzip => format!("gz-{}", info.build_level),
            Encoding::Zstd if !self.is_available() => "zst-unavailable".into(),
            Encoding::Dcb => format!("dcb-q{}-w{}", info.build_level, delta::DCB_LGWIN),
            // The window follows the dictionary's length, which the entry's name does not say:
            // `v2` names this rule (`delta::zstd_window_log`).
            Encoding::Dcz => format!("dcz-{}-v2", info.build_level),
            other => format!(
                "{}-{}",
                other.file_extension().unwrap_or("id"),
                info.build_level
            ),
        }
    }

    /// Encodes `bytes` at `effort`. Identity returns them as they are; a codec this build
    /// cannot encode (zstd without its feature) is an [`Unsupported`](std::io::ErrorKind) error,
    /// and so is a delta coding, which needs a dictionary ([`delta::encode_dcb`]).
    pub fn encode(self, bytes: &[u8], effort: Effort) -> std::io::Result<Vec<u8>> {
        use std::io::Write as _;
        let info = self.info();
        let level = match effort {
            Effort::Max => info.build_level,
            Effort::Fast => info.reload_level,
        };
        match self {
            Encoding::Identity => Ok(bytes.to_vec()),
            Encoding::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: level,
                    lgwin: BROTLI_LGWIN as i32,
                    size_hint: bytes.len(),
                    ..Default::default()
                };
                let mut out = Vec::with_capacity(bytes.len() / 3 + 64);
                brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
                Ok(out)
            }
            Encoding::Gzip => {
                // GzBuilder writes a zero mtime and no file name: the output depends on the
                // bytes only.
                let mut encoder = flate2::GzBuilder::new().write(
                    Vec::with_capacity(bytes.len() / 3 + 64),
                    flate2::Compression::new(level.unsigned_abs()),
                );
                encoder.write_all(bytes)?;
                encoder.finish()
            }
            #[cfg(feature = "zstd")]
            Encoding::Zstd => zstd::bulk::compress(bytes, level),
            #[cfg(not(feature = "zstd"))]
            Encoding::Zstd => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "zstd needs the `zstd` feature",
            )),
            Encoding::Dcb | Encoding::Dcz => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "a delta coding needs a dictionary (kiln_codec::delta)",
            )),
        }
    }
}

#[cfg(feature = "decode")]
impl Encoding {
    /// Decodes `bytes` encoded this way. A coding whose [`Info::decoded_at_run_time`] is false
    /// (zstd: the runtime carries no zstd decoder) is an [`Unsupported`](std::io::ErrorKind)
    /// error.
    pub fn decode(self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        use std::io::Read as _;
        let mut out = Vec::new();
        match self {
            Encoding::Identity => out.extend_from_slice(bytes),
            Encoding::Brotli => brotli_decompressor::BrotliDecompress(&mut &bytes[..], &mut out)?,
            Encoding::Gzip => {
                flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
            }
            Encoding::Zstd | Encoding::Dcb | Encoding::Dcz => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "not decoded at run time",
                ));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_encoding_order_and_its_keys_are_unique() {
        for (i, info) in TABLE.iter().enumerate() {
            assert_eq!(info.encoding.index(), i);
            assert_eq!(Encoding::from_token(info.token), Some(info.encoding));
            assert_eq!(
                Encoding::from_pack_code(info.pack_code),
                Some(info.encoding)
            );
            for name in info.names {
                assert_eq!(Encoding::from_name(name), Some(info.encoding));
            }
        }
        let names: Vec<_> = Encoding::names().collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len());
        assert_eq!(Encoding::from_accepted(b"X-GZIP"), Some(Encoding::Gzip));
        assert_eq!(Encoding::from_accepted(b"deflate"), None);
        assert_eq!(Encoding::from_name("identity"), None);
    }

    #[cfg(all(feature = "encode", feature = "decode"))]
    #[test]
    fn what_is_encoded_decodes_back() {
        let raw = b"body { color: red; }\n".repeat(200);
        for encoding in [Encoding::Brotli, Encoding::Gzip] {
            for effort in [Effort::Max, Effort::Fast] {
                let encoded = encoding.encode(&raw, effort).unwrap();
                assert!(encoded.len() < raw.len() / 10, "{encoding}");
                assert_eq!(encoding.decode(&encoded).unwrap(), raw, "{encoding}");
            }
        }
        // What the table says the runtime decodes is what `decode` decodes.
        for encoding in Encoding::available() {
            let encoded = encoding.encode(&raw, Effort::Fast).unwrap();
            assert_eq!(
                encoding.decode(&encoded).is_ok(),
                encoding.info().decoded_at_run_time,
                "{encoding}"
            );
        }
    }
}
