#!/usr/bin/env python3
"""Fails on a `sleep(` in test code that does not say why (docs/testing.md: never sleep to wait
for work; poll with a deadline or wait for a signal). A legitimate pause carries a comment on the
same line or the two lines above: `// poll: …` (the pause of a loop that checks a condition
against a deadline) or `// sleep: …` (a deliberate delay that is itself the behaviour under test).

Test code is everything under `crates/*/tests/`, and in `src/` every line after a file's first
`#[cfg(test)]`.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
JUSTIFIED = re.compile(r"//\s*(poll|sleep):")

def test_lines(path):
    lines = path.read_text().splitlines()
    if "/tests/" in path.as_posix():
        return list(enumerate(lines))
    for i, line in enumerate(lines):
        if line.strip().startswith("#[cfg(test)]"):
            return list(enumerate(lines))[i:]
    return []

offenders = []
for path in sorted(ROOT.glob("crates/**/*.rs")):
    if "target" in path.parts:
        continue
    lines = path.read_text().splitlines()
    for i, line in test_lines(path):
        if "sleep(" in line and not line.lstrip().startswith("//"):
            context = lines[max(0, i - 2): i + 1]
            if not any(JUSTIFIED.search(l) for l in context):
                offenders.append(f"{path.relative_to(ROOT)}:{i + 1}: {line.strip()}")
# The browser tests: no fixed waits at all (`waitForTimeout`), and a timer only as the pause of
# a polling loop that says so.
for path in sorted(ROOT.glob("web/e2e/**/*.mjs")):
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if "waitForTimeout" in line or ("setTimeout(" in line and not line.lstrip().startswith("//")):
            context = lines[max(0, i - 2): i + 1]
            if "waitForTimeout" in line or not any(JUSTIFIED.search(l) for l in context):
                offenders.append(f"{path.relative_to(ROOT)}:{i + 1}: {line.strip()}")
if offenders:
    print("sleep( in test code without a `// poll:` or `// sleep:` reason (docs/testing.md):")
    print("\n".join(offenders))
    sys.exit(1)
print("no unexplained sleeps in tests")
