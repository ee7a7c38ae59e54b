#!/usr/bin/env python3
"""Agora against its ceilings and its peer, side by side in one run (issue 18).

Serves, on this machine at once:
  * Agora (release build) on Postgres + Redis, rate limits off, loaded with the peer's data
    (200 products, created through the API);
  * nginx serving the very bytes Agora answers for the cached product list and a product by id
    (the ceiling of "serving bytes" here);
  * a bare axum `/health` (examples/bare_axum.rs: the ceiling of the framework);
  * when Node is present, the seed's Express + knex + pg + ioredis stack
    (../shared/peers/express-seed) on its own Postgres database and Redis prefix.
Each endpoint is driven with wrk (-t1 -c32) for --duration seconds per round; rounds alternate
the servers, and the table gives medians. Login (both; Agora's argon2id at its default cost, the
peer's bcrypt cost 10), an uncached product list (both: pages no request asked before, so both
caches miss; compare_scripts.uncached_script) and checkout (Agora alone: the peer has no
orders) are rows too; a
checkout is a cart line put and `POST /api/orders` on one keep-alive connection per buyer
(wrk -tN -cN, one buyer per thread, so a thread's two requests never race).

Then latency at a constant rate: each of Agora's rows again at half its measured maximum, paced
by a wrk script (`delay()` per connection, each pause drawn at random around the mean so the
connections do not fire in lock-step: wrk2-style pacing, without wrk2's coordinated-omission
correction), reporting p50/p99; and Agora's resident memory (VmRSS) sampled through the whole run.
Results are numbers, never assertions.

Usage: bench/compare.py AGORA_BINARY BARE_AXUM_BINARY [--rounds 3] [--duration 4]
       [--peer DIR] [--redis redis://127.0.0.1:6379] [--postgres postgres://postgres@127.0.0.1:5432]
"""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from compare_scripts import checkout_script, get_script, login_script, uncached_script


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, data=None, token=None, method=None):
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as response:
        return response.read()


def wait_for(url, proc, deadline_s=60):
    began = time.monotonic()
    while time.monotonic() - began < deadline_s:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args[0]} exited during start-up")
        try:
            request(url)
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{url} not up after {deadline_s} s")


FAILED = {}


class PageSlots:
    """Hands each wrk run of the uncached row its own range of page numbers (the script's
    BENCH_PAGE_FIRST..BENCH_PAGE_LAST), so no run asks for a page an earlier one cached."""
    SLOT = 150_000

    def __init__(self):
        self.next_first = 11  # the first page past the 200 products, 20 a page

    def take(self):
        first = self.next_first
        self.next_first += self.SLOT
        if self.next_first > 1_000_000:  # Agora's largest page
            raise SystemExit("uncached row: out of fresh page numbers (fewer rounds?)")
        return {"BENCH_PAGE_FIRST": str(first), "BENCH_PAGE_LAST": str(first + self.SLOT)}


def wrk(url, duration, script=None, connections=32, threads=1, latency=False, tolerate=False,
        pages=None):
    """Requests/s (and, with `latency`, p50 and p99 in ms) of one wrk run. Any failed answer
    stops the comparison, unless `tolerate`: then failures are counted in FAILED[url]. `pages`
    (a PageSlots) gives the run fresh page numbers."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s"]
    if script:
        args += ["-s", script]
    if latency:
        args.append("--latency")
    # A fresh nonce per run for scripts that mint Idempotency-Keys (checkout).
    env = dict(os.environ, BENCH_RUN=f"{os.getpid()}-{time.monotonic_ns()}")
    if pages:
        env.update(pages.take())
    run = subprocess.run(args + [url], capture_output=True, text=True, check=True, env=env)
    out = run.stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if failed and tolerate:
        FAILED[url] = FAILED.get(url, 0) + int(failed.group(1))
    elif failed:
        raise SystemExit(f"failed answers from {url}:\n{out}{run.stderr[:2000]}")
    if "Socket errors" in out:
        print(f"warning: socket errors against {url}:\n{out}", file=sys.stderr)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if not latency:
        return rate

    def percentile(label):
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rate, percentile("50"), percentile("99")


def psql(base, sql):
    subprocess.run(["psql", f"{base}/postgres", "-qc", sql], check=True, capture_output=True)


def peer_products():
    """The peer's seed data (seed.js), to give Agora the same catalog."""
    words = ["Oak", "Linen", "Copper", "Wool", "Ceramic", "Walnut", "Glass", "Steel", "Cotton", "Bamboo"]
    things = ["lamp", "chair", "mug", "blanket", "kettle", "desk", "vase", "shelf", "towel", "bowl",
              "stool", "clock", "rug", "jar", "tray", "board", "basket", "pan", "candle", "frame"]
    for i in range(200):
        w, t = words[i % len(words)], things[(i // len(words)) % len(things)]
        yield {"sku": f"PEER-{i:04d}", "name": f"{w} {t}",
               "description": f"A {w.lower()} {t} made to last, number {i}.",
               "price": {"amount": 500 + (i * 137) % 9500, "currency": "EUR"}, "stock": (i * 7) % 50}


BUYERS = 8


class RssSampler:
    """The highest VmRSS of a process, sampled every 100 ms on a thread, overall and per
    `label` (the row being driven; None while other servers run)."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, threading.Event()
        self.label, self.peaks = None, {}
        self.thread = threading.Thread(target=self.run, daemon=True)

    def current(self):
        with open(f"/proc/{self.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) // 1024

    def run(self):
        while not self.stop.wait(0.1):  # poll: a sample every 100 ms until stopped
            try:
                now = self.current()
                self.peak = max(self.peak, now)
                if self.label is not None:
                    self.peaks[self.label] = max(self.peaks.get(self.label, 0), now)
            except (OSError, StopIteration):
                return


class Servers:
    def __init__(self):
        self.procs, self.dirs, self.databases = [], [], []

    def spawn(self, args, **kwargs):
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
        self.procs.append(proc)
        return proc

    def tempdir(self):
        path = tempfile.mkdtemp(prefix="agora-compare-")
        self.dirs.append(path)
        return path

    def close(self, pg_base):
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for path in self.dirs:
            shutil.rmtree(path, ignore_errors=True)
        for database in self.databases:
            psql(pg_base, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def start_agora(servers, binary, pg_base, redis_url):
    database = f"compare_agora_{os.getpid()}"
    psql(pg_base, f"CREATE DATABASE {database}")
    servers.databases.append(database)
    data, port = servers.tempdir(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update({"AGORA_DATA_DIR": data, "AGORA_LOG": "warn", "AGORA_BIND": f"127.0.0.1:{port}",
                "AGORA_DATABASE_URL": f"{pg_base}/{database}", "AGORA_REDIS_URL": redis_url,
                "AGORA_REDIS_PREFIX": f"compare-{os.getpid()}:", "AGORA_RATE_LIMIT__ENABLED": "false"})
    password = b"ComparePass1\n"
    subprocess.run([binary, "migrate", "up"], env=env, cwd=data, check=True, capture_output=True)
    subprocess.run([binary, "user", "create", "--email", "bench@example.org", "--name", "Bench",
                    "--admin", "--password-stdin"], input=password, env=env, cwd=data, check=True,
                   capture_output=True)
    proc = servers.spawn([binary, "serve"], env=env, cwd=data)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/ready", proc)
    login = json.dumps({"email": "bench@example.org", "password": "ComparePass1"}).encode()
    token = json.loads(request(f"{base}/api/auth/login", data=login))["accessToken"]
    last = None
    for product in peer_products():
        last = json.loads(request(f"{base}/api/products", data=json.dumps(product).encode(),
                                  token=token))["id"]
    # Checkout: buyers created with cheap hashes and one product with stock for every checkout
    # of the run. Their logins are preparation, not measured (each stores a default-cost hash:
    # a login replaces a hash of other parameters, ADR 0039).
    cheap = dict(env, AGORA_PASSWORD_HASH__MEMORY_KIB="64", AGORA_PASSWORD_HASH__ITERATIONS="1")
    buyers = []
    for i in range(BUYERS):
        email = f"buyer{i}@example.org"
        subprocess.run([binary, "user", "create", "--email", email, "--name", f"Buyer {i}",
                        "--password-stdin"], input=password, env=cheap, cwd=data, check=True,
                       capture_output=True)
        login = json.dumps({"email": email, "password": "ComparePass1"}).encode()
        buyers.append(json.loads(request(f"{base}/api/auth/login", data=login))["accessToken"])
    stocked = {"sku": "CHECKOUT-1", "name": "Checkout bench", "description": "",
               "price": {"amount": 1000, "currency": "EUR"}, "stock": 10_000_000}
    stocked_id = json.loads(request(f"{base}/api/products", data=json.dumps(stocked).encode(),
                                    token=token))["id"]
    return base, last, proc, buyers, stocked_id


def start_nginx(servers, files):
    root, port = servers.tempdir(), free_port()
    os.chmod(root, 0o755)  # nginx's workers drop privileges and must read the files
    for name, body in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(body)
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off; worker_processes auto; pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; default_type application/json;
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}
""")
    proc = servers.spawn(["nginx", "-c", conf, "-p", root])
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/list.json", proc)
    return base


def start_peer(servers, peer_dir, pg_base, redis_url):
    work = servers.tempdir()
    shutil.copytree(peer_dir, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns("node_modules"))
    subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=work, check=True,
                   capture_output=True)
    database = f"compare_peer_{os.getpid()}"
    psql(pg_base, f"CREATE DATABASE {database}")
    servers.databases.append(database)
    port = free_port()
    env = dict(os.environ, DATABASE_URL=f"{pg_base}/{database}", PORT=str(port), RATE_LIMIT="off",
               REDIS_URL=redis_url, CACHE_PREFIX=f"compare-peer-{os.getpid()}:")
    subprocess.run(["node", "seed.js"], cwd=work, env=env, check=True, capture_output=True)
    proc = servers.spawn(["node", "server.js"], cwd=work, env=env)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/health", proc)
    out = subprocess.run(["psql", f"{pg_base}/{database}", "-Atc",
                          "SELECT id FROM products ORDER BY created_at DESC LIMIT 1"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return base, out


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("agora")
    parser.add_argument("bare")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--peer", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                       "shared", "peers", "express-seed"))
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    servers = Servers()
    try:
        agora, product, agora_proc, buyers, stocked = start_agora(
            servers, os.path.abspath(args.agora), args.postgres, args.redis)
        rss = RssSampler(agora_proc.pid)
        idle_rss = rss.current()
        rss.thread.start()
        scripts = servers.tempdir()
        plain = {"script": get_script(scripts)}
        agora_login = {"script": login_script(scripts, "bench@example.org", "ComparePass1")}
        checkout = {"script": checkout_script(scripts, buyers, stocked), "connections": BUYERS,
                    "threads": BUYERS, "tolerate": True}
        # Each server's uncached runs draw from their own page numbers (their own caches).
        agora_uncached = {"script": uncached_script(scripts), "pages": PageSlots()}
        list_path, one_path = "/api/products?limit=20", f"/api/products/{product}"
        for path in (list_path, one_path):  # warm the caches
            request(f"{agora}{path}")
        nginx = start_nginx(servers, {"list.json": request(f"{agora}{list_path}"),
                                      "one.json": request(f"{agora}{one_path}")})
        bare_port = free_port()
        bare_proc = servers.spawn([os.path.abspath(args.bare), f"127.0.0.1:{bare_port}"])
        bare = f"http://127.0.0.1:{bare_port}"
        wait_for(f"{bare}/health", bare_proc)
        peer = peer_product = peer_login = peer_uncached = None  # no peer: its rows are left out
        if shutil.which("node") and os.path.isdir(args.peer):
            peer, peer_product = start_peer(servers, args.peer, args.postgres, args.redis)
            for path in ("/api/products?limit=20", f"/api/products/{peer_product}"):
                request(f"{peer}{path}")
            peer_login = {"script": login_script(scripts, "peer@example.com", "PeerUser123")}
            peer_uncached = dict(agora_uncached, pages=PageSlots())

        def with_peer(target):
            return [target] if peer else []
        rows = [("/health", [("agora", f"{agora}/health", plain),
                             ("bare axum", f"{bare}/health", plain)]
                 + with_peer(("peer", f"{peer}/health", plain))),
                ("product list, cached", [("agora", f"{agora}{list_path}", plain),
                                          ("nginx", f"{nginx}/list.json", plain)]
                 + with_peer(("peer", f"{peer}/api/products?limit=20", plain))),
                ("product by id, cached", [("agora", f"{agora}{one_path}", plain),
                                           ("nginx", f"{nginx}/one.json", plain)]
                 + with_peer(("peer", f"{peer}/api/products/{peer_product}", plain))),
                ("product list, uncached (a page never asked)", [("agora", agora, agora_uncached)]
                 + with_peer(("peer", peer, peer_uncached))),
                ("login", [("agora", f"{agora}/api/auth/login", agora_login)]
                 + with_peer(("peer", f"{peer}/api/auth/login", peer_login))),
                ("checkout (cart put + order)", [("agora", agora, checkout)])]
        results = {(label, who): [] for label, targets in rows for who, _, _ in targets}
        for _ in range(args.rounds):
            for label, targets in rows:
                for who, url, options in targets:
                    rss.label = label if who == "agora" else None
                    results[(label, who)].append(wrk(url, args.duration, **options))
                    rss.label = None
        med = {key: statistics.median(values) for key, values in results.items()}

        # The peak so far is that of the rounds at full speed (32 connections, 8 for checkout);
        # the paced phase below opens up to ~1,100 (one per 20 ms of requests at half the rate).
        rounds_peak = rss.peak
        # Latency at half the measured maximum, at a constant rate (Agora's rows only).
        paced, max_connections = [], 32
        for label, targets in rows:
            _, url, options = targets[0]
            half = med[(label, "agora")] / 2
            if "connections" in options:  # one buyer per connection: pace each one
                pause_ms = options["connections"] / half * 1000
            else:  # about 20 ms between a connection's requests: as many connections as needed
                connections = max(2, round(half * 0.02))
                max_connections = max(max_connections, connections)
                pause_ms = connections / half * 1000
                options = dict(options, connections=connections)
            # The scripts draw each pause around this mean (ms; fractions count).
            os.environ["BENCH_PAUSE_MS"] = f"{max(pause_ms, 0.5):.2f}"
            try:
                rss.label = ("paced", label)
                paced.append((label, half, wrk(url, args.duration * 2, latency=True, **options)))
            finally:
                rss.label = None
                del os.environ["BENCH_PAUSE_MS"]
        rss.stop.set()
        rss.thread.join()
        after_rss = rss.current()
    finally:
        servers.close(args.postgres)

    print(f"## Agora against its ceilings and its peer ({os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d')})\n")
    print(f"wrk -t1 -c32 -d{args.duration}s (checkout: -t{BUYERS} -c{BUYERS}, one buyer per "
          f"connection), median of {args.rounds} alternating rounds; Agora on Postgres + Redis "
          "with rate limits off and the peer's 200 products; nginx serves the very bytes Agora "
          "answered; bare axum is a lone `/health` handler. Login: Agora's argon2id at its "
          "default cost, the peer's bcrypt at cost 10. Uncached list: each request a page "
          "number no earlier request used, past the last product (an empty page), so both "
          "stacks miss their in-process cache and Redis for the page: the peer then counts and "
          "reads the page, Agora reads the page only, its count of the filter being cached "
          "(ADR 0038). "
          "Checkout: the peer has no orders, so no counterpart.\n")
    print("| endpoint | Agora req/s | ceiling | ceiling req/s | Agora / ceiling | peer req/s | Agora / peer "
          "| Agora's peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for label, targets in rows:
        ceiling = targets[1][0] if len(targets) > 1 and targets[1][0] != "peer" else None
        a = med[(label, "agora")]
        c = med.get((label, ceiling))
        p = med.get((label, "peer"))
        ceiling_cells = f"{ceiling} | {c:,.0f} | {a / c:.2f}" if c else "— | — | —"
        peer_cells = f"{p:,.0f} | {a / p:.1f}×" if p else "— | —"
        print(f"| {label} | {a:,.0f} | {ceiling_cells} | {peer_cells} | {rss.peaks.get(label, '—')} |")
    print(f"\n### Agora at a constant rate: half its maximum, {args.duration * 2} s each\n")
    print("Paced by a per-connection pause (wrk `delay()`, drawn uniformly from 0 to twice the mean "
          "so the connections do not fire in lock-step), so the rate achieved is a little under "
          "the target; latencies as wrk measures them (no coordinated-omission correction). "
          "Checkout: the latency of both requests of a pair.\n")
    print("| endpoint | target req/s | achieved req/s | p50 ms | p99 ms | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for label, target, (achieved, p50, p99) in paced:
        peak = rss.peaks.get(("paced", label), "—")
        print(f"| {label} | {target:,.0f} | {achieved:,.0f} | {p50:.2f} | {p99:.2f} | {peak} |")
    if FAILED:
        print(f"\nCheckout answers other than 2xx (counted, not fatal): {sum(FAILED.values())} "
              "(run with BENCH_DEBUG=1 to print them).")
    print(f"\nAgora's resident memory (VmRSS, sampled every 100 ms): {idle_rss} MB before the "
          f"load, peak {rounds_peak} MB during the rounds at full speed (32 connections), peak "
          f"{rss.peak} MB over the whole run (the paced phase holds up to "
          f"{max_connections:,} connections), {after_rss} MB after.")


if __name__ == "__main__":
    main()
