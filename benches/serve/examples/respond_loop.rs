//! `respond()` in a loop, for profilers and instruction counts: the path the criterion bench
//! measures, without criterion around it.
//!
//! `cargo run --release --example respond_loop -- ITERATIONS [CASE | floor]`, where CASE is one of
//! the criterion bench's cases with `-` for spaces (`svg-br`, the default; `svg-identity`,
//! `svg-304`, `last-asset-br`, `404`).
//!
//! Under `valgrind --tool=callgrind`, the difference between the instruction counts of two runs
//! with N and 2N iterations, divided by N, is the cost of one request, start-up excluded: a
//! figure that does not move with the load of a shared machine. `floor` builds the svg's response
//! from a prepared head (status and header map) instead: what any `http::Response` with these
//! headers costs.

use kiln_serve_bench::{Corpus, cases};
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let case = args.next().unwrap_or_else(|| "svg-br".to_owned());
    let service = Corpus::service();
    let cases = cases();
    let floor = case == "floor";
    let Some((_, req)) = cases
        .iter()
        .find(|(name, _)| floor && *name == "svg br" || name.replace(' ', "-") == case)
    else {
        eprintln!("unknown case {case}");
        std::process::exit(2);
    };
    let (prepared, _) = service.respond(req).into_parts();
    let mut status = 0u64;
    for _ in 0..iterations {
        let res = if floor {
            black_box(kiln_serve_bench::floor(black_box(&prepared))).status()
        } else {
            black_box(service.respond(black_box(req))).status()
        };
        status += u64::from(res.as_u16());
    }
    println!("{status}");
}
