//! The corpus is baked in at compile time from `KILN_BENCH_CORPUS`.
fn main() {
    println!("cargo::rerun-if-env-changed=KILN_BENCH_CORPUS");
    match std::env::var("KILN_BENCH_CORPUS") {
        Ok(dir) => println!("cargo::rerun-if-changed={dir}"),
        Err(_) => panic!("set KILN_BENCH_CORPUS to the corpus folder (see benches/serve.py)"),
    }
}
