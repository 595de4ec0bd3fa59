//! The bundle the serving benchmarks use: the folder named by `KILN_BENCH_CORPUS` at build time,
//! and the requests the criterion bench and `examples/respond_loop.rs` send it.

use http::Request;

/// The benchmark corpus.
#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_BENCH_CORPUS", prefix = "/static")]
pub struct Corpus;

/// The floor: a response built from a prepared head (status and headers) and a static body, what
/// any `http::Response` with Kiln's headers costs. The criterion bench and `respond_loop` both
/// measure it.
#[inline]
pub fn floor(prepared: &http::response::Parts) -> http::Response<bytes::Bytes> {
    http::Response::from_parts(prepared.clone(), bytes::Bytes::from_static(b"x"))
}

fn request(path: &str, headers: &[(&str, &str)]) -> Request<()> {
    let mut req = Request::get(path);
    for &(k, v) in headers {
        req = req.header(k, v);
    }
    req.body(()).expect("a valid request")
}

/// The header lines Chrome sends with a request for an image of the page at `/` (HTTP/1.1; the
/// `Host` header is in the URI of an HTTP/1.1 request hyper hands a service, and stays here).
const BROWSER: [(&str, &str); 14] = [
    ("host", "127.0.0.1:3000"),
    ("connection", "keep-alive"),
    ("sec-ch-ua-platform", "\"Linux\""),
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/142.0.0.0 Safari/537.36",
    ),
    (
        "sec-ch-ua",
        "\"Chromium\";v=\"142\", \"Google Chrome\";v=\"142\", \"Not_A Brand\";v=\"99\"",
    ),
    ("sec-ch-ua-mobile", "?0"),
    (
        "accept",
        "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    ),
    ("sec-fetch-site", "same-origin"),
    ("sec-fetch-mode", "no-cors"),
    ("sec-fetch-dest", "image"),
    ("referer", "http://127.0.0.1:3000/"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("accept-language", "en-GB,en;q=0.9"),
    ("cookie", "session=8f14e45fceea167a5a36dedd4bea2543"),
];

/// The requests measured, by name: the small svg with the `Accept-Encoding` of current
/// browsers, without one, with every header line a browser sends, and revalidated; the last asset in path order (nothing special for a
/// hash index; kept for comparison with earlier figures); and a path that is not there.
pub fn cases() -> Vec<(&'static str, Request<()>)> {
    let last = Corpus::iter()
        .last()
        .expect("a non-empty corpus")
        .path()
        .to_owned();
    let svg = Corpus::iter()
        .find(|a| a.path().ends_with("icons/solid/house.svg"))
        .map_or_else(|| last.clone(), |a| a.path().to_owned());
    let etag = Corpus::get(&svg)
        .and_then(|a| a.variants().first().map(|v| v.etag().to_owned()))
        .unwrap_or_default();
    vec![
        (
            "svg br",
            request(
                &format!("/{svg}"),
                &[("accept-encoding", "gzip, deflate, br, zstd")],
            ),
        ),
        ("svg identity", request(&format!("/{svg}"), &[])),
        ("svg browser", request(&format!("/{svg}"), &BROWSER)),
        (
            "svg 304",
            request(
                &format!("/{svg}"),
                &[("accept-encoding", "br, gzip"), ("if-none-match", &etag)],
            ),
        ),
        (
            "last asset br",
            request(&format!("/{last}"), &[("accept-encoding", "br, gzip")]),
        ),
        (
            "404",
            request("/no/such/file.css", &[("accept-encoding", "br, gzip")]),
        ),
    ]
}
