#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok")]
enum Static {
    Css,
}

fn main() {}
