#!/usr/bin/env bash
# Builds the release binary and runs bench/foundation.py; the report goes to stdout and to
# bench/results/foundation.md. Needs wrk (installed from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need_packages wrk=wrk
cargo build --release --locked -p agora
python3 bench/foundation.py "$@" | tee bench/results/foundation.md
