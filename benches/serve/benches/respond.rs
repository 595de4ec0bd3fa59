//! Lookup + negotiation + header building, without sockets: `ServeAssets::respond` on the
//! benchmark corpus (build with KILN_BENCH_CORPUS pointing at 4 copies of it for 8,400 assets).

use criterion::{Criterion, criterion_group, criterion_main};
use kiln_serve_bench::{Corpus, cases};
use std::hint::black_box;

fn respond(c: &mut Criterion) {
    let service = Corpus::service();
    let count = Corpus::iter().count();
    let cases = cases();
    let mut group = c.benchmark_group(format!("respond ({count} assets)"));
    // The floor: what building any response with these headers costs (a prepared head, status
    // and header map, cloned; a static body), for reading the figures below.
    //
    // Responses are dropped outside the timed part (`iter_with_large_drop`): freeing a response
    // is hyper's business after it has written it, not part of lookup, negotiation and headers.
    // The two "with drop" rows show what dropping adds.
    let (prepared, _) = service.respond(&cases[0].1).into_parts();
    let floor = || {
        http::Response::from_parts(
            black_box(&prepared).clone(),
            bytes::Bytes::from_static(b"x"),
        )
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
