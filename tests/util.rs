//! Independent re-computations of what Kiln bakes, to check it against.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use kiln::{Encoding, Variant};
use sha2::{Digest, Sha256, Sha384};

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn sri(bytes: &[u8]) -> String {
    let digest = Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Decodes a stored variant with the reference decoder of its format.
pub(crate) fn decode(variant: &Variant) -> Vec<u8> {
    let bytes = variant.bytes();
    let mut out = Vec::new();
    match variant.encoding() {
        Encoding::Identity => out.extend_from_slice(bytes),
        Encoding::Brotli => {
            brotli::BrotliDecompress(&mut &bytes[..], &mut out).expect("valid brotli");
        }
        Encoding::Gzip => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        Encoding::Zstd => out = zstd::decode_all(bytes).expect("valid zstd"),
        other => panic!("unexpected encoding {other}"),
    }
    out
}
