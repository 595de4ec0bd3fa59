#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok")]
struct Static {
    name: String,
}

fn main() {}
