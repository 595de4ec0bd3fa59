//! Dictionary-compressed deltas of RFC 9842 (Compression Dictionary Transport): a representation
//! encoded against an earlier version of itself, which the client holds and names by its SHA-256
//! in `Available-Dictionary`.
//!
//! Both stream formats are those of RFC 9842 §4: a fixed header, the dictionary's 32-byte
//! SHA-256, then the compressed stream.
//!
//! - `dcb`: `FF 44 43 42`, the hash, then a brotli stream that uses the dictionary as a raw
//!   (LZ77 prefix) dictionary, with a window of at most 16 MiB.
//! - `dcz`: `5E 2A 4D 18 20 00 00 00` (a zstd skippable frame of 32 bytes), the hash, then a zstd
//!   frame that uses the dictionary as raw content, with a window log of at most
//!   [`zstd_window_log`] (which Chromium enforces).
//!
//! ```
//! # #[cfg(all(feature = "encode", feature = "decode"))] {
//! use kiln_codec::delta;
//!
//! let v1 = b"const version = 1;\nexport function greet(name) { return `Hello, ${name}`; }\n".repeat(40);
//! let mut v2 = v1.clone();
//! v2.extend_from_slice(b"export const added = true;\n");
//! let hash = [7u8; 32]; // the SHA-256 of `v1`, in real use
//!
//! let dcb = delta::encode_dcb(&v2, &v1, &hash).unwrap();
//! assert!(dcb.starts_with(&delta::DCB_HEADER) && dcb[4..36] == hash);
//! assert!(dcb.len() < 120, "{} bytes", dcb.len()); // the 3 kB file is 83 bytes
//! assert_eq!(delta::decode_dcb(&dcb, &v1).unwrap(), v2);
//! # }
//! ```

/// The SHA-256 of a dictionary: what `Available-Dictionary` names and a delta's header carries.
pub type DictionaryHash = [u8; 32];

/// The header of a `dcb` stream, before the dictionary's hash.
pub const DCB_HEADER: [u8; 4] = [0xFF, 0x44, 0x43, 0x42];

/// The header of a `dcz` stream, before the dictionary's hash: a zstd skippable frame (magic
/// `0x184D2A5E`, little-endian) whose 32 bytes are the hash.
pub const DCZ_HEADER: [u8; 8] = [0x5E, 0x2A, 0x4D, 0x18, 0x20, 0x00, 0x00, 0x00];

/// Brotli's window (log2 bytes) for `dcb`: 2^24, the largest the RFC allows, so that the
/// dictionary and the file fit in it together as far as they can.
pub const DCB_LGWIN: u32 = 24;

/// The largest dictionary a `dcb` delta uses whole: brotli reaches back at most its window
/// (minus 16 bytes).
pub const DCB_MAX_DICTIONARY: usize = (1 << DCB_LGWIN) - 16;

/// The brotli quality deltas are built at: the best, as for every baked variant.
#[cfg(feature = "encode")]
const DCB_QUALITY: i32 = 11;

/// The zstd level deltas are built at, as for the `zstd` variants.
#[cfg(feature = "zstd")]
const DCZ_LEVEL: i32 = 19;

/// The window log of a `dcz` delta against a dictionary of `dictionary_len` bytes:
/// clamp(log2ceil(1.25 x dictionary), 23, 27), the largest window Chromium accepts, so that
/// the whole dictionary can be referenced.
pub fn zstd_window_log(dictionary_len: usize) -> u32 {
    let target = (dictionary_len as u64 * 5).div_ceil(4).max(1);
    // log2ceil: the bits of target - 1 (0 for a target of 1).
    let log = u64::BITS - (target - 1).leading_zeros();
    log.clamp(23, 27)
}

/// The hash of the dictionary a `dcb` or `dcz` stream was made against, read off its header;
/// `None` if `delta` starts with neither header.
pub fn dictionary_of(delta: &[u8]) -> Option<&DictionaryHash> {
    let rest = delta
        .strip_prefix(&DCB_HEADER[..])
        .or_else(|| delta.strip_prefix(&DCZ_HEADER[..]))?;
    rest.get(..32)?.try_into().ok()
}

/// `bytes` as a `dcb` stream against `dictionary`, whose SHA-256 is `hash`. A dictionary longer
/// than [`DCB_MAX_DICTIONARY`] is used by its last bytes only (brotli's window).
#[cfg(feature = "encode")]
pub fn encode_dcb(
    bytes: &[u8],
    dictionary: &[u8],
    hash: &DictionaryHash,
) -> std::io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: DCB_QUALITY,
        lgwin: DCB_LGWIN as i32,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let dictionary = &dictionary[dictionary.len().saturating_sub(DCB_MAX_DICTIONARY)..];
    let mut out = Vec::with_capacity(DCB_HEADER.len() + hash.len() + bytes.len() / 8 + 64);
    out.extend_from_slice(&DCB_HEADER);
    out.extend_from_slice(hash);
    let mut input_buffer = [0u8; 4096];
    let mut output_buffer = [0u8; 4096];
    // Called for each meta-block, for encoders that log them; nothing to do here.
    let mut no_callback =
        |_: &mut brotli::interface::PredictionModeContextMap<brotli::InputReferenceMut>,
         _: &mut [brotli::interface::StaticCommand],
         _: brotli::InputPair,
         _: &mut brotli::enc::StandardAlloc| ();
    brotli::BrotliCompressCustomIoCustomDict(
        &mut brotli::IoReaderWrapper(&mut &bytes[..]),
        &mut brotli::IoWriterWrapper(&mut out),
        &mut input_buffer,
        &mut output_buffer,
        &params,
        brotli::enc::StandardAlloc::default(),
        &mut no_callback,
        dictionary,
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "unexpected end of input"),
    )?;
    Ok(out)
}

/// `bytes` as a `dcz` stream against `dictionary` (raw content), whose SHA-256 is `hash`, with
/// the window of [`zstd_window_log`].
#[cfg(feature = "zstd")]
pub fn encode_dcz(
    bytes: &[u8],
    dictionary: &[u8],
    hash: &DictionaryHash,
) -> std::io::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut out = Vec::with_capacity(DCZ_HEADER.len() + hash.len() + bytes.len() / 8 + 64);
    out.extend_from_slice(&DCZ_HEADER);
    out.extend_from_slice(hash);
    // `with_ref_prefix` always reads the dictionary as raw content (a dictionary that happens to
    // start with zstd's dictionary magic is not taken for a trained one).
    let mut encoder = zstd::stream::write::Encoder::with_ref_prefix(out, DCZ_LEVEL, dictionary)?;
    encoder.window_log(zstd_window_log(dictionary.len()))?;
    encoder.set_pledged_src_size(Some(bytes.len() as u64))?;
    encoder.include_contentsize(true)?;
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Decodes a `dcb` stream made against `dictionary` (tests and tools; the runtime serves deltas
/// as they are). Only the header's shape is checked: comparing its hash with the dictionary's
/// SHA-256 is the caller's.
#[cfg(feature = "decode")]
pub fn decode_dcb(delta: &[u8], dictionary: &[u8]) -> std::io::Result<Vec<u8>> {
    let stream = delta
        .strip_prefix(&DCB_HEADER[..])
        .and_then(|rest| rest.get(32..))
        .ok_or_else(|| invalid("not a dcb stream"))?;
    let dictionary = &dictionary[dictionary.len().saturating_sub(DCB_MAX_DICTIONARY)..];
    let mut out = Vec::new();
    let mut input_buffer = [0u8; 4096];
    let mut output_buffer = [0u8; 4096];
    brotli_decompressor::BrotliDecompressCustomDict(
        &mut &stream[..],
        &mut out,
        &mut input_buffer,
        &mut output_buffer,
        dictionary.to_vec(),
    )?;
    Ok(out)
}

#[cfg(feature = "decode")]
fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zstd_window_follows_the_dictionary_within_chromiums_bounds() {
        assert_eq!(zstd_window_log(0), 23);
        assert_eq!(zstd_window_log(1 << 20), 23);
        // 1.25 x 8 MiB = 10 MiB: 2^24.
        assert_eq!(zstd_window_log(8 << 20), 24);
        // 1.25 x 6.4 MiB = 8 MiB exactly: 2^23.
        assert_eq!(zstd_window_log(6_710_886), 23);
        assert_eq!(zstd_window_log(6_710_887), 24);
        assert_eq!(zstd_window_log(100 << 20), 27);
        assert_eq!(zstd_window_log(usize::MAX / 8), 27);
    }

    #[test]
    fn the_header_names_the_dictionary() {
        let hash = [9u8; 32];
        let mut dcb = DCB_HEADER.to_vec();
        dcb.extend_from_slice(&hash);
        assert_eq!(dictionary_of(&dcb), Some(&hash));
        let mut dcz = DCZ_HEADER.to_vec();
        dcz.extend_from_slice(&hash);
        dcz.push(0);
        assert_eq!(dictionary_of(&dcz), Some(&hash));
        assert_eq!(dictionary_of(&dcb[..35]), None);
        assert_eq!(dictionary_of(b"\x28\xb5\x2f\xfd"), None);
    }

    /// A JavaScript-like text of `lines` lines, different per `seed`.
    #[cfg(all(feature = "encode", feature = "decode"))]
    fn script(lines: usize, seed: u64) -> Vec<u8> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut out = Vec::new();
        for i in 0..lines {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            out.extend_from_slice(
                format!(
                    "export function f{i}(a, b) {{ return a * {} + b - {}; }}\n",
                    state % 1000,
                    (state >> 20) % 977
                )
                .as_bytes(),
            );
        }
        out
    }

    #[cfg(all(feature = "encode", feature = "decode"))]
    #[test]
    fn a_dcb_delta_of_a_one_line_edit_is_small_and_decodes_to_the_new_version() {
        let v1 = script(4000, 1);
        let mut v2 = v1.clone();
        let at = v2.len() / 2;
        v2.splice(at..at, b"console.log('one more line');\n".iter().copied());
        let hash = [0xA5; 32];
        let dcb = encode_dcb(&v2, &v1, &hash).unwrap();
        assert_eq!(dcb[..4], DCB_HEADER);
        assert_eq!(dictionary_of(&dcb), Some(&hash));
        assert_eq!(decode_dcb(&dcb, &v1).unwrap(), v2);
        let plain = crate::Encoding::Brotli
            .encode(&v2, crate::Effort::Max)
            .unwrap();
        assert!(
            dcb.len() * 20 < plain.len(),
            "dcb {} bytes, br {} bytes",
            dcb.len(),
            plain.len()
        );
        // Against another dictionary, the stream decodes to something else or not at all.
        let other = script(4000, 2);
        assert_ne!(decode_dcb(&dcb, &other).ok(), Some(v2.clone()));
        // Not a dcb stream at all.
        assert!(decode_dcb(&plain, &v1).is_err());
    }

    #[cfg(all(feature = "zstd", feature = "decode"))]
    #[test]
    fn a_dcz_delta_of_a_one_line_edit_is_small_and_decodes_to_the_new_version() {
        use std::io::Read as _;
        let v1 = script(4000, 3);
        let mut v2 = v1.clone();
        v2.extend_from_slice(b"export const added = 1;\n");
        let hash = [0x5A; 32];
        let dcz = encode_dcz(&v2, &v1, &hash).unwrap();
        assert_eq!(dcz[..8], DCZ_HEADER);
        assert_eq!(dictionary_of(&dcz), Some(&hash));
        // The stream after the header: one zstd frame, decoded with the same raw prefix and a
        // window no larger than Chromium's bound.
        let mut decoder =
            zstd::stream::read::Decoder::with_ref_prefix(&dcz[40..], &v1[..]).unwrap();
        decoder.window_log_max(zstd_window_log(v1.len())).unwrap();
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).unwrap();
        assert_eq!(out, v2);
        let plain = crate::Encoding::Zstd
            .encode(&v2, crate::Effort::Max)
            .unwrap();
        assert!(
            dcz.len() * 20 < plain.len(),
            "dcz {} bytes, zstd {}",
            dcz.len(),
            plain.len()
        );
    }
}
