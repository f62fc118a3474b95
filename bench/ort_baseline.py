#!/usr/bin/env python3
"""onnxruntime CPU latency of models: the baseline Tessel is measured against.

    ort_baseline.py MODEL.onnx ... [--threads 1 2] [--runs 20] [--warmup 3]

For each model and each intra-op thread count, runs onnxruntime (all graph
optimizations on, sequential execution) on the seeded inputs of
bench/models/reference.py and prints the fastest, median and 90th percentile
latency of single-batch inference in milliseconds. On a machine shared with
other work the fastest run is the steadiest number.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "models"))
from reference import make_inputs, session  # noqa: E402


def measure(path: str, threads: int, runs: int, warmup: int) -> np.ndarray:
    """Latencies in milliseconds of `runs` timed inferences."""
    feeds = make_inputs(onnx.load(path, load_external_data=False), seed=0)
    sess = session(path, threads=threads, optimize=True)
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
    return np.array(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"onnxruntime {ort.__version__}, {os.cpu_count()} CPUs, "
          f"{args.runs} runs after {args.warmup} warm-up")
    print(f"{'model':24} {'threads':>7} {'min ms':>9} {'median ms':>10} "
          f"{'p90 ms':>9}")
    for path in args.models:
        name = os.path.splitext(os.path.basename(path))[0]
        for threads in args.threads:
            t = measure(path, threads, args.runs, args.warmup)
            p50, p90 = np.percentile(t, [50, 90])
            print(f"{name:24} {threads:>7} {t.min():>9.2f} {p50:>10.2f} "
                  f"{p90:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
