# shellcheck shell=bash
# Starts the local services the tests use (PostgreSQL, Redis, NATS JetStream) when they are
# installed but stopped. Sourced by scripts/test and bench scripts.
#
# With CI set a service that cannot be reached is a failure; otherwise a loud warning, and
# scripts/test deselects the tests that need it (nextest reports them as skipped).

# CI is read like common tools read it: set to anything but empty, `false` or `0`.
is_ci() {
  case "$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')" in
    "" | false | 0) return 1 ;;
    *) return 0 ;;
  esac
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 tries=50
  while ! port_open "$port"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || return 1
    sleep 0.2
  done
}

ensure_service() {
  local name=$1 port=$2 installed=$3 start=$4
  if port_open "$port"; then
    echo "service: $name is up on 127.0.0.1:$port"
    return 0
  fi
  if command -v "$installed" >/dev/null 2>&1 || [ -x "$installed" ]; then
    echo "service: $name is down; starting it"
    eval "$start" >/dev/null 2>&1 || true
    if wait_port "$port"; then
      echo "service: $name started on 127.0.0.1:$port"
      return 0
    fi
  fi
  if is_ci; then
    echo "FATAL: $name is not reachable on 127.0.0.1:$port and CI=true: tests needing it would fail." >&2
    return 1
  fi
  echo "!!!!! WARNING: $name is not reachable on 127.0.0.1:$port; tests that need it will be reported as skipped !!!!!" >&2
}

ensure_services() {
  local failed=0
  ensure_service PostgreSQL 5432 pg_ctlcluster \
    'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start' || failed=1
  ensure_service Redis 6379 redis-server \
    'mkdir -p /var/lib/redis /var/log/redis; redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log' || failed=1
  ensure_service NATS 4222 /usr/sbin/nats-server \
    'mkdir -p /var/lib/nats-server; start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log' || failed=1
  return "$failed"
}
