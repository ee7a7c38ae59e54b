#!/usr/bin/env bash
# Blue-green switch: send live traffic to the idle slot after it passed a smoke check, check again
# through the live Service, and switch back if that fails.
#
#   deploy/k8s/blue-green.sh [--namespace NS] [--dry-run]
#
# Before: apply deploy/k8s/blue-green with the new image on the idle slot (the one the `agora`
# Service does not select). Environment: KUBECTL (default kubectl); SMOKE_PREVIEW_URL and
# SMOKE_LIVE_URL to check through URLs you already reach (an in-cluster address, an ingress);
# without them the script port-forwards the Services. ROLLOUT_TIMEOUT (default 300s).
set -euo pipefail

kubectl_bin=${KUBECTL:-kubectl}
namespace_args=()
dry_run=false
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--namespace) namespace_args=(--namespace "$2"); shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

k() { "$kubectl_bin" "${namespace_args[@]}" "$@"; }
log() { printf '[blue-green] %s\n' "$*"; }

select_slot() { # service slot
  k patch service "$1" --type merge -p "{\"spec\":{\"selector\":{\"slot\":\"$2\"}}}" >/dev/null
}

forwarded=()
cleanup() { for pid in "${forwarded[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# Prints a base URL reaching the Service: the given override, or a local port-forward.
reach() { # service override
  if [ -n "$2" ]; then echo "$2"; return; fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  k port-forward "service/$1" "$port:80" >/dev/null 2>&1 &
  forwarded+=("$!")
  echo "http://127.0.0.1:$port"
}

# Ready and serving the storefront, retried for up to SMOKE_TIMEOUT seconds (default 30): a fresh
# port-forward or Service endpoint takes a moment to answer.
smoke() { # base-url
  local deadline=$((SECONDS + ${SMOKE_TIMEOUT:-30}))
  until curl -fsS --max-time 5 "$1/ready" >/dev/null && curl -fsS --max-time 5 "$1/api/products?limit=1" >/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 1 # poll: until the slot answers or the deadline passes
  done
}

live=$(k get service agora -o 'jsonpath={.spec.selector.slot}')
case "$live" in
  blue) idle=green ;;
  green) idle=blue ;;
  *) echo "service/agora selects slot '$live'; expected blue or green" >&2; exit 1 ;;
esac
log "live: $live, switching to: $idle"

k rollout status "deployment/agora-$idle" --timeout "${ROLLOUT_TIMEOUT:-300s}"
if ! smoke "$(reach agora-preview "${SMOKE_PREVIEW_URL:-}")"; then
  log "smoke check of $idle through agora-preview failed: live traffic stays on $live"
  exit 1
fi
if $dry_run; then log "dry run: $idle passed its smoke check; nothing switched"; exit 0; fi

select_slot agora "$idle"
select_slot agora-preview "$live"
log "live traffic now on $idle; checking through the live Service"
if ! smoke "$(reach agora "${SMOKE_LIVE_URL:-}")"; then
  select_slot agora "$live"
  select_slot agora-preview "$idle"
  log "live check failed: rolled back to $live"
  exit 1
fi
log "done: $idle is live, $live is idle (agora-preview) for a quick roll-back"
