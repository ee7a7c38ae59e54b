#!/usr/bin/env bash
# The HTTP edge's cost budget: each layer's nanoseconds per request, in process, on the release
# build (examples/edge_budget.rs); writes bench/results/edge-budget.md. Extra arguments go to the
# example (e.g. --iterations 200000 --rounds 5 --log info).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p agora --example edge_budget
target/release/examples/edge_budget "$@" | tee bench/results/edge-budget.md
