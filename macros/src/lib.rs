//! The `#[derive(Embed)]` of [Kiln](https://docs.rs/kiln). Depend on `kiln` and write
//! `#[derive(kiln::Embed)]`; the documentation lives on that re-export.
//!
//! This crate only parses attributes (`attr.rs`), hands the folder to `kiln-bake` and quotes the
//! result (`expand.rs`). Everything that walks, hashes or compresses is in `kiln-bake`, which the
//! runtime's reload mode shares.

mod asset;
mod attr;
mod expand;
mod track;

use proc_macro::TokenStream;

/// See `kiln::Embed`.
#[proc_macro_derive(Embed, attributes(kiln))]
pub fn derive_embed(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}

/// See `kiln::asset!`.
#[proc_macro]
pub fn asset(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as asset::Input);
    asset::expand(&input).into()
}
