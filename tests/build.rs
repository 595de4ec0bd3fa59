//! Writes fixtures too large to commit into OUT_DIR; the tests embed them with
//! `#[kiln(folder = "$OUT_DIR/large")]`. Also makes the folders the reload-mode tests edit.

use std::fmt::Write as _;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=fixtures");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dir = out.join("large");
    std::fs::create_dir_all(&dir).expect("create OUT_DIR/large");

    // 5 MiB of log-like text: compressible, but not trivially (a linear congruential generator
    // picks the words), so the compressors do real work.
    const WORDS: [&str; 16] = [
        "GET",
        "POST",
        "/static/css/app.css",
        "/api/items",
        "200",
        "304",
        "404",
        "br",
        "gzip",
        "Mozilla/5.0",
        "keep-alive",
        "immutable",
        "no-cache",
        "ETag",
        "Vary",
        "Accept-Encoding",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut text = String::with_capacity(5 << 20);
    let mut line = 0u64;
    while text.len() < 5 << 20 {
        let _ = write!(text, "{line:08} ");
        for _ in 0..12 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            text.push_str(WORDS[(state >> 60) as usize]);
            text.push(' ');
        }
        text.push('\n');
        line += 1;
    }
    text.truncate(5 << 20);
    write_if_changed(&dir.join("big.log"), text.as_bytes());

    deltas(&out);

    // Folders the reload-mode tests edit at run time (each test empties its own first); a file
    // in each, so that the derive does not warn about an empty folder.
    for name in [
        "edits", "memory", "race", "live", "graph", "escape", "page", "actix",
    ] {
        let dir = out.join("reload").join(name);
        std::fs::create_dir_all(&dir).expect("create OUT_DIR/reload");
        write_if_changed(&dir.join("placeholder.txt"), b"placeholder\n");
    }
}

/// Two versions of a script and a stylesheet for the delta tests (`deltas.rs`): the current one
/// in `OUT_DIR/deltas/dict`, and the one before it in `OUT_DIR/previous`, laid out as an export
/// writes a release (`staticfiles.json` and the files it names), which the derive reads through
/// `KILN_PREVIOUS` (the tests crate is compiled with it set to that folder). The two versions
/// differ by one line each.
fn deltas(out: &std::path::Path) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    const NAMES: [&str; 12] = [
        "render", "items", "count", "state", "update", "node", "value", "list", "index", "props",
        "handler", "cache",
    ];
    let mut script = Vec::new();
    let mut style = Vec::new();
    for i in 0..600 {
        let (a, b, c) = (NAMES[next() % 12], NAMES[next() % 12], NAMES[next() % 12]);
        script.push(format!(
            "export function {a}_{i}({b}, {c}) {{ return {b}.{c} + {} * {c}.length; }}",
            next() % 1000
        ));
        style.push(format!(
            ".{a}-{i} {{ margin: {}px {}px; color: #{:06x}; }}",
            next() % 40,
            next() % 40,
            next() % 0xff_ffff
        ));
    }
    let current = out.join("deltas").join("dict");
    let previous = out.join("previous");
    std::fs::create_dir_all(&current).expect("create OUT_DIR/deltas");
    std::fs::create_dir_all(previous.join("dict")).expect("create OUT_DIR/previous");
    let join = |lines: &[String]| (lines.join("\n") + "\n").into_bytes();
    write_if_changed(&previous.join("dict/app.v1.js"), &join(&script));
    write_if_changed(&previous.join("dict/app.v1.css"), &join(&style));
    script[300] = "export const version = 2;".to_owned();
    style[300] = ".version { content: \"2\"; }".to_owned();
    write_if_changed(&current.join("app.js"), &join(&script));
    write_if_changed(&current.join("app.css"), &join(&style));
    // Not a dictionary type: no deltas, no `Use-As-Dictionary`.
    write_if_changed(&current.join("data.bin"), &join(&script[..100]));
    write_if_changed(
        &previous.join("staticfiles.json"),
        br#"{"paths": {"dict/app.js": "dict/app.v1.js", "dict/app.css": "dict/app.v1.css"}, "version": "1.0"}"#,
    );
    println!("cargo::rustc-env=KILN_PREVIOUS={}", previous.display());
}

/// Leaves the file alone when it already has these bytes, so its mtime does not force a rebuild.
fn write_if_changed(path: &std::path::Path, bytes: &[u8]) {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return;
    }
    std::fs::write(path, bytes).expect("write large fixture");
}
