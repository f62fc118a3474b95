#!/usr/bin/env python3
"""Tessel's CPU micro-kernels against onnxruntime (MLAS) on the shapes of
ResNet-50, MobileNetV2 and the BERT-style encoder.

    .venv/bin/python bench/ukernel_bench.py [--build build] [--threads 1 2]
        [--only SUBSTRING ...] [--markdown FILE]

Each shape becomes a one-node ONNX model (MatMul or Conv, made with
onnx.helper), timed in onnxruntime with intra_op_num_threads = 1 and 2 (all
graph optimizations, so its NCHWc convolutions and packed MatMul weights are
in play; the reorders around a lone NCHWc conv are counted as onnxruntime's
time). The same shape runs through build/bin/tessel-ukernel-bench (NHWC, the
weights packed beforehand, as the compiler does). Both sides report the
fastest of at least 10 runs and 0.5 s: on a machine shared with other work
that is the steadiest number, and each side is measured --repeat times,
alternating, keeping the fastest. With one thread both sides are timed by the
CPU time of the calling thread (onnxruntime runs a 1-thread session on the
caller), which time slices lost to other processes do not inflate; with 2
threads, by the wall clock. `ratio` is Tessel's time over onnxruntime's
(below 1: Tessel is faster). TESSEL_UK_ISA=avx2|portable caps Tessel's
instruction set.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Shape:
    name: str
    kind: str      # gemm | dynamic | conv | dwconv
    dims: tuple    # the tessel-ukernel-bench arguments after THREADS
    flops: float


def conv(name, h, w, c, o, k, s, p, groups=1):
    oh = (h + 2 * p - k) // s + 1
    ow = (w + 2 * p - k) // s + 1
    if groups == c and o == c and groups > 1:
        return Shape(name, "dwconv", (h, w, c, k, k, s, s, p),
                     2.0 * oh * ow * c * k * k)
    return Shape(name, "conv", (h, w, c, o, k, k, s, s, p, groups),
                 2.0 * oh * ow * o * (c // groups) * k * k)


def gemm(name, m, n, k):
    return Shape(name, "gemm", (m, n, k), 2.0 * m * n * k)


def dynamic(name, batch, m, n, k, trans_b):
    return Shape(name, "dynamic", (batch, m, n, k, trans_b),
                 2.0 * batch * m * n * k)


SHAPES = [
    conv("resnet stem 224x224x3->64 7x7/2", 224, 224, 3, 64, 7, 2, 3),
    conv("resnet 56x56x64->64 1x1", 56, 56, 64, 64, 1, 1, 0),
    conv("resnet 56x56x64->64 3x3", 56, 56, 64, 64, 3, 1, 1),
    conv("resnet 56x56x64->256 1x1", 56, 56, 64, 256, 1, 1, 0),
    conv("resnet 56x56x256->128 1x1", 56, 56, 256, 128, 1, 1, 0),
    conv("resnet 28x28x128->128 3x3", 28, 28, 128, 128, 3, 1, 1),
    conv("resnet 56x56x256->512 1x1/2", 56, 56, 256, 512, 1, 2, 0),
    conv("resnet 14x14x256->256 3x3", 14, 14, 256, 256, 3, 1, 1),
    conv("resnet 14x14x1024->256 1x1", 14, 14, 1024, 256, 1, 1, 0),
    conv("resnet 7x7x512->512 3x3", 7, 7, 512, 512, 3, 1, 1),
    conv("resnet 7x7x512->2048 1x1", 7, 7, 512, 2048, 1, 1, 0),
    conv("mobilenet 112x112x32 dw3x3", 112, 112, 32, 32, 3, 1, 1, 32),
    conv("mobilenet 112x112x96 dw3x3/2", 112, 112, 96, 96, 3, 2, 1, 96),
    conv("mobilenet 56x56x144 dw3x3", 56, 56, 144, 144, 3, 1, 1, 144),
    conv("mobilenet 14x14x576 dw3x3", 14, 14, 576, 576, 3, 1, 1, 576),
    conv("mobilenet 7x7x960 dw3x3", 7, 7, 960, 960, 3, 1, 1, 960),
    conv("mobilenet 56x56x24->144 1x1", 56, 56, 24, 144, 1, 1, 0),
    conv("mobilenet 7x7x320->1280 1x1", 7, 7, 320, 1280, 1, 1, 0),
    gemm("bert 128x256 . 256x1024", 128, 1024, 256),
    gemm("bert 128x1024 . 1024x256", 128, 256, 1024),
    gemm("bert 128x256 . 256x256", 128, 256, 256),
    dynamic("bert 4x 128x64 . (128x64)^T", 4, 128, 128, 64, 1),
    dynamic("bert 4x 128x128 . 128x64", 4, 128, 64, 128, 0),
]


def onnx_model(s: Shape) -> tuple[onnx.ModelProto, dict]:
    """A one-node model and its feeds."""
    rng = np.random.default_rng(0)
    f32 = TensorProto.FLOAT
    if s.kind == "gemm":
        m, n, k = s.dims
        w = numpy_helper.from_array(
            rng.uniform(-1, 1, (k, n)).astype(np.float32), "W")
        node = helper.make_node("MatMul", ["A", "W"], ["Y"])
        graph = helper.make_graph(
            [node], "g", [helper.make_tensor_value_info("A", f32, [m, k])],
            [helper.make_tensor_value_info("Y", f32, [m, n])], [w])
        feeds = {"A": rng.uniform(-1, 1, (m, k)).astype(np.float32)}
    elif s.kind == "dynamic":
        b, m, n, k, _ = s.dims
        node = helper.make_node("MatMul", ["A", "B"], ["Y"])
        graph = helper.make_graph(
            [node], "g",
            [helper.make_tensor_value_info("A", f32, [b, m, k]),
             helper.make_tensor_value_info("B", f32, [b, k, n])],
            [helper.make_tensor_value_info("Y", f32, [b, m, n])])
        feeds = {"A": rng.uniform(-1, 1, (b, m, k)).astype(np.float32),
                 "B": rng.uniform(-1, 1, (b, k, n)).astype(np.float32)}
    else:
        if s.kind == "conv":
            h, w_, c, o, kh, kw, sh, sw, p, groups = s.dims
        else:
            h, w_, c, kh, kw, sh, sw, p = s.dims
            o, groups = c, c
        wt = numpy_helper.from_array(
            rng.uniform(-1, 1, (o, c // groups, kh, kw)).astype(np.float32),
            "W")
        bias = numpy_helper.from_array(
            rng.uniform(-1, 1, (o,)).astype(np.float32), "Bias")
        node = helper.make_node("Conv", ["X", "W", "Bias"], ["Y"],
                                kernel_shape=[kh, kw], strides=[sh, sw],
                                pads=[p, p, p, p], group=groups)
        oh = (h + 2 * p - kh) // sh + 1
        ow = (w_ + 2 * p - kw) // sw + 1
        graph = helper.make_graph(
            [node], "g", [helper.make_tensor_value_info("X", f32,
                                                        [1, c, h, w_])],
            [helper.make_tensor_value_info("Y", f32, [1, o, oh, ow])],
            [wt, bias])
        feeds = {"X": rng.uniform(-1, 1, (1, c, h, w_)).astype(np.float32)}
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model, feeds


def time_ort(s: Shape, threads: int) -> float:
    """Fastest run in milliseconds."""
    model, feeds = onnx_model(s)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    for _ in range(3):
        sess.run(None, feeds)
    clock = time.thread_time if threads == 1 else time.perf_counter
    times = []
    start = time.perf_counter()
    while len(times) < 10 or (time.perf_counter() - start < 0.5
                              and len(times) < 2000):
        t0 = clock()
        sess.run(None, feeds)
        times.append((clock() - t0) * 1e3)
    return min(times)


def time_tessel(binary: str, s: Shape, threads: int) -> tuple[float, str]:
    out = subprocess.run([binary, s.kind, str(threads)] +
                         [str(d) for d in s.dims], check=True,
                         capture_output=True, text=True).stdout
    kv = dict(item.split("=", 1) for item in out.split())
    key = "best_cpu_ms" if threads == 1 else "best_ms"
    return float(kv[key]), kv["isa"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--only", nargs="*", default=[],
                    help="run the shapes whose name contains one of these")
    ap.add_argument("--repeat", type=int, default=3,
                    help="measure each side this many times, alternating, "
                    "and keep the fastest (default 3)")
    ap.add_argument("--markdown", help="also write the table to this file")
    args = ap.parse_args(argv)
    binary = os.path.join(args.build, "bin", "tessel-ukernel-bench")
    if not os.path.exists(binary):
        print(f"ukernel_bench: {binary} is missing; build it with "
              f"ninja -C {args.build} tessel-ukernel-bench", file=sys.stderr)
        return 1
    peak = subprocess.run([binary, "peak"], capture_output=True,
                          text=True).stdout.strip()
    header = (f"| shape | thr | tessel ms | tessel GFLOP/s | ort ms | "
              f"ort GFLOP/s | ratio |")
    lines = [f"onnxruntime {ort.__version__}, {os.cpu_count()} CPUs; "
             f"one-core FMA peak: {peak}", "", header,
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    print("\n".join(lines), flush=True)
    ratios = {t: [] for t in args.threads}
    isa = "?"
    for s in SHAPES:
        if args.only and not any(o in s.name for o in args.only):
            continue
        for t in args.threads:
            tm = om = float("inf")
            for _ in range(args.repeat):
                m, isa = time_tessel(binary, s, t)
                tm = min(tm, m)
                om = min(om, time_ort(s, t))
            r = tm / om
            ratios[t].append(r)
            line = (f"| {s.name} | {t} | {tm:.3f} | {s.flops / tm * 1e-6:.1f} "
                    f"| {om:.3f} | {s.flops / om * 1e-6:.1f} | {r:.2f} |")
            lines.append(line)
            print(line, flush=True)
    summary = [f"geometric mean of ratios, {t} thread(s): "
               f"{float(np.exp(np.mean(np.log(v)))):.2f} (worst "
               f"{max(v):.2f})" for t, v in ratios.items() if v]
    summary.append(f"tessel instruction set: {isa}")
    print("\n".join(summary))
    lines += [""] + summary
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
