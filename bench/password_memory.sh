#!/usr/bin/env bash
# Resident memory around login bursts (bench/password_memory.py): pass binaries to compare side by
# side (e.g. a build before and after a change); the report goes to stdout and
# bench/results/password-memory.md.
#   bench/password_memory.sh /tmp/agora-before target/release/agora
set -euo pipefail
cd "$(dirname "$0")/.."
python3 bench/password_memory.py "$@" | tee bench/results/password-memory.md
