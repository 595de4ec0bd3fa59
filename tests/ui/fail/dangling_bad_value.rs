#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/graph", dangling = "deny", rewrite = "no")]
struct Static;

fn main() {}
