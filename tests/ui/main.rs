//! UI tests of `#[derive(kiln::Embed)]`: every bad input of the contract is a compile error with
//! a span on the attribute at fault and a message naming the path.
//!
//! Fixtures that cannot be committed (a dangling link, names that differ only in case, a name
//! that is not UTF-8) are made in a temporary folder that the cases reach as
//! `$KILN_UI_FIXTURES`. Regenerate the `.stderr` files with `TRYBUILD=overwrite` and review them.

use std::fs;
use std::path::Path;

fn make_fixtures(root: &Path) {
    let dir = |name: &str| {
        let d = root.join(name);
        fs::create_dir_all(&d).unwrap();
        d
    };
    let ok = dir("ok");
    fs::write(ok.join("app.css"), "body { margin: 0 }\n".repeat(20)).unwrap();
    fs::write(root.join("file.txt"), "not a folder").unwrap();
    dir("empty");

    let clash = dir("clash");
    fs::write(clash.join("Logo.svg"), "<svg/>").unwrap();
    fs::write(clash.join("logo.svg"), "<svg></svg>").unwrap();

    let broken = dir("broken");
    fs::write(broken.join("fine.txt"), "fine").unwrap();
    std::os::unix::fs::symlink(root.join("nowhere"), broken.join("dangling.txt")).unwrap();

    let backslash = dir("backslash");
    fs::write(backslash.join("a\\b.txt"), "x").unwrap();

    // 33 MiB of zeros, sparse on disk; a `.zip` name so it is hashed but not compressed.
    let large = dir("large");
    fs::File::create(large.join("big.zip"))
        .unwrap()
        .set_len(33 << 20)
        .unwrap();
    fs::write(large.join("small.txt"), "small").unwrap();

    let graph = dir("graph");
    fs::write(
        graph.join("app.css"),
        ".a { background: url(missing.png) }\n.b { background: url(logo.svg) }\n",
    )
    .unwrap();
    fs::write(graph.join("logo.svg"), "<svg/>").unwrap();

    let non_utf8 = dir("non-utf8");
    let name = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"bad\xff.txt");
    fs::write(non_utf8.join(name), "x").unwrap();
}

#[test]
fn ui() {
    let fixtures = tempfile::tempdir().unwrap();
    make_fixtures(fixtures.path());
    // SAFETY: this is the only test of this binary, and no other thread is running yet.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("KILN_UI_FIXTURES", fixtures.path());
    }
    let cases = trybuild::TestCases::new();
    cases.compile_fail("fail/*.rs");
    cases.pass("pass/*.rs");
}
