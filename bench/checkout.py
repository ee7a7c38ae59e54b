#!/usr/bin/env python3
"""Checkout benchmark (issue 10): checkouts/s and latency of `POST /api/orders`, all buyers on
one product (one hot stock row) vs spread over many products, on SQLite and on Postgres + Redis.

Per backend: one server (fresh data dir / fresh database, rate limits off), N verified buyers
made with `agora user create --password-stdin` and logged in once. Then rounds, alternating the
order of the two scenarios: each round creates fresh products (hot: one product; spread: up to
100 products, buyer i on product i mod P; stock always ample, so every checkout should place an
order), puts one unit in every buyer's cart (not timed), and fires the N checkouts — each with
its own Idempotency-Key — from C worker threads over keep-alive connections (timed: wall clock
for the rate, each request for the latency). The two-step flow is measured (place only; the
`new-checkout-flow` canary is off).

Usage: bench/checkout.py [--binary target/debug/agora] [--buyers 300] [--concurrency 16]
                         [--rounds 2] [--backends sqlite,postgres]
Prints Markdown; bench/checkout.sh writes it to bench/results/orders.md.
"""
import argparse
import datetime
import http.client
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import foundation
from foundation import free_port, stop

PG_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
PASSWORD = "BenchPass1"
SPREAD_PRODUCTS = 100
# Preparation only: the buyers' password hashes are cheap so making 300 of them is quick; no
# login is timed.
CHEAP_HASHES = {"AGORA_PASSWORD_HASH__MEMORY_KIB": "64", "AGORA_PASSWORD_HASH__ITERATIONS": "1"}


class Client:
    """One keep-alive connection per thread."""

    def __init__(self, port):
        self.port = port
        self.local = threading.local()

    def request(self, method, path, token=None, body=None, headers=None):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        try:
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            self.local.conn = None
            raise


def psql(sql):
    subprocess.run(["psql", PG_ADMIN, "-q", "-c", sql], check=True, capture_output=True)


def cli(binary, env, data, *args, stdin=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    full.update(env)
    full.update({"AGORA_DATA_DIR": data, "AGORA_LOG": "warn"})
    subprocess.run([binary, *args], env=full, cwd=data, input=stdin, text=True, check=True,
                   capture_output=True)


def login(client, email):
    status, body = client.request("POST", "/api/auth/login", body={"email": email, "password": PASSWORD})
    assert status == 200, (status, body)
    return json.loads(body)["accessToken"]


def create_product(client, admin, stock):
    sku = f"B-{uuid.uuid4().hex[:12]}".upper()
    body = {"sku": sku, "name": f"Bench {sku}", "description": "",
            "price": {"amount": 1000, "currency": "EUR"}, "stock": stock}
    status, answer = client.request("POST", "/api/products", admin, body)
    assert status == 201, (status, answer)
    return json.loads(answer)["id"]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_round(client, admin, tokens, scenario, concurrency):
    count = len(tokens)
    if scenario == "hot":
        products = [create_product(client, admin, count)]
    else:
        products = [create_product(client, admin, count) for _ in range(min(SPREAD_PRODUCTS, count))]

    def put(i):
        product = products[i % len(products)]
        status, body = client.request("PUT", f"/api/cart/items/{product}", tokens[i], {"quantity": 1})
        assert status == 200, (status, body)

    def checkout(i):
        began = time.perf_counter()
        status, _ = client.request("POST", "/api/orders", tokens[i], {},
                                   {"Idempotency-Key": str(uuid.uuid4())})
        return status, (time.perf_counter() - began) * 1000

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(put, range(count)))
        began = time.perf_counter()
        answers = list(pool.map(checkout, range(count)))
        wall = time.perf_counter() - began
    latencies = [ms for _, ms in answers]
    statuses = [status for status, _ in answers]
    return {
        "rate": count / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "placed": statuses.count(201),
        "other": sorted({s for s in statuses if s != 201}),
    }


def measure_backend(binary, backend_env, buyers, concurrency, rounds):
    data = tempfile.mkdtemp(prefix="agora-bench-")
    env = {"AGORA_RATE_LIMIT__ENABLED": "false", **CHEAP_HASHES, **backend_env}
    port = free_port()
    proc, _ = foundation.start(data, port, env)
    client = Client(port)
    try:
        cli(binary, env, data, "user", "create", "--email", "admin@bench.example", "--name",
            "Bench Admin", "--admin", "--password-stdin", stdin=PASSWORD + "\n")
        emails = [f"buyer{i}@bench.example" for i in range(buyers)]
        for email in emails:
            cli(binary, env, data, "user", "create", "--email", email, "--name", "Bench Buyer",
                "--password-stdin", stdin=PASSWORD + "\n")
        admin = login(client, "admin@bench.example")
        with ThreadPoolExecutor(concurrency) as pool:
            tokens = list(pool.map(lambda e: login(client, e), emails))
        results = {"hot": [], "spread": []}
        for index in range(rounds):
            order = ("hot", "spread") if index % 2 == 0 else ("spread", "hot")
            for scenario in order:
                results[scenario].append(run_round(client, admin, tokens, scenario, concurrency))
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/debug/agora")
    parser.add_argument("--buyers", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    foundation.BINARY = binary  # what foundation.start() runs

    created = []

    def postgres():
        name = f"agora_bench_{uuid.uuid4().hex[:8]}"
        psql(f"CREATE DATABASE {name}")
        created.append(name)
        return {"AGORA_DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + "/" + name,
                "AGORA_REDIS_URL": REDIS, "AGORA_REDIS_PREFIX": f"bench-{name}:"}

    backends = {"sqlite": ("SQLite", dict), "postgres": ("Postgres + Redis", postgres)}
    print(f"## Checkout benchmark ({os.cpu_count()} cores, {datetime.date.today()})\n")
    print(f"`{args.binary}`; {args.buyers} verified buyers, one unit each, {args.buyers} checkouts "
          f"per round from {args.concurrency} threads (keep-alive), {args.rounds} alternating rounds; "
          f"hot = every buyer on one product, spread = {min(SPREAD_PRODUCTS, args.buyers)} products.\n")
    print("| backend | scenario | round | checkouts/s | p50 ms | p99 ms | max ms | placed | other statuses |")
    print("|---|---|---|---|---|---|---|---|---|")
    summary = []
    try:
        for key in args.backends.split(","):
            name, make_env = backends[key]
            results = measure_backend(binary, make_env(), args.buyers, args.concurrency, args.rounds)
            for scenario, rounds in results.items():
                for index, r in enumerate(rounds, 1):
                    print(f"| {name} | {scenario} | {index} | {r['rate']:.0f} | {r['p50']:.1f} | "
                          f"{r['p99']:.1f} | {r['max']:.1f} | {r['placed']}/{args.buyers} | "
                          f"{r['other'] or '-'} |")
                summary.append((name, scenario, statistics.median(r["rate"] for r in rounds),
                                statistics.median(r["p99"] for r in rounds)))
    finally:
        for name in created:
            psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print("\nMedian over the rounds:\n")
    for name, scenario, rate, p99 in summary:
        print(f"- {name}, {scenario}: {rate:.0f} checkouts/s, p99 {p99:.1f} ms")


if __name__ == "__main__":
    main()
