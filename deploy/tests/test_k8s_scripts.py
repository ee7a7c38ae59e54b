"""The blue-green and canary scripts against a recording fake kubectl and local HTTP servers.

Run: python3 -m unittest discover -s deploy/tests (scripts/deploy-check.sh does).
"""

import http.server
import json
import os
import subprocess
import tempfile
import threading
import unittest
from pathlib import Path

K8S = Path(__file__).resolve().parent.parent / "k8s"

FAKE_KUBECTL = """#!/usr/bin/env bash
# Records every call; answers `get service agora` with the slot in $STATE/slot and applies
# `patch service agora` selector changes to it.
echo "$*" >> "$STATE/calls"
case "$*" in
  *"get service agora"*) cat "$STATE/slot" ;;
  *"patch service agora --type merge -p"*)
    echo "$*" | sed -E 's/.*"slot":"([a-z]+)".*/\\1/' > "$STATE/slot" ;;
esac
"""


class Server:
    """A local HTTP server: GET answers 200 for paths in `healthy`, PATCH records its body."""

    def __init__(self, healthy=(), patch_status=200):
        server = self
        self.patches = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                self.send_response(200 if path in healthy else 503)
                self.end_headers()

            def do_PATCH(self):
                length = int(self.headers["Content-Length"])
                server.patches.append((self.path, self.headers["Authorization"], json.loads(self.rfile.read(length))))
                self.send_response(patch_status)
                self.end_headers()
                self.wfile.write(b'{"code":"test"}')

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    def close(self):
        self.httpd.shutdown()


HEALTHY = ("/ready", "/api/products")


class ScriptTest(unittest.TestCase):
    def setUp(self):
        self.state = Path(tempfile.mkdtemp())
        kubectl = self.state / "kubectl"
        kubectl.write_text(FAKE_KUBECTL)
        kubectl.chmod(0o755)
        (self.state / "slot").write_text("blue")
        self.env = dict(os.environ, KUBECTL=str(kubectl), STATE=str(self.state), SMOKE_TIMEOUT="2")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.close()

    def server(self, **kwargs):
        server = Server(**kwargs)
        self.servers.append(server)
        return server

    def run_script(self, name, *args, **env):
        return subprocess.run([str(K8S / name), *args], env=dict(self.env, **env), capture_output=True, text=True, timeout=60)

    def calls(self):
        path = self.state / "calls"
        return path.read_text().splitlines() if path.exists() else []

    def slot(self):
        return (self.state / "slot").read_text().strip()


class BlueGreen(ScriptTest):
    def test_switches_to_the_idle_slot_after_both_checks_pass(self):
        healthy = self.server(healthy=HEALTHY)
        result = self.run_script("blue-green.sh", SMOKE_PREVIEW_URL=healthy.url, SMOKE_LIVE_URL=healthy.url)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(self.slot(), "green")
        self.assertIn("rollout status deployment/agora-green --timeout 300s", self.calls())
        self.assertIn("green is live, blue is idle", result.stdout)

    def test_a_failing_preview_never_takes_live_traffic(self):
        sick = self.server(healthy=("/ready",))
        result = self.run_script("blue-green.sh", SMOKE_PREVIEW_URL=sick.url, SMOKE_LIVE_URL=sick.url)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(self.slot(), "blue")
        self.assertFalse([c for c in self.calls() if c.startswith("patch")], self.calls())
        self.assertIn("live traffic stays on blue", result.stdout)

    def test_a_failing_live_check_rolls_back(self):
        healthy, sick = self.server(healthy=HEALTHY), self.server()
        result = self.run_script("blue-green.sh", SMOKE_PREVIEW_URL=healthy.url, SMOKE_LIVE_URL=sick.url)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(self.slot(), "blue")
        patches = [c for c in self.calls() if c.startswith("patch service agora ")]
        self.assertEqual(len(patches), 2, patches)
        self.assertIn("rolled back to blue", result.stdout)

    def test_a_dry_run_checks_without_switching(self):
        healthy = self.server(healthy=HEALTHY)
        result = self.run_script("blue-green.sh", "--dry-run", SMOKE_PREVIEW_URL=healthy.url)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.slot(), "blue")

    def test_an_unexpected_selector_is_refused(self):
        (self.state / "slot").write_text("purple")
        result = self.run_script("blue-green.sh")
        self.assertEqual(result.returncode, 1)
        self.assertIn("expected blue or green", result.stderr)


class Canary(ScriptTest):
    def test_moves_traffic_and_the_flag_rollout_together(self):
        agora = self.server()
        result = self.run_script("canary.sh", "set", "25", AGORA_URL=agora.url, AGORA_ADMIN_TOKEN="t0k")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("annotate ingress agora-canary --overwrite nginx.ingress.kubernetes.io/canary-weight=25", self.calls())
        self.assertEqual(agora.patches, [("/api/admin/flags/new-checkout-flow", "Bearer t0k", {"rolloutPercent": 25})])

    def test_abort_sets_both_to_zero(self):
        agora = self.server()
        result = self.run_script("canary.sh", "abort", AGORA_URL=agora.url, AGORA_ADMIN_TOKEN="t0k")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(agora.patches[0][2], {"rolloutPercent": 0})

    def test_rejects_a_percentage_out_of_range(self):
        result = self.run_script("canary.sh", "set", "150", AGORA_URL="http://unused", AGORA_ADMIN_TOKEN="t")
        self.assertEqual(result.returncode, 2)
        self.assertIn("from 0 to 100", result.stderr)
        self.assertEqual(self.calls(), [])

    def test_a_refused_flag_update_fails_loudly(self):
        agora = self.server(patch_status=403)
        result = self.run_script("canary.sh", "set", "10", AGORA_URL=agora.url, AGORA_ADMIN_TOKEN="t")
        self.assertEqual(result.returncode, 1)
        self.assertIn("answered 403", result.stderr)


if __name__ == "__main__":
    unittest.main()
