//! Reading the pack the derive embeds: a meta blob (every string and number) and data chunks (every
//! byte), laid out by `kiln-bake`'s `write_pack`, whose documentation describes the format.
//!
//! The derive embeds these as a handful of `include_bytes!` instead of a `static` table of
//! structs because rustc evaluates such a table slowly (seconds for a few thousand files); the
//! price is this reader, which runs once per bundle, on first use, in well under a millisecond
//! per thousand assets.

use crate::asset::{Asset, Encoding, Variant};

const MAGIC: &[u8; 8] = b"KILNPACK";
const VERSION: u32 = 2;

/// The meta's header, and where its records are.
pub(crate) struct Header {
    pub(crate) prefix: &'static str,
    text: &'static str,
    assets: &'static [u8],
    variants: &'static [u8],
    asset_count: usize,
    variant_count: usize,
}

/// Reads little-endian numbers off a byte slice; running off the end is a corrupt pack.
struct Cursor {
    bytes: &'static [u8],
}

impl Cursor {
    fn take(&mut self, n: usize) -> &'static [u8] {
        let Some((head, tail)) = self.bytes.split_at_checked(n) else {
            corrupt("truncated");
        };
        self.bytes = tail;
        head
    }

    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }

    fn u16(&mut self) -> u16 {
        let mut b = [0; 2];
        b.copy_from_slice(self.take(2));
        u16::from_le_bytes(b)
    }

    fn u32(&mut self) -> u32 {
        let mut b = [0; 4];
        b.copy_from_slice(self.take(4));
        u32::from_le_bytes(b)
    }

    fn usize(&mut self) -> usize {
        self.u32() as usize
    }

    fn u64(&mut self) -> u64 {
        let mut b = [0; 8];
        b.copy_from_slice(self.take(8));
        u64::from_le_bytes(b)
    }
}

/// The pack was written by the `kiln-bake` of this very version (the derive and this crate are
/// pinned to each other), so a bad pack is a bug, not an input error.
#[cold]
fn corrupt(what: &str) -> ! {
    panic!("kiln: the embedded asset pack is corrupt ({what}); please report this as a bug")
}

fn slice(text: &'static str, start: usize, len: usize) -> &'static str {
    start
        .checked_add(len)
        .and_then(|end| text.get(start..end))
        .unwrap_or_else(|| corrupt("text out of bounds"))
}

/// The body of a meta file: checks its version and decompresses it. An empty `meta` is an empty
/// bundle (what the derive emits next to a compile error).
pub(crate) fn body(meta: &[u8]) -> Vec<u8> {
    if meta.is_empty() {
        return Vec::new();
    }
    let (Some(head), Some(version), Some(len)) = (meta.get(..8), meta.get(8..12), meta.get(12..16))
    else {
        corrupt("truncated");
    };
    let number = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    if head != MAGIC || number(version) != VERSION {
        corrupt("not a kiln pack of this version");
    }
    let mut body = Vec::with_capacity(number(len) as usize);
    if brotli_decompressor::BrotliDecompress(&mut &meta[16..], &mut body).is_err()
        || body.len() != number(len) as usize
    {
        corrupt("bad compressed meta");
    }
    body
}

/// Reads the header of a meta `body`.
pub(crate) fn header(body: &'static [u8]) -> Header {
    if body.is_empty() {
        return Header {
            prefix: "",
            text: "",
            assets: &[],
            variants: &[],
            asset_count: 0,
            variant_count: 0,
        };
    }
    let mut cursor = Cursor { bytes: body };
    let asset_count = cursor.usize();
    let variant_count = cursor.usize();
    let text_len = cursor.usize();
    let (prefix_at, prefix_len) = (cursor.usize(), cursor.usize());
    let Ok(text) = std::str::from_utf8(cursor.take(text_len)) else {
        corrupt("text is not UTF-8");
    };
    let assets = cursor.take(asset_count.saturating_mul(ASSET_LEN));
    let variants = cursor.take(variant_count.saturating_mul(VARIANT_LEN));
    Header {
        prefix: slice(text, prefix_at, prefix_len),
        text,
        assets,
        variants,
        asset_count,
        variant_count,
    }
}

const VARIANT_LEN: usize = 1 + 4 * 3 + 8 + 4 * 3;
const ASSET_LEN: usize = 4 + 2 * 6 + 1 + VARIANT_LEN + 4 + 4;

fn variant(cursor: &mut Cursor, text: &'static str, chunks: &[&'static [u8]]) -> Variant {
    let encoding = match cursor.u8() {
        0 => Encoding::Identity,
        1 => Encoding::Brotli,
        2 => Encoding::Zstd,
        3 => Encoding::Gzip,
        _ => corrupt("unknown encoding"),
    };
    let (chunk, offset, bytes_len) = (cursor.usize(), cursor.usize(), cursor.usize());
    let len = usize::try_from(cursor.u64()).unwrap_or_else(|_| corrupt("length"));
    let (text_at, text_len, split) = (cursor.usize(), cursor.usize(), cursor.usize());
    let bytes: &'static [u8] = if bytes_len == 0 {
        &[]
    } else {
        chunks
            .get(chunk)
            .and_then(|c| c.get(offset..offset.checked_add(bytes_len)?))
            .unwrap_or_else(|| corrupt("bytes out of bounds"))
    };
    let text = slice(text, text_at, text_len);
    if !text.is_char_boundary(split) {
        corrupt("entity tag");
    }
    Variant::new(encoding, bytes, len, text, split)
}

impl Header {
    /// Every variant of every asset (not identities), in asset order.
    pub(crate) fn variants(&self, chunks: &[&'static [u8]]) -> Vec<Variant> {
        let mut cursor = Cursor {
            bytes: self.variants,
        };
        (0..self.variant_count)
            .map(|_| variant(&mut cursor, self.text, chunks))
            .collect()
    }

    /// The assets, whose variants are slices of `variants` (what [`variants`](Self::variants)
    /// returned, now at its final, `'static` address).
    pub(crate) fn assets(
        &self,
        chunks: &[&'static [u8]],
        variants: &'static [Variant],
    ) -> Vec<Asset> {
        let mut cursor = Cursor { bytes: self.assets };
        (0..self.asset_count)
            .map(|_| {
                let text_at = cursor.usize();
                let ends = [(); 6].map(|()| cursor.u16());
                let compressed_only = cursor.u8() != 0;
                let identity = variant(&mut cursor, self.text, chunks);
                let (first, count) = (cursor.usize(), cursor.usize());
                let own = first
                    .checked_add(count)
                    .and_then(|end| variants.get(first..end))
                    .unwrap_or_else(|| corrupt("variants out of bounds"));
                let text = slice(self.text, text_at, usize::from(ends[5]));
                Asset::new(text, ends, identity, own, compressed_only)
            })
            .collect()
    }
}
