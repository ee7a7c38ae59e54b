#!/usr/bin/env bash
# GraphQL vs REST for one blog page (bench/graphql_posts.py). Writes bench/results/graphql_posts.md.
# BENCH_PROFILE=release builds and measures the release binary (default: the debug build, which
# the test suite has already built).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
profile=${BENCH_PROFILE:-debug}
build_agora "$profile"
python3 bench/graphql_posts.py --binary "target/$profile/agora" "$@" | tee bench/results/graphql_posts.md
