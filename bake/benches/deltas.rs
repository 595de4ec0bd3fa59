//! What a returning visitor downloads after an edit, with deltas (RFC 9842) against the version
//! they hold, as a fraction of the brotli file they download without: measured with the
//! encoders a build uses (`kiln_codec::delta::encode_dcb`, brotli 11), each delta decoded back
//! and compared.
//!
//! ```text
//! cargo bench -p kiln-bake --bench deltas -- CORPUS [--pair OLD NEW]...
//! ```
//!
//! For every script and stylesheet of CORPUS over 10 kB, a one-line edit in the middle of the
//! file (a comment line inserted at the newline nearest the middle; in a minified file with no
//! newline there, after the `;` or `}` nearest it). Each `--pair` is a real upgrade: the old
//! file as the dictionary of the new one.

use std::path::{Path, PathBuf};

use kiln_bake::{Effort, Encoding};
use kiln_codec::delta;
use sha2::{Digest as _, Sha256};

/// `bytes` with one line of comment inserted near the middle.
fn edited(bytes: &[u8], css: bool) -> Vec<u8> {
    let middle = bytes.len() / 2;
    let near = |pred: &dyn Fn(u8) -> bool| {
        let after = bytes[middle..]
            .iter()
            .position(|&b| pred(b))
            .map(|i| middle + i);
        let before = bytes[..middle].iter().rposition(|&b| pred(b));
        match (before, after) {
            (Some(b), Some(a)) => Some(if middle - b < a - middle { b } else { a }),
            (b, a) => b.or(a),
        }
    };
    let window = bytes.len() / 10;
    let (at, line): (usize, &[u8]) = match near(&|b| b == b'\n') {
        Some(i) if i.abs_diff(middle) <= window => (i + 1, b"/* edited: v2 */\n"),
        _ => {
            let end = if css { b'}' } else { b';' };
            let i = near(&|b| b == end).unwrap_or(middle);
            (i + 1, b"/* edited: v2 */")
        }
    };
    [&bytes[..at], line, &bytes[at..]].concat()
}

/// (delta bytes, brotli bytes) for `new` against `old`, the delta decoded back.
fn measure(old: &[u8], new: &[u8]) -> (usize, usize) {
    let hash: delta::DictionaryHash = Sha256::digest(old).into();
    let dcb = delta::encode_dcb(new, old, &hash).unwrap();
    assert_eq!(
        delta::decode_dcb(&dcb, old).unwrap(),
        new,
        "delta does not decode back"
    );
    let br = Encoding::Brotli.encode(new, Effort::Max).unwrap();
    (dcb.len(), br.len())
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("js" | "mjs" | "css")
        ) && std::fs::metadata(&path).is_ok_and(|m| m.len() > 10_000)
        {
            out.push(path);
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(corpus) = args.first() else {
        eprintln!("usage: cargo bench -p kiln-bake --bench deltas -- CORPUS [--pair OLD NEW]...");
        std::process::exit(2);
    };
    let mut paths = Vec::new();
    files(Path::new(corpus), &mut paths);
    let mut ratios = Vec::new();
    let (mut delta_total, mut brotli_total) = (0, 0);
    let mut worst = (0.0, String::new());
    for path in &paths {
        let old = std::fs::read(path).unwrap();
        let css = path.extension().is_some_and(|e| e == "css");
        let (d, b) = measure(&old, &edited(&old, css));
        let ratio = d as f64 / b as f64;
        if ratio > worst.0 {
            worst = (ratio, format!("{} ({d} of {b} bytes)", path.display()));
        }
        ratios.push(ratio);
        delta_total += d;
        brotli_total += b;
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "one-line edit, {} js/css files over 10 kB: delta / brotli median {:.2}%, p90 {:.2}%, worst {:.2}% ({}); all files {} / {} bytes = {:.2}%",
        ratios.len(),
        100.0 * percentile(&ratios, 0.5),
        100.0 * percentile(&ratios, 0.9),
        100.0 * worst.0,
        worst.1,
        delta_total,
        brotli_total,
        100.0 * delta_total as f64 / brotli_total as f64
    );
    let mut rest = &args[1..];
    while let [flag, old, new, tail @ ..] = rest {
        assert_eq!(flag, "--pair", "expected --pair OLD NEW");
        let (old_bytes, new_bytes) = (std::fs::read(old).unwrap(), std::fs::read(new).unwrap());
        let (d, b) = measure(&old_bytes, &new_bytes);
        println!(
            "upgrade {old} -> {new}: delta {d} bytes, brotli {b} bytes: {:.1}%",
            100.0 * d as f64 / b as f64
        );
        rest = tail;
    }
}
