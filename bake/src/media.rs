//! Content types, and which files are worth compressing.

/// The lowercase extension of the file name in `path`, if any.
fn extension(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(dot) if dot > 0 => Some(name[dot + 1..].to_ascii_lowercase()),
        _ => None,
    }
}

/// Whether the file at `path` is one a browser may keep as a compression dictionary (RFC 9842)
/// for its next version: scripts, stylesheets, JSON and source maps, WebAssembly, SVG, HTML,
/// XML and plain text. Kiln bakes deltas for these, and serves their fingerprinted URLs with
/// `Use-As-Dictionary`.
pub fn is_dictionary_type(path: &str) -> bool {
    matches!(
        extension(path).as_deref(),
        Some(
            "js" | "mjs"
                | "cjs"
                | "css"
                | "json"
                | "map"
                | "webmanifest"
                | "wasm"
                | "svg"
                | "html"
                | "htm"
                | "xml"
                | "txt"
        )
    )
}

/// Types whose body is text in the sense of "a charset parameter applies".
fn is_textual(mime: &str) -> bool {
    mime.starts_with("text/")
        || matches!(
            mime,
            "application/json"
                | "application/manifest+json"
                | "application/ld+json"
                | "application/xml"
                | "application/xhtml+xml"
                | "application/rss+xml"
                | "application/atom+xml"
                | "image/svg+xml"
        )
}

/// The `Content-Type` to serve `path` with.
///
/// Web formats use the types browsers expect (`text/javascript` for scripts and modules, per the
/// HTML standard; `application/json` for source maps); other extensions go through `mime_guess`;
/// unknown ones are `application/octet-stream`. Textual types get `; charset=utf-8` when `bytes`
/// are valid UTF-8 (so a Latin-1 text file is not mislabelled).
pub fn content_type(path: &str, bytes: &[u8]) -> String {
    let ext = extension(path);
    let mime: String = match ext.as_deref() {
        Some("html" | "htm") => "text/html".into(),
        Some("css") => "text/css".into(),
        Some("js" | "mjs" | "cjs") => "text/javascript".into(),
        Some("json" | "map") => "application/json".into(),
        Some("webmanifest") => "application/manifest+json".into(),
        Some("svg") => "image/svg+xml".into(),
        Some("txt") => "text/plain".into(),
        Some("xml") => "application/xml".into(),
        Some("wasm") => "application/wasm".into(),
        Some("woff2") => "font/woff2".into(),
        Some("woff") => "font/woff".into(),
        Some("ttf") => "font/ttf".into(),
        Some("otf") => "font/otf".into(),
        Some("ico") => "image/x-icon".into(),
        Some("avif") => "image/avif".into(),
        Some(ext) => mime_guess::from_ext(ext)
            .first_raw()
            .unwrap_or("application/octet-stream")
            .into(),
        None => "application/octet-stream".into(),
    };
    if is_textual(&mime) && std::str::from_utf8(bytes).is_ok() {
        format!("{mime}; charset=utf-8")
    } else {
        mime
    }
}

/// Whether `path` is of a type that is already compressed (images, fonts, archives, media), so
/// that precompressing it is a waste of build time.
pub fn is_precompressed_type(path: &str) -> bool {
    matches!(
        extension(path).as_deref(),
        Some(
            "png"
                | "apng"
                | "jpg"
                | "jpeg"
                | "jfif"
                | "pjpeg"
                | "gif"
                | "webp"
                | "avif"
                | "heic"
                | "heif"
                | "jxl"
                | "woff"
                | "woff2"
                | "zip"
                | "gz"
                | "tgz"
                | "br"
                | "zst"
                | "xz"
                | "lz"
                | "lz4"
                | "lzma"
                | "bz2"
                | "7z"
                | "rar"
                | "jar"
                | "apk"
                | "whl"
                | "docx"
                | "xlsx"
                | "pptx"
                | "odt"
                | "epub"
                | "mp4"
                | "m4v"
                | "webm"
                | "mkv"
                | "mov"
                | "avi"
                | "mp3"
                | "m4a"
                | "aac"
                | "ogg"
                | "oga"
                | "ogv"
                | "opus"
                | "flac"
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_types_carry_a_charset() {
        for (path, want) in [
            ("index.html", "text/html; charset=utf-8"),
            ("a/app.css", "text/css; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("mod.MJS", "text/javascript; charset=utf-8"),
            ("data.json", "application/json; charset=utf-8"),
            ("app.js.map", "application/json; charset=utf-8"),
            ("icon.svg", "image/svg+xml; charset=utf-8"),
            ("robots.txt", "text/plain; charset=utf-8"),
            ("feed.xml", "application/xml; charset=utf-8"),
        ] {
            assert_eq!(content_type(path, b"x"), want, "{path}");
        }
    }

    #[test]
    fn binary_and_unknown_types() {
        assert_eq!(content_type("a.png", b"x"), "image/png");
        assert_eq!(content_type("f.woff2", b"x"), "font/woff2");
        assert_eq!(content_type("LICENSE", b"x"), "application/octet-stream");
        assert_eq!(
            content_type("x.unknownext", b"x"),
            "application/octet-stream"
        );
        assert_eq!(content_type(".htaccess", b"x"), "application/octet-stream");
    }

    #[test]
    fn non_utf8_text_gets_no_charset() {
        assert_eq!(content_type("latin1.txt", b"caf\xe9"), "text/plain");
    }

    #[test]
    fn compressed_formats_are_recognised() {
        assert!(is_precompressed_type("img/a.PNG"));
        assert!(is_precompressed_type("a.tar.gz"));
        assert!(is_precompressed_type("f/x.woff2"));
        assert!(!is_precompressed_type("a.css"));
        assert!(!is_precompressed_type("a.svg"));
        assert!(!is_precompressed_type("gz"));
    }
}
