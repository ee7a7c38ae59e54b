#!/usr/bin/env bash
# Compares two agora builds side by side in one run (bench/builds.py): pass two binaries, or a git
# revision to compare with the working tree (built in a temporary worktree). The report goes to
# stdout and to bench/results/builds.md. Needs wrk (installed from Debian's packages when missing).
#   bench/builds.sh 085f5c8            # that revision vs the current tree
#   bench/builds.sh A_BINARY B_BINARY  # two binaries
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_packages wrk=wrk
if [ $# -eq 1 ]; then
  base=$(mktemp -d)
  git worktree add -q --detach "$base" "$1"
  trap 'git worktree remove --force "$base"' EXIT
  (cd "$base" && cargo build --release --locked -p agora)
  cargo build --release --locked -p agora
  set -- "$base/target/release/agora" "$PWD/target/release/agora"
fi
python3 bench/builds.py "$@" --redis "${BENCH_REDIS_URL:-redis://127.0.0.1:6379}" | tee bench/results/builds.md
