#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok")]
union Static {
    a: u8,
}

fn main() {}
