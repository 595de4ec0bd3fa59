// A derive that fails (here, a folder that does not exist) is the one error: the `asset!` calls
// that name its files add none.
#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/no-such-folder")]
struct Broken;

fn main() {
    let _ = kiln::asset!(Broken, "app.css");
    let _ = kiln::asset!(Broken, "img/logo.svg");
    let _ = kiln::asset!(Broken, "css/site.css");
}
