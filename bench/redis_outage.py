#!/usr/bin/env python3
"""Authenticated requests through a Redis outage (ADR 0018), in one run.

Starts a Redis of its own (no persistence) and agora (`serve --seed`, SQLite by default or
--database-url, rate limits ON with the API.md defaults so the limiter path is exercised), logs
in as the seeded admin (not tier-limited) and measures `GET /api/users/me` with wrk:
  1. Redis up;
  2. Redis killed (sessions from the database, limits per replica, circuit open);
  3. Redis started again, empty: wrk runs from the restart on ("recovery"), and the time until
     `/ready` reports Redis up again and until a logout is seen through Redis again.
Prints a Markdown table (bench/redis_outage.sh writes it to bench/results/redis-outage.md).

Usage: bench/redis_outage.py BINARY [--duration 4] [--database-url postgres://…]
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, path, token=None, data=None, method=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:  # not listening yet
        return 0, b""


def poll(condition, deadline_s, what):
    began = time.monotonic()
    while time.monotonic() - began < deadline_s:
        if condition():
            return time.monotonic() - began
        time.sleep(0.02)
    raise SystemExit(f"{what} not within {deadline_s} s")


def redis_state(port):
    status, body = http(port, "/ready")
    try:
        return json.loads(body)["checks"]["redis"]["status"]
    except (ValueError, KeyError):
        return f"http {status}"


def start_redis(port):
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    poll(lambda: subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True,
                                text=True).stdout.strip() == "PONG", 10, "redis start")
    return proc


def wrk(port, token, duration):
    out = subprocess.run(["wrk", "-t1", "-c16", f"-d{duration}s", "--latency",
                          "-H", f"Authorization: Bearer {token}",
                          f"http://127.0.0.1:{port}/api/users/me"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0, total


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)  # agora runs in its own data directory

    redis_port, port = free_port(), free_port()
    redis = start_redis(redis_port)
    data = tempfile.mkdtemp(prefix="agora-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update({"AGORA_DATA_DIR": data, "AGORA_LOG": "warn", "AGORA_BIND": f"127.0.0.1:{port}",
                "AGORA_REDIS_URL": f"redis://127.0.0.1:{redis_port}"})
    if args.database_url:
        env["AGORA_DATABASE_URL"] = args.database_url
    agora = subprocess.Popen([binary, "serve", "--seed"], env=env, cwd=data,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        poll(lambda: http(port, "/ready")[0] == 200, 60, "agora ready")
        login = json.dumps({"email": "admin@agora.local", "password": "AgoraAdmin1"}).encode()
        token = json.loads(http(port, "/api/auth/login", data=login)[1])["accessToken"]
        http(port, "/api/users/me", token)

        rows.append(("Redis up", *wrk(port, token, args.duration)))
        redis.kill()
        redis.wait()
        poll(lambda: redis_state(port) == "degraded", 20, "/ready degraded")
        rows.append(("Redis down (fallbacks)", *wrk(port, token, args.duration)))
        restarted = time.monotonic()
        redis = start_redis(redis_port)
        # Watched beside the load: when /ready first says Redis is up again.
        recovered = {}
        watcher = threading.Thread(target=lambda: recovered.setdefault(
            "after", poll(lambda: redis_state(port) == "up", 30, "/ready up")))
        started_watch = time.monotonic()
        watcher.start()
        rows.append(("from the restart on (recovery)", *wrk(port, token, args.duration)))
        watcher.join()
        recovered_after = (started_watch - restarted) + recovered["after"]
        # A logout after recovery must travel through Redis again (invalidation broadcast).
        other = json.loads(http(port, "/api/auth/login", data=login)[1])["accessToken"]
        http(port, "/api/auth/logout", other, data=b"{}", method="POST")
        revoked = http(port, "/api/users/me", other)[0]
    finally:
        agora.terminate()
        agora.wait(timeout=15)
        redis.kill()
        shutil.rmtree(data, ignore_errors=True)

    backend = "Postgres" if args.database_url else "SQLite"
    print(f"## Authenticated requests through a Redis outage ({os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d')})\n")
    print(f"`{args.binary}`, {backend}, a Redis of its own killed and restarted empty; "
          f"`GET /api/users/me` as the seeded admin, wrk -t1 -c16 -d{args.duration}s.\n")
    print("| phase | req/s | p99 ms | non-2xx | requests |")
    print("|---|---|---|---|---|")
    for label, rps, p99, non2xx, total in rows:
        print(f"| {label} | {rps:,.0f} | {p99:.2f} | {non2xx} | {total} |")
    print(f"\n`/ready` reported Redis up again {recovered_after:.2f} s after the restart "
          f"(no agora restart); a logout right after was answered {revoked} on the next request.")


if __name__ == "__main__":
    main()
