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
    let kiln = crate::util::kiln_runtime();
    write(
        &root.join("Cargo.toml"),
        &format!(
            "[workspace]\nmembers = [\"watched\", \"unwatched\"]\nresolver = \"3\"\n{}",
            crate::util::SCRATCH_PROFILE
        ),
    );
    crate::util::copy_lock(root);
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

/// `KILN_PREVIOUS` is read at build time: setting it rebuilds the crate, whose bundle then has a
/// delta against the previous release's version of the file, and unsetting it rebuilds it
/// without (the derive's expansion reads it with `option_env!`, which Cargo tracks).
#[test]
fn setting_kiln_previous_rebuilds_with_deltas() {
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let previous = tempfile::tempdir().unwrap();
    let target = crate::util::scratch_target();
    let kiln = crate::util::kiln_runtime();
    write(
        &root.path().join("Cargo.toml"),
        &format!(
            "[package]\nname = \"previous-release\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
             [dependencies]\nkiln = {{ path = {:?} }}\n\n[workspace]\n{}",
            kiln.display().to_string(),
            crate::util::SCRATCH_PROFILE
        ),
    );
    crate::util::copy_lock(root.path());
    write(
        &root.path().join("src/main.rs"),
        "#[derive(kiln::Embed)]\n#[kiln(folder = \"assets\")]\nstruct Static;\n\nfn main() {\n    \
         println!(\"{}\", Static::get(\"app.js\").unwrap().deltas().len());\n}\n",
    );
    write(
        &root.path().join("build.rs"),
        "fn main() {\n    println!(\"cargo::rerun-if-changed=assets\");\n}\n",
    );
    let script = |version: u32| -> String {
        (0..300)
            .map(|i| match i {
                150 => format!("export const version = {version};\n"),
                _ => format!(
                    "export function f{i}(a) {{ return a * {}; }}\n",
                    i * 7919 % 1000
                ),
            })
            .collect()
    };
    write(&root.path().join("assets/app.js"), &script(2));
    write(&previous.path().join("app.0123456789ab.js"), &script(1));
    write(
        &previous.path().join("staticfiles.json"),
        r#"{"paths": {"app.js": "app.0123456789ab.js"}, "version": "1.0"}"#,
    );
    let build_and_run = |previous: Option<&Path>| -> String {
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--offline", "--quiet"])
            .current_dir(root.path())
            .env("CARGO_TARGET_DIR", &target)
            .env("KILN_CACHE_DIR", cache.path())
            .env_remove("KILN_EXPAND_TO")
            .env_remove("KILN_PREVIOUS");
        if let Some(previous) = previous {
            cargo.env("KILN_PREVIOUS", previous);
        }
        assert!(cargo.status().unwrap().success(), "cargo build failed");
        let out = Command::new(target.join("debug/previous-release"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(build_and_run(None), "0");
    assert_eq!(build_and_run(Some(previous.path())), "1");
    assert_eq!(build_and_run(None), "0");
}
