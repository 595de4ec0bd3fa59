// Without a build script that watches the folder, added files would go unnoticed: a warning says
// so, with the fix (see empty_folder_warning.rs).
#![deny(deprecated)]

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok")]
struct Static;

fn main() {}
