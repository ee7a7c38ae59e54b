#!/usr/bin/env python3
"""Foundation benchmark (issue 3): release binary, SQLite default.

Measures, each over several runs:
  * exec -> first `/ready` 200 (fresh data dir, i.e. including migrations; and an already
    migrated one);
  * idle resident memory (VmRSS) one second after ready;
  * `/health` throughput and latency with wrk over loopback.

Usage: bench/foundation.py [--runs N] [--duration SECONDS]
Prints a Markdown report on stdout; bench/foundation.sh writes it to bench/results/.
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "agora")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05) as s:
            s.sendall(b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start(data_dir, port, extra_env=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(extra_env or {})
    env.update({"AGORA_DATA_DIR": data_dir, "AGORA_LOG": "warn", "AGORA_BIND": f"127.0.0.1:{port}"})
    began = time.perf_counter()
    proc = subprocess.Popen([BINARY, "serve"], env=env, cwd=data_dir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not ready(port):
        if proc.poll() is not None:
            raise SystemExit("agora exited during start-up")
        if time.perf_counter() - began > 30:
            raise SystemExit("agora not ready after 30 s")
    return proc, (time.perf_counter() - began) * 1000


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def stop(proc):
    proc.terminate()
    proc.wait(timeout=15)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()

    cold, warm, rss = [], [], []
    for _ in range(args.runs):
        data = tempfile.mkdtemp(prefix="agora-bench-")
        try:
            proc, ms = start(data, free_port())
            cold.append(ms)
            stop(proc)
            proc, ms = start(data, free_port())
            warm.append(ms)
            time.sleep(1)
            rss.append(rss_kib(proc.pid) / 1024)
            stop(proc)
        finally:
            shutil.rmtree(data, ignore_errors=True)

    data = tempfile.mkdtemp(prefix="agora-bench-")
    port = free_port()
    proc, _ = start(data, port)
    try:
        wrk = subprocess.run(["wrk", "-t2", "-c64", f"-d{args.duration}s", "--latency",
                              f"http://127.0.0.1:{port}/health"], capture_output=True, text=True, check=True).stdout
        busy_rss = rss_kib(proc.pid) / 1024
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)

    def stats(values, unit):
        return (f"median {statistics.median(values):.1f} {unit}, min {min(values):.1f}, "
                f"max {max(values):.1f} (n={len(values)})")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)
    p50 = re.search(r"^\s+50%\s+(\S+)", wrk, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", wrk, re.M).group(1)
    print("## Foundation benchmark (release build, SQLite default)\n")
    print(f"- machine: {os.cpu_count()} cores, `{os.uname().release}`, {time.strftime('%Y-%m-%d')}")
    print(f"- exec → /ready 200, fresh data dir (creates DB, runs migrations): {stats(cold, 'ms')}")
    print(f"- exec → /ready 200, migrated data dir: {stats(warm, 'ms')}")
    print(f"- idle RSS 1 s after ready: {stats(rss, 'MiB')}")
    print(f"- GET /health, wrk -t2 -c64 -d{args.duration}s (load generator on the same 2 cores): "
          f"{rps} req/s, p50 {p50}, p99 {p99}; RSS after load {busy_rss:.1f} MiB")


if __name__ == "__main__":
    main()
