#!/usr/bin/env python3
"""Instructions per request of one agora build, counted by valgrind's callgrind.

Requests/s on a shared 2-core machine swing with whatever else runs; instruction counts do not
(the same binary, inputs and environment give the same total). This counts the whole server
process's instructions for N sequential keep-alive requests of each endpoint, after a warm-up,
zeroing the counters between endpoints (callgrind_control). Compare two builds by running it on
each: a change that costs more work per request shows here even when wrk is too noisy.

Usage: bench/instructions.py BINARY LABEL [N]     (needs valgrind; N defaults to 2000)
Prints `LABEL ENDPOINT N instructions/request` lines.
"""
import glob
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
binary, label = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
data = tempfile.mkdtemp()
env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
env.update({"AGORA_DATA_DIR": data, "AGORA_LOG": "warn", "AGORA_RATE_LIMIT__ENABLED": "false"})
def wait(port, proc, t=300):
    began = time.time()
    while time.time() - began < t:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2); c.request("GET", "/ready")
            if c.getresponse().status == 200: return
        except OSError: time.sleep(0.2)
    raise SystemExit("not ready")
def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
port = free_port()
env["AGORA_BIND"] = f"127.0.0.1:{port}"
p = subprocess.Popen([binary, "serve", "--seed"], env=env, cwd=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait(port, p); p.terminate(); p.wait()
out = os.path.join(tempfile.gettempdir(), f"agora-callgrind-{label}.out")
for f in glob.glob(out + "*"): os.remove(f)
p = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no", binary, "serve"],
                     env=env, cwd=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait(port, p)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
def hit(path, n):
    for _ in range(n):
        c.request("GET", path); r = c.getresponse(); r.read()
results = {}
for name, path in [("health", "/health"), ("list", "/api/products?limit=20")]:
    hit(path, 50)  # warm
    subprocess.run(["callgrind_control", "-z", str(p.pid)], check=True, capture_output=True)
    hit(path, N)
    subprocess.run(["callgrind_control", "-d", name, str(p.pid)], check=True, capture_output=True)
    time.sleep(1)
p.terminate(); p.wait()
for f in sorted(glob.glob(out + "*")):
    txt = open(f).read()
    m = re.search(r"^desc: Trigger: .*?(\w+)$", txt, re.M)
    tot = re.search(r"^(?:summary|totals): (\d+)", txt, re.M)
    if m and tot and m.group(1) in ("health", "list"):
        print(label, m.group(1), f"{int(tot.group(1))/N:,.0f} instructions/request")
shutil.rmtree(data, ignore_errors=True)
