//! Starts the example app on 127.0.0.1 with an OS-assigned port, as a user would, and talks to
//! it over HTTP/1.1: the page, its fingerprinted assets, revalidation, and Ctrl-C.

use std::io::Read;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::process::Child;

mod common;

struct App {
    child: Child,
    addr: String,
}

impl App {
    async fn start() -> App {
        App::start_with(&[]).await
    }

    async fn start_with(env: &[(&str, &std::path::Path)]) -> App {
        let env: Vec<(&str, &std::ffi::OsStr)> =
            env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
        let (child, addr) = common::start(&env).await;
        App { child, addr }
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> (http::response::Parts, Bytes) {
        let stream = TcpStream::connect(&self.addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let mut req = http::Request::get(path).header("host", &self.addr);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = tokio::time::timeout(
            Duration::from_secs(10),
            sender.send_request(req.body(Empty::<Bytes>::new()).unwrap()),
        )
        .await
        .unwrap()
        .unwrap();
        let (parts, body) = res.into_parts();
        (parts, body.collect().await.unwrap().to_bytes())
    }
}

/// The value of `attr="..."` in the tag that contains `needle`.
fn attr<'a>(page: &'a str, needle: &str, attr: &str) -> &'a str {
    let at = page
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in page"));
    let tag_start = page[..at].rfind('<').unwrap();
    let tag_end = at + page[at..].find('>').unwrap();
    let tag = &page[tag_start..tag_end];
    let key = format!("{attr}=\"");
    let start = tag.find(&key).unwrap_or_else(|| panic!("{attr} in {tag}")) + key.len();
    &tag[start..start + tag[start..].find('"').unwrap()]
}

fn is_fingerprinted(url: &str) -> bool {
    let name = url.rsplit('/').next().unwrap();
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[parts.len() - 2].len() == 12
        && parts[parts.len() - 2]
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn serves_its_page_and_fingerprinted_assets() {
    let app = App::start().await;
    let (parts, page) = app.get("/", &[]).await;
    assert_eq!(parts.status, 200);
    let page = std::str::from_utf8(&page).unwrap();

    // The page itself revalidates: a reload costs one 304.
    assert_eq!(parts.headers["cache-control"], "no-cache");
    let page_etag = parts.headers["etag"].to_str().unwrap().to_owned();
    assert!(
        page_etag.starts_with('"') && page_etag.len() > 20,
        "{page_etag}"
    );
    let (parts, body) = app.get("/", &[("if-none-match", &page_etag)]).await;
    assert_eq!(parts.status, 304);
    assert!(body.is_empty());
    assert_eq!(parts.headers["etag"], page_etag.as_str());

    let css = attr(page, "rel=\"stylesheet\"", "href");
    let js = attr(page, "type=\"module\"", "src");
    let util = attr(page, "rel=\"modulepreload\"", "href");
    let font = attr(page, "rel=\"preload\"", "href");
    let img = attr(page, "<img", "src");
    for url in [css, js, util, font, img] {
        assert!(url.starts_with("/static/"), "{url}");
        assert!(is_fingerprinted(url), "{url}");
    }
    for tag in [
        "rel=\"stylesheet\"",
        "type=\"module\"",
        "rel=\"modulepreload\"",
    ] {
        assert!(attr(page, tag, "integrity").starts_with("sha384-"), "{tag}");
    }
    // The import map sends the plain name app.js imports to util.js's fingerprinted URL.
    assert!(
        page.contains(&format!("\"/static/js/util.js\":\"{util}\"")),
        "{page}"
    );

    // The fingerprinted stylesheet names the font and the image by their fingerprinted URLs,
    // relative to its own; both are served immutable.
    let (_, stylesheet) = app.get(css, &[]).await;
    let stylesheet = std::str::from_utf8(&stylesheet).unwrap().to_owned();
    let font_name = font.rsplit('/').next().unwrap();
    let img_name = img.rsplit('/').next().unwrap();
    assert!(
        stylesheet.contains(&format!("url(../fonts/{font_name})")),
        "{stylesheet}"
    );
    assert!(
        stylesheet.contains(&format!("url(\"../img/{img_name}\")")),
        "{stylesheet}"
    );
    let (parts, plain_css) = app.get("/static/css/site.css", &[]).await;
    assert_eq!(parts.status, 200);
    assert!(
        std::str::from_utf8(&plain_css)
            .unwrap()
            .contains("url(../fonts/kiln-mark.ttf)")
    );

    for url in [css, js, util, font, img] {
        let (parts, plain) = app.get(url, &[]).await;
        assert_eq!(parts.status, 200, "{url}");
        assert_eq!(
            parts.headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(parts.headers.contains_key("etag"));

        // The same bytes, compressed, decode to the file.
        let (parts, br) = app.get(url, &[("accept-encoding", "br")]).await;
        if parts
            .headers
            .get("content-encoding")
            .is_some_and(|v| v == "br")
        {
            let mut out = Vec::new();
            brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
            assert_eq!(out, plain, "{url}");
        }
        let (parts, gz) = app.get(url, &[("accept-encoding", "gzip")]).await;
        if parts
            .headers
            .get("content-encoding")
            .is_some_and(|v| v == "gzip")
        {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, plain, "{url}");
        }
    }

    // The plain name revalidates; the ETag makes it a 304.
    let (parts, _) = app.get("/static/css/site.css", &[]).await;
    assert_eq!(parts.headers["cache-control"], "no-cache");
    let etag = parts.headers["etag"].to_str().unwrap().to_owned();
    let (parts, body) = app
        .get("/static/css/site.css", &[("if-none-match", &etag)])
        .await;
    assert_eq!(parts.status, 304);
    assert!(body.is_empty());

    let (parts, _) = app.get("/static/nope.css", &[]).await;
    assert_eq!(parts.status, 404);

    // A folder without its slash redirects to it (the example has no folder index, so: none).
    let (parts, _) = app.get("/static/css", &[]).await;
    assert_eq!(parts.status, 404);
}

#[tokio::test]
async fn stops_on_ctrl_c() {
    let mut app = App::start().await;
    let pid = app.child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), app.child.wait())
        .await
        .expect("exits after SIGINT")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn manifest_subcommand_prints_the_manifest() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_example-app"))
        .arg("manifest")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.trim().starts_with('{') && text.trim().ends_with('}'));
    assert!(text.contains("\"css/site.css\":\"css/site."), "{text}");
}

#[test]
fn bad_arguments_exit_with_usage() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_example-app"))
        .args(["--addr", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--addr"));
}

#[test]
fn export_subcommand_writes_a_servable_folder() {
    let dir = std::env::temp_dir().join(format!("kiln-example-export-{}", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_example-app"))
        .arg("export")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = std::fs::read_to_string(dir.join("staticfiles.json")).unwrap();
    assert!(manifest.contains("\"paths\"") && manifest.contains("\"version\""));
    let site = std::fs::read(dir.join("css/site.css")).unwrap();
    assert!(!site.is_empty());
    let br = std::fs::read(dir.join("css/site.css.br")).unwrap();
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
    assert_eq!(out, site);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Reload mode, over TCP: the app reads a copy of `static/` (named by `KILN_STATIC_FOLDER`), an
/// edited, an added and a deleted file are served as they are now without a restart, and the
/// page's live-reload stream announces each save within a second.
#[cfg(feature = "reload")]
#[tokio::test]
async fn reload_mode_follows_the_folder_and_announces_changes() {
    let (folder, app) = app_on_a_copy().await;

    let (parts, page) = app.get("/", &[]).await;
    assert_eq!(parts.status, 200);
    let page = String::from_utf8(page.to_vec()).unwrap();
    assert!(
        page.contains("new EventSource(\"/static/__kiln/reload\")"),
        "{page}"
    );
    let css = attr(&page, "rel=\"stylesheet\"", "href").to_owned();

    let (mut events, seen) = open_events(&app).await;
    assert!(seen.contains("text/event-stream"), "{seen}");

    // Edit the stylesheet: the stream says so, and the page links the new version.
    let site_css = folder.path().join("css/site.css");
    let edited = format!(
        "{}\n/* edited */\n",
        std::fs::read_to_string(&site_css).unwrap()
    );
    std::fs::write(&site_css, &edited).unwrap();
    let announced = std::time::Instant::now();
    read_until(&mut events, "data: change", Duration::from_secs(5)).await;
    assert!(
        announced.elapsed() < Duration::from_secs(2),
        "{:?}",
        announced.elapsed()
    );

    let (_, page) = app.get("/", &[]).await;
    let page = String::from_utf8(page.to_vec()).unwrap();
    let new_css = attr(&page, "rel=\"stylesheet\"", "href").to_owned();
    assert_ne!(new_css, css);
    let (parts, body) = app.get(&new_css, &[]).await;
    assert_eq!(parts.status, 200);
    // The fingerprinted stylesheet has its references rewritten; the plain one is the file.
    let body = std::str::from_utf8(&body).unwrap();
    assert!(
        body.ends_with("/* edited */\n") && body.contains("url(../fonts/kiln-mark."),
        "{body}"
    );
    let (_, plain) = app.get("/static/css/site.css", &[]).await;
    assert_eq!(plain, edited.as_bytes());
    let (parts, _) = app.get(&css, &[]).await;
    assert_eq!(parts.status, 404, "the old fingerprint is gone");

    // Added, then deleted.
    std::fs::write(folder.path().join("new.txt"), "added\n").unwrap();
    let (parts, body) = app.get("/static/new.txt", &[]).await;
    assert_eq!(parts.status, 200);
    assert_eq!(&body[..], b"added\n");
    std::fs::remove_file(folder.path().join("new.txt")).unwrap();
    let (parts, _) = app.get("/static/new.txt", &[]).await;
    assert_eq!(parts.status, 404);
}

/// Live reload announces content changes only, one per save: a read of a file (by a tool, or by
/// the server answering the page's requests) announces nothing, a save announces one change,
/// and so does an editor's save that writes a temporary file and renames it over the file.
#[cfg(feature = "reload")]
#[tokio::test]
async fn live_reload_announces_one_change_per_save_and_none_for_reads() {
    let (folder, app) = app_on_a_copy().await;
    let (mut events, _) = open_events(&app).await;
    let quiet = Duration::from_millis(700);

    // Reads: a tool reading the file, and the page and its stylesheet served (the server reads
    // the files it serves, the first time and after each change).
    let site_css = folder.path().join("css/site.css");
    let original = std::fs::read_to_string(&site_css).unwrap();
    let (_, page) = app.get("/", &[]).await;
    let page = String::from_utf8(page.to_vec()).unwrap();
    let (parts, _) = app
        .get(attr(&page, "rel=\"stylesheet\"", "href"), &[])
        .await;
    assert_eq!(parts.status, 200);
    assert_eq!(
        changes(&mut events, quiet).await,
        0,
        "reads are not changes"
    );

    // A save: one change, whichever steps the write took.
    std::fs::write(&site_css, format!("{original}\n/* one */\n")).unwrap();
    assert_eq!(changes(&mut events, Duration::from_millis(1500)).await, 1);
    // Serving the page again after the change reads the file again: still nothing.
    let (_, page) = app.get("/", &[]).await;
    let page = String::from_utf8(page.to_vec()).unwrap();
    app.get(attr(&page, "rel=\"stylesheet\"", "href"), &[])
        .await;
    assert_eq!(
        changes(&mut events, quiet).await,
        0,
        "a reload's own requests"
    );

    // An editor's atomic save: a temporary file written beside it, renamed over it.
    let tmp = folder.path().join("css/.site.css.swp");
    std::fs::write(&tmp, format!("{original}\n/* two */\n")).unwrap();
    std::fs::rename(&tmp, &site_css).unwrap();
    assert_eq!(changes(&mut events, Duration::from_millis(1500)).await, 1);
}

/// The app in reload mode, reading a copy of `static/` (named by `KILN_STATIC_FOLDER`) that the
/// test may edit.
#[cfg(feature = "reload")]
async fn app_on_a_copy() -> (tempfile::TempDir, App) {
    let folder = tempfile::tempdir().unwrap();
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static"),
        folder.path(),
    );
    let app = App::start_with(&[("KILN_STATIC_FOLDER", folder.path())]).await;
    (folder, app)
}

/// The page's live-reload stream, opened with a raw request as a browser's EventSource opens it,
/// and what was read up to its opening comment (the response head included).
#[cfg(feature = "reload")]
async fn open_events(app: &App) -> (TcpStream, String) {
    use tokio::io::AsyncWriteExt as _;
    let mut events = TcpStream::connect(&app.addr).await.unwrap();
    events
        .write_all(
            format!(
                "GET /static/__kiln/reload HTTP/1.1\r\nhost: {}\r\naccept: text/event-stream\r\n\r\n",
                app.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let seen = read_until(&mut events, ": kiln live reload", Duration::from_secs(10)).await;
    (events, seen)
}

/// How many change messages `stream` carries within `window`.
#[cfg(feature = "reload")]
async fn changes(stream: &mut TcpStream, window: Duration) -> usize {
    use tokio::io::AsyncReadExt as _;
    let deadline = tokio::time::Instant::now() + window;
    let mut buf = vec![0u8; 4096];
    let mut seen = String::new();
    while let Ok(read) = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
        let n = read.unwrap();
        assert!(n > 0, "the stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    seen.matches("data: change").count()
}

/// Reads `stream` until what was read contains `needle`; panics after `limit`.
#[cfg(feature = "reload")]
async fn read_until(stream: &mut TcpStream, needle: &str, limit: Duration) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut buf = vec![0u8; 4096];
    let mut seen = String::new();
    while !seen.contains(needle) {
        let n = tokio::time::timeout(limit, stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within {limit:?}: {seen}"))
            .unwrap();
        assert!(n > 0, "the stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    seen
}

#[cfg(feature = "reload")]
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `KILN_STATIC_BASE_URL` (Django's `STATIC_URL`) points every asset URL of the page at a CDN,
/// the import map included, while the app still serves `/static` itself.
#[tokio::test]
async fn a_base_url_from_the_environment_points_the_page_at_a_cdn() {
    let cdn = std::path::Path::new("https://cdn.example.com/assets");
    let app = App::start_with(&[("KILN_STATIC_BASE_URL", cdn)]).await;
    let (_, page) = app.get("/", &[]).await;
    let page = std::str::from_utf8(&page).unwrap();
    let css = attr(page, "rel=\"stylesheet\"", "href");
    assert!(
        css.starts_with("https://cdn.example.com/assets/css/site."),
        "{css}"
    );
    assert!(is_fingerprinted(css), "{css}");
    assert!(
        page.contains("\"https://cdn.example.com/assets/js/util.js\":\"https://cdn.example.com/assets/js/util."),
        "{page}"
    );
    let local = css.replace("https://cdn.example.com/assets", "/static");
    let (parts, _) = app.get(&local, &[]).await;
    assert_eq!(parts.status, 200);
}
