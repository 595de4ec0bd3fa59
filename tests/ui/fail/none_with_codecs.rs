#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", compress(gzip, none))]
struct Static;

fn main() {}
