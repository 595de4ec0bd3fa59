#[derive(kiln::Embed)]
#[kiln(folder = 42)]
struct Static;

fn main() {}
