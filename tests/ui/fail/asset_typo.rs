// A path that is not in the bundle fails the build at the string, with the closest path.
#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/graph")]
#[allow(deprecated)]
struct Static;

fn main() {
    let _ = kiln::asset!(Static, "app.cs");
    let _ = kiln::asset!(Static, "img/logo.svg");
}
