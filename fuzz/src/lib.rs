//! What every service target checks: one request through Kiln's service over the graph fixture,
//! and the invariants its answer must keep whatever the request was.

use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};

/// The fixture bundle: CSS with rewritten references, a source map, JavaScript, an image.
#[derive(kiln::Embed)]
#[kiln(
    folder = "../tests/fixtures/graph",
    prefix = "/static",
    dangling = "allow"
)]
pub struct Graph;

/// A script and a stylesheet with `dcb` deltas against their previous release (see `build.rs`).
#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/deltas", prefix = "/static")]
pub struct Deltas;

/// The previous release's version of `path` in [`Deltas`] (the dictionary its deltas need).
pub fn previous(path: &str) -> Vec<u8> {
    let file = std::path::Path::new(env!("OUT_DIR"))
        .join("previous")
        .join(format!("{path}.v1"));
    std::fs::read(file).expect("build.rs wrote the previous release")
}

/// Paths of the bundle, for targets that pick one and vary the headers.
pub fn known_path(pick: u8) -> String {
    let assets: Vec<kiln::AssetRef> = Graph::iter().collect();
    let asset = &assets[usize::from(pick) % assets.len()];
    if pick & 0x80 != 0 {
        format!("/{}", asset.url_path())
    } else {
        format!("/{}", asset.path())
    }
}

/// Polls `future` to completion on this thread (Kiln's futures are ready at once for a baked
/// bundle).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("the service's future never finished");
}

fn collect<B: http_body::Body<Data = bytes::Bytes>>(body: B) -> Vec<u8>
where
    B::Error: std::fmt::Debug,
{
    let mut body = std::pin::pin!(body);
    let mut out = Vec::new();
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        match Pin::as_mut(&mut body).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    out.extend_from_slice(&data);
                }
            }
            Poll::Ready(Some(Err(e))) => panic!("body error: {e:?}"),
            Poll::Ready(None) => return out,
            Poll::Pending => panic!("a baked body is never pending"),
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .map(|v| v.to_str().expect("Kiln sends visible ASCII headers"))
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        "br" => brotli::BrotliDecompress(&mut &body[..], &mut out).expect("valid brotli"),
        other => panic!("unexpected Content-Encoding {other}"),
    }
    out
}

/// The form of an asset (its fingerprinted one or its plain one) whose content hash is `hash`.
fn form_with_hash(hash: &str) -> Option<Vec<u8>> {
    Graph::iter().find_map(|asset| {
        if asset.hash() == hash {
            Some(asset.bytes().to_vec())
        } else if asset.as_written().hash() == hash {
            Some(asset.as_written().bytes().to_vec())
        } else {
            None
        }
    })
}

/// Sends `request` through the service and checks the answer: no panic and no 5xx; a
/// `Content-Length` that is the body's length; a 200 whose body is the file or decodes to it,
/// with the entity tag of what was sent; a 206 whose body is exactly the slice its
/// `Content-Range` names; 304s without a body.
pub fn check(request: Request<()>) {
    let head = request.method() == Method::HEAD;
    let mut service = Graph::service();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(tower_service::Service::<Request<()>>::poll_ready(&mut service, &mut cx).is_ready());
    let response = block_on(tower_service::Service::call(&mut service, request))
        .unwrap_or_else(|e| match e {});
    let (parts, body) = response.into_parts();
    let body = collect(body);
    let status = parts.status;
    assert!(!status.is_server_error(), "{status}");
    if head || status == StatusCode::NOT_MODIFIED {
        assert!(body.is_empty(), "{status} with a body");
    }
    if let Some(length) = header(&parts.headers, "content-length")
        && !head
        && status != StatusCode::NOT_MODIFIED
    {
        assert_eq!(
            length.parse::<usize>().unwrap(),
            body.len(),
            "Content-Length"
        );
    }
    let etag = header(&parts.headers, "etag").map(|e| e.trim_matches('"').to_owned());
    match status.as_u16() {
        200 if !head => {
            let etag = etag.expect("a 200 has an ETag");
            let (hash, suffix) = match etag.split_once('-') {
                Some((hash, suffix)) => (hash, Some(suffix)),
                None => (etag.as_str(), None),
            };
            let file = form_with_hash(hash).expect("the ETag names a form of an asset");
            let encoding = header(&parts.headers, "content-encoding");
            assert_eq!(encoding, suffix, "Content-Encoding and ETag agree");
            match encoding {
                None => assert_eq!(body, file),
                Some(encoding) => assert_eq!(decode(encoding, &body), file),
            }
        }
        206 => {
            let etag = etag.expect("a 206 has an ETag");
            assert!(!etag.contains('-'), "a range is of the identity");
            let file = form_with_hash(&etag).expect("the ETag names a form of an asset");
            let range = header(&parts.headers, "content-range").expect("Content-Range");
            let (span, total) = range
                .strip_prefix("bytes ")
                .and_then(|r| r.split_once('/'))
                .expect("bytes a-b/len");
            assert_eq!(total.parse::<usize>().unwrap(), file.len());
            let (a, b) = span.split_once('-').expect("a-b");
            let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
            assert!(a <= b && b < file.len(), "{range}");
            if !head {
                assert_eq!(body, file[a..=b]);
            }
        }
        416 => {
            let range = header(&parts.headers, "content-range").expect("Content-Range on a 416");
            assert!(range.starts_with("bytes */"), "{range}");
        }
        200 | 304 | 308 | 400 | 404 | 405 | 412 => {}
        other => panic!("unexpected status {other}"),
    }
}

/// Sends a GET of `path` (of [`Deltas`], whose previous release is `dictionary`) through its
/// service and checks the answer: 200; a body that is the file or decodes to it, a delta
/// (`dcb`/`dcz`) with `dictionary` to exactly the file, with an entity tag naming the coding and
/// the dictionary; `Vary` naming `Available-Dictionary` under the fingerprinted URL.
pub fn check_delta(request: Request<()>, file: &[u8], dictionary: &[u8]) {
    let mut service = Deltas::service();
    let response = block_on(tower_service::Service::call(&mut service, request))
        .unwrap_or_else(|e| match e {});
    let (parts, body) = response.into_parts();
    let body = collect(body);
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(
        header(&parts.headers, "content-length").map(|l| l.parse::<usize>().unwrap()),
        Some(body.len())
    );
    let etag = header(&parts.headers, "etag")
        .expect("an ETag")
        .trim_matches('"');
    match header(&parts.headers, "content-encoding") {
        None => assert_eq!(body, file),
        Some(coding @ ("dcb" | "dcz")) => {
            assert_eq!(coding, "dcb", "no dcz without the zstd feature");
            let decoded = kiln_codec::delta::decode_dcb(&body, dictionary).expect("valid dcb");
            assert_eq!(decoded, file);
            let hash = kiln_codec::delta::dictionary_of(&body).expect("a dcb header");
            let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
            assert!(etag.ends_with(&format!("-dcb-{hex}")), "{etag}");
        }
        Some(coding) => {
            assert_eq!(decode(coding, &body), file);
            assert!(etag.ends_with(&format!("-{coding}")), "{etag}");
        }
    }
    let vary = header(&parts.headers, "vary").unwrap_or_default();
    assert_eq!(vary, "accept-encoding, available-dictionary");
}

/// A request with `method`, `path` and `headers`; `None` when `http` cannot represent them.
pub fn request(
    method: &[u8],
    path: &[u8],
    headers: &[(&'static str, &[u8])],
) -> Option<Request<()>> {
    let method = Method::from_bytes(method).ok()?;
    let uri = http::Uri::try_from(path).ok()?;
    let mut request = Request::builder().method(method).uri(uri).body(()).ok()?;
    for (name, value) in headers {
        let value = HeaderValue::from_bytes(value).ok()?;
        request
            .headers_mut()
            .append(http::HeaderName::from_static(name), value);
    }
    Some(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The delta fixture has deltas, and the right dictionary gets one: the `dictionary` target
    /// reaches the delta path.
    #[test]
    fn the_right_dictionary_gets_a_delta() {
        use base64::Engine as _;
        use sha2::Digest as _;
        for path in ["app.js", "app.css"] {
            let asset = Deltas::get(path).unwrap();
            assert!(!asset.deltas().is_empty(), "{path} has no delta");
            let previous = previous(path);
            let value = format!(
                ":{}:",
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&previous))
            );
            let url = format!("/{}", asset.url_path());
            let headers: [(&str, &[u8]); 2] = [
                ("available-dictionary", value.as_bytes()),
                ("accept-encoding", b"br, dcb"),
            ];
            let get = || request(b"GET", url.as_bytes(), &headers).unwrap();
            let mut service = Deltas::service();
            let response = block_on(tower_service::Service::call(&mut service, get()))
                .unwrap_or_else(|e| match e {});
            assert_eq!(response.headers()["content-encoding"], "dcb", "{path}");
            check_delta(get(), asset.bytes(), &previous);
        }
    }
}
