#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/non-utf8")]
struct Static;

fn main() {}
