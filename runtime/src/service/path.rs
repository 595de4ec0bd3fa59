//! From a request path to a path in the bundle, refusing anything that could escape it.

use percent_encoding::percent_decode;

/// Decoded paths up to this length are decoded on the stack: no allocation per request.
const INLINE: usize = 1024;
const INDEX: &[u8] = b"index.html";

/// Percent-decodes `path` (the URI path, query already gone), checks it, and hands it to `f`
/// without the leading `/`; a path ending in `/` gets `index.html` appended. Returns `None`,
/// without calling `f`, for invalid UTF-8, NUL, backslashes, and `.` or `..` segments (decoded or
/// not).
pub(crate) fn with_resolved<R>(path: &str, f: impl FnOnce(&str) -> Option<R>) -> Option<R> {
    // The common case, a file path with nothing encoded, needs no copy.
    if !path.contains('%') && !path.is_empty() && !path.ends_with('/') {
        return if is_safe(path) {
            f(path.trim_start_matches('/'))
        } else {
            None
        };
    }
    let mut inline = [0u8; INLINE];
    let mut heap = Vec::new();
    let mut len = 0;
    let decoded_len: usize = percent_decode(path.as_bytes()).count();
    let buf: &mut [u8] = if decoded_len + INDEX.len() <= INLINE {
        &mut inline
    } else {
        heap.resize(decoded_len + INDEX.len(), 0);
        &mut heap
    };
    for byte in percent_decode(path.as_bytes()) {
        buf[len] = byte;
        len += 1;
    }
    let decoded = std::str::from_utf8(&buf[..len]).ok()?;
    if !is_safe(decoded) {
        return None;
    }
    let start = decoded.len() - decoded.trim_start_matches('/').len();
    if decoded.is_empty() || decoded.ends_with('/') {
        buf[len..len + INDEX.len()].copy_from_slice(INDEX);
        len += INDEX.len();
    }
    // ASCII was appended to valid UTF-8: still valid.
    f(std::str::from_utf8(&buf[start..len]).ok()?)
}

/// No NUL, no backslash, no `.` or `..` segment.
fn is_safe(path: &str) -> bool {
    !path.contains(['\0', '\\'])
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(path: &str) -> Option<String> {
        with_resolved(path, |p| Some(p.to_owned()))
    }

    #[test]
    fn plain_paths() {
        assert_eq!(resolve("/css/app.css").unwrap(), "css/app.css");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(resolve("/a%20b/%E4%BD%A0.txt").unwrap(), "a b/你.txt");
    }

    #[test]
    fn long_paths_are_decoded_too() {
        let long = format!("/{}.css", "a%20".repeat(600));
        assert_eq!(resolve(&long).unwrap(), format!("{}.css", "a ".repeat(600)));
        let folder = format!("/{}/", "b".repeat(2000));
        assert_eq!(
            resolve(&folder).unwrap(),
            format!("{}/index.html", "b".repeat(2000))
        );
    }

    #[test]
    fn folders_get_their_index() {
        assert_eq!(resolve("/").unwrap(), "index.html");
        assert_eq!(resolve("").unwrap(), "index.html");
        assert_eq!(resolve("/docs/").unwrap(), "docs/index.html");
        assert_eq!(resolve("/docs%2F").unwrap(), "docs/index.html");
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
