// Paths are relative to the folder, as in `Static::get`.
#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/graph")]
#[allow(deprecated)]
struct Static;

fn main() {
    let _ = kiln::asset!(Static, "/app.css");
}
