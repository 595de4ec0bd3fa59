//! The bundle the serving benchmarks use: the folder named by `KILN_BENCH_CORPUS` at build time,
//! and the requests the criterion bench and `examples/respond_loop.rs` send it.

use http::Request;

/// The benchmark corpus.
#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_BENCH_CORPUS", prefix = "/static")]
pub struct Corpus;

fn request(path: &str, headers: &[(&str, &str)]) -> Request<()> {
    let mut req = Request::get(path);
    for &(k, v) in headers {
        req = req.header(k, v);
    }
    req.body(()).expect("a valid request")
}

/// The requests measured, by name: the small svg with the `Accept-Encoding` of current
/// browsers, without one, and revalidated; the last asset in path order (nothing special for a
/// hash index; kept for comparison with earlier figures); and a path that is not there.
pub fn cases() -> Vec<(&'static str, Request<()>)> {
    let last = Corpus::iter().last().expect("a non-empty corpus").path();
    let svg = Corpus::iter()
        .find(|a| a.path().ends_with("icons/solid/house.svg"))
        .map_or(last, |a| a.path());
    let etag = Corpus::get(svg)
        .and_then(|a| a.variants().first())
        .map_or("", |v| v.etag());
    vec![
        (
            "svg br",
            request(
                &format!("/{svg}"),
                &[("accept-encoding", "gzip, deflate, br, zstd")],
            ),
        ),
        ("svg identity", request(&format!("/{svg}"), &[])),
        (
            "svg 304",
            request(
                &format!("/{svg}"),
                &[("accept-encoding", "br, gzip"), ("if-none-match", etag)],
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
