//! Delta delivery in a real browser (RFC 9842): headless Chromium over 127.0.0.1 loads a page
//! whose script and stylesheet a scratch binary bakes (v1); the binary is rebuilt with one line of
//! each changed (the same Kiln cache, so the build has deltas against v1) and restarted on the
//! same port; the page loads again with the same browser profile, which kept v1 as a
//! dictionary. The browser must receive `dcb` (the binary logs what it sent), decode it to
//! exactly v2's bytes (the script and stylesheet have `integrity` attributes, and the script
//! only runs, and the stylesheet only applies, when the decoded bytes match), and Resource
//! Timing's `encodedBodySize` must be a small fraction of brotli's size.
//!
//! Without Chromium the test says so and passes, unless `KILN_REQUIRE_BROWSER` is set.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[path = "../example-app/tests/common/chromium.rs"]
mod chromium;

/// The scratch app: the bundle, a page with `integrity` on both assets that reports Resource
/// Timing into the DOM once loaded, and a one-thread-per-connection HTTP/1.1 server that answers
/// `/static/...` with `ServeAssets::respond` (mounted at the root) and logs what it sent.
const MAIN_RS: &str = r##"
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

#[derive(kiln::Embed)]
#[kiln(folder = "static", prefix = "/static")]
struct Static;

fn page() -> String {
    let js = Static::get("app.js").unwrap();
    let css = Static::get("app.css").unwrap();
    format!(
        r#"<!doctype html><html><head><link rel="stylesheet" href="{css_url}" integrity="{css_sri}"></head>
<body><pre id="out">waiting</pre><script src="{js_url}" integrity="{js_sri}"></script><script>
addEventListener("load", () => {{
  const entries = performance.getEntriesByType("resource").map(e => [e.name, e.encodedBodySize, e.decodedBodySize]);
  const css = getComputedStyle(document.body).getPropertyValue("--version").trim();
  document.getElementById("out").textContent =
    "RESULT " + JSON.stringify({{ script: window.appVersion || 0, css, entries }}) + " END";
}});
</script></body></html>"#,
        css_url = css.url(),
        css_sri = css.integrity(),
        js_url = js.url(),
        js_sri = js.integrity(),
    )
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or("GET").to_owned(), parts.next().unwrap_or("/").to_owned());
    let mut request = http::Request::builder().method(method.as_str()).uri(path.as_str());
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            request = request.header(name.trim(), value.trim());
        }
    }
    let request = request.body(()).unwrap();
    let mut out = stream;
    if path == "/" {
        let body = page();
        write!(out, "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncache-control: no-store\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())?;
        return Ok(());
    }
    let response = Static::service().respond(&request);
    let (head, mut body) = response.into_parts();
    let mut bytes = Vec::new();
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    while let std::task::Poll::Ready(Some(Ok(frame))) =
        http_body::Body::poll_frame(std::pin::Pin::new(&mut body), &mut context)
    {
        if let Ok(data) = frame.into_data() {
            bytes.extend_from_slice(&data);
        }
    }
    let encoding = head.headers.get("content-encoding").map_or("identity", |v| v.to_str().unwrap());
    println!("{method} {path} {} {encoding} {}", head.status.as_u16(), bytes.len());
    write!(out, "HTTP/1.1 {}\r\n", head.status)?;
    for (name, value) in &head.headers {
        out.write_all(name.as_str().as_bytes())?;
        out.write_all(b": ")?;
        out.write_all(value.as_bytes())?;
        out.write_all(b"\r\n")?;
    }
    out.write_all(b"connection: close\r\n\r\n")?;
    out.write_all(&bytes)
}

fn main() {
    let port = std::env::args().nth(1).unwrap_or_else(|| "0".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).unwrap();
    println!("listening on {}", listener.local_addr().unwrap());
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || serve(stream));
    }
}
"##;

/// A script and a stylesheet of some 600 varied lines each; line 300 names `version`.
fn assets(version: u32) -> [(String, String); 2] {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 40
    };
    let (mut js, mut css) = (String::new(), String::new());
    for i in 0..600 {
        if i == 300 {
            js.push_str(&format!("window.appVersion = {version};\n"));
            css.push_str(&format!("body {{ --version: {version}; }}\n"));
            continue;
        }
        js.push_str(&format!(
            "function f{i}(a, b) {{ return a * {} + b.length - {}; }}\n",
            next() % 1000,
            next() % 97
        ));
        css.push_str(&format!(
            ".c{i} {{ margin: {}px {}px; color: #{:06x}; }}\n",
            next() % 40,
            next() % 40,
            next() % 0xff_ffff
        ));
    }
    [("app.js".into(), js), ("app.css".into(), css)]
}

/// Builds the scratch app with `version` of the assets, and copies the binary to `to`.
fn build(root: &Path, cache: &Path, version: u32, to: &Path) {
    for (name, text) in assets(version) {
        fs::write(root.join("static").join(name), text).unwrap();
    }
    let target = crate::util::scratch_target();
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .env("KILN_CACHE_DIR", cache)
        .env_remove("KILN_PREVIOUS")
        .env_remove("KILN_EXPAND_TO")
        .status()
        .unwrap();
    assert!(status.success(), "cargo build of the scratch app failed");
    fs::copy(target.join("debug").join("delta-app"), to).unwrap();
}

/// Starts `binary` on `port` (0: any); returns it, the port and the lines it prints.
async fn start(binary: &Path, port: u16) -> (Child, u16, Arc<Mutex<Vec<String>>>) {
    let mut child = Command::new(binary)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("the app prints its address")
        .unwrap()
        .unwrap_or_default();
    let port = first
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            sink.lock().unwrap().push(line);
        }
    });
    (child, port, log)
}

/// The `RESULT {...} END` the page wrote: (script version, stylesheet version, entries).
fn result(dom: &str) -> serde_json::Value {
    let start = dom
        .find("RESULT ")
        .unwrap_or_else(|| panic!("no result in\n{dom}"))
        + 7;
    let end = dom[start..].find(" END").expect("END") + start;
    serde_json::from_str(&dom[start..end].replace("&quot;", "\"")).unwrap()
}

/// (encoded, decoded) sizes of the entry whose URL contains `needle`.
fn sizes(result: &serde_json::Value, needle: &str) -> (u64, u64) {
    let entry = result["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e[0].as_str().unwrap().contains(needle))
        .unwrap_or_else(|| panic!("no {needle} in {result}"));
    (entry[1].as_u64().unwrap(), entry[2].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_decodes_deltas_after_a_rebuild() {
    let Some(browser) = chromium::chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    fs::create_dir_all(root.join("src")).unwrap();
    fs::create_dir_all(root.join("static")).unwrap();
    let kiln = crate::util::kiln_runtime();
    fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"delta-app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nkiln = {{ path = {:?} }}\nhttp = \"1\"\nhttp-body = \"1\"\n\n\
             [workspace]\n{}",
            kiln.display().to_string(),
            crate::util::SCRATCH_PROFILE
        ),
    )
    .unwrap();
    crate::util::copy_lock(&root);
    fs::write(root.join("src/main.rs"), MAIN_RS).unwrap();
    fs::write(
        root.join("build.rs"),
        "fn main() {\n    println!(\"cargo::rerun-if-changed=static\");\n}\n",
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let (v1, v2): (PathBuf, PathBuf) = (dir.path().join("v1"), dir.path().join("v2"));
    build(&root, &cache, 1, &v1);
    // Cargo compares modification times: the edit must be newer than the first build.
    std::thread::sleep(Duration::from_millis(1100));
    build(&root, &cache, 2, &v2);

    let profile = dir.path().join("profile");
    let (app, port, _) = start(&v1, 0).await;
    let url = format!("http://127.0.0.1:{port}/");
    let (dom, _) = chromium::dump_dom(&browser, &profile, &url).await;
    let first = result(&dom);
    assert_eq!(first["script"], 1, "{first}");
    assert_eq!(first["css"], "1", "{first}");
    drop(app);

    // The new release on the same port (the browser's dictionaries are keyed by origin).
    let mut started = None;
    for _ in 0..50 {
        let (child, bound, log) = start(&v2, port).await;
        if bound == port {
            started = Some((child, log));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_app, log) = started.expect("the new binary listens on the same port");
    let (dom, _) = chromium::dump_dom(&browser, &profile, &url).await;
    let second = result(&dom);
    let log = log.lock().unwrap().clone();
    // Both ran with v2's bytes: their integrity matched what the browser decoded.
    assert_eq!(second["script"], 2, "{second}\n{log:#?}");
    assert_eq!(second["css"], "2", "{second}\n{log:#?}");
    for (name, text) in assets(2) {
        let needle = name.split('.').next().unwrap().to_owned() + ".";
        let suffix = name.rsplit('.').next().unwrap();
        let sent: Vec<&String> = log
            .iter()
            .filter(|l| l.contains(&needle) && l.contains(&format!(".{suffix} ")))
            .collect();
        assert!(
            sent.iter()
                .any(|l| l.contains(" 200 dcb ") || l.contains(" 200 dcz ")),
            "{name}: no delta sent: {log:#?}"
        );
        let (encoded, decoded) = sizes(&second, &format!(".{suffix}"));
        assert_eq!(decoded, text.len() as u64, "{name}");
        let mut brotli = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut text.as_bytes(), &mut brotli, &params).unwrap();
        eprintln!(
            "{name}: {encoded} bytes received for {decoded}; brotli 11 is {}",
            brotli.len()
        );
        assert!(
            encoded * 10 < brotli.len() as u64,
            "{name}: {encoded} bytes received, brotli is {}",
            brotli.len()
        );
    }
}
