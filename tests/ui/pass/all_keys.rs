// Every key, a renamed crate path, and the generated functions used from a private module.
use ::kiln as renamed;

mod assets {
    #[derive(kiln::Embed)]
    #[kiln(folder = "$KILN_UI_FIXTURES/ok", prefix = "/assets/", include = "*.css")]
    #[kiln(exclude = "*.map", compress(gzip), crate = "crate::renamed", deltas = 1)]
    pub(crate) struct Static;
}

fn main() {
    let css = assets::Static::get("app.css").unwrap();
    assert_eq!(css.content_type(), "text/css; charset=utf-8");
    let url = assets::Static::url("app.css").unwrap();
    assert!(url.starts_with("/assets/app."));
    assert_eq!(assets::Static::iter().count(), 1);
    assert!(assets::Static::manifest_json().contains("app.css"));
    let _: &'static renamed::Bundle = <assets::Static as renamed::Embed>::bundle();
}
