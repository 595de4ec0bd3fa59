//! `kiln`: the command-line side of Kiln, on the same `kiln-bake` the derive uses, so that what
//! it writes or uploads is byte for byte what `#[derive(kiln::Embed)]` bakes for the same folder
//! and options.
//!
//! ```text
//! kiln export FOLDER OUT      Django's collectstatic: plain and fingerprinted names, .br/.gz
//!                             siblings and staticfiles.json, for nginx
//! kiln manifest FOLDER        print {"path": "fingerprinted path", ...}
//! kiln check FOLDER           dangling references, name clashes, oversized files (exit 1)
//! kiln upload FOLDER URL      to s3://bucket/prefix (or gs://, az://, file://) for a CDN
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use kiln_bake::{Baked, Cache, Codec, Config};

#[derive(Parser)]
#[command(name = "kiln", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write FOLDER's assets into OUT for nginx (Django's collectstatic).
    ///
    /// Plain and fingerprinted names, .br/.gz/.zst siblings, staticfiles.json, byte for byte
    /// what the derive bakes. Files already there with the same bytes are left alone; old
    /// fingerprinted files are kept unless --prune.
    Export {
        #[command(flatten)]
        bake: BakeArgs,
        /// The folder to write into (created if missing).
        out: PathBuf,
        /// Remove the files of the previous export that this one does not write.
        #[arg(long)]
        prune: bool,
    },
    /// Print the manifest: {"path": "fingerprinted path", ...}.
    ///
    /// The shape of Django's staticfiles.json `paths`, and of `Static::manifest_json()`.
    Manifest {
        #[command(flatten)]
        bake: BakeArgs,
    },
    /// Check FOLDER for CI; exit status 1 on any problem.
    ///
    /// Problems: references that resolve to no file, import cycles, names that clash, files over
    /// the size limit.
    Check {
        #[command(flatten)]
        bake: BakeArgs,
        /// Files larger than this many bytes are errors (the derive warns from 32 MiB).
        #[arg(long, default_value_t = 32 << 20)]
        max_size: u64,
    },
    /// Upload FOLDER's assets to S3-compatible storage (or gs://, az://, file://) for a CDN.
    ///
    /// Credentials, region and endpoint come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_REGION and AWS_ENDPOINT_URL (plain http only for a loopback endpoint). Fingerprinted
    /// names are immutable, plain names no-cache, each precompressed variant a sibling object
    /// with its Content-Encoding. Objects already there with the same hash are skipped; nothing
    /// is deleted unless --prune.
    Upload {
        #[command(flatten)]
        bake: BakeArgs,
        /// Where to: s3://bucket/prefix, gs://bucket/prefix, az://container/prefix, file:///dir.
        url: String,
        /// Say what would be uploaded, upload nothing.
        #[arg(long)]
        dry_run: bool,
        /// Objects sent at once.
        #[arg(long, default_value_t = 8)]
        jobs: usize,
        /// Attempts per object before giving up (waits double from 200 ms).
        #[arg(long, default_value_t = 4)]
        attempts: u32,
        /// Keep the objects of the last N uploads (this one included), delete the others Kiln
        /// uploaded.
        #[arg(long, value_name = "N")]
        prune: Option<usize>,
    },
}

/// What to bake and how: the derive's attributes as options.
#[derive(Args)]
struct BakeArgs {
    /// The asset folder.
    folder: PathBuf,
    /// The URL prefix the assets are served under (the derive's `prefix`).
    #[arg(long, default_value = "/static")]
    prefix: String,
    /// Only files matching this glob (repeatable; the derive's `include`).
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Leave out files matching this glob (repeatable; the derive's `exclude`).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Precompressed variants: a comma-separated list of br, gzip, zstd, or `none`.
    #[arg(long, value_delimiter = ',', value_name = "CODECS")]
    compress: Option<Vec<String>>,
    /// Serve CSS and JavaScript as written, without rewriting references (`rewrite = false`).
    #[arg(long)]
    no_rewrite: bool,
    /// Where compressed variants are cached between runs.
    #[arg(long, env = "KILN_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

impl BakeArgs {
    fn config(&self) -> Result<Config, String> {
        let prefix = kiln_bake::normalise_prefix(&self.prefix)?;
        let codecs = match &self.compress {
            None => Codec::available().to_vec(),
            Some(names) if names.iter().any(|n| n == "none") => {
                if names.len() > 1 {
                    return Err("`none` cannot be combined with other codecs".into());
                }
                Vec::new()
            }
            Some(names) => {
                let mut codecs = Vec::new();
                for name in names {
                    let codec = match name.as_str() {
                        "br" | "brotli" => Codec::Brotli,
                        "gzip" | "gz" => Codec::Gzip,
                        "zstd" | "zst" => Codec::Zstd,
                        other => {
                            return Err(format!(
                                "unknown codec `{other}`; expected br, gzip, zstd or none"
                            ));
                        }
                    };
                    if !codec.is_available() {
                        return Err(format!(
                            "this kiln was built without {name}: `cargo install --path cli \
                             --features zstd`"
                        ));
                    }
                    if !codecs.contains(&codec) {
                        codecs.push(codec);
                    }
                }
                codecs
            }
        };
        let cache = self.cache_dir.clone().unwrap_or_else(default_cache_dir);
        Ok(Config {
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            codecs,
            cache: Some(Cache::new(cache)),
            rewrite: !self.no_rewrite,
            prefix,
            ..Config::new(&self.folder)
        })
    }

    fn bake(&self) -> Result<Baked, String> {
        let config = self.config()?;
        kiln_bake::bake(&config).map_err(|e| e.to_string())
    }
}

/// `$XDG_CACHE_HOME/kiln`, `~/.cache/kiln`, or `.kiln-cache` here.
fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("kiln");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("kiln");
    }
    PathBuf::from(".kiln-cache")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("kiln: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Export { bake, out, prune } => {
            let baked = bake.bake()?;
            let done = kiln_bake::export(&baked.files, &out, prune).map_err(|e| e.to_string())?;
            println!(
                "exported {} files to {}: {} written ({} bytes), {} unchanged{}",
                baked.files.len(),
                out.display(),
                done.written,
                done.bytes,
                done.unchanged,
                if prune {
                    format!(", {} removed", done.removed)
                } else {
                    String::new()
                }
            );
            report_dangling(&baked);
            Ok(ExitCode::SUCCESS)
        }
        Command::Manifest { bake } => {
            println!("{}", kiln_bake::manifest_json(&bake.bake()?.files));
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { bake, max_size } => check(&bake, max_size),
        Command::Upload {
            bake,
            url,
            dry_run,
            jobs,
            attempts,
            prune,
        } => {
            let baked = bake.bake()?;
            report_dangling(&baked);
            let objects = objects(&baked)?;
            let mut options = kiln::upload::UploadOptions::default();
            options.dry_run = dry_run;
            options.jobs = jobs;
            options.attempts = attempts.max(1);
            options.prune = prune;
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                options.progress = Some(std::sync::Arc::new(progress_bar));
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the runtime: {e}"))?;
            let done = runtime.block_on(async {
                let (store, prefix) = kiln::upload::open(&url).map_err(|e| e.to_string())?;
                kiln::upload::upload_objects(&*store, &prefix, objects, &options)
                    .await
                    .map_err(|e| e.to_string())
            });
            if options.progress.is_some() {
                eprintln!();
            }
            let done = done?;
            let verb = if dry_run { "would upload" } else { "uploaded" };
            println!(
                "{verb} {} objects ({} bytes), skipped {} already there{}",
                done.uploaded,
                done.bytes,
                done.skipped,
                match prune {
                    Some(_) => format!(", deleted {}", done.deleted),
                    None => String::new(),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Draws `[#####-----] done/total objects, bytes` over itself on the terminal.
fn progress_bar(done: usize, total: usize, bytes: u64) {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    eprint!(
        "\r[{}{}] {done}/{total} objects, {:.1} MB sent",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        bytes as f64 / 1e6
    );
}

/// What `kiln upload` sends: the objects `Bundle::upload` sends for the same folder and options.
fn objects(baked: &Baked) -> Result<Vec<kiln::upload::Object>, String> {
    use kiln::upload::{IMMUTABLE, NO_CACHE, Object};
    let mut out = Vec::new();
    for file in &baked.files {
        let (written_hash, written_variants) = match &file.rewrite {
            Some(rewrite) => (&rewrite.as_written.hash, &rewrite.as_written.variants),
            None => (&file.hash, &file.variants),
        };
        let served = file.read().map_err(|e| e.to_string())?;
        let written = match &file.rewrite {
            None => served.clone(),
            Some(_) => {
                let bytes = std::fs::read(&file.source)
                    .map_err(|e| format!("cannot read `{}`: {e}", file.source.display()))?;
                if kiln_bake::content_hash(&bytes) != *written_hash {
                    return Err(format!(
                        "`{}` changed while uploading",
                        file.source.display()
                    ));
                }
                bytes
            }
        };
        for (name, bytes, variants, cache_control) in [
            (&file.fingerprinted, served, &file.variants, IMMUTABLE),
            (&file.path, written, written_variants, NO_CACHE),
        ] {
            let object = |key: String, bytes: Vec<u8>, encoding: Option<&'static str>| Object {
                key,
                bytes: bytes::Bytes::from(bytes),
                content_type: file.content_type.clone(),
                content_encoding: encoding,
                cache_control,
                fingerprinted: cache_control == IMMUTABLE,
            };
            out.push(object(name.clone(), bytes, None));
            for variant in variants {
                let bytes = variant.stored.read().map_err(|e| e.to_string())?;
                let key = format!("{name}.{}", variant.codec.extension());
                out.push(object(key, bytes, Some(variant.codec.token())));
            }
        }
    }
    out.push(Object {
        key: "staticfiles.json".into(),
        bytes: bytes::Bytes::from(kiln_bake::staticfiles_json(&baked.files)),
        content_type: "application/json".into(),
        content_encoding: None,
        cache_control: NO_CACHE,
        fingerprinted: false,
    });
    Ok(out)
}

fn report_dangling(baked: &Baked) {
    for dangling in &baked.dangling {
        eprintln!("warning: {dangling}; it is served as written");
    }
}

/// `kiln check`: every problem on its own line, then a summary; status 1 if there was any.
fn check(bake: &BakeArgs, max_size: u64) -> Result<ExitCode, String> {
    let config = bake.config()?;
    // Checking needs hashes and references, not compression.
    let config = Config {
        codecs: Vec::new(),
        ..config
    };
    let baked = match kiln_bake::bake(&config) {
        Ok(baked) => baked,
        // A name clash, an unreadable file, a bad pattern: the bake itself fails.
        Err(error) => {
            println!("error: {error}");
            println!("1 problem");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut problems = 0;
    for dangling in &baked.dangling {
        println!("error: {dangling}");
        problems += 1;
    }
    for file in baked.files.iter().filter(|f| f.len > max_size) {
        println!(
            "error: `{}` is {} bytes, over the limit of {max_size} (--max-size)",
            file.path, file.len
        );
        problems += 1;
    }
    for (kind, patterns, unmatched) in [
        ("include", &bake.include, &baked.unmatched.include),
        ("exclude", &bake.exclude, &baked.unmatched.exclude),
    ] {
        for pattern in unmatched.iter().filter_map(|&i| patterns.get(i)) {
            println!("warning: --{kind} {pattern} matches nothing");
        }
    }
    let files = baked.files.len();
    match problems {
        0 => {
            println!("ok: {files} files, no problems");
            Ok(ExitCode::SUCCESS)
        }
        1 => {
            println!("1 problem in {files} files");
            Ok(ExitCode::FAILURE)
        }
        n => {
            println!("{n} problems in {files} files");
            Ok(ExitCode::FAILURE)
        }
    }
}
