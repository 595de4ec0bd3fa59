//! `Accept-Encoding` (RFC 9110 §12.5.3): choosing the representation to send.
//!
//! Hand-written: headers 0.4 dropped its typed `AcceptEncoding`, and no other well-kept crate
//! offers one. The parser walks the header's bytes once without allocating or validating them
//! first (a byte that is not part of a known coding simply matches nothing).

use super::conditional::trim;
use super::dictionary;
use super::fields::{Field, Fields};
use crate::asset::{Asset, Encoding};

/// A quality value in thousandths: `q=0.5` is 500. RFC 9110 §12.4.2 allows three decimals.
type Quality = u16;

/// How many codings kiln-codec's table has.
const CODINGS: usize = kiln_codec::TABLE.len();

/// What the request says about each content coding Kiln knows (by [`Encoding::index`]), and
/// about `*`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Preferences {
    explicit: [Option<Quality>; CODINGS],
    any: Option<Quality>,
}

/// The quality a request gives each encoding, defaults applied (`*`, and identity's implicit
/// acceptability), indexed by [`Encoding::index`]: what [`choose`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Qualities([Quality; CODINGS]);

impl Qualities {
    /// The named codings at q=1; any other coding not acceptable, identity the last resort (or,
    /// when it is named, at q=1 too).
    const fn listed(codings: &[Encoding]) -> Self {
        let mut qualities = [0; CODINGS];
        qualities[Encoding::Identity.index()] = 1;
        let mut i = 0;
        while i < codings.len() {
            qualities[codings[i].index()] = 1000;
            i += 1;
        }
        Qualities(qualities)
    }

    fn of(self, encoding: Encoding) -> Quality {
        self.0[encoding.index()]
    }

    /// The request's qualities; `None` without an `Accept-Encoding` header.
    fn parse(fields: &Fields<'_>) -> Option<Self> {
        let mut values = fields.values(Field::AcceptEncoding);
        let first = values.next()?.as_bytes();
        let mut prefs = Preferences::default();
        match values.next() {
            None => {
                if let Some((_, common)) = COMMON.iter().find(|(value, _)| *value == first) {
                    return Some(*common);
                }
                prefs.list(first);
            }
            Some(second) => {
                prefs.list(first);
                prefs.list(second.as_bytes());
                for value in values {
                    prefs.list(value.as_bytes());
                }
            }
        }
        Some(prefs.qualities())
    }
}

/// What browsers and common clients send, read in advance: one of these is most requests'
/// `Accept-Encoding`, and comparing it costs a tenth of parsing it (callgrind). A unit test checks
/// every entry against the parser.
static COMMON: [(&[u8], Qualities); 12] = {
    use Encoding::{Brotli, Dcb, Dcz, Gzip, Identity, Zstd};
    const BR_ZSTD_GZIP: Qualities = Qualities::listed(&[Brotli, Zstd, Gzip]);
    const BR_GZIP: Qualities = Qualities::listed(&[Brotli, Gzip]);
    const GZIP: Qualities = Qualities::listed(&[Gzip]);
    [
        // Chrome, Edge and Firefox since 2024.
        (b"gzip, deflate, br, zstd", BR_ZSTD_GZIP),
        // Chrome and Edge when they hold a dictionary for the URL (RFC 9842).
        (
            b"gzip, deflate, br, zstd, dcb, dcz",
            Qualities::listed(&[Brotli, Zstd, Gzip, Dcb, Dcz]),
        ),
        // Safari, and earlier browsers.
        (b"gzip, deflate, br", BR_GZIP),
        // curl --compressed.
        (b"deflate, gzip, br, zstd", BR_ZSTD_GZIP),
        (b"deflate, gzip, br", BR_GZIP),
        (b"deflate, gzip", GZIP),
        // Python's requests and many HTTP libraries.
        (b"gzip, deflate", GZIP),
        (b"br, gzip", BR_GZIP),
        (b"gzip, br", BR_GZIP),
        (b"gzip", GZIP),
        (b"br", Qualities::listed(&[Brotli])),
        (b"identity", Qualities::listed(&[Identity])),
    ]
};

impl Preferences {
    fn qualities(&self) -> Qualities {
        let mut qualities = Qualities([0; CODINGS]);
        for encoding in Encoding::ALL {
            qualities.0[encoding.index()] = self.quality(encoding);
        }
        qualities
    }

    /// Reads one `Accept-Encoding` line: `#( codings [ weight ] )`, RFC 9110 §12.5.3. Indexing
    /// by hand: it runs on nearly every request, and this is a third of the instructions of
    /// splitting into sub-slices and trimming them (callgrind).
    fn list(&mut self, bytes: &[u8]) {
        let ows = |b: u8| b == b' ' || b == b'\t';
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            while i < n && (ows(bytes[i]) || bytes[i] == b',') {
                i += 1;
            }
            let start = i;
            while i < n && !matches!(bytes[i], b',' | b';' | b' ' | b'\t') {
                i += 1;
            }
            let coding = &bytes[start..i];
            while i < n && ows(bytes[i]) {
                i += 1;
            }
            let params = i < n && bytes[i] == b';';
            // Anything else before the `,` (`br x`) makes the entry malformed.
            let well_formed = i == n || params || bytes[i] == b',';
            let params_start = i + 1;
            while i < n && bytes[i] != b',' {
                i += 1;
            }
            if coding.is_empty() || !well_formed {
                continue;
            }
            // Codings Kiln never sends (`deflate`, ...) are skipped before their parameters.
            let Some(slot) = self.slot(coding) else {
                continue;
            };
            let quality = if params {
                weight(&bytes[params_start..i])
            } else {
                Some(1000)
            };
            // A malformed q-value makes the whole entry meaningless: skip it.
            let Some(quality) = quality else { continue };
            // When a coding is listed twice, the most generous entry wins.
            *slot = Some(slot.map_or(quality, |q| q.max(quality)));
        }
    }

    /// Where the quality of `coding` goes; `None` for codings Kiln does not know (kiln-codec's
    /// table names them, aliases included).
    fn slot(&mut self, coding: &[u8]) -> Option<&mut Option<Quality>> {
        if coding == b"*" {
            return Some(&mut self.any);
        }
        let encoding = Encoding::from_accepted(coding)?;
        self.explicit.get_mut(encoding.index())
    }

    /// The quality the request gives `encoding`; 0 means "not acceptable".
    fn quality(&self, encoding: Encoding) -> Quality {
        let explicit = self.explicit.get(encoding.index()).copied().flatten();
        match (explicit, self.any, encoding) {
            (Some(q), _, _) => q,
            (None, Some(q), _) => q,
            // Identity is acceptable unless excluded, but any coding the client names, at any
            // q > 0, is preferred to it: 1 is the lowest non-zero quality.
            (None, None, Encoding::Identity) => 1,
            (None, None, _) => 0,
        }
    }
}

/// The quality given by an entry's parameters (what follows its first `;`): the last `q=`, 1000
/// without one, `None` if it is malformed.
fn weight(params: &[u8]) -> Option<Quality> {
    let mut quality = Some(1000);
    for param in params.split(|&b| b == b';') {
        let (name, v) = match param.iter().position(|&b| b == b'=') {
            Some(i) => (&param[..i], &param[i + 1..]),
            None => (param, &[][..]),
        };
        if trim(name).eq_ignore_ascii_case(b"q") {
            quality = parse_quality(trim(v));
        }
    }
    quality
}

/// `1`, `1.0`, `0.5`, `0.125`, `0`: at most three decimals, at most 1 (RFC 9110 §12.4.2).
fn parse_quality(s: &[u8]) -> Option<Quality> {
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[][..]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths: Quality = 0;
    for (&b, scale) in frac.iter().zip([100, 10, 1]) {
        thousandths += Quality::from(b - b'0') * scale;
    }
    match int {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Picks the representation of `asset` to send for a request with these `headers`: its index
/// among the asset's representations (0 for identity, then 1 + the variant's position, then the
/// deltas).
///
/// The highest quality wins; ties go to the smallest representation; `q=0` forbids. Without an
/// `Accept-Encoding` header, identity is sent. When nothing is acceptable, identity is sent anyway
/// (RFC 9110 §12.5.3 allows it, and it beats a 406 for a static file).
///
/// Under a fingerprinted (`immutable`) URL, the deltas made against the dictionary the request
/// names in `Available-Dictionary` compete too, as `dcb` and `dcz` (RFC 9842), unless the
/// request is a cross-origin `no-cors` one.
pub(crate) fn choose(asset: &Asset, fields: &Fields<'_>, immutable: bool) -> usize {
    let stored = asset.stored_variants();
    if stored.is_empty() {
        return 0;
    }
    let Some(qualities) = Qualities::parse(fields) else {
        return 0;
    };
    // Which deltas may compete: none, unless the request names a dictionary one was made with.
    let dictionary = if immutable && fields.has(Field::AvailableDictionary) {
        named_dictionary(asset, fields)
    } else {
        None
    };
    let mut best = 0;
    let mut best_len = asset.len();
    let mut best_q = qualities.of(Encoding::Identity);
    for (i, variant) in stored.iter().enumerate() {
        let encoding = variant.encoding();
        if encoding.needs_dictionary()
            && (dictionary.is_none() || dictionary::of(variant) != dictionary.as_ref())
        {
            continue;
        }
        let q = qualities.of(encoding);
        if q > best_q || (q == best_q && q > 0 && variant.len() < best_len) {
            best = i + 1;
            best_len = variant.len();
            best_q = q;
        }
    }
    best
}

/// The dictionary a request names, when `asset` has deltas and a delta may answer the request.
fn named_dictionary(
    asset: &Asset,
    fields: &Fields<'_>,
) -> Option<kiln_codec::delta::DictionaryHash> {
    if asset.deltas().is_empty() || !dictionary::allowed(fields.headers()) {
        return None;
    }
    let mut values = fields.values(Field::AvailableDictionary);
    let value = values.next()?;
    // Two lines are a list, not the one byte sequence the field is.
    if values.next().is_some() {
        return None;
    }
    dictionary::requested(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::ACCEPT_ENCODING;
    use http::{HeaderMap, HeaderValue};

    fn prefs(value: &'static str) -> Preferences {
        let mut prefs = Preferences::default();
        prefs.list(value.as_bytes());
        prefs
    }

    fn qualities(headers: &HeaderMap) -> Option<Qualities> {
        Qualities::parse(&Fields::new(headers))
    }

    /// The values read in advance mean what the parser says they mean.
    #[test]
    fn common_values_agree_with_the_parser() {
        for (value, common) in &COMMON {
            let mut parsed = Preferences::default();
            parsed.list(value);
            assert_eq!(
                parsed.qualities(),
                *common,
                "{}",
                String::from_utf8_lossy(value)
            );
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_bytes(value).unwrap());
            assert_eq!(qualities(&headers), Some(*common));
        }
    }

    #[test]
    fn several_lines_are_merged() {
        let mut headers = HeaderMap::new();
        headers.append(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        headers.append(ACCEPT_ENCODING, HeaderValue::from_static("br;q=0.5"));
        headers.append(ACCEPT_ENCODING, HeaderValue::from_static("identity;q=0"));
        let q = qualities(&headers).unwrap();
        assert_eq!(q.of(Encoding::Gzip), 1000);
        assert_eq!(q.of(Encoding::Brotli), 500);
        assert_eq!(q.of(Encoding::Identity), 0);
        assert_eq!(q.of(Encoding::Zstd), 0);
    }

    #[test]
    fn quality_values() {
        assert_eq!(parse_quality(b"1"), Some(1000));
        assert_eq!(parse_quality(b"1.000"), Some(1000));
        assert_eq!(parse_quality(b"0.5"), Some(500));
        assert_eq!(parse_quality(b"0.125"), Some(125));
        assert_eq!(parse_quality(b"0"), Some(0));
        assert_eq!(parse_quality(b"0."), Some(0));
        assert_eq!(parse_quality(b"1.5"), None);
        assert_eq!(parse_quality(b"2"), None);
        assert_eq!(parse_quality(b"0.1234"), None);
        assert_eq!(parse_quality(b""), None);
        assert_eq!(parse_quality(b"abc"), None);
    }

    #[test]
    fn case_whitespace_and_q() {
        let p = prefs(" GZIP ; Q=0.5 ,Br;q=1,  identity;q=0 ");
        assert_eq!(p.quality(Encoding::Gzip), 500);
        assert_eq!(p.quality(Encoding::Brotli), 1000);
        assert_eq!(p.quality(Encoding::Identity), 0);
        assert_eq!(p.quality(Encoding::Zstd), 0);
    }

    #[test]
    fn star_covers_unlisted_codings_including_identity() {
        let p = prefs("br;q=0, *;q=0.3");
        assert_eq!(p.quality(Encoding::Brotli), 0);
        assert_eq!(p.quality(Encoding::Gzip), 300);
        assert_eq!(p.quality(Encoding::Identity), 300);
        let p = prefs("*;q=0");
        assert_eq!(p.quality(Encoding::Identity), 0);
        let p = prefs("*;q=0, identity");
        assert_eq!(p.quality(Encoding::Identity), 1000);
    }

    #[test]
    fn unlisted_identity_is_the_last_resort() {
        let p = prefs("gzip;q=0.1");
        assert!(p.quality(Encoding::Gzip) > p.quality(Encoding::Identity));
        assert!(p.quality(Encoding::Identity) > 0);
    }

    #[test]
    fn malformed_entries_are_skipped() {
        let p = prefs("br;q=x, gzip;q=2, zstd");
        assert_eq!(p.quality(Encoding::Brotli), 0);
        assert_eq!(p.quality(Encoding::Gzip), 0);
        assert_eq!(p.quality(Encoding::Zstd), 1000);
    }

    #[test]
    fn separators_and_junk() {
        let p = prefs(",, br ,\tgzip\t;\tq=0.5 ,");
        assert_eq!(p.quality(Encoding::Brotli), 1000);
        assert_eq!(p.quality(Encoding::Gzip), 500);
        // Not a coding followed by a weight: the entry is malformed, not `br`.
        let p = prefs("br x, gzip y;q=1, zstd");
        assert_eq!(p.quality(Encoding::Brotli), 0);
        assert_eq!(p.quality(Encoding::Gzip), 0);
        assert_eq!(p.quality(Encoding::Zstd), 1000);
        let p = prefs("deflate;q=0.9;x=y, br;foo;q=0.2");
        assert_eq!(p.quality(Encoding::Brotli), 200);
        let p = prefs("gzip;q=0.5, gzip;q=0.8, GZIP;q=0.1");
        assert_eq!(p.quality(Encoding::Gzip), 800);
    }

    #[test]
    fn no_header_means_none() {
        assert_eq!(qualities(&HeaderMap::new()), None);
        let p = prefs("");
        assert_eq!(p.quality(Encoding::Identity), 1);
        assert_eq!(p.quality(Encoding::Brotli), 0);
    }
}
