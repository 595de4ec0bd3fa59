// The first argument must be a type that derives `Embed`.
struct NotABundle;

fn main() {
    let _ = kiln::asset!(NotABundle, "app.css");
    let _ = kiln::asset!("app.css");
}
