//! The asset graph: references in CSS and JavaScript rewritten to fingerprinted names, checked
//! against an independent re-computation, over HTTP, in baked and in reload mode alike (the same
//! expectations hold in both: that is the parity check).

use crate::util::{Graph, decode, send, sha256_hex, sri};

#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/graph", prefix = "/static", rewrite = false)]
struct Unrewritten;

fn source(path: &str) -> Vec<u8> {
    std::fs::read(crate::util::fixtures().join("graph").join(path)).unwrap()
}

fn text(path: &str) -> String {
    String::from_utf8(source(path)).unwrap()
}

/// `name.ext` with the first 12 hex digits of `bytes`' SHA-256 before the extension.
fn fingerprinted(name: &str, bytes: &[u8]) -> String {
    let (stem, ext) = name.rsplit_once('.').unwrap();
    format!("{stem}.{}.{ext}", &sha256_hex(bytes)[..12])
}

/// What `css/app.css` must be once rewritten, worked out here by plain text replacement.
fn expected_app_css() -> (String, String) {
    let font = source("fonts/kiln.woff2");
    let base = text("css/base.css").replace("kiln.woff2", &fingerprinted("kiln.woff2", &font));
    let replacements = [
        (
            "\"base.css\"",
            format!("\"{}\"", fingerprinted("base.css", base.as_bytes())),
        ),
        (
            "url(theme.css)",
            format!(
                "url({})",
                fingerprinted("theme.css", &source("css/theme.css"))
            ),
        ),
        (
            "img/logo.svg",
            format!("img/{}", fingerprinted("logo.svg", &source("img/logo.svg"))),
        ),
        (
            "img/hero.png",
            format!("img/{}", fingerprinted("hero.png", &source("img/hero.png"))),
        ),
        (
            "=app.css.map",
            format!(
                "={}",
                fingerprinted("app.css.map", &source("css/app.css.map"))
            ),
        ),
    ];
    let mut app = text("css/app.css");
    for (from, to) in replacements {
        assert!(app.contains(from), "{from}");
        app = app.replace(from, &to);
    }
    (app, base)
}

#[tokio::test]
async fn fingerprinted_css_names_fingerprinted_files_and_plain_css_is_as_written() {
    let (app, base) = expected_app_css();
    let css = Graph::get("css/app.css").unwrap();
    assert_eq!(std::str::from_utf8(css.bytes()).unwrap(), app);
    assert_eq!(css.hash(), sha256_hex(app.as_bytes()));
    assert_eq!(css.integrity(), sri(app.as_bytes()));
    assert_eq!(
        css.fingerprinted_path(),
        format!("css/{}", fingerprinted("app.css", app.as_bytes()))
    );
    assert!(css.is_rewritten());
    assert_eq!(css.as_written().bytes(), source("css/app.css"));
    for variant in css.variants() {
        assert_eq!(decode(variant), app.as_bytes(), "{}", variant.encoding());
    }
    assert_eq!(Graph::get("css/base.css").unwrap().bytes(), base.as_bytes());
    // Untouched: comments, strings, data URIs, absolute URLs, other prefixes, dangling ones.
    for kept in [
        "old.png",
        "not-a-ref.png",
        "data:image/gif",
        "https://cdn.example.com/x.png",
        "/other/app/x.png",
        "../img/missing.png",
    ] {
        assert!(app.contains(kept), "{kept}");
    }

    // Over HTTP: the fingerprinted URL serves the rewritten bytes, immutable, in every encoding.
    let url = css.url().strip_prefix("/static").unwrap().to_owned();
    let reply = send(Graph::service(), "GET", &url, &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(&reply.body[..], app.as_bytes());
    assert_eq!(
        reply.header("etag"),
        format!("\"{}\"", sha256_hex(app.as_bytes()))
    );
    assert!(reply.header("cache-control").contains("immutable"));
    let reply = send(
        Graph::service(),
        "GET",
        &url,
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(reply.header("content-encoding"), "gzip");

    // The plain URL serves the file as written, with its own entity tag.
    let reply = send(Graph::service(), "GET", "/css/app.css", &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(&reply.body[..], &source("css/app.css")[..]);
    assert_eq!(
        reply.header("etag"),
        format!("\"{}\"", sha256_hex(&source("css/app.css")))
    );
    assert_eq!(reply.header("cache-control"), "no-cache");
    let etag = reply.header("etag").to_owned();
    let reply = send(
        Graph::service(),
        "GET",
        "/css/app.css",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(reply.status, 304);

    // Every fingerprinted reference, resolved against the stylesheet's URL, is served immutable.
    let referenced = [
        "img/logo.svg",
        "img/hero.png",
        "css/base.css",
        "css/theme.css",
        "css/app.css.map",
    ];
    for path in referenced {
        let asset = Graph::get(path).unwrap();
        let name = asset
            .fingerprinted_path()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        assert!(app.contains(&name), "{name} in the stylesheet");
        let reply = send(
            Graph::service(),
            "GET",
            &format!("/{}", asset.url_path()),
            &[],
        )
        .await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(reply.header("cache-control").contains("immutable"));
    }
}

#[test]
fn javascript_source_maps_are_rewritten_and_strings_are_not() {
    let js = Graph::get("js/app.js").unwrap();
    let map = fingerprinted("app.js.map", &source("js/app.js.map"));
    let expected = text("js/app.js").replace("=app.js.map", &format!("={map}"));
    assert_eq!(std::str::from_utf8(js.bytes()).unwrap(), expected);
    assert!(expected.contains("not-this.map"));
    // Module imports are left to the import map.
    assert!(!Graph::get("js/util.js").unwrap().is_rewritten());
}

#[test]
fn rewriting_off_serves_every_file_as_written() {
    for asset in Unrewritten::iter() {
        assert!(!asset.is_rewritten(), "{}", asset.path());
        assert_eq!(asset.bytes(), source(asset.path()));
    }
}

#[test]
fn asset_macro_gives_the_same_url_as_url() {
    let url = kiln::asset!(Graph, "css/app.css");
    assert_eq!(url, Graph::url("css/app.css").unwrap());
    assert_eq!(format!("{url}"), *Graph::url("css/app.css").unwrap());
    let nested = kiln::asset!(crate::util::Graph, "img/logo.svg");
    assert_eq!(&*nested, Graph::get("img/logo.svg").unwrap().url());
}

#[test]
fn export_writes_plain_names_as_written_and_fingerprinted_names_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    <Graph as kiln::Embed>::bundle().export(dir.path()).unwrap();
    let css = Graph::get("css/app.css").unwrap();
    let read = |p: &str| std::fs::read(dir.path().join(p)).unwrap();
    assert_eq!(read("css/app.css"), source("css/app.css"));
    assert_eq!(read(css.fingerprinted_path()), css.bytes());
    let mut gz = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&read(&format!("{}.gz", css.fingerprinted_path()))[..]),
        &mut gz,
    )
    .unwrap();
    assert_eq!(gz, css.bytes());
}
