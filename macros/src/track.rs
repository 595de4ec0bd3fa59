//! How Cargo learns that the crate must be rebuilt when an embedded file changes.
//!
//! Stable Rust gives a proc macro one way to declare a file dependency: expand to an
//! `include_bytes!` of it, which puts the file in rustc's dep-info. Since the bytes themselves come
//! from the pack, that is an unused constant per file, and rustc still reads and evaluates each
//! one: a quarter of a second per 2,000 files (measured on the benchmark corpus).
//!
//! A build script that prints `cargo::rerun-if-changed=<folder>` (what the README recommends, so
//! that *added* files are noticed too) already does the job: Cargo reruns the build script when
//! anything under the folder changes, and rebuilding the crate follows. When the build script of
//! the crate being compiled said so, the derive skips the constants.
//!
//! Cargo keeps what a build script printed in `output`, next to its `OUT_DIR`. That file is how
//! Cargo works, not a documented interface: if it is missing or says nothing about the folder,
//! the derive falls back to the constants, which are always correct.

use std::path::Path;

/// Whether the build script of the crate being compiled watches `folder` (or a folder holding it).
pub(crate) fn watched_by_build_script(folder: &Path) -> bool {
    let (Some(out_dir), Some(manifest_dir)) = (
        std::env::var_os("OUT_DIR"),
        std::env::var_os("CARGO_MANIFEST_DIR"),
    ) else {
        return false;
    };
    let Some(output) = Path::new(&out_dir)
        .parent()
        .and_then(|build| std::fs::read_to_string(build.join("output")).ok())
    else {
        return false;
    };
    watches(&output, Path::new(&manifest_dir), folder)
}

/// Whether `folder` is inside the `OUT_DIR` of the crate being compiled: its build script made it.
pub(crate) fn in_out_dir(folder: &Path) -> bool {
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        return false;
    };
    match (Path::new(&out_dir).canonicalize(), folder.canonicalize()) {
        (Ok(out_dir), Ok(folder)) => folder.starts_with(out_dir),
        _ => false,
    }
}

/// Whether the build script `output` (relative paths are relative to `manifest_dir`) has a
/// `rerun-if-changed` line for `folder` or one of its ancestors.
fn watches(output: &str, manifest_dir: &Path, folder: &Path) -> bool {
    let Ok(folder) = folder.canonicalize() else {
        return false;
    };
    output
        .lines()
        .filter_map(|line| {
            line.strip_prefix("cargo::rerun-if-changed=")
                .or_else(|| line.strip_prefix("cargo:rerun-if-changed="))
        })
        .filter_map(|watched| manifest_dir.join(watched.trim_end()).canonicalize().ok())
        .any(|watched| folder.starts_with(watched))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watched_folder_or_ancestor_counts() {
        let root = std::env::temp_dir().join(format!("kiln-track-{}", std::process::id()));
        let folder = root.join("static/css");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();

        assert!(watches("cargo::rerun-if-changed=static\n", &root, &folder));
        assert!(watches(
            "cargo:rerun-if-changed=static/css\n",
            &root,
            &folder
        ));
        assert!(watches(
            "cargo::rerun-if-changed=./static/../static",
            &root,
            &folder
        ));
        let absolute = format!("cargo::rerun-if-changed={}", root.join("static").display());
        assert!(watches(&absolute, Path::new("/elsewhere"), &folder));

        assert!(!watches("cargo::rerun-if-changed=other\n", &root, &folder));
        assert!(!watches(
            "cargo::rerun-if-changed=build.rs\n",
            &root,
            &folder
        ));
        assert!(!watches(
            "cargo::rerun-if-changed=static/css/x\n",
            &root,
            &folder
        ));
        assert!(!watches(
            "cargo::rerun-if-env-changed=static\n",
            &root,
            &folder
        ));
        assert!(!watches("", &root, &folder));
        assert!(!watches(
            "cargo::rerun-if-changed=static",
            &root,
            &root.join("missing")
        ));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
