#!/usr/bin/env python3
"""Forgot-password timing, known vs unknown email (issue 16, item 5).

Starts the server (SQLite, rate limits off so every request is served), creates one account,
then sends POST /api/auth/forgot-password over one keep-alive connection, alternating a known
and an unknown address, and reports the median and p99 latency of each. The request path is
meant to do the same work for both (one outbox job; the lookup and the mail run afterwards in
the relay), so the two distributions should match.

Usage: bench/forgot_password.py [--requests N] [--binary PATH]
(default binary: target/release/agora; pass target/debug/agora to compare quickly, and the
binary of an older checkout for a before/after.)
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import time

import foundation
from foundation import free_port, start, stop


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="per address")
    parser.add_argument("--binary", default=foundation.BINARY)
    args = parser.parse_args()
    foundation.BINARY = os.path.abspath(args.binary)
    data = tempfile.mkdtemp(prefix="agora-bench-forgot-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env["AGORA_DATA_DIR"] = data
    subprocess.run([foundation.BINARY, "user", "create", "--email", "known@example.org", "--name", "Known User",
                    "--password-stdin"], input="BenchPass1\n", text=True, env=env, cwd=data,
                   check=True, capture_output=True)
    port = free_port()
    proc, _ = start(data, port, {"AGORA_RATE_LIMIT__ENABLED": "false"})
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        samples = {"known": [], "unknown": []}
        addresses = {"known": "known@example.org", "unknown": "nobody@example.org"}
        headers = {"Content-Type": "application/json"}
        for i in range(args.requests * 2 + 200):
            which = "known" if i % 2 == 0 else "unknown"
            body = json.dumps({"email": addresses[which]})
            began = time.perf_counter()
            conn.request("POST", "/api/auth/forgot-password", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status == 202, response.status
            if i >= 200:  # warm-up excluded
                samples[which].append(elapsed)
        for which, values in samples.items():
            values.sort()
            p99 = values[int(len(values) * 0.99) - 1]
            print(f"{which:8} n={len(values)} median={statistics.median(values):.3f} ms "
                  f"p99={p99:.3f} ms mean={statistics.mean(values):.3f} ms")
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
