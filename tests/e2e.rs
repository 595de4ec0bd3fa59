//! End to end over TCP: the service under plain hyper on 127.0.0.1 with an OS-assigned port,
//! and hyper's HTTP/1.1 client.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use kiln::Encoding;
use tokio::net::{TcpListener, TcpStream};

use crate::util::{Site, decode};

/// Serves `Site` on a fresh loopback port until the returned handle is aborted.
async fn start() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                // The tower service as it is, adapted to hyper's Service trait.
                let service = TowerToHyperService::new(Site::service());
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, server)
}

#[tokio::test]
async fn real_http1_exchange_with_decoded_bodies() {
    let (addr, server) = start().await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let client = tokio::spawn(conn);

    let css = Site::get("css/app.css").unwrap();
    let url = Site::url("css/app.css").unwrap();
    // Several requests on one keep-alive connection.
    for (accept, want) in [
        ("br", Encoding::Brotli),
        ("gzip", Encoding::Gzip),
        ("identity", Encoding::Identity),
    ] {
        let req = http::Request::get(&*url)
            .header("host", addr.to_string())
            .header("accept-encoding", accept)
            .body(Empty::<Bytes>::new())
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(res.headers()["vary"], "accept-encoding");
        let encoding = res
            .headers()
            .get("content-encoding")
            .map_or("identity", |v| v.to_str().unwrap())
            .to_owned();
        assert_eq!(encoding, want.as_str());
        let length: usize = res.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body.len(), length);
        let variant = css.encoding(want).unwrap();
        assert_eq!(body, variant.bytes());
        assert_eq!(
            decode(&variant),
            css.bytes(),
            "{accept} decodes to the file"
        );
    }

    // A revalidation and a 404 on the same connection.
    let req = http::Request::get("/static/css/app.css")
        .header("if-none-match", css.etag())
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    assert_eq!(res.status(), 304);
    let req = http::Request::get("/static/missing.css")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    assert_eq!(res.status(), 404);

    drop(sender);
    let _ = client.await;
    server.abort();
}

/// The 5 MiB log of the build script, for the slow-reader test.
#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/large", prefix = "/static")]
struct Large;

/// A client that asks for a large body and stops reading it (a 5 MiB file; the issue's 1.2 MB
/// is the corpus's largest) holds one connection and no more: others are served meanwhile, and
/// the server forgets it when it goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_does_not_stall_others() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = TowerToHyperService::new(Large::service());
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"GET /big.log HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 1024];
    let n = stalled.read(&mut first).await.unwrap();
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));
    // It reads no more. Others are served, whole, in the meantime.
    let big_len = Large::get("big.log").unwrap().len();
    for _ in 0..20 {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let request = http::Request::get("/big.log")
            .header("host", "x")
            .header("accept-encoding", "br")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            sender.send_request(request),
        )
        .await
        .expect("served while another client stalls")
        .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(!body.is_empty() && body.len() < big_len);
    }
    drop(stalled);
    server.abort();
}
