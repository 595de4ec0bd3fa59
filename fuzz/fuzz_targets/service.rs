//! The whole service, driven by arbitrary requests: any method, path and headers.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: u8,
    raw_method: &'a [u8],
    known: u8,
    use_known: bool,
    path: &'a [u8],
    headers: Vec<(u8, &'a [u8])>,
}

const METHODS: &[&[u8]] = &[b"GET", b"HEAD", b"POST", b"OPTIONS", b"DELETE"];
const HEADERS: &[&str] = &[
    "range",
    "if-range",
    "if-match",
    "if-none-match",
    "accept-encoding",
    "accept",
    "if-modified-since",
    "available-dictionary",
    "sec-fetch-mode",
];

fuzz_target!(|input: Input<'_>| {
    let method = METHODS
        .get(usize::from(input.method))
        .copied()
        .unwrap_or(input.raw_method);
    let known;
    let path = if input.use_known {
        known = kiln_fuzz::known_path(input.known);
        known.as_bytes()
    } else {
        input.path
    };
    let headers: Vec<(&str, &[u8])> = input
        .headers
        .iter()
        .take(8)
        .map(|(name, value)| (HEADERS[usize::from(*name) % HEADERS.len()], *value))
        .collect();
    if let Some(request) = kiln_fuzz::request(method, path, &headers) {
        kiln_fuzz::check(request);
    }
});
