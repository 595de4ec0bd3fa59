#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", exclude = "{a,b")]
struct Static;

fn main() {}
