//! The little JSON Kiln writes and reads back: the manifest, `staticfiles.json` and upload
//! records, all flat maps and lists of strings. Hand-written: serde_json would be the runtime's
//! only use of serde, for a few dozen lines.

use std::fmt::Write as _;

/// Appends `s` as a JSON string: quoted, with quotes, backslashes and control characters escaped
/// (as serde_json writes it; the other characters, non-ASCII included, go as they are).
pub(crate) fn write_string(out: &mut String, s: &str) {
    write(out, s, false);
}

/// [`write_string`], also safe inside a `<script>` element: `<`, `>` and `&` as `\u` escapes
/// (so that no `</script>` or `<!--` can appear), and the JavaScript line terminators U+2028 and
/// U+2029 too.
pub(crate) fn write_script_string(out: &mut String, s: &str) {
    write(out, s, true);
}

fn write(out: &mut String, s: &str, script: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' if script => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Every string of a JSON text, in order, unescaped (keys and values alike; numbers, `true` and
/// the like are skipped). Enough to read back what [`write_string`] wrote: the names in an upload
/// record, the paths of a `staticfiles.json`.
pub(crate) fn strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut string = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => string.push('\n'),
                    Some('t') => string.push('\t'),
                    Some('r') => string.push('\r'),
                    Some('b') => string.push('\u{8}'),
                    Some('f') => string.push('\u{c}'),
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            string.push(c);
                        }
                    }
                    Some(other) => string.push(other),
                    None => {}
                },
                c => string.push(c),
            }
        }
        out.push(string);
    }
    out
}

/// The `paths` map of a `staticfiles.json` (`{"paths": {"a.css": "a.<hash>.css", ...}, ...}`),
/// as its keys and values in order; empty for anything else.
pub(crate) fn manifest_paths(text: &str) -> Vec<String> {
    // The map is the first object after `"paths"`; its strings come in pairs.
    let Some(at) = text.find("\"paths\"") else {
        return Vec::new();
    };
    let rest = &text[at + "\"paths\"".len()..];
    let Some(open) = rest.find('{') else {
        return Vec::new();
    };
    let body = &rest[open + 1..];
    // The closing brace of the map: the first `}` outside a string.
    let mut in_string = false;
    let mut escaped = false;
    let mut end = None;
    for (i, c) in body.char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '}') => {
                end = Some(i);
                break;
            }
            _ => {}
        }
    }
    end.map_or_else(Vec::new, |end| strings(&body[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_like_serde_json_and_read_back() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\n\u{1}\u{8}é/");
        assert_eq!(out, r#""a\"b\\c\n\u0001\bé/""#);
        assert_eq!(strings(&out), ["a\"b\\c\n\u{1}\u{8}é/"]);
    }

    #[test]
    fn manifest_paths_are_the_paths_map() {
        let text = r#"{"paths": {"a}.css": "a}.0123456789ab.css", "b\"": "c"}, "version": "1.0"}"#;
        assert_eq!(
            manifest_paths(text),
            ["a}.css", "a}.0123456789ab.css", "b\"", "c"]
        );
        assert!(manifest_paths("not json").is_empty());
        assert!(manifest_paths(r#"{"paths": {"#).is_empty());
    }
}
