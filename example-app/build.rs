//! Makes Cargo notice files added to or removed from `static/` (edits are noticed anyway).

fn main() {
    println!("cargo::rerun-if-changed=static");
}
