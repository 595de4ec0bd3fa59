//! The README's programs work when pasted: its code blocks are complete files (no lines
//! hidden from the reader, as rustdoc's `# ` lines are), and a new crate made of exactly those
//! blocks, with only the path of `kiln` adjusted, compiles (`cargo check`) without a warning.

use std::fs;
use std::path::Path;
use std::process::Command;

/// A fenced code block: its info string (`rust,no_run`) and its text.
struct Block {
    info: String,
    text: String,
}

fn readme() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap()
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_owned(),
                    text: String::new(),
                });
            }
            (Some(_), Some("")) => blocks.extend(open.take()),
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    blocks
}

/// The one block of `lang` that contains `needle`.
fn find<'a>(blocks: &'a [Block], lang: &str, needle: &str) -> &'a str {
    let found: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.info.split(',').next() == Some(lang) && b.text.contains(needle))
        .collect();
    assert_eq!(found.len(), 1, "one {lang} block with {needle:?}");
    &found[0].text
}

#[test]
fn rust_blocks_hide_nothing() {
    for block in blocks(&readme()) {
        if !block.info.starts_with("rust") {
            continue;
        }
        for line in block.text.lines() {
            let trimmed = line.trim_start();
            assert!(
                !(trimmed == "#" || trimmed.starts_with("# ")),
                "a line hidden from the reader: {line:?} in\n{}",
                block.text
            );
        }
    }
}

/// One program of the README: its dependencies block and its `src/main.rs`, found by a line
/// each has.
struct Program {
    name: &'static str,
    dependencies: &'static str,
    main_rs: &'static str,
}

const PROGRAMS: [Program; 3] = [
    Program {
        name: "pasted-axum",
        dependencies: "features = [\"axum\"]",
        main_rs: "axum::serve",
    },
    Program {
        name: "pasted-actix",
        dependencies: "actix-web",
        main_rs: "Static::actix_service()",
    },
    Program {
        name: "pasted-hyper",
        dependencies: "hyper-util",
        main_rs: "TowerToHyperService",
    },
];

/// The README's programs (axum, actix-web, plain hyper), each a crate of exactly its blocks, the
/// `build.rs` and a stylesheet, compiled together as one workspace (`cargo check`).
#[test]
fn the_usage_examples_build_as_pasted() {
    let readme = readme();
    let blocks = blocks(&readme);
    let build_rs = find(&blocks, "rust", "rerun-if-changed=static");
    // The only edit: where this repository's `kiln` is.
    let kiln = crate::util::kiln_runtime();

    let root = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = root.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    let mut members = Vec::new();
    for program in &PROGRAMS {
        let dependencies = find(&blocks, "toml", program.dependencies);
        assert!(dependencies.contains("[dependencies]"), "{dependencies}");
        let written = dependencies
            .lines()
            .find(|l| l.starts_with("kiln = "))
            .expect("a kiln dependency");
        let path = written
            .split('"')
            .nth(1)
            .expect("kiln's dependency names a path");
        let dependencies = dependencies.replace(path, &kiln.display().to_string());
        let name = program.name;
        write(
            &format!("{name}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                 {dependencies}"
            ),
        );
        write(&format!("{name}/build.rs"), build_rs);
        write(
            &format!("{name}/src/main.rs"),
            find(&blocks, "rust", program.main_rs),
        );
        write(
            &format!("{name}/static/css/app.css"),
            "body { font-family: sans-serif }\n",
        );
        members.push(format!("\"{name}\""));
    }
    write(
        "Cargo.toml",
        &format!(
            "[workspace]\nmembers = [{}]\nresolver = \"3\"\n{}",
            members.join(", "),
            crate::util::SCRATCH_PROFILE
        ),
    );
    crate::util::copy_lock(root.path());

    let cache = tempfile::tempdir().unwrap();
    let target = crate::util::scratch_target();
    let out = Command::new(env!("CARGO"))
        // `check`: everything a build compiles and warns about (the derive bakes, `asset!` checks
        // its path), without generating code for tokio, axum and actix-web a second time.
        .args(["check", "--workspace", "--color", "never"])
        .current_dir(root.path())
        .env("CARGO_TARGET_DIR", &target)
        .env("KILN_CACHE_DIR", cache.path())
        .env_remove("KILN_EXPAND_TO")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README's examples fail to build:\n{stderr}"
    );
    assert!(
        !stderr.contains("warning"),
        "the README's examples build with warnings:\n{stderr}"
    );
}
