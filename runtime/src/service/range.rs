//! `Range: bytes=...` (RFC 9110 §14): one range, from the identity representation.
//!
//! Hand-written rather than http-range-header 0.4, which answers two cases against the RFC: a
//! suffix longer than the representation (`bytes=-500` of 100 bytes) is an error there, where
//! §14.1.2 says to send the whole representation; and on an empty representation `bytes=0-`
//! validates to the range `0..=0`. It also rejects `Bytes=`, though range units are
//! case-insensitive (§14.1). This parser allocates nothing.

use std::ops::Range as Span;

/// The outcome of a `Range` header for a representation of a given length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ranged {
    /// Serve these bytes with 206.
    Partial(Span<u64>),
    /// Valid, but no range overlaps the representation: 416.
    Unsatisfiable,
    /// Malformed, another unit, or several ranges: ignore the header and send 200.
    Ignore,
}

/// Evaluates a `Range` header value against a representation of `len` bytes.
pub(crate) fn evaluate(value: &[u8], len: u64) -> Ranged {
    let Ok(value) = std::str::from_utf8(value) else {
        return Ranged::Ignore;
    };
    let Some((unit, set)) = value.split_once('=') else {
        return Ranged::Ignore;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return Ranged::Ignore;
    }
    let mut specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        // None, or several: multipart/byteranges is not worth it for static assets.
        return Ranged::Ignore;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return Ranged::Ignore;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // suffix-range: the last `n` bytes.
        let Some(n) = digits(last) else {
            return Ranged::Ignore;
        };
        if n == 0 || len == 0 {
            return Ranged::Unsatisfiable;
        }
        return Ranged::Partial(len - n.min(len)..len);
    }
    let Some(first) = digits(first) else {
        return Ranged::Ignore;
    };
    let end = if last.is_empty() {
        len
    } else {
        let Some(last) = digits(last) else {
            return Ranged::Ignore;
        };
        if last < first {
            // An invalid byte-range-spec (§14.1.1).
            return Ranged::Ignore;
        }
        last.saturating_add(1).min(len)
    };
    if first >= len {
        return Ranged::Unsatisfiable;
    }
    Ranged::Partial(first..end)
}

/// `1*DIGIT`, without sign or spaces, that fits a `u64`.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::Ranged::*;
    use super::*;

    fn eval(v: &str, len: u64) -> Ranged {
        evaluate(v.as_bytes(), len)
    }

    #[test]
    fn the_three_forms() {
        assert_eq!(eval("bytes=0-499", 1000), Partial(0..500));
        assert_eq!(eval("bytes=500-", 1000), Partial(500..1000));
        assert_eq!(eval("bytes=-200", 1000), Partial(800..1000));
        assert_eq!(eval("bytes=0-0", 1000), Partial(0..1));
        assert_eq!(eval("bytes=999-999", 1000), Partial(999..1000));
    }

    #[test]
    fn clamped_to_the_representation() {
        assert_eq!(eval("bytes=900-2000", 1000), Partial(900..1000));
        assert_eq!(eval("bytes=-5000", 1000), Partial(0..1000));
        assert_eq!(eval("bytes=0-18446744073709551615", 10), Partial(0..10));
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(eval("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(eval("bytes=1000-1001", 1000), Unsatisfiable);
        assert_eq!(eval("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(eval("bytes=0-", 0), Unsatisfiable);
        assert_eq!(eval("bytes=-1", 0), Unsatisfiable);
    }

    #[test]
    fn ignored() {
        for v in [
            "items=0-1",
            "bytes",
            "bytes=",
            "bytes=abc",
            "bytes=5-2",
            "bytes=-",
            "bytes=+1-2",
            "bytes=0-1,4-5",
            "bytes=1-2-3",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(eval(v, 1000), Ignore, "{v}");
        }
        assert_eq!(evaluate(b"bytes=\xff-1", 10), Ignore);
    }

    #[test]
    fn unit_is_case_insensitive_and_spaces_are_tolerated() {
        assert_eq!(eval("Bytes=0-1", 10), Partial(0..2));
        assert_eq!(eval("bytes= 0-1 ", 10), Partial(0..2));
        assert_eq!(eval("bytes=0-1,", 10), Partial(0..2));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::{Ranged, evaluate};

        /// Header values made of the pieces a `Range` is made of, and noise.
        fn value() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("bytes=".to_owned()),
                Just("Bytes =".to_owned()),
                Just("-".to_owned()),
                Just(",".to_owned()),
                Just(" ".to_owned()),
                "[0-9]{1,22}",
                "[a-z=]{0,3}",
            ];
            prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(8192))]

            /// Whatever the header, a partial answer is a non-empty range inside the
            /// representation, and an unsatisfiable one is only for ranges that start past it.
            #[test]
            fn a_range_is_always_inside_the_representation(value in value(), len in 0u64..5000) {
                match evaluate(value.as_bytes(), len) {
                    Ranged::Partial(span) => {
                        prop_assert!(span.start < span.end && span.end <= len, "{value} {len}: {span:?}");
                    }
                    Ranged::Unsatisfiable | Ranged::Ignore => {}
                }
            }

            /// Bytes that are not UTF-8, or anything at all: no panic.
            #[test]
            fn any_bytes_are_answered(bytes in prop::collection::vec(any::<u8>(), 0..64), len in any::<u64>()) {
                let _ = evaluate(&bytes, len);
            }
        }
    }
}
