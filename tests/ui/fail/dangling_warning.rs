// A reference that resolves to no file of the bundle warns by default (here, denied), naming the
// file and the reference.
#![deny(deprecated)]

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/graph")]
struct Static;

fn main() {}
