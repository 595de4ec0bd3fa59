#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", deltas = 100)]
struct Static;

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", deltas = "two")]
struct Other;

#[derive(kiln::Embed)]
#[kiln(folder = "$KILN_UI_FIXTURES/ok", deltas = -1)]
struct Negative;

fn main() {}
