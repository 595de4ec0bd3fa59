//! `Range` and `If-Range` on the bundle's files: every 206 must be the exact slice it names.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    file: u8,
    range: &'a [u8],
    if_range: Option<&'a [u8]>,
    head: bool,
}

fuzz_target!(|input: Input<'_>| {
    let path = kiln_fuzz::known_path(input.file);
    let mut headers = vec![("range", input.range)];
    if let Some(if_range) = input.if_range {
        headers.push(("if-range", if_range));
    }
    let method: &[u8] = if input.head { b"HEAD" } else { b"GET" };
    if let Some(request) = kiln_fuzz::request(method, path.as_bytes(), &headers) {
        kiln_fuzz::check(request);
    }
});
