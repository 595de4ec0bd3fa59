//! The example app's assets served by actix-web instead of axum: one line mounts the bundle,
//! `respond_actix` answers the page. With `--features reload` too, the page reloads itself
//! when a file of `static/` is saved.
//!
//! ```text
//! cargo run -p example-app --example actix --features actix [-- HOST:PORT]
//! ```

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// The app's static assets, baked in at compile time (read from disk with `reload`).
#[derive(kiln::Embed)]
#[kiln(folder = "static", prefix = "/static")]
struct Static;

/// Rendered once when baked, and again after each change in reload mode.
static PAGE: kiln::LazyPage = kiln::LazyPage::new(|| {
    let css = kiln::asset!(Static, "css/site.css").stylesheet();
    let logo = kiln::asset!(Static, "img/kiln.svg");
    let live = Static::live_reload_script();
    kiln::Page::html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Kiln with actix-web</title>\n{css}\n</head>\n<body>\n\
         <header><img src=\"{logo}\" alt=\"Kiln logo\"><h1>Kiln with actix-web</h1></header>\n\
         <main><p>The stylesheet and the logo are fingerprinted assets, served by \
         <code>Static::actix_service()</code>.</p></main>\n{live}\n</body>\n</html>\n"
    ))
});

async fn index(req: HttpRequest) -> HttpResponse {
    PAGE.respond_actix(&req)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let server = HttpServer::new(|| {
        App::new()
            .route("/", web::get().to(index))
            // The whole bundle at its prefix, "/static", written once in the attribute above.
            .service(Static::actix_service())
    })
    .bind(&addr)?;
    for local in server.addrs() {
        println!("listening on http://{local}/");
    }
    server.run().await
}
