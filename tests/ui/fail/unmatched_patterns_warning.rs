// Patterns that match nothing warn, each at its own literal (see empty_folder_warning.rs).
#![deny(deprecated)]

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", include = "*.css", include = "*.cs")]
#[kiln(exclude = "*.map")]
struct Static;

fn main() {}
