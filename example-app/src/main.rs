//! An example app whose assets Kiln bakes into the binary.
//!
//! `cargo run -p example-app manifest` prints the manifest of the bundle.

/// The app's static assets, baked in at compile time.
#[derive(kiln::Embed)]
#[kiln(folder = "static", prefix = "/static")]
struct Static;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("manifest") => println!("{}", Static::manifest_json()),
        None => {
            for asset in Static::iter() {
                let url = Static::url(asset.path()).unwrap_or_default();
                println!("{:<20} {url}  {}", asset.path(), asset.integrity());
            }
        }
        Some(other) => {
            eprintln!("unknown command `{other}`; usage: example-app [manifest]");
            std::process::exit(2);
        }
    }
}
