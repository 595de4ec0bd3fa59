//! The compression cache: a second bake of the same content compresses nothing.

use std::fs;

use kiln_bake::{Cache, Config, Encoding, Stored, bake};

fn config(folder: &std::path::Path, cache: &std::path::Path) -> Config {
    Config {
        cache: Some(Cache::new(cache)),
        codecs: vec![Encoding::Brotli, Encoding::Gzip],
        ..Config::new(folder)
    }
}

#[test]
fn second_bake_reuses_every_compression() {
    let cache = tempfile::tempdir().unwrap();
    let folder = crate::util::fixtures().join("basic");
    let first = bake(&config(&folder, cache.path())).unwrap();
    assert!(first.stats.compressed > 0);
    assert_eq!(first.stats.cache_hits, 0);

    let second = bake(&config(&folder, cache.path())).unwrap();
    assert_eq!(second.stats.compressed, 0, "{:?}", second.stats);
    assert_eq!(second.stats.cache_hits, first.stats.compressed);
    assert_eq!(second.files, first.files);
    for file in &second.files {
        for variant in &file.variants {
            let Stored::File(path) = &variant.stored else {
                panic!("variants come from the cache")
            };
            assert!(path.starts_with(cache.path()));
            assert_eq!(fs::metadata(path).unwrap().len(), variant.len);
        }
    }
}

#[test]
fn editing_one_file_recompresses_only_that_file() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    for i in 0..5 {
        fs::write(
            folder.path().join(format!("f{i}.css")),
            format!(".c{i} {{ margin: 0 }}\n").repeat(40),
        )
        .unwrap();
    }
    let first = bake(&config(folder.path(), cache.path())).unwrap();
    assert_eq!(first.stats.compressed, 10);

    fs::write(
        folder.path().join("f3.css"),
        ".edited { margin: 1px }\n".repeat(40),
    )
    .unwrap();
    let second = bake(&config(folder.path(), cache.path())).unwrap();
    assert_eq!(second.stats.compressed, 2, "{:?}", second.stats);
    assert_eq!(second.stats.cache_hits, 8);
}

#[test]
fn identical_content_is_compressed_once() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let text = "the same bytes in two files\n".repeat(50);
    fs::write(folder.path().join("a.txt"), &text).unwrap();
    fs::write(folder.path().join("b.txt"), &text).unwrap();
    let baked = bake(&Config {
        jobs: Some(1),
        ..config(folder.path(), cache.path())
    })
    .unwrap();
    assert_eq!(baked.stats.compressed, 2);
    assert_eq!(baked.stats.cache_hits, 2);
}

#[test]
fn unchanged_files_are_not_read_again() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    for i in 0..4 {
        let path = folder.path().join(format!("f{i}.js"));
        fs::write(&path, format!("console.log({i});\n").repeat(60)).unwrap();
        crate::util::age(&path, 3600);
    }
    let first = bake(&config(folder.path(), cache.path())).unwrap();
    assert!(first.stats.bytes_read > 0);
    assert_eq!(first.stats.unchanged, 0);

    let second = bake(&config(folder.path(), cache.path())).unwrap();
    assert_eq!(second.stats.bytes_read, 0, "{:?}", second.stats);
    assert_eq!(second.stats.unchanged, 4);
    assert_eq!(second.files, first.files);
}

#[test]
fn a_file_changed_to_the_same_size_is_read_again() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("a.css");
    fs::write(&path, ".a { color: red; }\n".repeat(40)).unwrap();
    crate::util::age(&path, 3600);
    let first = bake(&config(folder.path(), cache.path())).unwrap();

    // Same length, other bytes, another (old) modification time.
    fs::write(&path, ".b { color: red; }\n".repeat(40)).unwrap();
    crate::util::age(&path, 7200);
    let second = bake(&config(folder.path(), cache.path())).unwrap();
    assert_eq!(second.stats.unchanged, 0);
    assert_ne!(second.files[0].hash, first.files[0].hash);
    assert_eq!(
        second.files[0].hash,
        kiln_bake::content_hash(&fs::read(&path).unwrap())
    );
}

#[test]
fn a_stamp_is_not_trusted_when_a_variant_is_missing() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    // An SVG, whose stamp vouches for its variants too, and a stylesheet, which may be rewritten
    // and so is compressed after the graph pass whatever its stamp says.
    let svg = folder.path().join("a.svg");
    fs::write(&svg, "<svg><g/></svg>\n".repeat(50)).unwrap();
    let css = folder.path().join("b.css");
    fs::write(&css, ".a { margin: 0 }\n".repeat(50)).unwrap();
    crate::util::age(&svg, 3600);
    crate::util::age(&css, 3600);
    bake(&config(folder.path(), cache.path())).unwrap();
    // The cache lost its entries (say, cleaned by hand) but kept the stamps.
    for entry in fs::read_dir(cache.path()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "stamps" {
            fs::remove_dir_all(entry.path()).unwrap();
        }
    }
    let again = bake(&config(folder.path(), cache.path())).unwrap();
    // The SVG's stamp is not trusted (a variant is missing); the stylesheet's hash is.
    assert_eq!(again.stats.unchanged, 1);
    assert_eq!(again.stats.compressed, 4);
    for file in &again.files {
        assert_eq!(file.variants.len(), 2, "{}", file.path);
        assert!(file.variants.iter().all(|v| match &v.stored {
            Stored::File(p) => p.exists(),
            Stored::Memory(_) => false,
        }));
    }
}
