#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", folder = "$KILN_UI_FIXTURES/ok")]
struct Static;

fn main() {}
