#!/usr/bin/env python3
"""Draws the charts of BENCHMARKS.md as SVG from the JSON the benchmarks write.

Usage: benches/chart.py build BUILD.json [BUILD.json ...] OUT.svg
       benches/chart.py serve SERVE.json OUT.svg

Grouped horizontal bars of ratios (1.0 = the baseline of the same run), with a line at each
target. Plain SVG, no dependencies.
"""

import json
import sys
from html import escape

COLOURS = ["#c2410c", "#fdba74", "#2563eb", "#93c5fd", "#16a34a", "#86efac", "#9333ea", "#64748b"]


def bars(title, groups, series, values, targets, out, xmax=None):
    """groups: row labels; series: legend labels; values[g][s] = ratio or None."""
    row_h, bar_h, left, width = 18 * len(series) + 14, 16, 210, 460
    height = 60 + row_h * len(groups) + 30
    xmax = xmax or max(1.5, max(v for g in values for v in g if v is not None) * 1.1)
    x = lambda v: left + width * min(v, xmax) / xmax
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 300}" height="{height}" '
           f'font-family="system-ui, sans-serif" font-size="12">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="22" font-size="15" font-weight="600">{escape(title)}</text>']
    for tick in [i * 0.5 for i in range(int(xmax / 0.5) + 1)]:
        svg.append(f'<line x1="{x(tick):.1f}" y1="40" x2="{x(tick):.1f}" y2="{height - 30}" stroke="#e5e7eb"/>')
        svg.append(f'<text x="{x(tick):.1f}" y="{height - 14}" text-anchor="middle" fill="#6b7280">{tick:.1f}x</text>')
    for gi, group in enumerate(groups):
        y0 = 48 + gi * row_h
        svg.append(f'<text x="{left - 8}" y="{y0 + row_h / 2}" text-anchor="end">{escape(group)}</text>')
        for si, _ in enumerate(series):
            v = values[gi][si]
            if v is None:
                continue
            y = y0 + si * 18
            svg.append(f'<rect x="{left}" y="{y}" width="{x(v) - left:.1f}" height="{bar_h}" fill="{COLOURS[si % len(COLOURS)]}"/>')
            svg.append(f'<text x="{x(v) + 4:.1f}" y="{y + 12}">{v:.2f}x</text>')
        t = targets[gi]
        if t is not None:
            svg.append(f'<line x1="{x(t):.1f}" y1="{y0 - 2}" x2="{x(t):.1f}" y2="{y0 + row_h - 10}" '
                       f'stroke="black" stroke-dasharray="4 3" stroke-width="1.5"/>')
    for si, name in enumerate(series):
        y = 48 + si * 18
        svg.append(f'<rect x="{left + width + 60}" y="{y}" width="12" height="12" fill="{COLOURS[si % len(COLOURS)]}"/>')
        svg.append(f'<text x="{left + width + 78}" y="{y + 11}">{escape(name)}</text>')
    svg.append(f'<text x="{left + width + 60}" y="{48 + len(series) * 18 + 14}" fill="#374151">- - target</text>')
    svg.append('</svg>')
    with open(out, "w") as f:
        f.write("\n".join(svg) + "\n")


def build_chart(paths, out):
    runs = [json.load(open(p)) for p in paths]
    # Per run: Kiln with the README's build script, then Kiln without one ("bare").
    contenders = [("kiln-app", ""), ("kiln-bare", ", no build.rs")]
    labels = [("clean", "clean build, warm cache", 1.5), ("code", "code-only change", 1.2),
              ("asset", "one asset edited", None), ("add", "one file added", None)]

    def ratio(run, table, key, package):
        value = run[table][key][package] if key else run[table][package]
        base = run[table][key]["plain"] if key else run[table]["plain"]
        return None if value is None else value / base

    groups, values, targets = [], [], []
    for key, label, target in labels:
        groups.append(label)
        values.append([ratio(r, "median_seconds", key, p) for r in runs for p, _ in contenders])
        targets.append(target)
    groups.append("rustc peak memory")
    values.append([ratio(r, "peak_rss_mib", None, p) for r in runs for p, _ in contenders])
    targets.append(1.5)
    groups.append("binary / (raw + variants)")
    values.append([r["binary_bytes"]["kiln-app"] / (r["raw_bytes"] + r["variant_bytes"]) if p == "kiln-app"
                   else None for r in runs for p, _ in contenders])
    targets.append(1.05)
    series = []
    for r in runs:
        kind = ", distinct" if r.get("distinct") else ""
        for _, suffix in contenders:
            series.append(f'{r["corpus_files"]} files{kind}{suffix}')
    bars("Kiln build cost / plain include_bytes! crate (same run)", groups, series, values, targets, out)


def serve_chart(path, out):
    data = json.load(open(path))["summary"]
    scenarios = list(data)
    contenders = [c for c, v in next(iter(data.values())).items() if c != "floor" and "ratio" in v]
    values = [[data[s][c]["ratio"] for c in contenders] for s in scenarios]
    bars("Requests/s / constant-response floor (same round, median)", scenarios, contenders, values,
         [0.9] * len(scenarios), out, xmax=1.4)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "build":
        build_chart(sys.argv[2:-1], sys.argv[-1])
    elif len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve_chart(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
