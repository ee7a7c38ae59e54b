#!/usr/bin/env bash
# Size of the Lambda artefact and what each choice buys (issue 15: goal < 15 MB stripped).
#
#   bench/lambda_size.sh [VARIANT...]     (default: every variant, in the order below)
#
# Each variant is one optimised build (fat LTO, one codegen unit: 10–20 min each on 2 shared
# cores), so this is a bench, not a test: `scripts/test` only checks that the lean feature set
# compiles. Binaries are kept in target/lambda-size/<variant>; a markdown row per variant is
# printed (results: bench/results/lambda-size.md). Variants:
#
#   release        `cargo build --release`, every feature (the binary `serve` ships)
#   profile        `--profile lambda-lean`, every feature: what the profile alone buys
#   lean           `--profile lambda-lean --no-default-features --features lambda`: the artefact
#   lean-z         lean with opt-level "z"
#   lean-abort     lean with panic = "abort" (not adopted: see ADR 0022)
set -euo pipefail
cd "$(dirname "$0")/.."

variants=("$@")
if [ ${#variants[@]} -eq 0 ]; then
  variants=(release profile lean lean-z lean-abort)
fi
lean=(--profile lambda-lean --no-default-features --features lambda)
out=target/lambda-size
mkdir -p "$out"

build() {
  local variant=$1
  case $variant in
    release) cargo build --locked --release -p agora --bin agora && echo target/release/agora ;;
    profile) cargo build --locked --profile lambda-lean -p agora --bin agora && echo target/lambda-lean/agora ;;
    lean) cargo build --locked "${lean[@]}" -p agora --bin agora && echo target/lambda-lean/agora ;;
    lean-z) CARGO_PROFILE_LAMBDA_LEAN_OPT_LEVEL=z cargo build --locked "${lean[@]}" -p agora --bin agora \
      && echo target/lambda-lean/agora ;;
    lean-abort) CARGO_PROFILE_LAMBDA_LEAN_PANIC=abort cargo build --locked "${lean[@]}" -p agora --bin agora \
      && echo target/lambda-lean/agora ;;
    *) echo "unknown variant $variant" >&2; return 1 ;;
  esac
}

echo "| variant | build | as built (MB) | stripped (MB) | .text (MB) | .rodata (MB) |"
echo "|---|---|---:|---:|---:|---:|"
for variant in "${variants[@]}"; do
  started=$(date +%s)
  binary=$(build "$variant" 2>"$out/$variant.log" | tail -1)
  seconds=$(( $(date +%s) - started ))
  cp "$binary" "$out/$variant"
  strip -o "$out/$variant.stripped" "$out/$variant"
  section() {
    readelf -SW "$out/$variant.stripped" | awk -v name="$1" '$2 == name { printf "%.1f", strtonum("0x" $6) / 1e6 }'
  }
  mb() { awk -v bytes="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", bytes / 1e6 }'; }
  echo "| $variant | ${seconds}s | $(mb "$out/$variant") | $(mb "$out/$variant.stripped") | $(section .text) | $(section .rodata) |"
done
