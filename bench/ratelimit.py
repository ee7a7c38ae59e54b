#!/usr/bin/env python3
"""Rate-limit overhead benchmark (issue 5): release binary, SQLite.

Throughput of a trivial anonymous endpoint (`GET /.well-known/jwks.json`, counted by the limiter;
`/health` is exempt) with limiting off, with the in-process limiter and with the Redis limiter.
Limits are raised so nothing is rejected: the numbers are the cost of counting.

Usage: bench/ratelimit.py [--duration SECONDS] [--runs N]   (bench/ratelimit.sh builds and writes results)
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import uuid

from foundation import free_port, start, stop


def throughput(extra_env, duration):
    data = tempfile.mkdtemp(prefix="agora-bench-")
    port = free_port()
    env = {"AGORA_RATE_LIMIT__ANONYMOUS": "100000000/1m", "AGORA_LOG": "warn"}
    env.update(extra_env)
    proc, _ = start(data, port, env)
    try:
        out = subprocess.run(["wrk", "-t2", "-c32", f"-d{duration}s", "--latency",
                              f"http://127.0.0.1:{port}/.well-known/jwks.json"],
                             capture_output=True, text=True, check=True).stdout
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
    configs = [
        ("limiting off", {"AGORA_RATE_LIMIT__ENABLED": "false"}),
        ("in-process limiter", {}),
        ("Redis limiter", {"AGORA_REDIS_URL": redis, "AGORA_REDIS_PREFIX": f"bench-{uuid.uuid4().hex}:"}),
    ]
    results = {}
    # Interleave the configurations run by run, so drift on a shared machine hits all alike.
    for _ in range(args.runs):
        for name, env in configs:
            results.setdefault(name, []).append(throughput(env, args.duration))
    print("## Rate-limit overhead (release build, wrk -t2 -c32 on the same 2 cores)\n")
    base = statistics.median(r for r, _ in results["limiting off"])
    for name, _ in configs:
        rates = [r for r, _ in results[name]]
        median = statistics.median(rates)
        p99s = ", ".join(p for _, p in results[name])
        overhead = (1 - median / base) * 100
        print(f"- {name}: median {median:.0f} req/s over {len(rates)} runs (p99 per run: {p99s}); "
              f"overhead vs off: {overhead:.1f}%")


if __name__ == "__main__":
    main()
