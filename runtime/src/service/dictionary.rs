//! Compression Dictionary Transport (RFC 9842), the HTTP half: which dictionary a request names
//! (`Available-Dictionary`), whether a delta may answer it (the rule for cross-origin no-cors
//! requests), and the `Use-As-Dictionary` a fingerprinted response offers for the next version.
//!
//! The deltas themselves are baked (kiln-bake's `deltas`); each starts with the SHA-256 of the
//! dictionary it answers to, which is how one is found for a request.

use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue};
use kiln_codec::delta::{self, DictionaryHash};

use crate::asset::Variant;

/// The request field naming the dictionary the client holds.
pub(crate) const AVAILABLE_DICTIONARY: HeaderName = HeaderName::from_static("available-dictionary");
/// The response field that offers a response as a dictionary.
pub(crate) const USE_AS_DICTIONARY: HeaderName = HeaderName::from_static("use-as-dictionary");
const SEC_FETCH_MODE: HeaderName = HeaderName::from_static("sec-fetch-mode");
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// The SHA-256 an `Available-Dictionary` value names: a structured-field byte sequence
/// (RFC 9651 §3.3.5) of exactly 32 bytes. `None` for anything else (which gets the ordinary
/// answer, never an error).
///
/// The form every client sends, `:<44 base64 characters>:`, is decoded here onto the stack: the
/// `sfv` crate decodes a byte sequence into a `Vec`, and a delta is served with no allocation.
/// Any other form (parameters, padding left out) goes through `sfv`.
pub(crate) fn requested(value: &HeaderValue) -> Option<DictionaryHash> {
    let text = value.to_str().ok()?;
    let mut hash = [0u8; 32];
    if let Some(inner) = text
        .strip_prefix(':')
        .and_then(|rest| rest.strip_suffix(':'))
        .filter(|inner| inner.len() == 44 && !inner.contains(':'))
    {
        // 44 characters decode to at most 33 bytes; the buffer must hold the estimate.
        let mut out = [0u8; 33];
        let n = base64::engine::general_purpose::STANDARD
            .decode_slice(inner, &mut out)
            .ok()?;
        if n != 32 {
            return None;
        }
        hash.copy_from_slice(&out[..32]);
        return Some(hash);
    }
    let bytes = sfv::Parser::new(text)
        .parse_item_with_visitor(ByteSequence)
        .ok()
        .flatten()?;
    hash.copy_from_slice(bytes.get(..32).filter(|_| bytes.len() == 32)?);
    Some(hash)
}

/// Reads an item's bare value if it is a byte sequence, ignoring its parameters.
struct ByteSequence;

impl<'de> sfv::visitor::ItemVisitor<'de> for ByteSequence {
    type Out = Option<Vec<u8>>;
    type Error = std::convert::Infallible;

    fn bare_item(
        self,
        bare_item: sfv::BareItemFromInput<'de>,
    ) -> Result<impl sfv::visitor::ParameterVisitor<'de, Out = Self::Out>, Self::Error> {
        Ok(sfv::visitor::parameter_visitor_with(
            sfv::visitor::Ignored,
            move |_| {
                Ok(match bare_item {
                    sfv::GenericBareItem::ByteSequence(bytes) => Some(bytes),
                    _ => None,
                })
            },
        ))
    }
}

/// Whether a delta may answer this request: not a cross-origin `no-cors` request (RFC 9842's
/// security considerations: such a response is opaque to the page, and neither it nor the
/// dictionary may become readable through the compression). A `no-cors` request is allowed only
/// when `Sec-Fetch-Site` says `same-origin`.
pub(crate) fn allowed(headers: &HeaderMap) -> bool {
    match headers.get(SEC_FETCH_MODE) {
        Some(mode) if mode.as_bytes().eq_ignore_ascii_case(b"no-cors") => headers
            .get(SEC_FETCH_SITE)
            .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"same-origin")),
        _ => true,
    }
}

/// The dictionary a delta answers to (read off its RFC 9842 §4 header).
pub(crate) fn of(variant: &Variant) -> Option<&DictionaryHash> {
    delta::dictionary_of(variant.bytes())
}

/// The `Use-As-Dictionary` value for a fingerprinted URL whose path is `url_path` (absolute,
/// percent-encoded) and whose fingerprint is `fingerprint`: `match="<path with * in place of
/// the fingerprint>"`, so that the next version, under its own fingerprint, matches.
///
/// The path is a URL pattern (URLPattern syntax), so the characters special to it (`:`, `*`,
/// `(`, `)`, `{`, `}`, `?`, `+`, `\`) are escaped with `\`; the pattern is then serialised as a
/// structured-field string (which escapes `\` and `"` again). `None` if the fingerprint is not in
/// the path or the path cannot be a header value.
pub(crate) fn use_as_dictionary(url_path: &str, fingerprint: &str) -> Option<HeaderValue> {
    let at = url_path.rfind(&format!(".{fingerprint}"))? + 1;
    let mut pattern = String::with_capacity(url_path.len() + 8);
    let escape = |pattern: &mut String, part: &str| {
        for c in part.chars() {
            if matches!(c, ':' | '*' | '(' | ')' | '{' | '}' | '?' | '+' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
    };
    escape(&mut pattern, &url_path[..at]);
    pattern.push('*');
    escape(&mut pattern, &url_path[at + fingerprint.len()..]);
    let mut out = sfv::DictSerializer::new();
    out.bare_item(
        sfv::KeyRef::constant("match"),
        sfv::StringRef::from_str(&pattern).ok()?,
    );
    HeaderValue::try_from(out.finish()?).ok()
}

/// The path of a URL: itself when it is a path, else what follows its scheme and host
/// (`https://cdn.example.com/assets/app.css` gives `/assets/app.css`).
pub(crate) fn path_of(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    /// What the structured-field parser makes of a value: the 32 bytes, if it is such a byte
    /// sequence.
    fn by_sfv(s: &str) -> Option<Vec<u8>> {
        match sfv::Parser::new(s).parse::<sfv::Item>().ok()?.bare_item {
            sfv::BareItem::ByteSequence(bytes) if bytes.len() == 32 => Some(bytes),
            _ => None,
        }
    }

    #[test]
    fn available_dictionary_is_a_32_byte_sequence() {
        let hash: Vec<u8> = (0..32).map(|i| i * 7).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&hash);
        let good = [
            format!(":{b64}:"),
            format!(":{b64}:;v=1"),
            format!("  :{b64}:  "),
            format!(":{}:", b64.trim_end_matches('=')),
        ];
        for s in &good {
            assert_eq!(
                requested(&value(s)).map(|h| h.to_vec()),
                Some(hash.clone()),
                "{s}"
            );
        }
        let short = base64::engine::general_purpose::STANDARD.encode(&hash[..31]);
        let long =
            base64::engine::general_purpose::STANDARD.encode([hash.clone(), vec![1]].concat());
        let bad = [
            String::new(),
            b64.clone(),
            format!(":{short}:"),
            format!(":{long}:"),
            format!("\"{b64}\""),
            format!(":{}!:", &b64[..43]),
            format!(":{b64}:, :{b64}:"),
            format!(":{b64}"),
            "?1".to_owned(),
            ":::".to_owned(),
        ];
        for s in &bad {
            assert_eq!(requested(&value(s)), None, "{s}");
        }
        // The hand-written path agrees with the structured-field parser on all of these.
        for s in good.iter().chain(&bad) {
            assert_eq!(requested(&value(s)).map(|h| h.to_vec()), by_sfv(s), "{s}");
        }
    }

    proptest::proptest! {
        /// Whatever the value, the hand-written reader and the structured-field parser agree:
        /// values made of a byte sequence's characters, of about its length, around colons.
        #[test]
        fn the_reader_agrees_with_sfv(
            inner in "[A-Za-z0-9+/=:; ]{0,50}",
            hash in proptest::collection::vec(proptest::num::u8::ANY, 32),
            params in "(;[a-z]{1,3}(=[0-9]{1,2})?)?",
        ) {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&hash);
            for s in [inner.clone(), format!(":{inner}:"), format!(":{b64}:{params}")] {
                let Ok(header) = HeaderValue::from_str(&s) else { continue };
                proptest::prop_assert_eq!(
                    requested(&header).map(|h| h.to_vec()),
                    by_sfv(&s),
                    "{}",
                    s
                );
            }
        }
    }

    #[test]
    fn cross_origin_no_cors_requests_get_no_delta() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, v) in pairs {
                map.insert(*name, HeaderValue::from_static(v));
            }
            map
        };
        assert!(allowed(&headers(&[])));
        assert!(allowed(&headers(&[
            ("sec-fetch-mode", "cors"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(allowed(&headers(&[
            ("sec-fetch-mode", "no-cors"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!allowed(&headers(&[
            ("sec-fetch-mode", "no-cors"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!allowed(&headers(&[
            ("sec-fetch-mode", "no-cors"),
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!allowed(&headers(&[("sec-fetch-mode", "no-cors")])));
    }

    #[test]
    fn match_patterns_put_a_star_in_place_of_the_fingerprint() {
        let fp = "3f2a9c1e8b47";
        let header = |path: &str| use_as_dictionary(path, fp).unwrap();
        assert_eq!(
            header("/static/js/app.3f2a9c1e8b47.js"),
            r#"match="/static/js/app.*.js""#
        );
        assert_eq!(header("/LICENSE.3f2a9c1e8b47"), r#"match="/LICENSE.*""#);
        // URLPattern's special characters are escaped, then the string is a structured field.
        let special = header("/s/a(1)+b:c.3f2a9c1e8b47.js");
        assert_eq!(special, r#"match="/s/a\\(1\\)\\+b\\:c.*.js""#);
        let parsed: sfv::Dictionary = sfv::Parser::new(special.to_str().unwrap()).parse().unwrap();
        match parsed.get("match") {
            Some(sfv::ListEntry::Item(item)) => match &item.bare_item {
                sfv::BareItem::String(s) => assert_eq!(s.as_str(), r"/s/a\(1\)\+b\:c.*.js"),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        assert_eq!(use_as_dictionary("/static/js/app.js", fp), None);
        assert_eq!(
            path_of("https://cdn.example.com/assets/a.css"),
            "/assets/a.css"
        );
        assert_eq!(path_of("https://cdn.example.com"), "/");
        assert_eq!(path_of("/static/a.css"), "/static/a.css");
    }
}
