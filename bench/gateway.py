#!/usr/bin/env python3
"""Gateway hop benchmark (issue 14): the latency the gateway adds in front of a monolith.

Starts the release binary twice — a seeded monolith and `--target gateway` in front of it
(`AGORA_GATEWAY__UPSTREAMS`) — and measures with wrk, for each endpoint, the direct monolith and
the same request through the gateway: p50, p99 and requests/s. Rate limits are off on both (the
hop itself is what is measured; with them on, the gateway adds one limiter check per request,
see bench/results/ratelimit.md). Load generator, gateway and monolith share the machine's cores,
so the gateway's CPU competes with the monolith's: an upper bound on the overhead.

Usage: bench/gateway.py [--duration SECONDS] [--connections N] [--binary PATH]
Prints a Markdown report on stdout; bench/gateway.sh writes it to bench/results/gateway.md.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def start(binary, args, data_dir, port, extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(extra_env)
    env.update({"AGORA_DATA_DIR": data_dir, "AGORA_LOG": "warn", "AGORA_BIND": f"127.0.0.1:{port}",
                "AGORA_RATE_LIMIT__ENABLED": "false"})
    proc = subprocess.Popen([binary, *args], env=env, cwd=data_dir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    began = time.time()
    while not ready(port):
        if proc.poll() is not None:
            raise SystemExit(f"agora {' '.join(args)} exited during start-up")
        if time.time() - began > 60:
            raise SystemExit(f"agora {' '.join(args)} not ready after 60 s")
        time.sleep(0.1)
    return proc


def wrk(url, duration, connections):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} non-2xx answers")
    return p50, p99, rps


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "agora"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as mono_dir, tempfile.TemporaryDirectory() as gw_dir:
        mono_port, gw_port = free_port(), free_port()
        mono = start(args.binary, ["serve", "--seed"], mono_dir, mono_port, {})
        gateway = start(args.binary, ["serve", "--target", "gateway"], gw_dir, gw_port,
                        {"AGORA_GATEWAY__UPSTREAMS": f"http://127.0.0.1:{mono_port}"})
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{mono_port}/api/products?limit=1") as r:
                product = json.load(r)["data"][0]["id"]
            endpoints = [("/health", "/health"), ("product list", "/api/products?limit=20"),
                         ("product by id", f"/api/products/{product}")]
            rows = []
            for name, path in endpoints:
                direct = wrk(f"http://127.0.0.1:{mono_port}{path}", args.duration, args.connections)
                hop = wrk(f"http://127.0.0.1:{gw_port}{path}", args.duration, args.connections)
                rows.append((name, direct, hop))
        finally:
            for proc in (gateway, mono):
                proc.terminate()
                proc.wait(timeout=20)
    cores = os.cpu_count()
    print("# Gateway hop: latency added in front of the monolith\n")
    print(f"`bench/gateway.sh` — release binary, SQLite, rate limits off, wrk -t1 "
          f"-c{args.connections} -d{args.duration}s per row, {cores} cores shared by wrk, the "
          f"gateway and the monolith (and whatever else runs on the machine).\n")
    print("| endpoint | direct p50 | direct p99 | direct req/s | gateway p50 | gateway p99 | gateway req/s |")
    print("|---|---|---|---|---|---|---|")
    for name, (d50, d99, drps), (g50, g99, grps) in rows:
        print(f"| {name} | {d50} | {d99} | {drps:.0f} | {g50} | {g99} | {grps:.0f} |")
    print("\nThe gateway's own `/health` is answered by the gateway itself (no hop); the other "
          "rows cross it. The difference is one extra loopback HTTP/1.1 exchange over a pooled "
          "connection, header rewriting and a streamed body copy, plus the gateway's request id "
          "and trace span.")


if __name__ == "__main__":
    main()
