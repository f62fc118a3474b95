#!/usr/bin/env python3
"""Tessel's CPU back end against onnxruntime, in the same run.

For each bench model (generated with bench/models/generate.py if missing):
compile it with `tessel-compile --target=cpu` (timed), check its outputs
against onnxruntime's on the same seeded inputs, then measure batch-1
latency of both with the same thread counts, alternating the two so that
machine noise hits both alike. Prints the latency table and the
Tessel/onnxruntime ratios (of the fastest runs; lower is better).

    .venv/bin/python bench/cpu_bench.py [--build build] [--models resnet50 mobilenetv2 bert]
                                        [--threads 1 2] [--runs 20]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "models"))
from reference import make_inputs, session  # noqa: E402

# Correctness tolerance against onnxruntime (f32: different but equally
# valid summation orders and activation approximations).
RTOL, ATOL = 1e-3, 1e-3


def tessel_latency(run_tool, tsl, inputs_args, threads, runs):
    out = subprocess.run([run_tool, tsl, *inputs_args, "--threads", str(threads),
                          "--repeat", str(runs)], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"min ([0-9.]+) ms, median ([0-9.]+) ms", out)
    return float(m.group(1)), float(m.group(2))


def ort_latency(sess, feeds, runs):
    for _ in range(3):
        sess.run(None, feeds)
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        t.append((time.perf_counter() - t0) * 1e3)
    return min(t), float(np.median(t))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", nargs="+", default=["resnet50", "mobilenetv2", "bert"])
    ap.add_argument("--model-dir", default=os.path.join(HERE, "models"))
    ap.add_argument("--threads", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    compile_tool = os.path.join(args.build, "bin", "tessel-compile")
    run_tool = os.path.join(args.build, "bin", "tessel-run")
    work = tempfile.mkdtemp(prefix="tessel-cpu-bench-")
    import onnxruntime as ort
    print(f"Tessel CPU vs onnxruntime {ort.__version__}, {os.cpu_count()} CPUs, "
          f"batch 1, fastest of {args.runs} runs")
    rows = []
    for name in args.models:
        path = os.path.join(args.model_dir, f"{name}.onnx")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "models", "generate.py"),
                            "--out", args.model_dir, "--only", name], check=True,
                           stdout=subprocess.DEVNULL)
        tsl = os.path.join(work, f"{name}.tsl")
        t0 = time.perf_counter()
        subprocess.run([compile_tool, path, "--target=cpu", "-o", tsl], check=True)
        compile_s = time.perf_counter() - t0
        model = onnx.load(path, load_external_data=False)
        feeds = make_inputs(model, seed=0)
        inputs_args = []
        for k, v in feeds.items():
            f = os.path.join(work, f"{name}.{k}.npy")
            np.save(f, v)
            inputs_args += ["--input", f"{k}={f}"]
        ref = session(path, threads=1, optimize=True).run(None, feeds)
        expect_args = []
        for out, value in zip(model.graph.output, ref):
            f = os.path.join(work, f"{name}.{out.name}.expected.npy")
            np.save(f, value)
            expect_args += ["--expect", f"{out.name}={f}"]
        check = subprocess.run([run_tool, tsl, *inputs_args, *expect_args,
                                "--rtol", str(RTOL), "--atol", str(ATOL)],
                               capture_output=True, text=True)
        verdict = "match" if check.returncode == 0 else "MISMATCH"
        if check.returncode != 0:
            print(check.stdout + check.stderr)
        for threads in args.threads:
            sess = session(path, threads=threads, optimize=True)
            o_min, o_med = ort_latency(sess, feeds, args.runs)
            t_min, t_med = tessel_latency(run_tool, tsl, inputs_args, threads, args.runs)
            rows.append((name, threads, t_min, t_med, o_min, o_med, compile_s, verdict))
    print(f"{'model':12} {'threads':>7} {'tessel ms':>10} {'(median)':>9} {'ort ms':>8} "
          f"{'(median)':>9} {'ratio':>6} {'compile s':>9}  outputs vs ort")
    for name, th, tm, tmed, om, omed, cs, v in rows:
        print(f"{name:12} {th:>7} {tm:>10.2f} {tmed:>9.2f} {om:>8.2f} {omed:>9.2f} "
              f"{tm / om:>6.2f} {cs:>9.1f}  {v} (rtol {RTOL}, atol {ATOL})")
    return 0 if all(r[7] == "match" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
