//! The request header fields the service reads, found before deciding.
//!
//! Kiln reads six fields: `Accept-Encoding`, `If-Match`, `If-None-Match`, `Range`, `If-Range` and
//! `Available-Dictionary`. A `HeaderMap` lookup hashes the name and probes the table even when
//! the field is absent, and most requests carry none of the last five. Walking the map once,
//! comparing each name with the six, is cheaper for any request a browser sends (BENCHMARKS.md
//! has the instruction counts). The `Sec-Fetch-*` fields matter only to a request that names a
//! dictionary, which looks them up itself.

use http::HeaderMap;
use http::header::{
    ACCEPT_ENCODING, HeaderName, HeaderValue, IF_MATCH, IF_NONE_MATCH, IF_RANGE, RANGE, ValueIter,
};

/// Requests with at most this many header lines are walked once; above it, each field is
/// looked up when asked for. About where walking and the lookups cost the same (callgrind).
const WALK_LIMIT: usize = 32;

/// One of the request header fields Kiln reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    AcceptEncoding = 0,
    IfMatch = 1,
    IfNoneMatch = 2,
    Range = 3,
    IfRange = 4,
    AvailableDictionary = 5,
}

/// How many fields Kiln reads.
const FIELDS: usize = 6;

impl Field {
    const ALL: [Field; FIELDS] = [
        Field::AcceptEncoding,
        Field::IfMatch,
        Field::IfNoneMatch,
        Field::Range,
        Field::IfRange,
        Field::AvailableDictionary,
    ];

    fn name(self) -> HeaderName {
        match self {
            Field::AcceptEncoding => ACCEPT_ENCODING,
            Field::IfMatch => IF_MATCH,
            Field::IfNoneMatch => IF_NONE_MATCH,
            Field::Range => RANGE,
            Field::IfRange => IF_RANGE,
            Field::AvailableDictionary => super::dictionary::AVAILABLE_DICTIONARY,
        }
    }

    fn of(name: &HeaderName) -> Option<Field> {
        Field::ALL.into_iter().find(|field| *name == field.name())
    }
}

/// The request's header fields that Kiln reads, each found at most once.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    headers: &'a HeaderMap,
    /// The line of each field when it has exactly one and the map was walked.
    once: [Option<&'a HeaderValue>; FIELDS],
    /// Bit `field` set: the field has several lines, or the map was not walked; ask the map.
    ask: u8,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(headers: &'a HeaderMap) -> Self {
        let mut fields = Fields {
            headers,
            once: [None; FIELDS],
            ask: 0,
        };
        if headers.len() > WALK_LIMIT {
            fields.ask = u8::MAX;
            return fields;
        }
        for (name, value) in headers {
            if let Some(field) = Field::of(name) {
                let once = &mut fields.once[field as usize];
                if once.replace(value).is_some() {
                    fields.ask |= 1 << field as u8;
                }
            }
        }
        fields
    }

    fn asks(&self, field: Field) -> bool {
        self.ask & (1 << field as u8) != 0
    }

    /// Whether the request may have `field`: `false` only when it surely has none.
    pub(crate) fn has(&self, field: Field) -> bool {
        self.asks(field) || self.once[field as usize].is_some()
    }

    /// Every line of `field`, in order.
    pub(crate) fn values(&self, field: Field) -> Values<'a> {
        if self.asks(field) {
            Values::Map(self.headers.get_all(field.name()).into_iter())
        } else {
            Values::Once(self.once[field as usize])
        }
    }

    /// The request's header map, for fields only a rare request needs.
    pub(crate) fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    /// The first line of `field`.
    pub(crate) fn first(&self, field: Field) -> Option<&'a HeaderValue> {
        if self.asks(field) {
            self.headers.get(field.name())
        } else {
            self.once[field as usize]
        }
    }
}

/// The lines of one field: see [`Fields::values`].
pub(crate) enum Values<'a> {
    Once(Option<&'a HeaderValue>),
    Map(ValueIter<'a, HeaderValue>),
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a HeaderValue;

    fn next(&mut self) -> Option<&'a HeaderValue> {
        match self {
            Values::Once(value) => value.take(),
            Values::Map(iter) => iter.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(fields: &Fields<'_>, field: Field) -> Vec<Vec<u8>> {
        fields
            .values(field)
            .map(|v| v.as_bytes().to_vec())
            .collect()
    }

    /// Walked or looked up, the answers are the same: with few lines and with many, with
    /// repeated and absent fields.
    #[test]
    fn walking_and_looking_up_agree() {
        for filler in [0, 3, WALK_LIMIT, WALK_LIMIT + 5] {
            let mut headers = HeaderMap::new();
            for i in 0..filler {
                headers.append(
                    HeaderName::from_bytes(format!("x-filler-{i}").as_bytes()).unwrap(),
                    HeaderValue::from_static("1"),
                );
            }
            headers.append(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
            headers.append(ACCEPT_ENCODING, HeaderValue::from_static("br"));
            headers.append(IF_NONE_MATCH, HeaderValue::from_static("\"a\""));
            headers.append(RANGE, HeaderValue::from_static("bytes=0-1"));
            headers.append(RANGE, HeaderValue::from_static("bytes=2-3"));
            let fields = Fields::new(&headers);
            assert_eq!(
                collect(&fields, Field::AcceptEncoding),
                [b"gzip".to_vec(), b"br".to_vec()]
            );
            assert_eq!(collect(&fields, Field::IfNoneMatch), [b"\"a\"".to_vec()]);
            assert!(collect(&fields, Field::IfMatch).is_empty());
            assert!(collect(&fields, Field::IfRange).is_empty());
            assert_eq!(
                fields.first(Field::Range).map(HeaderValue::as_bytes),
                Some(&b"bytes=0-1"[..])
            );
            assert_eq!(fields.first(Field::IfMatch), None);
        }
    }
}
