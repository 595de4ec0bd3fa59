// The large-file warning can be silenced on the struct.
#![deny(deprecated)]

#[allow(deprecated)]
#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/large")]
struct Static;

fn main() {
    assert_eq!(Static::get("big.zip").unwrap().len(), 33 << 20);
}
