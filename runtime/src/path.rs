//! Request paths and bundle paths: from a request path to a path in the bundle, refusing anything
//! that could escape it. Below the sources (reload mode checks paths with it) and the service.

use percent_encoding::percent_decode;

/// Decoded paths up to this length are decoded on the stack: no allocation per request.
const INLINE: usize = 1024;
const INDEX: &[u8] = b"index.html";

/// The request path without its leading `/`s, when it can be looked up as it is: nothing
/// percent-encoded, and not a folder (which gets `index.html`).
///
/// No check of the path's segments: a path found in the bundle as it is is safe, since kiln-bake
/// refuses names with a backslash or a control character and walks the folder by components,
/// so no bundle path has a `.` or `..` segment. A path that is not found still needs
/// [`is_safe`] before it may get a fallback. Looking up first spares the common request the
/// scan.
pub(crate) fn as_is(path: &str) -> Option<&str> {
    if path.ends_with('/') || has_percent(path.as_bytes()) {
        return None;
    }
    let mut path = path;
    while let Some(rest) = path.strip_prefix('/') {
        path = rest;
    }
    (!path.is_empty()).then_some(path)
}

/// Percent-decodes `path` (the URI path, query already gone), checks it, and hands it to `f`
/// without the leading `/`; a path ending in `/` gets `index.html` appended. Returns `None`,
/// without calling `f`, for invalid UTF-8, NUL, backslashes, and `.` or `..` segments (decoded or
/// not). For the paths [`as_is`] does not take: it copies the path.
pub(crate) fn with_resolved<R>(path: &str, f: impl FnOnce(&str) -> Option<R>) -> Option<R> {
    if let Scan::Refused = scan(path.as_bytes()) {
        return None;
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

/// What one look at the raw path says.
enum Scan {
    /// Nothing percent-encoded, nothing refused.
    Plain,
    /// Has `%`: decode, then check again.
    Encoded,
    /// NUL, backslash, or a `.` or `..` segment, before any decoding.
    Refused,
}

/// The bytes [`scan`] stops at: `%`, `.`, NUL and backslash.
static SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'%' as usize] = true;
    table[b'.' as usize] = true;
    table[0] = true;
    table[b'\\' as usize] = true;
    table
};

const ONES: u64 = u64::from_ne_bytes([1; 8]);

/// Non-zero exactly when `x` has a zero byte (the classic test; which high bits are set past the
/// lowest zero byte is not exact, and nothing here needs it).
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & u64::from_ne_bytes([0x80; 8])
}

/// `b` in each of the eight bytes.
const fn splat(b: u8) -> u64 {
    ONES * b as u64
}

/// Whether any of the eight bytes of `word` is one of [`SPECIAL`]: the "has a zero byte" test
/// of the word XORed with each special byte.
fn has_special(word: u64) -> bool {
    zero_bytes(word)
        | zero_bytes(word ^ splat(b'%'))
        | zero_bytes(word ^ splat(b'.'))
        | zero_bytes(word ^ splat(b'\\'))
        != 0
}

/// Whether `path` has a `%`, eight bytes at a time: a third of the instructions of
/// `<[u8]>::contains` on 28-byte paths (callgrind), which sets up for longer inputs.
fn has_percent(path: &[u8]) -> bool {
    let mut words = path.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_ne_bytes(word.try_into().expect("eight bytes"));
        if zero_bytes(word ^ splat(b'%')) != 0 {
            return true;
        }
    }
    words.remainder().contains(&b'%')
}

/// One pass over the bytes of a request path, for the paths [`as_is`] does not take and those
/// not found: eight bytes at a time are checked for anything that can matter ([`has_special`]),
/// and only a word that has such a byte is looked at byte by byte (half the instructions of a
/// table lookup per byte; callgrind, on 28-byte paths).
fn scan(path: &[u8]) -> Scan {
    let mut encoded = false;
    let mut start = 0;
    while start < path.len() {
        let end = (start + 8).min(path.len());
        if let Ok(word) = <[u8; 8]>::try_from(&path[start..end])
            && !has_special(u64::from_ne_bytes(word))
        {
            start = end;
            continue;
        }
        for i in start..end {
            let b = path[i];
            if !SPECIAL[usize::from(b)] {
                continue;
            }
            match b {
                b'%' => encoded = true,
                b'.' => {
                    let segment_start = i == 0 || path[i - 1] == b'/';
                    if segment_start
                        && let [] | [b'/', ..] | [b'.'] | [b'.', b'/', ..] = &path[i + 1..]
                    {
                        return Scan::Refused;
                    }
                }
                _ => return Scan::Refused,
            }
        }
        start = end;
    }
    if encoded { Scan::Encoded } else { Scan::Plain }
}

/// No NUL, no backslash, no `.` or `..` segment: the check of a decoded path, or of one looked
/// up [as it is](as_is) and not found.
pub(crate) fn is_safe(path: &str) -> bool {
    matches!(scan(path.as_bytes()), Scan::Plain | Scan::Encoded)
}

/// Whether the file name of `path` has a fingerprint's form, `name.<12 hex>.ext` or
/// `name.<12 hex>` (kiln-bake's `fingerprint` names files so): how the outputs of earlier exports
/// are found.
pub(crate) fn looks_fingerprinted(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let is_fingerprint =
        |s: &str| s.len() == 12 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    // Not the name's first part: `.0123456789ab` is a hidden file, not a fingerprint.
    let parts: Vec<&str> = name.split('.').skip(1).collect();
    match parts.as_slice() {
        [.., before, last] => is_fingerprint(last) || is_fingerprint(before),
        [last] => is_fingerprint(last),
        [] => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(path: &str) -> Option<String> {
        with_resolved(path, |p| Some(p.to_owned()))
    }

    /// The word-at-a-time scans agree with a byte-at-a-time reading of the same rules, on
    /// paths made of the bytes that matter, at every length and alignment up to 24.
    #[test]
    fn scan_agrees_with_a_bytewise_reading() {
        fn reference(path: &[u8]) -> u8 {
            let refused = path.contains(&0)
                || path.contains(&b'\\')
                || path
                    .split(|&b| b == b'/')
                    .any(|segment| segment == b"." || segment == b"..");
            match (refused, path.contains(&b'%')) {
                (true, _) => 2,
                (false, true) => 1,
                (false, false) => 0,
            }
        }
        let alphabet = b"a/.%\\\0z";
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 25) as usize;
            let path: Vec<u8> = (0..len)
                .map(|i| alphabet[((state >> (i * 2 % 60)) % alphabet.len() as u64) as usize])
                .collect();
            let got = match scan(&path) {
                Scan::Plain => 0,
                Scan::Encoded => 1,
                Scan::Refused => 2,
            };
            assert_eq!(
                got,
                reference(&path),
                "{:?}",
                String::from_utf8_lossy(&path)
            );
        }
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
    fn dots_inside_names_are_not_segments() {
        for p in [
            "/.well-known/x",
            "/a/..b/c",
            "/a/b.",
            "/a/b..",
            "/a/...",
            "/x.y.z",
        ] {
            assert_eq!(resolve(p).as_deref(), Some(&p[1..]), "{p}");
        }
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
            "/.",
            "/..",
            "/a/.",
            "/a/..",
            "./x",
            "../x",
            "..",
        ] {
            assert_eq!(resolve(p), None, "{p}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::resolve;

        /// Segments that try to leave the folder in every encoding, mixed with ordinary ones.
        fn segment() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("..".to_owned()),
                Just(".".to_owned()),
                Just("%2e%2e".to_owned()),
                Just("%2E.".to_owned()),
                Just(".%2e".to_owned()),
                Just("%252e%252e".to_owned()),
                Just("%2f".to_owned()),
                Just("%5c".to_owned()),
                Just("\\".to_owned()),
                Just("..\\..".to_owned()),
                Just("%00".to_owned()),
                Just("%c0%ae%c0%ae".to_owned()),
                Just("%e0%80%ae".to_owned()),
                Just("%ff".to_owned()),
                Just("css".to_owned()),
                Just("app.css".to_owned()),
                Just("é".to_owned()),
                Just(String::new()),
                "[a-z%.0-9]{0,6}",
                any::<String>(),
            ]
        }

        fn path() -> impl Strategy<Value = String> {
            (any::<bool>(), prop::collection::vec(segment(), 0..6)).prop_map(|(lead, segments)| {
                let joined = segments.join("/");
                if lead { format!("/{joined}") } else { joined }
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4096))]

            /// Whatever the request path, what reaches a lookup is a relative path with no `.`
            /// or `..` segment, backslash or NUL once decoded: it cannot name anything outside
            /// the bundle (or, in reload mode, outside its folder).
            #[test]
            fn a_resolved_path_never_leaves_the_bundle(path in path()) {
                if let Some(resolved) = resolve(&path) {
                    prop_assert!(!resolved.starts_with('/'), "{resolved}");
                    prop_assert!(!resolved.contains('\\') && !resolved.contains('\0'), "{resolved}");
                    prop_assert!(
                        resolved.split('/').all(|s| s != "." && s != ".."),
                        "{path} -> {resolved}"
                    );
                    // It is the decoded request path, nothing else.
                    let decoded = percent_encoding::percent_decode_str(&path)
                        .decode_utf8()
                        .unwrap();
                    let mut expected = decoded.trim_start_matches('/').to_owned();
                    if expected.is_empty() || expected.ends_with('/') {
                        expected.push_str("index.html");
                    }
                    prop_assert_eq!(resolved, expected);
                }
                if let Some(plain) = super::super::as_is(&path) {
                    prop_assert!(!plain.contains('%') && !plain.starts_with('/'));
                }
            }
        }
    }
}
