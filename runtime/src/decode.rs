//! Decoding the identity bytes of compressed-only assets, once.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{OnceLock, RwLock};

use rustc_hash::FxBuildHasher;

use crate::asset::{Asset, Encoding, Variant};

/// Decoded identity bytes, by the address of their (static) asset.
type Decoded = RwLock<HashMap<usize, &'static [u8], FxBuildHasher>>;

/// The identity bytes of a compressed-only `asset`: decoded on the first call, then kept for the
/// life of the program, like the bytes of any other asset.
pub(crate) fn identity(asset: &Asset) -> &'static [u8] {
    static DECODED: OnceLock<Decoded> = OnceLock::new();
    let decoded = DECODED.get_or_init(Decoded::default);
    let key = std::ptr::from_ref(asset) as usize;
    if let Some(bytes) = decoded.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return bytes;
    }
    let mut map = decoded.write().unwrap_or_else(|e| e.into_inner());
    map.entry(key).or_insert_with(|| decode(asset.variants()))
}

/// Decodes the first gzip or brotli variant and leaks the result.
fn decode(variants: &[Variant]) -> &'static [u8] {
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
