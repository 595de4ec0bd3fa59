//! Parsing `#[kiln(...)]` into [`Attrs`] that keeps every span.

use kiln_bake::{Encoding, normalise_prefix};
use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Path};

/// The parsed attributes of one derive.
pub(crate) struct Attrs {
    pub(crate) folder: LitStr,
    /// Normalised: empty, or `/segment...` without a trailing `/`.
    pub(crate) prefix: String,
    pub(crate) include: Vec<LitStr>,
    pub(crate) exclude: Vec<LitStr>,
    pub(crate) codecs: Vec<Encoding>,
    /// The path of the `kiln` crate, `::kiln` unless `crate = "..."` says otherwise.
    pub(crate) krate: Path,
    /// `compressed_only`: files of at least this many bytes that have a gzip or brotli variant
    /// store no identity bytes.
    pub(crate) compressed_only: Option<u64>,
    /// `rewrite = false` turns reference rewriting off.
    pub(crate) rewrite: bool,
    /// What a reference that resolves to no file of the bundle is.
    pub(crate) dangling: DanglingPolicy,
    /// `deltas = N`: how many earlier versions of each changed file to bake deltas against
    /// (default [`DEFAULT_DELTAS`]; 0 turns deltas and `Use-As-Dictionary` off).
    pub(crate) deltas: usize,
}

/// Earlier versions per file that deltas are baked against, unless `deltas = N` says otherwise.
pub(crate) const DEFAULT_DELTAS: usize = 2;
/// The most `deltas = N` accepts: each version costs build time and binary size for every
/// changed file, and a browser holds one dictionary per URL pattern.
const MAX_DELTAS: usize = 16;

/// `dangling = "warn" | "error" | "allow"`, with the span of the value.
#[derive(Clone, Copy)]
pub(crate) enum DanglingPolicy {
    Warn(Span),
    Error(Span),
    Allow,
}

const KEYS: &str = "`folder`, `prefix`, `include`, `exclude`, `compress`, `compressed_only`, \
                    `rewrite`, `dangling`, `deltas` or `crate`";
const KEY_NAMES: [&str; 10] = [
    "folder",
    "prefix",
    "include",
    "exclude",
    "compress",
    "compressed_only",
    "rewrite",
    "dangling",
    "deltas",
    "crate",
];

/// Every name `compress(...)` takes: the codecs' (kiln-codec's table) and `none`.
fn codec_names() -> impl Iterator<Item = &'static str> + Clone {
    Encoding::names().chain(std::iter::once("none"))
}

/// The name among `known` closest to what was written (kiln-bake's one measure of a typo).
pub(crate) use kiln_bake::closest;

/// `unknown {what} `name`; did you mean `x`?` or `unknown {what} `name`; expected {expected}`.
fn unknown<'a>(
    what: &str,
    path: &Path,
    known: impl IntoIterator<Item = &'a str>,
    expected: &str,
) -> String {
    let written = path
        .get_ident()
        .map_or_else(|| quote::quote!(#path).to_string(), Ident::to_string);
    match closest(&written, known) {
        Some(name) => format!("unknown {what} `{written}`; did you mean `{name}`?"),
        None => format!("unknown {what} `{written}`; expected {expected}"),
    }
}

/// Reads every `#[kiln(...)]` attribute of `input`. Errors that do not depend on each other are
/// all reported, combined.
pub(crate) fn parse(input: &DeriveInput) -> syn::Result<Attrs> {
    let mut folder: Option<LitStr> = None;
    let mut prefix: Option<LitStr> = None;
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    let mut codecs: Option<Vec<Encoding>> = None;
    let mut krate: Option<Path> = None;
    let mut compressed_only: Option<(Span, u64)> = None;
    let mut rewrite: Option<syn::LitBool> = None;
    let mut dangling: Option<DanglingPolicy> = None;
    let mut deltas: Option<usize> = None;
    let mut errors: Option<syn::Error> = None;
    // Set when an attribute did not parse: `folder` may be in the part that was not read.
    let mut attr_failed = false;

    for attr in input.attrs.iter().filter(|a| a.path().is_ident("kiln")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("folder") {
                set_once(&mut folder, &meta, string(&meta)?)
            } else if meta.path.is_ident("prefix") {
                set_once(&mut prefix, &meta, string(&meta)?)
            } else if meta.path.is_ident("include") {
                include.push(string(&meta)?);
                Ok(())
            } else if meta.path.is_ident("exclude") {
                exclude.push(string(&meta)?);
                Ok(())
            } else if meta.path.is_ident("compress") {
                if codecs.is_some() {
                    return Err(meta.error("duplicate `compress`"));
                }
                codecs = Some(parse_codecs(&meta)?);
                Ok(())
            } else if meta.path.is_ident("compressed_only") {
                if compressed_only.is_some() {
                    return Err(meta.error("duplicate `compressed_only`"));
                }
                let mut min_size = 0;
                if meta.input.peek(syn::token::Paren) {
                    meta.parse_nested_meta(|inner| {
                        if inner.path.is_ident("min_size") {
                            let lit: syn::LitInt = inner.value()?.parse()?;
                            min_size = lit.base10_parse()?;
                            Ok(())
                        } else {
                            Err(inner.error("unknown option; expected `min_size = <bytes>`"))
                        }
                    })?;
                }
                compressed_only = Some((meta.path.span(), min_size));
                Ok(())
            } else if meta.path.is_ident("rewrite") {
                let lit: syn::LitBool = meta.value()?.parse()?;
                set_once(&mut rewrite, &meta, lit)
            } else if meta.path.is_ident("dangling") {
                let lit = string(&meta)?;
                let value = match lit.value().as_str() {
                    "warn" => DanglingPolicy::Warn(lit.span()),
                    "error" => DanglingPolicy::Error(lit.span()),
                    "allow" => DanglingPolicy::Allow,
                    other => {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!(
                                "unknown `dangling = \"{other}\"`; expected \"warn\" (the \
                                 default), \"error\" or \"allow\""
                            ),
                        ));
                    }
                };
                set_once(&mut dangling, &meta, value)
            } else if meta.path.is_ident("deltas") {
                let expected = |span| {
                    syn::Error::new(
                        span,
                        format!(
                            "`deltas` takes how many earlier versions to bake deltas against, \
                             from 0 (off) to {MAX_DELTAS}, e.g. `deltas = {DEFAULT_DELTAS}`"
                        ),
                    )
                };
                let lit = match meta.value()?.parse::<syn::Lit>()? {
                    syn::Lit::Int(lit) => lit,
                    other => return Err(expected(other.span())),
                };
                let n: usize = lit.base10_parse().map_err(|_| expected(lit.span()))?;
                if n > MAX_DELTAS {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!(
                            "`deltas = {n}` is more than {MAX_DELTAS}: each earlier version costs \
                             build time and binary size for every changed file; the default is \
                             {DEFAULT_DELTAS}"
                        ),
                    ));
                }
                set_once(&mut deltas, &meta, n)
            } else if meta.path.is_ident("crate") {
                let lit = string(&meta)?;
                set_once(&mut krate, &meta, lit.parse::<Path>()?)
            } else {
                Err(meta.error(unknown("key", &meta.path, KEY_NAMES, KEYS)))
            }
        });
        if let Err(e) = result {
            attr_failed = true;
            combine(&mut errors, e);
        }
    }

    if let Some(error) = not_a_unit_struct(input) {
        combine(&mut errors, error);
    }
    if !input.generics.params.is_empty() {
        combine(
            &mut errors,
            syn::Error::new_spanned(
                &input.generics,
                "`Embed` cannot be derived for a generic type; use a plain `struct Static;`",
            ),
        );
    }

    let prefix = match prefix {
        None => Some("/static".to_owned()),
        Some(lit) => match normalise_prefix(&lit.value()) {
            Ok(p) => Some(p),
            Err(msg) => {
                combine(&mut errors, syn::Error::new(lit.span(), msg));
                None
            }
        },
    };

    if folder.is_none() && !attr_failed {
        let error = match input.attrs.iter().find(|a| a.path().is_ident("kiln")) {
            Some(attr) => syn::Error::new_spanned(
                attr,
                "missing `folder`: add `folder = \"...\"`, the folder to embed",
            ),
            None => syn::Error::new(
                input.ident.span(),
                "missing `#[kiln(folder = \"...\")]`: name the folder to embed",
            ),
        };
        combine(&mut errors, error);
    }

    let codecs = codecs.unwrap_or_else(|| Encoding::available().to_vec());
    if let Some((span, _)) = compressed_only
        && !codecs
            .iter()
            .any(|c| c.info().decoded_at_run_time && *c != Encoding::Identity)
    {
        combine(
            &mut errors,
            syn::Error::new(
                span,
                "`compressed_only` needs a `br` or `gzip` variant to decode the file from",
            ),
        );
    }

    match (errors, folder, prefix) {
        (Some(errors), _, _) => Err(errors),
        (None, Some(folder), Some(prefix)) => Ok(Attrs {
            dangling: dangling.unwrap_or(DanglingPolicy::Warn(folder.span())),
            folder,
            prefix,
            include,
            exclude,
            codecs,
            krate: krate.unwrap_or_else(|| syn::parse_quote!(::kiln)),
            compressed_only: compressed_only.map(|(_, min)| min),
            rewrite: rewrite.is_none_or(|lit| lit.value),
            deltas: deltas.unwrap_or(DEFAULT_DELTAS),
        }),
        // Unreachable: a missing folder or a bad prefix always records an error.
        (None, _, _) => Err(syn::Error::new(input.ident.span(), "invalid `#[kiln]`")),
    }
}

/// The error for anything but a unit struct: the type only names the bundle, it holds nothing.
fn not_a_unit_struct(input: &DeriveInput) -> Option<syn::Error> {
    let fix = "`Embed` is derived for a unit struct, which names the bundle and holds no data: \
               write `struct Static;`";
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Unit => None,
            fields => Some(syn::Error::new_spanned(
                fields,
                format!("{fix}, without fields"),
            )),
        },
        Data::Enum(data) => Some(syn::Error::new(
            data.enum_token.span,
            format!("{fix}, not an enum"),
        )),
        Data::Union(data) => Some(syn::Error::new(
            data.union_token.span,
            format!("{fix}, not a union"),
        )),
    }
}

fn string(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse::<LitStr>()
}

fn set_once<T>(slot: &mut Option<T>, meta: &ParseNestedMeta<'_>, value: T) -> syn::Result<()> {
    if slot.is_some() {
        let name = meta
            .path
            .get_ident()
            .map_or_else(String::new, Ident::to_string);
        return Err(meta.error(format_args!("duplicate `{name}`")));
    }
    *slot = Some(value);
    Ok(())
}

fn combine(errors: &mut Option<syn::Error>, error: syn::Error) {
    match errors {
        Some(errors) => errors.combine(error),
        None => *errors = Some(error),
    }
}

/// `compress(br, gzip, zstd)` or `compress(none)`.
fn parse_codecs(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<Encoding>> {
    let mut codecs = Vec::new();
    let mut none: Option<Span> = None;
    meta.parse_nested_meta(|algo| {
        let name = algo.path.get_ident().map(Ident::to_string);
        let codec = match name
            .as_deref()
            .map(|name| (name, Encoding::from_name(name)))
        {
            Some((_, Some(codec))) => {
                if let (false, Some(feature)) = (codec.is_available(), codec.info().feature) {
                    return Err(algo.error(format!(
                        "{codec} needs the `{feature}` feature of kiln: `kiln = {{ version = \
                         \"...\", features = [\"{feature}\"] }}`"
                    )));
                }
                codec
            }
            Some(("none", None)) => {
                none = Some(algo.path.span());
                return Ok(());
            }
            _ => {
                return Err(algo.error(unknown(
                    "codec",
                    &algo.path,
                    codec_names(),
                    "`br`, `gzip`, `zstd` or `none`",
                )));
            }
        };
        if codecs.contains(&codec) {
            return Err(algo.error("codec listed twice"));
        }
        codecs.push(codec);
        Ok(())
    })?;
    match none {
        Some(span) if !codecs.is_empty() => Err(syn::Error::new(
            span,
            "`none` cannot be combined with other codecs",
        )),
        None if codecs.is_empty() => {
            Err(meta.error("list codecs, e.g. `compress(br, gzip)`, or `compress(none)`"))
        }
        _ => Ok(codecs),
    }
}

/// `/static/` → `/static`, `/` → ``; rejects what cannot be a path prefix.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalised() {
        assert_eq!(normalise_prefix("/static/").unwrap(), "/static");
        assert_eq!(normalise_prefix("/a/b").unwrap(), "/a/b");
        assert_eq!(normalise_prefix("/").unwrap(), "");
        assert_eq!(normalise_prefix("").unwrap(), "");
        assert!(normalise_prefix("static").is_err());
        assert!(normalise_prefix("/a b").is_err());
        assert!(normalise_prefix("/a/../b").is_err());
    }

    #[test]
    fn defaults() {
        let input: DeriveInput = syn::parse_quote! {
            #[kiln(folder = "static")]
            struct Static;
        };
        let cfg = parse(&input).unwrap();
        assert_eq!(cfg.folder.value(), "static");
        assert_eq!(cfg.prefix, "/static");
        assert_eq!(cfg.codecs, Encoding::available());
        assert!(cfg.include.is_empty() && cfg.exclude.is_empty());
    }

    #[test]
    fn every_key() {
        let input: DeriveInput = syn::parse_quote! {
            #[kiln(folder = "a", prefix = "/assets/", include = "*.css", include = "*.js")]
            #[kiln(exclude = "x/**", compress(gzip), crate = "my::kiln")]
            #[kiln(compressed_only(min_size = 4096))]
            struct Static;
        };
        let cfg = parse(&input).unwrap();
        assert_eq!(cfg.prefix, "/assets");
        assert_eq!(cfg.include.len(), 2);
        assert_eq!(cfg.exclude.len(), 1);
        assert_eq!(cfg.codecs, [Encoding::Gzip]);
        assert_eq!(cfg.compressed_only, Some(4096));
        let krate = &cfg.krate;
        assert_eq!(quote::quote!(#krate).to_string(), "my :: kiln");
    }

    #[test]
    fn independent_errors_are_all_reported() {
        let input: DeriveInput = syn::parse_quote! {
            #[kiln(prefix = "nope")]
            #[kiln(colour = "red")]
            struct Static;
        };
        let err = parse(&input).err().unwrap();
        let messages: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        // `folder` may have stood after `colour` in the attribute that failed, so a missing
        // folder is not reported on top of it.
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("unknown key `colour`"));
        assert!(messages[1].contains("must start with `/`"));

        let input: DeriveInput = syn::parse_quote! {
            #[kiln(prefix = "/x")]
            struct Static<T>;
        };
        let messages: Vec<String> = parse(&input)
            .err()
            .unwrap()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("generic"));
        assert!(messages[1].starts_with("missing `folder`"));
    }

    #[test]
    fn only_unit_structs() {
        let inputs: [DeriveInput; 5] = [
            syn::parse_quote!(
                #[kiln(folder = "a")]
                enum Static {
                    A,
                }
            ),
            syn::parse_quote!(#[kiln(folder = "a")] union Static { a: u8 }),
            syn::parse_quote!(
                #[kiln(folder = "a")]
                struct Static {
                    a: u8,
                }
            ),
            syn::parse_quote!(
                #[kiln(folder = "a")]
                struct Static(u8);
            ),
            syn::parse_quote!(
                #[kiln(folder = "a")]
                struct Static {}
            ),
        ];
        for input in &inputs {
            let message = parse(input).err().unwrap().to_string();
            assert!(message.contains("write `struct Static;`"), "{message}");
        }
    }

    #[test]
    fn typos_get_a_suggestion() {
        assert_eq!(closest("prefx", KEY_NAMES), Some("prefix"));
        assert_eq!(closest("folders", KEY_NAMES), Some("folder"));
        assert_eq!(closest("Folder", KEY_NAMES), Some("folder"));
        assert_eq!(closest("exlude", KEY_NAMES), Some("exclude"));
        assert_eq!(closest("compression", KEY_NAMES), Some("compress"));
        assert_eq!(
            closest("compressed_onyl", KEY_NAMES),
            Some("compressed_only")
        );
        assert_eq!(closest("incl", KEY_NAMES), Some("include"));
        assert_eq!(closest("colour", KEY_NAMES), None);
        assert_eq!(closest("gz", codec_names()), Some("gzip"));
        assert_eq!(closest("brotly", codec_names()), Some("brotli"));
        assert_eq!(closest("deflate", codec_names()), None);
    }
}
