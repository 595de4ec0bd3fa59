#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", compressed_only(min_bytes = 10))]
struct Static;

fn main() {}
