//! References between assets: finding them in CSS and JavaScript, resolving them against the
//! bundle, and inserting fingerprints into them.
//!
//! CSS is read with Servo's `cssparser` tokenizer, so that a `url(` inside a comment or a string
//! is not taken for a reference, and escapes and nesting are handled the way browsers handle
//! them. JavaScript is only searched for its `sourceMappingURL` comment, which by the Source Map
//! specification sits in the trailing comments of the file.
//!
//! Rewriting only *inserts* text: `.` and the first 12 hex digits of the target's hash, before
//! the extension of the file name as written. Everything else in the file stays byte for byte
//! the same, which keeps rewriting safe on any input.

use std::ops::Range;

use cssparser::{ParseError, Parser, Token};
use percent_encoding::percent_decode_str;

use crate::names::FINGERPRINT_LEN;

/// What kind of reference a [`Reference`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// CSS `url(...)`, or a string in `image-set()`.
    Url,
    /// CSS `@import "..."` (an `@import url(...)` is a [`Url`](Self::Url)).
    Import,
    /// A `sourceMappingURL` comment (CSS or JavaScript).
    SourceMap,
}

/// A reference to another file, found in an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The URL, unescaped (CSS escapes resolved; percent-encoding kept).
    pub url: String,
    /// Where the URL is written in the file (bytes), without quotes or `url(` `)`.
    pub span: Range<usize>,
    /// What kind of reference it is.
    pub kind: ReferenceKind,
}

/// Whether files at `path` can hold references Kiln rewrites: CSS and JavaScript.
pub fn can_refer(path: &str) -> bool {
    let ext = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    ["css", "js", "mjs"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
}

fn is_css(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("css"))
}

/// The references in the file at `path` (relative to the folder) with these `bytes`, in the
/// order they appear. A file that is not UTF-8, or not CSS or JavaScript, has none.
///
/// ```
/// let css = br#"/* url(not-this.png) */ a { background: url("../img/a.png?v=2#x") }
/// @import 'base.css'; /*# sourceMappingURL=app.css.map */"#;
/// let refs = kiln_bake::references("css/app.css", css);
/// let urls: Vec<_> = refs.iter().map(|r| r.url.as_str()).collect();
/// assert_eq!(urls, ["../img/a.png?v=2#x", "base.css", "app.css.map"]);
/// assert_eq!(&css[refs[0].span.clone()], b"../img/a.png?v=2#x");
/// ```
pub fn references(path: &str, bytes: &[u8]) -> Vec<Reference> {
    if !can_refer(path) {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if is_css(path) {
        let mut parser = Parser::new(text);
        css_block(&mut parser, text, Context::Other, &mut out);
    } else {
        js_source_map(text, &mut out);
    }
    out
}

/// Where the tokenizer is, for the strings that are references only there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Inside `url(` (the quoted form).
    Url,
    /// Inside `image-set(`.
    ImageSet,
    Other,
}

fn css_block(parser: &mut Parser<'_>, text: &str, context: Context, out: &mut Vec<Reference>) {
    let mut after_import = false;
    loop {
        let start = parser.position().byte_index();
        let Ok(token) = parser.next_including_whitespace_and_comments() else {
            return;
        };
        let token = token.clone();
        let end = parser.position().byte_index();
        let raw = &text[start..end];
        let importing = std::mem::take(&mut after_import);
        match &token {
            Token::WhiteSpace(_) => after_import = importing,
            Token::Comment(body) => {
                if let Some(span) = source_map_comment(body) {
                    // The comment's body starts after `/*`.
                    let offset = start + 2;
                    out.push(Reference {
                        url: body[span.clone()].to_owned(),
                        span: offset + span.start..offset + span.end,
                        kind: ReferenceKind::SourceMap,
                    });
                } else {
                    after_import = importing;
                }
            }
            Token::AtKeyword(name) if name.eq_ignore_ascii_case("import") => after_import = true,
            Token::UnquotedUrl(url) => {
                // `url(  x  )`: the URL is the text between the parentheses without CSS
                // whitespace around it (not Rust's: U+00A0 is part of a URL). An unclosed
                // `url(` at the end of the file has no `)`.
                let open = raw.find('(').map_or(0, |i| i + 1);
                let close = raw.rfind(')').filter(|&c| c >= open).unwrap_or(raw.len());
                let inner = &raw[open..close];
                let trimmed_start = inner.trim_start_matches(is_css_space);
                let trimmed = trimmed_start.trim_end_matches(is_css_space);
                let lead = inner.len() - trimmed_start.len();
                let span = start + open + lead..start + open + lead + trimmed.len();
                out.push(Reference {
                    url: url.to_string(),
                    span,
                    kind: ReferenceKind::Url,
                });
            }
            Token::QuotedString(value) => {
                let kind = match context {
                    Context::Url | Context::ImageSet => Some(ReferenceKind::Url),
                    Context::Other if importing => Some(ReferenceKind::Import),
                    Context::Other => None,
                };
                // A string cut off by the end of the file has no closing quote.
                let quote = raw.as_bytes()[0];
                let inner_end = if raw.len() > 1 && raw.as_bytes()[raw.len() - 1] == quote {
                    end - 1
                } else {
                    end
                };
                if let Some(kind) = kind {
                    out.push(Reference {
                        url: value.to_string(),
                        span: start + 1..inner_end,
                        kind,
                    });
                }
            }
            Token::Function(name) => {
                let inner = if name.eq_ignore_ascii_case("url") {
                    Context::Url
                } else if name.eq_ignore_ascii_case("image-set")
                    || name.eq_ignore_ascii_case("-webkit-image-set")
                {
                    Context::ImageSet
                } else {
                    Context::Other
                };
                nested(parser, text, inner, out);
            }
            Token::ParenthesisBlock | Token::SquareBracketBlock | Token::CurlyBracketBlock => {
                nested(parser, text, Context::Other, out);
            }
            _ => {}
        }
    }
}

/// CSS whitespace (CSS Syntax §4.2): space, tab, line feed, carriage return, form feed.
fn is_css_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

fn nested(parser: &mut Parser<'_>, text: &str, context: Context, out: &mut Vec<Reference>) {
    let _ = parser.parse_nested_block(|p| -> Result<(), ParseError<()>> {
        css_block(p, text, context, out);
        Ok(())
    });
}

/// The span of the URL in the body of a `sourceMappingURL` comment (`# sourceMappingURL=x` or
/// the older `@ sourceMappingURL=x`), relative to the body.
fn source_map_comment(body: &str) -> Option<Range<usize>> {
    let trimmed = body.trim_start();
    let rest = trimmed
        .strip_prefix('#')
        .or_else(|| trimmed.strip_prefix('@'))?;
    let rest = rest.strip_prefix(' ')?;
    let url = rest.strip_prefix("sourceMappingURL=")?;
    let start = body.len() - url.len();
    let len = url.find(|c: char| c.is_whitespace()).unwrap_or(url.len());
    (len > 0).then_some(start..start + len)
}

/// The `sourceMappingURL` comment among the trailing comment lines of a JavaScript file.
fn js_source_map(text: &str, out: &mut Vec<Reference>) {
    let mut end = text.len();
    for line in text.lines().rev() {
        // `lines` strips `\n` and `\r\n`; find the line's start from the end.
        let line_start = text[..end].rfind(line).unwrap_or(0);
        end = line_start;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some(body) = trimmed.strip_prefix("//") else {
            // Code: the comment, if any, was after it.
            return;
        };
        if let Some(span) = source_map_comment(body) {
            let offset = line_start + (line.len() - line.trim_start().len()) + 2;
            out.push(Reference {
                url: body[span.clone()].to_owned(),
                span: offset + span.start..offset + span.end,
                kind: ReferenceKind::SourceMap,
            });
            return;
        }
    }
}

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A file of the bundle; its fingerprint goes in at `insert_at` (a byte offset in the
    /// referring file).
    Local {
        /// The target's path relative to the folder.
        target: String,
        /// Where `.` and the fingerprint are inserted.
        insert_at: usize,
    },
    /// Not Kiln's to rewrite: a data URI, an absolute or protocol-relative URL, a fragment, or a
    /// path outside the bundle's prefix.
    External,
    /// A reference to a path of the bundle's folder that no file of the bundle has: the path it
    /// resolves to (`img/logo.png`).
    Missing(String),
    /// A relative reference the bundle cannot name (out of the folder, a folder, an unreadable
    /// path, a name Kiln cannot rewrite); the text says why.
    Unresolved(String),
}

/// Resolves `reference`, found in the file at `referrer` (relative to the folder), against the
/// bundle: `exists` says whether the bundle has a path. Root-relative URLs (`/static/img/a.png`)
/// resolve when they start with the bundle's `prefix` (`/static`, or empty for the root).
///
/// ```
/// use kiln_bake::{Reference, ReferenceKind, Resolution, resolve};
/// let css = "a{background:url(../img/a.png?v=2)}";
/// let reference = &kiln_bake::references("css/app.css", css.as_bytes())[0];
/// let exists = |p: &str| p == "img/a.png";
/// let Resolution::Local { target, insert_at } = resolve("css/app.css", reference, "/static", exists)
/// else { panic!() };
/// assert_eq!(target, "img/a.png");
/// assert_eq!(&css[..insert_at], "a{background:url(../img/a");
/// ```
pub fn resolve(
    referrer: &str,
    reference: &Reference,
    prefix: &str,
    exists: impl Fn(&str) -> bool,
) -> Resolution {
    let url = reference.url.trim();
    let path_end = url.find(['?', '#']).unwrap_or(url.len());
    let path = &url[..path_end];
    let has_scheme = url.split_once(':').is_some_and(|(scheme, _)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if path.is_empty() || has_scheme || url.starts_with("//") {
        return Resolution::External;
    }

    let (base, relative) = match path.strip_prefix('/') {
        Some(rooted) => {
            let prefix = prefix.trim_end_matches('/');
            match rooted.strip_prefix(prefix.trim_start_matches('/')) {
                Some(rest) if prefix.is_empty() => ("", rest),
                Some(rest) if rest.starts_with('/') => ("", &rest[1..]),
                _ => return Resolution::External,
            }
        }
        None => (referrer.rsplit_once('/').map_or("", |(dir, _)| dir), path),
    };
    let Ok(decoded) = percent_decode_str(relative).decode_utf8() else {
        return Resolution::Unresolved("its path is not UTF-8 once percent-decoded".into());
    };
    let mut segments: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Resolution::Unresolved("it leads out of the folder".into());
                }
            }
            s => segments.push(s),
        }
    }
    if decoded.ends_with('/') || segments.is_empty() {
        return Resolution::Unresolved("it names a folder, not a file".into());
    }
    let target = segments.join("/");
    if !exists(&target) {
        return Resolution::Missing(target);
    }

    // Where the fingerprint goes in the name as written: before its last extension, as
    // `fingerprint` puts it, or at the end of a name without one.
    let name = target.rsplit('/').next().unwrap_or(&target);
    let decoded_at = match name.rfind('.') {
        Some(dot) if dot > 0 => dot,
        _ => name.len(),
    };
    // The written path is `reference.span` from the start of the URL (`url` is trimmed only of
    // what the span excludes); map the decoded offset back through any percent-escapes.
    let lead = reference.url.len() - reference.url.trim_start().len();
    let written = &reference.url[lead..];
    let written_name_start = written[..path_end].rfind('/').map_or(0, |i| i + 1);
    let written_name = &written[written_name_start..path_end];
    let Some(offset) = written_offset(written_name, decoded_at) else {
        return Resolution::Unresolved(
            "its file name is written in a way Kiln cannot rewrite".into(),
        );
    };
    // The URL as unescaped must be the text as written for an insertion to be exact.
    let span_text_len = reference.span.end - reference.span.start;
    if span_text_len != reference.url.len() {
        return Resolution::Unresolved(
            "it is written with CSS escapes, which Kiln does not rewrite".into(),
        );
    }
    Resolution::Local {
        insert_at: reference.span.start + lead + written_name_start + offset,
        target,
    }
}

/// The offset in `written` (which may hold `%XX` escapes) of the byte at `decoded` in its
/// percent-decoded form; `None` if `decoded` falls inside an escape sequence.
fn written_offset(written: &str, decoded: usize) -> Option<usize> {
    let bytes = written.as_bytes();
    let (mut w, mut d) = (0, 0);
    while d < decoded {
        let escaped = bytes.get(w) == Some(&b'%')
            && bytes.get(w + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(w + 2).is_some_and(u8::is_ascii_hexdigit);
        w += if escaped { 3 } else { 1 };
        d += 1;
        if w > bytes.len() {
            return None;
        }
    }
    Some(w)
}

/// `bytes` with `.` and the first 12 hex digits of each hash inserted at each offset; the
/// insertions must be sorted by offset.
pub fn insert_fingerprints(bytes: &[u8], insertions: &[(usize, &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + insertions.len() * (FINGERPRINT_LEN + 1));
    let mut done = 0;
    for &(at, hash) in insertions {
        let at = at.clamp(done, bytes.len());
        out.extend_from_slice(&bytes[done..at]);
        out.push(b'.');
        out.extend_from_slice(&hash.as_bytes()[..FINGERPRINT_LEN.min(hash.len())]);
        done = at;
    }
    out.extend_from_slice(&bytes[done..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(path: &str, text: &str) -> Vec<(String, ReferenceKind)> {
        references(path, text.as_bytes())
            .into_iter()
            .map(|r| {
                assert_eq!(&text[r.span.clone()], r.url, "span of {r:?}");
                (r.url, r.kind)
            })
            .collect()
    }

    #[test]
    fn css_references_in_every_form() {
        use ReferenceKind::*;
        let css = r#"
            @import "a.css";
            @import url(b.css) screen;
            @import 'c.css' layer(x);
            @IMPORT /* note */ "d.css";
            .x { background: url( e.png ) , URL("f.png") }
            .y { background-image: image-set("g.png" 1x, url(h.png) 2x) }
            .z { content: "url(not.png)"; } /* url(nor.png) */
            @media print { .p { background: url('i.png#frag') } }
            /*# sourceMappingURL=app.css.map */
        "#;
        assert_eq!(
            urls("app.css", css),
            [
                ("a.css".into(), Import),
                ("b.css".into(), Url),
                ("c.css".into(), Import),
                ("d.css".into(), Import),
                ("e.png".into(), Url),
                ("f.png".into(), Url),
                ("g.png".into(), Url),
                ("h.png".into(), Url),
                ("i.png#frag".into(), Url),
                ("app.css.map".into(), SourceMap),
            ]
        );
    }

    #[test]
    fn javascript_source_maps_only_in_trailing_comments() {
        let js =
            "let s = '//# sourceMappingURL=no.map';\nf();\n//# sourceMappingURL=app.js.map\n\n";
        assert_eq!(
            urls("app.js", js),
            [("app.js.map".into(), ReferenceKind::SourceMap)]
        );
        assert!(urls("app.js", "f();\n//# sourceMappingURL=a.map\ng();\n").is_empty());
        assert!(urls("app.txt", "/*# sourceMappingURL=a.map */").is_empty());
    }

    /// Found by the `css_rewrite` fuzz target: an unclosed `url(` followed by form feeds at the
    /// end of the file gave a span that ended before it started.
    #[test]
    fn an_unclosed_url_with_trailing_whitespace_has_an_empty_span_in_bounds() {
        let css = b"@fon@n Sans\";\r  \0,\0\0\0y: \"1Kiln Sans\", url(\x0c\x0c\x0c";
        for reference in references("a.css", css) {
            assert!(reference.span.start <= reference.span.end, "{reference:?}");
            assert!(reference.span.end <= css.len(), "{reference:?}");
            assert_eq!(&css[reference.span.clone()], reference.url.as_bytes());
        }
        // A no-break space is part of an unquoted URL, as cssparser reads it.
        let css = "a{b:url(\u{a0}x.png\u{a0})}";
        let refs = references("a.css", css.as_bytes());
        assert_eq!(refs.len(), 1);
        assert_eq!(&css[refs[0].span.clone()], refs[0].url);
    }

    #[test]
    fn unterminated_and_broken_css_does_not_panic() {
        for css in [
            "url(",
            "url(\"a.png",
            "@import",
            "a { b: url(x.png",
            "/* open",
            "\"x",
        ] {
            let _ = urls("a.css", css);
        }
    }

    fn resolved(referrer: &str, url: &str) -> Resolution {
        let css = format!("a{{b:url(\"{url}\")}}");
        let reference = &references("x.css", css.as_bytes())[0];
        let exists = |p: &str| ["img/a.png", "img/a b.png", "LICENSE", "css/x.css"].contains(&p);
        match resolve(referrer, reference, "/static", exists) {
            Resolution::Local { target, insert_at } => {
                let mut out = css.clone();
                out.insert(insert_at, '|');
                Resolution::Local {
                    target: format!("{target} {out}"),
                    insert_at,
                }
            }
            other => other,
        }
    }

    #[test]
    fn resolution() {
        let local = |r: Resolution| match r {
            Resolution::Local { target, .. } => target,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            local(resolved("css/x.css", "../img/a.png?v=1#f")),
            "img/a.png a{b:url(\"../img/a|.png?v=1#f\")}"
        );
        assert_eq!(
            local(resolved("css/x.css", "/static/img/a.png")),
            "img/a.png a{b:url(\"/static/img/a|.png\")}"
        );
        assert_eq!(
            local(resolved("css/x.css", "../img/a%20b.png")),
            "img/a b.png a{b:url(\"../img/a%20b|.png\")}"
        );
        assert_eq!(
            local(resolved("css/x.css", " ../img/a.png ")),
            "img/a.png a{b:url(\" ../img/a|.png \")}"
        );
        assert_eq!(
            local(resolved("css/x.css", "./../LICENSE")),
            "LICENSE a{b:url(\"./../LICENSE|\")}"
        );
        for external in [
            "data:image/png;base64,AAAA",
            "https://x.org/a.png",
            "//cdn/a.png",
            "#f",
            "/other/a.png",
        ] {
            assert_eq!(
                resolved("css/x.css", external),
                Resolution::External,
                "{external}"
            );
        }
        assert_eq!(
            resolved("css/x.css", "../img/nope.png"),
            Resolution::Missing("img/nope.png".into())
        );
        for unresolved in ["../../a.png", "../img/", "%ff.png"] {
            assert!(
                matches!(resolved("css/x.css", unresolved), Resolution::Unresolved(_)),
                "{unresolved}"
            );
        }
    }

    #[test]
    fn insertion_changes_nothing_else() {
        let out = insert_fingerprints(
            b"url(a.png) url(b)",
            &[(5, "0123456789abcdef"), (16, "fedcba9876543210")],
        );
        assert_eq!(out, b"url(a.0123456789ab.png) url(b.fedcba987654)");
    }
}
