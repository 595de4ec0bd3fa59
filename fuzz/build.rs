//! Watches the graph fixture, and writes the delta fixture: a script and a stylesheet
//! (`OUT_DIR/deltas`) and their previous release (`OUT_DIR/previous`, an export's layout, which
//! the derive reads through `KILN_PREVIOUS`), one line apart.

fn main() {
    println!("cargo::rerun-if-changed=../tests/fixtures/graph");
    println!("cargo::rerun-if-changed=build.rs");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let (current, previous) = (out.join("deltas"), out.join("previous"));
    std::fs::create_dir_all(&current).unwrap();
    std::fs::create_dir_all(&previous).unwrap();
    let lines = |version: u32, css: bool| -> String {
        (0..400)
            .map(|i| match (i, css) {
                (200, false) => format!("export const version = {version};\n"),
                (200, true) => format!(".version {{ order: {version}; }}\n"),
                (_, false) => format!(
                    "export function f{i}(a) {{ return a * {}; }}\n",
                    i * 7919 % 1000
                ),
                (_, true) => format!(".c{i} {{ margin: {}px; }}\n", i * 7919 % 97),
            })
            .collect()
    };
    for (name, css) in [("app.js", false), ("app.css", true)] {
        write(&current.join(name), &lines(2, css));
        write(&previous.join(format!("{name}.v1")), &lines(1, css));
    }
    write(
        &previous.join("staticfiles.json"),
        r#"{"paths": {"app.js": "app.js.v1", "app.css": "app.css.v1"}, "version": "1.0"}"#,
    );
    println!("cargo::rustc-env=KILN_PREVIOUS={}", previous.display());
}

/// Leaves a file with the same bytes alone, so that its mtime does not force a rebuild.
fn write(path: &std::path::Path, text: &str) {
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return;
    }
    std::fs::write(path, text).unwrap();
}
