#!/usr/bin/env python3
"""Tessel's NPU back end on the bench models, per chip, on the simulator.

For each model and chip: compile with `tessel-compile --target=npu` (timed,
with --stats), run once on the cycle-approximate simulator, and report the
simulated latency, inferences/s, MAC utilization (of the chip's int8 peak and
of its peak for the model's compute type), DDR bytes per inference against
the lower bound (the weights once + the inputs + the outputs), peak VTCM, the
ops that ran on the CPU, and the compile time. Correctness of the same
binaries against the CPU path is checked by test/lit/NPU/Models (make check);
--check repeats it here.

    .venv/bin/python bench/npu_bench.py [--build build] [--models resnet50 mobilenetv2 bert]
                                        [--chips edge-s mobile-m cloud-l]
                                        [--options '--cores=4 --mos=2'] [--check]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

def run(cmd: list[str]) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + "\n" + p.stdout + p.stderr)
    return p.stdout


def bench(build: str, model: str, chip: str, options: list[str], check: bool) -> dict:
    bindir = os.path.join(build, "bin")
    path = os.path.join(build, "bench-models", model + ".onnx")
    with tempfile.TemporaryDirectory() as tmp:
        tsl = os.path.join(tmp, "m.tsl")
        t0 = time.perf_counter()
        stats = run([os.path.join(bindir, "tessel-compile"), path, "--target=npu",
                     f"--chip={chip}", "--stats", "-o", tsl] + options)
        compile_s = time.perf_counter() - t0
        r = {"model": model, "chip": chip, "compile_s": compile_s}
        m = re.search(r"NPU compilation: (\d+) ops on the NPU, (\d+) on the CPU, (\d+) segments; "
                      r"arena (\d+) bytes \(weights (\d+)\)", stats)
        r["npu_ops"], r["cpu_ops"] = int(m.group(1)), int(m.group(2))
        # The bound counts the weights the NPU segments read (a CPU
        # fallback's weights are not the NPU's DDR traffic).
        r["weights"] = sum(int(x) for x in re.findall(
            r"^\s+npu_\d+\s+npu\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)", stats, re.M)) \
            or int(m.group(5))
        r["vtcm_peak"] = max([int(x) for x in re.findall(
            r"^\s+npu_\d+\s+npu\s+\d+\s+\d+\s+\d+\s+(\d+)", stats, re.M)] or [0])
        # Seeded inputs of the right shapes (values do not change timing).
        sys.path.insert(0, os.path.join(ROOT, "test", "npu"))
        from check_npu_model import load, make_inputs  # noqa: E402
        onnx_model = load(path)
        in_args = make_inputs(onnx_model, 0, tmp, 0)
        io_bytes = 0
        for a in in_args:
            if a != "--input":
                io_bytes += os.path.getsize(a.split("=", 1)[1]) - 128  # .npy header
        outdir = os.path.join(tmp, "out")
        os.makedirs(outdir)
        sim = run([os.path.join(bindir, "tessel-run"), tsl, "--output-dir", outdir] + in_args)
        for f in os.listdir(outdir):
            io_bytes += os.path.getsize(os.path.join(outdir, f)) - 128
        if not re.search(r"cycles (\d+)", sim):
            return r  # Nothing ran on the NPU.
        r["cycles"] = int(re.search(r"cycles (\d+)", sim).group(1))
        r["latency_us"] = float(re.search(r"cycles \d+ \(([0-9.]+) us\)", sim).group(1))
        r["util"] = float(re.search(r"utilization ([0-9.]+)%", sim).group(1))
        r["ips"] = float(re.search(r"([0-9.]+) inferences/s", sim).group(1))
        ddr = re.search(r"([0-9.]+) (B|KiB|MiB|GiB) DDR/inference", sim)
        scale = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[ddr.group(2)]
        r["ddr_bytes"] = float(ddr.group(1)) * scale
        r["ddr_lower_bound"] = r["weights"] + io_bytes
        r["ipj"] = float(re.search(r"([0-9.]+) inferences/J", sim).group(1))
        if check:
            c = subprocess.run([sys.executable, os.path.join(ROOT, "test", "npu",
                                                             "check_npu_model.py"),
                                "--bindir", bindir, "--chip", chip, path, "--"] + options,
                               capture_output=True, text=True)
            r["check"] = "PASS" if c.returncode == 0 else "FAIL"
        return r


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", nargs="+", default=["resnet50", "mobilenetv2", "bert"])
    ap.add_argument("--chips", nargs="+", default=["edge-s", "mobile-m", "cloud-l"])
    ap.add_argument("--options", default="", help="more tessel-compile options")
    ap.add_argument("--check", action="store_true", help="also compare with the CPU path")
    a = ap.parse_args()
    rows = []
    for chip in a.chips:
        for model in a.models:
            try:
                rows.append(bench(a.build, model, chip, a.options.split(), a.check))
            except RuntimeError as e:
                print(f"{model} on {chip}: failed: {e}", file=sys.stderr)
                return 1
    quantized = "--quantize" in a.options
    print(f"Tessel NPU back end, simulated (options: {a.options or 'defaults'}); "
          + ("quantized as given" if quantized else "float models compute in fp16"))
    hdr = (f"{'model':<12} {'chip':<9} {'npu/cpu ops':>11} {'latency us':>11} {'infer/s':>9} "
           f"{'MAC util':>8} {'DDR MiB':>8} {'x lower':>8} {'VTCM KiB':>9} {'infer/J':>8} "
           f"{'compile s':>9}" + ("  check" if a.check else ""))
    print(hdr)
    for r in rows:
        if "cycles" not in r:
            print(f"{r['model']:<12} {r['chip']:<9} {r['npu_ops']:>5}/{r['cpu_ops']:<5} "
                  f"(nothing on the NPU: the chip has no fp16; quantize the model)")
            continue
        line = (f"{r['model']:<12} {r['chip']:<9} {r['npu_ops']:>5}/{r['cpu_ops']:<5} "
                f"{r['latency_us']:>11.1f} {r['ips']:>9.1f} {r['util']:>7.1f}% "
                f"{r['ddr_bytes'] / 2**20:>8.2f} {r['ddr_bytes'] / r['ddr_lower_bound']:>8.2f} "
                f"{r['vtcm_peak'] / 1024:>9.0f} {r['ipj']:>8.0f} {r['compile_s']:>9.2f}")
        if a.check:
            line += "  " + r["check"]
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
