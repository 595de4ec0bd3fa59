//! Starts the example app on 127.0.0.1 with an OS-assigned port, as a user would, and talks to
//! it over HTTP/1.1: the page, its fingerprinted assets, revalidation, and Ctrl-C.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

struct App {
    child: Child,
    addr: String,
}

impl App {
    async fn start() -> App {
        let mut child = Command::new(env!("CARGO_BIN_EXE_example-app"))
            .args(["--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start example-app");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("example-app prints its URL")
        .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
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
    let js = attr(page, "<script", "src");
    let img = attr(page, "<img", "src");
    for url in [css, js, img] {
        assert!(url.starts_with("/static/"), "{url}");
        assert!(is_fingerprinted(url), "{url}");
    }
    assert!(attr(page, "rel=\"stylesheet\"", "integrity").starts_with("sha384-"));
    assert!(attr(page, "<script", "integrity").starts_with("sha384-"));

    for url in [css, js, img] {
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
