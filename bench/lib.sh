# shellcheck shell=bash
# Steps the bench wrappers share; sourced (`. bench/lib.sh`) from the repository root.

# Installs from Debian's packages what is missing: each argument is COMMAND=PACKAGE, e.g.
# `need_packages wrk=wrk nginx=nginx-light` (the benches drive load with wrk; no global installs
# happen unless a bench needs them).
need_packages() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null || missing+=("${pair#*=}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages)…" >&2
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# Builds the agora binary in PROFILE (`release`, or `debug`, the build the test suite made):
# afterwards it is target/PROFILE/agora.
build_agora() {
  if [ "$1" = release ]; then
    cargo build --release --locked -p agora --bin agora
  else
    cargo build --locked -p agora --bin agora
  fi
}
