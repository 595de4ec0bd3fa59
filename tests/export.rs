//! `Bundle::export`: plain and fingerprinted names, encoded siblings, staticfiles.json.

use std::collections::BTreeMap;
use std::fs;

use kiln::Embed;

use crate::util::Site;

#[test]
fn export_writes_every_name_and_sibling() {
    let dir = tempfile::tempdir().unwrap();
    let done = Site::bundle().export(dir.path()).unwrap();
    let mut expected_files = 1;
    for asset in Site::iter() {
        for name in [asset.path(), asset.fingerprinted_path()] {
            assert_eq!(
                fs::read(dir.path().join(name)).unwrap(),
                asset.bytes(),
                "{name}"
            );
            for variant in asset.variants() {
                let ext = variant.encoding().file_extension().unwrap();
                let sibling = dir.path().join(format!("{name}.{ext}"));
                assert_eq!(
                    fs::read(&sibling).unwrap(),
                    variant.bytes(),
                    "{}",
                    sibling.display()
                );
            }
            for ext in ["br", "gz", "zst"] {
                let has = asset
                    .variants()
                    .iter()
                    .any(|v| v.encoding().file_extension() == Some(ext));
                assert_eq!(
                    dir.path().join(format!("{name}.{ext}")).exists(),
                    has,
                    "{name}.{ext}"
                );
            }
            expected_files += 1 + asset.variants().len();
        }
    }
    assert_eq!(done.files, expected_files);
    // Hidden files stay out of the export as they stay out of the bundle.
    assert!(!dir.path().join(".hidden").exists());
}

#[test]
fn staticfiles_json_has_django_shape() {
    let dir = tempfile::tempdir().unwrap();
    Site::bundle().export(dir.path()).unwrap();
    let text = fs::read_to_string(dir.path().join("staticfiles.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"], "1.0");
    let paths: BTreeMap<String, String> = serde_json::from_value(json["paths"].clone()).unwrap();
    let expected: BTreeMap<String, String> = Site::iter()
        .map(|a| (a.path().to_owned(), a.fingerprinted_path().to_owned()))
        .collect();
    assert_eq!(paths, expected);
}

#[test]
fn export_into_a_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocker");
    fs::write(&blocker, "a file where a folder should go").unwrap();
    let err = Site::bundle().export(&blocker).unwrap_err();
    assert!(err.path().starts_with(&blocker), "{}", err.path().display());
    assert!(err.to_string().contains("blocker"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

/// What the `kiln` command exports and uploads is the derive's output by construction: the folder
/// baked in memory (`Bundle::from_baked`) becomes the same files, byte for byte, with the same
/// headers, as the binary's own bundle.
#[test]
fn a_bundle_baked_in_memory_becomes_the_same_files() {
    for (folder, bundle) in [
        ("basic", Site::bundle()),
        ("graph", crate::util::Graph::bundle()),
    ] {
        let config = kiln_bake::Config {
            prefix: "/static".into(),
            ..kiln_bake::Config::new(crate::util::fixtures().join(folder))
        };
        let baked = kiln_bake::bake(&config).unwrap();
        let memory = kiln::Bundle::from_baked(&baked, "/static").unwrap();
        assert_eq!(memory.manifest_json(), bundle.manifest_json(), "{folder}");
        // Reload mode compresses at a faster setting (whose variants may differ, or not be kept):
        // there the identity files are compared.
        let compared = |files: Vec<kiln::OutputFile>| -> Vec<kiln::OutputFile> {
            files
                .into_iter()
                .filter(|f| !bundle.is_read_from_disk() || f.encoding() == kiln::Encoding::Identity)
                .collect()
        };
        let ours = compared(memory.files());
        let theirs = compared(bundle.files());
        assert!(ours.len() > 10, "{folder}: {}", ours.len());
        assert_eq!(ours.len(), theirs.len(), "{folder}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a, b, "{folder}: {}", a.name());
        }
    }
}
