//! Reload mode: how long the first request for an edited file takes, and steady-state requests
//! for an unchanged one, through `respond()` (no sockets).
//!
//! `KILN_BENCH_CORPUS=CORPUS cargo run --release --features reload --example reload_latency --
//! [FILE] [ROUNDS]` copies CORPUS to a temporary folder (the corpus itself is never edited),
//! serves the copy (through `KILN_CORPUS_FOLDER`), then ROUNDS times (20 by default) appends a
//! comment to FILE (`css/bootstrap.min.css` by default, 232 kB) and times the first request for
//! it with `Accept-Encoding: br` (a stat, a read, SHA-256 and SHA-384, brotli, gzip, and the
//! response), checking that the body is the new version. Prints the median and the worst.

use std::time::{Duration, Instant};

use http::Request;
use kiln_serve_bench::Corpus;

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the corpus") {
        let entry = entry.expect("a corpus entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a corpus file");
        }
    }
}

fn main() {
    use kiln::Embed as _;
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .unwrap_or_else(|| "css/bootstrap.min.css".to_owned());
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let corpus = std::env::var("KILN_BENCH_CORPUS").expect("KILN_BENCH_CORPUS names the corpus");
    let copy = std::env::temp_dir().join(format!("kiln-reload-latency-{}", std::process::id()));
    copy_dir(std::path::Path::new(&corpus), &copy);
    // SAFETY: no other thread runs yet.
    unsafe { std::env::set_var("KILN_CORPUS_FOLDER", &copy) };
    assert!(
        Corpus::bundle().is_read_from_disk(),
        "build with --features reload"
    );

    let service = Corpus::service();
    let request = Request::get(format!("/{file}"))
        .header("accept-encoding", "br")
        .body(())
        .expect("a valid request");
    let path = copy.join(&file);
    let original = std::fs::read(&path).expect("FILE is in the corpus");
    // The first request of all also reads the bundle's settings: not what is measured.
    assert_eq!(service.respond(&request).status(), 200);

    let mut times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut edited = original.clone();
        edited.extend_from_slice(format!("\n/* edit {round} */\n").as_bytes());
        std::fs::write(&path, &edited).expect("edit FILE");
        let start = Instant::now();
        let res = service.respond(&request);
        times.push(start.elapsed());
        assert_eq!(res.status(), 200);
        let etag = res.headers()["etag"].to_str().expect("an ASCII ETag");
        // The plain URL serves the file as written (its source map reference is rewritten in
        // the fingerprinted form only).
        let asset = Corpus::get(&file).expect("still there");
        let written = asset.as_written();
        assert!(etag.contains(written.hash()), "the new version is served");
        assert_eq!(written.bytes(), &edited[..]);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "first request after a save of {file} ({} kB), {rounds} saves: median {:.1} ms, worst {:.1} ms",
        original.len() / 1000,
        ms(times[rounds / 2]),
        ms(times[rounds - 1]),
    );

    // Unchanged: each request stats the file and finds its version cached.
    let n = 20_000;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(service.respond(std::hint::black_box(&request)));
    }
    let per = start.elapsed() / n;
    println!("unchanged file: {:.1} us per respond()", per.as_secs_f64() * 1e6);
    let _ = std::fs::remove_dir_all(&copy);
}
