//! Delta delivery (RFC 9842): the `dict` bundle's script and stylesheet changed by one line since
//! the release in `KILN_PREVIOUS` (see `build.rs`), so a baked build has deltas against it, and
//! a request that names that release's file in `Available-Dictionary` gets one. Reload mode has
//! neither deltas nor dictionaries: every request there gets the ordinary answer.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::util::{Reply, send};

#[derive(kiln::Embed)]
#[kiln(folder = "$OUT_DIR/deltas", prefix = "/static")]
pub(crate) struct Dict;

/// What Chromium sends when it holds a dictionary for the URL.
pub(crate) const CHROME: &str = "gzip, deflate, br, zstd, dcb, dcz";

pub(crate) fn previous(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("OUT_DIR"))
        .join("previous/dict")
        .join(name);
    std::fs::read(path).expect("build.rs wrote the previous release")
}

/// `Available-Dictionary` for `bytes`: the structured-field byte sequence of its SHA-256.
pub(crate) fn names(bytes: &[u8]) -> String {
    format!(
        ":{}:",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
    )
}

/// The bytes a delta reply decodes to with `dictionary`, checking its RFC 9842 §4 header.
fn undelta(reply: &Reply, dictionary: &[u8]) -> Vec<u8> {
    let hash = Sha256::digest(dictionary);
    match reply.header("content-encoding") {
        "dcb" => {
            assert_eq!(&reply.body[..4], kiln_codec::delta::DCB_HEADER);
            assert_eq!(&reply.body[4..36], &hash[..]);
            kiln_codec::delta::decode_dcb(&reply.body, dictionary).expect("valid dcb")
        }
        #[cfg(feature = "zstd")]
        "dcz" => {
            use std::io::Read as _;
            assert_eq!(&reply.body[..8], kiln_codec::delta::DCZ_HEADER);
            assert_eq!(&reply.body[8..40], &hash[..]);
            let mut decoder =
                zstd::stream::read::Decoder::with_ref_prefix(&reply.body[40..], dictionary)
                    .expect("zstd decoder");
            decoder.window_log_max(27).expect("window");
            let mut out = Vec::new();
            decoder.read_to_end(&mut out).expect("valid dcz");
            out
        }
        other => panic!("not a delta: {other:?}"),
    }
}

/// A GET through [`send`] to the `Dict` bundle's service.
async fn get(path: &str, headers: &[(&str, &str)]) -> Reply {
    send(Dict::service(), "GET", path, headers).await
}

fn url(path: &str) -> String {
    let asset = Dict::get(path).expect("in the bundle");
    format!("/{}", asset.url_path())
}

#[tokio::test]
async fn a_returning_visitor_gets_a_delta_that_decodes_to_the_new_version() {
    for (path, old) in [("dict/app.js", "app.v1.js"), ("dict/app.css", "app.v1.css")] {
        let asset = Dict::get(path).unwrap();
        let old = previous(old);
        let dictionary = names(&old);
        let reply = get(
            &url(path),
            &[
                ("accept-encoding", CHROME),
                ("available-dictionary", &dictionary),
            ],
        )
        .await;
        assert_eq!(reply.status, 200, "{path}");
        let ordinary = get(
            &url(path),
            &[("accept-encoding", "gzip, deflate, br, zstd")],
        )
        .await;
        if cfg!(feature = "reload") {
            // Reload mode: the ordinary answer, no dictionary offered.
            assert_eq!(reply.headers, ordinary.headers, "{path}");
            assert_eq!(reply.header("use-as-dictionary"), "");
            assert!(asset.deltas().is_empty());
            continue;
        }
        assert!(
            matches!(reply.header("content-encoding"), "dcb" | "dcz"),
            "{path}"
        );
        assert_eq!(undelta(&reply, &old), asset.bytes(), "{path}");
        assert_eq!(
            reply.header("vary"),
            "accept-encoding, available-dictionary"
        );
        assert_eq!(
            ordinary.header("vary"),
            "accept-encoding, available-dictionary"
        );
        assert_eq!(reply.header("content-length"), reply.body.len().to_string());
        // Each representation has its own strong tag.
        assert_ne!(reply.header("etag"), ordinary.header("etag"));
        assert!(!reply.header("etag").starts_with("W/"));
        // Small: a one-line change.
        assert!(
            reply.body.len() * 10 < ordinary.body.len(),
            "{path}: delta {} vs {} bytes",
            reply.body.len(),
            ordinary.body.len()
        );
        // The new version is offered as the next dictionary, under a pattern of its URL.
        let pattern = format!("match=\"/static/{}\"", path.replace("app.", "app.*."));
        assert_eq!(reply.header("use-as-dictionary"), pattern);
        assert_eq!(ordinary.header("use-as-dictionary"), pattern);
        assert_eq!(
            reply.header("cache-control"),
            "public, max-age=31536000, immutable"
        );

        // Revalidating the delta gives a 304 with the same tag and `Vary`.
        let etag = reply.header("etag").to_owned();
        let not_modified = get(
            &url(path),
            &[
                ("accept-encoding", CHROME),
                ("available-dictionary", &dictionary),
                ("if-none-match", &etag),
            ],
        )
        .await;
        assert_eq!(not_modified.status, 304);
        assert_eq!(not_modified.header("etag"), etag);
        assert_eq!(
            not_modified.header("vary"),
            "accept-encoding, available-dictionary"
        );
        assert!(not_modified.body.is_empty());

        // HEAD: the same head, no body.
        let head = send(
            Dict::service(),
            "HEAD",
            &url(path),
            &[
                ("accept-encoding", CHROME),
                ("available-dictionary", &dictionary),
            ],
        )
        .await;
        assert_eq!(head.headers, reply.headers);
        assert!(head.body.is_empty());
    }
}

#[tokio::test]
async fn the_asset_api_lists_the_deltas_and_what_they_answer_to() {
    let js = Dict::get("dict/app.js").unwrap();
    if cfg!(feature = "reload") {
        assert!(js.deltas().is_empty());
        return;
    }
    let expected = if cfg!(feature = "zstd") { 2 } else { 1 };
    assert_eq!(js.deltas().len(), expected);
    let hash = Sha256::digest(previous("app.v1.js"));
    for delta in js.deltas() {
        assert!(delta.encoding().info().dictionary);
        assert_eq!(
            kiln_codec::delta::dictionary_of(delta.bytes()),
            Some(&hash.into())
        );
    }
    // Not among the variants, which exports and uploads write.
    assert!(
        js.variants()
            .iter()
            .all(|v| !v.encoding().info().dictionary)
    );
    // A file that is not of a dictionary type has none, and is offered as none.
    let bin = Dict::get("dict/data.bin").unwrap();
    assert!(bin.deltas().is_empty());
    let reply = get(&url("dict/data.bin"), &[("accept-encoding", CHROME)]).await;
    assert_eq!(reply.header("use-as-dictionary"), "");
    assert_eq!(reply.header("vary"), "accept-encoding");
}

#[tokio::test]
async fn anything_else_gets_the_ordinary_answer() {
    let old = previous("app.v1.js");
    let known = names(&old);
    let unknown = names(b"some other version");
    let path = url("dict/app.js");
    let br = send(Dict::service(), "GET", &path, &[("accept-encoding", "br")]).await;
    assert_eq!(br.header("content-encoding"), "br");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        // An unknown dictionary, a malformed one, a wrong length, two lines.
        (
            vec![
                ("accept-encoding", CHROME),
                ("available-dictionary", &unknown),
            ],
            "br",
        ),
        (
            vec![
                ("accept-encoding", CHROME),
                ("available-dictionary", "not a hash"),
            ],
            "br",
        ),
        (
            vec![
                ("accept-encoding", CHROME),
                ("available-dictionary", ":AAAA:"),
            ],
            "br",
        ),
        (
            vec![
                ("accept-encoding", CHROME),
                ("available-dictionary", &known),
                ("available-dictionary", &known),
            ],
            "br",
        ),
        // No delta coding accepted, or one at a lower quality than brotli.
        (
            vec![
                ("accept-encoding", "gzip, br"),
                ("available-dictionary", &known),
            ],
            "br",
        ),
        (
            vec![
                ("accept-encoding", "br, dcb;q=0.5, dcz;q=0.5"),
                ("available-dictionary", &known),
            ],
            "br",
        ),
        (
            vec![
                ("accept-encoding", "br, dcb;q=0, dcz;q=0"),
                ("available-dictionary", &known),
            ],
            "br",
        ),
        // A cross-origin no-cors request (a <script> of another site without `crossorigin`).
        (
            vec![
                ("accept-encoding", CHROME),
                ("available-dictionary", &known),
                ("sec-fetch-mode", "no-cors"),
                ("sec-fetch-site", "cross-site"),
            ],
            "br",
        ),
    ];
    for (headers, encoding) in &cases {
        let reply = send(Dict::service(), "GET", &path, headers).await;
        assert_eq!(reply.status, 200, "{headers:?}");
        assert_eq!(reply.header("content-encoding"), *encoding, "{headers:?}");
        assert_eq!(reply.body, br.body, "{headers:?}");
    }
    if cfg!(feature = "reload") {
        return;
    }
    // A same-origin no-cors request (a <script> of the page's own site) may get one.
    let reply = get(
        &path,
        &[
            ("accept-encoding", CHROME),
            ("available-dictionary", &known),
            ("sec-fetch-mode", "no-cors"),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await;
    assert!(matches!(reply.header("content-encoding"), "dcb" | "dcz"));
    // Only dcb accepted: dcb, even at a low quality when it is the only acceptable coding.
    let reply = get(
        &path,
        &[
            ("accept-encoding", "dcb;q=0.1, identity;q=0"),
            ("available-dictionary", &known),
        ],
    )
    .await;
    assert_eq!(reply.header("content-encoding"), "dcb");
    assert_eq!(
        undelta(&reply, &old),
        Dict::get("dict/app.js").unwrap().bytes()
    );
    // dcz preferred by quality.
    let reply = get(
        &path,
        &[
            ("accept-encoding", "br;q=0.9, dcb;q=0.8, dcz"),
            ("available-dictionary", &known),
        ],
    )
    .await;
    let expected = if cfg!(feature = "zstd") { "dcz" } else { "br" };
    assert_eq!(reply.header("content-encoding"), expected);
    // Ranges are served from the identity representation.
    let reply = get(
        &path,
        &[
            ("accept-encoding", CHROME),
            ("available-dictionary", &known),
            ("range", "bytes=0-9"),
        ],
    )
    .await;
    assert_eq!(reply.status, 206);
    assert_eq!(reply.header("content-encoding"), "");
    assert_eq!(
        &reply.body[..],
        &Dict::get("dict/app.js").unwrap().bytes()[..10]
    );
    // The plain URL (no-cache, revalidated) gets no delta and offers no dictionary.
    let reply = get(
        "/dict/app.js",
        &[
            ("accept-encoding", CHROME),
            ("available-dictionary", &known),
        ],
    )
    .await;
    assert_eq!(reply.header("content-encoding"), "br");
    assert_eq!(reply.header("use-as-dictionary"), "");
    assert_eq!(reply.header("vary"), "accept-encoding");
}

#[tokio::test]
async fn a_base_url_moves_the_pattern_and_a_cache_control_without_max_age_offers_nothing() {
    if cfg!(feature = "reload") {
        return;
    }
    #[derive(kiln::Embed)]
    #[kiln(folder = "$OUT_DIR/deltas", prefix = "/static")]
    struct Moved;
    Moved::set_base_url("https://cdn.example.com/assets/v2/");
    let path = format!("/{}", Moved::get("dict/app.css").unwrap().url_path());
    let reply = send(Moved::service(), "GET", &path, &[("accept-encoding", "br")]).await;
    assert_eq!(
        reply.header("use-as-dictionary"),
        "match=\"/assets/v2/dict/app.*.css\""
    );
    let service =
        Dict::service().cache_control_fingerprinted(http::HeaderValue::from_static("no-cache"));
    let reply = send(
        service,
        "GET",
        &url("dict/app.css"),
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(reply.header("use-as-dictionary"), "");
}
