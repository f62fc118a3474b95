#!/usr/bin/env python3
"""Run every GoogleTest binary in a directory; fail if any fails."""
import os
import subprocess
import sys

d = sys.argv[1]
bins = sorted(f for f in os.listdir(d) if f.endswith("Tests") and os.access(os.path.join(d, f), os.X_OK))
if not bins:
    print(f"run-unittests: no test binaries in {d}")
    sys.exit(1)
failed = []
for b in bins:
    r = subprocess.run([os.path.join(d, b), "--gtest_brief=1"])
    if r.returncode != 0:
        failed.append(b)
print(f"run-unittests: {len(bins) - len(failed)} of {len(bins)} test binaries passed")
if failed:
    print("failed: " + ", ".join(failed))
    sys.exit(1)
