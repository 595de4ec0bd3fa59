//! Entity-tag preconditions: `If-Match`, `If-None-Match` (RFC 9110 §13.1.1-2) and the entity-tag
//! form of `If-Range` (§13.1.5).
//!
//! Hand-written rather than through `headers`' typed headers: decoding those clones the header
//! value, which allocates whenever the request's header bytes are not already shared, and the
//! service promises no allocation per request (the counting-allocator test checks it). This walks
//! the header in place.

use super::fields::{Field, Fields};

/// Which comparison function of RFC 9110 §8.8.3.2 to use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Comparison {
    /// Both tags strong and equal.
    Strong,
    /// Opaque tags equal, weak or not.
    Weak,
}

/// The outcome of one precondition header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Condition {
    /// The header is absent (or unparseable, which RFC 9110 §13.1 says to treat alike).
    Absent,
    /// `*`, or a listed tag matches.
    Matches,
    /// Present, and nothing matches.
    Fails,
}

/// `If-Match` against the current representation's `etag` (strong comparison).
pub(crate) fn if_match(fields: &Fields<'_>, etag: &[u8]) -> Condition {
    evaluate(fields, Field::IfMatch, etag, Comparison::Strong)
}

/// `If-None-Match` against the current representation's `etag` (weak comparison).
pub(crate) fn if_none_match(fields: &Fields<'_>, etag: &[u8]) -> Condition {
    evaluate(fields, Field::IfNoneMatch, etag, Comparison::Weak)
}

/// `If-Range`: whether a range may be served. Without the header, yes; with an entity tag, only
/// if it strongly matches `etag`; with a date, no: there is no `Last-Modified` to compare it to.
pub(crate) fn if_range_allows(fields: &Fields<'_>, etag: &[u8]) -> bool {
    let mut values = fields.values(Field::IfRange);
    let Some(value) = values.next() else {
        return true;
    };
    if values.next().is_some() {
        return false;
    }
    let value = trim(value.as_bytes());
    match parse_tag(value) {
        Some((tag, rest)) => trim(rest).is_empty() && tag.matches(etag, Comparison::Strong),
        None => false,
    }
}

fn evaluate(fields: &Fields<'_>, field: Field, etag: &[u8], how: Comparison) -> Condition {
    let mut present = false;
    for value in fields.values(field) {
        present = true;
        match list_matches(value.as_bytes(), etag, how) {
            Some(true) => return Condition::Matches,
            Some(false) => {}
            // A malformed field value: RFC 9110 §13.1 allows ignoring the header.
            None => return Condition::Absent,
        }
    }
    if present {
        Condition::Fails
    } else {
        Condition::Absent
    }
}

/// `"*"` or `#entity-tag`: `Some(true)` if it matches, `None` if it does not parse.
fn list_matches(value: &[u8], etag: &[u8], how: Comparison) -> Option<bool> {
    let mut rest = trim(value);
    // What a client revalidating its copy sends: the tag it was given, alone. Comparing it whole
    // costs a tenth of parsing it (callgrind, with Kiln's 69-byte tags).
    let exact = match (how, rest) {
        (Comparison::Weak, [b'W', b'/', tag @ ..]) => tag,
        _ => rest,
    };
    if rest == b"*" || exact == etag {
        return Some(true);
    }
    let mut matched = false;
    loop {
        // Empty list elements (`a, , b`) are allowed (RFC 9110 §5.6.1).
        while let [b',' | b' ' | b'\t', tail @ ..] = rest {
            rest = tail;
        }
        if rest.is_empty() {
            return Some(matched);
        }
        let (tag, tail) = parse_tag(rest)?;
        matched |= tag.matches(etag, how);
        rest = trim_start(tail);
        match rest {
            [] => return Some(matched),
            [b',', ..] => {}
            _ => return None,
        }
    }
}

/// An entity-tag as it appears in a request: weak or not, and its opaque tag with the quotes.
struct Tag<'a> {
    weak: bool,
    opaque: &'a [u8],
}

impl Tag<'_> {
    /// `etag` is the server's tag, quoted and strong.
    fn matches(&self, etag: &[u8], how: Comparison) -> bool {
        self.opaque == etag && (how == Comparison::Weak || !self.weak)
    }
}

/// `[ "W/" ] DQUOTE *etagc DQUOTE`, and what follows it.
fn parse_tag(input: &[u8]) -> Option<(Tag<'_>, &[u8])> {
    let (weak, input) = match input {
        [b'W', b'/', rest @ ..] => (true, rest),
        _ => (false, input),
    };
    let [b'"', body @ ..] = input else {
        return None;
    };
    // etagc = %x21 / %x23-7E / obs-text, up to the closing quote: one pass.
    let end = body
        .iter()
        .position(|&b| !(b == 0x21 || b >= 0x23 && b != 0x7f))?;
    if body[end] != b'"' {
        return None;
    }
    Some((
        Tag {
            weak,
            opaque: &input[..end + 2],
        },
        &body[end + 1..],
    ))
}

fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

/// Without leading and trailing optional whitespace (RFC 9110 §5.6.3: spaces and tabs).
pub(super) fn trim(s: &[u8]) -> &[u8] {
    let mut s = trim_start(s);
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{HeaderName, IF_MATCH, IF_NONE_MATCH, IF_RANGE};
    use http::{HeaderMap, HeaderValue};

    const ETAG: &[u8] = b"\"abc123\"";

    fn headers(name: HeaderName, values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(name.clone(), HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        for (value, want) in [
            ("\"abc123\"", Condition::Matches),
            ("W/\"abc123\"", Condition::Matches),
            ("\"x\", \"abc123\"", Condition::Matches),
            ("\"x\",W/\"abc123\" ,\"y\"", Condition::Matches),
            ("*", Condition::Matches),
            (" * ", Condition::Matches),
            ("\"abc1234\"", Condition::Fails),
            ("\"ABC123\"", Condition::Fails),
            ("\"x\", \"y\"", Condition::Fails),
            ("abc123", Condition::Absent),
            ("\"unterminated", Condition::Absent),
            ("\"a\" \"b\"", Condition::Absent),
            ("\"ab c\"", Condition::Absent),
            ("\"x\", \"ab c\", \"abc123\"", Condition::Absent),
            (" W/\"abc123\"\t", Condition::Matches),
        ] {
            let h = headers(IF_NONE_MATCH, &[value]);
            assert_eq!(if_none_match(&Fields::new(&h), ETAG), want, "{value}");
        }
        assert_eq!(
            if_none_match(&Fields::new(&HeaderMap::new()), ETAG),
            Condition::Absent
        );
        let h = headers(IF_NONE_MATCH, &["\"x\"", "\"abc123\""]);
        assert_eq!(if_none_match(&Fields::new(&h), ETAG), Condition::Matches);
    }

    #[test]
    fn if_match_uses_strong_comparison() {
        for (value, want) in [
            ("\"abc123\"", Condition::Matches),
            ("*", Condition::Matches),
            ("W/\"abc123\"", Condition::Fails),
            ("\"other\"", Condition::Fails),
            (", \"other\",, \"abc123\"", Condition::Matches),
        ] {
            let h = headers(IF_MATCH, &[value]);
            assert_eq!(if_match(&Fields::new(&h), ETAG), want, "{value}");
        }
    }

    #[test]
    fn if_range_needs_a_strong_match() {
        assert!(if_range_allows(&Fields::new(&HeaderMap::new()), ETAG));
        assert!(if_range_allows(
            &Fields::new(&headers(IF_RANGE, &["\"abc123\""])),
            ETAG
        ));
        assert!(if_range_allows(
            &Fields::new(&headers(IF_RANGE, &[" \"abc123\" "])),
            ETAG
        ));
        assert!(!if_range_allows(
            &Fields::new(&headers(IF_RANGE, &["W/\"abc123\""])),
            ETAG
        ));
        assert!(!if_range_allows(
            &Fields::new(&headers(IF_RANGE, &["\"other\""])),
            ETAG
        ));
        assert!(!if_range_allows(
            &Fields::new(&headers(IF_RANGE, &["Sun, 22 Nov 2026 00:00:00 GMT"])),
            ETAG
        ));
        assert!(!if_range_allows(
            &Fields::new(&headers(IF_RANGE, &["\"abc123\", \"x\""])),
            ETAG
        ));
    }
}
