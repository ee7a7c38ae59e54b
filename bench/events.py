#!/usr/bin/env python3
"""The event backbone end to end (ADR 0019): events/s and lag per bus, with 1 and 2 workers.

For each bus (memory, redis, nats) and worker count (1, 2; memory only 1, it is per process):
a fresh PostgreSQL database is migrated, identity's signing key added (`agora keys rotate`), and
N `agora serve --target worker` processes start. Then
  1. backlog: BACKLOG `user.created` events are committed to the outbox in one transaction
     while the workers run; measured: the relay's publish rate (outbox `sent_at` span) and the
     end-to-end rate (first commit to last consumer effect, the analytics consumer's inbox row);
  2. steady: RATE events/s committed in 100 ms batches for DURATION s; measured: the lag from
     commit (outbox `created_at`) to effect (inbox `processed_at`), p50 and p99.
Timestamps come from the database and the workers' clocks on the same machine.

Usage: bench/events.py BINARY [--backlog 20000] [--rate 1000] [--duration 10]
"""
import argparse
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid

from foundation import free_port

ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
NATS = os.environ.get("BENCH_NATS_URL", "nats://127.0.0.1:4222")


def psql(url, sql):
    # On stdin: a backlog's INSERT is megabytes, beyond what one argument may hold.
    return subprocess.run(["psql", url, "-qAt", "-v", "ON_ERROR_STOP=1"], input=sql,
                          capture_output=True, text=True, check=True).stdout.strip()


def uuid7():
    ms = time.time_ns() // 1_000_000
    raw = ms.to_bytes(6, "big") + secrets.token_bytes(10)
    raw = bytearray(raw)
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def commit(url, count):
    """One transaction of `count` user.created events, as a use case writes them."""
    rows = []
    for _ in range(count):
        row_id, event_id, user = uuid7(), uuid7(), uuid7()
        payload = ('{"id":"%s","type":"user.created","version":1,"occurredAt":"2026-01-01T00:00:00Z",'
                   '"aggregateId":"%s","data":{"id":"%s","email":"bench@example.org"}}') % (event_id, user, user)
        rows.append(f"('{row_id}','event','{payload}'::jsonb,0,now(),now(),'{user}')")
    psql(url, "INSERT INTO outbox (id, kind, payload, attempts, next_attempt_at, created_at, aggregate_id) VALUES "
         + ",".join(rows))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def run(binary, bus, workers, args):
    name = f"agora_events_bench_{os.getpid()}"
    psql(ADMIN, f"DROP DATABASE IF EXISTS {name}")
    psql(ADMIN, f"CREATE DATABASE {name}")
    url = ADMIN.rsplit("/", 1)[0] + "/" + name
    data = tempfile.mkdtemp()
    prefix = f"bench{secrets.token_hex(4)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update({"AGORA_DATABASE_URL": url, "AGORA_DATA_DIR": data, "AGORA_BUS": bus,
                "AGORA_LOG": "warn", "AGORA_REDIS_PREFIX": prefix + ":", "AGORA_NATS_PREFIX": prefix,
                "AGORA_OUTBOX_POLL_INTERVAL": "20ms"})
    if bus == "redis":
        env["AGORA_REDIS_URL"] = REDIS
    if bus == "nats":
        env["AGORA_NATS_URL"] = NATS
    for command in (["migrate", "up"], ["keys", "rotate"]):
        subprocess.run([binary, *command], env=env, check=True, capture_output=True)
    procs = [subprocess.Popen([binary, "serve", "--target", "worker", "--bind", f"127.0.0.1:{free_port()}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    try:
        time.sleep(2)  # the workers start and subscribe
        effects = "SELECT count(*) FROM inbox WHERE consumer = 'analytics'"

        def wait_for(total, limit=300):
            until = time.time() + limit
            while int(psql(url, effects)) < total:
                if time.time() > until:
                    raise SystemExit(f"{bus}/{workers}: only {psql(url, effects)} of {total} effects")
                time.sleep(0.2)

        commit(url, args.backlog)
        wait_for(args.backlog)
        relay = psql(url, "SELECT count(*) / GREATEST(EXTRACT(EPOCH FROM max(sent_at) - min(created_at)), 0.001) "
                          "FROM outbox WHERE kind = 'event'")
        e2e = psql(url, "SELECT count(*) / GREATEST(EXTRACT(EPOCH FROM max(i.processed_at) - min(o.created_at)), 0.001) "
                        "FROM inbox i JOIN outbox o ON o.payload->>'id' = i.event_id::text")
        psql(url, "TRUNCATE inbox; DELETE FROM outbox")

        batches = int(args.duration * 10)
        per_batch = max(1, args.rate // 10)
        started = time.time()
        for n in range(batches):
            commit(url, per_batch)
            time.sleep(max(0.0, started + (n + 1) * 0.1 - time.time()))
        wait_for(batches * per_batch)
        lags = [float(v) for v in psql(url, "SELECT EXTRACT(EPOCH FROM i.processed_at - o.created_at) * 1000 "
                                            "FROM inbox i JOIN outbox o ON o.payload->>'id' = i.event_id::text").split()]
        return float(relay), float(e2e), percentile(lags, 0.5), percentile(lags, 0.99), len(lags)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()
        shutil.rmtree(data, ignore_errors=True)
        psql(ADMIN, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if bus == "redis":
            keys = subprocess.run(["redis-cli", "--scan", "--pattern", prefix + ":*"], capture_output=True, text=True).stdout.split()
            if keys:
                subprocess.run(["redis-cli", "DEL", *keys], capture_output=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--backlog", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--buses", default="memory,redis,nats")
    args = parser.parse_args()
    print(f"Backlog {args.backlog} events; steady {args.rate} events/s for {args.duration:g} s. "
          "PostgreSQL; consumer: analytics (one inbox row + one counter upsert per event).\n")
    print("| bus | workers | relay publish (events/s) | end to end, backlog (events/s) | lag p50 (ms) | lag p99 (ms) | steady events |")
    print("|---|---|---|---|---|---|---|")
    for bus in args.buses.split(","):
        for workers in ([1] if bus == "memory" else [1, 2]):
            relay, e2e, p50, p99, n = run(args.binary, bus, workers, args)
            print(f"| {bus} | {workers} | {relay:,.0f} | {e2e:,.0f} | {p50:.1f} | {p99:.1f} | {n} |", flush=True)


if __name__ == "__main__":
    main()
