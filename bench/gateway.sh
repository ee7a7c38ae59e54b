#!/usr/bin/env bash
# Builds the release binary and runs bench/gateway.py: p50/p99 of the gateway hop against the
# monolith directly, on /health, the product list and a product by id. The report goes to stdout
# and to bench/results/gateway.md. Needs wrk (installed from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_packages wrk=wrk
cargo build --release --locked -p agora
python3 bench/gateway.py "$@" | tee bench/results/gateway.md
