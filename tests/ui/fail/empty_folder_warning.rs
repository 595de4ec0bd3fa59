// An empty folder warns; with `deny(deprecated)` the warning is an error, which makes it testable
// here (so does the warning that nothing watches the folder: trybuild's crate has no build.rs).
#![deny(deprecated)]

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/empty")]
struct Static;

fn main() {}
