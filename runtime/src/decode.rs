//! Decoding the identity bytes of compressed-only assets.

use std::io::Read;

use bytes::Bytes;

use crate::asset::{Encoding, Variant};

/// Decodes the first gzip or brotli variant of a compressed-only asset.
pub(crate) fn identity(variants: &[Variant]) -> Bytes {
    let mut out = Vec::new();
    let decoded = variants.iter().find_map(|v| {
        out.clear();
        let result = match v.encoding() {
            Encoding::Gzip => flate2::read::GzDecoder::new(v.bytes()).read_to_end(&mut out),
            Encoding::Brotli => {
                brotli_decompressor::BrotliDecompress(&mut &v.bytes()[..], &mut out).map(|()| 0)
            }
            _ => return None,
        };
        result.ok().map(|_| ())
    });
    // Invariant: the derive makes an asset compressed-only only when it has a gzip or brotli
    // variant, compressed from these very bytes at build time, so decoding cannot fail.
    assert!(
        decoded.is_some(),
        "kiln: no decodable variant for a compressed-only asset"
    );
    Bytes::from(out)
}
