//! Packs: what kiln-bake writes, kiln reads back exactly; unchanged content writes nothing;
//! identical content is stored once; unused pack files go away.

use std::fs;
use std::path::{Path, PathBuf};

use kiln::{Bundle, Encoding};
use kiln_bake::{BakedFile, Cache, Config, Pack, PackOptions, bake, write_pack};

use crate::util::{age, decode, set_modified};

fn options(compressed_only: Option<u64>) -> PackOptions<'static> {
    PackOptions {
        prefix: "/static",
        compressed_only,
        bundle_id: "tests::pack",
        dictionaries: false,
    }
}

/// Bakes with the compression cache `cache`, brotli and gzip.
fn config(folder: &Path, cache: &Cache) -> Config {
    Config {
        cache: Some(cache.clone()),
        codecs: vec![Encoding::Brotli, Encoding::Gzip],
        ..Config::new(folder)
    }
}

fn bake_and_pack(folder: &Path, cache: &Path, options: &PackOptions<'_>) -> (Vec<BakedFile>, Pack) {
    let cache = Cache::new(cache);
    let baked = bake(&config(folder, &cache)).unwrap();
    let pack = write_pack(&baked.files, options, &cache).unwrap();
    (baked.files, pack)
}

/// The bundle the derive would generate for `pack`.
fn load(pack: &Pack) -> &'static Bundle {
    let leak = |path: &PathBuf| -> &'static [u8] { fs::read(path).unwrap().leak() };
    let chunks: Vec<&'static [u8]> = pack.chunks.iter().map(leak).collect();
    Box::leak(Box::new(Bundle::packed(leak(&pack.meta), chunks.leak())))
}

/// The bytes stored in the pack's data chunks.
fn chunk_bytes(pack: &Pack) -> u64 {
    pack.chunks
        .iter()
        .map(|c| fs::metadata(c).unwrap().len())
        .sum()
}

fn pack_files(cache: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(cache.join("pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "chunk" || e == "meta"))
        .collect();
    files.sort();
    files
}

#[test]
fn what_is_packed_reads_back_exactly() {
    let cache = tempfile::tempdir().unwrap();
    let folder = crate::util::fixtures().join("basic");
    let (files, pack) = bake_and_pack(&folder, cache.path(), &options(None));
    let bundle = load(&pack);

    assert_eq!(bundle.len(), files.len());
    assert_eq!(bundle.prefix(), "/static");
    let manifest: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .map(|f| (f.path.clone(), f.fingerprinted.clone().into()))
        .collect();
    assert_eq!(
        bundle.manifest_json(),
        serde_json::Value::Object(manifest).to_string()
    );
    for (file, asset) in files.iter().zip(bundle.iter()) {
        assert_eq!(asset.path(), file.path);
        assert_eq!(asset.fingerprinted_path(), file.fingerprinted);
        assert_eq!(
            asset.url(),
            format!("/static/{}", kiln_bake::url_encode(&file.fingerprinted))
        );
        assert_eq!(asset.content_type(), file.content_type);
        assert_eq!(asset.integrity(), file.integrity);
        assert_eq!(asset.hash(), file.hash);
        assert_eq!(asset.bytes(), fs::read(&file.source).unwrap());
        assert_eq!(asset.variants().len(), file.variants.len(), "{}", file.path);
        for (variant, baked) in asset.variants().iter().zip(&file.variants) {
            assert_eq!(variant.encoding().as_str(), baked.codec.as_str());
            assert_eq!(variant.len() as u64, baked.len);
            assert_eq!(decode(variant), asset.bytes(), "{}", file.path);
            assert_eq!(
                variant.etag(),
                format!("\"{}-{}\"", file.hash, baked.codec.as_str())
            );
        }
        assert!(std::ptr::eq(
            &*bundle.get(&file.fingerprinted).unwrap(),
            &*asset
        ));
    }
}

#[test]
fn identical_content_is_stored_once() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let text = "the same bytes in two files\n".repeat(200);
    for name in ["a.txt", "b.txt", "sub/c.txt"] {
        let path = folder.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, &text).unwrap();
    }
    let (files, pack) = bake_and_pack(folder.path(), cache.path(), &options(None));
    let one: u64 = files[0].len + files[0].variants.iter().map(|v| v.len).sum::<u64>();
    let stored = chunk_bytes(&pack);
    assert_eq!(stored, one);
    let bundle = load(&pack);
    let (a, c) = (
        bundle.get("a.txt").unwrap(),
        bundle.get("sub/c.txt").unwrap(),
    );
    assert_eq!(a.bytes().as_ptr(), c.bytes().as_ptr(), "one copy, shared");
}

/// Many incompressible files, so that the pack has several chunks.
fn big_folder(folder: &Path) {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for i in 0..120 {
        let bytes: Vec<u8> = (0..40_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        fs::write(folder.join(format!("f{i:03}.bin")), bytes).unwrap();
    }
}

#[test]
fn unchanged_content_writes_nothing_and_one_edit_rewrites_little() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    big_folder(folder.path());
    let (_, first) = bake_and_pack(folder.path(), cache.path(), &options(None));
    assert!(first.chunks.len() >= 4, "{} chunks", first.chunks.len());
    assert_eq!(first.written, first.chunks.len() + 1);

    let (_, again) = bake_and_pack(folder.path(), cache.path(), &options(None));
    assert_eq!(again.written, 0);
    assert_eq!(
        again,
        Pack {
            written: 0,
            ..first.clone()
        }
    );

    fs::write(folder.path().join("f060.bin"), b"edited".repeat(5000)).unwrap();
    let (_, edited) = bake_and_pack(folder.path(), cache.path(), &options(None));
    // The meta, the chunk that held the file, and at most one neighbour whose boundary moved.
    assert!(
        edited.written <= 3,
        "{} of {} written",
        edited.written,
        edited.chunks.len()
    );
    let kept = edited
        .chunks
        .iter()
        .filter(|c| first.chunks.contains(c))
        .count();
    assert!(
        kept + 2 >= first.chunks.len(),
        "{kept} of {} kept",
        first.chunks.len()
    );
    let bundle = load(&edited);
    assert_eq!(
        bundle.get("f060.bin").unwrap().bytes(),
        b"edited".repeat(5000)
    );
}

#[test]
fn compressed_only_assets_store_no_identity() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let big = ".rule { margin: 0 }\n".repeat(2000);
    fs::write(folder.path().join("big.css"), &big).unwrap();
    fs::write(folder.path().join("small.css"), ".a{}\n".repeat(50)).unwrap();
    let (files, pack) = bake_and_pack(folder.path(), cache.path(), &options(Some(10_000)));
    let stored = chunk_bytes(&pack);
    let variants: u64 = files.iter().flat_map(|f| &f.variants).map(|v| v.len).sum();
    let small = files.iter().find(|f| f.path == "small.css").unwrap();
    assert_eq!(
        stored,
        variants + small.len,
        "no identity bytes for big.css"
    );

    let bundle = load(&pack);
    let asset = bundle.get("big.css").unwrap();
    assert!(asset.is_compressed_only());
    assert_eq!(asset.len(), big.len());
    assert_eq!(asset.bytes(), big.as_bytes());
    assert!(!bundle.get("small.css").unwrap().is_compressed_only());
    let identity = asset.encoding(Encoding::Identity).unwrap();
    assert_eq!(identity.etag(), format!("\"{}\"", asset.hash()));
}

#[test]
fn a_file_changed_after_hashing_is_not_packed() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("a.css");
    fs::write(&path, ".a { margin: 0 }\n".repeat(50)).unwrap();
    let cache = Cache::new(cache.path());
    let baked = bake(&config(folder.path(), &cache)).unwrap();
    fs::write(&path, ".b { margin: 0 }\n".repeat(50)).unwrap();
    let error = write_pack(&baked.files, &options(None), &cache).unwrap_err();
    assert!(matches!(error, kiln_bake::Error::Changed(_)), "{error}");
    assert!(
        error.to_string().contains("changed during the build"),
        "{error}"
    );
}

#[test]
fn a_stamp_that_lied_is_dropped_so_the_next_build_recovers() {
    let cache_dir = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("a.css");
    fs::write(&path, ".a { margin: 0 }\n".repeat(50)).unwrap();
    age(&path, 3600);
    let cache = Cache::new(cache_dir.path());
    let config = config(folder.path(), &cache);
    bake(&config).unwrap();
    // Same size and modification time, other bytes: the stamp still matches...
    let modified = fs::metadata(&path).unwrap().modified().unwrap();
    fs::write(&path, ".b { margin: 0 }\n".repeat(50)).unwrap();
    set_modified(&path, modified);
    let stale = bake(&config).unwrap();
    assert_eq!(stale.stats.unchanged, 1);
    // ...so the pack, which reads the bytes, refuses them and forgets the stamp,
    let error = write_pack(&stale.files, &options(None), &cache).unwrap_err();
    assert!(matches!(error, kiln_bake::Error::Changed(_)), "{error}");
    // and the build after that hashes the file again and packs it.
    let fresh = bake(&config).unwrap();
    assert_eq!(fresh.stats.unchanged, 0);
    let pack = write_pack(&fresh.files, &options(None), &cache).unwrap();
    assert_eq!(
        load(&pack).get("a.css").unwrap().bytes(),
        fs::read(&path).unwrap()
    );
}

#[test]
fn unused_pack_files_are_removed_after_an_hour() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("a.css");
    let other_folder = tempfile::tempdir().unwrap();
    fs::write(other_folder.path().join("b.css"), ".b{}\n".repeat(100)).unwrap();
    let other = PackOptions {
        bundle_id: "another bundle",
        ..options(None)
    };

    fs::write(&path, ".v1 { margin: 0 }\n".repeat(100)).unwrap();
    let (_, v1) = bake_and_pack(folder.path(), cache.path(), &options(None));
    let (_, kept) = bake_and_pack(other_folder.path(), cache.path(), &other);
    for file in pack_files(cache.path()) {
        age(&file, 2 * 3600);
    }
    fs::write(&path, ".v2 { margin: 0 }\n".repeat(100)).unwrap();
    let (_, v2) = bake_and_pack(folder.path(), cache.path(), &options(None));
    assert!(v2.written > 0);

    let left = pack_files(cache.path());
    for file in std::iter::once(&v1.meta).chain(&v1.chunks) {
        assert!(!left.contains(file), "{} is unused and old", file.display());
    }
    for file in [&v2, &kept]
        .into_iter()
        .flat_map(|p| std::iter::once(&p.meta).chain(&p.chunks))
    {
        assert!(left.contains(file), "{} is in use", file.display());
    }
}

#[test]
fn a_corrupt_pack_is_reported_as_a_bug() {
    let bundle: &'static Bundle = Box::leak(Box::new(Bundle::packed(b"KILNPACK\x09", &[])));
    let panic = std::panic::catch_unwind(|| bundle.len()).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("pack is corrupt"), "{message}");
}

#[test]
fn an_empty_folder_packs_to_an_empty_bundle() {
    let cache = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let (files, pack) = bake_and_pack(folder.path(), cache.path(), &options(None));
    assert!(files.is_empty());
    assert!(pack.chunks.is_empty());
    let bundle = load(&pack);
    assert_eq!(bundle.len(), 0);
    assert_eq!(bundle.prefix(), "/static");
    assert_eq!(bundle.manifest_json(), "{}");
    assert!(bundle.get("anything").is_none());
}

#[test]
fn a_damaged_chunk_is_written_again() {
    let cache = tempfile::tempdir().unwrap();
    let folder = crate::util::fixtures().join("basic");
    let (_, first) = bake_and_pack(&folder, cache.path(), &options(None));
    let chunk = &first.chunks[0];
    let len = fs::metadata(chunk).unwrap().len();
    fs::File::options()
        .write(true)
        .open(chunk)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let (files, again) = bake_and_pack(&folder, cache.path(), &options(None));
    assert_eq!(again.written, 1);
    assert_eq!(fs::metadata(chunk).unwrap().len(), len);
    let bundle = load(&again);
    for file in &files {
        let asset = bundle.get(&file.path).unwrap();
        assert_eq!(
            asset.bytes(),
            fs::read(&file.source).unwrap(),
            "{}",
            file.path
        );
    }
}
