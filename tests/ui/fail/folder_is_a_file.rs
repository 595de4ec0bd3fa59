#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/file.txt")]
struct Static;

fn main() {}
