#[derive(kiln::Embed)]
struct Static;

fn main() {}
