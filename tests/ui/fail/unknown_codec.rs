#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", compress(br, lzma))]
struct Static;

fn main() {}
