#!/usr/bin/env python3
"""GraphQL vs REST for one blog page (issue 11): 50 posts, each author's name, every comment and
its author's name.

- GraphQL: ONE request `posts(limit: 50) { items { author { name } comments { author { name } } } }`.
- REST: `GET /api/posts?limit=50` (authors included) + `GET /api/posts/{id}/comments` per post
  (51 requests for the same data).

Reports page views/s, HTTP requests/s and SQL statements per request and per page view (counted
from sqlx's `sqlx::query` debug events in the server's JSON log: statements on `posts`,
`comments`, `users`). Rate limiting is off. SQLite, one process, the machine's cores shared with
the load generator (Python threads, keep-alive connections).

Usage: bench/graphql_posts.py [--duration SECONDS] [--binary PATH]   (bench/graphql_posts.sh)
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUERY = "{ posts(limit: 50) { items { id title author { name } comments { body author { name } } } } }"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(conn, method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    assert response.status < 300, (method, path, response.status, data[:200])
    return json.loads(data) if data else None


def graphql_view(conn):
    answer = call(conn, "POST", "/graphql", {"query": QUERY})
    assert "errors" not in answer, answer
    return 1


def rest_view(conn):
    page = call(conn, "GET", "/api/posts?limit=50")
    for post in page["data"]:
        call(conn, "GET", f"/api/posts/{post['id']}/comments")
    return 1 + len(page["data"])


def load(port, view, duration, threads=4):
    views, requests, stop = [0], [0], time.monotonic() + duration
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port)
        while time.monotonic() < stop:
            n = view(conn)
            with lock:
                views[0] += 1
                requests[0] += n

    started = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    return views[0] / elapsed, requests[0] / elapsed


def statements(log_path, port, view, rounds=5):
    """Statements on content/user tables per page view, from the server's sqlx log."""
    def count():
        with open(log_path) as log:
            return sum(1 for line in log if '"sqlx::query"' in line and
                       any(t in line.lower() for t in ("posts", "comments", "from users")))
    conn = http.client.HTTPConnection("127.0.0.1", port)
    before = count()
    requests = sum(view(conn) for _ in range(rounds))
    time.sleep(0.5)  # let the log writer flush its last lines (not a correctness wait)
    return (count() - before) / rounds, requests / rounds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "debug", "agora"))
    args = parser.parse_args()
    # The server runs in a temporary directory: resolve the binary before leaving this one.
    args.binary = os.path.abspath(args.binary)
    data = tempfile.mkdtemp(prefix="agora-bench-gql-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update({"AGORA_DATA_DIR": data, "AGORA_RATE_LIMIT__ENABLED": "false",
                "AGORA_LOG": "warn,sqlx::query=debug", "AGORA_LOG_FORMAT": "json"})
    subprocess.run([args.binary, "migrate", "up"], env=env, cwd=data, check=True, capture_output=True)
    emails = [f"bench{i}@example.org" for i in range(3)]
    for email in emails:
        subprocess.run([args.binary, "user", "create", "--email", email, "--name", "Bench Author",
                        "--password-stdin"], input=b"BenchPass1\n", env=env, cwd=data, check=True,
                       capture_output=True)
    port = free_port()
    log_path = os.path.join(data, "server.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([args.binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env, cwd=data,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:  # poll: until the server answers /health
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        tokens = [call(conn, "POST", "/api/auth/login", {"email": e, "password": "BenchPass1"})["accessToken"]
                  for e in emails]
        for i in range(50):
            post = call(conn, "POST", "/api/posts", {"title": f"Post {i}", "body": f"# Post {i}\n\nSome *markdown* text.",
                                                     "tags": ["bench"], "published": True}, tokens[i % 3])
            for j in (1, 2):
                call(conn, "POST", f"/api/posts/{post['id']}/comments", {"body": f"comment {j}"}, tokens[(i + j) % 3])
        rows = []
        for name, view in (("GraphQL (1 request)", graphql_view), ("REST (list + 50 comment lists)", rest_view)):
            per_view, reqs = statements(log_path, port, view)
            views, rps = load(port, view, args.duration)
            rows.append((name, views, rps, reqs, per_view, per_view / reqs))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        shutil.rmtree(data, ignore_errors=True)
    build = "release" if "release" in args.binary else "debug"
    print(f"## GraphQL vs REST: a page of 50 posts with authors and comments ({build} build, SQLite, 4 client threads on the same 2 cores)\n")
    print("| API | page views/s | HTTP requests/s | requests per view | SQL statements per view | per request |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, views, rps, reqs, per_view, per_req in rows:
        print(f"| {name} | {views:.1f} | {rps:.1f} | {reqs:.0f} | {per_view:.1f} | {per_req:.2f} |")


if __name__ == "__main__":
    main()
