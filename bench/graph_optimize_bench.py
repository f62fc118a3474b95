#!/usr/bin/env python3
"""Time of the tessel-graph-optimize pipeline on ResNet-50.

Generates ResNet-50 (seeded) if it is missing, then compiles it several
times per layout with `tessel-compile --emit=graph --stats --mlir-timing`
and reads MLIR's pass timing report: the pipeline's total (import excluded)
and the time of each pass. Reports the best and the median run against the
budget of issue 3: the pipeline on ResNet-50 in under a second.

    .venv/bin/python bench/graph_optimize_bench.py [--build build] [--runs 5]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUDGET_S = 1.0


def default_model() -> str:
    for path in (os.path.join(ROOT, "bench", "models", "resnet50.onnx"),
                 os.path.join(ROOT, "build", "bench-models", "resnet50.onnx")):
        if os.path.exists(path):
            return path
    return os.path.join(ROOT, "bench", "models", "resnet50.onnx")


def timed_run(cmd):
    """The timing report of one compile: (total seconds, {pass: seconds})."""
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        sys.exit(f"graph_optimize_bench: {' '.join(cmd)} failed:\n{proc.stderr}")
    total = re.search(r"Total Execution Time: ([0-9.]+) seconds", proc.stderr)
    if not total:
        sys.exit("graph_optimize_bench: no timing report in:\n" + proc.stderr)
    passes = {}
    for wall, name in re.findall(r"^\s+([0-9.]+) \(\s*[0-9.]+%\)\s+(\S.*)$",
                                 proc.stderr, re.M):
        name = name.strip()
        if name in ("Total", "Rest", "'func.func' Pipeline") or "(A)" in name:
            continue
        passes[name] = passes.get(name, 0.0) + float(wall)
    return float(total.group(1)), passes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default=default_model())
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--layouts", default="nchw,nhwc")
    args = ap.parse_args()
    if not os.path.exists(args.model):
        subprocess.check_call([sys.executable, os.path.join(HERE, "models", "generate.py"),
                               "--out", os.path.dirname(args.model), "--only", "resnet50"])
    tool = os.path.join(args.build, "bin", "tessel-compile")
    print(f"model     {os.path.basename(args.model)} "
          f"({os.path.getsize(args.model) / 2**20:.1f} MiB)")
    print(f"command   {tool} {args.model} --emit=graph --stats --layout=L --mlir-timing")
    ok = True
    for layout in args.layouts.split(","):
        cmd = [tool, args.model, "--emit=graph", "--stats", f"--layout={layout}",
               "--mlir-timing"]
        runs = [timed_run(cmd) for _ in range(args.runs)]
        totals = [t for t, _ in runs]
        best_total, best_passes = min(runs, key=lambda r: r[0])
        within = best_total < BUDGET_S
        ok &= within
        print(f"layout={layout:4}  pipeline {best_total * 1000:6.0f} ms best, "
              f"{statistics.median(totals) * 1000:6.0f} ms median of {args.runs} "
              f"(budget {BUDGET_S * 1000:.0f} ms) -> {'OK' if within else 'OVER BUDGET'}")
        for name, seconds in best_passes.items():
            print(f"    {name:28} {seconds * 1000:7.1f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
