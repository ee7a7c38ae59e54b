#!/usr/bin/env bash
# Catalog benchmarks: over HTTP with wrk (bench/catalog.py) and the cache in isolation through
# the use case (examples/cache_bench.rs). Writes bench/results/catalog.md. Needs wrk (installed
# from Debian's packages when missing); uses PostgreSQL and Redis on localhost when reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_packages wrk=wrk
cargo build --release --locked -p agora --bin agora --example cache_bench
{
  python3 bench/catalog.py "$@"
  echo
  echo "## The cache in isolation (\`examples/cache_bench.rs\`, release, one task, no HTTP)"
  echo
  echo '```text'
  admin=postgres://postgres@127.0.0.1:5432/postgres
  db=agora_cache_bench_$$
  if pg_isready -h 127.0.0.1 -q && psql "$admin" -q -c "CREATE DATABASE $db" 2>/dev/null; then
    BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" BENCH_REDIS_URL=redis://127.0.0.1:6379 \
      ./target/release/examples/cache_bench
    psql "$admin" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  else
    ./target/release/examples/cache_bench
  fi
  echo '```'
} | tee bench/results/catalog.md
