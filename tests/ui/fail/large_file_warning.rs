// Large files warn; with `deny(deprecated)` the warning is an error, which makes it testable here.
#![deny(deprecated)]

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/large")]
struct Static;

fn main() {}
