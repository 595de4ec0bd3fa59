//! Uploading a bundle to object storage (the `upload` feature): S3 and S3-compatible stores,
//! Google Cloud Storage, Azure Blob Storage and local folders, through `object_store`, for a CDN
//! to serve.
//!
//! Every file of [`Bundle::files`](crate::Bundle::files) becomes an object: every fingerprinted
//! asset with its `Content-Type`,
//! `Cache-Control: public, max-age=31536000, immutable` and its SHA-256 in the metadata
//! `kiln-sha256`; its plain name an object with `Cache-Control: no-cache`; each precompressed
//! variant a sibling object (`app.3f2a9c1e8b47.css.br`, `.gz`, `.zst`) with the same type and its
//! `Content-Encoding`, for a CDN that picks the sibling by `Accept-Encoding` (see the README's
//! "Deploying"). `staticfiles.json` comes last, once every object it names is there.
//!
//! An object whose metadata already has the same hash (and cache policy) is skipped, so a second
//! upload of the same bundle sends nothing, and an upload that stopped half-way resumes where it
//! stopped (object stores write an object whole or not at all). Nothing is deleted unless asked:
//! each upload records the keys it wrote under `.kiln/uploads/`, and `prune` keeps the objects of
//! the last N uploads and deletes the other ones Kiln wrote.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, ObjectStore, ObjectStoreExt as _,
    PutOptions, PutPayload,
};

use crate::bundle::Bundle;
use crate::files::{MANIFEST_NAME, OutputFile};

/// `Cache-Control` of fingerprinted objects (the service's default for fingerprinted URLs).
pub const IMMUTABLE: &str = crate::service::response::IMMUTABLE;
/// `Cache-Control` of plain names and the manifest (the service's default for plain URLs).
pub const NO_CACHE: &str = crate::service::response::NO_CACHE;

/// The user metadata that holds an object's SHA-256 (hex).
pub const HASH_METADATA: &str = "kiln-sha256";

/// A progress callback: (objects done, objects in all, bytes sent so far).
pub type Progress = Arc<dyn Fn(usize, usize, u64) + Send + Sync>;

/// How to upload.
#[derive(Clone)]
#[non_exhaustive]
pub struct UploadOptions {
    /// Decide what to upload, upload nothing.
    pub dry_run: bool,
    /// Objects sent at once.
    pub jobs: usize,
    /// Attempts per object (the first included) before the upload fails; waits grow from
    /// 200 ms, doubling.
    pub attempts: u32,
    /// Keep the objects of the last this many uploads (this one included) and delete the other
    /// objects earlier uploads wrote; `None` deletes nothing.
    pub prune: Option<usize>,
    /// Called after each object with (objects done, objects in all, bytes sent so far).
    pub progress: Option<Progress>,
}

impl std::fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadOptions")
            .field("dry_run", &self.dry_run)
            .field("jobs", &self.jobs)
            .field("attempts", &self.attempts)
            .field("prune", &self.prune)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            dry_run: false,
            jobs: 8,
            attempts: 4,
            prune: None,
            progress: None,
        }
    }
}

/// What an upload did (or, in a dry run, would do: the same names and counts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Uploaded {
    /// Objects sent (or, in a dry run, that would be).
    pub uploaded: usize,
    /// Objects already there with the same hash.
    pub skipped: usize,
    /// Bytes sent (or that would be).
    pub bytes: u64,
    /// Objects deleted by `prune` (or that would be).
    pub deleted: usize,
    /// The names sent (or that would be), in the order they were sent: fingerprinted names,
    /// then plain ones, then `staticfiles.json`.
    pub sent: Vec<String>,
    /// The names `prune` deleted (or would delete), sorted.
    pub pruned: Vec<String>,
}

/// An upload that failed: which object, and why.
#[derive(Debug)]
pub struct UploadError {
    what: String,
    source: Option<object_store::Error>,
    /// What the failure means and what to do, when Kiln recognises it: shown in place of the
    /// store's own message (which stays available as the error's source).
    cause: Option<String>,
}

impl UploadError {
    /// Whether retrying cannot help: no credentials, no bucket, access denied, a bad URL.
    fn is_permanent(&self) -> bool {
        self.cause.is_some() || self.source.is_none()
    }
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what)?;
        match (&self.cause, &self.source) {
            (Some(cause), _) => write!(f, ": {cause}"),
            (None, Some(source)) => write!(f, ": {source}"),
            (None, None) => Ok(()),
        }
    }
}

impl std::error::Error for UploadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

fn error(what: impl Into<String>, source: object_store::Error) -> UploadError {
    UploadError {
        what: what.into(),
        cause: explain(&source),
        source: Some(source),
    }
}

/// What a store's error means, in one line with the fix, for the failures a user can act on;
/// `None` for others (a network error worth retrying, say), shown as the store words them.
fn explain(error: &object_store::Error) -> Option<String> {
    // The stores' errors are words and status codes, not types: read them as such.
    let text = format!("{error:?} {error}");
    let has = |needle: &str| text.contains(needle);
    // Without keys, the AWS client asks the instance metadata service, which answers nowhere
    // but on a cloud machine.
    let metadata = has("/latest/api/token") || has("/latest/meta-data") || has("169.254.170.2");
    if metadata || has("credential") && !has("Signature") {
        return Some(
            "no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or run with \
             an instance, container or web-identity role; GOOGLE_SERVICE_ACCOUNT for gs://, \
             AZURE_STORAGE_ACCOUNT_KEY for az://)"
                .into(),
        );
    }
    if has("NoSuchBucket") || has("ContainerNotFound") || has("bucket does not exist") {
        let bucket = text
            .split("<BucketName>")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or("the bucket");
        return Some(format!(
            "bucket `{bucket}` does not exist: create it, or check the URL (and AWS_ENDPOINT_URL)"
        ));
    }
    if has("InvalidAccessKeyId") || has("SignatureDoesNotMatch") {
        return Some(
            "the store refused the credentials: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                .into(),
        );
    }
    if let Some(at) = text.find("InvalidCertificate(") {
        // rustls's reason, e.g. `InvalidCertificate(UnknownIssuer)`: up to its closing paren.
        let mut depth = 0;
        let end = text[at..]
            .char_indices()
            .find_map(|(i, c)| {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 1 => return Some(at + i + 1),
                    ')' => depth -= 1,
                    _ => {}
                }
                None
            })
            .unwrap_or(text.len());
        return Some(format!(
            "the store's TLS certificate was refused ({}): check the URL and AWS_ENDPOINT_URL, \
             or add the certificate's CA to SSL_CERT_FILE",
            &text[at..end]
        ));
    }
    if has("AccessDenied") || has("403 Forbidden") {
        return Some(
            "access denied: the credentials may not write to this bucket and prefix (they need \
             PutObject, GetObject, ListBucket and, for --prune, DeleteObject)"
                .into(),
        );
    }
    None
}

/// What a failure that retrying did not cure most likely is, for the last attempt's message.
fn explain_lasting(error: &object_store::Error) -> Option<String> {
    let text = format!("{error:?} {error}");
    let unreachable = [
        "error sending request",
        "Connection refused",
        "dns error",
        "timed out",
    ];
    unreachable
        .iter()
        .any(|needle| text.contains(needle))
        .then(|| {
            let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
            format!(
                "cannot reach the store{}: check the URL, AWS_ENDPOINT_URL and the network",
                endpoint.map_or_else(String::new, |e| format!(" at `{e}`"))
            )
        })
}

/// Object stores retry by themselves; Kiln's attempts (see [`UploadOptions::attempts`]) are the
/// one retry policy, so theirs is off.
fn no_retries() -> object_store::RetryConfig {
    object_store::RetryConfig {
        max_retries: 0,
        ..object_store::RetryConfig::default()
    }
}

/// Opens the store at `url` (`s3://bucket/prefix`, `gs://`, `az://`, `file:///path`, ...),
/// configured the way the vendors' tools are: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_REGION`, `AWS_ENDPOINT_URL` (plain `http://` is allowed for a loopback endpoint, such as
/// a local S3-compatible server), `GOOGLE_*`, `AZURE_*`.
pub fn open(url: &str) -> Result<(Box<dyn ObjectStore>, Path), UploadError> {
    let parsed = url::Url::parse(url).map_err(|e| UploadError {
        what: format!("`{url}` is not a URL ({e}); expected e.g. s3://bucket/prefix"),
        source: None,
        cause: None,
    })?;
    let mut options: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| {
            let k = k.to_ascii_uppercase();
            k.starts_with("AWS_") || k.starts_with("GOOGLE_") || k.starts_with("AZURE_")
        })
        .collect();
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .or_else(|_| std::env::var("AWS_ENDPOINT"))
        .ok();
    if let Some(endpoint) = endpoint
        && let Ok(endpoint) = url::Url::parse(&endpoint)
        && endpoint.scheme() == "http"
        && is_loopback(&endpoint)
    {
        options.push(("aws_allow_http".into(), "true".into()));
        options.push(("allow_http".into(), "true".into()));
    }
    install_tls();
    let opened = (|| -> Result<_, object_store::Error> {
        let (scheme, path) = object_store::ObjectStoreScheme::parse(&parsed)?;
        let path = Path::parse(path)?;
        Ok(cloud(scheme, &parsed, &options)?.map(|store| (store, path)))
    })();
    match opened {
        Ok(Some(opened)) => Ok(opened),
        Ok(None) => object_store::parse_url_opts(&parsed, options),
        Err(e) => Err(e),
    }
    .map_err(|e| error(format!("cannot open `{url}`"), e))
}

/// The cloud store at `url`, built with `options` and without retries of its own; `None` for
/// other schemes (a local folder, memory).
fn cloud(
    scheme: object_store::ObjectStoreScheme,
    url: &url::Url,
    options: &[(String, String)],
) -> Result<Option<Box<dyn ObjectStore>>, object_store::Error> {
    use object_store::ObjectStoreScheme as Scheme;
    /// Builds `$builder` from `url` and the options it understands.
    macro_rules! build {
        ($builder:ty) => {{
            let builder = options.iter().fold(
                <$builder>::new().with_url(url.to_string()),
                |builder, (key, value)| match key.to_ascii_lowercase().parse() {
                    Ok(key) => builder.with_config(key, value.clone()),
                    Err(_) => builder,
                },
            );
            Some(Box::new(builder.with_retry(no_retries()).build()?) as Box<dyn ObjectStore>)
        }};
    }
    Ok(match scheme {
        Scheme::AmazonS3 => build!(object_store::aws::AmazonS3Builder),
        Scheme::GoogleCloudStorage => build!(object_store::gcp::GoogleCloudStorageBuilder),
        Scheme::MicrosoftAzure => build!(object_store::azure::MicrosoftAzureBuilder),
        _ => None,
    })
}

/// Makes *ring* the process's rustls crypto, which the cloud stores' HTTPS clients use (Kiln
/// builds them without aws-lc-rs, a C library that takes minutes to compile), unless the app
/// installed a provider of its own already.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Uploads `objects` (the files of [`Bundle::files`], or others) into `store` under `prefix`,
/// each under its name (see the module docs).
pub async fn upload_objects(
    store: &dyn ObjectStore,
    prefix: &Path,
    objects: Vec<OutputFile>,
    options: &UploadOptions,
) -> Result<Uploaded, UploadError> {
    let key = |name: &str| object_path(prefix, name);
    // Fingerprinted objects first, plain names next, the manifest last: a CDN never sees a name
    // that points at an object not there yet.
    let mut objects = objects;
    objects.sort_by_key(|o| (!o.is_immutable(), o.name() == MANIFEST_NAME));
    let total = objects.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let sent = std::sync::atomic::AtomicU64::new(0);
    let manifest_at = objects.iter().position(|o| o.name() == MANIFEST_NAME);
    let (before, last) = match manifest_at {
        Some(at) => {
            let last = objects.remove(at);
            (objects, Some(last))
        }
        None => (objects, None),
    };
    let one = |object: OutputFile| {
        let path = key(object.name());
        let done = &done;
        let sent = &sent;
        async move {
            let hash = crate::page::sha256_hex(object.bytes());
            let current = is_current(store, &path, &object, &hash).await;
            let uploaded = if current {
                false
            } else {
                if !options.dry_run {
                    put(store, &path, &object, &hash, options.attempts).await?;
                }
                true
            };
            let bytes = if uploaded {
                object.bytes().len() as u64
            } else {
                0
            };
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let total_sent = sent.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed) + bytes;
            if let Some(progress) = &options.progress {
                progress(n, total, total_sent);
            }
            Ok::<_, UploadError>((object.name().to_owned(), uploaded, bytes))
        }
    };
    let mut report = Uploaded::default();
    // In the order given (`buffered`, not `buffer_unordered`), so that `sent` lists the names in
    // upload order whatever finished first.
    let results: Vec<(String, bool, u64)> =
        futures_util::stream::iter(before.iter().cloned().map(one))
            .buffered(options.jobs.max(1))
            .try_collect()
            .await?;
    let last_result = match &last {
        Some(object) => Some(one(object.clone()).await?),
        None => None,
    };
    for (name, uploaded, bytes) in results.into_iter().chain(last_result) {
        if uploaded {
            report.uploaded += 1;
            report.bytes += bytes;
            report.sent.push(name);
        } else {
            report.skipped += 1;
        }
    }
    let keys: Vec<&str> = before
        .iter()
        .chain(&last)
        .filter(|o| o.is_immutable())
        .map(OutputFile::name)
        .collect();
    if options.dry_run {
        // What the real run would prune: the records as they are, and this upload's as the
        // newest one.
        if let Some(keep) = options.prune {
            let (names, _) = prune_plan(store, prefix, keep.max(1), Some(&keys)).await?;
            report.pruned = names;
        }
    } else {
        record(store, prefix, &keys).await?;
        if let Some(keep) = options.prune {
            report.pruned = prune(store, prefix, keep.max(1)).await?;
        }
    }
    report.deleted = report.pruned.len();
    Ok(report)
}

/// Whether `path` already holds `object`: its hash in the metadata, the same cache policy and
/// size; for a store that keeps no metadata (a local folder), the same bytes.
async fn is_current(store: &dyn ObjectStore, path: &Path, object: &OutputFile, hash: &str) -> bool {
    let head = GetOptions {
        head: true,
        ..GetOptions::default()
    };
    let Ok(found) = store.get_opts(path, head).await else {
        return false;
    };
    if found.meta.size != object.bytes().len() as u64 {
        return false;
    }
    let attributes = &found.attributes;
    match attributes.get(&Attribute::Metadata(HASH_METADATA.into())) {
        Some(stored) => {
            &**stored == hash
                && attributes
                    .get(&Attribute::CacheControl)
                    .is_some_and(|c| &**c == object.cache_control())
        }
        None => match store.get(path).await {
            Ok(got) => got
                .bytes()
                .await
                .is_ok_and(|bytes| crate::page::sha256_hex(&bytes) == hash),
            Err(_) => false,
        },
    }
}

/// Puts `object` at `path`, retrying with growing waits.
async fn put(
    store: &dyn ObjectStore,
    path: &Path,
    object: &OutputFile,
    hash: &str,
    attempts: u32,
) -> Result<(), UploadError> {
    let mut attributes = Attributes::new();
    attributes.insert(
        Attribute::ContentType,
        AttributeValue::from(object.content_type().to_owned()),
    );
    attributes.insert(
        Attribute::CacheControl,
        AttributeValue::from(object.cache_control()),
    );
    if let Some(encoding) = object.content_encoding() {
        attributes.insert(Attribute::ContentEncoding, AttributeValue::from(encoding));
    }
    attributes.insert(
        Attribute::Metadata(HASH_METADATA.into()),
        AttributeValue::from(hash.to_owned()),
    );
    let mut wait = Duration::from_millis(200);
    let mut attempt = 1;
    let mut with_attributes = true;
    loop {
        let options = PutOptions {
            attributes: if with_attributes {
                attributes.clone()
            } else {
                Attributes::new()
            },
            ..PutOptions::default()
        };
        let payload = PutPayload::from(object.bytes().clone());
        match store.put_opts(path, payload, options).await {
            Ok(_) => return Ok(()),
            // A store without attributes (a local folder) takes the bytes alone.
            Err(object_store::Error::NotImplemented { .. }) if with_attributes => {
                with_attributes = false;
            }
            Err(e) => {
                let failed = error(format!("cannot upload `{path}`"), e);
                // No credentials, no bucket, no access: the same answer every time, so no retry.
                if failed.is_permanent() {
                    return Err(failed);
                }
                if attempt >= attempts {
                    return Err(UploadError {
                        what: format!("{} (attempt {attempt} of {attempts})", failed.what),
                        cause: failed.source.as_ref().and_then(explain_lasting),
                        ..failed
                    });
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
                attempt += 1;
            }
        }
    }
}

/// The folder of upload records under `prefix`.
fn records_dir(prefix: &Path) -> Path {
    prefix.clone().join(".kiln").join("uploads")
}

/// Records the fingerprinted keys this upload wrote, as `.kiln/uploads/<millis>.json`.
async fn record(store: &dyn ObjectStore, prefix: &Path, keys: &[&str]) -> Result<(), UploadError> {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut json = String::from("[");
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        crate::json::write_string(&mut json, key);
    }
    json.push(']');
    let path = records_dir(prefix).join(format!("{millis:020}.json"));
    store
        .put(&path, PutPayload::from(json.into_bytes()))
        .await
        .map_err(|e| error(format!("cannot write the upload record `{path}`"), e))?;
    Ok(())
}

/// What [`prune`] deletes: the objects that the upload records older than the last `keep` name
/// and the kept ones do not, those that exist, sorted; and those old records. `this_upload`, in a
/// dry run, is the keys the upload would record, as the newest record.
async fn prune_plan(
    store: &dyn ObjectStore,
    prefix: &Path,
    keep: usize,
    this_upload: Option<&[&str]>,
) -> Result<(Vec<String>, Vec<Path>), UploadError> {
    let dir = records_dir(prefix);
    let mut records: Vec<Path> = store
        .list(Some(&dir))
        .map_ok(|meta| meta.location)
        .try_collect()
        .await
        .map_err(|e| error(format!("cannot list `{dir}`"), e))?;
    records.sort();
    let newest: Vec<String> = this_upload
        .into_iter()
        .flatten()
        .map(|&key| key.to_owned())
        .collect();
    let total = records.len() + usize::from(this_upload.is_some());
    if total <= keep {
        return Ok((Vec::new(), Vec::new()));
    }
    let (old, kept) = records.split_at(total - keep);
    let read = |path: Path| async move {
        let bytes = store
            .get(&path)
            .await
            .map_err(|e| error(format!("cannot read `{path}`"), e))?
            .bytes()
            .await
            .map_err(|e| error(format!("cannot read `{path}`"), e))?;
        Ok::<Vec<String>, UploadError>(crate::json::strings(&String::from_utf8_lossy(&bytes)))
    };
    let mut keep_keys: std::collections::HashSet<String> = newest.into_iter().collect();
    for path in kept {
        keep_keys.extend(read(path.clone()).await?);
    }
    let mut names = std::collections::BTreeSet::new();
    for path in old {
        for key in read(path.clone()).await? {
            if keep_keys.contains(&key) || names.contains(&key) {
                continue;
            }
            // Only what is there: a store deletes a missing key without complaint, and a dry
            // run must name what the real run deletes.
            match store.head(&object_path(prefix, &key)).await {
                Ok(_) => {
                    names.insert(key);
                }
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(error(format!("cannot look up `{key}`"), e)),
            }
        }
    }
    Ok((names.into_iter().collect(), old.to_vec()))
}

/// Deletes what [`prune_plan`] names, objects then records; returns the objects' names.
async fn prune(
    store: &dyn ObjectStore,
    prefix: &Path,
    keep: usize,
) -> Result<Vec<String>, UploadError> {
    let (names, records) = prune_plan(store, prefix, keep, None).await?;
    for name in &names {
        let object = object_path(prefix, name);
        match store.delete(&object).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(error(format!("cannot delete `{object}`"), e)),
        }
    }
    for path in records {
        store
            .delete(&path)
            .await
            .map_err(|e| error(format!("cannot delete `{path}`"), e))?;
    }
    Ok(names)
}

/// The object of `name` (`/`-separated) under `prefix`.
fn object_path(prefix: &Path, name: &str) -> Path {
    name.split('/')
        .fold(prefix.clone(), |path, part| path.clone().join(part))
}

impl Bundle {
    /// Uploads the bundle, exactly what this binary holds, to `url` (`s3://bucket/prefix`,
    /// `gs://...`, `az://...`, `file:///...`); see the [`upload`](crate::upload) module for what
    /// each object gets and how credentials are found. A second upload of the same bundle sends
    /// nothing.
    ///
    /// ```no_run
    /// # #[derive(kiln::Embed)]
    /// # #[kiln(folder = "static")]
    /// # struct Static;
    /// # async fn deploy() -> Result<(), kiln::upload::UploadError> {
    /// use kiln::Embed as _;
    /// let done = Static::bundle().upload("s3://my-bucket/static").await?;
    /// println!("{} uploaded, {} already there", done.uploaded, done.skipped);
    /// # Ok(()) }
    /// ```
    pub async fn upload(&'static self, url: &str) -> Result<Uploaded, UploadError> {
        self.upload_with(url, &UploadOptions::default()).await
    }

    /// [`upload`](Self::upload) with options (dry run, parallelism, retries, pruning, progress).
    pub async fn upload_with(
        &'static self,
        url: &str,
        options: &UploadOptions,
    ) -> Result<Uploaded, UploadError> {
        let (store, prefix) = open(url)?;
        upload_objects(&*store, &prefix, self.files(), options).await
    }
}
