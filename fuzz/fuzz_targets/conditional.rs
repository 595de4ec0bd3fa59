//! `If-Match` and `If-None-Match` (lists, `*`, weak tags, garbage), mixed with real entity tags.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    file: u8,
    if_match: Option<&'a [u8]>,
    if_none_match: Option<&'a [u8]>,
    splice_real_tag: bool,
    accept_encoding: Option<&'a [u8]>,
}

fuzz_target!(|input: Input<'_>| {
    let path = kiln_fuzz::known_path(input.file);
    let real = kiln_fuzz::Graph::get(path.trim_start_matches('/'))
        .map(|asset| format!("W/{}, {}", asset.etag(), asset.etag()))
        .unwrap_or_default();
    let spliced = |value: &[u8]| -> Vec<u8> {
        if input.splice_real_tag {
            [value, b", ", real.as_bytes()].concat()
        } else {
            value.to_vec()
        }
    };
    let if_match = input.if_match.map(spliced);
    let if_none_match = input.if_none_match.map(spliced);
    let mut headers: Vec<(&str, &[u8])> = Vec::new();
    if let Some(value) = &if_match {
        headers.push(("if-match", value));
    }
    if let Some(value) = &if_none_match {
        headers.push(("if-none-match", value));
    }
    if let Some(value) = input.accept_encoding {
        headers.push(("accept-encoding", value));
    }
    if let Some(request) = kiln_fuzz::request(b"GET", path.as_bytes(), &headers) {
        kiln_fuzz::check(request);
    }
});
