#!/usr/bin/env python3
"""ONNX node tests on the NPU simulator, per chip.

    npu_node_tests.py --bindir DIR --suite NAME=DIR [--suite ...]
                      --expected-cpu FILE --chip C [-j N] [--expected FILE]
                      [--write-expected FILE]

Runs every node test that passes on the CPU back end (the --expected-cpu
list of tessel-conformance) through `tessel-compile --target=npu --chip=C`.
A test whose ops all fall back to the CPU on this chip is "not on the NPU"
and is not counted; the others run on the cycle-approximate simulator and
are compared with ONNX's expected outputs. The NPU computes floats in fp16,
so the tolerance is |got - want| <= 1e-2 + 1e-2 |want| (ONNX's own backend
tests use 1e-3 for fp32).

With --expected, the tests listed there must pass (a regression fails the
run) and a test that newly passes is reported so the list can be updated
with --write-expected. Prints counts: passed / failed / not on the NPU.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

RTOL, ATOL = "1e-2", "1e-2"

# ONNX ops with an NPU lowering (after tessel-graph-optimize): a test with
# none of them cannot put anything on the NPU and is skipped unread.
NPU_OPS = {
    "Conv", "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum",
    "Relu", "Clip", "Sigmoid", "Tanh", "Exp", "MaxPool", "AveragePool",
    "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum",
    "ReduceMax", "ReduceMin", "Reshape", "Flatten", "Transpose", "Concat",
    "Slice", "Pad", "Squeeze", "Unsqueeze", "BatchNormalization",
    "LeakyRelu", "HardSigmoid", "HardSwish", "Gelu", "Cast", "Split",
    "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul",
    "ConvInteger", "MatMulInteger",
}


def may_use_npu(path: str) -> bool:
    import onnx
    try:
        m = onnx.load(os.path.join(path, "model.onnx"), load_external_data=False)
    except Exception:
        return True
    return any(n.op_type in NPU_OPS for n in m.graph.node)


def input_names(path: str) -> list[str]:
    import onnx
    m = onnx.load(os.path.join(path, "model.onnx"), load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits]


def run_test(bindir: str, chip: str, name: str, path: str) -> tuple[str, str, str]:
    ds = os.path.join(path, "test_data_set_0")
    with tempfile.TemporaryDirectory() as tmp:
        tsl = os.path.join(tmp, "m.tsl")
        cmd = [os.path.join(bindir, "tessel-compile"), os.path.join(path, "model.onnx"),
               "--target=npu", f"--chip={chip}", "--stats", "-o", tsl]
        c = subprocess.run(cmd, capture_output=True, text=True)
        frozen: set[int] = set()
        if c.returncode != 0 and "must be a compile-time constant" in c.stderr:
            # As tessel-conformance does: small inputs (axes, pads, sizes)
            # frozen to their test values, as a deployment engineer would.
            import onnx
            from onnx import numpy_helper
            for i, n in enumerate(input_names(path)):
                f = os.path.join(ds, f"input_{i}.pb")
                if not os.path.exists(f):
                    continue
                t = onnx.TensorProto()
                with open(f, "rb") as fh:
                    t.ParseFromString(fh.read())
                if numpy_helper.to_array(t).size <= 64:
                    cmd += ["--freeze-input", f"{n}={f}"]
                    frozen.add(i)
            c = subprocess.run(cmd, capture_output=True, text=True)
        if c.returncode != 0:
            return name, "fail", "compile: " + (c.stderr.strip().splitlines() or ["?"])[-1]
        m = re.search(r"NPU compilation: (\d+) ops on the NPU", c.stdout)
        if not m or int(m.group(1)) == 0:
            return name, "cpu", ""
        # Only conversions on the NPU (e.g. a float op the chip lacks
        # between converts) do not count either.
        layers = re.findall(r"^\s+npu_\d+\s+\S+\s+(\w+)\s", c.stdout, re.M)
        if layers and all(k == "convert" for k in layers):
            return name, "cpu", ""
        if not os.path.isdir(ds):
            return name, "cpu", ""
        args = [os.path.join(bindir, "tessel-run"), tsl]
        for f in sorted(os.listdir(ds), key=lambda s: (len(s), s)):
            if f.startswith("input_") and int(f[6:-3]) not in frozen:
                args += ["--input", os.path.join(ds, f)]
        for f in sorted(os.listdir(ds), key=lambda s: (len(s), s)):
            if f.startswith("output_"):
                args += ["--expect", os.path.join(ds, f)]
        args += ["--rtol", RTOL, "--atol", ATOL]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode == 0 and "FAIL" not in r.stdout:
            return name, "pass", ""
        lines = [l for l in (r.stdout + r.stderr).splitlines()
                 if "FAIL" in l or "error" in l]
        return name, "fail", (lines or ["?"])[0]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--suite", action="append", default=[])
    ap.add_argument("--expected-cpu", required=True)
    ap.add_argument("--chip", default="mobile-m")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--expected")
    ap.add_argument("--write-expected")
    ap.add_argument("--filter", default="")
    a = ap.parse_args()
    suites = dict(s.split("=", 1) for s in a.suite)
    tests = []
    with open(a.expected_cpu) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "/" not in line:
                continue
            suite, name = line.split("/", 1)
            if suite in suites and a.filter in name:
                path = os.path.join(suites[suite], name)
                if os.path.isdir(path) and may_use_npu(path):
                    tests.append((f"{suite}/{name}", path))
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.j) as ex:
        futs = [ex.submit(run_test, a.bindir, a.chip, n, p) for n, p in tests]
        for fu in concurrent.futures.as_completed(futs):
            name, status, why = fu.result()
            results[name] = (status, why)
    passed = sorted(n for n, (s, _) in results.items() if s == "pass")
    failed = sorted(n for n, (s, _) in results.items() if s == "fail")
    cpu = [n for n, (s, _) in results.items() if s == "cpu"]
    rc = 0
    if a.expected:
        with open(a.expected) as f:
            expected = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        regressions = sorted(expected - set(passed))
        for n in regressions:
            print(f"REGRESSION {n}: {results.get(n, ('missing', ''))[1]}")
        rc = 1 if regressions else 0
        new = sorted(set(passed) - expected)
        if new:
            print(f"{len(new)} tests pass that are not in {a.expected} "
                  f"(update it with --write-expected)")
    else:
        for n in failed:
            print(f"FAIL {n}: {results[n][1]}")
    if a.write_expected:
        with open(a.write_expected, "w") as f:
            f.write(f"# ONNX node tests that pass on the NPU simulator (chip {a.chip}).\n")
            f.write("# Regenerate with test/npu/npu_node_tests.py --write-expected.\n")
            for n in passed:
                f.write(n + "\n")
    print(f"chip {a.chip}: {len(passed)} passed, {len(failed)} failed, "
          f"{len(cpu)} not on the NPU (of {len(tests)} node tests that pass on the CPU)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
