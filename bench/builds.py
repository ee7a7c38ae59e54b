#!/usr/bin/env python3
"""Two builds of agora side by side, in one run: `/health` and the cached product list.

Each binary serves a fresh SQLite data dir seeded with the demo catalog, rate limits off, the
cache warmed by one request. Rounds alternate A, B, A, B, … so drift of the shared 2-core machine
hits both alike; the report gives the median of the rounds. Also counts Redis connections per
process when --redis is given (CLIENT LIST while each binary runs with AGORA_REDIS_URL).

Usage: bench/builds.py BINARY_A BINARY_B [--rounds 3] [--duration 4] [--redis redis://127.0.0.1:6379]
Prints a Markdown table on stdout (bench/builds.sh writes it to bench/results/).
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

PATHS = {"/health": "/health", "product list, cached": "/api/products?limit=20"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, deadline_s=60):
    began = time.monotonic()
    while time.monotonic() - began < deadline_s:
        if proc.poll() is not None:
            raise SystemExit("agora exited during start-up")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"agora not ready after {deadline_s} s")


def start(binary, data_dir, port, extra_env=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(extra_env or {})
    env.update({"AGORA_DATA_DIR": data_dir, "AGORA_LOG": "warn", "AGORA_BIND": f"127.0.0.1:{port}",
                "AGORA_RATE_LIMIT__ENABLED": "false"})
    proc = subprocess.Popen([binary, "serve", "--seed"], env=env, cwd=data_dir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, proc)
    for path in PATHS.values():  # warm the cache
        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()
    return proc


def stop(proc):
    proc.terminate()
    proc.wait(timeout=15)


def wrk(port, path, duration):
    out = subprocess.run(["wrk", "-t1", "-c32", f"-d{duration}s", f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def redis_clients(binary, redis_url):
    """Connections a running agora holds to Redis (CLIENT LIST, by this process's prefix name)."""
    data = tempfile.mkdtemp(prefix="agora-bench-")
    port = free_port()
    before = client_count(redis_url)
    proc = start(binary, data, port, {"AGORA_REDIS_URL": redis_url,
                                      "AGORA_REDIS_PREFIX": f"bench-{os.getpid()}-{port}:"})
    try:
        time.sleep(1)  # subscribers connect in the background after start
        return client_count(redis_url) - before
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


def client_count(redis_url):
    host, port = re.match(r"redis://([^:/]+):?(\d+)?", redis_url).groups()
    out = subprocess.run(["redis-cli", "-h", host, "-p", port or "6379", "CLIENT", "LIST"],
                         capture_output=True, text=True, check=True).stdout
    return len([line for line in out.splitlines() if line.strip()]) - 1  # minus redis-cli itself


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--redis")
    args = parser.parse_args()

    results = {label: {args.a: [], args.b: []} for label in PATHS}
    for _ in range(args.rounds):
        for binary in (args.a, args.b):
            data = tempfile.mkdtemp(prefix="agora-bench-")
            port = free_port()
            proc = start(binary, data, port)
            try:
                for label, path in PATHS.items():
                    results[label][binary].append(wrk(port, path, args.duration))
            finally:
                stop(proc)
                shutil.rmtree(data, ignore_errors=True)

    print(f"## Two builds side by side ({os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})\n")
    print(f"A = `{args.a}`, B = `{args.b}`; wrk -t1 -c32 -d{args.duration}s, median of "
          f"{args.rounds} alternating rounds, SQLite, rate limits off.\n")
    print("| endpoint | A req/s | B req/s | B / A |")
    print("|---|---|---|---|")
    for label in PATHS:
        a = statistics.median(results[label][args.a])
        b = statistics.median(results[label][args.b])
        print(f"| {label} | {a:,.0f} | {b:,.0f} | {b / a:.2f} |")
    if args.redis:
        print(f"\nRedis connections per process (monolith with AGORA_REDIS_URL): "
              f"A {redis_clients(args.a, args.redis)}, B {redis_clients(args.b, args.redis)}")


if __name__ == "__main__":
    main()
