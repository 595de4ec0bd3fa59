//! `respond()` in a loop, for profilers and instruction counts: the path the criterion bench
//! measures, without criterion around it.
//!
//! `cargo run --release --example respond_loop -- ITERATIONS [svg-br | floor]`
//!
//! Under `valgrind --tool=callgrind`, the difference between the instruction counts of two runs
//! with N and 2N iterations, divided by N, is the cost of one request, start-up excluded: a
//! figure that does not move with the load of a shared machine. `floor` builds the same response
//! from a prepared header map instead (what any `http::Response` with these headers costs).

use kiln_serve_bench::Corpus;
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let floor = args.next().is_some_and(|case| case == "floor");
    let service = Corpus::service();
    let svg = Corpus::iter()
        .find(|a| a.path().ends_with("icons/solid/house.svg"))
        .or_else(|| Corpus::iter().last())
        .expect("a non-empty corpus")
        .path()
        .to_owned();
    let req = http::Request::get(format!("/{svg}"))
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .body(())
        .unwrap();
    let (prepared, _) = service.respond(&req).into_parts();
    let mut status = 0u64;
    for _ in 0..iterations {
        let res = if floor {
            let mut res = http::Response::new(bytes::Bytes::from_static(b"x"));
            *res.headers_mut() = black_box(&prepared.headers).clone();
            res.status()
        } else {
            black_box(service.respond(black_box(&req))).status()
        };
        status += u64::from(res.as_u16());
    }
    println!("{status}");
}
