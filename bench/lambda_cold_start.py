#!/usr/bin/env python3
"""Cold start of `agora lambda`: process start → first response, through a Lambda runtime API
emulator (the same interface the contract tests drive), and the binary's stripped size.

    python3 bench/lambda_cold_start.py [--binary target/release/agora] [--runs 20]
        [--postgres postgres://postgres@127.0.0.1:5432] [--out bench/results/lambda-cold-start.md]

Needs moto in the project venv (scripts/test installs it): identity's table is created in a
moto server this script starts. Each run starts a fresh process with a fresh data directory
(`fresh`: SQLite created and migrated, as on a new Lambda instance's /tmp) or with the
directory of the previous run (`migrated`: what a relational store already migrated costs, as
with PostgreSQL). With `--postgres` (needed by the lean build, which has no SQLite) the store is
a PostgreSQL database instead: `fresh` creates an empty one per run, `migrated` reuses one.
Two first requests: `GET /health` (no store) and `POST /api/users`
(DynamoDB: a consistent read and TransactWriteItems, argon2id at the default cost).
Results: bench/results/lambda-cold-start.md.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Runtime:
    """Hands out one event, records when its response arrives."""

    def __init__(self):
        self.event = None
        self.answered = threading.Event()
        self.response = None
        runtime = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    self.send_error(404)
                    return
                if runtime.event is None:
                    # The one invocation was handed out: park this poll until the run ends.
                    runtime.answered.wait(60)
                    self.send_error(410)
                    return
                body = json.dumps(runtime.event).encode()
                runtime.event = None
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4()))
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:agora")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                payload = self.rfile.read(length)
                runtime.response = (self.path, payload)
                runtime.finished_at = time.perf_counter()
                self.send_response(202)
                self.end_headers()
                runtime.answered.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def v2_event(method, path, body=None):
    headers = {"host": "abc123.execute-api.us-east-1.amazonaws.com", "user-agent": "bench"}
    if body is not None:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "198.51.100.7", "userAgent": "bench"},
            "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
            "time": "10/Mar/2020:05:16:23 +0000", "timeEpoch": 1583817383220,
        },
        "body": None if body is None else json.dumps(body), "isBase64Encoded": False,
    }


def dynamodb(endpoint, operation, body):
    request = urllib.request.Request(
        endpoint, data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/x-amz-json-1.0",
                 "x-amz-target": f"DynamoDB_20120810.{operation}",
                 "authorization": "AWS4-HMAC-SHA256 Credential=testing/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def create_table(endpoint, table):
    keys = [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")]
    dynamodb(endpoint, "CreateTable", {
        "TableName": table, "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": keys,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
                                    "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                                                  {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}],
    })


def psql(server, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{server}/postgres", "-c", sql],
                   check=True, stdout=subprocess.DEVNULL)


def cold_start(binary, data_dir, endpoint, table, event, database_url=None):
    runtime = Runtime()
    runtime.event = event
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "AWS_"))}
    env.update({
        "AGORA_DATA_DIR": data_dir, "AGORA_LOG": "warn", "AGORA_RATE_LIMIT__ENABLED": "false",
        "AGORA_DYNAMODB_ENDPOINT": endpoint, "AGORA_DYNAMODB_TABLE": table,
        "AWS_LAMBDA_RUNTIME_API": runtime.address, "AWS_LAMBDA_FUNCTION_NAME": "agora",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    })
    if database_url:
        env["AGORA_DATABASE_URL"] = database_url
    started = time.perf_counter()
    process = subprocess.Popen([binary, "lambda"], env=env, cwd=data_dir,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not runtime.answered.wait(60):
            raise RuntimeError("no response within 60 s")
        elapsed = (runtime.finished_at - started) * 1000
        path, payload = runtime.response
        status = json.loads(payload).get("statusCode")
        if not path.endswith("/response") or status not in (200, 201):
            raise RuntimeError(f"unexpected answer {path}: {payload[:200]!r}")
        return elapsed
    finally:
        process.kill()
        process.wait()
        runtime.server.shutdown()


def stripped_size(binary):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "agora")
        shutil.copy(binary, copy)
        subprocess.run(["strip", copy], check=True)
        return os.path.getsize(binary), os.path.getsize(copy)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/agora"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", help="server URL without a database, e.g. postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/lambda-cold-start.md"))
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    port = free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:  # poll: moto's port
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        table = f"bench_{uuid.uuid4().hex}"
        create_table(endpoint, table)
        lines = []
        size, stripped = stripped_size(args.binary)
        lines.append(f"binary {args.binary}: {size / 1e6:.1f} MB as built, {stripped / 1e6:.1f} MB stripped")
        store = "PostgreSQL" if args.postgres else "SQLite"
        warm_db = None
        if args.postgres:
            warm_db = f"bench_{uuid.uuid4().hex}"
            psql(args.postgres, f"CREATE DATABASE {warm_db}")
        with tempfile.TemporaryDirectory() as warm:
            for label, fresh in ((f"fresh store ({store} created + migrated)", True),
                                 (f"migrated store ({store})", False)):
                for name, make in (("GET /health", lambda i: v2_event("GET", "/health")),
                                   ("POST /api/users", lambda i: v2_event("POST", "/api/users", {
                                       "email": f"bench-{uuid.uuid4().hex[:12]}@example.org",
                                       "password": "Secret123", "name": "Bench User"}))):
                    times = []
                    for i in range(args.runs):
                        if fresh:
                            with tempfile.TemporaryDirectory() as tmp:
                                url = None
                                if args.postgres:
                                    database = f"bench_{uuid.uuid4().hex}"
                                    psql(args.postgres, f"CREATE DATABASE {database}")
                                    url = f"{args.postgres}/{database}"
                                try:
                                    times.append(cold_start(args.binary, tmp, endpoint, table, make(i), url))
                                finally:
                                    if url:
                                        psql(args.postgres, f"DROP DATABASE {database} WITH (FORCE)")
                        else:
                            url = f"{args.postgres}/{warm_db}" if warm_db else None
                            times.append(cold_start(args.binary, warm, endpoint, table, make(i), url))
                    times.sort()
                    p50 = statistics.median(times)
                    p90 = times[int(len(times) * 0.9) - 1]
                    lines.append(f"{label:45} {name:16} p50 {p50:6.1f} ms  p90 {p90:6.1f} ms  "
                                 f"min {times[0]:6.1f} ms  ({len(times)} runs)")
        if warm_db:
            psql(args.postgres, f"DROP DATABASE {warm_db} WITH (FORCE)")
        report = "\n".join(lines)
        print(report)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as out:
            out.write(f"# Lambda cold start\n\n`python3 bench/lambda_cold_start.py {' '.join(sys.argv[1:])}` "
                      f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores shared with other builds)\n\n"
                      f"```text\n{report}\n```\n")
    finally:
        moto.kill()
        moto.wait()


if __name__ == "__main__":
    main()
