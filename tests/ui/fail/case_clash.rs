#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/clash")]
struct Static;

fn main() {}
