#!/usr/bin/env bash
# The event backbone end to end (bench/events.py): events/s and commit-to-effect lag per bus
# (memory, Redis Streams, NATS JetStream) with 1 and 2 workers, on PostgreSQL. Writes
# bench/results/events.md. BUILD=debug measures the debug binary (no release build needed).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${BUILD:-release}
. bench/lib.sh
build_agora "$profile"
{
  echo "# Event backbone ($profile build, $(nproc) cores, $(date -u +%F))"
  echo
  python3 bench/events.py "target/$profile/agora" "$@"
} | tee bench/results/events.md
