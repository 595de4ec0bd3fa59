#!/usr/bin/env python3
"""Serving benchmark: Kiln against a constant response, tower-http ServeDir and nginx.

Usage: benches/serve.py CORPUS [--rounds R] [--seconds S] [--connections C] [--json FILE]

Builds benches/serve with CORPUS baked in, exports CORPUS with Kiln's export (plain names plus
.br/.gz siblings) for ServeDir and nginx, then for every round and scenario starts each server
in turn, pinned to core 0 with one thread, and drives it with wrk pinned to core 1, on
127.0.0.1 only, each run bounded by --seconds. Contenders, in a different order each round:

  floor     an axum handler returning the one response Kiln gives to that request (prepared)
  kiln      Corpus::service() as the axum router's fallback service (Kiln's own cost)
  kiln-nest Corpus::service() under axum's nest_service (adds axum's URI rewriting)
  servedir  tower-http ServeDir with precompressed_br and precompressed_gzip
  nginx     Debian's nginx, one worker, gzip_static on (and brotli_static when the module is
            installed), its own config file (skipped when nginx is not installed)

Prints requests/s, p50 and p99 per scenario and each contender's ratio to the floor of the same
round, then the medians over rounds.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BR_GZ = "br, gzip"
SCENARIOS = [
    # name, path under /static, headers, new connection per request
    ("svg br", "/static/icons/solid/house.svg", {"Accept-Encoding": BR_GZ}, False),
    ("css br", "/static/css/bootstrap.min.css", {"Accept-Encoding": "br"}, False),
    ("css gzip", "/static/css/bootstrap.min.css", {"Accept-Encoding": "gzip"}, False),
    ("css identity", "/static/css/bootstrap.min.css", {}, False),
    ("svg 304", "/static/icons/solid/house.svg", {"Accept-Encoding": BR_GZ, "If-None-Match": None}, False),
    ("three.js br", "/static/js/three.module.js", {"Accept-Encoding": "br"}, False),
    ("404", "/static/no/such/file.css", {"Accept-Encoding": BR_GZ}, False),
    ("svg new conn", "/static/icons/solid/house.svg", {"Accept-Encoding": BR_GZ}, True),
]

NGINX_CONF = """
worker_processes 1;
daemon off;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
{modules}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    include /etc/nginx/mime.types;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location /static/ {{
            alias {root}/;
            gzip_static on;
            {brotli}
            add_header Cache-Control no-cache;
        }}
    }}
}}
"""


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def probe(port, path, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers)
    res = conn.getresponse()
    res.read()
    return res.status, dict((k.lower(), v) for k, v in res.getheaders())


def revalidation_headers(port, path, headers):
    """The scenario's headers with the contender's own validator: its ETag, else Last-Modified."""
    base = {k: v for k, v in headers.items() if v is not None}
    _, got = probe(port, path, base)
    if "etag" in got:
        base["If-None-Match"] = got["etag"]
    elif "last-modified" in got:
        base["If-Modified-Since"] = got["last-modified"]
    return base


def wrk(port, path, headers, new_conn, seconds, connections):
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    if new_conn:
        cmd += ["-H", "Connection: close"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": latency(50), "p99_ms": latency(99),
            "non_2xx_3xx": int(errors.group(1)) if errors else 0}


class Server:
    def __init__(self, name, cmd, port):
        self.name, self.port = name, port
        self.proc = subprocess.Popen(["taskset", "-c", "0", *cmd], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_port(port)

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    for tool in ["wrk", "taskset"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (apt-get install wrk util-linux)")

    env = dict(os.environ, KILN_BENCH_CORPUS=str(corpus))
    print("building benches/serve (release)...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=HERE / "serve", env=env, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version=1", "--no-deps"], cwd=HERE / "serve",
                          capture_output=True, text=True, env=env, check=True).stdout
    binary = Path(json.loads(meta)["target_directory"]) / "release" / "kiln-serve-bench"

    tmp = Path(tempfile.mkdtemp(prefix="kiln-serve-"))
    tmp.chmod(0o755)  # nginx's worker runs as another user
    export = tmp / "export"
    # Kiln's own export: plain and fingerprinted names with .br/.gz siblings.
    subprocess.run([binary, "export", str(export)], check=True, stdout=subprocess.DEVNULL)

    nginx = shutil.which("nginx") or (Path("/usr/sbin/nginx") if Path("/usr/sbin/nginx").exists() else None)
    modules, brotli = "", ""
    brotli_mod = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
    if brotli_mod.exists():
        modules, brotli = f"load_module {brotli_mod};", "brotli_static on;"

    contenders = ["floor", "kiln", "kiln-nest", "servedir"] + (["nginx"] if nginx else [])
    results = {s[0]: {c: [] for c in contenders} for s in SCENARIOS}
    try:
        for r in range(args.rounds):
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for name, path, headers, new_conn in SCENARIOS:
                for who in order:
                    port = free_port()
                    base = {k: v for k, v in headers.items() if v is not None}
                    if who == "floor":
                        # `@kiln` asks the floor to use Kiln's own ETag for the request.
                        spec = {**base, **({"If-None-Match": "@kiln"} if "If-None-Match" in headers else {})}
                        cmd = [binary, "floor", f"127.0.0.1:{port}", "GET", path, *[f"{k}:{v}" for k, v in spec.items()]]
                    elif who in ("kiln", "kiln-nest"):
                        cmd = [binary, who, f"127.0.0.1:{port}"]
                    elif who == "servedir":
                        cmd = [binary, "servedir", f"127.0.0.1:{port}", str(export)]
                    else:
                        conf = tmp / "nginx.conf"
                        conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, root=export, modules=modules, brotli=brotli,
                                                          user="user root;" if os.geteuid() == 0 else ""))
                        cmd = [str(nginx), "-c", str(conf), "-e", str(tmp / "error.log")]
                    server = Server(who, cmd, port)
                    try:
                        req = revalidation_headers(port, path, headers) if "If-None-Match" in headers else base
                        status, _ = probe(port, path, req)
                        result = wrk(port, path, req, new_conn, args.seconds, args.connections)
                        result["status"] = status
                    finally:
                        server.stop()
                    results[name][who].append(result)
                    print(f"  round {r + 1} {name:13} {who:9} {result['rps']:10.0f} req/s  "
                          f"p50 {result['p50_ms']:.3f} ms  p99 {result['p99_ms']:.3f} ms  status {status}", flush=True)
                floor_rps = results[name]["floor"][-1]["rps"]
                for who in contenders:
                    results[name][who][-1]["ratio"] = results[name][who][-1]["rps"] / floor_rps
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    header = f"{'scenario':14}" + "".join(f"{c:>24}" for c in contenders)
    print(header)
    print(f"{'':14}" + "".join(f"{'req/s  ratio  p99 ms':>24}" for _ in contenders))
    print(f"(nginx: {'with' if brotli else 'without'} brotli_static)")
    summary = {}
    for name, *_ in SCENARIOS:
        row = f"{name:14}"
        summary[name] = {}
        for who in contenders:
            runs = results[name][who]
            rps = statistics.median(x["rps"] for x in runs)
            ratio = statistics.median(x["ratio"] for x in runs)
            p99 = statistics.median(x["p99_ms"] for x in runs)
            p50 = statistics.median(x["p50_ms"] for x in runs)
            summary[name][who] = {"rps": rps, "ratio": ratio, "p50_ms": p50, "p99_ms": p99,
                                  "status": runs[-1]["status"]}
            row += f"{rps:>10.0f} {ratio:6.2f}x {p99:6.2f}"
        print(row)
    if args.json:
        args.json.write_text(json.dumps({"rounds": args.rounds, "seconds": args.seconds,
                                         "connections": args.connections, "summary": summary,
                                         "runs": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
