//! Content hashes and the names derived from them.

use base64::Engine as _;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sha2::{Digest, Sha256, Sha384};

/// How many hex characters of the content hash go into a fingerprinted name.
pub const FINGERPRINT_LEN: usize = 12;

/// The content hash: SHA-256 of the bytes, as 64 lowercase hex characters.
pub fn content_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The Subresource Integrity string: `sha384-` and the base64 of the SHA-384 digest.
pub fn integrity(bytes: &[u8]) -> String {
    let digest = Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Inserts the first [`FINGERPRINT_LEN`] characters of `hash` into the file name of `path`.
///
/// The hash goes before the last extension (`css/app.css` → `css/app.<hash>.css`,
/// `a.tar.gz` → `a.tar.<hash>.gz`); a name without an extension, or whose only dot is its first
/// character, gets it appended (`LICENSE` → `LICENSE.<hash>`, `.htaccess` → `.htaccess.<hash>`).
pub fn fingerprint(path: &str, hash: &str) -> String {
    let short = &hash[..FINGERPRINT_LEN.min(hash.len())];
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[name_start..].rfind('.') {
        Some(dot) if dot > 0 => {
            let dot = name_start + dot;
            format!("{}.{short}{}", &path[..dot], &path[dot..])
        }
        _ => format!("{path}.{short}"),
    }
}

/// The plain paths whose [`fingerprint`] could be `path`: at most two candidates (the hash
/// before the last extension, or at the end of a name without one). Each must still be checked
/// against the content it names: `fingerprint(candidate, hash) == path`.
pub fn unfingerprint(path: &str) -> Vec<String> {
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    let name = &path[name_start..];
    let is_fingerprint = |s: &str| {
        s.len() == FINGERPRINT_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    let mut candidates = Vec::new();
    // `name.<hash>.ext`
    if let Some(last) = name.rfind('.')
        && let Some(before) = name[..last].rfind('.')
        && before > 0
        && is_fingerprint(&name[before + 1..last])
    {
        candidates.push(format!("{}{}", &path[..name_start + before], &name[last..]));
    }
    // `name.<hash>` (a name without an extension)
    if let Some(last) = name.rfind('.')
        && last > 0
        && is_fingerprint(&name[last + 1..])
    {
        candidates.push(path[..name_start + last].to_owned());
    }
    candidates
}

/// A bundle's URL prefix as written (`/static/`, `/`, ``) made canonical: empty for the root, else
/// `/segment...` without a trailing `/`; an error (a sentence) for what cannot be a prefix.
pub fn normalise_prefix(raw: &str) -> Result<String, String> {
    if raw.is_empty() || raw == "/" {
        return Ok(String::new());
    }
    if !raw.starts_with('/') {
        return Err(format!("`prefix` must start with `/`, e.g. `/{raw}`"));
    }
    if let Some(c) = raw
        .chars()
        .find(|c| matches!(c, '?' | '#' | '%' | '\\') || c.is_whitespace() || c.is_control())
    {
        return Err(format!("`prefix` cannot contain {c:?}"));
    }
    if raw.split('/').any(|s| s == "." || s == "..") {
        return Err("`prefix` cannot contain `.` or `..` segments".into());
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

/// Characters that must be percent-encoded in a URL path segment (RFC 3986 `pchar` keeps the
/// rest). Non-ASCII bytes are always encoded.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Percent-encodes a `/`-separated relative path for use in a URL, keeping the `/`s.
pub fn url_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.extend(utf8_percent_encode(segment, SEGMENT));
    }
    out
}

#[cfg(test)]
mod unfingerprint_tests {
    use super::*;

    #[test]
    fn every_fingerprint_has_its_path_among_the_candidates() {
        let hash = "3f2a9c1e8b47aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        for path in [
            "css/app.css",
            "a.tar.gz",
            "LICENSE",
            ".htaccess",
            "dir.x/noext",
            "app.3f2a1c.js",
            "ünïcødé/你好.txt",
        ] {
            let fingerprinted = fingerprint(path, hash);
            let candidates = unfingerprint(&fingerprinted);
            assert!(
                candidates.iter().any(|c| c == path),
                "{path}: {candidates:?}"
            );
            assert!(
                candidates.iter().all(|c| c != &fingerprinted),
                "{path}: {candidates:?}"
            );
        }
        assert!(unfingerprint("css/app.css").is_empty());
        assert!(unfingerprint("css/app.3F2A9C1E8B47.css").is_empty());
        assert!(unfingerprint("css/.3f2a9c1e8b47").is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "3f2a9c1e8b47aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn fingerprint_goes_before_the_last_extension() {
        assert_eq!(fingerprint("css/app.css", H), "css/app.3f2a9c1e8b47.css");
        assert_eq!(fingerprint("a.tar.gz", H), "a.tar.3f2a9c1e8b47.gz");
        assert_eq!(fingerprint("LICENSE", H), "LICENSE.3f2a9c1e8b47");
        assert_eq!(fingerprint("d.x/LICENSE", H), "d.x/LICENSE.3f2a9c1e8b47");
        assert_eq!(fingerprint(".htaccess", H), ".htaccess.3f2a9c1e8b47");
        assert_eq!(fingerprint("a/.env.local", H), "a/.env.3f2a9c1e8b47.local");
    }

    #[test]
    fn hashes_match_known_vectors() {
        assert_eq!(
            content_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            integrity(b"alert('Hello, world.');"),
            // The example of the W3C Subresource Integrity specification.
            "sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO"
        );
    }

    #[test]
    fn url_encoding_keeps_slashes_and_encodes_the_rest() {
        assert_eq!(url_encode("a b/你好.txt"), "a%20b/%E4%BD%A0%E5%A5%BD.txt");
        assert_eq!(url_encode("q?#%.css"), "q%3F%23%25.css");
        assert_eq!(url_encode("a+b@c=d.js"), "a+b@c=d.js");
    }
}

/// The name among `known` closest to `written`, if it is close enough to be a typo of it (an edit
/// distance of at most a third of the longer name, or one a prefix of the other): the "did you
/// mean" of attribute keys, codecs, `asset!` paths and dangling references.
pub fn closest<'a>(written: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let written = written.to_lowercase();
    known
        .into_iter()
        .map(|name| (strsim::damerau_levenshtein(&written, name), name))
        .filter(|&(distance, name)| {
            let prefix =
                written.len() >= 2 && (name.starts_with(&written) || written.starts_with(name));
            prefix || distance <= (name.len().max(written.len()) / 3).max(1)
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, name)| name)
}
