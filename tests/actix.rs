//! actix-web over TCP: `Static::actix_service()` in a real `HttpServer` on 127.0.0.1 with an
//! OS-assigned port, next to an app route, spoken to with raw HTTP/1.1. (Every request of the
//! HTTP suite also goes through actix-web's test client: `util::send`.) What only a real server
//! shows: the `Content-Length` actix-web writes (HEAD's in particular), what stays the app's,
//! and in reload mode the live-reload stream.

use std::net::SocketAddr;

use actix_web::{App, HttpServer, web};
#[cfg(feature = "reload")]
use {
    std::time::Duration,
    tokio::io::{AsyncReadExt as _, AsyncWriteExt as _},
    tokio::net::TcpStream,
};

use crate::util::{Site, exchange};

/// A page, as an actix-web handler answers it.
static PAGE: kiln::LazyPage = kiln::LazyPage::new(|| {
    let css = kiln::asset!(Site, "css/app.css").stylesheet();
    kiln::Page::html(format!("<!doctype html>{css}<h1>actix</h1>"))
});

/// An actix-web server on its own thread (actix-web runs its own runtime), stopped on drop.
struct Server {
    addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
}

impl Server {
    fn start(assets: kiln::ActixService) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .route(
                            "/",
                            web::get().to(|req: actix_web::HttpRequest| async move {
                                PAGE.respond_actix(&req)
                            }),
                        )
                        .route("/api", web::get().to(|| async { "the app's own" }))
                        .service(assets.clone())
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap()
                .run();
                tx.send(server.handle()).unwrap();
                let _ = server.await;
            });
        });
        Server {
            addr,
            handle: rx.recv().unwrap(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Stops accepting and closes the connections; the thread then ends.
        drop(self.handle.stop(false));
    }
}

#[tokio::test]
async fn serves_the_bundle_at_its_prefix_next_to_the_app() {
    let server = Server::start(Site::actix_service());
    let css = Site::get("css/app.css").unwrap();
    let url = Site::url("css/app.css").unwrap();

    for (accept, encoding) in [
        ("br", kiln::Encoding::Brotli),
        ("identity", kiln::Encoding::Identity),
    ] {
        let get = exchange(server.addr, "GET", &url, &[("accept-encoding", accept)]);
        assert_eq!(get.status, 200);
        let variant = css.encoding(encoding).unwrap();
        assert_eq!(get.body, variant.bytes());
        assert_eq!(
            get.header("content-length"),
            Some(&*variant.len().to_string())
        );
        assert_eq!(
            get.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(get.header("x-content-type-options"), Some("nosniff"));

        // HEAD: the GET's head, its Content-Length included, and not one byte of body.
        let head = exchange(server.addr, "HEAD", &url, &[("accept-encoding", accept)]);
        assert_eq!(head.status, 200);
        assert!(
            head.body.is_empty(),
            "{} bytes after a HEAD",
            head.body.len()
        );
        for name in [
            "content-length",
            "etag",
            "content-type",
            "content-encoding",
            "vary",
        ] {
            assert_eq!(head.header(name), get.header(name), "{name}");
        }

        // 304: no body, the ETag again.
        let etag = get.header("etag").unwrap();
        let not_modified = exchange(
            server.addr,
            "GET",
            &url,
            &[("accept-encoding", accept), ("if-none-match", etag)],
        );
        assert_eq!(not_modified.status, 304);
        assert!(not_modified.body.is_empty());
        assert_eq!(not_modified.header("etag"), Some(etag));
    }

    // A range of the identity representation.
    let range = exchange(server.addr, "GET", &url, &[("range", "bytes=0-9")]);
    assert_eq!(range.status, 206);
    assert_eq!(range.body, css.bytes()[..10]);
    assert_eq!(range.header("content-length"), Some("10"));

    // The app's own routes stay the app's; a miss under the prefix is the bundle's 404; a path
    // that only starts like the prefix is not the bundle's.
    let api = exchange(server.addr, "GET", "/api", &[]);
    assert_eq!((api.status, &api.body[..]), (200, &b"the app's own"[..]));
    let missing = exchange(server.addr, "GET", "/static/nope.css", &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("x-content-type-options"), Some("nosniff"));
    let beside = exchange(server.addr, "GET", "/staticx/css/app.css", &[]);
    assert_eq!(beside.status, 404);
    assert_eq!(
        beside.header("x-content-type-options"),
        None,
        "actix-web's own 404"
    );
    let post = exchange(server.addr, "POST", &url, &[("content-length", "0")]);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));

    // The page links the fingerprinted stylesheet, and revalidates to a 304.
    let page = exchange(server.addr, "GET", "/", &[]);
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains(&*url));
    let etag = page.header("etag").unwrap();
    let again = exchange(server.addr, "GET", "/", &[("if-none-match", etag)]);
    assert_eq!(again.status, 304);
}

#[tokio::test]
async fn a_configured_service_keeps_its_settings() {
    let service = Site::service()
        .fallback(Site::get("index.html").unwrap())
        .header(
            http::header::CONTENT_SECURITY_POLICY,
            http::HeaderValue::from_static("default-src 'self'"),
        );
    let server = Server::start(service.into_actix());
    let page = exchange(server.addr, "GET", "/static/app/users/42", &[]);
    assert_eq!(page.status, 200);
    assert_eq!(page.body, Site::get("index.html").unwrap().bytes());
    assert_eq!(
        page.header("content-security-policy"),
        Some("default-src 'self'")
    );
}

/// In reload mode the live-reload stream goes through actix-web too: one message per save.
#[cfg(feature = "reload")]
#[tokio::test]
async fn live_reload_streams_through_actix() {
    #[derive(kiln::Embed)]
    #[kiln(folder = "$OUT_DIR/reload/actix", prefix = "/static")]
    struct Live;

    let dir = std::path::Path::new(env!("OUT_DIR")).join("reload/actix");
    std::fs::write(dir.join("app.css"), "body { color: red }\n").unwrap();
    let server = Server::start(Live::actix_service());
    assert!(Live::live_reload_script().contains("/static/__kiln/reload"));

    let mut events = TcpStream::connect(server.addr).await.unwrap();
    events
        .write_all(
            format!(
                "GET /static/__kiln/reload HTTP/1.1\r\nhost: {}\r\naccept: text/event-stream\r\n\r\n",
                server.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let seen = read_until(&mut events, ": kiln live reload").await;
    assert!(seen.contains("text/event-stream"), "{seen}");
    // Give the watcher its moment to start before the edit it must see.
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::write(dir.join("app.css"), "body { color: blue }\n").unwrap();
    read_until(&mut events, "data: change").await;
}

/// Reads `stream` until what was read contains `needle`; panics after 10 s.
#[cfg(feature = "reload")]
async fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut buf = vec![0u8; 4096];
    let mut seen = String::new();
    while !seen.contains(needle) {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within 10 s: {seen}"))
            .unwrap();
        assert!(n > 0, "the stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    seen
}
