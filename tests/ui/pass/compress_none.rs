#![deny(missing_docs, unreachable_pub)]
//! Generated items carry docs and the struct's own visibility, so strict lints stay quiet.

/// The bundle.
#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", compress(none))]
pub struct Static;

fn main() {
    assert!(Static::iter().all(|a| a.variants().is_empty()));
}
