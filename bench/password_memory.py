#!/usr/bin/env python3
"""Resident memory of agora builds around login bursts, side by side in one run.

Each binary serves a fresh SQLite data dir (`serve --seed`, default argon2id cost: 7 MiB per
hash, rate limits off). RSS (VmRSS of the process) is read idle, after bursts of N concurrent
logins of the seeded admin (6, then 24), and 3 s and 12 s after the last burst (the pooled
working memory is dropped after 10 s without a hash, ADR 0038). Rounds alternate the
binaries. Prints a Markdown table (bench/password_memory.sh writes bench/results/).

Usage: bench/password_memory.py BINARY [BINARY …] [--rounds 2]
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

LOGIN = json.dumps({"email": "admin@agora.local", "password": "AgoraAdmin1"}).encode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS")


def login(port):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/auth/login", data=LOGIN,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200


def burst(port, n):
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        list(pool.map(lambda _: login(port), range(n)))


def measure(binary):
    data = tempfile.mkdtemp(prefix="agora-bench-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update({"AGORA_DATA_DIR": data, "AGORA_LOG": "warn", "AGORA_BIND": f"127.0.0.1:{port}",
                "AGORA_RATE_LIMIT__ENABLED": "false"})
    proc = subprocess.Popen([binary, "serve", "--seed"], env=env, cwd=data,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("agora not ready")
                time.sleep(0.05)
        row = {"idle": rss_mb(proc.pid)}
        burst(port, 6)
        row["after 6 concurrent logins"] = rss_mb(proc.pid)
        burst(port, 24)
        row["after 24 more"] = rss_mb(proc.pid)
        time.sleep(3)  # sleep: what stays resident once the burst is over
        row["3 s later"] = rss_mb(proc.pid)
        # sleep: past the 10 s after which an idle server drops argon2's pooled working memory
        # (ADR 0038); whether it leaves RSS is the allocator's business
        time.sleep(9)
        row["12 s later"] = rss_mb(proc.pid)
        return row
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        shutil.rmtree(data, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    binaries = [os.path.abspath(b) for b in args.binaries]
    rows = {b: [] for b in binaries}
    for _ in range(args.rounds):
        for binary in binaries:
            rows[binary].append(measure(binary))
    columns = list(rows[binaries[0]][0])
    print(f"## Resident memory around login bursts ({os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d')})\n")
    print(f"VmRSS in MB, median of {args.rounds} alternating rounds; SQLite, default argon2id cost.\n")
    print("| build | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for binary in binaries:
        cells = [f"{statistics.median(r[c] for r in rows[binary]):.1f}" for c in columns]
        print(f"| `{os.path.relpath(binary)}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
