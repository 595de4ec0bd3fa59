//! `include`, `exclude` and hidden files.

#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/basic", include = "**/*.css", include = "*.json")]
struct OnlyStyles;

#[derive(kiln::Embed)]
#[kiln(
    folder = "fixtures/basic",
    exclude = "*.txt",
    exclude = "nested",
    exclude = "/docs/**"
)]
struct NoText;

#[derive(kiln::Embed)]
#[kiln(
    folder = "fixtures/basic",
    include = ".well-known/**",
    include = "/index.html"
)]
struct WellKnown;

#[derive(kiln::Embed)]
#[kiln(folder = "fixtures/basic", include = "**", exclude = ".hidden")]
struct Everything;

fn paths(iter: kiln::Iter) -> Vec<String> {
    iter.map(|a| a.path().to_owned()).collect()
}

#[test]
fn include_keeps_only_matches() {
    assert_eq!(
        paths(OnlyStyles::iter()),
        ["css/app.css", "data.json", "nested/deep/x.css"]
    );
}

#[test]
fn exclude_by_name_folder_and_anchored_glob() {
    let got = paths(NoText::iter());
    assert!(got.iter().all(|p| !p.ends_with(".txt")), "{got:?}");
    assert!(!got.contains(&"nested/deep/x.css".to_owned()));
    assert!(!got.contains(&"docs/index.html".to_owned()));
    assert!(got.contains(&"css/app.css".to_owned()));
    assert!(got.contains(&"noext".to_owned()));
}

#[test]
fn hidden_files_only_when_included_explicitly() {
    assert_eq!(
        paths(WellKnown::iter()),
        [".well-known/security.txt", "index.html"]
    );
    let everything = paths(Everything::iter());
    assert!(everything.contains(&".well-known/security.txt".to_owned()));
    assert!(!everything.contains(&".hidden".to_owned()));
    assert_eq!(everything.len(), 14);
}
