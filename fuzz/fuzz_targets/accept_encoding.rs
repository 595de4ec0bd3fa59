//! `Accept-Encoding` negotiation: whatever the header, the body decodes to the file and the ETag
//! names what was sent.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    file: u8,
    accept_encoding: Vec<&'a [u8]>,
}

fuzz_target!(|input: Input<'_>| {
    let path = kiln_fuzz::known_path(input.file);
    let headers: Vec<(&str, &[u8])> = input
        .accept_encoding
        .iter()
        .take(4)
        .map(|value| ("accept-encoding", *value))
        .collect();
    if let Some(request) = kiln_fuzz::request(b"GET", path.as_bytes(), &headers) {
        kiln_fuzz::check(request);
    }
});
