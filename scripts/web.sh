# Web app helpers shared by scripts/run and scripts/test (sourced; needs scripts/services.sh for
# `is_ci`). Every step is idempotent and skipped when already done, so reruns cost seconds.

# Node 20+ and npm present?
have_node() {
  command -v npm >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null
}

# `npm ci` when node_modules is missing or older than the lock file.
web_install() {
  if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    echo "installing the web app's packages (npm ci)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# `npm run build` when web/dist is missing or older than any of its sources. The binary embeds
# web/dist when it compiles (crates/web/build.rs watches the folder).
web_build_if_needed() {
  local stamp=web/dist/index.html
  if [ ! -f "$stamp" ] || [ -n "$(find web/src web/public web/index.html web/graphiql.html \
      web/vite.config.ts web/package-lock.json -newer "$stamp" -print -quit)" ]; then
    echo "building the web app (vite)"
    (cd web && npm run --silent build >/dev/null)
  fi
}

# Debian's Chromium for the browser tests, installed when missing.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (Debian package) for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  [ -x /usr/bin/chromium ]
}
