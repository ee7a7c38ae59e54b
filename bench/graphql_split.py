#!/usr/bin/env python3
"""GraphQL in the split (issue 14, ADR 0035): latency of one blog page — 20 posts with their
authors and comments (and the comments' authors) — as one GraphQL request, on the monolith
(`agora dev --topology mono`: one process) and on the split (`agora dev --topology micro`: the
gateway hosts the schema and asks content over signed internal calls, content asking identity
for author names).

Usage: bench/graphql_split.py [--binary target/debug/agora] [--requests 300] [--posts 20]
Needs Redis on 127.0.0.1:6379 (the split's bus and shared limits). Prints Markdown;
bench/graphql_split.sh writes it to bench/results/graphql_split.md.
"""
import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

from foundation import free_port, ready

USER = ("free@agora.local", "AgoraDemo1")
PAGE = ("query($limit: Int) { posts(limit: $limit) { items { id title author { name } "
        "comments { body author { name } } } } }")


class Client:
    """One keep-alive connection."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def graphql(self, query, variables, token=None):
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        body = json.dumps({"query": query, "variables": variables})
        self.conn.request("POST", "/graphql", body, headers)
        response = self.conn.getresponse()
        answer = json.loads(response.read())
        if response.status != 200 or answer.get("errors"):
            raise SystemExit(f"GraphQL failed: {response.status} {answer}")
        return answer["data"]


def start(binary, topology, port, data):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update({"AGORA_DATA_DIR": data, "AGORA_LOG": "warn", "AGORA_RATE_LIMIT__ENABLED": "false",
                "AGORA_REDIS_URL": "redis://127.0.0.1:6379", "AGORA_BUS": "redis"})
    proc = subprocess.Popen([binary, "dev", "--topology", topology, "--bind", f"127.0.0.1:{port}"],
                            env=env, cwd=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not ready(port):
        if proc.poll() is not None:
            raise SystemExit(f"agora dev --topology {topology} exited during start-up")
        if time.monotonic() > deadline:
            raise SystemExit(f"agora dev --topology {topology} not ready after 120 s")
        time.sleep(0.2)  # poll: /ready is the condition
    return proc


def fixture(client, posts):
    login = ("mutation($input: LoginInput!) { login(input: $input) { accessToken } }")
    token = client.graphql(login, {"input": {"email": USER[0], "password": USER[1]}})
    token = token["login"]["accessToken"]
    for i in range(posts):
        post = client.graphql(
            "mutation($input: CreatePostInput!) { createPost(input: $input) { id } }",
            {"input": {"title": f"Bench {i}", "body": "A *post*.", "published": True}}, token)
        client.graphql(
            "mutation($input: AddCommentInput!) { addComment(input: $input) { id } }",
            {"input": {"postId": post["createPost"]["id"], "body": "A comment."}}, token)


def measure(client, requests, posts):
    for _ in range(30):
        client.graphql(PAGE, {"limit": posts})
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        client.graphql(PAGE, {"limit": posts})
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p90": times[int(len(times) * 0.9)],
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "n": len(times)}


def run(binary, topology, requests, posts):
    data = tempfile.mkdtemp(prefix=f"agora-bench-gql-{topology}-")
    port = free_port()
    proc = start(binary, topology, port, data)
    try:
        client = Client(port)
        fixture(client, posts)
        return measure(client, requests, posts)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/debug/agora")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--posts", type=int, default=20)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    print(f"## GraphQL blog page: monolith vs split ({os.cpu_count()} cores, "
          f"{datetime.date.today()})\n")
    print(f"`{args.binary}`, SQLite per process, rate limits off. One request = `posts(limit: "
          f"{args.posts})` with every post's author, comments and the comments' authors (the "
          f"blog page). {args.requests} sequential requests on one keep-alive connection after "
          f"30 warm-up requests.\n")
    print("| topology | path | p50 ms | p90 ms | p99 ms |")
    print("|---|---|---|---|---|")
    paths = {"mono": "one process: resolvers → use cases → SQLite",
             "micro": "gateway (schema) → content `/internal/graphql` (posts; authors, which ask "
                      "identity; comments) — one request per DataLoader batch"}
    for topology in ("mono", "micro"):
        r = run(binary, topology, args.requests, args.posts)
        print(f"| {topology} | {paths[topology]} | {r['p50']:.2f} | {r['p90']:.2f} | "
              f"{r['p99']:.2f} |")


if __name__ == "__main__":
    main()
