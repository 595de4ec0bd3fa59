//! Lookup + negotiation + header building, without sockets: `ServeAssets::respond` on the
//! benchmark corpus (build with KILN_BENCH_CORPUS pointing at 4 copies of it for 8,400 assets).

use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use kiln_serve_bench::Corpus;
use std::hint::black_box;

fn request(path: &str, headers: &[(&str, &str)]) -> Request<()> {
    let mut req = Request::get(path);
    for &(k, v) in headers {
        req = req.header(k, v);
    }
    req.body(()).unwrap()
}

fn respond(c: &mut Criterion) {
    let service = Corpus::service();
    let count = Corpus::iter().count();
    // The last asset in path order: the deepest binary search there is.
    let last = Corpus::iter().last().unwrap().path().to_owned();
    let svg = Corpus::iter()
        .find(|a| a.path().ends_with("icons/solid/house.svg"))
        .map_or(last.clone(), |a| a.path().to_owned());
    let etag = Corpus::get(&svg)
        .unwrap()
        .variants()
        .first()
        .map_or("", |v| v.etag())
        .to_owned();
    let cases = [
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
    ];
    let mut group = c.benchmark_group(format!("respond ({count} assets)"));
    // The floor: what building any response with these headers costs (a prepared header map
    // cloned, a static body), for reading the figures below.
    let (prepared, _) = service.respond(&cases[0].1).into_parts();
    group.bench_function("floor: prepared response", |b| {
        b.iter(|| {
            let mut res = http::Response::new(bytes::Bytes::from_static(b"x"));
            *res.headers_mut() = black_box(&prepared.headers).clone();
            black_box(res)
        })
    });
    for (name, req) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| black_box(service.respond(black_box(req))))
        });
    }
    group.finish();
}

criterion_group!(benches, respond);
criterion_main!(benches);
