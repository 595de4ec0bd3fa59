// `dangling = "error"` makes a dangling reference a compile error.
#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/graph", dangling = "error")]
#[allow(deprecated)]
struct Static;

fn main() {}
