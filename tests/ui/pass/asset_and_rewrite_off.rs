// `asset!` yields the same URL as `url()`; `rewrite = false` and `dangling = "allow"` silence
// the dangling reference.
#![allow(deprecated)] // nothing watches the folder in trybuild's crate

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/graph", rewrite = false)]
struct Plain;

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/graph", dangling = "allow")]
struct Graph;

fn main() {
    let url = kiln::asset!(Plain, "app.css");
    assert_eq!(url, Plain::url("app.css").unwrap());
    assert_eq!(&*kiln::asset!(Graph, "logo.svg",), &*Graph::url("logo.svg").unwrap());
    // Rewritten: the fingerprinted CSS names the fingerprinted logo, the plain one is as written.
    let css = Graph::get("app.css").unwrap();
    let logo = Graph::get("logo.svg").unwrap();
    let rewritten = std::str::from_utf8(css.bytes()).unwrap();
    assert!(rewritten.contains(&format!("url({})", logo.fingerprinted_path())));
    assert!(std::str::from_utf8(css.as_written().bytes()).unwrap().contains("url(logo.svg)"));
    assert_eq!(Plain::get("app.css").unwrap().bytes(), css.as_written().bytes());
}
