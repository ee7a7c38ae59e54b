#!/usr/bin/env python3
"""Identity benchmark (issue 4): release binary, SQLite default, default argon2id cost
(m=7168 KiB, t=5, p=1).

Measures:
  * login throughput with one client in series: one argon2 verification at a time, i.e.
    hashes/s on one core;
  * login throughput with 50 concurrent clients (bounded by the hashing concurrency cap and the
    cores);
  * while those 50 logins are in flight, the latency of GET /health from a second wrk (p50/p99):
    shows whether the async runtime stays responsive while argon2 saturates the CPU.

Usage: bench/identity.py [--duration SECONDS]   (bench/identity.sh builds and writes results)
"""
import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time

from foundation import BINARY, free_port, start, stop

HERE = os.path.dirname(os.path.abspath(__file__))


def wrk(args):
    return subprocess.run(["wrk", *args], capture_output=True, text=True, check=True).stdout


def rate(output):
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def percentile(output, p):
    return re.search(rf"^\s+{p}%\s+(\S+)", output, re.M).group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--max-concurrent", type=int, default=0,
                        help="password_hash.max_concurrent for the server (0 = one per core)")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="agora-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env["AGORA_DATA_DIR"] = data
    subprocess.run([BINARY, "user", "create", "--email", "bench@example.org", "--name", "Bench Mark",
                    "--password-stdin"], input="BenchPass1\n", text=True, env=env, cwd=data,
                   check=True, capture_output=True)
    port = free_port()
    # Rate limits off: this measures hashing, not the (correct) refusal of a login flood.
    proc, _ = start(data, port, {"AGORA_PASSWORD_HASH__MAX_CONCURRENT": str(args.max_concurrent),
                                 "AGORA_RATE_LIMIT__ENABLED": "false"})
    base = f"http://127.0.0.1:{port}"
    login = ["-s", os.path.join(HERE, "login.lua"), f"{base}/api/auth/login"]
    try:
        serial = wrk(["-t1", "-c1", f"-d{args.duration}s", "--latency", *login])
        concurrent = subprocess.Popen(["wrk", "-t1", "-c50", f"-d{args.duration + 4}s", "--latency", *login],
                                      stdout=subprocess.PIPE, text=True)
        time.sleep(2)  # let the 50 logins saturate the hashing pool first
        health = wrk(["-t1", "-c4", f"-d{args.duration}s", "--latency", f"{base}/health"])
        concurrent_out = concurrent.communicate()[0]
        idle_health = wrk(["-t1", "-c4", f"-d{args.duration}s", "--latency", f"{base}/health"])
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)

    print("## Identity benchmark (release build, SQLite, argon2id m=7168 KiB t=5 p=1)\n")
    print(f"- machine: {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}; "
          f"password_hash.max_concurrent = {args.max_concurrent or 'default (cores - 1, at least 1)'}")
    print(f"- login, 1 client in series: {rate(serial):.1f} logins/s = argon2id verifications/s on one core "
          f"(p50 {percentile(serial, 50)})")
    failures = re.search(r"non-200 responses: (\d+)", concurrent_out).group(1)
    print(f"- login, 50 concurrent clients: {rate(concurrent_out):.1f} logins/s "
          f"(p99 {percentile(concurrent_out, 99) if '99%' in concurrent_out else 'n/a'}; non-200: {failures})")
    print(f"- GET /health while 50 logins are in flight (wrk -c4): p50 {percentile(health, 50)}, "
          f"p99 {percentile(health, 99)}, {rate(health):.0f} req/s")
    print(f"- GET /health idle, same load tool (wrk -c4): p50 {percentile(idle_health, 50)}, "
          f"p99 {percentile(idle_health, 99)}, {rate(idle_health):.0f} req/s")


if __name__ == "__main__":
    main()
