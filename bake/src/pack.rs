//! Packs: a baked folder as a few files that `include_bytes!` can take whole.
//!
//! The derive used to write one `include_bytes!` per file and per variant into a `static` table of
//! structs, and rustc spent most of the build const-evaluating that table (measured: 3.8 s for
//! 8,460 files, against 0.1 s for the same number of plain `include_bytes!` statics). A pack
//! moves everything out of the table:
//!
//! - **data chunks**: the bytes of every stored representation (identity and variants), each
//!   distinct content once, grouped into files of about 1 MiB. One `include_bytes!` per chunk:
//!   rustc handles a few dozen 1 MiB literals as fast as plain statics of the same bytes, while one
//!   literal of 20 MB costs it twice the memory (measured).
//! - **meta**: every string and number the runtime needs (paths, URLs, content types, entity tags,
//!   where each representation's bytes are), in a binary layout that `kiln` reads once, on first
//!   use. The layout is private to `kiln` and `kiln-bake` of the same version.
//!
//! Every file of a pack is named by what is in it and lives in `<cache>/pack/`, so a build that
//! changes nothing writes nothing, and a build after one edited asset writes the meta and the
//! one chunk that holds that asset (chunk boundaries depend on the files around them only, not
//! on everything before them). Files no bundle has used for an hour are removed.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::names::hex;
use crate::{BakedFile, Cache, Compressed, Error, Stored, is_dictionary_type, url_encode};

/// The first bytes of every meta file.
const MAGIC: &[u8; 8] = b"KILNPACK";
/// The layout version; `kiln` refuses any other.
const VERSION: u32 = 6;

/// A chunk is closed once it holds this much.
const CHUNK_MAX: u64 = 1 << 20;
/// Past this size, a chunk is also closed after any file whose hash starts with a `0`-`3` hex
/// digit (one in four): boundaries then depend on nearby files only, so an edit that changes a
/// file's size does not move every later boundary (and rewrite every later chunk).
const CHUNK_MIN: u64 = 1 << 18;
/// Brotli quality of the meta: 5 compresses 1.4 MB in 30 ms to within 2% of quality 9's size
/// (quality 11 would take seconds, on every build that changes an asset).
const META_QUALITY: i32 = 5;
/// Pack files no bundle lists, and older than this, are removed.
const UNUSED_GRACE: Duration = Duration::from_secs(3600);
/// A bundle's list of pack files not rewritten for this long is forgotten.
const LIST_EXPIRY: Duration = Duration::from_secs(30 * 24 * 3600);

/// How to describe the assets in the meta.
#[derive(Debug, Clone)]
pub struct PackOptions<'a> {
    /// The URL prefix, without a trailing `/` (empty for the root).
    pub prefix: &'a str,
    /// Store no identity bytes for files of at least this size that have a brotli or gzip
    /// variant (they are decoded at run time); `None` stores every identity.
    pub compressed_only: Option<u64>,
    /// Names the bundle (crate, type, folder): its list of pack files in use is kept under this
    /// name, so that other bundles' unused files can be removed.
    pub bundle_id: &'a str,
    /// Whether the runtime offers fingerprinted files of dictionary types
    /// ([`is_dictionary_type`](crate::is_dictionary_type)) to browsers as compression
    /// dictionaries (`Use-As-Dictionary`): when the bundle bakes deltas.
    pub dictionaries: bool,
}

/// A written pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pack {
    /// The meta file.
    pub meta: PathBuf,
    /// The data chunks, in the order the meta numbers them.
    pub chunks: Vec<PathBuf>,
    /// How many pack files this call wrote (0 when nothing changed).
    pub written: usize,
}

/// Whether `file`'s identity bytes stay out of the pack under `compressed_only`.
fn is_compressed_only(file: &BakedFile, compressed_only: Option<u64>) -> bool {
    compressed_only.is_some_and(|min_size| {
        file.len >= min_size
            && file
                .variants
                .iter()
                .any(|v| v.codec.info().decoded_at_run_time)
    })
}

/// What the pack stores of `file`: its identity bytes (unless it is empty or compressed-only),
/// then its variants, then its deltas.
fn stored(file: &BakedFile, compressed_only: Option<u64>) -> impl Iterator<Item = Content<'_>> {
    let identity = (file.len > 0 && !is_compressed_only(file, compressed_only)).then_some(None);
    let variants = (0..file.variants.len() + file.deltas.len()).map(Some);
    identity
        .into_iter()
        .chain(variants)
        .map(move |variant| Content { file, variant })
}

/// The contents of one chunk file, and its name in the making (a digest of their keys).
struct Chunk<'a> {
    contents: Vec<Content<'a>>,
    name: Sha256,
}

impl Chunk<'_> {
    fn new() -> Self {
        Chunk {
            contents: Vec::new(),
            name: Sha256::new(),
        }
    }
}

/// One stored content: a file's identity bytes or one of its variants or deltas.
#[derive(Clone, Copy)]
struct Content<'a> {
    file: &'a BakedFile,
    /// `None` for the identity bytes; else an index into the variants, then the deltas.
    variant: Option<usize>,
}

/// The variants of `file`, then its deltas: what [`Content::variant`] indexes.
fn compressed(file: &BakedFile) -> impl Iterator<Item = &Compressed> {
    file.variants.iter().chain(&file.deltas)
}

impl<'a> Content<'a> {
    fn compressed(&self) -> Option<&'a Compressed> {
        compressed(self.file).nth(self.variant?)
    }

    fn len(&self) -> u64 {
        self.compressed().map_or(self.file.len, |c| c.len)
    }

    /// Content-addressed: the same bytes always have the same key.
    fn key(&self) -> String {
        match self.compressed() {
            None => self.file.hash.clone(),
            Some(Compressed {
                codec,
                dictionary: Some(dictionary),
                ..
            }) => format!("{}.{}.{dictionary}", self.file.hash, codec.as_str()),
            Some(c) => format!("{}.{}", self.file.hash, c.codec.as_str()),
        }
    }

    fn read(&self, cache: &Cache) -> Result<Vec<u8>, Error> {
        let read = |path: &Path| {
            fs::read(path).map_err(|e| Error::Read {
                path: path.to_owned(),
                source: e,
            })
        };
        match self.variant {
            None if self.file.rewrite.is_some() => self.file.read(),
            None => {
                let bytes = read(&self.file.source)?;
                // The folder may have changed since the file was hashed (or, rarer, changed
                // without its size, mtime or inode changing, so that its stamp lied): never pack
                // bytes under another content's hash, and make the next build hash it afresh.
                if crate::content_hash(&bytes) != self.file.hash {
                    cache.remove_stamp(&self.file.source);
                    return Err(Error::Changed(self.file.source.clone()));
                }
                Ok(bytes)
            }
            Some(_) => match self.compressed().map(|c| &c.stored) {
                Some(Stored::File(path)) => read(path),
                Some(Stored::Memory(bytes)) => Ok(bytes.clone()),
                None => Ok(Vec::new()),
            },
        }
    }
}

/// Where a content sits: chunk number, offset in it.
type Location = (u32, u32);

/// Writes (or finds already written) the pack of `files` in `cache`.
pub fn write_pack(
    files: &[BakedFile],
    options: &PackOptions<'_>,
    cache: &Cache,
) -> Result<Pack, Error> {
    // A rewritten file is two records: what its fingerprinted name serves, then the file as
    // written, which its plain name serves. The second stores its compressed variants but not
    // its identity bytes: they are the first's with the inserted fingerprints taken out, which
    // `kiln` does on first use, so that a binary does not hold every rewritten file twice.
    let records: Vec<Cow<'_, BakedFile>> = files
        .iter()
        .flat_map(|f| {
            let written = f.rewrite.is_some().then(|| f.as_written());
            std::iter::once(Cow::Borrowed(f)).chain(written)
        })
        .collect();
    let files: Vec<&BakedFile> = records.iter().map(|r| &**r).collect();
    let files = &files[..];
    // Which records are such derived forms: the one after a rewritten file.
    let derived: Vec<bool> = (0..files.len())
        .map(|i| i > 0 && files[i - 1].rewrite.is_some())
        .collect();
    let dir = cache.dir().join("pack");
    let cache_error = |path: &Path| {
        let path = path.to_owned();
        move |e| Error::Cache { path, source: e }
    };

    // Lay the distinct contents out in chunks, in path order.
    let mut located: HashMap<String, Location> = HashMap::new();
    let mut chunks = vec![Chunk::new()];
    let mut chunk_len = 0u64;
    for (file, &derived) in files.iter().zip(&derived) {
        let contents = stored(file, options.compressed_only);
        for content in contents.filter(|c| !(derived && c.variant.is_none())) {
            let key = content.key();
            if located.contains_key(&key) {
                continue;
            }
            let offset = u32::try_from(chunk_len)
                .ok()
                .filter(|_| content.len() <= u64::from(u32::MAX))
                .ok_or_else(|| Error::TooLarge(file.source.clone()))?;
            let chunk = u32::try_from(chunks.len() - 1).unwrap_or(u32::MAX);
            chunk_len += content.len();
            if let Some(last) = chunks.last_mut() {
                last.name.update(key.as_bytes());
                last.name.update(b"\n");
                last.contents.push(content);
            }
            located.insert(key, (chunk, offset));
        }
        let starts_low = file
            .hash
            .as_bytes()
            .first()
            .is_some_and(|b| b"0123".contains(b));
        if chunk_len >= CHUNK_MAX || (chunk_len >= CHUNK_MIN && starts_low) {
            chunks.push(Chunk::new());
            chunk_len = 0;
        }
    }
    if chunks.last().is_some_and(|c| c.contents.is_empty()) {
        chunks.pop();
    }

    let mut written = 0;
    let mut chunk_paths = Vec::with_capacity(chunks.len());
    for Chunk { contents, name } in chunks {
        let path = dir.join(format!("{}.chunk", &hex(&name.finalize())[..32]));
        let total = contents.iter().map(Content::len).sum::<u64>();
        // Written atomically, so a chunk of the right size is the right chunk.
        if fs::metadata(&path).map(|m| m.len()).ok() != Some(total) {
            let mut bytes = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
            for content in &contents {
                bytes.extend_from_slice(&content.read(cache)?);
            }
            cache
                .write_atomically(&path, &bytes)
                .map_err(cache_error(&path))?;
            written += 1;
        }
        chunk_paths.push(path);
    }

    let body = meta(files, &derived, options, &located)?;
    // Named by the layout version too: a pack of another version is another file.
    let name = Sha256::new()
        .chain_update(VERSION.to_le_bytes())
        .chain_update(&body)
        .finalize();
    let meta_path = dir.join(format!("{}.meta", &hex(&name)[..32]));
    if fs::metadata(&meta_path).is_err() {
        let mut meta = Vec::with_capacity(body.len() / 3 + 16);
        meta.extend_from_slice(MAGIC);
        put_u32(&mut meta, VERSION);
        put_u32(&mut meta, body.len() as u32);
        let params = brotli::enc::BrotliEncoderParams {
            quality: META_QUALITY,
            size_hint: body.len(),
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &body[..], &mut meta, &params)
            .map_err(cache_error(&meta_path))?;
        cache
            .write_atomically(&meta_path, &meta)
            .map_err(cache_error(&meta_path))?;
        written += 1;
    }

    let pack = Pack {
        meta: meta_path,
        chunks: chunk_paths,
        written,
    };
    record_use(&dir, options.bundle_id, &pack, cache).map_err(cache_error(&dir))?;
    if written > 0 {
        // Best effort: a file that cannot be removed now will be next time.
        let _ = remove_unused(&dir);
    }
    Ok(pack)
}

/// The body of the meta file. The file is `"KILNPACK" version:u32 body_len:u32` and the body
/// compressed with brotli at [`META_QUALITY`] (a quarter of the size: paths and content types
/// compress well). Little-endian throughout:
///
/// ```text
/// header   assets:u32 variants:u32 text_len:u32 prefix_len:u32
/// text     text_len bytes of UTF-8: the prefix, then each asset's strings
/// assets   assets x { text_off:u32 ends:[u16; 7] flags:u8 identity:VARIANT
///                     variant_count:u8 insertion_count:u32 }
/// variants variants x VARIANT, each asset's in turn
/// inserts  insertion_count x u32 for each asset in turn: where fingerprints were inserted
/// VARIANT  encoding:u8 chunk:u32 offset:u32 bytes_len:u32 len:u64
/// ```
///
/// A file whose references were rewritten has two records: the first describes the rewritten
/// bytes (its fingerprinted name) and lists where fingerprints were inserted; the second, flagged,
/// describes the file as written (its plain name), whose bytes are not stored: they are the
/// first's without the insertions.
///
/// An asset's strings are its path, fingerprinted path, URL start (prefix and `/`), URL path,
/// content type, SRI string and content hash (hex), back to back; `ends` says where each ends,
/// relative to `text_off`. Entity tags and decimal lengths are not stored: they are made from the
/// hash and `len` when the pack is read, which keeps 64-character hashes out of the binary a
/// second and third time. `encoding` is kiln-codec's pack code (0 identity, 1 brotli, 2 zstd,
/// 3 gzip, 4 dcb, 5 dcz); `bytes_len` is 0 for an empty file and for the identity of a
/// compressed-only asset (whose `len` is still the file's length). An asset's variants come
/// first, then its deltas (`dcb`, `dcz`), whose bytes start with the hash of the dictionary they
/// answer to (RFC 9842 §4): the meta does not repeat it.
///
/// `flags`: bit 0 compressed-only, bit 1 the file as written of the record before, bit 2 offered
/// as a compression dictionary (`Use-As-Dictionary` under its fingerprinted URL).
fn meta(
    files: &[&BakedFile],
    derived: &[bool],
    options: &PackOptions<'_>,
    located: &HashMap<String, Location>,
) -> Result<Vec<u8>, Error> {
    let mut text = String::from(options.prefix);
    let url_start = format!("{}/", options.prefix);

    let mut assets = Vec::new();
    let mut variants = Vec::new();
    let mut removals = Vec::new();
    let mut variant_count = 0u32;
    for (index, &file) in files.iter().enumerate() {
        let too_large = || Error::TooLarge(file.source.clone());
        let lazy = is_compressed_only(file, options.compressed_only);
        put_u32(
            &mut assets,
            u32::try_from(text.len()).map_err(|_| too_large())?,
        );
        let url_path = url_encode(&file.fingerprinted);
        let mut len = 0;
        // The hash follows the texts the runtime's `Asset` keeps: its entity tags are made of it.
        let parts = record_texts(file, &url_start, &url_path);
        for part in parts.into_iter().chain([file.hash.as_str()]) {
            text.push_str(part);
            len += part.len();
            let end = u16::try_from(len).map_err(|_| too_large())?;
            assets.extend_from_slice(&end.to_le_bytes());
        }
        // Bit 0: compressed-only; bit 1: the file as written of the record before, whose
        // bytes are the record before's with its insertions removed (see `write_pack`).
        let as_written = derived[index];
        let lazy = lazy && !as_written;
        let dictionary = options.dictionaries && !as_written && is_dictionary_type(&file.path);
        assets.push(u8::from(lazy) | (u8::from(as_written) << 1) | (u8::from(dictionary) << 2));

        // Whether the pack holds the identity bytes: the first content `stored` yields.
        let identity_stored = !as_written
            && stored(file, options.compressed_only)
                .next()
                .is_some_and(|c| c.variant.is_none());
        let variant = |out: &mut Vec<u8>, code: u8, content: Content<'_>, is_stored: bool| {
            let len = content.len();
            let place = is_stored.then(|| located.get(&content.key())).flatten();
            let (chunk, offset, bytes_len) = match place {
                Some(&(chunk, offset)) => (chunk, offset, len as u32),
                None => (0, 0, 0),
            };
            out.push(code);
            put_u32(out, chunk);
            put_u32(out, offset);
            put_u32(out, bytes_len);
            out.extend_from_slice(&len.to_le_bytes());
        };
        let identity = Content {
            file,
            variant: None,
        };
        variant(&mut assets, 0, identity, identity_stored);
        let count = file.variants.len() + file.deltas.len();
        assets.push(u8::try_from(count).map_err(|_| too_large())?);
        // The insertions to remove, for the record after (the file as written).
        let insertions = file.rewrite.as_ref().map_or(&[][..], |r| &r.insertions[..]);
        put_u32(
            &mut assets,
            u32::try_from(insertions.len()).map_err(|_| too_large())?,
        );
        for &at in insertions {
            put_u32(&mut removals, u32::try_from(at).map_err(|_| too_large())?);
        }
        for (i, v) in compressed(file).enumerate() {
            // kiln-codec's table gives the code (identity is 0); the runtime reads it back there.
            let code = v.codec.pack_code();
            let content = Content {
                file,
                variant: Some(i),
            };
            variant(&mut variants, code, content, true);
            variant_count += 1;
        }
    }

    let mut out = Vec::with_capacity(16 + text.len() + assets.len() + variants.len());
    put_u32(&mut out, files.len() as u32);
    put_u32(&mut out, variant_count);
    put_u32(&mut out, text.len() as u32);
    put_u32(&mut out, options.prefix.len() as u32);
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&assets);
    out.extend_from_slice(&variants);
    out.extend_from_slice(&removals);
    Ok(out)
}

/// The texts of an asset, in the order the runtime's `Asset` keeps them back to back: its path,
/// its fingerprinted path, where its URL starts (the prefix and a `/`), its URL's path
/// (`url_encode`d fingerprinted path), its content type and its SRI string. The one layout of an
/// asset's text, for the pack and for the runtime's assets made at run time.
pub fn record_texts<'a>(
    file: &'a BakedFile,
    url_start: &'a str,
    url_path: &'a str,
) -> [&'a str; 6] {
    [
        &file.path,
        &file.fingerprinted,
        url_start,
        url_path,
        &file.content_type,
        &file.integrity,
    ]
}

fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

/// Writes the names of `pack`'s files to the bundle's list (`<bundle_id>.uses`), unless it
/// already says exactly that.
fn record_use(dir: &Path, bundle_id: &str, pack: &Pack, cache: &Cache) -> std::io::Result<()> {
    let mut list = String::new();
    for path in std::iter::once(&pack.meta).chain(&pack.chunks) {
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            list.push_str(name);
            list.push('\n');
        }
    }
    let name = hex(&Sha256::digest(bundle_id.as_bytes()));
    let path = dir.join(format!("{}.uses", &name[..32]));
    match fs::read_to_string(&path) {
        // Rewritten anyway once a day, so that lists of live bundles do not expire.
        Ok(old) if old == list && age(&path) < Some(Duration::from_secs(24 * 3600)) => Ok(()),
        _ => cache.write_atomically(&path, list.as_bytes()),
    }
}

fn age(path: &Path) -> Option<Duration> {
    let modified = fs::metadata(path).and_then(|m| m.modified()).ok()?;
    SystemTime::now().duration_since(modified).ok()
}

/// Removes pack files that no bundle's list names and that are older than [`UNUSED_GRACE`] (a
/// build running right now may have just written them), and lists older than [`LIST_EXPIRY`].
fn remove_unused(dir: &Path) -> std::io::Result<()> {
    let mut used = HashSet::new();
    let mut candidates = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if name.ends_with(".uses") {
            if age(&path).is_some_and(|a| a > LIST_EXPIRY) {
                let _ = fs::remove_file(&path);
                continue;
            }
            if let Ok(list) = fs::read_to_string(&path) {
                used.extend(list.lines().map(str::to_owned));
            }
        } else if name.ends_with(".chunk") || name.ends_with(".meta") {
            candidates.push((name, path));
        }
    }
    for (name, path) in candidates {
        if !used.contains(&name) && age(&path).is_some_and(|a| a > UNUSED_GRACE) {
            let _ = fs::remove_file(&path);
        }
    }
    Ok(())
}
