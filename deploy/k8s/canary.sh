#!/usr/bin/env bash
# Canary steps: move the share of traffic the canary Deployment gets and, with it, the
# `new-checkout-flow` rollout, so the new checkout reaches the share of users that runs the new code.
#
#   deploy/k8s/canary.sh set PERCENT     # e.g. 10, 25, 50, 100
#   deploy/k8s/canary.sh abort           # weight 0 and the flag rollout 0
#
# Environment: AGORA_URL (the public base URL) and AGORA_ADMIN_TOKEN (an admin access token) for
# the flag; KUBECTL (default kubectl); NAMESPACE (optional). Promotion after 100 %: set the stable
# image to the canary's (deploy/k8s/canary/stable/kustomization.yaml), apply, then `set 0`.
set -euo pipefail

kubectl_bin=${KUBECTL:-kubectl}
namespace_args=()
[ -n "${NAMESPACE:-}" ] && namespace_args=(--namespace "$NAMESPACE")
k() { "$kubectl_bin" "${namespace_args[@]}" "$@"; }
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
  set) percent=${2:-} ;;
  abort) percent=0 ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
if ! [[ "$percent" =~ ^[0-9]+$ ]] || [ "$percent" -gt 100 ]; then
  echo "PERCENT must be a whole number from 0 to 100, got '${percent}'" >&2
  exit 2
fi
: "${AGORA_URL:?set AGORA_URL to the public base URL}"
: "${AGORA_ADMIN_TOKEN:?set AGORA_ADMIN_TOKEN to an admin access token}"

# Traffic moves before the flag, so a failed flag update leaves the previous rollout in place
# and is retried by running the same step again.
k annotate ingress agora-canary --overwrite "nginx.ingress.kubernetes.io/canary-weight=$percent" >/dev/null
echo "[canary] traffic to the canary: $percent %"
answer=$(mktemp)
trap 'rm -f "$answer"' EXIT
status=$(curl -sS -o "$answer" -w '%{http_code}' --max-time 10 \
  -X PATCH "$AGORA_URL/api/admin/flags/new-checkout-flow" \
  -H "Authorization: Bearer $AGORA_ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"rolloutPercent\": $percent}")
if [ "$status" != 200 ]; then
  echo "[canary] the flag update answered $status: $(cat "$answer")" >&2
  exit 1
fi
echo "[canary] new-checkout-flow rollout: $percent %"
