//! Pages the app renders itself, served so that a browser's reload costs one 304.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use sha2::{Digest, Sha256};

use crate::service::AssetBody;
use crate::service::conditional::{self, Condition};
use crate::service::fields::{Field, Fields};
use crate::service::response;

/// A response body the app made (an HTML page, a JSON document), with a strong `ETag` of its
/// bytes and `Cache-Control: no-cache`, answered with a 304 when the client already has it.
///
/// Bundle assets get this from [`ServeAssets`](crate::ServeAssets); a page the app renders
/// (one whose `<link>` and `<script>` URLs come from `Static::url()`) needs it too, or every
/// reload downloads the page again. Render the page once (or whenever its inputs change), keep
/// the `Page`, and answer each request with [`respond`](Self::respond):
///
/// ```
/// use std::sync::LazyLock;
///
/// use axum::{Router, http::HeaderMap, response::IntoResponse, routing::get};
///
/// #[derive(kiln::Embed)]
/// #[kiln(folder = "static")]
/// struct Static;
///
/// static INDEX: LazyLock<kiln::Page> = LazyLock::new(|| {
///     let css = Static::url("css/app.css").expect("in the bundle");
///     kiln::Page::html(format!(r#"<link rel="stylesheet" href="{css}"><h1>Hello</h1>"#))
/// });
///
/// async fn index(headers: HeaderMap) -> impl IntoResponse {
///     INDEX.respond(&headers)
/// }
///
/// let app: Router = Router::new().route("/", get(index));
/// # let mut request = HeaderMap::new();
/// # request.insert("if-none-match", INDEX.etag().parse().unwrap());
/// # assert_eq!(INDEX.respond(&request).status(), 304);
/// ```
///
/// `respond` sends 200 with the body, or 304 without it when `If-None-Match` names the page's
/// tag, or 412 when `If-Match` does not (RFC 9110 §13.2.2). It does not look at the method:
/// route it for GET (axum answers HEAD with the GET handler and drops the body).
#[derive(Clone)]
pub struct Page {
    bytes: Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
    cache_control: HeaderValue,
}

impl Page {
    /// A page of `content_type` (for example `application/json`).
    pub fn new(content_type: HeaderValue, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let tag = format!("\"{}\"", sha256_hex(&bytes));
        Page {
            bytes,
            content_type,
            etag: HeaderValue::try_from(tag).unwrap_or(HeaderValue::from_static("\"\"")),
            cache_control: HeaderValue::from_static("no-cache"),
        }
    }

    /// An HTML page: `Content-Type: text/html; charset=utf-8`.
    pub fn html(html: impl Into<Bytes>) -> Self {
        Page::new(HeaderValue::from_static("text/html; charset=utf-8"), html)
    }

    /// Replaces `Cache-Control: no-cache` (revalidate on every use, which the ETag makes cheap).
    #[must_use]
    pub fn cache_control(mut self, value: HeaderValue) -> Self {
        self.cache_control = value;
        self
    }

    /// The strong entity tag, quoted: the SHA-256 of the bytes in hex.
    pub fn etag(&self) -> &str {
        self.etag.to_str().unwrap_or_default()
    }

    /// The page's bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The response to a request with these headers: 200, 304 or 412 (the service's 412, with
    /// its short text body). Every one carries `X-Content-Type-Options: nosniff`.
    pub fn respond(&self, request: &HeaderMap) -> Response<AssetBody> {
        let fields = Fields::new(request);
        let etag = self.etag.as_bytes();
        if fields.has(Field::IfMatch) && conditional::if_match(&fields, etag) == Condition::Fails {
            return response::plain_error(StatusCode::PRECONDITION_FAILED);
        }
        let mut headers = HeaderMap::with_capacity(6);
        headers.insert(ETAG, self.etag.clone());
        headers.insert(CACHE_CONTROL, self.cache_control.clone());
        let none = HeaderMap::new();
        if fields.has(Field::IfNoneMatch)
            && conditional::if_none_match(&fields, etag) == Condition::Matches
        {
            return response::finish(StatusCode::NOT_MODIFIED, headers, &none, AssetBody::empty());
        }
        headers.insert(CONTENT_TYPE, self.content_type.clone());
        headers.insert(CONTENT_LENGTH, HeaderValue::from(self.bytes.len()));
        let body = AssetBody::new(self.bytes.clone());
        response::finish(StatusCode::OK, headers, &none, body)
    }
}

/// A [`Page`] made by a render function, correct in both modes: rendered once in a baked build
/// (its fingerprinted URLs never change), and on every request in reload mode, where an edited
/// stylesheet gets a new fingerprinted URL and a page rendered once would keep linking the old
/// one (a 404). What a page that links assets should be, in a `static`:
///
/// ```
/// use axum::{Router, http::HeaderMap, response::IntoResponse, routing::get};
///
/// #[derive(kiln::Embed)]
/// #[kiln(folder = "static")]
/// struct Static;
///
/// static INDEX: kiln::LazyPage = kiln::LazyPage::new(|| {
///     let css = kiln::asset!(Static, "css/app.css").stylesheet();
///     kiln::Page::html(format!("<!doctype html>{css}<h1>Hello</h1>"))
/// });
///
/// async fn index(headers: HeaderMap) -> impl IntoResponse {
///     INDEX.respond(&headers)
/// }
///
/// let app: Router = Router::new().route("/", get(index));
/// # assert!(INDEX.page().bytes().starts_with(b"<!doctype html><link rel=\"stylesheet\""));
/// ```
///
/// The render function runs in the request's thread, the first time in a baked build; it should
/// not block for long. In reload mode its cost is paid per request, in development only.
pub struct LazyPage {
    render: fn() -> Page,
    page: OnceLock<Page>,
}

impl LazyPage {
    /// A page made by `render`, which runs on first use (on every use in reload mode).
    pub const fn new(render: fn() -> Page) -> Self {
        LazyPage {
            render,
            page: OnceLock::new(),
        }
    }

    /// The page as it is now: the one rendered on first use, or in reload mode a new rendering.
    pub fn page(&self) -> Cow<'_, Page> {
        if cfg!(feature = "reload") {
            return Cow::Owned((self.render)());
        }
        Cow::Borrowed(self.page.get_or_init(self.render))
    }

    /// [`Page::respond`] for the page as it is now: 200, 304 or 412.
    pub fn respond(&self, request: &HeaderMap) -> Response<AssetBody> {
        self.page().respond(request)
    }
}

impl fmt::Debug for LazyPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyPage")
            .field("page", &self.page.get())
            .finish_non_exhaustive()
    }
}

/// SHA-256 of `bytes`, 64 lowercase hex digits (the baked runtime has no kiln-bake to ask).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(2 * digest.len());
    crate::asset::push_hex(&mut hex, &digest);
    hex
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("len", &self.bytes.len())
            .field("content_type", &self.content_type)
            .field("etag", &self.etag)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_page_revalidates_with_its_strong_etag() {
        let page = Page::html("<h1>hi</h1>");
        assert_eq!(page.etag().len(), 66);
        let res = page.respond(&HeaderMap::new());
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");
        assert_eq!(res.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(res.headers()[CONTENT_LENGTH], "11");
        assert_eq!(res.headers()[ETAG], page.etag());

        let res = page.respond(&request("if-none-match", page.etag()));
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(res.headers()[ETAG], page.etag());
        assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");
        assert!(res.headers().get(CONTENT_LENGTH).is_none());

        let weak = format!("W/{}", page.etag());
        let res = page.respond(&request("if-none-match", &weak));
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

        let res = page.respond(&request("if-none-match", "\"old\""));
        assert_eq!(res.status(), StatusCode::OK);

        let res = page.respond(&request("if-match", "\"old\""));
        assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
        // The service's 412: a short text body, its length, nosniff.
        assert_eq!(res.headers()[CONTENT_LENGTH], "20");
        assert_eq!(res.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    }

    #[test]
    fn another_body_is_another_tag() {
        assert_ne!(Page::html("a").etag(), Page::html("b").etag());
        assert_eq!(Page::html("a").etag(), Page::html("a").etag());
    }
}
