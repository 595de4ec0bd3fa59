#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", prefx = "/assets")]
struct Static;

fn main() {}
