//! A real browser loads the example page: headless Chromium (Debian's `chromium` package) through
//! a recording proxy on 127.0.0.1, so the test sees every URL the browser asked for. The page's
//! module imports `./util.js` by its plain name; with the import map, the browser must fetch only
//! fingerprinted URLs under `/static/`, and the module must run (so its `integrity` matched).
//!
//! Without Chromium the test says so and passes, unless `KILN_REQUIRE_BROWSER` is set (CI sets it
//! once it has installed the browser). `KILN_CHROMIUM` names another binary.

use std::sync::{Arc, Mutex};

#[path = "common/chromium.rs"]
mod chromium;
mod common;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy to `upstream` that records the request line of every request passing through
/// (the browser only sends GETs, which have no body, so each request head is found by its
/// request line after the blank line that ends the previous one).
async fn recording_proxy(upstream: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = TcpStream::connect(&upstream).await.unwrap();
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let (mut client_read, mut client_write) = client.into_split();
                let (mut upstream_read, mut upstream_write) = upstream.into_split();
                let requests = async {
                    let mut buf = vec![0; 16 * 1024];
                    let mut pending = Vec::new();
                    loop {
                        let n = client_read.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        pending.extend_from_slice(&buf[..n]);
                        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
                            if let Some(line) = head.lines().next() {
                                record.lock().unwrap().push(line.to_owned());
                            }
                            pending.drain(..end + 4);
                        }
                        if upstream_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = upstream_write.shutdown().await;
                };
                let responses = async {
                    let _ = tokio::io::copy(&mut upstream_read, &mut client_write).await;
                    let _ = client_write.shutdown().await;
                };
                tokio::join!(requests, responses);
            });
        }
    });
    (addr, seen)
}

fn is_fingerprinted(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').any(|part| {
        part.len() == 12 && part.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_loads_the_modules_from_fingerprinted_urls_only() {
    let Some(browser) = chromium::chromium() else {
        return;
    };
    let (_app, addr) = common::start(&[]).await;
    let (proxy, seen) = recording_proxy(addr).await;

    // Two tries: on a loaded machine a browser can dump the page before its modules ran (seen
    // once in CI-like load). A page that cannot run them (no import map, a wrong integrity)
    // fails both.
    let mut dom = String::new();
    for attempt in 1..=2 {
        seen.lock().unwrap().clear();
        let profile = tempfile::tempdir().unwrap();
        let (page, stderr) =
            chromium::dump_dom(&browser, profile.path(), &format!("http://{proxy}/")).await;
        dom = page;
        if dom.contains("script ran;") {
            break;
        }
        eprintln!(
            "attempt {attempt}: the module had not run; requests: {:#?}\nbrowser: {}",
            seen.lock().unwrap(),
            stderr
        );
    }

    // The module ran: it replaced the status line, which it can only do if app.js and util.js
    // both loaded with matching integrity.
    assert!(
        dom.contains("script ran;"),
        "the page's module did not run:\n{dom}"
    );

    let requests = seen.lock().unwrap().clone();
    let paths: Vec<&str> = requests
        .iter()
        .filter_map(|line| line.strip_prefix("GET ")?.split(' ').next())
        .collect();
    assert!(paths.contains(&"/"), "{requests:#?}");
    // Assets (in reload mode the page also opens the live-reload stream, which is no asset).
    let statics: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| p.starts_with("/static/") && !p.starts_with("/static/__kiln/"))
        .collect();
    for expected in [
        "/static/js/app.",
        "/static/js/util.",
        "/static/css/site.",
        "/static/fonts/kiln-mark.",
    ] {
        assert!(
            statics.iter().any(|p| p.starts_with(expected)),
            "{expected} not requested: {requests:#?}"
        );
    }
    for path in &statics {
        assert!(
            is_fingerprinted(path),
            "a plain URL was loaded: {path}\n{requests:#?}"
        );
    }
    // Nothing but the page and the bundle (a browser may ask for /favicon.ico on its own).
    for path in &paths {
        assert!(
            *path == "/" || *path == "/favicon.ico" || path.starts_with("/static/"),
            "{path}"
        );
    }
}
