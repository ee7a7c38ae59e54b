#!/usr/bin/env bash
# Checkout benchmark (bench/checkout.py) on SQLite and on Postgres + Redis; the report goes to
# stdout and bench/results/orders.md. AGORA_BENCH_BINARY picks the binary: the release build by
# default (built here), or e.g. `AGORA_BENCH_BINARY=target/debug/agora bench/checkout.sh` on a
# machine busy with other builds (then say so next to the numbers). Extra arguments go to the
# Python script (--buyers, --concurrency, --rounds, --backends).
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${AGORA_BENCH_BINARY:-target/release/agora}"
if [ "$binary" = target/release/agora ]; then
  cargo build --release --locked -p agora --bin agora
fi
python3 bench/checkout.py --binary "$binary" "$@" | tee bench/results/orders.md
