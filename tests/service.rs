//! The HTTP behaviour of `Static::service()`, one test per row of contract §2, through
//! `tower::ServiceExt::oneshot` (no sockets).

use http::StatusCode;
use kiln::Encoding;

use crate::util::{Site, decode, get, send};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn css() -> kiln::AssetRef {
    Site::get("css/app.css").unwrap()
}

fn fingerprinted(path: &str) -> String {
    format!("/{}", Site::get(path).unwrap().fingerprinted_path())
}

#[tokio::test]
async fn plain_path_is_200_with_no_cache() {
    let r = get("/css/app.css", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, css().bytes());
    assert_eq!(r.header("cache-control"), "no-cache");
}

#[tokio::test]
async fn fingerprinted_path_is_immutable() {
    let r = get(&fingerprinted("css/app.css"), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, css().bytes());
    assert_eq!(r.header("cache-control"), IMMUTABLE);
}

#[tokio::test]
async fn fingerprint_of_other_content_is_404() {
    let stale = fingerprinted("css/app.css").replace(&css().hash()[..12], "0123456789ab");
    assert_eq!(get(&stale, &[]).await.status, StatusCode::NOT_FOUND);
    // Not even with the right length of the full hash, or in upper case.
    let upper = fingerprinted("css/app.css")
        .replace(&css().hash()[..12], &css().hash()[..12].to_uppercase());
    assert_eq!(get(&upper, &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn accept_encoding_negotiation() {
    let cases: &[(&str, Encoding)] = &[
        ("br, gzip", Encoding::Brotli),
        ("gzip", Encoding::Gzip),
        ("GZIP", Encoding::Gzip),
        ("Br", Encoding::Brotli),
        ("br;q=0, gzip", Encoding::Gzip),
        ("br;Q=0, gzip", Encoding::Gzip),
        ("gzip;q=0.5, br;q=0.9", Encoding::Brotli),
        ("br;q=0.5, gzip;q=0.9", Encoding::Gzip),
        ("  gzip ; q=0.8 ,  br ; q=0.7 ", Encoding::Gzip),
        ("gzip, br", Encoding::Brotli), // tie: the smaller (brotli) wins
        ("*", Encoding::Brotli),
        ("*;q=0.5, gzip", Encoding::Gzip),
        ("*;q=0, gzip", Encoding::Gzip),
        ("identity", Encoding::Identity),
        ("identity, gzip;q=0.5", Encoding::Identity),
        ("deflate", Encoding::Identity),
        ("", Encoding::Identity),
        ("br;q=0, gzip;q=0", Encoding::Identity),
        // Nothing acceptable: identity anyway (RFC 9110 §12.5.3).
        ("identity;q=0, *;q=0", Encoding::Identity),
        ("br;q=0, gzip;q=0, identity;q=0", Encoding::Identity),
        ("gzip;q=bogus, br", Encoding::Brotli),
    ];
    for &(accept, want) in cases {
        let r = get("/css/app.css", &[("accept-encoding", accept)]).await;
        assert_eq!(r.status, StatusCode::OK, "{accept}");
        let got = match r.header("content-encoding") {
            "" => Encoding::Identity,
            "br" => Encoding::Brotli,
            "gzip" => Encoding::Gzip,
            "zstd" => Encoding::Zstd,
            other => panic!("content-encoding {other}"),
        };
        assert_eq!(got, want, "Accept-Encoding: {accept:?}");
        let variant = css().encoding(got).unwrap();
        assert_eq!(r.body, variant.bytes(), "{accept}");
        assert_eq!(decode(&variant), css().bytes());
        assert_eq!(r.header("content-length"), variant.len().to_string());
    }
    // No header at all: identity.
    let r = get("/css/app.css", &[]).await;
    assert_eq!(r.header("content-encoding"), "");
}

#[tokio::test]
async fn zstd_is_negotiated_when_built() {
    let r = get("/css/app.css", &[("accept-encoding", "zstd")]).await;
    if cfg!(feature = "zstd") {
        assert_eq!(r.header("content-encoding"), "zstd");
        assert_eq!(r.header("etag"), format!("\"{}-zstd\"", css().hash()));
    } else {
        assert_eq!(r.header("content-encoding"), "");
    }
}

#[tokio::test]
async fn vary_on_every_response_of_an_asset_with_variants() {
    let asset = css();
    let etag = asset.etag();
    for (headers, status) in [
        (vec![("accept-encoding", "br")], StatusCode::OK),
        (vec![], StatusCode::OK),
        (vec![("accept-encoding", "identity")], StatusCode::OK),
        (vec![("range", "bytes=0-3")], StatusCode::PARTIAL_CONTENT),
        (vec![("if-none-match", etag)], StatusCode::NOT_MODIFIED),
    ] {
        let r = get("/css/app.css", &headers).await;
        assert_eq!(r.status, status, "{headers:?}");
        assert_eq!(r.header("vary"), "accept-encoding", "{headers:?}");
    }
    // No variants, nothing to vary on.
    let r = get("/img/logo.png", &[("accept-encoding", "br, gzip")]).await;
    assert_eq!(r.header("vary"), "");
    assert_eq!(r.header("content-encoding"), "");
}

#[tokio::test]
async fn headers_on_every_asset_response() {
    for (path, content_type) in [
        ("/index.html", "text/html; charset=utf-8"),
        ("/css/app.css", "text/css; charset=utf-8"),
        ("/js/app.js", "text/javascript; charset=utf-8"),
        ("/data.json", "application/json; charset=utf-8"),
        ("/img/logo.png", "image/png"),
        ("/noext", "application/octet-stream"),
    ] {
        let asset = Site::get(&path[1..]).unwrap();
        let r = get(path, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-type"), content_type, "{path}");
        assert_eq!(
            r.header("content-length"),
            asset.len().to_string(),
            "{path}"
        );
        assert_eq!(r.header("etag"), format!("\"{}\"", asset.hash()), "{path}");
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header("accept-ranges"), "bytes", "{path}");
    }
}

#[tokio::test]
async fn etag_is_strong_and_per_encoding() {
    let mut seen = Vec::new();
    for accept in ["identity", "gzip", "br"] {
        let r = get("/css/app.css", &[("accept-encoding", accept)]).await;
        let etag = r.header("etag").to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        assert!(etag.contains(css().hash()), "{etag}");
        assert!(!seen.contains(&etag));
        seen.push(etag);
    }
}

#[tokio::test]
async fn if_none_match_gives_304_with_validators() {
    let br_etag = format!("\"{}-br\"", css().hash());
    let weak = format!("W/{br_etag}");
    let list = format!("\"nope\", {br_etag}, \"other\"");
    for inm in [br_etag.as_str(), weak.as_str(), list.as_str(), "*"] {
        let r = get(
            &fingerprinted("css/app.css"),
            &[("accept-encoding", "br"), ("if-none-match", inm)],
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{inm}");
        assert!(r.body.is_empty());
        assert_eq!(r.header("etag"), br_etag);
        assert_eq!(r.header("cache-control"), IMMUTABLE);
        assert_eq!(r.header("vary"), "accept-encoding");
    }
}

/// However many header lines a request has (the service walks a few and looks fields up among
/// many) and however a field is split over lines, the answer is the same.
#[tokio::test]
async fn fields_are_read_alike_among_few_and_many_lines() {
    let br_etag = format!("\"{}-br\"", css().hash());
    for filler in [0, 3, 40] {
        let names: Vec<String> = (0..filler).map(|i| format!("x-filler-{i}")).collect();
        let mut headers: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
        headers.extend([("accept-encoding", "gzip;q=0.5"), ("accept-encoding", "br")]);
        let r = get("/css/app.css", &headers).await;
        assert_eq!(r.status, StatusCode::OK, "{filler}");
        assert_eq!(r.header("content-encoding"), "br", "{filler}");
        headers.extend([
            ("if-none-match", "\"nope\""),
            ("if-none-match", br_etag.as_str()),
        ]);
        let r = get("/css/app.css", &headers).await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{filler}");
        headers.truncate(headers.len() - 2);
        headers.extend([("if-match", "\"nope\""), ("if-match", br_etag.as_str())]);
        let r = get("/css/app.css", &headers).await;
        assert_eq!(r.status, StatusCode::OK, "{filler}");
    }
}

#[tokio::test]
async fn if_none_match_not_matching_gives_200() {
    let gzip_etag = format!("\"{}-gzip\"", css().hash());
    for (accept, inm) in [
        ("br", "\"something-else\""),
        // The client holds gzip but now asks for brotli only: its copy is not what we would send.
        ("br", gzip_etag.as_str()),
        ("identity", gzip_etag.as_str()),
    ] {
        let r = get(
            "/css/app.css",
            &[("accept-encoding", accept), ("if-none-match", inm)],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{accept} {inm}");
        assert!(!r.body.is_empty());
    }
}

#[tokio::test]
async fn if_match_is_evaluated_first_with_strong_comparison() {
    let asset = css();
    let etag = asset.etag();
    let weak = format!("W/{etag}");
    let r = get("/css/app.css", &[("if-match", "\"other\"")]).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let r = get("/css/app.css", &[("if-match", &weak)]).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    // If-Match fails before If-None-Match could give 304.
    let r = get(
        "/css/app.css",
        &[("if-match", "\"other\""), ("if-none-match", etag)],
    )
    .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    for ok in [etag, "*"] {
        let r = get("/css/app.css", &[("if-match", ok)]).await;
        assert_eq!(r.status, StatusCode::OK, "{ok}");
    }
}

#[tokio::test]
async fn single_ranges_are_206_from_identity() {
    let asset = css();
    let bytes = asset.bytes();
    let len = bytes.len();
    for (range, start, end) in [
        ("bytes=0-9", 0, 9),
        ("bytes=10-", 10, len - 1),
        ("bytes=-25", len - 25, len - 1),
        ("bytes=5-100000", 5, len - 1),
    ] {
        // Range responses come from identity whatever the Accept-Encoding.
        let r = get(
            "/css/app.css",
            &[("range", range), ("accept-encoding", "br, gzip")],
        )
        .await;
        assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            r.header("content-range"),
            format!("bytes {start}-{end}/{len}")
        );
        assert_eq!(r.body, bytes[start..=end]);
        assert_eq!(r.header("content-length"), (end - start + 1).to_string());
        assert_eq!(r.header("content-encoding"), "");
        assert_eq!(r.header("etag"), css().etag());
    }
}

#[tokio::test]
async fn unsatisfiable_range_is_416() {
    let len = css().len();
    for range in [
        format!("bytes={len}-"),
        format!("bytes={}-{}", len + 10, len + 20),
        "bytes=-0".into(),
    ] {
        let r = get("/css/app.css", &[("range", &range)]).await;
        assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(r.header("content-range"), format!("bytes */{len}"));
    }
    let r = get("/empty.txt", &[("range", "bytes=0-")]).await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.header("content-range"), "bytes */0");
}

#[tokio::test]
async fn malformed_or_multiple_ranges_are_ignored() {
    for range in [
        "items=0-1",
        "bytes=abc",
        "bytes=9-2",
        "bytes=0-1,5-6",
        "bytes",
    ] {
        let r = get("/css/app.css", &[("range", range)]).await;
        assert_eq!(r.status, StatusCode::OK, "{range}");
        assert_eq!(r.body, css().bytes());
        assert_eq!(r.header("content-range"), "");
    }
}

#[tokio::test]
async fn if_range() {
    let asset = css();
    let etag = asset.etag();
    let r = get(
        "/css/app.css",
        &[("range", "bytes=0-4"), ("if-range", etag)],
    )
    .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    for stale in ["\"other\"", "Sun, 22 Nov 2026 00:00:00 GMT"] {
        let r = get(
            "/css/app.css",
            &[("range", "bytes=0-4"), ("if-range", stale)],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{stale}");
        assert_eq!(r.body, css().bytes());
    }
    // A weak validator never matches for If-Range.
    let weak = format!("W/{etag}");
    let r = get(
        "/css/app.css",
        &[("range", "bytes=0-4"), ("if-range", &weak)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn head_has_the_headers_of_get_and_no_body() {
    let asset = css();
    let etag = asset.etag();
    let requests: &[(&str, &[(&str, &str)])] = &[
        ("/css/app.css", &[]),
        ("/css/app.css", &[("accept-encoding", "br")]),
        ("/css/app.css", &[("if-none-match", etag)]),
        ("/nope.css", &[]),
        ("/img/logo.png", &[]),
    ];
    for &(path, headers) in requests {
        let get = send(Site::service(), "GET", path, headers).await;
        let head = send(Site::service(), "HEAD", path, headers).await;
        assert_eq!(head.status, get.status, "{path}");
        assert_eq!(head.headers, get.headers, "{path}");
        assert!(head.body.is_empty());
    }
    // HEAD ignores Range: range handling is defined for GET only (RFC 9110 §14.2).
    let head = send(
        Site::service(),
        "HEAD",
        "/css/app.css",
        &[("range", "bytes=0-1")],
    )
    .await;
    assert_eq!(head.status, StatusCode::OK);
}

#[tokio::test]
async fn other_methods_are_405_with_allow() {
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"] {
        let r = send(Site::service(), method, "/css/app.css", &[]).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(r.header("allow"), "GET, HEAD");
    }
}

#[tokio::test]
async fn paths_that_leave_the_bundle_are_refused() {
    for path in [
        "/../Cargo.toml",
        "/..%2fCargo.toml",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E%2FCargo.toml",
        "/css/..%2f..%2fCargo.toml",
        "/css%5c..%5capp.css",
        "/css\\app.css",
        "/css/app.css%00.png",
        "/%ff%fe.css",
        "/C:%5cWindows%5cwin.ini",
        "/./css/app.css",
        "//etc/passwd",
    ] {
        let uri: http::Uri = match path.parse() {
            Ok(uri) => uri,
            Err(_) => continue, // not even a URI: hyper would have refused it
        };
        let r = get(&uri.to_string(), &[]).await;
        assert!(
            r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST,
            "{path}: {}",
            r.status
        );
    }
}

#[tokio::test]
async fn percent_encoded_names() {
    let r = get("/file%20with%20space.txt", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let url = Site::url("ünïcødé/你好.txt").unwrap();
    let r = get(&url["/static".len()..], &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), IMMUTABLE);
}

#[tokio::test]
async fn query_string_is_ignored() {
    let r = get("/css/app.css?v=123&x", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, css().bytes());
}

#[tokio::test]
async fn folder_paths_serve_their_index() {
    let r = get("/", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, Site::get("index.html").unwrap().bytes());
    let r = get("/docs/", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, Site::get("docs/index.html").unwrap().bytes());
    // No index, no listing.
    assert_eq!(get("/css/", &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get("/nested/", &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_path_is_404_or_the_fallback() {
    let r = get("/nope.css", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.header("etag"), "");

    let index = Site::get("index.html").unwrap();
    let spa = Site::service().fallback(index.clone());
    let r = send(spa.clone(), "GET", "/app/route/42", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, index.bytes());
    assert_eq!(r.header("cache-control"), "no-cache");
    assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
    // Still 404 for what tries to leave the bundle; still 405 for other methods.
    let r = send(spa.clone(), "GET", "/../secret", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(spa, "POST", "/app", &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// A missing asset stays a 404 under a single-page app's fallback: only what looks like a page
/// (no extension, or a browser navigating) gets the fallback, unless configured otherwise.
#[tokio::test]
async fn the_fallback_answers_navigations_only() {
    let index = Site::get("index.html").unwrap();
    let spa = Site::service().fallback(index.clone());
    const SCRIPT: &[(&str, &str)] = &[("accept", "*/*")];
    const NAVIGATION: &[(&str, &str)] = &[(
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )];
    for (path, headers, fallback) in [
        ("/app/x.js", SCRIPT, false),
        ("/app/x.js", &[][..], false),
        (
            "/css/missing.css",
            &[("accept", "text/css,*/*;q=0.1")][..],
            false,
        ),
        (
            "/img/missing.png",
            &[("accept", "image/avif,image/webp,*/*;q=0.8")][..],
            false,
        ),
        ("/app/users/42", SCRIPT, true),
        ("/app/users/42", &[][..], true),
        ("/app/", &[][..], true),
        ("/app/user.john", NAVIGATION, true),
        ("/app/x.js", NAVIGATION, true),
    ] {
        let r = send(spa.clone(), "GET", path, headers).await;
        let want = if fallback {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(r.status, want, "{path} {headers:?}");
        if fallback {
            assert_eq!(r.body, index.bytes());
        } else {
            assert_eq!(r.header("content-type"), "text/plain; charset=utf-8");
        }
    }
    let everywhere = spa.fallback_for_any_path(true);
    let r = send(everywhere, "GET", "/app/x.js", SCRIPT).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, index.bytes());
}

/// A folder path without its trailing slash redirects to the slash form with a relative
/// `Location`, so it is right wherever the service is mounted; the query is kept.
#[tokio::test]
async fn folders_without_a_slash_redirect_to_it() {
    for (path, location) in [
        ("/docs", "./docs/"),
        ("/docs?lang=en&x", "./docs/?lang=en&x"),
        ("/d%6Fcs", "./d%6Fcs/"),
        // Mounted at the root, under the prefix.
        ("/static/docs", "./docs/"),
        // The bundle's own root, requested as the bare prefix.
        ("/static", "./static/"),
    ] {
        for method in ["GET", "HEAD"] {
            let r = send(Site::service(), method, path, &[]).await;
            assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT, "{method} {path}");
            assert_eq!(r.header("location"), location, "{path}");
            assert_eq!(r.header("content-length"), "0");
            assert!(r.body.is_empty());
        }
    }
    // No index, no redirect; refused paths stay 404; a file is never redirected.
    for path in [
        "/nested/deep",
        "/nested",
        "/css",
        "/a/../docs",
        "/docs/index.html/",
    ] {
        let r = get(path, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(get("/docs/index.html", &[]).await.status, StatusCode::OK);
    // Ahead of a single-page app's fallback too.
    let spa = Site::service().fallback(Site::get("index.html").unwrap());
    let r = send(spa, "GET", "/docs", &[]).await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
}

/// Under axum's `nest_service` at any path, following the redirect lands on the folder's index.
#[tokio::test]
async fn folder_redirects_resolve_under_any_mount_path() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    for mount in ["/static", "/some/where/else"] {
        let app: axum::Router = axum::Router::new().nest_service(mount, Site::service());
        let request = format!("{mount}/docs?v=2");
        let req = http::Request::get(&request)
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
        let location = res.headers()["location"].to_str().unwrap();
        // RFC 3986 §5.2: a relative reference replaces the last segment of the base path.
        let base = &request[..request.rfind('/').unwrap() + 1];
        let target = format!("{base}{}", location.trim_start_matches("./"));
        assert_eq!(target, format!("{mount}/docs/?v=2"));
        let req = http::Request::get(&target)
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, Site::get("docs/index.html").unwrap().bytes());
    }
}

#[tokio::test]
async fn hidden_files_are_not_served() {
    for path in ["/.hidden", "/.well-known/security.txt", "/%2ehidden"] {
        assert_eq!(get(path, &[]).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn builder_options() {
    let service = Site::service()
        .cache_control_plain(http::HeaderValue::from_static("public, max-age=60"))
        .cache_control_fingerprinted(http::HeaderValue::from_static("public, max-age=600"))
        .header(
            http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            http::HeaderValue::from_static("*"),
        );
    let r = send(service.clone(), "GET", "/css/app.css", &[]).await;
    assert_eq!(r.header("cache-control"), "public, max-age=60");
    assert_eq!(r.header("access-control-allow-origin"), "*");
    let r = send(service.clone(), "GET", &fingerprinted("css/app.css"), &[]).await;
    assert_eq!(r.header("cache-control"), "public, max-age=600");
    // The app's headers reach every response, errors included (a CORS error answer must carry
    // CORS headers to be readable at all).
    let r = send(service, "GET", "/nope", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.header("access-control-allow-origin"), "*");
}

#[tokio::test]
async fn mounted_at_the_root_it_accepts_prefixed_paths() {
    let r = get("/static/css/app.css", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    // Extra slashes after the prefix count as little as extra slashes before a nested path.
    assert_eq!(get("//css/app.css", &[]).await.body, css().bytes());
    assert_eq!(get("/static//css/app.css", &[]).await.body, css().bytes());
    assert_eq!(get("/static/%2Fcss/app.css", &[]).await.body, css().bytes());
    let r = get(&format!("/static{}", fingerprinted("css/app.css")), &[]).await;
    assert_eq!(r.header("cache-control"), IMMUTABLE);
}

/// The basic fixture again, under a prefix named like one of its folders.
#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/basic", prefix = "/css")]
struct UnderCss;

/// Mounted at the root, a path is first what it names in the bundle, and only then a path under
/// the prefix: a folder named like the prefix wins.
#[tokio::test]
async fn mounted_at_the_root_a_folder_named_like_the_prefix_wins() {
    let r = send(UnderCss::service(), "GET", "/css/app.css", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, css().bytes());
    let r = send(UnderCss::service(), "GET", "/css/js/app.js", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, Site::get("js/app.js").unwrap().bytes());
    let r = send(UnderCss::service(), "GET", "/css/css/app.css", &[]).await;
    assert_eq!(r.body, css().bytes());
}

#[tokio::test]
async fn works_under_axum_nest_service() {
    let app: axum::Router = axum::Router::new().nest_service("/static", Site::service());
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let url = Site::url("css/app.css").unwrap();
    let req = http::Request::get(&*url)
        .header("accept-encoding", "gzip")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], IMMUTABLE);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, css().encoding(Encoding::Gzip).unwrap().bytes());

    let req = http::Request::get("/static/nope")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        app.oneshot(req).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn service_is_clone_send_sync_static() {
    fn assert_bounds<T: Clone + Send + Sync + 'static>(_: &T) {}
    assert_bounds(&Site::service());
}

/// No `Last-Modified` is sent (see the crate docs), so `If-Modified-Since` alone never makes a
/// 304; with `If-None-Match` beside it, the entity tag decides (RFC 9110 §13.2.2).
#[tokio::test]
async fn revalidation_is_by_entity_tag_only() {
    let r = get("/css/app.css", &[]).await;
    assert_eq!(r.header("last-modified"), "");
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";
    let r = get("/css/app.css", &[("if-modified-since", future)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, css().bytes());
    let asset = css();
    let etag = asset.etag();
    let r = get(
        "/css/app.css",
        &[("if-none-match", etag), ("if-modified-since", future)],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let past = "Thu, 01 Jan 1970 00:00:00 GMT";
    let r = get(
        "/css/app.css",
        &[("if-none-match", etag), ("if-modified-since", past)],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
}

/// `Static::router()` serves the bundle at its own prefix, where `url()` points, and merges
/// with the app's routes.
#[tokio::test]
async fn the_router_mounts_the_bundle_at_its_prefix() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app: axum::Router = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .merge(Site::router());
    for (uri, status) in [
        (
            Site::url("css/app.css").unwrap().into_owned(),
            StatusCode::OK,
        ),
        ("/static/css/app.css".to_owned(), StatusCode::OK),
        ("/static/docs".to_owned(), StatusCode::PERMANENT_REDIRECT),
        ("/static/".to_owned(), StatusCode::OK),
        ("/css/app.css".to_owned(), StatusCode::NOT_FOUND),
        ("/".to_owned(), StatusCode::OK),
    ] {
        let req = http::Request::get(&uri)
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), status, "{uri}");
        if uri.ends_with(".css") && status == StatusCode::OK {
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body, css().bytes());
        }
    }

    // The bundle's own folder, without the slash: axum hands the service `/`, and the original
    // URI says a slash is missing, so it redirects too (relative URLs in the index would resolve
    // against the parent otherwise).
    for (uri, location) in [("/static", "./static/"), ("/static?x=1", "./static/?x=1")] {
        let req = http::Request::get(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT, "{uri}");
        assert_eq!(res.headers()["location"], location, "{uri}");
    }

    // A bundle at the root becomes the router's fallback.
    let app: axum::Router = axum::Router::new()
        .route("/api", axum::routing::get(|| async { "api" }))
        .merge(crate::derive::Uncompressed::router());
    let req = http::Request::get("/css/app.css")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.oneshot(req).await.unwrap().status(), StatusCode::OK);
}

/// Nested by axum under another path than its prefix, the service warns once (in a debug
/// build) that `url()` points elsewhere; nested at its prefix, it says nothing. The warning goes
/// to the process's stderr, so the test runs itself in a child process per mount path.
#[tokio::test]
async fn nesting_under_another_path_warns_once() {
    use tower::ServiceExt;
    const CHILD: &str = "KILN_TEST_MOUNT_CHILD";
    if let Ok(mount) = std::env::var(CHILD) {
        let app: axum::Router = axum::Router::new().nest_service(&mount, Site::service());
        for _ in 0..3 {
            let req = http::Request::get(format!("{mount}/css/app.css"))
                .body(axum::body::Body::empty())
                .unwrap();
            assert_eq!(
                app.clone().oneshot(req).await.unwrap().status(),
                StatusCode::OK
            );
        }
        return;
    }
    let stderr_under = |mount: &str| {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "service::nesting_under_another_path_warns_once",
                "--nocapture",
            ])
            .env(CHILD, mount)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let elsewhere = stderr_under("/assets");
    let warning = "a bundle whose prefix is `/static` is mounted at `/assets`";
    let expected = usize::from(cfg!(debug_assertions));
    assert_eq!(elsewhere.matches(warning).count(), expected, "{elsewhere}");
    assert_eq!(elsewhere.matches("Static::router()").count(), expected);
    let at_prefix = stderr_under("/static");
    assert!(!at_prefix.contains("is mounted at"), "{at_prefix}");
}

/// Every response the service writes carries `nosniff` and the app's extra headers: assets,
/// 304, 206, and the errors and the redirect, whose heads are prepared apart.
#[tokio::test]
async fn extra_headers_and_nosniff_on_every_response() {
    let service = || {
        Site::service().header(
            http::header::CONTENT_SECURITY_POLICY,
            http::HeaderValue::from_static("default-src 'self'"),
        )
    };
    let etag = css().etag().to_owned();
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], StatusCode);
    let cases: &[Case<'_>] = &[
        ("GET", "/css/app.css", &[], StatusCode::OK),
        (
            "GET",
            "/css/app.css",
            &[("if-none-match", &etag)],
            StatusCode::NOT_MODIFIED,
        ),
        (
            "GET",
            "/css/app.css",
            &[("range", "bytes=0-3")],
            StatusCode::PARTIAL_CONTENT,
        ),
        (
            "GET",
            "/css/app.css",
            &[("range", "bytes=999999-")],
            StatusCode::RANGE_NOT_SATISFIABLE,
        ),
        (
            "GET",
            "/css/app.css",
            &[("if-match", "\"x\"")],
            StatusCode::PRECONDITION_FAILED,
        ),
        ("POST", "/css/app.css", &[], StatusCode::METHOD_NOT_ALLOWED),
        ("GET", "/no/such.css", &[], StatusCode::NOT_FOUND),
        ("GET", "/docs", &[], StatusCode::PERMANENT_REDIRECT),
    ];
    for &(method, uri, headers, status) in cases {
        let r = crate::util::send(service(), method, uri, headers).await;
        assert_eq!(r.status, status, "{method} {uri} {headers:?}");
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{status}");
        assert_eq!(
            r.header("content-security-policy"),
            "default-src 'self'",
            "{status}"
        );
    }
    // Without extra headers, the prepared error heads have none.
    let r = get("/no/such.css", &[]).await;
    assert_eq!(r.header("content-security-policy"), "");
}
