//! The bundle the serving benchmarks use: the folder named by `KILN_BENCH_CORPUS` at build time.

/// The benchmark corpus.
#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_BENCH_CORPUS", prefix = "/static")]
pub struct Corpus;
