//! actix-web, which is not tower-based: [`ActixService`] mounts a bundle in an `App` at its
//! prefix (`App::new().service(Static::actix_service())`), and [`Page::respond_actix`] answers a
//! page. Both translate to and from the same [`ServeAssets`] and [`Page`] the tower path uses, so
//! the HTTP behaviour (negotiation, ETags, 304s, ranges, HEAD, live reload) is the same one.
//!
//! actix-web 4 is built on `http` 0.2 and its own body trait; this module is the only place that
//! knows: requests are copied into `http` 1 types (method, path and headers, a few small
//! copies), and responses back, their bodies shared, not copied.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{AppService, HttpServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response};
use http_body::Body as _;

use crate::bundle::Bundle;
use crate::page::{LazyPage, Page};
use crate::service::{AssetBody, ServeAssets};

/// An actix-web service factory that serves a bundle at its prefix, made by the generated
/// `Static::actix_service()` (or [`ServeAssets::into_actix`], to keep a configured service's
/// fallback and headers): `App::new().service(Static::actix_service())`.
///
/// It answers every path under the prefix, as [`ServeAssets`] does, and nothing outside it; a
/// bundle whose prefix is `/` answers every path, so register it after the app's own routes.
/// Register it on the `App` itself, not inside a `web::scope`: it matches the whole request path
/// against the prefix, which is where `url()` points.
///
/// ```
/// #[derive(kiln::Embed)]
/// #[kiln(folder = "static", prefix = "/static")]
/// struct Static;
///
/// let app = actix_web::App::new()
///     .route("/", actix_web::web::get().to(|| async { "home" }))
///     .service(Static::actix_service());
/// ```
#[derive(Clone, Debug)]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub struct ActixService {
    service: ServeAssets,
}

impl ServeAssets {
    /// This service as an actix-web service factory, mounted at the bundle's prefix:
    /// `App::new().service(Static::service().fallback(...).into_actix())`.
    #[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
    pub fn into_actix(self) -> ActixService {
        ActixService { service: self }
    }
}

impl Bundle {
    /// [`service`](Self::service) (with live reload's event stream in reload mode) as an
    /// actix-web service factory mounted at the bundle's prefix.
    #[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
    pub fn actix_service(&'static self) -> ActixService {
        self.service().into_actix()
    }
}

impl HttpServiceFactory for ActixService {
    fn register(self, config: &mut AppService) {
        let service = self.service;
        // A scope at the prefix matches `/static`, `/static/` and `/static/...`, not `/statics`;
        // the empty prefix matches every path. Paths reach the service whole: mounted like this
        // it accepts paths that start with the prefix.
        let scope = actix_web::web::scope(service.bundle().prefix()).default_service(
            actix_web::dev::fn_service(move |req: ServiceRequest| -> Ready<_> {
                let res = answer(&service, req.request());
                ready(Ok::<ServiceResponse, actix_web::Error>(
                    req.into_response(res),
                ))
            }),
        );
        scope.register(config);
    }
}

impl Page {
    /// [`respond`](Self::respond) for an actix-web handler: 200, or 304 when the request's
    /// `If-None-Match` names the page's ETag.
    #[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
    pub fn respond_actix(&self, req: &HttpRequest) -> HttpResponse {
        into_actix(self.respond(&headers(req)), req)
    }
}

impl LazyPage {
    /// [`respond`](Self::respond) for an actix-web handler:
    ///
    /// ```
    /// # #[derive(kiln::Embed)]
    /// # #[kiln(folder = "static")]
    /// # struct Static;
    /// static INDEX: kiln::LazyPage = kiln::LazyPage::new(|| {
    ///     let css = kiln::asset!(Static, "css/app.css").stylesheet();
    ///     kiln::Page::html(format!("<!doctype html>{css}<h1>Hello</h1>"))
    /// });
    ///
    /// async fn index(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    ///     INDEX.respond_actix(&req)
    /// }
    ///
    /// let app = actix_web::App::new()
    ///     .route("/", actix_web::web::get().to(index))
    ///     .service(Static::actix_service());
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
    pub fn respond_actix(&self, req: &HttpRequest) -> HttpResponse {
        into_actix(self.respond(&headers(req)), req)
    }
}

/// The service's answer to an actix-web request.
fn answer(service: &ServeAssets, req: &HttpRequest) -> HttpResponse {
    // Whatever actix-web parsed is valid for `http` 1 too (same grammar); a failure would be a
    // bug in one of them, answered like a request this service cannot read.
    let method = Method::from_bytes(req.method().as_str().as_bytes());
    let uri = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |p| p.as_str())
        .parse::<http::Uri>();
    let (Ok(method), Ok(uri)) = (method, uri) else {
        return HttpResponse::BadRequest().finish();
    };
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers(req);
    into_actix(service.respond(&request), req)
}

/// The request's headers as an `http` 1 map.
fn headers(req: &HttpRequest) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            map.append(name, value);
        }
    }
    map
}

/// An `http` 1 response as actix-web's.
fn into_actix(res: Response<AssetBody>, req: &HttpRequest) -> HttpResponse {
    let (parts, body) = res.into_parts();
    let status = actix_web::http::StatusCode::from_u16(parts.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    // A HEAD response has no body but the `Content-Length` of the GET's: actix-web writes the
    // length its body reports (and drops the header), so the body reports that length.
    let head = (req.method() == actix_web::http::Method::HEAD)
        .then(|| match parts.headers.get(CONTENT_LENGTH) {
            Some(length) => length.to_str().ok()?.parse().ok(),
            // A page answered to a HEAD has its body: actix-web writes none of it.
            None => body.size_hint().exact(),
        })
        .flatten();
    let mut out = HttpResponse::with_body(status, ActixBody { body, head });
    let map = out.headers_mut();
    for (name, value) in &parts.headers {
        if let (Ok(name), Ok(value)) = (
            actix_web::http::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            actix_web::http::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            map.append(name, value);
        }
    }
    out.map_into_boxed_body()
}

/// An [`AssetBody`] as an actix-web body.
struct ActixBody {
    body: AssetBody,
    /// For a HEAD response, the length of the representation it describes.
    head: Option<u64>,
}

impl MessageBody for ActixBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        if let Some(len) = self.head {
            return BodySize::Sized(len);
        }
        match self.body.size_hint().exact() {
            Some(len) => BodySize::Sized(len),
            None => BodySize::Stream,
        }
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Infallible>>> {
        if self.head.is_some() {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => return Poll::Ready(Some(Ok(data))),
                    // Trailers: none are sent, and actix-web has no place for them.
                    Err(_) => continue,
                },
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
