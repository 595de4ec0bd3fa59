//! Dictionary transport (RFC 9842): a GET of a fingerprinted URL with deltas, with any
//! `Available-Dictionary` (garbage, or the right hash spliced with garbage), `Accept-Encoding`
//! and `Sec-Fetch-*`: whatever the request, the answer is 200 and its body is the file or decodes
//! to it, a delta with the previous release as the dictionary.
#![no_main]

use arbitrary::Arbitrary;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use sha2::Digest as _;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    css: bool,
    /// 0: `dictionary` as it is; 1: the right hash as a byte sequence; 2: the right hash with
    /// `dictionary` appended; 3: `:` + the right hash's base64 + `dictionary`.
    form: u8,
    dictionary: &'a [u8],
    accept_encoding: Option<&'a [u8]>,
    sec_fetch: Option<(&'a [u8], &'a [u8])>,
}

fuzz_target!(|input: Input<'_>| {
    let path = if input.css { "app.css" } else { "app.js" };
    let asset = kiln_fuzz::Deltas::get(path).expect("in the bundle");
    let previous = kiln_fuzz::previous(path);
    let b64 = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&previous));
    let garbage = String::from_utf8_lossy(input.dictionary);
    let dictionary = match input.form % 4 {
        0 => input.dictionary.to_vec(),
        1 => format!(":{b64}:").into_bytes(),
        2 => format!(":{b64}:{garbage}").into_bytes(),
        _ => format!(":{b64}{garbage}").into_bytes(),
    };
    let mut headers: Vec<(&str, &[u8])> = vec![("available-dictionary", &dictionary)];
    headers.push((
        "accept-encoding",
        input
            .accept_encoding
            .unwrap_or(b"gzip, deflate, br, zstd, dcb, dcz"),
    ));
    if let Some((mode, site)) = input.sec_fetch {
        headers.push(("sec-fetch-mode", mode));
        headers.push(("sec-fetch-site", site));
    }
    let url = format!("/{}", asset.url_path());
    if let Some(request) = kiln_fuzz::request(b"GET", url.as_bytes(), &headers) {
        kiln_fuzz::check_delta(request, asset.bytes(), &previous);
    }
});
