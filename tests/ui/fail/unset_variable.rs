#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_NOT_SET_ANYWHERE/static")]
struct Static;

fn main() {}
