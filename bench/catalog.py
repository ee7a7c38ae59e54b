#!/usr/bin/env python3
"""Catalog benchmark (issue 6): release binary, 200 seeded products.

`GET /api/products?page=1&limit=20` and `GET /api/products/{id}`, cache warm (default) vs cold
(`catalog.cache = false`: every read hits the database), on SQLite and on Postgres + Redis.
Rate limiting is off so only the catalog path is measured.

Usage: bench/catalog.py [--duration SECONDS]   (bench/catalog.sh builds and writes results)
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request
import uuid

from foundation import BINARY, free_port, start, stop

PG_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def wrk(url, duration):
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    return rate, p99


def psql(sql):
    subprocess.run(["psql", PG_ADMIN, "-q", "-c", sql], check=True, capture_output=True)


def measure(backend_env, cache, duration):
    data = tempfile.mkdtemp(prefix="agora-bench-")
    env = {"AGORA_RATE_LIMIT__ENABLED": "false", "AGORA_CATALOG__CACHE": "true" if cache else "false",
           "AGORA_LOG": "warn", **backend_env}
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    full_env.update(env)
    full_env["AGORA_DATA_DIR"] = data
    subprocess.run([BINARY, "seed"], env=full_env, cwd=data, check=True, capture_output=True)
    port = free_port()
    proc, _ = start(data, port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        page = json.load(urllib.request.urlopen(f"{base}/api/products?limit=1"))
        product = page["data"][0]["id"]
        results = {
            "list": wrk(f"{base}/api/products?page=1&limit=20", duration),
            "by id": wrk(f"{base}/api/products/{product}", duration),
        }
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    args = parser.parse_args()
    print("## Catalog benchmark (release build, 200 products, wrk -t2 -c32 on the same 2 cores)\n")
    backends = [("SQLite", lambda: {})]
    if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
        def postgres():
            name = f"agora_bench_{uuid.uuid4().hex[:8]}"
            psql(f"CREATE DATABASE {name}")
            postgres.created.append(name)
            return {"AGORA_DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + "/" + name,
                    "AGORA_REDIS_URL": REDIS, "AGORA_REDIS_PREFIX": f"bench-{name}:"}
        postgres.created = []
        backends.append(("Postgres + Redis", postgres))
    try:
        for name, backend in backends:
            cold = measure(backend(), False, args.duration)
            warm = measure(backend(), True, args.duration)
            for endpoint in ("list", "by id"):
                (w_rate, w_p99), (c_rate, c_p99) = warm[endpoint], cold[endpoint]
                print(f"- {name}, {endpoint}: warm {w_rate:.0f} req/s (p99 {w_p99}), cold {c_rate:.0f} req/s "
                      f"(p99 {c_p99}); warm/cold = {w_rate / c_rate:.1f}x")
    finally:
        for created in getattr(backends[-1][1], "created", []):
            psql(f"DROP DATABASE IF EXISTS {created} WITH (FORCE)")


if __name__ == "__main__":
    main()
