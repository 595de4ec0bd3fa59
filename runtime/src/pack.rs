//! Reading the pack the derive embeds: a meta blob (every string and number) and data chunks (every
//! byte), laid out by `kiln-bake`'s `write_pack` (its `meta` function documents the format).
//!
//! The derive embeds these as a handful of `include_bytes!` instead of a `static` table of
//! structs because rustc evaluates such a table slowly (seconds for a few thousand files); the
//! price is this reader, which runs once per bundle, on first use: a few milliseconds per
//! thousand assets, most of it decompressing the meta.

use std::ops::Range;

use crate::asset::{Asset, Encoding, Variant};

const MAGIC: &[u8; 8] = b"KILNPACK";
const VERSION: u32 = 3;

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

/// One representation as the meta describes it.
struct Raw {
    encoding: Encoding,
    bytes: &'static [u8],
    len: u64,
}

/// One asset as the meta describes it.
struct Record {
    /// Path, fingerprinted path, URL, content type and SRI string, back to back.
    text: &'static str,
    ends: [u16; 6],
    hash: &'static str,
    compressed_only: bool,
    identity: Raw,
    variants: usize,
}

/// The records of a meta body, before the entity tags are made.
pub(crate) struct Parsed {
    pub(crate) prefix: &'static str,
    records: Vec<Record>,
    variants: Vec<Raw>,
}

fn raw(cursor: &mut Cursor, chunks: &[&'static [u8]]) -> Raw {
    let encoding = match cursor.u8() {
        0 => Encoding::Identity,
        1 => Encoding::Brotli,
        2 => Encoding::Zstd,
        3 => Encoding::Gzip,
        _ => corrupt("unknown encoding"),
    };
    let (chunk, offset, bytes_len) = (cursor.usize(), cursor.usize(), cursor.usize());
    let len = cursor.u64();
    let bytes: &'static [u8] = if bytes_len == 0 {
        &[]
    } else {
        chunks
            .get(chunk)
            .and_then(|c| c.get(offset..offset.checked_add(bytes_len)?))
            .unwrap_or_else(|| corrupt("bytes out of bounds"))
    };
    Raw {
        encoding,
        bytes,
        len,
    }
}

/// Reads a meta `body` (see `body`); an empty one is an empty bundle.
pub(crate) fn parse(body: &'static [u8], chunks: &[&'static [u8]]) -> Parsed {
    if body.is_empty() {
        return Parsed {
            prefix: "",
            records: Vec::new(),
            variants: Vec::new(),
        };
    }
    let mut cursor = Cursor { bytes: body };
    let (asset_count, variant_count) = (cursor.usize(), cursor.usize());
    let (text_len, prefix_len) = (cursor.usize(), cursor.usize());
    let Ok(text) = std::str::from_utf8(cursor.take(text_len)) else {
        corrupt("text is not UTF-8");
    };
    let records = (0..asset_count)
        .map(|_| {
            let start = cursor.usize();
            let mut ends = [0; 6];
            for end in &mut ends {
                *end = cursor.u16();
            }
            let hash_end = usize::from(cursor.u16());
            let strings = slice(text, start, hash_end);
            let compressed_only = cursor.u8() != 0;
            let identity = raw(&mut cursor, chunks);
            let variants = usize::from(cursor.u8());
            let Some((text, hash)) = strings.split_at_checked(usize::from(ends[5])) else {
                corrupt("hash");
            };
            Record {
                text,
                ends,
                hash,
                compressed_only,
                identity,
                variants,
            }
        })
        .collect();
    let variants = (0..variant_count)
        .map(|_| raw(&mut cursor, chunks))
        .collect();
    Parsed {
        prefix: slice(text, 0, prefix_len),
        records,
        variants,
    }
}

/// Where one representation's text is in the string [`Parsed::texts`] writes: its start, where
/// its entity tag ends (relative to the start), and its end.
pub(crate) struct Span {
    start: usize,
    split: usize,
    end: usize,
}

impl Parsed {
    /// Each record, with where its own variants are among the variants (the meta lists each
    /// asset's in turn), and those variants.
    fn each(&self) -> impl Iterator<Item = (&Record, Range<usize>, &[Raw])> {
        let mut first = 0;
        self.records.iter().map(move |record| {
            let own = first..first + record.variants;
            first = own.end;
            let raws = self
                .variants
                .get(own.clone())
                .unwrap_or_else(|| corrupt("variants out of bounds"));
            (record, own, raws)
        })
    }

    /// Every representation's entity tag followed by its length in decimal, identity then
    /// variants, asset after asset, in one string; and where each one is, in that order.
    pub(crate) fn texts(&self) -> (String, Vec<Span>) {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(self.records.len() * 200);
        let mut spans = Vec::with_capacity(self.records.len() + self.variants.len());
        for (record, _, raws) in self.each() {
            let hash = record.hash;
            for raw in std::iter::once(&record.identity).chain(raws) {
                let start = out.len();
                let _ = match raw.encoding {
                    Encoding::Identity => write!(out, "\"{hash}\""),
                    e => write!(out, "\"{hash}-{}\"", e.as_str()),
                };
                let split = out.len() - start;
                let _ = write!(out, "{}", raw.len);
                spans.push(Span {
                    start,
                    split,
                    end: out.len(),
                });
            }
        }
        (out, spans)
    }

    /// The variants and the assets, given what [`texts`](Self::texts) made (the string now at
    /// its final, `'static` address) and a place for the variants to live (they must be
    /// `'static` before the assets can point at them).
    pub(crate) fn assets(
        &self,
        texts: &'static str,
        spans: &[Span],
        variants_home: &'static std::sync::OnceLock<Box<[Variant]>>,
    ) -> Vec<Asset> {
        let mut spans = spans.iter();
        let mut represent = |raw: &Raw| {
            let len = usize::try_from(raw.len).unwrap_or_else(|_| corrupt("length"));
            let span = spans.next().unwrap_or_else(|| corrupt("texts"));
            let text = slice(texts, span.start, span.end - span.start);
            Variant::new(raw.encoding, raw.bytes, len, text, span.split)
        };
        let mut identities = Vec::with_capacity(self.records.len());
        let mut variants = Vec::with_capacity(self.variants.len());
        for (record, _, raws) in self.each() {
            identities.push(represent(&record.identity));
            variants.extend(raws.iter().map(&mut represent));
        }
        let variants: &'static [Variant] = variants_home.get_or_init(|| variants.into());
        self.each()
            .zip(identities)
            .map(|((record, own, _), identity)| {
                Asset::new(
                    record.text,
                    record.ends,
                    identity,
                    &variants[own],
                    record.compressed_only,
                )
            })
            .collect()
    }
}
