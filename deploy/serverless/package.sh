#!/usr/bin/env bash
# Assembles the functions' code directory (template.yaml's CodeUri) from the lean Lambda build:
# `cargo lambda build --arm64 --bin agora --profile lambda-lean --no-default-features --features
# lambda` (or a cross-compiled aarch64 binary given as $1; docs/serverless.md). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${1:-target/lambda/agora/bootstrap}
out=target/lambda/agora-package
[ -x "$binary" ] || { echo "error: no Lambda build at $binary (see docs/serverless.md)" >&2; exit 1; }
mkdir -p "$out"
cp "$binary" "$out/agora"
cp deploy/serverless/bootstrap "$out/bootstrap"
chmod +x "$out/agora" "$out/bootstrap"
echo "packaged $out ($(du -h "$out/agora" | cut -f1) binary)"
