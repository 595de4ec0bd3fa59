#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", compress(none), compressed_only)]
struct Static;

fn main() {}
