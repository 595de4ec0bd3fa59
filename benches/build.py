#!/usr/bin/env python3
"""Build-cost benchmark: Kiln against a plain crate of `include_bytes!` statics.

Usage: benches/build.py CORPUS [--copies N] [--distinct] [--rounds R] [--work DIR] [--json FILE]

Generates, in a scratch workspace, two binary crates over the same asset folder (CORPUS copied
N times side by side):

  plain  a build script lists the folder and writes `static FILES: &[(&str, &[u8])]` with one
         `include_bytes!` per file (rerun-if-changed on the folder, so added files are noticed);
  kiln   `#[derive(kiln::Embed)]` over the folder, with the README's two-line build script
         (`rerun-if-changed` on the folder, which also spares the derive its per-file
         `include_bytes!` constants);
  kiln-bare  the same without a build script (the derive then emits one unused
         `include_bytes!` per file so that Cargo notices edits; it cannot notice added files,
         so the "file added" scenario is not run for it).

Kiln is taken from the repository's HEAD commit (`git archive`, so uncommitted edits neither
leak in nor break a run). Both are release builds with dependencies built beforehand and `build-override` at opt-level 3,
as the README recommends. Each round runs every scenario for both crates, alternating which
goes first: clean build (warm compression cache), code-only change, one asset edited, one file
added. It reports medians, ratios kiln/plain, peak memory of the build (the largest process,
i.e. rustc), and binary sizes; then one cold-cache clean build of kiln next to `brotli -q 11`
and `gzip -9` over the same files.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONTENDERS = ["plain", "kiln-app", "kiln-bare"]
PRECOMPRESSED = {
    "png", "apng", "jpg", "jpeg", "gif", "webp", "avif", "woff", "woff2", "zip", "gz", "br",
    "zst", "xz", "mp4", "webm", "mp3", "ogg",
}

PLAIN_BUILD_RS = r'''
use std::fmt::Write;
fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() { walk(&p, out) } else { out.push(p) }
    }
}
fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets").canonicalize().unwrap();
    println!("cargo::rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for f in files {
        let rel = f.strip_prefix(&root).unwrap().to_str().unwrap();
        writeln!(code, "    ({:?}, include_bytes!({:?})),", rel, f.to_str().unwrap()).unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("files.rs");
    std::fs::write(out, code).unwrap();
}
'''

PLAIN_MAIN = r'''
include!(concat!(env!("OUT_DIR"), "/files.rs"));
const ROUND: u32 = 0;
fn main() {
    let total: usize = FILES.iter().map(|(_, b)| b.len()).sum();
    let want = std::env::args().nth(1).unwrap_or_default();
    let found = FILES.iter().find(|(p, _)| *p == want).map(|(_, b)| b.len());
    println!("{} files, {} bytes, round {}, {:?}", FILES.len(), total, ROUND, found);
}
'''

KILN_COMPRESSED_MAIN = r'''
#[derive(kiln::Embed)]
#[kiln(folder = "../assets", compress(br), compressed_only)]
struct Static;
fn main() {
    // What the binary stores: brotli variants, and identity bytes only where there is no variant.
    let stored: usize = Static::iter()
        .map(|a| if a.is_compressed_only() { 0 } else { a.len() } + a.variants().iter().map(|v| v.len()).sum::<usize>())
        .sum();
    let want = std::env::args().nth(1).unwrap_or_default();
    println!("{} stored bytes, {:?}", stored, Static::get(&want).map(|a| a.bytes().len()));
}
'''

KILN_BUILD_RS = r'''
fn main() {
    println!("cargo::rerun-if-changed=../assets");
}
'''

KILN_MAIN = r'''
#[derive(kiln::Embed)]
#[kiln(folder = "../assets")]
struct Static;
const ROUND: u32 = 0;
fn main() {
    let raw: usize = Static::iter().map(|a| a.len()).sum();
    // A rewritten file also stores the compressed variants of its plain form (not its bytes).
    let variants: usize = Static::iter()
        .map(|a| {
            let plain = if a.is_rewritten() { a.as_written().variants() } else { &[] };
            a.variants().iter().chain(plain).map(|v| v.len()).sum::<usize>()
        })
        .sum();
    let want = std::env::args().nth(1).unwrap_or_default();
    println!("{} files, {} raw bytes, {} variant bytes, round {}, {:?}",
        Static::iter().count(), raw, variants, ROUND, Static::get(&want).map(|a| a.len()));
}
'''


COMPRESS_ONE_MAIN = r'''
fn main() {
    // How long Kiln's own codecs take on one file: the share of an asset edit that compression is.
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        for codec in [kiln_bake::Encoding::Brotli, kiln_bake::Encoding::Gzip] {
            std::hint::black_box(codec.encode(&bytes, kiln_bake::Effort::Max).unwrap());
        }
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!("{}", times[1]);
}
'''


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def kiln_source(work):
    """A fresh `work` folder with Kiln's HEAD commit in `work/kiln-src` (`git archive`, so
    uncommitted edits neither leak in nor break a run); returns that folder."""
    if work.exists():
        shutil.rmtree(work)
    src = work / "kiln-src"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    return src


def setup(work, corpus, copies, distinct):
    src = kiln_source(work)
    assets = work / "assets"
    for i in range(copies):
        shutil.copytree(corpus, assets / f"copy{i}")
        if distinct and i > 0:
            # Make every file of this copy differ from the others' (a few bytes appended), so that
            # nothing can be stored once for several copies.
            for path in (assets / f"copy{i}").rglob("*"):
                if path.is_file():
                    with open(path, "ab") as f:
                        f.write(f"\n/* copy {i} */\n".encode())
    write(work / "Cargo.toml", f'''[workspace]
members = ["plain", "kiln-app", "kiln-bare", "kiln-compressed", "compress-one"]
exclude = ["kiln-src"]
resolver = "3"

[profile.release.build-override]
opt-level = 3
''')
    write(work / "plain/Cargo.toml", '[package]\nname = "plain"\nversion = "0.0.0"\nedition = "2024"\n')
    write(work / "plain/build.rs", PLAIN_BUILD_RS)
    write(work / "plain/src/main.rs", PLAIN_MAIN)
    write(work / "kiln-app/Cargo.toml",
          f'[package]\nname = "kiln-app"\nversion = "0.0.0"\nedition = "2024"\n\n'
          f'[dependencies]\nkiln = {{ path = "{src / "runtime"}" }}\n')
    write(work / "kiln-app/build.rs", KILN_BUILD_RS)
    write(work / "kiln-app/src/main.rs", KILN_MAIN)
    write(work / "kiln-bare/Cargo.toml",
          f'[package]\nname = "kiln-bare"\nversion = "0.0.0"\nedition = "2024"\n\n'
          f'[dependencies]\nkiln = {{ path = "{src / "runtime"}" }}\n')
    write(work / "kiln-bare/src/main.rs", KILN_MAIN)
    write(work / "compress-one/Cargo.toml",
          f'[package]\nname = "compress-one"\nversion = "0.0.0"\nedition = "2024"\n\n'
          f'[dependencies]\nkiln-bake = {{ path = "{src / "bake"}" }}\n')
    write(work / "compress-one/src/main.rs", COMPRESS_ONE_MAIN)
    write(work / "kiln-compressed/Cargo.toml",
          f'[package]\nname = "kiln-compressed"\nversion = "0.0.0"\nedition = "2024"\n\n'
          f'[dependencies]\nkiln = {{ path = "{src / "runtime"}" }}\n')
    write(work / "kiln-compressed/build.rs", KILN_BUILD_RS)
    write(work / "kiln-compressed/src/main.rs", KILN_COMPRESSED_MAIN)
    return assets


def cargo_build(work, package):
    """Builds one package in release mode; returns (seconds, peak RSS in MiB)."""
    cmd = ["/usr/bin/time", "-f", "%e %M", "cargo", "build", "--release", "--quiet", "-p", package]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        sys.exit(f"build of {package} failed:\n{proc.stderr[-4000:]}")
    last = proc.stderr.strip().splitlines()[-1].split()
    return wall, int(last[1]) / 1024


def bump_round(work, package, value):
    main = work / package / "src/main.rs"
    text = main.read_text()
    start = text.index("const ROUND: u32 = ")
    end = text.index(";", start)
    main.write_text(text[:start] + f"const ROUND: u32 = {value}" + text[end:])


def median(xs):
    return statistics.median(xs) if xs else None


def compressible_files(corpus):
    for p in sorted(Path(corpus).rglob("*")):
        if p.is_file() and p.suffix.lower().lstrip(".") not in PRECOMPRESSED and p.stat().st_size:
            yield p


def time_cli(args_for, files):
    t0 = time.monotonic()
    for f in files:
        subprocess.run(args_for(f), stdout=subprocess.DEVNULL, check=True)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/kiln-build-bench"))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-cache build")
    ap.add_argument("--distinct", action="store_true",
                    help="make the copies' files differ (no identical content across copies)")
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        sys.exit(f"{corpus} is not a folder")

    work = args.work.resolve()
    assets = setup(work, corpus, args.copies, args.distinct)
    files = sum(1 for p in assets.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in assets.rglob("*") if p.is_file())
    kind = ", each copy's files made distinct" if args.distinct else ""
    print(f"corpus: {corpus} x{args.copies}{kind} = {files} files, {size / 1e6:.1f} MB; work dir {work}")
    print("warming up (dependencies, compression cache)...", flush=True)
    for package in CONTENDERS:
        cargo_build(work, package)

    edit_target = assets / "copy0/css/bootstrap.min.css"
    if not edit_target.exists():
        edit_target = next(p for p in sorted(assets.rglob("*.css")))
    results = {s: {p: [] for p in CONTENDERS} for s in ["clean", "code", "asset", "add"]}
    memory = {p: [] for p in CONTENDERS}
    counter = 0
    for r in range(args.rounds):
        order = CONTENDERS[r % len(CONTENDERS):] + CONTENDERS[:r % len(CONTENDERS)]
        for scenario in results:
            for package in order:
                if scenario == "add" and package == "kiln-bare":
                    continue
                counter += 1
                if scenario == "clean":
                    subprocess.run(["cargo", "clean", "--release", "--quiet", "-p", package], cwd=work, check=True)
                elif scenario == "code":
                    bump_round(work, package, counter)
                elif scenario == "asset":
                    with open(edit_target, "a") as f:
                        f.write(f"\n/* edit {counter} */\n")
                elif scenario == "add":
                    write(assets / "copy0" / f"added-{counter}.css",
                          f".added-{counter} {{ color: #{counter:06x}; }}\n" * 50)
                wall, rss = cargo_build(work, package)
                results[scenario][package].append(wall)
                if scenario == "clean":
                    memory[package].append(rss)
                print(f"  round {r + 1} {scenario:5} {package:8} {wall:6.2f} s  {rss:7.0f} MiB", flush=True)

    binaries = {p: (work / "target/release" / p).stat().st_size for p in ["plain", "kiln-app"]}
    out = subprocess.run([work / "target/release/kiln-app"], capture_output=True, text=True).stdout
    raw, variant_bytes = (int(x.split()[0]) for x in out.split(", ")[1:3])

    report = {
        "corpus_files": files, "corpus_bytes": size, "copies": args.copies, "rounds": args.rounds,
        "distinct": args.distinct,
        "median_seconds": {s: {p: median(v) for p, v in d.items()} for s, d in results.items()},
        "peak_rss_mib": {p: median(v) for p, v in memory.items()},
        "binary_bytes": binaries, "raw_bytes": raw, "variant_bytes": variant_bytes,
    }
    print()
    cargo_build(work, "compress-one")
    compress = subprocess.run([work / "target/release/compress-one", edit_target], capture_output=True,
                              text=True, check=True).stdout
    report["edited_file_compression_seconds"] = float(compress)
    print(f"{'scenario':28} {'plain':>9} {'kiln':>9} {'ratio':>7} {'kiln-bare':>10} {'ratio':>7}")
    names = {"clean": "clean build (warm cache)", "code": "code-only change",
             "asset": "one asset edited", "add": "one file added"}
    for s, label in names.items():
        m = report["median_seconds"][s]
        p, k, b = m["plain"], m["kiln-app"], m["kiln-bare"]
        bare = f"{b:9.2f}s {b / p:6.2f}x" if b is not None else f"{'-':>10} {'':>7}"
        print(f"{label:28} {p:8.2f}s {k:8.2f}s {k / p:6.2f}x {bare}")
    pm, km, bm = (report["peak_rss_mib"][p] for p in CONTENDERS)
    print(f"{'peak memory (clean build)':28} {pm:7.0f}Mi {km:7.0f}Mi {km / pm:6.2f}x {bm:8.0f}Mi {bm / pm:6.2f}x")
    print(f"  (the edited file, {edit_target.name}, takes {float(compress):.2f} s to compress with brotli and gzip;"
          f" target for that scenario: 1.2 x plain + that = {1.2 * report['median_seconds']['asset']['plain'] + float(compress):.2f} s)")
    pb, kb = binaries["plain"], binaries["kiln-app"]
    print(f"{'binary size':28} {pb / 1e6:7.1f}MB {kb / 1e6:7.1f}MB {kb / pb:6.2f}x")
    budget = (raw + variant_bytes) * 1.05
    print(f"kiln binary vs raw + kept variants ({(raw + variant_bytes) / 1e6:.1f} MB): {kb / (raw + variant_bytes):.3f}x"
          f" ({'within' if kb <= budget else 'over'} the +5% budget)")

    cargo_build(work, "kiln-compressed")
    out = subprocess.run([work / "target/release/kiln-compressed"], capture_output=True, text=True).stdout
    stored = int(out.split()[0])
    compressed_binary = (work / "target/release/kiln-compressed").stat().st_size
    report["compressed_only"] = {"binary_bytes": compressed_binary, "brotli_total_bytes": stored}
    print(f"compress(br), compressed_only: binary {compressed_binary / 1e6:.1f} MB, brotli total "
          f"(brotli variants, raw where none) {stored / 1e6:.1f} MB: {compressed_binary / stored:.3f}x")

    if not args.no_cold:
        shutil.rmtree(work / "target/kiln-cache", ignore_errors=True)
        subprocess.run(["cargo", "clean", "--release", "--quiet", "-p", "kiln-app"], cwd=work, check=True)
        cold, _ = cargo_build(work, "kiln-app")
        report["cold_seconds"] = cold
        unique = list(compressible_files(corpus))
        line = f"cold-cache clean build of kiln: {cold:.1f} s ({os.cpu_count()} cores)"
        if shutil.which("brotli"):
            report["brotli_cli_seconds"] = time_cli(lambda f: ["brotli", "-q", "11", "-c", str(f)], unique)
            line += f"; brotli -q 11 over the {len(unique)} compressible files of one copy: {report['brotli_cli_seconds']:.1f} s"
        report["gzip_cli_seconds"] = time_cli(lambda f: ["gzip", "-9", "-c", str(f)], unique)
        line += f"; gzip -9: {report['gzip_cli_seconds']:.1f} s (one core each)"
        print(line)

    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
