//! Tags with integrity, import maps and the minijinja integration, rendered from a real template
//! and checked against the bytes the service sends.

use crate::util::{Graph, send, sha256_hex, sri};

/// A bundle of its own, so that its base URL does not leak into the other tests.
#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/graph", prefix = "/static", dangling = "allow")]
struct OnCdn;

fn environment() -> minijinja::Environment<'static> {
    use kiln::Embed as _;
    let mut env = minijinja::Environment::new();
    kiln::minijinja::install(&mut env, Graph::bundle());
    env.add_template(
        "page.html",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/page.html")),
    )
    .unwrap();
    env
}

/// The value of `attribute` in the first tag of `html` that contains `needle`.
fn attribute<'a>(html: &'a str, needle: &str, attribute: &str) -> &'a str {
    let start = html
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in {html}"));
    let tag_start = html[..start].rfind('<').unwrap();
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>').unwrap()];
    let key = format!(" {attribute}=\"");
    let at = tag
        .find(&key)
        .unwrap_or_else(|| panic!("{attribute} in {tag}"))
        + key.len();
    &tag[at..at + tag[at..].find('"').unwrap()]
}

#[tokio::test]
async fn a_template_renders_tags_whose_integrity_matches_what_is_served() {
    let html = environment()
        .get_template("page.html")
        .unwrap()
        .render(minijinja::context! { title => "<Kiln & co>" })
        .unwrap();

    // Every tag's URL is served, and its integrity is that of the bytes served there.
    for (needle, url_attribute) in [
        ("rel=\"stylesheet\"", "href"),
        ("type=\"module\"", "src"),
        ("rel=\"modulepreload\"", "href"),
        ("rel=\"preload\"", "href"),
    ] {
        let url = attribute(&html, needle, url_attribute);
        let integrity = attribute(&html, needle, "integrity");
        assert_eq!(attribute(&html, needle, "crossorigin"), "anonymous");
        let reply = send(
            Graph::service(),
            "GET",
            url.strip_prefix("/static").unwrap(),
            &[],
        )
        .await;
        assert_eq!(reply.status, 200, "{url}");
        assert!(reply.header("cache-control").contains("immutable"), "{url}");
        assert_eq!(integrity, sri(&reply.body), "{url}");
    }
    assert_eq!(attribute(&html, "rel=\"preload\"", "as"), "font");
    assert_eq!(attribute(&html, "rel=\"preload\"", "type"), "font/woff2");
    assert!(html.contains(&format!(
        "<img src=\"{}\"",
        Graph::url("img/logo.svg").unwrap()
    )));
    // The template's own variables are still escaped.
    assert!(html.contains("alt=\"&lt;Kiln &amp; co&gt;\""));

    // The import map: plain module URLs to fingerprinted ones, with their integrity.
    let start = html.find("<script type=\"importmap\">").unwrap() + 25;
    let json = &html[start..start + html[start..].find("</script>").unwrap()];
    let map: serde_json::Value = serde_json::from_str(json).unwrap();
    for path in ["js/app.js", "js/util.js"] {
        let asset = Graph::get(path).unwrap();
        let fingerprinted = format!("/static/{}", asset.url_path());
        assert_eq!(
            map["imports"][format!("/static/{path}")],
            fingerprinted.as_str()
        );
        assert_eq!(map["integrity"][&fingerprinted], asset.integrity());
        let reply = send(
            Graph::service(),
            "GET",
            &format!("/{}", asset.url_path()),
            &[],
        )
        .await;
        assert_eq!(sha256_hex(&reply.body), asset.hash());
    }
    assert_eq!(map["imports"].as_object().unwrap().len(), 2, "{map}");
}

#[test]
fn a_path_not_in_the_bundle_is_a_render_error_with_a_suggestion() {
    let error = environment()
        .render_str("{{ stylesheet('css/ap.css') }}", ())
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`css/ap.css` is not a file of the bundle; did you mean `css/app.css`?"),
        "{error}"
    );
}

#[test]
fn tags_use_the_base_url_and_escape_what_they_hold() {
    let local = kiln::asset!(OnCdn, "css/app.css");
    assert!(local.stylesheet().contains("href=\"/static/css/app."));
    OnCdn::set_base_url("https://cdn.example.com/assets?a=1&b=2/");
    let css = kiln::asset!(OnCdn, "css/app.css");
    assert_eq!(css, OnCdn::url("css/app.css").unwrap());
    assert!(
        css.starts_with("https://cdn.example.com/assets?a=1&b=2/css/app."),
        "{css}"
    );
    let tag = css.stylesheet();
    assert!(
        tag.contains("href=\"https://cdn.example.com/assets?a=1&amp;b=2/css/app."),
        "{tag}"
    );
    assert_eq!(
        tag,
        format!(
            "<link rel=\"stylesheet\" href=\"{}\" integrity=\"{}\" crossorigin=\"anonymous\">",
            css.replace('&', "&amp;"),
            css.integrity().unwrap()
        )
    );
    let script = OnCdn::resolve("js/app.js").unwrap();
    assert_eq!(
        script.script(),
        format!(
            "<script src=\"{}\" integrity=\"{}\" crossorigin=\"anonymous\" defer></script>",
            script.replace('&', "&amp;"),
            script.integrity().unwrap()
        )
    );
    // The import map's keys follow the base URL too: modules resolve `./util.js` there.
    let map = OnCdn::import_map();
    assert!(
        map.contains("\"https://cdn.example.com/assets?a=1\\u0026b=2/js/util.js\":"),
        "{map}"
    );
    OnCdn::set_base_url("/static");
}
