#!/usr/bin/env python3
"""Build cost and binary growth of deltas (RFC 9842) for a one-asset edit.

Usage: benches/deltas.py CORPUS [--rounds R] [--work DIR] [--edit RELATIVE_PATH] [--json FILE]

Generates, in a scratch workspace, two binary crates over the same copy of CORPUS, each with
`#[derive(kiln::Embed)]`, the README's build script and its own compression cache:

  deltas     the default (`deltas = 2`): each build bakes deltas of changed files against the
             last two earlier versions kept in its cache;
  no-deltas  `deltas = 0`.

Kiln is taken from the repository's HEAD commit (`git archive`). Release builds, dependencies
built beforehand. After two warm-up edits (so that the cache holds two earlier versions), each
round makes a one-line edit in the middle of one file (default `css/bootstrap.min.css`, the
target of build.py's "one asset edited") and builds both crates, alternating which goes first.
Reports the median build times, their ratio, and the binary sizes after the last edit.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import kiln_source, write  # noqa: E402  (build.py's scratch-workspace helpers)

BUILD_RS = 'fn main() {\n    println!("cargo::rerun-if-changed=../assets");\n}\n'
MAIN_RS = '''#[derive(kiln::Embed)]
#[kiln(folder = "../assets", prefix = "/static"{extra})]
struct Static;

fn main() {{
    let deltas: usize = Static::iter().map(|a| a.deltas().len()).sum();
    println!("{{}} assets, {{}} deltas", Static::iter().count(), deltas);
}}
'''
CRATES = {"deltas": "", "no-deltas": ", deltas = 0"}


def build(work, package):
    t0 = time.monotonic()
    proc = subprocess.run(["cargo", "build", "--release", "--quiet", "-p", package], cwd=work,
                          capture_output=True, text=True,
                          env={**__import__("os").environ, "KILN_CACHE_DIR": str(work / f"cache-{package}")})
    if proc.returncode != 0:
        sys.exit(f"build of {package} failed:\n{proc.stderr[-4000:]}")
    return time.monotonic() - t0


def edit(path, base, n):
    """Writes `base` with one comment line inserted near the middle (after a `}` in minified CSS)."""
    middle = len(base) // 2
    at = base.find(b"}", middle) + 1 or middle
    path.write_bytes(base[:at] + f"/* edit {n} */\n".encode() + base[at:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--work", type=Path, default=Path("/tmp/kiln-deltas-bench"))
    ap.add_argument("--edit", default="css/bootstrap.min.css")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    work = args.work.resolve()
    src = kiln_source(work)
    shutil.copytree(args.corpus, work / "assets")
    write(work / "Cargo.toml", '[workspace]\nmembers = ["deltas", "no-deltas"]\nexclude = ["kiln-src"]\n'
          'resolver = "3"\n\n[profile.release.build-override]\nopt-level = 3\n')
    for name, extra in CRATES.items():
        write(work / name / "Cargo.toml", f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2024"\n\n'
              f'[dependencies]\nkiln = {{ path = "{src / "runtime"}" }}\n')
        write(work / name / "build.rs", BUILD_RS)
        write(work / name / "src/main.rs", MAIN_RS.format(extra=extra))
    target = work / "assets" / args.edit
    base = target.read_bytes()
    print(f"corpus {args.corpus}; editing {args.edit} ({len(base)} bytes); work dir {work}", flush=True)
    print("warming up (dependencies, caches, two earlier versions)...", flush=True)
    n = 0
    for _ in range(3):
        n += 1
        edit(target, base, n)
        for name in CRATES:
            build(work, name)
    times = {name: [] for name in CRATES}
    names = list(CRATES)
    for r in range(args.rounds):
        n += 1
        edit(target, base, n)
        for name in names[r % 2:] + names[:r % 2]:
            t = build(work, name)
            times[name].append(t)
            print(f"  round {r + 1} {name:9} {t:6.2f} s", flush=True)
    sizes = {name: (work / "target/release" / name).stat().st_size for name in CRATES}
    outputs = {name: subprocess.run([work / "target/release" / name], capture_output=True, text=True).stdout.strip()
               for name in CRATES}
    med = {name: statistics.median(v) for name, v in times.items()}
    print()
    print(f"one asset edited: deltas {med['deltas']:.2f} s, no deltas {med['no-deltas']:.2f} s: "
          f"{med['deltas'] / med['no-deltas']:.2f}x (goal: within 1.3x)")
    growth = sizes["deltas"] / sizes["no-deltas"] - 1
    print(f"binary: deltas {sizes['deltas']} bytes ({outputs['deltas']}), no deltas {sizes['no-deltas']} bytes: "
          f"+{100 * growth:.2f}% (goal: under 2%)")
    if args.json:
        args.json.write_text(json.dumps({"median_seconds": med, "rounds": times, "binary_bytes": sizes,
                                         "outputs": outputs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
