//! The `kiln` command, run as a user runs it: its export is byte for byte what
//! `Bundle::export` writes for a derive over the same folder, it is rsync-friendly and prunes
//! only when asked, and `check` fails CI on a dangling reference.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kiln::Embed as _;

/// The same folder and options as the command's defaults (prefix `/static`, br and gzip,
/// references rewritten). No build script watches the fixtures (files added to them need a
/// rebuild of these tests), hence the `allow`s.
#[allow(deprecated)]
#[derive(kiln::Embed)]
#[kiln(
    folder = "../tests/fixtures/graph",
    prefix = "/static",
    dangling = "allow"
)]
struct Graph;

#[allow(deprecated)]
#[derive(kiln::Embed)]
#[kiln(folder = "../example-app/static", prefix = "/static")]
struct Example;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn kiln(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .env("KILN_CACHE_DIR", cache)
        .output()
        .expect("run kiln")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Every file under `dir` (relative path to bytes), temporary files included.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn export_is_byte_identical_to_the_derives_export() {
    let cache = tempfile::tempdir().unwrap();
    for (folder, bundle) in [
        ("../tests/fixtures/graph", Graph::bundle()),
        ("../example-app/static", Example::bundle()),
    ] {
        let ours = tempfile::tempdir().unwrap();
        let theirs = tempfile::tempdir().unwrap();
        let folder = fixture(folder);
        ok(&kiln(
            &[
                "export",
                folder.to_str().unwrap(),
                ours.path().to_str().unwrap(),
            ],
            cache.path(),
        ));
        bundle.export(theirs.path()).unwrap();
        let (ours, theirs) = (tree(ours.path()), tree(theirs.path()));
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &ours {
            assert!(theirs[name] == *bytes, "{name} differs");
        }
        assert!(
            ours.keys().any(|n| n.ends_with(".css.br")),
            "{:?}",
            ours.keys()
        );
    }
}

#[test]
fn export_writes_only_what_changed_and_prunes_only_when_asked() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let css = folder.path().join("css/app.css");
    fs::create_dir_all(css.parent().unwrap()).unwrap();
    fs::write(&css, "body { color: red }\n".repeat(20)).unwrap();
    let export = |prune: bool| {
        let mut args = vec![
            "export",
            folder.path().to_str().unwrap(),
            out.path().to_str().unwrap(),
        ];
        if prune {
            args.push("--prune");
        }
        ok(&kiln(&args, cache.path()))
    };

    let first = export(false);
    assert!(first.contains("7 written"), "{first}");
    let names = tree(out.path());
    assert!(!names.keys().any(|n| n.contains("kiln-tmp")), "{names:?}");
    let again = export(false);
    assert!(
        again.contains("0 written (0 bytes), 7 unchanged"),
        "{again}"
    );

    // An edit: the new fingerprinted name appears, the old one stays for pages still using it.
    let old: Vec<String> = names
        .keys()
        .filter(|n| n.starts_with("css/app.") && n.len() > 20)
        .cloned()
        .collect();
    assert_eq!(old.len(), 3, "{old:?}"); // the name, .br, .gz
    fs::write(&css, "body { color: blue }\n".repeat(20)).unwrap();
    export(false);
    let after = tree(out.path());
    for name in &old {
        assert!(after.contains_key(name), "{name} kept");
    }
    export(true);
    let pruned = tree(out.path());
    for name in &old {
        assert!(!pruned.contains_key(name), "{name} pruned");
    }
    assert_eq!(
        pruned["css/app.css"],
        "body { color: blue }\n".repeat(20).into_bytes()
    );
}

#[test]
fn manifest_is_the_derives() {
    let cache = tempfile::tempdir().unwrap();
    let out = ok(&kiln(
        &[
            "manifest",
            fixture("../tests/fixtures/graph").to_str().unwrap(),
        ],
        cache.path(),
    ));
    assert_eq!(out.trim_end(), Graph::manifest_json());
}

#[test]
fn check_fails_on_a_dangling_reference_and_passes_a_clean_folder() {
    let cache = tempfile::tempdir().unwrap();
    let out = kiln(
        &[
            "check",
            fixture("../tests/fixtures/graph").to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "error: `css/app.css` line 15 refers to `../img/missing.png`, but the bundle has no \
             file `img/missing.png`"
        ),
        "{text}"
    );
    assert!(text.contains("1 problem in 10 files"), "{text}");

    // A near miss gets a "did you mean".
    let folder = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(folder.path().join("img")).unwrap();
    std::fs::create_dir_all(folder.path().join("css")).unwrap();
    std::fs::write(folder.path().join("img/logo.png"), [0x89, b'P', b'N', b'G']).unwrap();
    std::fs::write(
        folder.path().join("css/site.css"),
        "body {}\n\n.logo { background: url(../imgs/logo.png) }\n",
    )
    .unwrap();
    let out = kiln(&["check", folder.path().to_str().unwrap()], cache.path());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "error: `css/site.css` line 3 refers to `../imgs/logo.png`, but the bundle has no \
             file `imgs/logo.png`; did you mean `img/logo.png`?"
        ),
        "{text}"
    );

    let out = kiln(
        &["check", fixture("../example-app/static").to_str().unwrap()],
        cache.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = kiln(
        &[
            "check",
            fixture("../example-app/static").to_str().unwrap(),
            "--max-size",
            "100",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("over the limit of 100"));
}

#[test]
fn bad_input_gets_a_clear_message() {
    let cache = tempfile::tempdir().unwrap();
    let out = kiln(&["export", "/no/such/folder", "/tmp/x"], cache.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("folder `/no/such/folder` does not exist"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kiln(&["manifest", ".", "--compress", "lzma"], cache.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown codec `lzma`"));
    let out = kiln(&["manifest", ".", "--prefix", "static"], cache.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must start with `/`"));
}
