#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", prefix = "static")]
struct Static;

fn main() {}
