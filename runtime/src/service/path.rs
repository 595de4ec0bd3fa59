//! From a request path to a path in the bundle, refusing anything that could escape it.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// Percent-decodes `path` (the URI path, query already gone) and checks it: `None` for invalid
/// UTF-8, NUL, backslashes, and `.` or `..` segments (decoded or not). The result has no leading
/// `/`; a path ending in `/` gets `index.html` appended.
pub(crate) fn resolve(path: &str) -> Option<Cow<'_, str>> {
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    if decoded.contains(['\0', '\\']) {
        return None;
    }
    if decoded
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return None;
    }
    let is_folder = decoded.is_empty() || decoded.ends_with('/');
    Some(match decoded {
        _ if is_folder => Cow::Owned(format!("{}index.html", decoded.trim_start_matches('/'))),
        Cow::Borrowed(decoded) => Cow::Borrowed(decoded.trim_start_matches('/')),
        Cow::Owned(decoded) => Cow::Owned(decoded.trim_start_matches('/').to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_borrow() {
        assert!(matches!(
            resolve("/css/app.css"),
            Some(Cow::Borrowed("css/app.css"))
        ));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(resolve("/a%20b/%E4%BD%A0.txt").unwrap(), "a b/你.txt");
    }

    #[test]
    fn folders_get_their_index() {
        assert_eq!(resolve("/").unwrap(), "index.html");
        assert_eq!(resolve("").unwrap(), "index.html");
        assert_eq!(resolve("/docs/").unwrap(), "docs/index.html");
    }

    #[test]
    fn traversal_and_bad_bytes_are_refused() {
        for p in [
            "/../Cargo.toml",
            "/css/../../secret",
            "/%2e%2e/Cargo.toml",
            "/%2E%2E/x",
            "/.%2e/x",
            "/a/./b",
            "/..%2fCargo.toml",
            "/a%5c..%5cb",
            "/a\\b",
            "/a%00b",
            "/%ff.txt",
            "/C:%5cwindows",
        ] {
            assert_eq!(resolve(p), None, "{p}");
        }
    }
}
