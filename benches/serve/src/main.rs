//! One benchmark server, on one thread: `serve-bench KIND ADDR [ARGS]` prints `listening ADDR`.
//!
//! - `floor ADDR METHOD PATH [NAME:VALUE...]`: answers every request with the one response Kiln
//!   gives to that request, prepared at start-up (a header-map clone and a static body per
//!   request): the cost of the HTTP stack alone.
//! - `kiln ADDR`: `Corpus::service()` as the router's fallback service (mounted at the root, it
//!   strips the bundle's prefix itself), which measures Kiln's own cost.
//! - `kiln-nest ADDR`: `Corpus::service()` under `nest_service("/static", ...)`, which adds
//!   axum's URI rewriting for nested services.
//! - `servedir ADDR DIR`: tower-http's `ServeDir` over DIR with its `.br`/`.gz` siblings.
//!
//! `serve-bench export DIR` writes the corpus with Kiln's export, for ServeDir and nginx.
//!
//! Every kind is served by the same accept loop: hyper's HTTP/1 connection per accepted socket,
//! with `TCP_NODELAY`, on a current-thread runtime, from a listener with `TCP_DEFER_ACCEPT`. It costs each connection about 4 us of
//! server core less than `axum::serve` (which also detects HTTP/2), the same for every
//! contender; with `SERVE_BENCH_AXUM=1`, `axum::serve` is used instead.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use kiln_serve_bench::Corpus;
use tower_http::services::ServeDir;

fn floor(method: &str, path: &str, headers: &[String]) -> Router {
    // Kiln's answer for this request, with the prefix stripped as nest_service would.
    let inner = path.strip_prefix("/static").unwrap_or(path);
    let mut req = Request::builder().method(method).uri(path);
    for h in headers {
        let (name, value) = h.split_once(':').expect("headers are NAME:VALUE");
        let value = value.trim();
        if value == "@kiln" {
            // Kiln's own ETag for this request without the header: a matching revalidation.
            let mut first = Request::builder().method(method).uri(inner);
            for h in headers.iter().filter(|h| !h.ends_with("@kiln")) {
                let (n, v) = h.split_once(':').expect("NAME:VALUE");
                first = first.header(n.trim(), v.trim());
            }
            let res = Corpus::service().respond(&first.body(()).expect("valid"));
            let etag = res.headers()[http::header::ETAG]
                .to_str()
                .expect("ascii")
                .to_owned();
            req = req.header(name.trim(), etag);
        } else {
            req = req.header(name.trim(), value);
        }
    }
    let req = req.body(()).expect("a valid request");
    let mut probe = Request::builder().method(method).uri(inner);
    for (name, value) in req.headers() {
        probe = probe.header(name, value);
    }
    let res = Corpus::service().respond(&probe.body(()).expect("valid"));
    let status: StatusCode = res.status();
    let headers: HeaderMap = res.headers().clone();
    let body = kiln_body(inner, &req, res);
    let handler = move || {
        let headers = headers.clone();
        let body = body.clone();
        async move {
            let mut res = Response::new(Body::from(body));
            *res.status_mut() = status;
            *res.headers_mut() = headers;
            res
        }
    };
    Router::new().fallback(handler)
}

/// The body of Kiln's response, as a static `Bytes` (no copy per request in the floor either).
fn kiln_body<B>(path: &str, req: &Request<()>, res: Response<B>) -> Bytes {
    let encoding = res
        .headers()
        .get(http::header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("").to_owned());
    if req.method() == http::Method::HEAD || res.status() == StatusCode::NOT_MODIFIED {
        return Bytes::new();
    }
    let Some(found) = <Corpus as kiln::Embed>::bundle().lookup(path) else {
        return Bytes::from_static(b"Not Found\n");
    };
    // A plain URL serves the file as written; a fingerprinted one the rewritten bytes (the same
    // unless the file's references were rewritten, as bootstrap.min.css's source map is).
    let asset = match found {
        kiln::Match::Plain(asset) => asset.as_written().encodings().collect::<Vec<_>>(),
        kiln::Match::Fingerprinted(asset) => asset.encodings().collect(),
    };
    let pick = |wanted: kiln::Encoding| asset.iter().find(|v| v.encoding() == wanted).cloned();
    let variant = match encoding.as_deref() {
        Some(token) => kiln::Encoding::from_token(token).and_then(pick),
        None => pick(kiln::Encoding::Identity),
    };
    // Leaked once, at start-up, so that the floor's body is static like a baked asset's.
    variant.map_or_else(Bytes::new, |v| Bytes::from_static(v.bytes().to_vec().leak()))
}

/// `TCP_DEFER_ACCEPT`: the kernel hands over a connection once its first bytes have arrived, so
/// the server reads the request at once instead of waiting for it in epoll first. nginx's
/// `listen ... deferred`, which `serve.py` gives nginx too. About 7 us of server core less per
/// new connection here, for every contender.
fn defer_accept(listener: &tokio::net::TcpListener) {
    use std::os::fd::AsRawFd as _;
    let seconds: libc::c_int = 1;
    // SAFETY: a valid socket descriptor, and an option value of the size given, which lives
    // for the duration of the call.
    let rc = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            (&raw const seconds).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(
        rc,
        0,
        "TCP_DEFER_ACCEPT: {}",
        std::io::Error::last_os_error()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [cmd, dir] = args.as_slice()
        && cmd == "export"
    {
        use kiln::Embed as _;
        let done = Corpus::bundle().export(dir).expect("export");
        println!("exported {} files to {dir}", done.files);
        return;
    }
    let usage =
        "usage: serve-bench floor|kiln|kiln-nest|servedir ADDR [ARGS] | serve-bench export DIR";
    let (kind, addr) = match args.as_slice() {
        [kind, addr, ..] => (kind.as_str(), addr.parse::<SocketAddr>().expect("ADDR")),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let app = match kind {
        "floor" => floor(&args[2], &args[3], &args[4..]),
        "kiln" => Router::new().fallback_service(Corpus::service()),
        "kiln-nest" => Router::new().nest_service("/static", Corpus::service()),
        "servedir" => Router::new().nest_service(
            "/static",
            ServeDir::new(&args[2])
                .precompressed_br()
                .precompressed_gzip(),
        ),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    // One thread: the driver pins the process to one core.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        defer_accept(&listener);
        println!("listening {}", listener.local_addr().expect("addr"));
        // TCP_NODELAY, as any production server sets it (nginx does by default): without it a
        // body written in several chunks waits on delayed ACKs.
        if std::env::var_os("SERVE_BENCH_AXUM").is_some() {
            use axum::serve::ListenerExt as _;
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app).await.expect("serve");
            return;
        }
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
}
