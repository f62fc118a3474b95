#!/usr/bin/env python3
"""Import speed and peak memory of a ResNet-50-sized ONNX model.

Generates ResNet-50 (seeded, ~100 MB of weights) if it is missing, then
imports it several times (`tessel-compile --emit=imported --stats`: parse,
build and verify the graph IR, count ops; no printing) and reports the best
wall time and the peak resident memory of the process against the budget the
foundation issue sets: under 1 s, and under 1.5x the weights plus 100 MB.
The peak includes ~90 MB that loading libMLIR.so and libLLVM.so costs any
process.

    .venv/bin/python bench/import_bench.py [--build build] [--runs 5]
"""
import argparse
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def weight_bytes(path: str) -> int:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path, load_external_data=False)
    total = 0
    for t in model.graph.initializer:
        total += numpy_helper.to_array(t).nbytes if not t.external_data else 0
    return total


def run_once(cmd):
    """Wall time and peak RSS (bytes) of one child process."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execv(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"import_bench: {' '.join(cmd)} failed with status {status}")
    return wall, usage.ru_maxrss * 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default=os.path.join(ROOT, "bench", "models", "resnet50.onnx"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not os.path.exists(args.model):
        subprocess.check_call([sys.executable, os.path.join(HERE, "models", "generate.py"),
                               "--out", os.path.dirname(args.model), "--only", "resnet50"])
    # Import only (parse, build and verify the IR, count ops); printing
    # 100 MB of weights as hex is not part of importing.
    cmd = [os.path.join(args.build, "bin", "tessel-compile"), args.model, "--emit=imported", "--stats"]
    weights = weight_bytes(args.model)
    results = [run_once(cmd) for _ in range(args.runs)]
    best_wall = min(w for w, _ in results)
    peak = max(m for _, m in results)
    budget = 1.5 * weights + 100 * 2**20
    mib = 2**20
    print(f"model            {os.path.basename(args.model)} ({os.path.getsize(args.model) / mib:.1f} MiB file, "
          f"{weights / mib:.1f} MiB of weights)")
    print(f"import time      {best_wall * 1000:.0f} ms (best of {args.runs}; budget 1000 ms) "
          f"-> {'OK' if best_wall < 1.0 else 'OVER BUDGET'}")
    print(f"peak memory      {peak / mib:.1f} MiB (budget 1.5 x weights + 100 MiB = {budget / mib:.1f} MiB; "
          f"{peak / weights:.2f} x weights) -> {'OK' if peak < budget else 'OVER BUDGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
