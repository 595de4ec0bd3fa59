#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/backslash")]
struct Static;

fn main() {}
