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
    // The last asset in path order (nothing special for a hash index; kept for comparison with
    // earlier figures).
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
    //
    // Responses are dropped outside the timed part (`iter_with_large_drop`): freeing a response
    // is hyper's business after it has written it, not part of lookup, negotiation and headers.
    // The two "with drop" rows show what dropping adds.
    let (prepared, _) = service.respond(&cases[0].1).into_parts();
    let floor = || {
        let mut res = http::Response::new(bytes::Bytes::from_static(b"x"));
        *res.headers_mut() = black_box(&prepared.headers).clone();
        res
    };
    group.bench_function("floor: prepared response", |b| {
        b.iter_with_large_drop(floor)
    });
    group.bench_function("floor: prepared response, with drop", |b| {
        b.iter(|| black_box(floor()))
    });
    for (name, req) in &cases {
        group.bench_function(*name, |b| {
            b.iter_with_large_drop(|| service.respond(black_box(req)))
        });
    }
    group.bench_function("svg br, with drop", |b| {
        b.iter(|| black_box(service.respond(black_box(&cases[0].1))))
    });
    group.finish();
}

criterion_group!(benches, respond);
criterion_main!(benches);
