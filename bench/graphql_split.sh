#!/usr/bin/env bash
# GraphQL blog page, monolith vs split (bench/graphql_split.py); the report goes to stdout and
# bench/results/graphql_split.md. BENCH_PROFILE=release builds and measures the release binary
# (default: the debug build the test suite has already built; say which next to the numbers).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
profile=${BENCH_PROFILE:-debug}
build_agora "$profile"
python3 bench/graphql_split.py --binary "target/$profile/agora" "$@" | tee bench/results/graphql_split.md
