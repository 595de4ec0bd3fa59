//! Hostile clients over a real TCP socket against the example app (baked, and in reload mode
//! when the suite runs with `reload`): traversal in every encoding, huge paths and heads,
//! malformed request lines, requests cut off, a slow client. Each gets a 4xx or a closed
//! connection, nothing outside the bundle ever comes back, and the server keeps serving others.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod common;

/// Sends `request` on a new connection and reads until the server closes it (or 5 s pass):
/// everything the server sent, as text.
fn exchange(addr: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // The server may close before reading everything (a head too large): that is an answer.
    let _ = stream.write_all(request);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of a reply, or `None` for a connection closed without one.
fn status(reply: &str) -> Option<u16> {
    reply.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// A 4xx, or no answer at all.
fn refused(reply: &str) -> bool {
    status(reply).is_none_or(|code| (400..500).contains(&code))
}

/// Text that only files outside the bundle hold.
fn leaks(reply: &str) -> bool {
    ["[package]", "fn main", "root:x:0:0", "[workspace]"]
        .iter()
        .any(|secret| reply.contains(secret))
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes()
}

/// The server still answers an ordinary request.
fn still_serving(addr: &str) {
    let reply = exchange(addr, &get("/static/css/site.css"));
    assert_eq!(status(&reply), Some(200), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_a_4xx_or_a_closed_connection() {
    let (_app, addr) = common::start(&[]).await;
    tokio::task::spawn_blocking(move || {
        // Traversal, in every encoding we know of, towards files that exist next to the bundle.
        let traversals = [
            "/static/../Cargo.toml",
            "/static/../../Cargo.toml",
            "/static/%2e%2e/Cargo.toml",
            "/static/%2E%2E/%2E%2E/Cargo.toml",
            "/static/.%2e/src/main.rs",
            "/static/%252e%252e/Cargo.toml",
            "/static/..%2fCargo.toml",
            "/static/..%5cCargo.toml",
            "/static/..\\..\\Cargo.toml",
            "/static/%c0%ae%c0%ae/Cargo.toml",
            "/static/%e0%80%ae%e0%80%ae/Cargo.toml",
            "/static/css/%00/../../Cargo.toml",
            "/static/css%00.css",
            "/static//etc/passwd",
            "/static/%2fetc%2fpasswd",
            "/static/css/site.css/../../../Cargo.toml",
            "//etc/passwd",
            "/../../../../etc/passwd",
        ];
        for path in traversals {
            let reply = exchange(&addr, &get(path));
            assert!(refused(&reply), "{path}: {reply}");
            assert!(!leaks(&reply), "{path} leaked: {reply}");
        }

        // An 8 kB path: a 404, nothing more.
        let long = format!("/static/{}", "a".repeat(8 * 1024));
        assert_eq!(status(&exchange(&addr, &get(&long))), Some(404));

        // 100 kB of headers in one line, and 1,000 header lines: hyper refuses both.
        let big = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "b".repeat(100 * 1024)
        );
        assert!(refused(&exchange(&addr, big.as_bytes())));
        let mut many = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
        for i in 0..1000 {
            many.push_str(&format!("X-{i}: {i}\r\n"));
        }
        many.push_str("\r\n");
        let reply = exchange(&addr, many.as_bytes());
        assert!(refused(&reply), "{reply}");

        // Malformed request lines.
        for line in [
            "GARBAGE\r\n\r\n",
            "GET\r\n\r\n",
            "GET / HTTP/9.9\r\n\r\n",
            "GET /static/css/site.css HTTP/1.1 extra\r\n\r\n",
            "\x00\x01\x02\r\n\r\n",
            "GET /static/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        ] {
            let reply = exchange(&addr, line.as_bytes());
            assert!(refused(&reply), "{line:?}: {reply}");
        }

        // Requests cut off half-way, then closed.
        for partial in ["GET /static/css/si", "GET / HTTP/1.1\r\nHost: x\r\nX-A"] {
            let mut stream = TcpStream::connect(&addr).unwrap();
            stream.write_all(partial.as_bytes()).unwrap();
            drop(stream);
        }
        still_serving(&addr);
    })
    .await
    .unwrap();
}

/// A client that sends its request head a header at a time, forever, is cut off by the header
/// read timeout (10 s) while other clients are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_cut_off_and_does_not_block_others() {
    let (_app, addr) = common::start(&[]).await;
    tokio::task::spawn_blocking(move || {
        let mut slow = TcpStream::connect(&addr).unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        let start = Instant::now();
        let mut cut_off = None;
        while start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(500));
            still_serving(&addr);
            if slow.write_all(b"X-Slow: 1\r\n").is_err() {
                cut_off = Some(start.elapsed());
                break;
            }
            // A closed connection shows on a read too.
            slow.set_read_timeout(Some(Duration::from_millis(10)))
                .unwrap();
            let mut byte = [0u8; 1];
            if matches!(slow.read(&mut byte), Ok(0)) {
                cut_off = Some(start.elapsed());
                break;
            }
        }
        let cut_off = cut_off.expect("the slow client was never cut off");
        assert!(cut_off >= Duration::from_secs(9), "{cut_off:?}");
        still_serving(&addr);
    })
    .await
    .unwrap();
}
