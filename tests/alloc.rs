//! Allocations per request: the service allocates nothing but the response's header map, which
//! any `http::Response` with headers needs. Counted per thread, so tests running in parallel do
//! not disturb each other.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use http::{HeaderMap, HeaderValue, Request};

use crate::util::Site;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counter is a
// const-initialised thread-local `Cell`, which never allocates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    let result = f();
    COUNTING.with(|c| c.set(false));
    drop(result);
    COUNT.with(Cell::get)
}

fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request<()> {
    let mut req = Request::builder().method(method).uri(uri);
    for &(name, value) in headers {
        req = req.header(name, value);
    }
    req.body(()).unwrap()
}

/// A request with more header lines than the service walks (it then looks fields up).
fn many_lines() -> Request<()> {
    let mut req = Request::get("/css/app.css");
    for i in 0..40 {
        req = req.header(format!("x-filler-{i}"), "1");
    }
    req.header("accept-encoding", "gzip, deflate, br, zstd")
        .body(())
        .unwrap()
}

#[test]
fn a_request_allocates_only_the_header_map() {
    let service = Site::service();
    let css = Site::get("css/app.css").unwrap();
    let fingerprinted = format!("/{}", css.fingerprinted_path());
    let requests = [
        request("GET", "/css/app.css", &[]),
        request(
            "GET",
            &fingerprinted,
            &[("accept-encoding", "gzip, deflate, br, zstd")],
        ),
        request(
            "GET",
            "/css/app.css",
            &[("accept-encoding", "gzip;q=0.8, br;q=0.9, *;q=0.1")],
        ),
        request("GET", "/css/app.css?v=3", &[("if-none-match", css.etag())]),
        request(
            "GET",
            "/css/app.css",
            &[("if-none-match", "\"a\", W/\"b\", \"c\"")],
        ),
        request("GET", "/css/app.css", &[("if-match", "\"nope\"")]),
        request("HEAD", "/js/app.js", &[("accept-encoding", "br")]),
        request("GET", "/file%20with%20space.txt", &[]),
        request("GET", "/missing.css", &[]),
        request("GET", "/../etc/passwd", &[]),
        request("POST", "/css/app.css", &[]),
        request("GET", "/static/css/app.css", &[("accept-encoding", "br")]),
        // Fields found by asking the map: repeated lines, and more lines than are walked.
        request(
            "GET",
            "/css/app.css",
            &[
                ("accept-encoding", "gzip"),
                ("accept-encoding", "br;q=0.5"),
                ("if-none-match", "\"x\""),
                ("if-none-match", css.etag()),
            ],
        ),
        many_lines(),
    ];
    // The header map of a response: what any `http::Response` with these headers costs.
    let header_map = allocations(|| HeaderMap::<HeaderValue>::with_capacity(12));
    assert!(header_map > 0);
    for req in &requests {
        let _warm = service.respond(req);
        let n = allocations(|| service.respond(req));
        assert_eq!(
            n,
            header_map,
            "{} {} {:?}",
            req.method(),
            req.uri(),
            req.headers()
        );
    }
}

/// A delta (RFC 9842) is served like any variant: from memory, with a prepared head.
#[test]
fn a_delta_allocates_only_the_header_map() {
    use crate::deltas::{CHROME, Dict, names, previous};
    let service = Dict::service();
    let js = Dict::get("dict/app.js").unwrap();
    let url = format!("/{}", js.url_path());
    let known = names(&previous("app.v1.js"));
    let delta = js.deltas()[0].etag().to_owned();
    let requests = [
        request(
            "GET",
            &url,
            &[
                ("accept-encoding", CHROME),
                ("available-dictionary", &known),
            ],
        ),
        request(
            "GET",
            &url,
            &[
                ("accept-encoding", CHROME),
                ("available-dictionary", &known),
                ("if-none-match", &delta),
            ],
        ),
        request(
            "GET",
            &url,
            &[
                ("accept-encoding", CHROME),
                ("available-dictionary", &names(b"unknown")),
            ],
        ),
        request(
            "GET",
            &url,
            &[
                ("accept-encoding", CHROME),
                ("available-dictionary", &known),
                ("sec-fetch-mode", "no-cors"),
                ("sec-fetch-site", "cross-site"),
            ],
        ),
    ];
    let header_map = allocations(|| HeaderMap::<HeaderValue>::with_capacity(12));
    for req in &requests {
        let _warm = service.respond(req);
        let n = allocations(|| service.respond(req));
        assert_eq!(n, header_map, "{:?}", req.headers());
    }
}

#[test]
fn a_range_request_adds_only_its_two_computed_headers() {
    let service = Site::service();
    let req = request("GET", "/css/app.css", &[("range", "bytes=10-99")]);
    let header_map = allocations(|| HeaderMap::<HeaderValue>::with_capacity(12));
    let _warm = service.respond(&req);
    let n = allocations(|| service.respond(&req));
    // Content-Range and Content-Length depend on the range: one header value each.
    assert_eq!(n, header_map + 2);
}

/// Both URLs of a file whose references were rewritten get prepared heads too: its plain URL
/// (the file as written, whose bytes a baked bundle makes on first use) allocates no more than
/// any other request.
#[test]
fn both_forms_of_a_rewritten_file_allocate_only_the_header_map() {
    use kiln::Embed as _;
    let bundle = crate::util::Graph::bundle();
    let service = bundle.service();
    let rewritten: Vec<kiln::AssetRef> = bundle.iter().filter(|a| a.is_rewritten()).collect();
    assert!(!rewritten.is_empty());
    let header_map = allocations(|| HeaderMap::<HeaderValue>::with_capacity(12));
    for asset in &rewritten {
        for path in [asset.path(), asset.fingerprinted_path()] {
            let uri = format!("/{}", kiln_bake::url_encode(path));
            for encoding in ["br", "identity"] {
                let req = request("GET", &uri, &[("accept-encoding", encoding)]);
                let _warm = service.respond(&req);
                let n = allocations(|| service.respond(&req));
                assert_eq!(n, header_map, "{uri} {encoding}");
            }
        }
    }
}
