#!/usr/bin/env bash
# Checkouts/s with orders, catalog and identity as separate processes vs the monolith
# (bench/checkout_split.py); the report goes to stdout and bench/results/checkout_split.md.
# AGORA_BENCH_BINARY picks the binary: the release build by default (built here), or e.g.
# `AGORA_BENCH_BINARY=target/debug/agora bench/checkout_split.sh` on a busy machine (then say so
# next to the numbers). Extra arguments go to the Python script.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${AGORA_BENCH_BINARY:-target/release/agora}"
if [ "$binary" = target/release/agora ]; then
  cargo build --release --locked -p agora --bin agora
fi
python3 bench/checkout_split.py --binary "$binary" "$@" | tee bench/results/checkout_split.md
