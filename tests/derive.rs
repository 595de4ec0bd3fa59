//! What `#[derive(kiln::Embed)]` bakes, checked against the fixture files on disk.

use std::collections::BTreeMap;

use kiln::{Embed, Encoding};

use crate::util::{decode, fixtures, sha256_hex, sri};

#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/basic", prefix = "/static")]
struct Basic;

#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/large")]
struct Large;

/// Empty on purpose; the warning that says so is allowed.
#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/basic", exclude = "**")]
#[allow(deprecated)]
struct Nothing;

#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/basic", prefix = "/", compress(none))]
pub(crate) struct Uncompressed;

#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/basic", prefix = "/assets/", compress(gzip))]
struct GzipOnly;

/// For `set_base_url`, which is global to a bundle: its own type so other tests are unaffected.
#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/basic", include = "css/**")]
struct OnCdn;

const BASIC_FILES: &[&str] = &[
    "app.3f2a1c.js",
    "archive.tar.gz",
    "css/app.css",
    "data.json",
    "docs/index.html",
    "empty.txt",
    "file with space.txt",
    "img/logo.png",
    "index.html",
    "js/app.js",
    "nested/deep/x.css",
    "noext",
    "ünïcødé/你好.txt",
];

fn is_hex12(s: &str) -> bool {
    s.len() == 12
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn every_visible_file_in_path_order() {
    let paths: Vec<String> = Basic::iter().map(|a| a.path().to_owned()).collect();
    assert_eq!(paths, BASIC_FILES);
    assert_eq!(Basic::bundle().len(), BASIC_FILES.len());
}

#[test]
fn bytes_hashes_and_integrity_match_the_files() {
    for asset in Basic::iter() {
        let on_disk = std::fs::read(fixtures().join("basic").join(asset.path())).unwrap();
        assert_eq!(asset.bytes(), on_disk, "{}", asset.path());
        assert_eq!(asset.len(), on_disk.len());
        assert_eq!(asset.hash(), sha256_hex(&on_disk), "{}", asset.path());
        assert_eq!(asset.integrity(), sri(&on_disk), "{}", asset.path());
    }
}

#[test]
fn fingerprint_is_twelve_hex_before_the_last_extension() {
    for asset in Basic::iter() {
        let short = &asset.hash()[..12];
        assert!(is_hex12(short));
        let fp = asset.fingerprinted_path();
        let expected = match asset.path() {
            "css/app.css" => format!("css/app.{short}.css"),
            "archive.tar.gz" => format!("archive.tar.{short}.gz"),
            "noext" => format!("noext.{short}"),
            "app.3f2a1c.js" => format!("app.3f2a1c.{short}.js"),
            "ünïcødé/你好.txt" => format!("ünïcødé/你好.{short}.txt"),
            "file with space.txt" => format!("file with space.{short}.txt"),
            _ => continue,
        };
        assert_eq!(fp, expected);
    }
}

#[test]
fn get_finds_plain_and_fingerprinted_paths_only_with_the_current_hash() {
    let css = Basic::get("css/app.css").unwrap();
    let fp = css.fingerprinted_path();
    assert_eq!(Basic::get(fp).unwrap(), css);
    assert!(std::ptr::eq(&*Basic::get("/css/app.css").unwrap(), &*css));
    assert!(Basic::bundle().lookup(fp).unwrap().is_fingerprinted());
    assert!(
        !Basic::bundle()
            .lookup("css/app.css")
            .unwrap()
            .is_fingerprinted()
    );

    // A fingerprint of other content is not this asset.
    let stale = fp.replace(&css.hash()[..12], "000000000000");
    assert!(Basic::get(&stale).is_none());
    assert!(Basic::get("css/missing.css").is_none());
    assert!(Basic::get("css").is_none());
    assert!(Basic::get("").is_none());
    // Hidden files are not in the bundle at all.
    assert!(Basic::get(".hidden").is_none());
    assert!(Basic::get(".well-known/security.txt").is_none());

    for asset in Basic::iter() {
        assert!(std::ptr::eq(&*Basic::get(asset.path()).unwrap(), &*asset));
        assert!(std::ptr::eq(
            &*Basic::get(asset.fingerprinted_path()).unwrap(),
            &*asset
        ));
    }
}

#[test]
fn every_stored_variant_decodes_to_the_file() {
    for bundle in [Basic::bundle(), Large::bundle(), GzipOnly::bundle()] {
        for asset in bundle.iter() {
            let mut seen = Vec::new();
            for variant in asset.encodings() {
                assert_eq!(
                    decode(&variant),
                    asset.bytes(),
                    "{} {}",
                    asset.path(),
                    variant.encoding()
                );
                assert!(!seen.contains(&variant.encoding()), "duplicate encoding");
                seen.push(variant.encoding());
            }
            assert_eq!(seen[0], Encoding::Identity);
        }
    }
}

#[test]
fn variants_are_kept_only_when_they_save_five_percent() {
    let with_variants = [
        "css/app.css",
        "js/app.js",
        "index.html",
        "data.json",
        "nested/deep/x.css",
    ];
    for path in with_variants {
        let asset = Basic::get(path).unwrap();
        let encodings: Vec<Encoding> = asset.variants().iter().map(|v| v.encoding()).collect();
        assert!(
            encodings.contains(&Encoding::Brotli),
            "{path}: {encodings:?}"
        );
        assert!(encodings.contains(&Encoding::Gzip), "{path}: {encodings:?}");
        assert_eq!(
            encodings.contains(&Encoding::Zstd),
            cfg!(feature = "zstd"),
            "{path}: {encodings:?}"
        );
    }
    for asset in Basic::iter() {
        for v in asset.variants() {
            assert!(
                v.len() * 100 <= asset.len() * 95,
                "{} {}",
                asset.path(),
                v.encoding()
            );
        }
    }
    // Already-compressed types and empty files get none.
    for path in ["img/logo.png", "archive.tar.gz", "empty.txt"] {
        assert!(Basic::get(path).unwrap().variants().is_empty(), "{path}");
    }
    // A short file that compression cannot shrink by 5% keeps none either.
    let tiny = Basic::get("app.3f2a1c.js").unwrap();
    for v in tiny.variants() {
        assert!(v.len() * 100 <= tiny.len() * 95);
    }
}

#[test]
fn compress_attribute_selects_codecs() {
    assert!(Uncompressed::iter().all(|a| a.variants().is_empty()));
    for asset in GzipOnly::iter() {
        assert!(
            asset
                .variants()
                .iter()
                .all(|v| v.encoding() == Encoding::Gzip)
        );
    }
    assert!(!GzipOnly::get("css/app.css").unwrap().variants().is_empty());
}

#[test]
fn etags_are_strong_and_differ_per_encoding() {
    let css = Basic::get("css/app.css").unwrap();
    assert_eq!(css.etag(), format!("\"{}\"", css.hash()));
    let mut etags = vec![css.etag()];
    for v in css.variants() {
        assert_eq!(
            v.etag(),
            format!("\"{}-{}\"", css.hash(), v.encoding().as_str())
        );
        etags.push(v.etag());
    }
    etags.sort();
    etags.dedup();
    assert_eq!(etags.len(), 1 + css.variants().len());
    assert_eq!(css.encoding(Encoding::Identity).unwrap().etag(), css.etag());
}

#[test]
fn content_types() {
    let cases = [
        ("index.html", "text/html; charset=utf-8"),
        ("css/app.css", "text/css; charset=utf-8"),
        ("js/app.js", "text/javascript; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("file with space.txt", "text/plain; charset=utf-8"),
        ("img/logo.png", "image/png"),
        ("archive.tar.gz", "application/gzip"),
        ("noext", "application/octet-stream"),
    ];
    for (path, want) in cases {
        assert_eq!(Basic::get(path).unwrap().content_type(), want, "{path}");
    }
}

#[test]
fn urls_are_prefixed_and_percent_encoded() {
    let css = Basic::get("css/app.css").unwrap();
    let short = &css.hash()[..12];
    assert_eq!(
        Basic::url("css/app.css").unwrap(),
        format!("/static/css/app.{short}.css")
    );
    assert_eq!(Basic::url(css.fingerprinted_path()).unwrap(), css.url());
    assert!(Basic::url("nope.css").is_none());

    let spaced = Basic::get("file with space.txt").unwrap();
    assert_eq!(
        Basic::url("file with space.txt").unwrap(),
        format!("/static/file%20with%20space.{}.txt", &spaced.hash()[..12])
    );
    let unicode = Basic::get("ünïcødé/你好.txt").unwrap();
    assert_eq!(
        Basic::url("ünïcødé/你好.txt").unwrap(),
        format!(
            "/static/%C3%BCn%C3%AFc%C3%B8d%C3%A9/%E4%BD%A0%E5%A5%BD.{}.txt",
            &unicode.hash()[..12]
        )
    );

    assert_eq!(
        Uncompressed::url("css/app.css").unwrap(),
        format!("/css/app.{short}.css")
    );
    assert_eq!(
        GzipOnly::url("css/app.css").unwrap(),
        format!("/assets/css/app.{short}.css")
    );
}

#[test]
fn base_url_redirects_urls_to_a_cdn() {
    let css = OnCdn::get("css/app.css").unwrap();
    let short = &css.hash()[..12];
    assert_eq!(
        OnCdn::url("css/app.css").unwrap(),
        format!("/static/css/app.{short}.css")
    );
    OnCdn::set_base_url("https://cdn.example.com/assets/");
    assert_eq!(
        OnCdn::url("css/app.css").unwrap(),
        format!("https://cdn.example.com/assets/css/app.{short}.css")
    );
    OnCdn::bundle().clear_base_url();
    assert_eq!(
        OnCdn::url("css/app.css").unwrap(),
        format!("/static/css/app.{short}.css")
    );
}

#[test]
fn manifest_maps_every_path_to_its_fingerprinted_path() {
    let manifest: BTreeMap<String, String> = serde_json::from_str(&Basic::manifest_json()).unwrap();
    let expected: BTreeMap<String, String> = Basic::iter()
        .map(|a| (a.path().to_owned(), a.fingerprinted_path().to_owned()))
        .collect();
    assert_eq!(manifest, expected);
    assert_eq!(manifest.len(), BASIC_FILES.len());
}

#[test]
fn a_five_megabyte_file_from_out_dir() {
    let big = Large::get("big.log").unwrap();
    let on_disk = std::fs::read(concat!(env!("OUT_DIR"), "/large/big.log")).unwrap();
    assert_eq!(big.len(), 5 << 20);
    assert_eq!(big.bytes(), on_disk);
    assert_eq!(big.hash(), sha256_hex(&on_disk));
    let br = big.encoding(Encoding::Brotli).expect("log text compresses");
    assert!(
        br.len() < big.len() / 4,
        "brotli: {} of {}",
        br.len(),
        big.len()
    );
    assert_eq!(decode(&br), on_disk);
}

#[test]
fn empty_file() {
    let empty = Basic::get("empty.txt").unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.bytes(), b"");
    assert_eq!(empty.hash(), sha256_hex(b""));
}

/// Baked bundles only: reload mode compresses in memory, faster (see the crate docs).
#[cfg(not(feature = "reload"))]
#[test]
fn variants_are_the_compression_cache_entries() {
    // The derive reads compressed variants from `<target>/kiln-cache` (or KILN_CACHE_DIR), where
    // OUT_DIR is `<target>/<profile>/build/<package>-<hash>/out`: a second build finds them there.
    let dir = std::env::var_os("KILN_CACHE_DIR").map_or_else(
        || {
            std::path::Path::new(env!("OUT_DIR"))
                .ancestors()
                .nth(4)
                .unwrap()
                .join("kiln-cache")
        },
        std::path::PathBuf::from,
    );
    let cache = kiln_bake::Cache::new(dir);
    let mut checked = 0;
    for asset in Basic::iter() {
        for variant in asset.variants() {
            // The runtime's encodings and kiln-bake's codecs are kiln-codec's one type.
            let entry = cache.entry(asset.hash(), variant.encoding());
            assert_eq!(
                std::fs::read(&entry).unwrap(),
                variant.bytes(),
                "{}",
                entry.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
}

#[derive(kiln::Embed)]
#[kiln(
    folder = "fixtures/basic",
    compress(br),
    compressed_only(min_size = 1000)
)]
struct CompressedOnly;

/// Baked bundles only: reload mode reads every file as it is.
#[cfg(not(feature = "reload"))]
#[test]
fn compressed_only_decodes_identity_on_first_use() {
    for asset in CompressedOnly::iter() {
        let on_disk = std::fs::read(fixtures().join("basic").join(asset.path())).unwrap();
        let expect_lazy = on_disk.len() >= 1000 && !asset.variants().is_empty();
        assert_eq!(asset.is_compressed_only(), expect_lazy, "{}", asset.path());
        assert_eq!(asset.len(), on_disk.len());
        // Decoded once, then the same slice every time.
        let first = asset.bytes();
        assert_eq!(first, on_disk, "{}", asset.path());
        assert!(std::ptr::eq(first, asset.bytes()));
        assert_eq!(asset.identity().bytes(), on_disk);
        assert_eq!(asset.hash(), sha256_hex(&on_disk));
    }
    assert!(
        CompressedOnly::get("css/app.css")
            .unwrap()
            .is_compressed_only()
    );
    assert!(
        !CompressedOnly::get("img/logo.png")
            .unwrap()
            .is_compressed_only()
    );
}

#[tokio::test]
async fn compressed_only_assets_serve_identity_and_ranges() {
    let css = CompressedOnly::get("css/app.css").unwrap();
    let on_disk = std::fs::read(fixtures().join("basic/css/app.css")).unwrap();
    let r = crate::util::send(CompressedOnly::service(), "GET", "/css/app.css", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, on_disk);
    assert_eq!(r.header("content-length"), on_disk.len().to_string());
    let r = crate::util::send(
        CompressedOnly::service(),
        "GET",
        "/css/app.css",
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(r.header("content-encoding"), "br");
    assert_eq!(decode(&css.encoding(Encoding::Brotli).unwrap()), on_disk);
    let r = crate::util::send(
        CompressedOnly::service(),
        "GET",
        "/css/app.css",
        &[("range", "bytes=3-9")],
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, on_disk[3..=9]);
}

#[test]
fn a_bundle_can_be_empty() {
    assert_eq!(Nothing::iter().count(), 0);
    assert_eq!(Nothing::manifest_json(), "{}");
    assert!(Nothing::get("index.html").is_none());
    assert!(Nothing::url("index.html").is_none());
}
