#!/usr/bin/env python3
"""Compile a model for an NPU chip, run it on the simulator, compare with the CPU.

    check_npu_model.py MODEL [--chip C] [--bindir DIR] [--seed N]
                       [--rtol R] [--atol A] [--min-cosine C] [-- COMPILE-OPTIONS...]

The reference is Tessel's CPU path (`--target=cpu`, f32), run on the same
seeded inputs; the NPU binary (`--target=npu`) runs on the cycle-approximate
simulator. Float models compute in fp16 on the NPU, so the comparison is a
tolerance (|npu - cpu| <= atol + rtol * max|cpu|, per output) plus a cosine
similarity floor. With quantization options among the compile options
(`--quantize=...`, `--calib-...`), the CPU reference is compiled with the
same ones and the default tolerance is zero: both paths implement the
integer reference bit for bit (models whose float ops sit between quantized
ones, like the BERT encoder's layer norms, round those differently and need
a tolerance). Prints one PASS/FAIL line per output, then the simulator's
summary line, and exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.parser

ONNX_TO_NP = {1: np.float32, 10: np.float16, 6: np.int32, 7: np.int64,
              3: np.int8, 2: np.uint8, 9: np.bool_, 11: np.float64}


def load(path: str) -> onnx.ModelProto:
    if path.endswith(".onnxtxt"):
        with open(path) as f:
            return onnx.parser.parse_model(f.read())
    return onnx.load(path, load_external_data=False)


def make_inputs(model: onnx.ModelProto, seed: int, out_dir: str,
                batch: int) -> list[str]:
    rng = np.random.default_rng(seed)
    inits = {i.name for i in model.graph.initializer}
    args = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.dim_value > 0 else 1 for d in tt.shape.dim]
        if dims and batch and not tt.shape.dim[0].dim_value:
            dims[0] = batch
        dtype = ONNX_TO_NP.get(tt.elem_type, np.float32)
        if np.issubdtype(dtype, np.floating):
            x = rng.standard_normal(dims).astype(dtype)
        elif dtype == np.bool_:
            x = rng.integers(0, 2, dims).astype(np.bool_)
        elif "mask" in vi.name:
            x = np.ones(dims, dtype)
        else:
            x = rng.integers(0, 100, dims).astype(dtype)
        path = os.path.join(out_dir, vi.name.replace("/", "_") + ".npy")
        np.save(path, x)
        args += ["--input", f"{vi.name}={path}"]
    return args


def run(cmd: list[str]) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stdout.write(p.stdout + p.stderr)
        print("FAIL: command failed: " + " ".join(cmd))
        sys.exit(1)
    return p.stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--chip", default="mobile-m")
    ap.add_argument("--bindir", default="")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rtol", type=float, default=None,
                    help="default 0.02 (float), 0 (quantized)")
    ap.add_argument("--atol", type=float, default=0.0)
    ap.add_argument("--min-cosine", type=float, default=0.999)
    ap.add_argument("--batch", type=int, default=0)
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    a = ap.parse_args(argv)
    a.compile_args = extra
    # The quantization options (with their values, `--opt=V` or `--opt V`)
    # go to the CPU reference's compile too.
    quant: list[str] = []
    for i, x in enumerate(extra):
        if x.startswith(("--quantize", "--calib", "--per-channel", "--asymmetric")):
            quant.append(x)
            if ("=" not in x and i + 1 < len(extra) and not extra[i + 1].startswith("-")
                    and x not in ("--asymmetric",)):
                quant.append(extra[i + 1])
    if a.rtol is None:
        a.rtol = 0.0 if quant else 0.02
    tool = lambda n: os.path.join(a.bindir, n) if a.bindir else n
    model = load(a.model)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(model, a.seed, tmp, a.batch)
        batch = [f"--batch={a.batch}"] if a.batch else []
        cpu_tsl, npu_tsl = os.path.join(tmp, "cpu.tsl"), os.path.join(tmp, "npu.tsl")
        run([tool("tessel-compile"), a.model, "--target=cpu", "-o", cpu_tsl] + batch + quant)
        run([tool("tessel-compile"), a.model, "--target=npu", f"--chip={a.chip}",
             "-o", npu_tsl] + batch + a.compile_args)
        cpu_dir, npu_dir = os.path.join(tmp, "cpu"), os.path.join(tmp, "npu")
        os.makedirs(cpu_dir)
        os.makedirs(npu_dir)
        run([tool("tessel-run"), cpu_tsl, "--output-dir", cpu_dir] + inputs)
        sim = run([tool("tessel-run"), npu_tsl, "--output-dir", npu_dir] + inputs)
        ok = True
        for name in sorted(os.listdir(cpu_dir)):
            want = np.load(os.path.join(cpu_dir, name)).astype(np.float64).ravel()
            got = np.load(os.path.join(npu_dir, name)).astype(np.float64).ravel()
            if want.shape != got.shape:
                print(f"FAIL {name}: shape {got.shape} != {want.shape}")
                ok = False
                continue
            scale = float(np.abs(want).max()) if want.size else 0.0
            err = float(np.abs(got - want).max()) if want.size else 0.0
            denom = np.linalg.norm(want) * np.linalg.norm(got)
            cos = float(want @ got / denom) if denom > 0 else (1.0 if err == 0 else 0.0)
            good = err <= a.atol + a.rtol * scale and cos >= a.min_cosine
            ok &= good
            print(f"{'PASS' if good else 'FAIL'} {name[:-4]}: {want.size} elements, "
                  f"max abs err {err:.4g} (max |cpu| {scale:.4g}), cosine {cos:.6f}")
        for line in sim.splitlines():
            if line.startswith("batch ") or line.startswith("MACs "):
                print(line)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
