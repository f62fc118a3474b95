#!/usr/bin/env python3
"""Check the test models: they parse, pass onnx.checker and run in onnxruntime.

    check_models.py [--libonnx] [FILE ...]

For every `*.onnxtxt` (ONNX's textual syntax) and `*.onnx` in this directory,
or the FILEs given:

* text models parse with `onnx.parser.parse_model`, and stay within what
  Debian's libonnx 1.12 C++ parser knows (opset <= 17, IR version <= 8);
* `onnx.checker.check_model(full_check=True)` passes (strict shape inference:
  the declared output shapes are the inferred ones);
* onnxruntime runs the model on seeded inputs, the outputs are finite and
  have the declared shapes;
* a model with a reference directory beside it (`tiny_cnn.onnx` and
  `tiny_cnn_ref/`, as written by bench/models/reference.py) reproduces its
  reference outputs.

With `--libonnx`, also builds check_libonnx_parser.cpp against the system
libonnx and checks that it parses every model to the same graph as
onnx.parser does. Ends with an 'N passed, N failed' line.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.parser
import onnxruntime as ort
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
LIBONNX_MAX_OPSET = 17
LIBONNX_MAX_IR = 8


class CheckError(Exception):
    pass


def load(path: str) -> onnx.ModelProto:
    if path.endswith(".onnxtxt"):
        with open(path) as f:
            return onnx.parser.parse_model(f.read())
    return onnx.load(path)


def declared_shape(vi: onnx.ValueInfoProto) -> list[int]:
    return [d.dim_value for d in vi.type.tensor_type.shape.dim]


def seeded_inputs(model: onnx.ModelProto, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        dtype = helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
        shape = declared_shape(vi)
        if np.dtype(dtype).kind == "f":
            feeds[vi.name] = rng.standard_normal(shape).astype(dtype)
        else:
            feeds[vi.name] = rng.integers(0, 4, shape).astype(dtype)
    return feeds


def run(model: onnx.ModelProto, feeds: dict) -> dict:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in model.graph.output]
    return dict(zip(names, sess.run(names, feeds)))


def check_reference(path: str, model: onnx.ModelProto) -> str:
    """Compares with `<stem>_ref/` if there is one; returns a note."""
    ref_dir = os.path.splitext(path)[0] + "_ref"
    manifest_path = os.path.join(ref_dir, "manifest.json")
    if not os.path.exists(manifest_path):
        return ""
    with open(manifest_path) as f:
        manifest = json.load(f)
    feeds = {t["name"]: np.load(os.path.join(ref_dir, t["file"]))
             for t in manifest["inputs"]}
    got = run(model, feeds)
    worst = 0.0
    for t in manifest["outputs"]:
        want = np.load(os.path.join(ref_dir, t["file"]))
        err = float(np.max(np.abs(got[t["name"]] - want)))
        if not np.allclose(got[t["name"]], want, rtol=1e-4, atol=1e-5):
            raise CheckError(f"output {t['name']} differs from {ref_dir}: "
                             f"max abs error {err:.3g}")
        worst = max(worst, err)
    return f", matches {os.path.basename(ref_dir)}/ (max abs error {worst:.2g})"


def check(path: str) -> str:
    """Checks one model; returns a one-line summary or raises CheckError."""
    try:
        model = load(path)
    except Exception as e:  # onnx.parser raises a bare Exception
        raise CheckError(f"does not parse: {e}") from None
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if path.endswith(".onnxtxt"):
        if opset > LIBONNX_MAX_OPSET or model.ir_version > LIBONNX_MAX_IR:
            raise CheckError(f"opset {opset} / IR {model.ir_version}: newer "
                             "than libonnx 1.12 knows (17 / 8)")
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:
        raise CheckError(f"onnx.checker: {e}") from None
    outputs = run(model, seeded_inputs(model))
    for vi in model.graph.output:
        y = outputs[vi.name]
        if list(y.shape) != declared_shape(vi):
            raise CheckError(f"output {vi.name} has shape {list(y.shape)}, "
                             f"declared {declared_shape(vi)}")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise CheckError(f"output {vi.name} is not finite")
    note = check_reference(path, model)
    ops = len({n.op_type for n in model.graph.node})
    return (f"opset {opset}, {len(model.graph.node)} nodes of {ops} op types"
            f"{note}")


def check_libonnx(paths: list[str]) -> list[tuple[str, str | None]]:
    """Builds the C++ probe and compares its parse with onnx.parser's."""
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None or not os.path.exists("/usr/include/onnx/defs/parser.h"):
        print("libonnx: skipped (no C++ compiler or no libonnx-dev headers)")
        return []
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "check_libonnx_parser")
        subprocess.run([cxx, "-std=c++17", "-DONNX_NAMESPACE=onnx", "-DONNX_ML=1",
                        os.path.join(HERE, "check_libonnx_parser.cpp"), "-o", exe,
                        "-lonnx", "-lonnx_proto", "-lprotobuf"], check=True)
        proc = subprocess.run([exe, "--emit", tmp] + paths, capture_output=True,
                              text=True)
        failed = {line.split()[1].rstrip(":"): line
                  for line in proc.stdout.splitlines() if line.startswith("FAIL")}
        for path in paths:
            label = f"libonnx 1.12 {os.path.basename(path)}"
            if path in failed:
                results.append((label, failed[path]))
                continue
            if not path.endswith(".onnxtxt"):
                results.append((label, None))
                continue
            stem = os.path.splitext(os.path.basename(path))[0]
            theirs = onnx.load(os.path.join(tmp, stem + ".onnx"))
            ours = load(path)
            same = all(getattr(ours.graph, f) == getattr(theirs.graph, f)
                       for f in ("node", "initializer", "input", "output"))
            same = same and ours.opset_import == theirs.opset_import
            results.append((label, None if same else
                            "parses to a different graph than onnx.parser"))
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="models (default: this directory)")
    ap.add_argument("--libonnx", action="store_true",
                    help="also check with libonnx 1.12's C++ parser")
    args = ap.parse_args(argv)
    paths = args.files or sorted(glob.glob(os.path.join(HERE, "*.onnxtxt"))
                                 + glob.glob(os.path.join(HERE, "*.onnx")))
    passed = failed = 0
    for path in paths:
        try:
            summary = check(path)
            print(f"PASS {os.path.basename(path)}: {summary}")
            passed += 1
        except CheckError as e:
            print(f"FAIL {os.path.basename(path)}: {e}")
            failed += 1
    if args.libonnx:
        for label, error in check_libonnx(paths):
            print(f"PASS {label}" if error is None else f"FAIL {label}: {error}")
            passed += error is None
            failed += error is not None
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
