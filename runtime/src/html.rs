//! HTML for pages that use a bundle: the URL of an asset with its tags (`<link>`, `<script>`,
//! with Subresource Integrity), and import maps for ES modules.

use std::borrow::Cow;
use std::fmt;

use crate::asset::{Asset, AssetRef};
use crate::bundle::Bundle;

/// The fingerprinted URL of an asset, and the asset: what [`kiln::asset!`](crate::asset!) and
/// [`Bundle::resolve`] give.
///
/// It derefs to the URL (`&str`), displays as the URL, and renders the HTML tags that load the
/// asset with its `integrity`:
///
/// ```
/// #[derive(kiln::Embed)]
/// #[kiln(folder = "static")]
/// struct Static;
///
/// let css = kiln::asset!(Static, "css/app.css");
/// assert!(css.starts_with("/static/css/app."));
/// let tag = css.stylesheet();
/// assert!(tag.starts_with(r#"<link rel="stylesheet" href="/static/css/app."#));
/// assert!(tag.contains(r#"integrity="sha384-"#) && tag.contains(r#"crossorigin="anonymous""#));
/// ```
#[derive(Clone)]
pub struct AssetUrl {
    url: Cow<'static, str>,
    asset: Option<AssetRef>,
}

impl AssetUrl {
    pub(crate) fn new(url: Cow<'static, str>, asset: Option<AssetRef>) -> Self {
        AssetUrl { url, asset }
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The URL, owned.
    pub fn into_inner(self) -> Cow<'static, str> {
        self.url
    }

    /// The asset; `None` only in reload mode, for a file deleted since the build.
    pub fn asset(&self) -> Option<&Asset> {
        self.asset.as_deref()
    }

    /// The asset's Subresource Integrity string (`sha384-...`).
    pub fn integrity(&self) -> Option<&str> {
        self.asset().map(Asset::integrity)
    }

    /// ` integrity="..." crossorigin="anonymous"`, or nothing without an asset.
    fn integrity_attributes(&self, out: &mut String) {
        if let Some(integrity) = self.integrity() {
            out.push_str(" integrity=\"");
            escape_into(out, integrity);
            out.push_str("\" crossorigin=\"anonymous\"");
        }
    }

    fn tag(&self, open: &str, attribute: &str, close: &str) -> String {
        let mut out = String::with_capacity(160);
        out.push_str(open);
        out.push(' ');
        out.push_str(attribute);
        out.push_str("=\"");
        escape_into(&mut out, &self.url);
        out.push('"');
        self.integrity_attributes(&mut out);
        out.push_str(close);
        out
    }

    /// `<link rel="stylesheet" href="..." integrity="..." crossorigin="anonymous">`
    pub fn stylesheet(&self) -> String {
        self.tag("<link rel=\"stylesheet\"", "href", ">")
    }

    /// `<script src="..." integrity="..." crossorigin="anonymous" defer></script>`: a classic
    /// script, run once the document is parsed (as a module is).
    pub fn script(&self) -> String {
        self.tag("<script", "src", " defer></script>")
    }

    /// `<script type="module" src="..." integrity="..." crossorigin="anonymous"></script>`
    pub fn module(&self) -> String {
        self.tag("<script type=\"module\"", "src", "></script>")
    }

    /// `<link rel="modulepreload" href="..." integrity="..." crossorigin="anonymous">`
    pub fn modulepreload(&self) -> String {
        self.tag("<link rel=\"modulepreload\"", "href", ">")
    }

    /// `<link rel="preload" href="..." as="..." ...>`, with `as` (and, for a font, `type`) from the
    /// asset's content type: `style`, `script`, `font`, `image`, `fetch`.
    pub fn preload(&self) -> String {
        let content_type = self.asset().map_or("", Asset::content_type);
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let kind = match essence {
            "text/css" => "style",
            "text/javascript" | "application/javascript" => "script",
            t if t.starts_with("font/") => "font",
            t if t.starts_with("image/") => "image",
            t if t.starts_with("audio/") => "audio",
            t if t.starts_with("video/") => "video",
            _ => "fetch",
        };
        let mut close = format!(" as=\"{kind}\"");
        if kind == "font" {
            close.push_str(" type=\"");
            escape_into(&mut close, essence);
            close.push('"');
        }
        let mut out = self.tag("<link rel=\"preload\"", "href", "");
        out.push_str(&close);
        out.push('>');
        out
    }
}

impl std::ops::Deref for AssetUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.url
    }
}

impl AsRef<str> for AssetUrl {
    fn as_ref(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for AssetUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl fmt::Debug for AssetUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.url, f)
    }
}

impl From<AssetUrl> for String {
    fn from(url: AssetUrl) -> String {
        url.url.into_owned()
    }
}

impl PartialEq for AssetUrl {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
    }
}

impl Eq for AssetUrl {}

impl PartialEq<str> for AssetUrl {
    fn eq(&self, other: &str) -> bool {
        *self.url == *other
    }
}

impl PartialEq<&str> for AssetUrl {
    fn eq(&self, other: &&str) -> bool {
        *self.url == **other
    }
}

impl PartialEq<String> for AssetUrl {
    fn eq(&self, other: &String) -> bool {
        *self.url == **other
    }
}

impl PartialEq<Cow<'_, str>> for AssetUrl {
    fn eq(&self, other: &Cow<'_, str>) -> bool {
        *self.url == **other
    }
}

/// `text` escaped for an HTML attribute value or text.
#[cfg_attr(not(feature = "minijinja"), allow(dead_code))]
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Appends `text` escaped for an HTML attribute value or text.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn is_module(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("js") || ext.eq_ignore_ascii_case("mjs"))
}

impl Bundle {
    /// What `kiln::asset!` expands to: the URL of the asset at `index`, which the derive's list of
    /// paths gave at compile time (no lookup by string in a baked bundle), or, for a bundle read
    /// from disk, of `path` (which may have been deleted since: then its plain URL, which answers
    /// 404).
    #[doc(hidden)]
    pub fn asset_url(&'static self, index: usize, path: &str) -> AssetUrl {
        let source = self.source();
        let asset = source.listed(index, path);
        let url = match &asset {
            Some(asset) => self.url_of(asset),
            None => Cow::Owned(source.plain_url(path)),
        };
        AssetUrl::new(url, asset)
    }

    /// The [`AssetUrl`] of `path` (plain or fingerprinted): its URL (honouring the base URL) and
    /// the asset, for its tags. `kiln::asset!` gives the same, checked at compile time.
    pub fn resolve(&'static self, path: &str) -> Option<AssetUrl> {
        let asset = self.get(path)?;
        Some(AssetUrl::new(self.url_of(&asset), Some(asset)))
    }

    /// An import map for the bundle's JavaScript modules (`.js` and `.mjs` files): a
    /// `<script type="importmap">` that maps the plain URL of each to its fingerprinted URL, with
    /// an `integrity` entry for each fingerprinted URL.
    ///
    /// ES modules import each other by relative URL (`import "./util.js"`), which a fingerprinted
    /// module cannot know in advance; with this map in the page, the browser resolves
    /// `./util.js` against the importing module's URL to the plain URL, and the map sends it to
    /// the immutable, fingerprinted one. Put it before the first module script of the page.
    ///
    /// ```
    /// # #[derive(kiln::Embed)]
    /// # #[kiln(folder = "static")]
    /// # struct Static;
    /// use kiln::Embed as _;
    /// let map = Static::bundle().import_map();
    /// assert!(map.starts_with(r#"<script type="importmap">{"imports":{"/static/js/app.js":"/static/js/app."#));
    /// assert!(map.contains(r#""integrity":{"/static/js/app."#));
    /// ```
    pub fn import_map(&'static self) -> String {
        let base = self.base();
        let start = match base.as_deref() {
            Some(base) => format!("{base}/"),
            None => format!("{}/", self.prefix()),
        };
        let modules: Vec<AssetRef> = self.iter().filter(|a| is_module(a.path())).collect();
        let mut out = String::from("<script type=\"importmap\">{\"imports\":{");
        for (i, asset) in modules.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            crate::json::write_script_string(
                &mut out,
                &format!("{start}{}", plain_url_path(asset)),
            );
            out.push(':');
            crate::json::write_script_string(&mut out, &format!("{start}{}", asset.url_path()));
        }
        out.push_str("},\"integrity\":{");
        for (i, asset) in modules.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            crate::json::write_script_string(&mut out, &format!("{start}{}", asset.url_path()));
            out.push(':');
            crate::json::write_script_string(&mut out, asset.integrity());
        }
        out.push_str("}}</script>");
        out
    }
}

/// The plain path of `asset`, percent-encoded as its fingerprinted one is: the fingerprinted URL
/// path with the `.<hash>` taken out of the last segment.
fn plain_url_path(asset: &Asset) -> String {
    let url_path = asset.url_path();
    let short = &asset.hash()[..12.min(asset.hash().len())];
    let name_start = url_path.rfind('/').map_or(0, |i| i + 1);
    let marker = format!(".{short}");
    match url_path[name_start..].rfind(&marker) {
        Some(at) => {
            let at = name_start + at;
            format!("{}{}", &url_path[..at], &url_path[at + marker.len()..])
        }
        None => url_path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping() {
        let mut out = String::new();
        super::escape_into(&mut out, r#"a&b<c>"d'"#);
        assert_eq!(out, "a&amp;b&lt;c&gt;&quot;d&#39;");
        let mut out = String::new();
        crate::json::write_script_string(&mut out, "</script><!--\"\\\n");
        assert_eq!(out, r#""\u003c/script\u003e\u003c!--\"\\\n""#);
    }
}
