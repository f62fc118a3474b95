#!/usr/bin/env python3
"""Seeded inputs and onnxruntime reference outputs for a model: the oracle.

    reference.py --model M.onnx --out DIR [--seed S] [--threads N]

writes

    DIR/inputs/<name>.npy     one file per graph input
    DIR/outputs/<name>.npy    onnxruntime's outputs for those inputs
    DIR/test_data_set_0/{input,output}_<i>.pb
                              the same tensors as TensorProto files, in the
                              layout of ONNX's backend node tests
    DIR/manifest.json         names, files, shapes, dtypes, output statistics,
                              the seed and the onnxruntime version

Inputs are chosen by what the model expects: NCHW float images get
natural-image-like, ImageNet-normalized pictures; `input_ids` gets valid
token ids of the model's vocabulary (read from the Gather that consumes it)
and `attention_mask` the matching 1/0 mask with real padding; anything else
gets standard-normal floats or small integers.

onnxruntime runs with graph optimizations disabled and one thread, so the
outputs are those of the graph as written, reproducible run to run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inputs import natural_images, token_batch  # noqa: E402


def _shape(vi: onnx.ValueInfoProto) -> list[int]:
    dims = vi.type.tensor_type.shape.dim
    return [d.dim_value if d.dim_value > 0 else 1 for d in dims]


def _dtype(vi: onnx.ValueInfoProto) -> np.dtype:
    return np.dtype(helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type))


def _vocab_size(model: onnx.ModelProto, ids_name: str) -> int:
    """Rows of the embedding table that a Gather indexes with `ids_name`."""
    shapes = {t.name: list(t.dims) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Gather" and node.input[1] == ids_name:
            if node.input[0] in shapes:
                return shapes[node.input[0]][0]
    return 1000


def make_inputs(model: onnx.ModelProto, seed: int) -> dict[str, np.ndarray]:
    """Seeded inputs for every graph input that is not an initializer."""
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    graph_inputs = [vi for vi in model.graph.input if vi.name not in inits]
    by_name = {vi.name: vi for vi in graph_inputs}
    feeds: dict[str, np.ndarray] = {}
    if "input_ids" in by_name:
        vi = by_name["input_ids"]
        batch, seq = _shape(vi)
        mask_vi = by_name.get("attention_mask")
        mask_dtype = _dtype(mask_vi) if mask_vi is not None else np.int64
        ids, mask = token_batch(rng, batch, seq,
                                _vocab_size(model, "input_ids"), mask_dtype)
        feeds["input_ids"] = ids.astype(_dtype(vi))
        if mask_vi is not None:
            feeds["attention_mask"] = mask
    for vi in graph_inputs:
        if vi.name in feeds:
            continue
        shape, dtype = _shape(vi), _dtype(vi)
        if dtype.kind == "f" and len(shape) == 4 and shape[1] == 3:
            feeds[vi.name] = natural_images(rng, shape).astype(dtype)
        elif dtype.kind == "f":
            feeds[vi.name] = rng.standard_normal(shape).astype(dtype)
        elif dtype == np.bool_:
            feeds[vi.name] = rng.random(shape) < 0.5
        else:
            feeds[vi.name] = rng.integers(0, 4, shape).astype(dtype)
    return feeds


def session(model, threads: int = 1, optimize: bool = False
            ) -> ort.InferenceSession:
    """An onnxruntime CPU session on a path or serialized model bytes.

    The default is the oracle's: the graph as written, deterministic kernels.
    `optimize` is the benchmark baseline's: every graph optimization on.
    """
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    so.use_deterministic_compute = not optimize
    so.log_severity_level = 3
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def run_reference(model, feeds: dict[str, np.ndarray],
                  threads: int = 1) -> dict[str, np.ndarray]:
    sess = session(model, threads)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def stats(x: np.ndarray) -> dict:
    x = np.asarray(x)
    if x.dtype.kind not in "fiu" or x.size == 0:
        return {}
    xf = x.astype(np.float64)
    return {"min": float(xf.min()), "max": float(xf.max()),
            "mean": float(xf.mean()), "std": float(xf.std()),
            "finite": bool(np.isfinite(xf).all())}


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".npy"


def write_reference(model_path: str, out_dir: str, seed: int,
                    threads: int = 1) -> dict:
    """Writes inputs, reference outputs and the manifest; returns the manifest."""
    model = onnx.load(model_path, load_external_data=False)
    feeds = make_inputs(model, seed)
    outputs = run_reference(model_path, feeds, threads)
    for sub in ("inputs", "outputs", "test_data_set_0"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)

    def save(kind: str, i: int, name: str, value: np.ndarray) -> dict:
        rel = os.path.join(kind + "s", _file_name(name))
        np.save(os.path.join(out_dir, rel), value)
        tp = numpy_helper.from_array(value, name)
        with open(os.path.join(out_dir, "test_data_set_0",
                               f"{kind}_{i}.pb"), "wb") as f:
            f.write(tp.SerializeToString())
        return {"name": name, "file": rel, "shape": list(value.shape),
                "dtype": str(value.dtype), **stats(value)}

    with open(model_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    manifest = {
        "model": os.path.basename(model_path),
        "model_sha256": digest,
        "seed": seed,
        "onnxruntime": ort.__version__,
        "onnxruntime_settings": {"graph_optimization": "disabled",
                                 "intra_op_threads": threads},
        "inputs": [save("input", i, n, v) for i, (n, v) in enumerate(feeds.items())],
        "outputs": [save("output", i, n, v)
                    for i, (n, v) in enumerate(outputs.items())],
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="an .onnx file")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="onnxruntime intra-op threads (default 1)")
    args = ap.parse_args(argv)
    m = write_reference(args.model, args.out, args.seed, args.threads)
    for kind in ("inputs", "outputs"):
        for t in m[kind]:
            s = (f" min {t['min']:.4g} max {t['max']:.4g} mean {t['mean']:.4g}"
                 f" std {t['std']:.4g}") if "std" in t else ""
            print(f"{kind[:-1]:6} {t['name']:20} {t['dtype']:7} "
                  f"{'x'.join(map(str, t['shape'])):14}{s}")
    print(f"reference: wrote {args.out}/manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
