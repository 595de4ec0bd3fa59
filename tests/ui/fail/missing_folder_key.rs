#[derive(kiln::Embed)]
#[kiln(prefix = "/assets")]
struct Static;

fn main() {}
