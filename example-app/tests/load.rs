//! Load over loopback against the example app: 256 keep-alive connections fetching random files
//! of the bundle, plain and fingerprinted, in random encodings and ranges, every body checked;
//! then 20,000 distinct unknown paths. Zero errors, and the server's resident memory back within
//! 10% of what it was before each phase (nothing grows with what clients ask for). Bounded: each
//! phase stops itself after a few seconds.

use std::io::Read as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The same folder the app bakes: the expected bytes of every URL.
#[allow(deprecated)] // the app's build script watches the folder, not this test's
#[derive(kiln::Embed)]
#[kiln(folder = "static", prefix = "/static")]
struct Static;

const CONNECTIONS: usize = 256;
const PHASE: Duration = Duration::from_secs(3);
const WARM_UP_ROUNDS: usize = 3;

/// Resident memory of `pid` in kB (Linux).
fn resident(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One request the load sends, and the bytes it must get back (decoded, and before any range).
struct Target {
    url: String,
    bytes: Vec<u8>,
}

fn targets() -> Vec<Target> {
    let mut out = Vec::new();
    for asset in Static::iter() {
        out.push(Target {
            url: asset.url().to_owned(),
            bytes: asset.bytes().to_vec(),
        });
        out.push(Target {
            url: format!("/static/{}", asset.path()),
            bytes: asset.as_written().bytes().to_vec(),
        });
    }
    out
}

fn decode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        None => out.extend_from_slice(body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        Some("br") => brotli::BrotliDecompress(&mut &body[..], &mut out).unwrap(),
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    }
    out
}

/// `CONNECTIONS` keep-alive connections sending what `next` makes until `phase` is over; each
/// answer goes to `check`. Returns how many requests were answered.
async fn load<N, C>(addr: &str, phase: Duration, next: N, check: C) -> u64
where
    N: Fn(&mut Rng) -> (String, Vec<(&'static str, String)>, usize) + Send + Sync + 'static,
    C: Fn(usize, &http::response::Parts, &[u8], &[(&'static str, String)]) + Send + Sync + 'static,
{
    let (next, check) = (Arc::new(next), Arc::new(check));
    let answered = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + phase;
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let (addr, next, check, answered) = (
            addr.to_owned(),
            Arc::clone(&next),
            Arc::clone(&check),
            Arc::clone(&answered),
        );
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(&addr).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (c as u64 + 1));
            while Instant::now() < deadline {
                let (url, headers, target) = next(&mut rng);
                let mut request = http::Request::get(&url).header("host", &addr);
                for (name, value) in &headers {
                    request = request.header(*name, value);
                }
                sender.ready().await.expect("the connection stays usable");
                let response = sender
                    .send_request(request.body(Empty::<Bytes>::new()).unwrap())
                    .await
                    .unwrap_or_else(|e| panic!("{url}: {e}"));
                let (parts, body) = response.into_parts();
                let body = body.collect().await.unwrap().to_bytes();
                check(target, &parts, &body, &headers);
                answered.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("no client failed");
    }
    answered.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_without_errors_and_without_growth() {
    let (app, addr) = common::start(&[]).await;
    let pid = app.id().unwrap();
    let targets = Arc::new(targets());

    // Random files, encodings and ranges, every body checked against its file: a few rounds to
    // warm up (first-use tables, and the allocator's arenas for 256 connections, which grow
    // by less each round: +1.4, +0.3, +0.4, +0.1 MB measured), then one measured.
    let mut before = 0;
    for round in 0..=WARM_UP_ROUNDS {
        if round == WARM_UP_ROUNDS {
            tokio::time::sleep(Duration::from_millis(500)).await;
            before = resident(pid);
        }
        let (pick, expect) = (Arc::clone(&targets), Arc::clone(&targets));
        let answered = load(
            &addr,
            PHASE,
            move |rng| {
                let target = rng.below(pick.len());
                let mut headers = Vec::new();
                let encodings = [
                    "br",
                    "gzip",
                    "identity",
                    "br, gzip",
                    "gzip;q=0.5, br;q=0.9",
                    "*",
                ];
                headers.push((
                    "accept-encoding",
                    encodings[rng.below(encodings.len())].to_owned(),
                ));
                let len = pick[target].bytes.len();
                if len > 0 && rng.below(3) == 0 {
                    let a = rng.below(len);
                    let b = a + rng.below(len - a);
                    headers.push(("range", format!("bytes={a}-{b}")));
                }
                (pick[target].url.clone(), headers, target)
            },
            move |target, parts, body, headers| {
                let file = &expect[target].bytes;
                let range = headers.iter().find(|(n, _)| *n == "range");
                match (parts.status.as_u16(), range) {
                    (206, Some((_, range))) => {
                        let (a, b) = range["bytes=".len()..].split_once('-').unwrap();
                        let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
                        assert_eq!(body, &file[a..=b], "{}", expect[target].url);
                    }
                    (200, _) => {
                        let encoding = parts
                            .headers
                            .get("content-encoding")
                            .map(|v| v.to_str().unwrap());
                        assert_eq!(&decode(encoding, body), file, "{}", expect[target].url);
                    }
                    (status, _) => panic!("{}: {status}", expect[target].url),
                }
            },
        )
        .await;
        assert!(answered > 1000, "only {answered} answers");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = resident(pid);
    assert!(
        after * 10 <= before * 11,
        "resident memory grew from {before} kB to {after} kB under load"
    );

    // 20,000 distinct unknown paths: all 404, and no table grows with them.
    let counter = Arc::new(AtomicU64::new(0));
    let unknown = Arc::clone(&counter);
    let before = resident(pid);
    load(
        &addr,
        Duration::from_secs(6),
        move |_| {
            let n = unknown.fetch_add(1, Ordering::Relaxed) % 20_000;
            (format!("/static/nope/{n}/missing-{n}.css"), Vec::new(), 0)
        },
        |_, parts, _, _| assert_eq!(parts.status, 404),
    )
    .await;
    assert!(counter.load(Ordering::Relaxed) >= 20_000, "{counter:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = resident(pid);
    assert!(
        after * 10 <= before * 11,
        "resident memory grew from {before} kB to {after} kB with unknown paths"
    );
}
