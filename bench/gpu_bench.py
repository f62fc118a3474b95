#!/usr/bin/env python3
"""Tessel's GPU back end against its CPU back end, on a machine with an NVIDIA GPU.

Two parts, both needing the CUDA driver (libcuda.so.1) and a GPU; neither
runs in `make check`:

1. The ONNX node tests: `tessel-conformance --backend=gpu` compiles every
   supported node test for the GPU, runs it through the runtime on the GPU
   and compares its outputs with the test's expected outputs (the same
   tolerances as the CPU back end's conformance run).
2. The bench models (ResNet-50, MobileNetV2, BERT encoder), at batch 1 and
   batch 32 (the graph inputs' first dimension rewritten): compiled with
   `tessel-compile --target=gpu` and `--target=cpu`; the GPU's outputs are
   checked against the CPU path's on the same seeded inputs, then the
   latency of both is measured (`tessel-run --repeat`; the GPU's includes
   the input upload and the output download).

Prints the GPU (from the runtime's summary line), the node-test counts and
the latency table. Exit status 0 when every output matched.

Without a GPU, TESSEL_CUDA_DRIVER=build/lib/libtessel-fake-cuda.so runs the
script end to end (that is how it was checked): the fake driver runs no
kernels, so every output is reported as MISMATCH and the times mean nothing.

    .venv/bin/python bench/gpu_bench.py [--build build] [--gpu-arch sm_80]
        [--models resnet50 mobilenetv2 bert] [--batches 1 32] [--runs 20]
        [--skip-node-tests]
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
from reference import make_inputs  # noqa: E402

# GPU against CPU, both f32: different summation orders (tiled GEMMs, the
# CPU's micro-kernels) and different exp/tanh approximations.
RTOL, ATOL = 1e-3, 1e-3


def with_batch(path: str, batch: int, out: str) -> str:
    """The model with every graph input's (and output's) first dim = batch."""
    model = onnx.load(path)
    for vi in list(model.graph.input) + list(model.graph.output):
        dims = vi.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_param")
            dims[0].dim_value = batch
    del model.graph.value_info[:]
    onnx.save(model, out)
    return out


def latency(run_tool, tsl, inputs_args, runs, extra=()):
    out = subprocess.run([run_tool, tsl, *inputs_args, "--repeat", str(runs), *extra],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"min ([0-9.]+) ms, median ([0-9.]+) ms", out)
    gpu = re.search(r"^gpu: (.*?):", out, re.M)
    return float(m.group(1)), float(m.group(2)), gpu.group(1) if gpu else None


def node_tests(build: str) -> int:
    tool = os.path.join(build, "bin", "tessel-conformance")
    suites = []
    for name, d in (("debian", "/usr/share/libonnx-testdata/data/node"),
                    ("onnx", os.path.join(build, "onnx-node-tests"))):
        if os.path.isdir(d):
            suites += ["--suite", f"{name}={d}"]
    # Tests outside the expected-pass list (what compiles and assembles)
    # are reported but do not fail the run.
    expected = os.path.join(ROOT, "test", "conformance", "expected-pass-gpu.txt")
    cmd = [tool, "--backend=gpu", "-j", "1", *suites, "--expected", expected]
    print("$", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    tail = r.stdout.strip().splitlines()[-5:]
    print("\n".join(tail))
    return r.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--gpu-arch", default="sm_80", choices=("sm_80", "sm_90"))
    ap.add_argument("--models", nargs="+", default=["resnet50", "mobilenetv2", "bert"])
    ap.add_argument("--model-dir", default=os.path.join(HERE, "models"))
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--skip-node-tests", action="store_true")
    args = ap.parse_args()
    compile_tool = os.path.join(args.build, "bin", "tessel-compile")
    run_tool = os.path.join(args.build, "bin", "tessel-run")
    work = tempfile.mkdtemp(prefix="tessel-gpu-bench-")
    ok = True
    if not args.skip_node_tests:
        ok &= node_tests(args.build) == 0

    rows = []
    gpu_name = None
    for name in args.models:
        path = os.path.join(args.model_dir, f"{name}.onnx")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "models", "generate.py"),
                            "--out", args.model_dir, "--only", name], check=True,
                           stdout=subprocess.DEVNULL)
        for batch in args.batches:
            tag = f"{name}.b{batch}"
            src = with_batch(path, batch, os.path.join(work, f"{tag}.onnx"))
            gpu_tsl = os.path.join(work, f"{tag}.gpu.tsl")
            cpu_tsl = os.path.join(work, f"{tag}.cpu.tsl")
            t0 = time.perf_counter()
            subprocess.run([compile_tool, src, "--target=gpu", f"--gpu-arch={args.gpu_arch}",
                            "-o", gpu_tsl], check=True)
            compile_s = time.perf_counter() - t0
            subprocess.run([compile_tool, src, "--target=cpu", "-o", cpu_tsl], check=True)
            model = onnx.load(src, load_external_data=False)
            feeds = make_inputs(model, seed=0)
            inputs_args = []
            for k, v in feeds.items():
                f = os.path.join(work, f"{tag}.{k}.npy")
                np.save(f, v)
                inputs_args += ["--input", f"{k}={f}"]
            # The CPU path's outputs are the reference.
            ref_dir = os.path.join(work, f"{tag}.cpu-out")
            os.makedirs(ref_dir, exist_ok=True)
            subprocess.run([run_tool, cpu_tsl, *inputs_args, "--output-dir", ref_dir],
                           check=True, capture_output=True)
            expect_args = []
            for out in model.graph.output:
                expect_args += ["--expect", f"{out.name}={os.path.join(ref_dir, out.name)}.npy"]
            check = subprocess.run([run_tool, gpu_tsl, *inputs_args, *expect_args,
                                    "--rtol", str(RTOL), "--atol", str(ATOL)],
                                   capture_output=True, text=True)
            verdict = "match" if check.returncode == 0 else "MISMATCH"
            if check.returncode != 0:
                print(check.stdout + check.stderr)
                ok = False
            g_min, g_med, gpu = latency(run_tool, gpu_tsl, inputs_args, args.runs)
            gpu_name = gpu_name or gpu
            c_min, c_med, _ = latency(run_tool, cpu_tsl, inputs_args, args.runs)
            rows.append((name, batch, g_min, g_med, c_min, c_med, compile_s, verdict))

    print(f"Tessel GPU ({gpu_name or 'unknown GPU'}, {args.gpu_arch} code) vs Tessel CPU "
          f"({os.cpu_count()} CPUs), fastest of {args.runs} runs")
    print(f"{'model':12} {'batch':>5} {'gpu ms':>8} {'(median)':>9} {'cpu ms':>8} "
          f"{'(median)':>9} {'speed-up':>8} {'compile s':>9}  gpu vs cpu outputs")
    for name, batch, gm, gmed, cm, cmed, cs, v in rows:
        print(f"{name:12} {batch:>5} {gm:>8.2f} {gmed:>9.2f} {cm:>8.2f} {cmed:>9.2f} "
              f"{cm / gm:>8.1f} {cs:>9.1f}  {v} (rtol {RTOL}, atol {ATOL})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
