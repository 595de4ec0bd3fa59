#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/broken")]
struct Static;

fn main() {}
