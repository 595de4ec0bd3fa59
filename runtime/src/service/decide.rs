//! What to answer: everything about a request that does not build the response.
//!
//! The order follows RFC 9110: method, then lookup, then preconditions in §13.2.2 order
//! (`If-Match`, then `If-None-Match`; there is no `Last-Modified`, so the date conditions never
//! apply), then `Range` (§14.2) guarded by `If-Range` (§13.1.5).

use std::ops::Range;

use http::{HeaderMap, HeaderValue, Method, Uri};

use super::conditional::{self, Condition};
use super::fields::{Field, Fields};
use super::range::{self, Ranged};
use super::{Settings, negotiate};
use crate::asset::AssetRef;
use crate::bundle::Bundle;
use crate::path;

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// 200 with the representation at index `variant` (see `Asset::representation`), or 206
    /// with `range` of the identity representation (`variant` 0).
    Serve {
        found: Found,
        variant: usize,
        range: Option<Range<u64>>,
    },
    /// 304: the client's copy of the representation at index `variant` is current.
    NotModified { found: Found, variant: usize },
    /// 412: `If-Match` failed.
    PreconditionFailed,
    /// 416, with the identity length.
    RangeNotSatisfiable { found: Found },
    /// 308 to the slash form of a folder path that has an `index.html`; the `Location` is
    /// relative (`./docs/`, with the query), so it is right under any mount path.
    Redirect(HeaderValue),
    /// 405 with `Allow: GET, HEAD`.
    MethodNotAllowed,
    /// 404.
    NotFound,
}

/// The asset a request resolved to, and whether its URL was fingerprinted (immutable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) asset: AssetRef,
    pub(crate) immutable: bool,
    /// The asset's index in the bundle; `None` for a fallback asset.
    pub(crate) index: Option<usize>,
}

impl Found {
    /// What the URL serves: the asset under its fingerprinted URL, the file as written under
    /// its plain one (the same unless references in it were rewritten).
    pub(crate) fn served(&self) -> &crate::Asset {
        if self.immutable {
            &self.asset
        } else {
            self.asset.as_written()
        }
    }

    /// What [`served`](Self::served) describes, for response heads: the same headers, without
    /// making the bytes of a rewritten file's plain form.
    pub(crate) fn described(&self) -> &crate::Asset {
        if self.immutable {
            &self.asset
        } else {
            self.asset.as_written_described()
        }
    }
}

pub(crate) fn decide(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    bundle: &'static Bundle,
    config: &Settings,
) -> Decision {
    if method != Method::GET && method != Method::HEAD {
        return Decision::MethodNotAllowed;
    }
    let found = match find(uri.path(), headers, bundle, config) {
        Ok(found) => found,
        Err(Miss::Folder) => {
            return redirect_to_folder(uri).map_or(Decision::NotFound, Decision::Redirect);
        }
        Err(Miss::NotFound) => return Decision::NotFound,
    };
    let fields = Fields::new(headers);
    let asset = found.served();
    let variant = negotiate::choose(asset, &fields, found.immutable);
    let etag = asset.representation(variant).etag_bytes();

    // Most requests carry neither: `has` spares them the evaluation.
    if fields.has(Field::IfMatch) && conditional::if_match(&fields, etag) == Condition::Fails {
        return Decision::PreconditionFailed;
    }
    if fields.has(Field::IfNoneMatch)
        && conditional::if_none_match(&fields, etag) == Condition::Matches
    {
        return Decision::NotModified { found, variant };
    }

    let identity = &asset.identity;
    let range = match fields.first(Field::Range) {
        Some(value)
            if method == Method::GET
                && conditional::if_range_allows(&fields, identity.etag_bytes()) =>
        {
            match range::evaluate(value.as_bytes(), identity.len() as u64) {
                Ranged::Partial(range) => Some(range),
                Ranged::Unsatisfiable => return Decision::RangeNotSatisfiable { found },
                Ranged::Ignore => None,
            }
        }
        _ => None,
    };
    match range {
        Some(range) => Decision::Serve {
            found,
            variant: 0,
            range: Some(range),
        },
        None => Decision::Serve {
            found,
            variant,
            range: None,
        },
    }
}

/// Why a request path found no asset.
enum Miss {
    /// Nothing to serve: not in the bundle (and no fallback applies), or refused.
    NotFound,
    /// A folder path without its trailing `/` whose `index.html` is in the bundle.
    Folder,
}

/// What looking a safe path up in the bundle found.
enum Lookup {
    /// The asset, whether the path was fingerprinted, and its index in a baked bundle.
    Slot((AssetRef, bool, Option<usize>)),
    /// `path/index.html` is in the bundle.
    Folder,
    /// Nothing, in a safe path: the fallback may answer.
    Missing,
    /// Nothing, and no fallback (or a path that tries to leave the bundle).
    Refused,
}

/// Looks the request path up: the plain path, then the path without the bundle's prefix (for a
/// service mounted at the root rather than with `nest_service`), then a folder's `index.html`,
/// then the fallback (for navigations only, unless configured otherwise).
fn find(
    uri_path: &str,
    headers: &HeaderMap,
    bundle: &'static Bundle,
    config: &Settings,
) -> Result<Found, Miss> {
    // A path ending in `/` already had `index.html` appended: it is no folder to redirect.
    let folder_candidate = !uri_path.ends_with('/');
    // A folder is one the bundle has, so a refused path (one that tries to leave the bundle)
    // is never one; it gets no fallback either: only a miss with a fallback pays for the check.
    let missed = |path: &str, checked: bool| {
        if folder_candidate && bundle.source().is_folder_mounted(path) {
            Lookup::Folder
        } else if config.fallback.is_some() && (checked || path::is_safe(path)) {
            Lookup::Missing
        } else {
            Lookup::Refused
        }
    };
    let lookup = match path::as_is(uri_path) {
        Some(path) => match bundle.source().find_mounted(path) {
            Some(slot) => Lookup::Slot(slot),
            None => missed(path, false),
        },
        None => path::with_resolved(uri_path, |path| {
            Some(match bundle.source().find_mounted(path) {
                Some(slot) => Lookup::Slot(slot),
                // `with_resolved` checked the decoded path.
                None => missed(path, true),
            })
        })
        .ok_or(Miss::NotFound)?,
    };
    match lookup {
        Lookup::Slot((asset, immutable, index)) => Ok(Found {
            asset,
            immutable,
            index,
        }),
        Lookup::Folder => Err(Miss::Folder),
        Lookup::Refused => Err(Miss::NotFound),
        Lookup::Missing => match &config.fallback {
            Some(asset) if config.fallback_any_path || is_navigation(uri_path, headers) => {
                Ok(Found {
                    asset: bundle.source().current(asset).ok_or(Miss::NotFound)?,
                    immutable: false,
                    index: None,
                })
            }
            _ => Err(Miss::NotFound),
        },
    }
}

/// `./<last segment>/` and the query, as a `Location` relative to the request's own URL: it
/// names the slash form however the service is mounted (`/static/docs` → `/static/docs/`). The
/// `./` keeps a segment with a `:` from reading as a scheme.
pub(crate) fn redirect_to_folder(uri: &Uri) -> Option<HeaderValue> {
    let segment = uri.path().rsplit('/').next().filter(|s| !s.is_empty())?;
    let location = match uri.query() {
        Some(query) => format!("./{segment}/?{query}"),
        None => format!("./{segment}/"),
    };
    HeaderValue::try_from(location).ok()
}

/// Whether a request for a missing path looks like a browser navigating to a page (which a
/// single-page app's fallback should answer) rather than a request for an asset (which must
/// stay a 404, or a missing script would be "served" as HTML): its last segment has no file
/// extension, or its `Accept` prefers `text/html`.
fn is_navigation(uri_path: &str, headers: &HeaderMap) -> bool {
    let last = uri_path.rsplit('/').next().unwrap_or_default();
    !last.contains('.') || prefers_html(headers)
}

/// Whether the request's `Accept` (RFC 9110 §12.5.1) lists `text/html` (or
/// `application/xhtml+xml`) with a non-zero quality that no other media range beats. Browsers
/// send that when navigating; `*/*` alone (scripts, `fetch`) or image types do not qualify.
///
/// Hand-written: a few lines over the field's list, on the fallback path only; no crate of the
/// stack parses `Accept` without allocating a structure for it.
fn prefers_html(headers: &HeaderMap) -> bool {
    let mut html = 0.0_f32;
    let mut others = 0.0_f32;
    for value in headers.get_all(http::header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for entry in value.split(',') {
            let mut params = entry.split(';');
            let range = params.next().unwrap_or_default().trim();
            let q = params
                .filter_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("q")
                        .then(|| value.trim().parse::<f32>().ok())
                        .flatten()
                })
                .next()
                .unwrap_or(1.0);
            let q = if q.is_finite() {
                q.clamp(0.0, 1.0)
            } else {
                0.0
            };
            if range.eq_ignore_ascii_case("text/html")
                || range.eq_ignore_ascii_case("application/xhtml+xml")
            {
                html = html.max(q);
            } else if !range.is_empty() {
                others = others.max(q);
            }
        }
    }
    html > 0.0 && html >= others
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn browsers_navigating_prefer_html() {
        for value in [
            // Chrome, Firefox and Safari navigating.
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,\
             image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "text/html",
            "TEXT/HTML;q=0.5, */*;q=0.1",
        ] {
            assert!(prefers_html(&accept(value)), "{value}");
        }
    }

    #[test]
    fn subresource_requests_do_not_prefer_html() {
        for value in [
            "*/*",
            "text/css,*/*;q=0.1",
            "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
            "application/json",
            "text/html;q=0, */*",
            "text/html;q=0.5, application/json",
            "",
        ] {
            assert!(!prefers_html(&accept(value)), "{value}");
        }
        assert!(!prefers_html(&HeaderMap::new()));
    }

    #[test]
    fn navigations_are_extensionless_or_prefer_html() {
        let none = HeaderMap::new();
        assert!(is_navigation("/app/users/42", &none));
        assert!(is_navigation("/app/", &none));
        assert!(is_navigation("/", &none));
        assert!(!is_navigation("/app/x.js", &none));
        assert!(!is_navigation("/app/v1.2", &none));
        assert!(is_navigation("/app/v1.2", &accept("text/html")));
    }

    #[test]
    fn folder_redirects_are_relative_and_keep_the_query() {
        let location = |uri: &str| {
            redirect_to_folder(&uri.parse().unwrap()).map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(location("/docs").as_deref(), Some("./docs/"));
        assert_eq!(
            location("/a/b%20c?x=1&y").as_deref(),
            Some("./b%20c/?x=1&y")
        );
        assert_eq!(location("/a:b").as_deref(), Some("./a:b/"));
        assert_eq!(location("/"), None);
    }
}
