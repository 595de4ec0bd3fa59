//! Request-path decoding and lookup: arbitrary paths (percent-encoding, `..`, backslashes, NUL,
//! overlong UTF-8, fingerprints), plain GETs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|path: &[u8]| {
    // Put the bytes under the prefix the service is usually nested at, and as they are.
    for candidate in [path.to_vec(), [b"/", path].concat()] {
        if let Some(request) = kiln_fuzz::request(b"GET", &candidate, &[]) {
            kiln_fuzz::check(request);
        }
    }
});
