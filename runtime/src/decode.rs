//! Decoding the identity bytes of compressed-only assets, once.

use std::io::Read;

use crate::asset::{Encoding, Variant};

/// Decodes the first gzip or brotli variant and leaks the result: it is the asset's identity
/// representation for the rest of the program, like the bytes of any other asset.
pub(crate) fn identity(variants: &'static [Variant]) -> &'static [u8] {
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
    Box::leak(out.into_boxed_slice())
}
