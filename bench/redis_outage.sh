#!/usr/bin/env bash
# Authenticated requests through a Redis outage (bench/redis_outage.py) on the release build, on
# SQLite and on Postgres; the report goes to stdout and bench/results/redis-outage.md. Needs wrk
# and redis-server (Debian packages; wrk is installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_packages wrk=wrk
cargo build --release --locked -p agora
db="bench_outage_$$"
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
trap 'psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
{
  python3 bench/redis_outage.py target/release/agora "$@"
  echo
  python3 bench/redis_outage.py target/release/agora --database-url "postgres://postgres@127.0.0.1:5432/$db" "$@"
} | tee bench/results/redis-outage.md
