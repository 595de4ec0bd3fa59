//! Independent re-computations of what Kiln bakes, to check it against.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use kiln::{Encoding, Variant};
use sha2::{Digest, Sha256, Sha384};

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn sri(bytes: &[u8]) -> String {
    let digest = Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Decodes a stored variant with the reference decoder of its format.
pub(crate) fn decode(variant: &Variant) -> Vec<u8> {
    let bytes = variant.bytes();
    let mut out = Vec::new();
    match variant.encoding() {
        Encoding::Identity => out.extend_from_slice(bytes),
        Encoding::Brotli => {
            brotli::BrotliDecompress(&mut &bytes[..], &mut out).expect("valid brotli");
        }
        Encoding::Gzip => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        #[cfg(feature = "zstd")]
        Encoding::Zstd => out = zstd::decode_all(bytes).expect("valid zstd"),
        other => panic!("unexpected encoding {other}"),
    }
    out
}

/// A bundle over the basic fixture, shared by the HTTP tests.
#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/basic", prefix = "/static")]
pub(crate) struct Site;

/// A bundle over the graph fixture (rewritten CSS, source maps, JavaScript modules), shared by
/// the asset-graph, template and nginx tests; its one dangling reference is deliberate.
#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/graph", prefix = "/static", dangling = "allow")]
pub(crate) struct Graph;

/// A response, collected.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: http::StatusCode,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: bytes::Bytes,
}

impl Reply {
    /// A header as a string; "" when absent.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().expect("visible ASCII header"))
    }
}

/// Sends a request through `service` with `tower::ServiceExt::oneshot`, and the same request
/// through the same service mounted in an actix-web `App` (`ServeAssets::into_actix`), at the
/// bundle's prefix: the two answers must be the same, so that every HTTP test covers both.
///
/// `uri` is relative to the bundle, as `nest_service` passes it; one that starts with the
/// bundle's prefix is a path as a service mounted at the root sees it (plain hyper), which has
/// no actix-web equivalent, and goes through tower only.
pub(crate) async fn send(
    service: kiln::ServeAssets,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let prefix = service.bundle().prefix();
    let at_root = !prefix.is_empty()
        && uri
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']));
    let actix = match at_root {
        false => Some(send_actix(service.clone(), method, uri, headers).await),
        true => None,
    };
    let reply = send_tower(service, method, uri, headers).await;
    if let Some(actix) = actix {
        assert_eq!(
            (&actix.status, &actix.headers, &actix.body),
            (&reply.status, &reply.headers, &reply.body),
            "{method} {uri} {headers:?}: actix-web (left) and tower (right) answer differently"
        );
    }
    reply
}

/// Sends a request through `service` with `tower::ServiceExt::oneshot` only: for a test whose
/// folder changes between two requests, where [`send`]'s two answers may differ.
pub(crate) async fn send_tower(
    service: kiln::ServeAssets,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> Reply {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = service
        .oneshot(req.body(()).unwrap())
        .await
        .unwrap_or_else(|e: std::convert::Infallible| match e {});
    let (parts, body) = res.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// Sends a request through `service` mounted in an actix-web `App`, with actix-web's test
/// client; `uri` is relative to the bundle, as `nest_service` passes it.
async fn send_actix(
    service: kiln::ServeAssets,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> Reply {
    use actix_web::test;
    let prefix = service.bundle().prefix();
    let app = test::init_service(actix_web::App::new().service(service.into_actix())).await;
    let mut req = test::TestRequest::default()
        .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
        .uri(&format!("{prefix}{uri}"));
    for (name, value) in headers {
        req = req.append_header((*name, *value));
    }
    let res = test::call_service(&app, req.to_request()).await;
    let status = http::StatusCode::from_u16(res.status().as_u16()).unwrap();
    let mut map = http::HeaderMap::new();
    for (name, value) in res.headers() {
        map.append(
            http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    Reply {
        status,
        headers: map,
        body: test::read_body(res).await,
    }
}

/// GET `uri` (relative to the bundle, as `nest_service` passes it) with these headers.
pub(crate) async fn get(uri: &str, headers: &[(&str, &str)]) -> Reply {
    send(Site::service(), "GET", uri, headers).await
}

/// Makes `path` look last modified `secs` seconds ago, so that its stamp is trusted.
pub(crate) fn age(path: &std::path::Path, secs: u64) {
    set_modified(
        path,
        std::time::SystemTime::now() - std::time::Duration::from_secs(secs),
    );
}

/// Sets the modification time of `path`.
pub(crate) fn set_modified(path: &std::path::Path, time: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// The target folder of the scratch crates that tests build with Cargo (the README's programs,
/// the rebuild checks): one for all, so that what they share (kiln's dependencies, tokio) is
/// built once, and kept between runs (it is in Cargo's target folder). Cargo's lock on it makes
/// concurrent builds take turns.
pub(crate) fn scratch_target() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scratch-target")
}

/// This repository's `kiln` crate, for a scratch crate's path dependency.
pub(crate) fn kiln_runtime() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime")
}

/// Copies this repository's lock file into the scratch workspace at `root`: the versions already
/// built here, so that nothing is downloaded.
pub(crate) fn copy_lock(root: &Path) {
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock"),
        root.join("Cargo.lock"),
    )
    .expect("copy Cargo.lock into the scratch workspace");
}

/// The profile of those scratch workspaces, the same in each so that their builds share
/// artifacts: no debug info (nothing debugs them; it only costs compile and link time).
pub(crate) const SCRATCH_PROFILE: &str = "[profile.dev]\ndebug = 0\n";

/// A response read off the wire: its status, its headers (names lower-cased) and exactly the
/// bytes after its head.
#[derive(Debug)]
pub(crate) struct Wire {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Wire {
    /// The values of every `name` header, in order.
    pub(crate) fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The one `name` header, if any; panics if there are two.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        match self.values(name)[..] {
            [] => None,
            [value] => Some(value),
            _ => panic!("two {name} headers: {:?}", self.headers),
        }
    }
}

/// One HTTP/1.1 request to a real server on its own connection (`Connection: close`), the whole
/// reply read, so that any byte a HEAD or a 304 should not have is seen.
pub(crate) fn exchange(
    addr: impl std::net::ToSocketAddrs,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Wire {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .expect("the server closes the connection within 10 s");
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    Wire {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}
