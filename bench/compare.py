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
the servers, and the table gives medians. Results are numbers, never assertions.

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
import tempfile
import time
import urllib.request


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


def wrk(url, duration):
    out = subprocess.run(["wrk", "-t1", "-c32", f"-d{duration}s", url],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers from {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


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
    return base, last


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
        agora, product = start_agora(servers, os.path.abspath(args.agora), args.postgres, args.redis)
        list_path, one_path = "/api/products?limit=20", f"/api/products/{product}"
        for path in (list_path, one_path):  # warm the caches
            request(f"{agora}{path}")
        nginx = start_nginx(servers, {"list.json": request(f"{agora}{list_path}"),
                                      "one.json": request(f"{agora}{one_path}")})
        bare_port = free_port()
        bare_proc = servers.spawn([os.path.abspath(args.bare), f"127.0.0.1:{bare_port}"])
        bare = f"http://127.0.0.1:{bare_port}"
        wait_for(f"{bare}/health", bare_proc)
        peer = None
        if shutil.which("node") and os.path.isdir(args.peer):
            peer, peer_product = start_peer(servers, args.peer, args.postgres, args.redis)
            for path in ("/api/products?limit=20", f"/api/products/{peer_product}"):
                request(f"{peer}{path}")

        rows = [("/health", [("agora", f"{agora}/health"), ("bare axum", f"{bare}/health")]
                 + ([("peer", f"{peer}/health")] if peer else [])),
                ("product list, cached", [("agora", f"{agora}{list_path}"),
                                          ("nginx", f"{nginx}/list.json")]
                 + ([("peer", f"{peer}/api/products?limit=20")] if peer else [])),
                ("product by id, cached", [("agora", f"{agora}{one_path}"),
                                           ("nginx", f"{nginx}/one.json")]
                 + ([("peer", f"{peer}/api/products/{peer_product}")] if peer else []))]
        results = {(label, who): [] for label, targets in rows for who, _ in targets}
        for _ in range(args.rounds):
            for label, targets in rows:
                for who, url in targets:
                    results[(label, who)].append(wrk(url, args.duration))
    finally:
        servers.close(args.postgres)

    med = {key: statistics.median(values) for key, values in results.items()}
    print(f"## Agora against its ceilings and its peer ({os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d')})\n")
    print(f"wrk -t1 -c32 -d{args.duration}s, median of {args.rounds} alternating rounds; Agora on "
          "Postgres + Redis with rate limits off and the peer's 200 products; nginx serves the very "
          "bytes Agora answered; bare axum is a lone `/health` handler.\n")
    print("| endpoint | Agora req/s | ceiling | ceiling req/s | Agora / ceiling | peer req/s | Agora / peer |")
    print("|---|---|---|---|---|---|---|")
    for label, targets in rows:
        ceiling = targets[1][0]
        a, c = med[(label, "agora")], med[(label, ceiling)]
        p = med.get((label, "peer"))
        peer_cells = f"{p:,.0f} | {a / p:.1f}×" if p else "— | —"
        print(f"| {label} | {a:,.0f} | {ceiling} | {c:,.0f} | {a / c:.2f} | {peer_cells} |")


if __name__ == "__main__":
    main()
