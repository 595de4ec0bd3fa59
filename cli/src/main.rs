//! `kiln`: the command-line side of Kiln. It bakes the folder with the same `kiln-bake` the derive
//! uses, into the same runtime `Bundle` (an in-memory one), and exports or uploads it with the
//! same `Bundle::export_with` and `Bundle::upload_with`, so that what it writes or uploads is byte
//! for byte what a binary with `#[derive(kiln::Embed)]` over the same folder and options does.
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
use kiln_bake::{Baked, Cache, Config, Encoding};

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
    /// fingerprinted files are kept unless --prune. Deltas (RFC 9842) are not written: only the
    /// binary can choose one per request. An export of the running release is what
    /// KILN_PREVIOUS takes to bake the next release's deltas against it.
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
        /// Upload and delete nothing: name every object the real run would upload and (with
        /// --prune) delete, then the same summary line it would print.
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
    /// Precompressed variants: a comma-separated list of br (or brotli), gzip, zstd, or `none`:
    /// the names of the attribute's `compress(...)`.
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
            None => Encoding::available().to_vec(),
            Some(names) if names.iter().any(|n| n == "none") => {
                if names.len() > 1 {
                    return Err("`none` cannot be combined with other codecs".into());
                }
                Vec::new()
            }
            Some(names) => {
                let mut codecs = Vec::new();
                for name in names {
                    let codec = Encoding::from_name(name).ok_or_else(|| {
                        format!("unknown codec `{name}`; expected br, gzip, zstd or none")
                    })?;
                    if let (false, Some(feature)) = (codec.is_available(), codec.info().feature) {
                        return Err(format!(
                            "this kiln was built without {codec}: `cargo install --locked --path cli \
                             --features {feature}`"
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

    /// The folder baked into a runtime bundle (in memory), and what the bake found.
    fn bundle(&self) -> Result<(&'static kiln::Bundle, Baked), String> {
        let baked = self.bake()?;
        let prefix = kiln_bake::normalise_prefix(&self.prefix)?;
        let bundle = kiln::Bundle::from_baked(&baked, &prefix).map_err(|e| e.to_string())?;
        Ok((bundle, baked))
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
            let (bundle, baked) = bake.bundle()?;
            let mut options = kiln::ExportOptions::default();
            options.prune = prune;
            let done =
                bundle.export_with(&out, &options).map_err(
                    |e| match std::error::Error::source(&e) {
                        Some(source) => format!("{e}: {source}"),
                        None => e.to_string(),
                    },
                )?;
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
            let (bundle, _) = bake.bundle()?;
            println!("{}", bundle.manifest_json());
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
            let (bundle, baked) = bake.bundle()?;
            report_dangling(&baked);
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
            let done = runtime.block_on(bundle.upload_with(&url, &options));
            if options.progress.is_some() {
                eprintln!();
            }
            let done = done.map_err(|e| e.to_string())?;
            // A dry run names everything the real run would send and delete.
            if dry_run {
                for name in &done.sent {
                    println!("would upload {name}");
                }
                for name in &done.pruned {
                    println!("would delete {name}");
                }
            }
            let (verb, deleted) = match dry_run {
                true => ("would upload", "would delete"),
                false => ("uploaded", "deleted"),
            };
            println!(
                "{verb} {} objects ({} bytes), skipped {} already there{}",
                done.uploaded,
                done.bytes,
                done.skipped,
                match prune {
                    Some(_) => format!(", {deleted} {}", done.deleted),
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
