#!/usr/bin/env python3
"""Nothing moved out of the README is lost: every non-empty line of README.md at REV (default main) that the
working tree's README.md no longer holds must appear verbatim in docs/benchmark-history.md, except the lines in
ALLOWED. Run from the repository root: python3 docs/check-benchmark-history.py [REV]; exit status 1 lists the lines."""
import sys, subprocess, collections
old_rev = sys.argv[1] if len(sys.argv) > 1 else "main"
new_file, hist_file = "README.md", "docs/benchmark-history.md"
old = subprocess.run(['git', 'show', f'{old_rev}:README.md'], capture_output=True, text=True, check=True).stdout.split('\n')
new = collections.Counter(open(new_file).read().split('\n'))
hist = set(open(hist_file).read().split('\n'))
ALLOWED = {  # lines rewritten on purpose when the history was split off (2026-12-03)
    "| `docs/` | `grafana-dashboard.json` (import into Grafana), `dashboard.png` |"}
missing = []
for i, line in enumerate(old, 1):
    if not line.strip(): continue
    if new[line] > 0:
        new[line] -= 1; continue
    if line in hist or line in ALLOWED: continue
    missing.append((i, line))
for i, l in missing: print(f'MISSING old line {i}: {l[:100]}')
print(f'removed-line check: {len(missing)} missing')
sys.exit(1 if missing else 0)
