//! Reload mode (the `reload` feature): bundles read from their folder on disk follow every edit,
//! addition, deletion and rename without a rebuild, through the same API and HTTP service.
//!
//! Each test edits a folder of its own in `OUT_DIR` (made by the build script, named in the
//! derive), emptying it first.

use std::fs;
use std::path::{Path, PathBuf};

use http::StatusCode;

use crate::util::send;

#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/reload/edits", prefix = "/static")]
struct Edits;

#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/reload/memory", prefix = "/static")]
struct Memory;

#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/reload/race", prefix = "/static")]
struct Race;

fn folder(name: &str) -> PathBuf {
    Path::new(env!("OUT_DIR")).join("reload").join(name)
}

/// Empties the test's folder.
fn reset(name: &str) -> PathBuf {
    let dir = folder(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn text(asset: &kiln::Asset) -> String {
    String::from_utf8(asset.bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn the_bundle_follows_the_folder() {
    use kiln::Embed as _;
    let dir = reset("edits");
    assert!(Edits::bundle().is_read_from_disk());
    let a = dir.join("css/a.css");
    write(&a, "body { color: red }\n");
    let first = Edits::get("css/a.css").unwrap();
    assert_eq!(text(&first), "body { color: red }\n");
    let first_url = Edits::url("css/a.css").unwrap().into_owned();
    assert_eq!(
        first_url,
        format!("/static/css/a.{}.css", &first.hash()[..12])
    );
    let r = send(
        Edits::service(),
        "GET",
        first_url.strip_prefix("/static").unwrap(),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("cache-control"),
        "public, max-age=31536000, immutable"
    );

    // Edited: new bytes, new fingerprint; the old fingerprinted URL is gone.
    write(&a, "body { color: blue; margin: 0 }\n");
    let second = Edits::get("css/a.css").unwrap();
    assert_eq!(text(&second), "body { color: blue; margin: 0 }\n");
    assert_ne!(second.hash(), first.hash());
    let second_url = Edits::url("css/a.css").unwrap().into_owned();
    assert_ne!(second_url, first_url);
    assert!(Edits::get(&first_url["/static/".len()..]).is_none());
    let r = send(
        Edits::service(),
        "GET",
        first_url.strip_prefix("/static").unwrap(),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        Edits::service(),
        "GET",
        "/css/a.css",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("etag").trim_matches('"').split('-').next(),
        Some(second.hash())
    );
    // The handle taken before the edit still reads the bytes it was made of.
    assert_eq!(text(&first), "body { color: red }\n");

    // The same length, a new modification time: read again too.
    write(&a, "body { color: green; margin: 0 }\n"[..32].as_ref());
    crate::util::set_modified(
        &a,
        std::time::SystemTime::now() - std::time::Duration::from_secs(60),
    );
    let third = Edits::get("css/a.css").unwrap();
    assert_eq!(text(&third).len(), 32);
    assert_ne!(third.hash(), second.hash());

    // Added: served, listed, in the manifest.
    write(&dir.join("js/b.js"), "console.log(1)\n");
    assert!(Edits::get("js/b.js").is_some());
    let paths: Vec<String> = Edits::iter().map(|a| a.path().to_owned()).collect();
    assert_eq!(paths, ["css/a.css", "js/b.js"]);
    assert!(Edits::manifest_json().contains("\"js/b.js\""));

    // Deleted: 404.
    fs::remove_file(&a).unwrap();
    assert!(Edits::get("css/a.css").is_none());
    let r = send(Edits::service(), "GET", "/css/a.css", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(Edits::iter().count(), 1);

    // Renamed: the new name only.
    fs::rename(dir.join("js/b.js"), dir.join("js/c.js")).unwrap();
    assert!(Edits::get("js/b.js").is_none());
    assert_eq!(text(&Edits::get("js/c.js").unwrap()), "console.log(1)\n");

    // A file replaced by a folder with an index: the folder's redirect, then its index.
    fs::remove_file(dir.join("js/c.js")).unwrap();
    write(&dir.join("js/c.js/index.html"), "<p>now a folder</p>\n");
    assert!(Edits::get("js/c.js").is_none());
    let r = send(Edits::service(), "GET", "/js/c.js", &[]).await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    let r = send(Edits::service(), "GET", "/js/c.js/", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"<p>now a folder</p>\n");

    // Symbolic links: one inside the folder is followed; one that leads out of it is not.
    #[cfg(unix)]
    {
        write(&dir.join("real.txt"), "real\n");
        std::os::unix::fs::symlink(dir.join("real.txt"), dir.join("link.txt")).unwrap();
        assert_eq!(text(&Edits::get("link.txt").unwrap()), "real\n");
        let outside = tempfile::NamedTempFile::new().unwrap();
        fs::write(outside.path(), "secret\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.join("out.txt")).unwrap();
        assert!(Edits::get("out.txt").is_none());
        let r = send(Edits::service(), "GET", "/out.txt", &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }

    // Paths that leave the folder, hidden files, and excluded names are never read.
    for path in [
        "../reload/edits/real.txt",
        "/../../Cargo.toml",
        ".hidden",
        "a/../real.txt",
        "//etc/passwd",
        "///etc/passwd",
    ] {
        assert!(Edits::get(path).is_none(), "{path}");
    }
    for path in [
        "//etc/passwd",
        "/%2e%2e/real.txt",
        "/%2F%2Fetc/passwd",
        "/..%5creal.txt",
    ] {
        let r = send(Edits::service(), "GET", path, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    write(&dir.join(".hidden"), "hidden\n");
    assert!(Edits::get(".hidden").is_none());

    // A burst of saves: each request answers with what was just written.
    let burst = dir.join("burst.css");
    for i in 0..100 {
        let body = format!("/* save {i} */ {}\n", "x".repeat(i % 7));
        write(&burst, &body);
        let r = send(Edits::service(), "GET", "/burst.css", &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(std::str::from_utf8(&r.body).unwrap(), body);
        assert_eq!(r.header("content-length"), body.len().to_string());
    }
    restore("edits");
}

/// Leaves the test's folder as the build script made it: the derive scans it when the tests are
/// compiled.
fn restore(name: &str) {
    let dir = reset(name);
    write(&dir.join("placeholder.txt"), "placeholder\n");
}

/// A file rewritten and deleted by another thread while it is requested: every answer is a 404
/// or a whole version of the file, with the length of that version; never a panic.
#[tokio::test]
async fn a_file_changing_under_requests_gives_whole_versions_or_404() {
    let dir = reset("race");
    let file = dir.join("x.css");
    let versions: Vec<String> = (0..4)
        .map(|i| format!("/* version {i} */\n{}", "a { b: c }\n".repeat(50 * (i + 1))))
        .collect();
    write(&file, &versions[0]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, versions, file) = (stop.clone(), versions.clone(), file.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && i < 20_000 {
                match i % 5 {
                    4 => {
                        let _ = fs::remove_file(&file);
                    }
                    n => {
                        let _ = fs::write(&file, &versions[n % versions.len()]);
                    }
                }
                i += 1;
            }
        })
    };
    let (mut served, mut missing) = (0, 0);
    for _ in 0..400 {
        for encoding in ["", "gzip", "br"] {
            // Tower only: the file changes between two requests, so actix-web's answer may differ.
            let r = crate::util::send_tower(
                Race::service(),
                "GET",
                "/x.css",
                &[("accept-encoding", encoding)],
            )
            .await;
            match r.status {
                StatusCode::OK => {
                    served += 1;
                    assert_eq!(r.header("content-length"), r.body.len().to_string());
                    let body = match r.header("content-encoding") {
                        "" => r.body.to_vec(),
                        "gzip" => {
                            let mut out = Vec::new();
                            std::io::Read::read_to_end(
                                &mut flate2::read::GzDecoder::new(&r.body[..]),
                                &mut out,
                            )
                            .unwrap();
                            out
                        }
                        "br" => {
                            let mut out = Vec::new();
                            brotli::BrotliDecompress(&mut &r.body[..], &mut out).unwrap();
                            out
                        }
                        other => panic!("content-encoding {other}"),
                    };
                    let body = String::from_utf8(body).unwrap();
                    // A write caught half-way reads as a prefix of a version: never served as
                    // anything but the bytes that were read, and with their own length.
                    assert!(
                        versions.iter().any(|v| v.starts_with(&body)),
                        "not a version: {body:?}"
                    );
                }
                StatusCode::NOT_FOUND => missing += 1,
                other => panic!("status {other}"),
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(served > 0, "served {served}, missing {missing}");
    restore("race");
}

/// After 300 edits of a 232 kB stylesheet, each followed by a request, the process holds no
/// more than a few versions of it: resident memory grows by less than 32 MB. Measured in a
/// child process (this test, run again by itself), so that other tests' memory does not count.
#[test]
fn memory_stays_bounded_over_many_edits() {
    const CHILD: &str = "KILN_TEST_MEMORY_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let dir = reset("memory");
        let file = dir.join("bootstrap.min.css");
        let rule = ".btn{display:inline-block;padding:.375rem .75rem}";
        let mut rss_after_warm_up = 0;
        for i in 0..300 {
            let mut css = format!("/* edit {i} */");
            while css.len() < 232_000 {
                css.push_str(rule);
                css.push_str(&(css.len() % 9973).to_string());
            }
            write(&file, &css);
            let r = runtime.block_on(send(
                Memory::service(),
                "GET",
                "/bootstrap.min.css",
                &[("accept-encoding", "br")],
            ));
            assert_eq!(r.status, StatusCode::OK);
            if i == 9 {
                rss_after_warm_up = resident();
            }
        }
        let growth = resident().saturating_sub(rss_after_warm_up);
        println!("growth {growth}");
        restore("memory");
        assert!(growth < 32 << 20, "resident memory grew by {growth} bytes");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "reload::memory_stays_bounded_over_many_edits",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Resident memory of this process, in bytes (Linux); 0 where unknown.
fn resident() -> u64 {
    fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/reload/graph", prefix = "/static")]
struct Graph;

#[tokio::test]
async fn editing_an_image_changes_the_fingerprint_of_the_css_that_uses_it() {
    let dir = reset("graph");
    write(&dir.join("img/logo.svg"), "<svg>1</svg>");
    write(
        &dir.join("css/base.css"),
        ".a { background: url(../img/logo.svg) }\n",
    );
    write(&dir.join("css/app.css"), "@import 'base.css';\n");
    let logo = Graph::get("img/logo.svg").unwrap();
    let base = Graph::get("css/base.css").unwrap();
    let app = Graph::get("css/app.css").unwrap();
    assert_eq!(
        text(&base),
        format!(
            ".a {{ background: url(../img/logo.{}.svg) }}\n",
            &logo.hash()[..12]
        )
    );
    assert_eq!(
        text(&app),
        format!(
            "@import '{}';\n",
            base.fingerprinted_path().rsplit('/').next().unwrap()
        )
    );

    // Same length, so only the content (and the times) tell the edit.
    write(&dir.join("img/logo.svg"), "<svg>2</svg>");
    let new_logo = Graph::get("img/logo.svg").unwrap();
    assert_ne!(new_logo.hash(), logo.hash());
    let new_base = Graph::get("css/base.css").unwrap();
    let new_app = Graph::get("css/app.css").unwrap();
    assert!(text(&new_base).contains(&new_logo.hash()[..12]));
    assert_ne!(new_base.fingerprinted_path(), base.fingerprinted_path());
    assert_ne!(new_app.fingerprinted_path(), app.fingerprinted_path());
    // The old stylesheet URL is gone, the new one serves the new bytes; the plain one is as
    // written.
    let old = send(
        Graph::service(),
        "GET",
        &format!("/{}", app.url_path()),
        &[],
    )
    .await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    let new = send(
        Graph::service(),
        "GET",
        &format!("/{}", new_app.url_path()),
        &[],
    )
    .await;
    assert_eq!(&new.body[..], new_app.bytes());
    let plain = send(Graph::service(), "GET", "/css/app.css", &[]).await;
    assert_eq!(&plain.body[..], b"@import 'base.css';\n");

    // A cycle is left as written, not looped on.
    write(&dir.join("css/a.css"), "@import 'b.css';");
    write(&dir.join("css/b.css"), "@import 'a.css';");
    let a = Graph::get("css/a.css").unwrap();
    assert!(text(&a).starts_with("@import 'b."), "{}", text(&a));
    restore("graph");
}

#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/reload/escape", prefix = "/static")]
struct Escape;

/// Reload mode reads the disk on request: no generated request path (`..` after decoding,
/// Windows separators, NUL, overlong UTF-8, links that lead out of the folder) returns a byte of
/// a file outside the folder.
#[test]
fn no_request_path_reads_outside_the_folder() {
    use proptest::prelude::*;
    let dir = reset("escape");
    let outside = folder("escape-outside");
    fs::create_dir_all(&outside).unwrap();
    write(&outside.join("secret.txt"), "OUTSIDE-SECRET\n");
    write(&dir.join("inside.txt"), "inside\n");
    write(&dir.join("css/app.css"), "body { color: red }\n");
    let _ = std::os::unix::fs::symlink(outside.join("secret.txt"), dir.join("leak.txt"));
    let _ = std::os::unix::fs::symlink(&outside, dir.join("out"));
    let _ = std::os::unix::fs::symlink("/etc", dir.join("etc"));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let segment = prop_oneof![
        Just("..".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("%252e%252e".to_owned()),
        Just("..%5c..".to_owned()),
        Just("..\\..".to_owned()),
        Just("%00".to_owned()),
        Just("%c0%ae%c0%ae".to_owned()),
        Just("leak.txt".to_owned()),
        Just("out".to_owned()),
        Just("secret.txt".to_owned()),
        Just("etc".to_owned()),
        Just("passwd".to_owned()),
        Just("escape-outside".to_owned()),
        Just("inside.txt".to_owned()),
        Just("css".to_owned()),
        Just("%2f".to_owned()),
        "[a-z.%0-9]{0,5}",
    ];
    let path = prop::collection::vec(segment, 1..6).prop_map(|s| format!("/{}", s.join("/")));
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 1024,
        ..Default::default()
    });
    runner
        .run(&path, |path| {
            let Ok(uri) = http::Uri::try_from(path.as_str()) else {
                return Ok(());
            };
            let reply = runtime.block_on(send(Escape::service(), "GET", &uri.to_string(), &[]));
            let body = String::from_utf8_lossy(&reply.body);
            prop_assert!(
                !body.contains("OUTSIDE-SECRET") && !body.contains("root:"),
                "{path}"
            );
            if reply.status == StatusCode::OK {
                prop_assert!(
                    body == "inside\n" || body == "body { color: red }\n",
                    "{path}: {body}"
                );
            }
            Ok(())
        })
        .unwrap();
    // The links themselves: the one inside the folder's reach is not followed out of it.
    let reply = runtime.block_on(send(Escape::service(), "GET", "/leak.txt", &[]));
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    restore("escape");
}

#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/reload/page", prefix = "/static")]
struct Linked;

/// The README's page: a `kiln::LazyPage` that links a stylesheet by its fingerprinted URL.
static PAGE: kiln::LazyPage = kiln::LazyPage::new(|| {
    let css = Linked::url("css/app.css").expect("the stylesheet is in the folder");
    kiln::Page::html(format!(r#"<link rel="stylesheet" href="{css}">"#))
});

/// In reload mode an edited stylesheet gets a new fingerprinted URL, and the page links it: the
/// page does not keep linking the old URL, which is a 404 now.
#[tokio::test]
async fn a_lazy_page_links_the_stylesheet_as_it_is_now() {
    let dir = reset("page");
    write(&dir.join("css/app.css"), "body { color: red }\n");
    let before = Linked::url("css/app.css").unwrap().into_owned();
    let page = |p: &kiln::Page| String::from_utf8(p.bytes().to_vec()).unwrap();
    assert!(page(&PAGE.page()).contains(&before));

    write(&dir.join("css/app.css"), "body { color: blue }\n");
    let after = Linked::url("css/app.css").unwrap().into_owned();
    assert_ne!(before, after);
    let html = page(&PAGE.page());
    assert!(html.contains(&after), "{html}");
    assert!(!html.contains(&before), "{html}");
    // The new URL is served, the old one is gone, and the page's ETag followed its bytes.
    for (url, status) in [(&after, StatusCode::OK), (&before, StatusCode::NOT_FOUND)] {
        let path = url.replace("/static", "");
        let got = send(Linked::service(), "GET", &path, &[]).await.status;
        assert_eq!(got, status, "{path}");
    }
    let mut request = http::HeaderMap::new();
    request.insert("if-none-match", PAGE.page().etag().parse().unwrap());
    assert_eq!(PAGE.respond(&request).status(), StatusCode::NOT_MODIFIED);
}
