//! Lookup + negotiation + header building, without sockets: `ServeAssets::respond` on the
//! benchmark corpus (build with KILN_BENCH_CORPUS pointing at 4 copies of it for 8,400 assets).

use criterion::{Bencher, Criterion, criterion_group, criterion_main};
use kiln_serve_bench::{Corpus, cases};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Times `routine` and not the dropping of what it returns: outputs are kept in a buffer of
/// `BATCH` that is emptied between timed stretches. Criterion's own `iter_with_large_drop` keeps
/// a tenth of all iterations (tens of megabytes of responses), so it also times page faults and
/// cache misses of writing fresh memory, which moved its figures by 30% between runs here.
fn without_drop<O>(b: &mut Bencher<'_>, mut routine: impl FnMut() -> O) {
    const BATCH: u64 = 512;
    let mut outputs = Vec::with_capacity(BATCH as usize);
    b.iter_custom(|iters| {
        let mut elapsed = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(BATCH);
            let start = Instant::now();
            for _ in 0..n {
                outputs.push(routine());
            }
            elapsed += start.elapsed();
            outputs.clear();
            left -= n;
        }
        elapsed
    });
}

fn respond(c: &mut Criterion) {
    let service = Corpus::service();
    let count = Corpus::iter().count();
    let cases = cases();
    let mut group = c.benchmark_group(format!("respond ({count} assets)"));
    // The floor: what building any response with these headers costs (a prepared head, status
    // and header map, cloned; a static body), for reading the figures below.
    //
    // Responses are dropped outside the timed part (`without_drop`): freeing a response is
    // hyper's business after it has written it, not part of lookup, negotiation and headers.
    // The two "with drop" rows show what dropping adds.
    let (prepared, _) = service.respond(&cases[0].1).into_parts();
    let floor = || kiln_serve_bench::floor(black_box(&prepared));
    group.bench_function("floor: prepared response", |b| without_drop(b, floor));
    group.bench_function("floor: prepared response, with drop", |b| {
        b.iter(|| black_box(floor()))
    });
    for (name, req) in &cases {
        group.bench_function(*name, |b| {
            without_drop(b, || service.respond(black_box(req)))
        });
    }
    group.bench_function("svg br, with drop", |b| {
        b.iter(|| black_box(service.respond(black_box(&cases[0].1))))
    });
    group.finish();
}

criterion_group!(benches, respond);
criterion_main!(benches);
