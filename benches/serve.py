#!/usr/bin/env python3
"""Serving benchmark: Kiln against a constant response, tower-http ServeDir and nginx.

Usage: benches/serve.py CORPUS [--rounds R] [--seconds S] [--connections C] [--only SCENARIO]...
                          [--contender NAME]... [--reload] [--json FILE]

Builds benches/serve with CORPUS baked in, exports CORPUS with Kiln's export (plain names plus
.br/.gz siblings) for ServeDir and nginx, then for every round and scenario starts each server
in turn, pinned to core 0 with one thread, and drives it with wrk pinned to core 1, on
127.0.0.1 only, each run bounded by --seconds. Contenders, in a different order each round:

  floor     an axum handler returning the one response Kiln gives to that request (prepared)
  kiln      Corpus::service() as the axum router's fallback service (Kiln's own cost)
  kiln-nest Corpus::service() under axum's nest_service (adds axum's URI rewriting)
  kiln-reload  with --reload: the `kiln` server built in reload mode, reading CORPUS from disk
  servedir  tower-http ServeDir with precompressed_br and precompressed_gzip
  nginx     Debian's nginx, one worker, gzip_static on (and brotli_static when the module is
            installed), its own config file (skipped when nginx is not installed)

Prints requests/s, p50 and p99 per scenario and each contender's ratio to the floor of the same
round, then the medians over rounds; then each contender's server core time per request (core 0's
busy time, kernel included, over the requests served) beside how busy wrk's core was, and Kiln
against ServeDir by both measures. Where wrk's core is saturated (new connections: wrk's
connect and close cost more than Kiln's whole request), requests/s is the load generator's limit
and core time per request is the comparison that still means something.
"""

import argparse
import base64
import hashlib
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
    # A returning Chromium visitor after a one-line edit (RFC 9842): the fingerprinted URL of
    # DELTA_FILE, whose previous version (the folder `main` makes) the browser names as its dictionary.
    ("css delta", "@delta", {"Accept-Encoding": "gzip, deflate, br, zstd, dcb, dcz",
                             "Available-Dictionary": "@dictionary"}, False),
]
# The file of the delta scenario. The server is built with KILN_PREVIOUS naming a folder laid out
# as an export whose version of it differs by one line, so the binary has a delta against it.
DELTA_FILE = "css/bootstrap.min.css"

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
        listen 127.0.0.1:{port} deferred;
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


def core_times(core):
    """(busy, total) jiffies of one core so far, from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{core} "):
                user, nice, system, idle, iowait, irq, softirq, steal = map(int, line.split()[1:9])
                busy = user + nice + system + irq + softirq
                return busy, busy + idle + iowait + steal
    raise RuntimeError(f"no cpu{core} in /proc/stat")


def wrk(port, path, headers, new_conn, seconds, connections):
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    if new_conn:
        cmd += ["-H", "Connection: close"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    # Only the server runs on core 0 and only wrk on core 1: each core's busy time (kernel and
    # softirq work included) is that side's cost. When wrk's core is the busier, the load
    # generator, not the server, set the rate, and the server's core time per request is the
    # fairer comparison.
    server0, client0 = core_times(0), core_times(1)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    server1, client1 = core_times(0), core_times(1)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    hz = os.sysconf("SC_CLK_TCK")
    server_busy = (server1[0] - server0[0]) / max(1, server1[1] - server0[1])
    client_busy = (client1[0] - client0[0]) / max(1, client1[1] - client0[1])
    server_us = (server1[0] - server0[0]) / hz * 1e6 / max(1, requests)

    def latency(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": latency(50), "p99_ms": latency(99),
            "non_2xx_3xx": int(errors.group(1)) if errors else 0,
            "server_busy": server_busy, "client_busy": client_busy, "server_us_per_req": server_us}


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
    ap.add_argument("--contender", action="append", metavar="NAME",
                    help="run only this contender and the floor (repeatable), e.g. --contender kiln")
    ap.add_argument("--reload", action="store_true",
                    help="also run the kiln server built in reload mode (the corpus read from disk)")
    ap.add_argument("--only", action="append", metavar="SCENARIO",
                    help="run only this scenario (repeatable), e.g. --only 'svg new conn'")
    args = ap.parse_args()
    scenarios = [s for s in SCENARIOS if not args.only or s[0] in args.only]
    if not scenarios:
        sys.exit(f"no such scenario; the scenarios are: {', '.join(s[0] for s in SCENARIOS)}")
    corpus = args.corpus.resolve()
    for tool in ["wrk", "taskset"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (apt-get install wrk util-linux)")

    tmp = Path(tempfile.mkdtemp(prefix="kiln-serve-"))
    tmp.chmod(0o755)  # nginx's worker runs as another user
    # The previous release for the delta scenario: DELTA_FILE with one line more.
    current = (corpus / DELTA_FILE).read_bytes()
    middle = current.find(b"}", len(current) // 2) + 1
    old = current[:middle] + b"/* the previous release */\n" + current[middle:]
    previous = tmp / "previous"
    (previous / DELTA_FILE).parent.mkdir(parents=True)
    (previous / (DELTA_FILE + ".old")).write_bytes(old)
    (previous / "staticfiles.json").write_text(json.dumps({"paths": {DELTA_FILE: DELTA_FILE + ".old"}}))
    dictionary = ":" + base64.b64encode(hashlib.sha256(old).digest()).decode() + ":"
    env = dict(os.environ, KILN_BENCH_CORPUS=str(corpus), KILN_PREVIOUS=str(previous))
    print("building benches/serve (release)...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=HERE / "serve", env=env, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version=1", "--no-deps"], cwd=HERE / "serve",
                          capture_output=True, text=True, env=env, check=True).stdout
    binary = Path(json.loads(meta)["target_directory"]) / "release" / "kiln-serve-bench"
    reload_binary = None
    if args.reload:
        print("building benches/serve in reload mode (release)...", flush=True)
        reload_target = Path(json.loads(meta)["target_directory"]) / "reload"
        subprocess.run(["cargo", "build", "--release", "--quiet", "--features", "reload"], cwd=HERE / "serve",
                       env=dict(env, CARGO_TARGET_DIR=str(reload_target)), check=True)
        reload_binary = reload_target / "release" / "kiln-serve-bench"

    export = tmp / "export"
    # Kiln's own export: plain and fingerprinted names with .br/.gz siblings.
    subprocess.run([binary, "export", str(export)], check=True, stdout=subprocess.DEVNULL)
    fingerprinted = json.loads((export / "staticfiles.json").read_text())["paths"][DELTA_FILE]
    resolve = {"@delta": f"/static/{fingerprinted}", "@dictionary": dictionary}
    scenarios = [(name, resolve.get(path, path), {k: resolve.get(v, v) for k, v in headers.items()}, new_conn)
                 for name, path, headers, new_conn in scenarios]

    nginx = shutil.which("nginx") or (Path("/usr/sbin/nginx") if Path("/usr/sbin/nginx").exists() else None)
    modules, brotli = "", ""
    brotli_mod = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
    if brotli_mod.exists():
        modules, brotli = f"load_module {brotli_mod};", "brotli_static on;"

    contenders = (["floor", "kiln", "kiln-nest"] + (["kiln-reload"] if reload_binary else [])
                  + ["servedir"] + (["nginx"] if nginx else []))
    if args.contender:
        contenders = [c for c in contenders if c == "floor" or c in args.contender]
    results = {s[0]: {c: [] for c in contenders} for s in scenarios}
    try:
        for r in range(args.rounds):
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for name, path, headers, new_conn in scenarios:
                for who in order:
                    port = free_port()
                    base = {k: v for k, v in headers.items() if v is not None}
                    if who == "floor":
                        # `@kiln` asks the floor to use Kiln's own ETag for the request.
                        spec = {**base, **({"If-None-Match": "@kiln"} if "If-None-Match" in headers else {})}
                        cmd = [binary, "floor", f"127.0.0.1:{port}", "GET", path, *[f"{k}:{v}" for k, v in spec.items()]]
                    elif who in ("kiln", "kiln-nest"):
                        cmd = [binary, who, f"127.0.0.1:{port}"]
                    elif who == "kiln-reload":
                        cmd = [reload_binary, "kiln", f"127.0.0.1:{port}"]
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
                          f"p50 {result['p50_ms']:.3f} ms  p99 {result['p99_ms']:.3f} ms  status {status}  "
                          f"server core {result['server_busy']:4.0%} {result['server_us_per_req']:6.1f} us/req  "
                          f"wrk core {result['client_busy']:4.0%}", flush=True)
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
    for name, *_ in scenarios:
        row = f"{name:14}"
        summary[name] = {}
        for who in contenders:
            runs = results[name][who]
            med = lambda key: statistics.median(x[key] for x in runs)
            summary[name][who] = {
                "rps": med("rps"), "ratio": med("ratio"), "p50_ms": med("p50_ms"),
                "p99_ms": med("p99_ms"), "server_us_per_req": med("server_us_per_req"),
                "server_busy": med("server_busy"), "client_busy": med("client_busy"),
                "status": runs[-1]["status"],
            }
            row += f"{med('rps'):>10.0f} {med('ratio'):6.2f}x {med('p99_ms'):6.2f}"
        print(row)

    print()
    print("server core time per request (us), and how busy wrk's core was (a busy wrk core means the")
    print("load generator, not the server, set the rate)")
    print(f"{'scenario':14}" + "".join(f"{c:>18}" for c in contenders))
    for name, *_ in scenarios:
        print(f"{name:14}" + "".join(
            f"{summary[name][c]['server_us_per_req']:>9.1f} us {summary[name][c]['client_busy']:4.0%}"
            for c in contenders))

    if "servedir" in contenders and "kiln" in contenders:
        print()
        print("kiln against servedir: requests/s ratio (median of per-round ratios), server core time ratio")
        for name, *_ in scenarios:
            rounds = list(zip(results[name]["kiln"], results[name]["servedir"]))
            rps_ratio = statistics.median(k["rps"] / d["rps"] for k, d in rounds)
            cpu_ratio = statistics.median(d["server_us_per_req"] / max(k["server_us_per_req"], 1e-9)
                                          for k, d in rounds)
            summary[name]["kiln_vs_servedir"] = {"rps": rps_ratio, "server_core_time": cpu_ratio}
            print(f"{name:14} {rps_ratio:6.2f}x req/s  {cpu_ratio:6.2f}x less core time per request")
    if args.json:
        args.json.write_text(json.dumps({"rounds": args.rounds, "seconds": args.seconds,
                                         "connections": args.connections, "summary": summary,
                                         "runs": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
