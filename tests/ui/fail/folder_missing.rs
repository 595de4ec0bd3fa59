#[derive(kiln::Embed)]
#[kiln(folder = "no/such/folder")]
struct Static;

fn main() {
    // The error is the only one: the fallback still defines the generated functions.
    let _ = Static::get("x");
}
