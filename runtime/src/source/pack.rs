//! Reading the pack the derive embeds: a meta blob (every string and number) and data chunks (every
//! byte), laid out by `kiln-bake`'s `write_pack` (its `meta` function documents the format).
//!
//! The derive embeds these as a handful of `include_bytes!` instead of a `static` table of
//! structs because rustc evaluates such a table slowly (seconds for a few thousand files); the
//! price is this reader, which runs once per bundle, on first use: a few milliseconds per
//! thousand assets, most of it decompressing the meta.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;

use super::Fixed;
use crate::asset::{self, Asset, Encoding, Variant};

const MAGIC: &[u8; 8] = b"KILNPACK";
const VERSION: u32 = 6;

/// Reads little-endian numbers off a byte slice; running off the end is a corrupt pack.
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
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

/// The body of a meta file: checks its version and decompresses it. An empty `meta` is an empty
/// bundle (what the derive emits next to a compile error).
fn body(meta: &[u8]) -> Vec<u8> {
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
    match Encoding::Brotli.decode(&meta[16..]) {
        Ok(body) if body.len() == number(len) as usize => body,
        _ => corrupt("bad compressed meta"),
    }
}

/// One representation as the meta describes it.
struct Raw {
    encoding: Encoding,
    bytes: &'static [u8],
    len: u64,
}

/// One asset as the meta describes it.
struct Record {
    /// Where its path, fingerprinted path, URL, content type and SRI string start in the text,
    /// and where each ends after that.
    start: usize,
    ends: [u16; 6],
    /// Where its content hash ends, after `start` (it follows the SRI string).
    hash_end: usize,
    compressed_only: bool,
    /// The file as written of the record before, whose references were rewritten.
    as_written: bool,
    /// Offered as a compression dictionary under its fingerprinted URL.
    dictionary: bool,
    identity: Raw,
    variants: usize,
    /// How many insertions this record lists (for the file as written after it).
    insertions: usize,
}

fn raw(cursor: &mut Cursor<'_>, chunks: &[&'static [u8]]) -> Raw {
    let encoding = Encoding::from_pack_code(cursor.u8()).unwrap_or_else(|| corrupt("encoding"));
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

/// Reads a pack: the meta (see [`body`]) and the data chunks its records point into. An empty
/// meta is an empty bundle.
pub(crate) fn load(meta: &[u8], chunks: &[&'static [u8]]) -> Fixed {
    let body = body(meta);
    if body.is_empty() {
        return Fixed::new(String::new(), Vec::new());
    }
    let mut cursor = Cursor { bytes: &body };
    let (asset_count, variant_count) = (cursor.usize(), cursor.usize());
    let (text_len, prefix_len) = (cursor.usize(), cursor.usize());
    let Ok(text) = std::str::from_utf8(cursor.take(text_len)) else {
        corrupt("text is not UTF-8");
    };
    let text: Arc<str> = Arc::from(text);
    let records: Vec<Record> = (0..asset_count)
        .map(|_| {
            let start = cursor.usize();
            let mut ends = [0; 6];
            for end in &mut ends {
                *end = cursor.u16();
            }
            let hash_end = usize::from(cursor.u16());
            let flags = cursor.u8();
            let (compressed_only, as_written) = (flags & 1 != 0, flags & 2 != 0);
            let dictionary = flags & 4 != 0;
            let identity = raw(&mut cursor, chunks);
            let variants = usize::from(cursor.u8());
            let insertions = cursor.usize();
            if text.get(start..start + hash_end).is_none() || usize::from(ends[5]) > hash_end {
                corrupt("text out of bounds");
            }
            Record {
                start,
                ends,
                hash_end,
                compressed_only,
                as_written,
                dictionary,
                identity,
                variants,
                insertions,
            }
        })
        .collect();
    let raws: Vec<Raw> = (0..variant_count)
        .map(|_| raw(&mut cursor, chunks))
        .collect();
    let mut insertions = records
        .iter()
        .map(|record| -> Box<[u32]> { (0..record.insertions).map(|_| cursor.u32()).collect() });
    let prefix = text
        .get(..prefix_len)
        .unwrap_or_else(|| corrupt("prefix"))
        .to_owned();

    // Every asset's content type and every representation's entity tag and length in decimal,
    // in one buffer whose slices become the header values. The buffer is kept for the life of
    // the program, once per bundle, like the bundle's bytes in the binary: static header values
    // are cloned into each response without touching a reference count.
    let (headers, types, spans) = header_texts(&text, &records, &raws);
    let headers: &'static str = Box::leak(headers.into_boxed_str());
    let value = |range: Range<usize>| {
        let text = headers.get(range).unwrap_or_else(|| corrupt("header text"));
        // `from_static` panics on what a header value cannot hold; kiln-bake writes none of it.
        if !text
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
        {
            corrupt("header text");
        }
        HeaderValue::from_static(text)
    };
    let (mut types, mut spans) = (types.into_iter(), spans.into_iter());
    let mut represent = |raw: &Raw| {
        let len = usize::try_from(raw.len).unwrap_or_else(|_| corrupt("length"));
        let (etag, decimal) = spans.next().unwrap_or_else(|| corrupt("texts"));
        Variant::new(
            raw.encoding,
            Bytes::from_static(raw.bytes),
            len,
            value(etag),
            value(decimal),
        )
    };
    let mut assets: Vec<Asset> = Vec::with_capacity(records.len());
    for (record, asset) in each(&records, &raws).map(|(record, own)| {
        let content_type = value(types.next().unwrap_or_else(|| corrupt("types")));
        let identity = represent(&record.identity);
        let variants = own.iter().map(&mut represent).collect();
        let mut asset = Asset::new(
            Arc::clone(&text),
            record.start,
            record.ends,
            content_type,
            identity,
            variants,
            record.compressed_only,
        );
        asset.set_dictionary(record.dictionary);
        (record, asset)
    }) {
        let removals = insertions.next().unwrap_or_default();
        match assets.last_mut() {
            Some(rewritten) if record.as_written => rewritten.derive_as_written(asset),
            _ => {
                let mut asset = asset;
                asset.set_insertions(removals);
                assets.push(asset);
            }
        }
    }
    Fixed::new(prefix, assets)
}

/// Each record, with its own variants (the meta lists each asset's in turn).
fn each<'a>(
    records: &'a [Record],
    raws: &'a [Raw],
) -> impl Iterator<Item = (&'a Record, &'a [Raw])> {
    let mut first = 0;
    records.iter().map(move |record| {
        let own = first..first + record.variants;
        first = own.end;
        let own = raws
            .get(own)
            .unwrap_or_else(|| corrupt("variants out of bounds"));
        (record, own)
    })
}

/// The header texts of every asset, in one string: its content type, then each
/// representation's entity tag and length in decimal, identity then variants; and where each
/// content type, and each tag and length, is.
#[allow(clippy::type_complexity)]
fn header_texts(
    text: &str,
    records: &[Record],
    raws: &[Raw],
) -> (String, Vec<Range<usize>>, Vec<(Range<usize>, Range<usize>)>) {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(records.len() * 250);
    let mut types = Vec::with_capacity(records.len());
    let mut spans = Vec::with_capacity(records.len() + raws.len());
    for (record, own) in each(records, raws) {
        let field = |from: usize, to: usize| {
            &text[record.start + usize::from(record.ends[from])..record.start + to]
        };
        let start = out.len();
        out.push_str(field(3, usize::from(record.ends[4])));
        types.push(start..out.len());
        let hash = field(5, record.hash_end);
        for raw in std::iter::once(&record.identity).chain(own) {
            let start = out.len();
            asset::write_etag(&mut out, hash, raw.encoding, raw.bytes);
            let split = out.len();
            let _ = write!(out, "{}", raw.len);
            spans.push((start..split, split..out.len()));
        }
    }
    (out, types, spans)
}
