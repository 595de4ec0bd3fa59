#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", include = "**/*.css", include = "css/[a-")]
struct Static;

fn main() {}
