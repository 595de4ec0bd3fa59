//! `kiln::asset!(Static, "css/app.css")`: a fingerprinted URL checked at compile time.
//!
//! A function-like macro cannot see the `#[kiln(...)]` attributes of the type it is given, so the
//! check is done by the type itself: the derive lists the bundle's paths in a hidden constant,
//! and the expansion finds the path among them in a `const` (no lookup by string at run time). A
//! path that is not there makes that `const` fail to evaluate, with a message this macro wrote.
//!
//! To make that message say "did you mean", this macro needs the bundle's paths itself. Each
//! derive records where its folder is in a registry in Kiln's cache (by struct name), and this
//! macro walks that folder with the same filter. When the registry has this crate's bundle and
//! the path is not in its folder, the macro reports it itself: one error at the string, with the
//! hint, and an expression that type-checks, so rustc adds nothing to it. Otherwise (no record
//! of this crate yet) the `const` decides, and rustc's report of its failed evaluation carries
//! the same message. A derive that failed (a wrong `folder`) says so in the constant, and the
//! `const` then does not fail: the derive's error is the only one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token, TypePath};

/// The input: a type path, a comma, a string literal, and maybe a trailing comma.
pub(crate) struct Input {
    ty: TypePath,
    path: LitStr,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let ty: TypePath = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the bundle's type, then its path: `kiln::asset!(Static, \"css/app.css\")`",
            )
        })?;
        input.parse::<Token![,]>()?;
        let path: LitStr = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        Ok(Input { ty, path })
    }
}

pub(crate) fn expand(input: &Input) -> TokenStream {
    let Input { ty, path } = input;
    let written = path.value();
    let name = ty
        .path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    let span = path.span();
    if written.starts_with('/') {
        // `/static/css/app.css` (a URL) or `/css/app.css`: suggest the path in the folder.
        let trimmed = written.trim_start_matches('/');
        let without_prefix = trimmed.split_once('/').map(|(_, rest)| rest);
        let (known, _) = known_paths(&name);
        let fixed = match without_prefix {
            Some(rest)
                if !known.iter().any(|p| p == trimmed) && known.iter().any(|p| p == rest) =>
            {
                rest
            }
            _ => trimmed,
        };
        return syn::Error::new(
            span,
            format!(
                "kiln: paths are relative to the bundle's folder: write `\"{fixed}\"` (the URL \
                 gets its prefix)"
            ),
        )
        .to_compile_error();
    }
    let (known, local) = known_paths(&name);
    let message = missing_message(&name, &written, &known);
    // An empty list is a folder the registry could not walk (a wrong `folder`, whose derive
    // reports it): the `const` decides then.
    if local && !known.is_empty() && !known.contains(&written) {
        return quote_spanned! {span=>
            {
                ::core::compile_error!(#message);
                <#ty as ::kiln::Embed>::bundle().asset_url(0, #path)
            }
        };
    }
    quote_spanned! {span=>
        {
            const __KILN_INDEX: usize =
                ::kiln::__private::index_of(&<#ty>::__KILN_PATHS, #path, #message);
            <#ty as ::kiln::Embed>::bundle().asset_url(__KILN_INDEX, #path)
        }
    }
}

/// The compile error for `path` not being in the bundle of the struct `name`, with a "did you
/// mean" among `paths` (what the registry knows of the bundle's files).
fn missing_message(name: &str, path: &str, paths: &[String]) -> String {
    let mut message = format!("kiln: `{path}` is not a file of the bundle `{name}`");
    // The usual case: the path is there, and the message will not be shown.
    if paths.iter().any(|p| p == path) {
        return message;
    }
    match crate::attr::closest(path, paths.iter().map(String::as_str)) {
        Some(close) => message.push_str(&format!("; did you mean `{close}`?")),
        None => {
            // Not a typo of a whole path: perhaps of a file name, in another folder.
            let file = path.rsplit('/').next().unwrap_or(path);
            let names = paths.iter().filter_map(|p| {
                let name = p.rsplit('/').next()?;
                (crate::attr::closest(file, [name]).is_some()).then_some(p.as_str())
            });
            if let Some(close) = names.min_by_key(|p| strsim::levenshtein(p, path)) {
                message.push_str(&format!("; did you mean `{close}`?"));
            }
        }
    }
    message
}

/// A derive's record of its bundle, for [`known_paths`].
struct Entry {
    manifest_dir: String,
    folder: PathBuf,
    include: Vec<String>,
    exclude: Vec<String>,
}

fn registry_dir(name: &str) -> PathBuf {
    crate::expand::cache_dir().join("registry").join(name)
}

/// Records the bundle of the struct `name` (see the module docs). Best effort: a registry that
/// cannot be written only costs the "did you mean" of `asset!`.
pub(crate) fn register(name: &str, folder: &Path, include: &[String], exclude: &[String]) {
    let env = |name| std::env::var(name).unwrap_or_default();
    let bundle_id = format!(
        "{}\n{}\n{name}\n{}",
        env("CARGO_MANIFEST_DIR"),
        env("CARGO_CRATE_NAME"),
        folder.display()
    );
    let entry = serde_json::json!({
        "manifest_dir": std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default(),
        "folder": folder.to_string_lossy(),
        "include": include,
        "exclude": exclude,
    })
    .to_string();
    let dir = registry_dir(name);
    let file = dir.join(format!("{:016x}.json", fnv(bundle_id.as_bytes())));
    if std::fs::read_to_string(&file).is_ok_and(|old| old == entry) {
        return;
    }
    let _ = kiln_bake::write_atomically(&file, entry.as_bytes());
}

/// FNV-1a: a stable name for a registry file (not a security boundary).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How long a walk of a folder is reused: a compiler process expands many `asset!`s at once, but
/// an IDE's macro server lives for hours while files come and go.
const WALK_REUSE: Duration = Duration::from_secs(5);

/// The paths of the bundles of structs called `name`: those of this crate if the registry has
/// any, else all; and whether they are this crate's.
fn known_paths(name: &str) -> (Vec<String>, bool) {
    type Walks = HashMap<PathBuf, (Instant, Vec<String>)>;
    static WALKED: Mutex<Option<Walks>> = Mutex::new(None);
    let Ok(dir) = std::fs::read_dir(registry_dir(name)) else {
        return (Vec::new(), false);
    };
    let entries: Vec<Entry> = dir
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter_map(|text| {
            let value: serde_json::Value = serde_json::from_str(&text).ok()?;
            let strings = |key: &str| -> Vec<String> {
                value[key]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            Some(Entry {
                manifest_dir: value["manifest_dir"].as_str()?.to_owned(),
                folder: PathBuf::from(value["folder"].as_str()?),
                include: strings("include"),
                exclude: strings("exclude"),
            })
        })
        .collect();
    let here = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let local = entries.iter().any(|e| e.manifest_dir == here);
    let mut walked = WALKED.lock().unwrap_or_else(|e| e.into_inner());
    let walked = walked.get_or_insert_with(HashMap::new);
    let mut paths = Vec::new();
    for entry in entries.iter().filter(|e| !local || e.manifest_dir == here) {
        let walk = walked
            .entry(entry.folder.clone())
            .or_insert_with(|| (Instant::now(), Vec::new()));
        if walk.1.is_empty() || walk.0.elapsed() > WALK_REUSE {
            *walk = (
                Instant::now(),
                kiln_bake::Filter::new(&entry.include, &entry.exclude)
                    .and_then(|filter| kiln_bake::scan(&entry.folder, &filter))
                    .map(|files| files.into_iter().map(|f| f.path).collect())
                    .unwrap_or_default(),
            );
        }
        paths.extend(walk.1.iter().cloned());
    }
    (paths, local)
}

/// The hidden constant `asset!` reads: the bundle's paths, sorted, back to back, where each
/// ends, and whether the list is the bundle's (`false` next to a derive's compile error).
pub(crate) fn path_list<'a>(
    krate: &syn::Path,
    paths: impl IntoIterator<Item = &'a str>,
    complete: bool,
) -> TokenStream {
    let mut paths: Vec<&str> = paths.into_iter().collect();
    paths.sort_unstable();
    let mut text = String::new();
    let mut ends = Vec::with_capacity(paths.len());
    for path in paths {
        text.push_str(path);
        ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
    }
    quote! {
        #[doc(hidden)]
        pub const __KILN_PATHS: #krate::__private::Paths = #krate::__private::Paths {
            text: #text,
            ends: &[#(#ends),*],
            complete: #complete,
        };
    }
}
