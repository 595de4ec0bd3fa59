#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", deltas = 100)]
struct Static;

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", deltas = "two")]
struct Other;

fn main() {}
