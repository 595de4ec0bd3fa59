//! `respond()` in a loop, for profilers (`valgrind --tool=callgrind`, `perf record`): the path the
//! criterion bench measures, without criterion around it.
//! `cargo run --release --example respond_loop -- [iterations]`

use kiln_serve_bench::Corpus;
use std::hint::black_box;

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
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
    let mut status = 0u64;
    for _ in 0..iterations {
        status += u64::from(
            black_box(service.respond(black_box(&req)))
                .status()
                .as_u16(),
        );
    }
    println!("{status}");
}
