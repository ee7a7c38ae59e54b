#!/usr/bin/env python3
"""Checkouts/s split vs monolith (issue 14): the same checkout rounds as bench/checkout.py, once
against one monolith and once against identity, catalog and orders as three processes
(`agora serve --target …`, each on its own SQLite file), orders reaching catalog's ports over
signed HTTP (ADR 0030) and running the checkout saga (reserve pending → commit → confirm,
ADR 0031). Requests go straight to each service (no gateway: its hop is measured separately).

Usage: bench/checkout_split.py [--binary target/debug/agora] [--buyers 200] [--concurrency 16]
                               [--rounds 2]
Prints Markdown; bench/checkout_split.sh writes it to bench/results/checkout_split.md.
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import checkout
import foundation
from checkout import CHEAP_HASHES, PASSWORD, Client, cli, login, run_round
from foundation import free_port, ready, stop

SECRET = "bench-secret-shared-by-services"


def start(binary, target, data, port, env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    full.update(env)
    full.update({"AGORA_DATA_DIR": data, "AGORA_LOG": "warn", "AGORA_BIND": f"127.0.0.1:{port}"})
    proc = subprocess.Popen([binary, "serve", "--target", target], env=full, cwd=data,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    began = time.perf_counter()
    while not ready(port):
        if proc.poll() is not None:
            raise SystemExit(f"agora --target {target} exited during start-up")
        if time.perf_counter() - began > 30:
            raise SystemExit(f"agora --target {target} not ready after 30 s")
    return proc


class Routed:
    """Sends each path to the service that owns it (what a gateway would do)."""

    def __init__(self, identity, catalog, orders):
        self.identity, self.catalog, self.orders = identity, catalog, orders

    def request(self, method, path, token=None, body=None, headers=None):
        if path.startswith("/api/auth"):
            target = self.identity
        elif path.startswith("/api/products"):
            target = self.catalog
        else:
            target = self.orders
        return target.request(method, path, token, body, headers)


def users(binary, env, data, buyers):
    cli(binary, env, data, "user", "create", "--email", "admin@bench.example", "--name",
        "Bench Admin", "--admin", "--password-stdin", stdin=PASSWORD + "\n")
    emails = [f"buyer{i}@bench.example" for i in range(buyers)]
    for email in emails:
        cli(binary, env, data, "user", "create", "--email", email, "--name", "Bench Buyer",
            "--password-stdin", stdin=PASSWORD + "\n")
    return emails


def measure(client, emails, concurrency, rounds):
    admin = login(client, "admin@bench.example")
    with ThreadPoolExecutor(concurrency) as pool:
        tokens = list(pool.map(lambda e: login(client, e), emails))
    results = {"hot": [], "spread": []}
    for index in range(rounds):
        order = ("hot", "spread") if index % 2 == 0 else ("spread", "hot")
        for scenario in order:
            results[scenario].append(run_round(client, admin, tokens, scenario, concurrency))
    return results


def monolith(binary, buyers, concurrency, rounds):
    data = tempfile.mkdtemp(prefix="agora-bench-mono-")
    env = {"AGORA_RATE_LIMIT__ENABLED": "false", **CHEAP_HASHES}
    port = free_port()
    proc = start(binary, "all", data, port, env)
    try:
        emails = users(binary, env, data, buyers)
        return measure(Client(port), emails, concurrency, rounds)
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


def split(binary, buyers, concurrency, rounds):
    dirs = [tempfile.mkdtemp(prefix=f"agora-bench-{t}-") for t in ("identity", "catalog", "orders")]
    ports = [free_port() for _ in dirs]
    base = {"AGORA_RATE_LIMIT__ENABLED": "false", "AGORA_SERVICES__SECRET": SECRET, **CHEAP_HASHES,
            "AGORA_IDENTITY_URL": f"http://127.0.0.1:{ports[0]}"}
    procs = []
    try:
        procs.append(start(binary, "identity", dirs[0], ports[0],
                           {k: v for k, v in base.items() if k != "AGORA_IDENTITY_URL"}))
        procs.append(start(binary, "catalog", dirs[1], ports[1], base))
        procs.append(start(binary, "orders", dirs[2], ports[2],
                           {**base, "AGORA_CATALOG_URL": f"http://127.0.0.1:{ports[1]}"}))
        emails = users(binary, {k: v for k, v in base.items() if k != "AGORA_IDENTITY_URL"},
                       dirs[0], buyers)
        client = Routed(*(Client(p) for p in ports))
        return measure(client, emails, concurrency, rounds)
    finally:
        for proc in reversed(procs):
            stop(proc)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/debug/agora")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    foundation.BINARY = checkout.foundation.BINARY = binary
    print(f"## Checkout: split services vs monolith, SQLite ({os.cpu_count()} cores, "
          f"{datetime.date.today()})\n")
    print(f"`{args.binary}`; {args.buyers} buyers, one unit each, {args.buyers} checkouts per round "
          f"from {args.concurrency} threads (keep-alive), {args.rounds} alternating rounds; hot = one "
          f"product, spread = {min(checkout.SPREAD_PRODUCTS, args.buyers)} products. Split = identity, "
          f"catalog and orders processes on their own databases; orders calls catalog over HTTP "
          f"(snapshots, reserve, confirm).\n")
    print("| topology | scenario | round | checkouts/s | p50 ms | p99 ms | max ms | placed | other statuses |")
    print("|---|---|---|---|---|---|---|---|---|")
    summary = []
    for name, run in (("monolith", monolith), ("split", split)):
        results = run(binary, args.buyers, args.concurrency, args.rounds)
        for scenario, rounds in results.items():
            for index, r in enumerate(rounds, 1):
                print(f"| {name} | {scenario} | {index} | {r['rate']:.0f} | {r['p50']:.1f} | "
                      f"{r['p99']:.1f} | {r['max']:.1f} | {r['placed']}/{args.buyers} | "
                      f"{r['other'] or '-'} |")
            summary.append((name, scenario, statistics.median(r["rate"] for r in rounds),
                            statistics.median(r["p99"] for r in rounds)))
    print("\nMedian over the rounds:\n")
    for name, scenario, rate, p99 in summary:
        print(f"- {name}, {scenario}: {rate:.0f} checkouts/s, p99 {p99:.1f} ms")


if __name__ == "__main__":
    main()
