//! `Accept-Encoding` (RFC 9110 §12.5.3): choosing the representation to send.
//!
//! Hand-written: headers 0.4 dropped its typed `AcceptEncoding`, and no other well-kept crate
//! offers one. The parser walks the header's bytes once without allocating or validating them
//! first (a byte that is not part of a known coding simply matches nothing).

use http::HeaderMap;
use http::header::ACCEPT_ENCODING;

use super::conditional::trim;
use crate::asset::{Asset, Encoding, Variant};

/// A quality value in thousandths: `q=0.5` is 500. RFC 9110 §12.4.2 allows three decimals.
type Quality = u16;

/// What the request says about one content coding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Preferences {
    br: Option<Quality>,
    zstd: Option<Quality>,
    gzip: Option<Quality>,
    identity: Option<Quality>,
    any: Option<Quality>,
}

impl Preferences {
    fn parse(headers: &HeaderMap) -> Option<Self> {
        let mut prefs = Preferences::default();
        let mut present = false;
        for value in headers.get_all(ACCEPT_ENCODING) {
            present = true;
            for entry in value.as_bytes().split(|&b| b == b',') {
                let mut parts = entry.split(|&b| b == b';');
                let coding = trim(parts.next().unwrap_or_default());
                if coding.is_empty() {
                    continue;
                }
                let mut quality = Some(1000);
                for param in parts {
                    let (name, v) = match param.iter().position(|&b| b == b'=') {
                        Some(i) => (&param[..i], &param[i + 1..]),
                        None => (param, &[][..]),
                    };
                    if trim(name).eq_ignore_ascii_case(b"q") {
                        quality = parse_quality(trim(v));
                    }
                }
                // A malformed q-value makes the whole entry meaningless: skip it.
                let Some(quality) = quality else { continue };
                let slot = if coding.eq_ignore_ascii_case(b"br") {
                    &mut prefs.br
                } else if coding.eq_ignore_ascii_case(b"gzip")
                    || coding.eq_ignore_ascii_case(b"x-gzip")
                {
                    &mut prefs.gzip
                } else if coding.eq_ignore_ascii_case(b"zstd") {
                    &mut prefs.zstd
                } else if coding.eq_ignore_ascii_case(b"identity") {
                    &mut prefs.identity
                } else if coding == b"*" {
                    &mut prefs.any
                } else {
                    continue;
                };
                // When a coding is listed twice, the most generous entry wins.
                *slot = Some(slot.map_or(quality, |q| q.max(quality)));
            }
        }
        present.then_some(prefs)
    }

    /// The quality the request gives `encoding`; 0 means "not acceptable".
    fn quality(&self, encoding: Encoding) -> Quality {
        let explicit = match encoding {
            Encoding::Brotli => self.br,
            Encoding::Zstd => self.zstd,
            Encoding::Gzip => self.gzip,
            Encoding::Identity => self.identity,
        };
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

/// Picks the representation of `asset` to send for a request with these `headers`.
///
/// The highest quality wins; ties go to the smallest representation; `q=0` forbids. Without an
/// `Accept-Encoding` header, identity is sent. When nothing is acceptable, identity is sent anyway
/// (RFC 9110 §12.5.3 allows it, and it beats a 406 for a static file).
pub(crate) fn choose(asset: &'static Asset, headers: &HeaderMap) -> &'static Variant {
    let identity = &asset.identity;
    if asset.variants().is_empty() {
        return identity;
    }
    let Some(prefs) = Preferences::parse(headers) else {
        return identity;
    };
    let mut best = identity;
    let mut best_q = prefs.quality(Encoding::Identity);
    for variant in asset.variants() {
        let q = prefs.quality(variant.encoding());
        if q > best_q || (q == best_q && q > 0 && variant.len() < best.len()) {
            best = variant;
            best_q = q;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn prefs(value: &'static str) -> Preferences {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(value));
        Preferences::parse(&headers).unwrap()
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
    fn no_header_means_none() {
        assert_eq!(Preferences::parse(&HeaderMap::new()), None);
        let p = prefs("");
        assert_eq!(p.quality(Encoding::Identity), 1);
        assert_eq!(p.quality(Encoding::Brotli), 0);
    }
}
