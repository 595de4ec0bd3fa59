//! Tells the derive where the compression cache goes: next to the build's profile folders, so
//! that debug, release and every crate of the workspace share it, and `cargo clean` removes it.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!(
        "cargo::rustc-env=KILN_DEFAULT_CACHE_DIR={}",
        cache_dir(&out_dir).display()
    );
}

/// OUT_DIR is `<target>/<profile>/build/<package>-<hash>/out`; the cache is `<target>/kiln-cache`.
/// Any other layout (a custom build-dir) keeps the cache in OUT_DIR.
fn cache_dir(out_dir: &Path) -> PathBuf {
    let mut ancestors = out_dir.ancestors();
    let build = ancestors.nth(2);
    let target = ancestors.nth(1);
    match (build, target) {
        (Some(build), Some(target)) if build.file_name().is_some_and(|n| n == "build") => {
            target.join("kiln-cache")
        }
        _ => out_dir.join("kiln-cache"),
    }
}
