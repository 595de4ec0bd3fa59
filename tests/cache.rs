//! The compression cache: a second bake of the same content compresses nothing.

use std::fs;

use kiln_bake::{Cache, Codec, Config, Stored, bake};

fn config(folder: &std::path::Path, cache: &std::path::Path) -> Config {
    Config {
        cache: Some(Cache::new(cache)),
        codecs: vec![Codec::Brotli, Codec::Gzip],
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
