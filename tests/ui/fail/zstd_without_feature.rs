#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", compress(br, zstd))]
struct Static;

fn main() {}
