//! From parsed attributes to tokens: bake the folder, then quote the data.

use std::path::{Path, PathBuf};

use kiln_bake::{BakedFile, Cache, Origin, Pack};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{DeriveInput, LitStr};

use crate::attr::{self, Attrs};

/// The whole derive. On error it emits the error *and* the same items over an empty bundle, so the
/// user sees one error instead of a cascade of "no function `get`" errors.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    match attr::parse(input) {
        // `cfg!` here is kiln-macros' own feature, which `kiln/reload` turns on.
        Ok(config) if cfg!(feature = "reload") => match read_from_disk(input, &config) {
            Ok(tokens) => tokens,
            Err(error) => fallback(input, Some(&config), error),
        },
        Ok(config) => {
            let start = std::time::Instant::now();
            match bake(input, &config) {
                Ok(output) => {
                    let baked = start.elapsed();
                    let mut tokens = warnings(
                        input,
                        &config,
                        &output.files,
                        output.files.is_empty(),
                        &output.unmatched,
                        !output.watched && !output.made_by_build_script,
                    );
                    tokens.extend(dangling_warnings(input, &config, &output.dangling));
                    let Output {
                        files,
                        pack,
                        watched,
                        ..
                    } = output;
                    let source = Source::Pack(&pack, watched);
                    tokens.extend(generate(input, &config, &files, source));
                    if let Some(path) = std::env::var_os("KILN_EXPAND_TO") {
                        // Debugging aid: the generated code, as rustc will see it.
                        let _ = std::fs::write(path, tokens.to_string());
                    }
                    report_timings(input, &files, baked, start.elapsed() - baked);
                    tokens
                }
                Err(error) => fallback(input, Some(&config), error),
            }
        }
        Err(error) => fallback(input, None, error),
    }
}

/// With `KILN_TIMINGS` set in the environment of the build, prints how long the derive took
/// (`cargo build -vv` shows it), to tell Kiln's share of a slow build from rustc's.
fn report_timings(
    input: &DeriveInput,
    files: &[BakedFile],
    baked: std::time::Duration,
    generated: std::time::Duration,
) {
    if std::env::var_os("KILN_TIMINGS").is_none() {
        return;
    }
    let bytes: u64 = files
        .iter()
        .map(|f| f.len + f.variants.iter().map(|v| v.len).sum::<u64>())
        .sum();
    eprintln!(
        "kiln: {}: {} files, {:.1} MB; walk, hash, compress and pack {:.3} s, generate {:.3} s",
        input.ident,
        files.len(),
        bytes as f64 / 1e6,
        baked.as_secs_f64(),
        generated.as_secs_f64(),
    );
}

fn fallback(input: &DeriveInput, config: Option<&Attrs>, error: syn::Error) -> TokenStream {
    let default;
    let config = match config {
        Some(config) => config,
        None => {
            default = Attrs {
                folder: LitStr::new("", Span::call_site()),
                prefix: String::new(),
                include: Vec::new(),
                exclude: Vec::new(),
                codecs: Vec::new(),
                krate: syn::parse_quote!(::kiln),
                compressed_only: None,
                rewrite: true,
                dangling: attr::DanglingPolicy::Allow,
                deltas: 0,
            };
            &default
        }
    };
    let mut tokens = error.to_compile_error();
    // A generic type cannot take the generated items (that is the error being reported).
    if input.generics.params.is_empty() {
        tokens.extend(generate(input, config, &[], Source::Empty));
    }
    tokens
}

/// Where the generated bundle's assets come from.
enum Source<'a> {
    /// A pack kiln-bake wrote, and whether a build script watches the folder.
    Pack(&'a Pack, bool),
    /// The folder on disk, read at run time (the `reload` feature), and its paths now.
    Disk(&'a Path, &'a [String]),
    /// Nothing: next to a compile error.
    Empty,
}

/// The folder of `config`, resolved against the crate's manifest folder and the environment.
fn resolve(config: &Attrs) -> syn::Result<PathBuf> {
    let written = config.folder.value();
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let folder = kiln_bake::resolve_folder(&written, Path::new(&manifest_dir), |name| {
        std::env::var(name).ok()
    })
    .map_err(|msg| syn::Error::new(config.folder.span(), msg))?;
    if folder.to_str().is_none() {
        return Err(syn::Error::new(
            config.folder.span(),
            format!("the path of folder `{written}` is not valid UTF-8"),
        ));
    }
    Ok(folder)
}

/// A kiln-bake error as a compile error on the attribute at fault, with paths shown the way the
/// user wrote them.
fn bake_error(config: &Attrs, folder: &Path, error: kiln_bake::Error) -> syn::Error {
    let written = config.folder.value();
    let span = match error.origin() {
        Origin::Include(i) => config.include.get(i).map(LitStr::span),
        Origin::Exclude(i) => config.exclude.get(i).map(LitStr::span),
        _ => None,
    }
    .unwrap_or_else(|| config.folder.span());
    let message = if matches!(error, kiln_bake::Error::MissingFolder(_)) {
        format!(
            "folder `{written}` does not exist (a relative folder is relative to the crate's \
             Cargo.toml)"
        )
    } else {
        // Not as absolute paths of this machine.
        error
            .to_string()
            .replace(&*folder.to_string_lossy(), written.trim_end_matches('/'))
    };
    syn::Error::new(span, message)
}

/// Reload mode: checks what can be checked now (the folder, the patterns, names that clash) and
/// expands to a bundle that reads the folder at run time. Nothing is hashed or compressed.
fn read_from_disk(input: &DeriveInput, config: &Attrs) -> syn::Result<TokenStream> {
    let folder = resolve(config)?;
    let include: Vec<String> = config.include.iter().map(LitStr::value).collect();
    let exclude: Vec<String> = config.exclude.iter().map(LitStr::value).collect();
    let to_syn = |error| bake_error(config, &folder, error);
    let filter = kiln_bake::Filter::new(&include, &exclude).map_err(to_syn)?;
    let mut paths = Vec::new();
    let mut tokens = match kiln_bake::scan_reporting(&folder, &filter) {
        // Files are read when requested, so an added one needs no rebuild (no build script
        // needed), and one that cannot be read now is the run time's concern.
        Ok((files, unmatched)) => {
            paths = files.into_iter().map(|f| f.path).collect();
            warnings(input, config, &[], paths.is_empty(), &unmatched, false)
        }
        Err(
            error @ kiln_bake::Error::MissingFolder(_) | error @ kiln_bake::Error::NotAFolder(_),
        ) => {
            return Err(to_syn(error));
        }
        Err(_) => TokenStream::new(),
    };
    crate::asset::register(&input.ident.to_string(), &folder, &include, &exclude);
    tokens.extend(generate(input, config, &[], Source::Disk(&folder, &paths)));
    Ok(tokens)
}

/// What [`bake`] made.
struct Output {
    files: Vec<BakedFile>,
    pack: Pack,
    /// Whether the crate's build script makes Cargo rebuild it when the folder changes.
    watched: bool,
    /// The folder is in `OUT_DIR`: the build script made it, and makes it again when it must.
    made_by_build_script: bool,
    /// The patterns that matched nothing.
    unmatched: kiln_bake::Unmatched,
    /// References left as written.
    dangling: Vec<kiln_bake::Dangling>,
}

/// Resolves the folder and the cache, runs kiln-bake and writes the pack; errors point at the
/// attribute at fault.
fn bake(input: &DeriveInput, config: &Attrs) -> syn::Result<Output> {
    let folder = resolve(config)?;
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();

    let cache = Cache::new(cache_dir());
    if cache.dir().to_str().is_none() {
        return Err(syn::Error::new(
            config.folder.span(),
            format!(
                "the compression cache `{}` is not a valid UTF-8 path; set KILN_CACHE_DIR to one",
                cache.dir().display()
            ),
        ));
    }
    let bake_config = kiln_bake::Config {
        include: config.include.iter().map(LitStr::value).collect(),
        exclude: config.exclude.iter().map(LitStr::value).collect(),
        codecs: config.codecs.clone(),
        cache: Some(cache.clone()),
        jobs: std::env::var("KILN_JOBS").ok().and_then(|j| j.parse().ok()),
        rewrite: config.rewrite,
        prefix: config.prefix.clone(),
        deltas: config.deltas,
        previous: previous_release(),
        ..kiln_bake::Config::new(&folder)
    };
    let to_syn = |error| bake_error(config, &folder, error);
    crate::asset::register(
        &input.ident.to_string(),
        &folder,
        &bake_config.include,
        &bake_config.exclude,
    );
    let baked = kiln_bake::bake(&bake_config).map_err(to_syn)?;
    if let attr::DanglingPolicy::Error(span) = config.dangling
        && !baked.dangling.is_empty()
    {
        let mut errors = baked
            .dangling
            .iter()
            .map(|d| syn::Error::new(span, format!("kiln: {d} (`dangling = \"error\"`)")));
        let mut first = errors
            .next()
            .unwrap_or_else(|| syn::Error::new(span, "kiln"));
        first.extend(errors);
        return Err(first);
    }
    let env = |name| std::env::var(name).unwrap_or_default();
    let bundle_id = format!(
        "{manifest_dir}\n{}\n{}\n{}\n{}",
        env("CARGO_PKG_NAME"),
        env("CARGO_CRATE_NAME"),
        input.ident,
        folder.display(),
    );
    let options = kiln_bake::PackOptions {
        prefix: &config.prefix,
        compressed_only: config.compressed_only,
        bundle_id: &bundle_id,
        dictionaries: config.deltas > 0,
    };
    let pack = kiln_bake::write_pack(&baked.files, &options, &cache).map_err(to_syn)?;
    Ok(Output {
        files: baked.files,
        pack,
        watched: crate::track::watched_by_build_script(&folder),
        made_by_build_script: crate::track::in_out_dir(&folder),
        unmatched: baked.unmatched,
        dangling: baked.dangling,
    })
}

/// `KILN_PREVIOUS`: the folder an earlier export wrote (the release being replaced), whose files
/// are earlier versions to bake deltas against. A relative path is taken relative to where rustc
/// runs: the workspace's root, where `cargo build` is usually typed.
fn previous_release() -> Option<PathBuf> {
    let value = std::env::var_os("KILN_PREVIOUS").filter(|v| !v.is_empty())?;
    Some(std::path::absolute(&value).unwrap_or_else(|_| PathBuf::from(value)))
}

/// `KILN_CACHE_DIR` if set, else `<target>/kiln-cache` as kiln-macros' build script found it.
pub(crate) fn cache_dir() -> PathBuf {
    std::env::var_os("KILN_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("KILN_DEFAULT_CACHE_DIR")))
}

fn generate(
    input: &DeriveInput,
    config: &Attrs,
    files: &[BakedFile],
    source: Source<'_>,
) -> TokenStream {
    let span = config.folder.span();
    let krate = &config.krate;
    let ident = &input.ident;
    let vis = &input.vis;

    let bundle_static = format_ident!("__KILN_BUNDLE", span = span);
    let base_env = env_var(&ident.to_string(), "BASE_URL");

    // Pack file names are hex digests in a cache path `bake` checked is UTF-8.
    let lossy = |path: &PathBuf| path.to_string_lossy().into_owned();
    let bundle = match source {
        Source::Pack(pack, watched) => {
            let meta = lossy(&pack.meta);
            let chunks = pack.chunks.iter().map(lossy);
            // The bytes come from the pack. Unless the build script watches the folder, unused
            // constants make Cargo rebuild the crate when one of the files changes (see
            // `track`).
            let mut track = if watched {
                TokenStream::new()
            } else {
                let count = files.len();
                let sources = files.iter().map(|f| f.source.to_string_lossy());
                quote!(const _: [&[u8]; #count] = [#(::core::include_bytes!(#sources)),*];)
            };
            // What the bake read from the environment: Cargo rebuilds the crate when one of
            // these variables changes (`option_env!` puts them in rustc's dep-info), and when
            // the previous release's manifest does.
            track.extend(quote! {
                const _: ::core::option::Option<&str> = ::core::option_env!("KILN_CACHE_DIR");
                const _: ::core::option::Option<&str> = ::core::option_env!("KILN_PREVIOUS");
            });
            if config.deltas > 0
                && let Some(previous) = previous_release()
            {
                let manifest = previous.join("staticfiles.json");
                let manifest = manifest.to_string_lossy();
                track.extend(quote!(
                    const _: &[u8] = ::core::include_bytes!(#manifest);
                ));
            }
            quote! {
                static #bundle_static: #krate::Bundle = #krate::Bundle::packed_with_base_url_env(
                    ::core::include_bytes!(#meta),
                    &[#(::core::include_bytes!(#chunks)),*],
                    #base_env,
                );
                #track
            }
        }
        Source::Disk(folder, _) => {
            let folder = folder.to_string_lossy();
            let name = ident.to_string();
            let env = env_var(&name, "FOLDER");
            let prefix = &config.prefix;
            let include = &config.include;
            let exclude = &config.exclude;
            let codecs = config.codecs.iter().map(|c| c.as_str());
            let rewrite = config.rewrite;
            quote! {
                static #bundle_static: #krate::Bundle = #krate::Bundle::disk(
                    &#krate::__private::DiskOptions {
                        folder: #folder,
                        env: #env,
                        name: #name,
                        prefix: #prefix,
                        include: &[#(#include),*],
                        exclude: &[#(#exclude),*],
                        codecs: &[#(#codecs),*],
                        rewrite: #rewrite,
                        base_url_env: #base_env,
                    },
                );
            }
        }
        Source::Empty => quote! {
            static #bundle_static: #krate::Bundle = #krate::Bundle::packed(&[], &[]);
        },
    };

    let paths = match source {
        Source::Disk(_, paths) => {
            crate::asset::path_list(krate, paths.iter().map(String::as_str), true)
        }
        Source::Empty => crate::asset::path_list(krate, [], false),
        Source::Pack(..) => {
            crate::asset::path_list(krate, files.iter().map(|f| f.path.as_str()), true)
        }
    };

    // `cfg!` here is kiln-macros' own feature, which `kiln/axum` turns on.
    let router = if cfg!(feature = "axum") {
        quote! {
            /// An axum `Router` serving the bundle at its prefix: `app.merge(Static::router())`.
            #vis fn router<S>() -> #krate::__private::axum::Router<S>
            where
                S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static,
            {
                #bundle_static.router()
            }
        }
    } else {
        TokenStream::new()
    };

    let actix = if cfg!(feature = "actix") {
        quote! {
            /// An actix-web service factory serving the bundle at its prefix:
            /// `App::new().service(Static::actix_service())`.
            #vis fn actix_service() -> #krate::ActixService {
                #bundle_static.actix_service()
            }
        }
    } else {
        TokenStream::new()
    };

    quote_spanned! {span=>
        #[doc(hidden)]
        const _: () = {
            #bundle

            #[automatically_derived]
            impl #krate::Embed for #ident {
                fn bundle() -> &'static #krate::Bundle {
                    &#bundle_static
                }
            }

            #[allow(dead_code)]
            impl #ident {
                #paths

                /// The embedded file at `path`, relative to the folder, plain (`css/app.css`) or
                /// fingerprinted (`css/app.3f2a9c1e8b47.css`).
                #vis fn get(path: &str) -> ::core::option::Option<#krate::AssetRef> {
                    #bundle_static.get(path)
                }

                /// The fingerprinted URL of `path` (prefix, or base URL if one is set, then the
                /// hashed path); `None` if there is no such file.
                #vis fn url(path: &str) -> ::core::option::Option<::std::borrow::Cow<'static, str>> {
                    #bundle_static.url(path)
                }

                /// Every embedded file, in path order.
                #vis fn iter() -> #krate::Iter {
                    #bundle_static.iter()
                }

                /// `{"path": "fingerprinted path", ...}` for every file, like Django's
                /// `staticfiles.json` `paths` map.
                #vis fn manifest_json() -> ::std::borrow::Cow<'static, str> {
                    #bundle_static.manifest_json()
                }

                /// A `tower::Service` that serves the bundle; mount it with
                /// `Router::nest_service(prefix, Static::service())`.
                #vis fn service() -> #krate::ServeAssets {
                    #bundle_static.service()
                }

                #router

                #actix

                /// A `<script>` for the app's pages that reloads them when a file of the bundle
                /// changes, in reload mode; empty for a baked bundle.
                #vis fn live_reload_script() -> &'static str {
                    #bundle_static.live_reload_script()
                }

                /// The URL of `path` with the asset, for its tags (`stylesheet()`, `module()`,
                /// ...); `kiln::asset!(Self, "...")` gives the same, checked at compile time.
                #vis fn resolve(path: &str) -> ::core::option::Option<#krate::AssetUrl> {
                    #bundle_static.resolve(path)
                }

                /// A `<script type="importmap">` mapping the plain URL of every JavaScript module
                /// of the bundle to its fingerprinted URL (with `integrity`), so that modules
                /// importing `./util.js` load the immutable URL.
                #vis fn import_map() -> ::std::string::String {
                    #bundle_static.import_map()
                }

                /// Makes `url()` point at `base` (a CDN) instead of the prefix.
                #vis fn set_base_url(base: impl ::core::convert::Into<::std::string::String>) {
                    #bundle_static.set_base_url(base)
                }
            }
        };
    }
}

/// The environment variable `what` of the bundle of the struct `name`: `KILN_STATIC_FOLDER` for
/// `Static` and `FOLDER` (another folder in reload mode), `KILN_ADMIN_ASSETS_BASE_URL` for
/// `AdminAssets` and `BASE_URL`.
fn env_var(name: &str, what: &str) -> String {
    let mut out = String::from("KILN_");
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c.is_uppercase() && previous.is_some_and(|p| p != '_') {
            out.push('_');
        }
        out.extend(c.to_uppercase());
        previous = Some(c);
    }
    out.push('_');
    out.push_str(what);
    out
}

/// How many dangling references get a warning each; the rest are counted in the last one.
const DANGLING_WARNINGS: usize = 10;

/// A warning for each reference left as written (`dangling = "warn"`, the default).
fn dangling_warnings(
    input: &DeriveInput,
    config: &Attrs,
    dangling: &[kiln_bake::Dangling],
) -> TokenStream {
    let attr::DanglingPolicy::Warn(span) = config.dangling else {
        return TokenStream::new();
    };
    let shown = dangling.len().min(DANGLING_WARNINGS);
    dangling
        .iter()
        .take(shown)
        .enumerate()
        .map(|(i, d)| {
            let more = dangling.len() - shown;
            let mut note = format!("kiln: {d}; it is served as written");
            if i + 1 == shown && more > 0 {
                note.push_str(&format!(" ({more} more like it)"));
            }
            if i == 0 {
                note.push_str(
                    "; `dangling = \"error\"` makes this an error, `dangling = \"allow\"` \
                     silences it",
                );
            }
            warning(input, span, &note)
        })
        .collect()
}

/// A warning at `span`: the use of a `#[deprecated]` item whose note is the message (stable Rust
/// has no warning API for proc macros). The struct's `#[allow(...)]` attributes apply to it.
fn warning(input: &DeriveInput, span: Span, note: &str) -> TokenStream {
    let allows = input.attrs.iter().filter(|a| a.path().is_ident("allow"));
    quote_spanned! {span=>
        #(#allows)*
        const _: () = {
            #[deprecated(note = #note)]
            struct KilnWarning;
            let _ = KilnWarning;
        };
    }
}

/// Files above this size get a warning: they cost build time, rustc memory and binary size.
const LARGE_FILE: u64 = 32 << 20;

/// The warnings of a derive that baked: stable Rust has no warning API for proc macros, so each
/// is the use of a `#[deprecated]` item whose note is the message, spanned on the attribute at
/// fault. `#[allow(deprecated)]` on the struct silences them.
///
/// `files` are the baked files (none in reload mode), `empty` whether the bundle has no file,
/// `unwatched` whether nothing makes Cargo notice files added to the folder.
fn warnings(
    input: &DeriveInput,
    config: &Attrs,
    files: &[BakedFile],
    empty: bool,
    unmatched: &kiln_bake::Unmatched,
    unwatched: bool,
) -> TokenStream {
    let written = config.folder.value();
    let mut tokens = TokenStream::new();
    let mut warn = |span: Span, note: String| tokens.extend(warning(input, span, &note));

    for file in files.iter().filter(|f| f.len > LARGE_FILE) {
        let stored = file.len + file.variants.iter().map(|v| v.len).sum::<u64>();
        warn(
            config.folder.span(),
            format!(
                "kiln: `{}` is {:.1} MB and adds {:.1} MB to the binary (with its compressed \
                 variants), and costs rustc time and memory on every build of this crate; if it \
                 need not be embedded, leave it out with `exclude = \"{}\"`",
                file.path,
                file.len as f64 / 1e6,
                stored as f64 / 1e6,
                file.path,
            ),
        );
    }
    let unmatched = [
        ("include", &config.include, &unmatched.include, "no file"),
        ("exclude", &config.exclude, &unmatched.exclude, "nothing"),
    ];
    for (key, patterns, indices, what) in unmatched {
        for pattern in indices.iter().filter_map(|&i| patterns.get(i)) {
            let value = pattern.value();
            warn(
                pattern.span(),
                format!("kiln: `{key} = \"{value}\"` matches {what} in `{written}`"),
            );
        }
    }
    if empty {
        let why = if config.include.is_empty() && config.exclude.is_empty() {
            "has no files"
        } else {
            "has no files that the `include` and `exclude` patterns keep"
        };
        warn(
            config.folder.span(),
            format!("kiln: folder `{written}` {why}: the bundle is empty"),
        );
    }
    if unwatched {
        // The path the build script must name, as written (not as found, which would put this
        // machine's paths in the message).
        let watch = written.trim_end_matches('/');
        let expanded = if watch.contains('$') {
            " (with the variables expanded)"
        } else {
            ""
        };
        warn(
            config.folder.span(),
            format!(
                "kiln: files added to or removed from `{written}` are not noticed until some \
                 other file of this crate changes; add a build script (build.rs, next to \
                 Cargo.toml) that watches the folder: \
                 `fn main() {{ println!(\"cargo::rerun-if-changed={watch}\"); }}`{expanded}"
            ),
        );
    }
    tokens
}

#[cfg(test)]
mod tests {
    #[test]
    fn environment_variables_are_named_after_the_struct() {
        assert_eq!(super::env_var("Static", "FOLDER"), "KILN_STATIC_FOLDER");
        assert_eq!(
            super::env_var("AdminAssets", "FOLDER"),
            "KILN_ADMIN_ASSETS_FOLDER"
        );
        assert_eq!(
            super::env_var("Admin_Assets", "BASE_URL"),
            "KILN_ADMIN_ASSETS_BASE_URL"
        );
    }
}
