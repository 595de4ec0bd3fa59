//! A folder baked by kiln-bake at run time (the `bake` feature): the in-memory source the `kiln`
//! command exports and uploads through, and the one conversion from what kiln-bake makes to an
//! [`Asset`], which reload mode uses too.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;
use kiln_bake::{Baked, BakedFile, Error};

use super::{Fixed, Source};
use crate::asset::{self, Asset, Encoding, Variant};

/// A fixed source of every file of `baked`, served under `prefix`: the bytes of each form are
/// read into memory (from the compression cache, for variants kept there).
pub(crate) fn open(baked: &Baked, prefix: &str) -> Result<Source, Error> {
    let prefix = kiln_bake::normalise_prefix(prefix).map_err(|message| Error::Read {
        path: prefix.into(),
        source: io::Error::new(io::ErrorKind::InvalidInput, message),
    })?;
    let assets = baked
        .files
        .iter()
        .map(|file| with_as_written(file, file.read()?, &prefix))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Source::Fixed(Fixed::new(prefix, assets)))
}

/// The asset of `file`, whose fingerprinted name serves `bytes`; when its references were
/// rewritten, its plain name serves the file as written, read again from its source (and checked
/// against the hash the bake recorded).
pub(crate) fn with_as_written(
    file: &BakedFile,
    bytes: Vec<u8>,
    prefix: &str,
) -> Result<Asset, Error> {
    let mut served = asset(file, bytes, prefix)?;
    if file.rewrite.is_some() {
        let written = file.as_written();
        let bytes = std::fs::read(&file.source).map_err(|e| Error::Read {
            path: file.source.clone(),
            source: e,
        })?;
        if kiln_bake::content_hash(&bytes) != written.hash {
            return Err(Error::Changed(file.source.clone()));
        }
        // Its fingerprinted name is the rewritten file's, where the current version lives.
        served.set_as_written(asset(&written, bytes, prefix)?);
    }
    Ok(served)
}

/// An [`Asset`] of what kiln-bake made of a file, with `bytes` as its identity bytes (its
/// variants are read from where kiln-bake stored them), laid out as the pack reader lays out a
/// baked bundle's.
pub(crate) fn asset(file: &BakedFile, bytes: Vec<u8>, prefix: &str) -> Result<Asset, Error> {
    let unservable = |what: &str| Error::Read {
        path: file.source.clone(),
        source: io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} cannot be served"),
        ),
    };
    let url_start = format!("{prefix}/");
    let url_path = kiln_bake::url_encode(&file.fingerprinted);
    let mut text = String::new();
    let mut ends = [0u16; 6];
    for (end, part) in ends
        .iter_mut()
        .zip(kiln_bake::record_texts(file, &url_start, &url_path))
    {
        text.push_str(part);
        *end = u16::try_from(text.len()).map_err(|_| Error::TooLarge(file.source.clone()))?;
    }
    let header = |s: String| HeaderValue::try_from(s).map_err(|_| unservable("its name"));
    let represent = |encoding: Encoding, bytes: Vec<u8>| -> Result<Variant, Error> {
        let mut etag = String::with_capacity(file.hash.len() + 8);
        asset::write_etag(&mut etag, &file.hash, encoding, &bytes);
        let len = bytes.len();
        Ok(Variant::new(
            encoding,
            Bytes::from(bytes),
            len,
            header(etag)?,
            HeaderValue::from(len),
        ))
    };
    let identity = represent(Encoding::Identity, bytes)?;
    let variants = file
        .variants
        .iter()
        .chain(&file.deltas)
        .map(|variant| represent(variant.codec, variant.stored.read()?))
        .collect::<Result<Box<[Variant]>, Error>>()?;
    Ok(Asset::new(
        Arc::from(text),
        0,
        ends,
        header(file.content_type.clone())?,
        identity,
        variants,
        false,
    ))
}
