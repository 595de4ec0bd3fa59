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

/// Leaves the file alone when it already has these bytes, so its mtime does not force a rebuild.
fn write_if_changed(path: &std::path::Path, bytes: &[u8]) {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return;
    }
    std::fs::write(path, bytes).expect("write large fixture");
}
