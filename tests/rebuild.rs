//! Cargo rebuilds a crate that embeds a folder when a file in it changes: through the unused
//! `include_bytes!` constants the derive emits, or, when the crate's build script watches the
//! folder, through the build script alone (see `macros/src/track.rs`). Checked with real Cargo
//! builds of two scratch crates, one of each kind.

use std::fs;
use std::path::Path;
use std::process::Command;

const MAIN_RS: &str = r#"
#[derive(kiln::Embed)]
#[kiln(folder = "../assets")]
struct Static;

fn main() {
    let a = Static::get("a.txt").map(|a| String::from_utf8_lossy(a.bytes()).into_owned());
    println!("{} {}", Static::iter().count(), a.unwrap_or_default());
}
"#;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn scratch_workspace(root: &Path) {
    let kiln = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
    write(
        &root.join("Cargo.toml"),
        &format!(
            "[workspace]\nmembers = [\"watched\", \"unwatched\"]\nresolver = \"3\"\n{}",
            crate::util::SCRATCH_PROFILE
        ),
    );
    // The repository's lock file: the same versions as the outer build, so no download is needed.
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    fs::copy(lock, root.join("Cargo.lock")).unwrap();
    for name in ["watched", "unwatched"] {
        write(
            &root.join(name).join("Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
                 [dependencies]\nkiln = {{ path = {:?} }}\n",
                kiln.display().to_string()
            ),
        );
        write(&root.join(name).join("src/main.rs"), MAIN_RS);
    }
    write(
        &root.join("watched/build.rs"),
        "fn main() {\n    println!(\"cargo::rerun-if-changed=../assets\");\n}\n",
    );
}

/// Builds the scratch workspace and runs both binaries: what each printed.
fn build_and_run(root: &Path, target: &Path, cache: &Path) -> [String; 2] {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target)
        .env("KILN_CACHE_DIR", cache)
        .env_remove("KILN_EXPAND_TO")
        .status()
        .unwrap();
    assert!(status.success(), "cargo build failed");
    ["watched", "unwatched"].map(|name| {
        let out = Command::new(target.join("debug").join(name))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    })
}

#[test]
fn editing_an_embedded_file_rebuilds_the_crate() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let target = crate::util::scratch_target();
    scratch_workspace(root.path());
    let a = root.path().join("assets/a.txt");
    write(&a, "first");
    assert_eq!(
        build_and_run(root.path(), &target, cache.path()),
        ["1 first", "1 first"]
    );

    // Cargo compares modification times; make sure the edit is newer than the build.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    write(&a, "second, longer");
    assert_eq!(
        build_and_run(root.path(), &target, cache.path()),
        ["1 second, longer", "1 second, longer"]
    );

    // Only a build script notices an added file.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    write(&root.path().join("assets/b.txt"), "added");
    let [watched, _] = build_and_run(root.path(), &target, cache.path());
    assert_eq!(watched, "2 second, longer");
}
