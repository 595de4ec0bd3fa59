fn main() {
    println!("cargo::rerun-if-changed=../tests/fixtures/graph");
}
