#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", colour = "red")]
struct Static;

fn main() {}
