#!/usr/bin/env python3
"""Generate Tessel's benchmark and test models with seeded weights.

    generate.py --out DIR [--only NAME ...] [--external-data] [--opset N]

writes DIR/<name>.onnx (with --external-data, DIR/<name>.onnx plus the
weights in DIR/<name>.onnx.data) for each of

    resnet50     ResNet-50 v1, 1x3x224x224 -> 1x1000, 25.6 M parameters
    mobilenetv2  MobileNetV2 1.0 224, 1x3x224x224 -> 1x1000, 3.5 M parameters
    bert         BERT-style encoder (sizes: --bert-*), ids + mask -> hidden
    tiny_cnn     the demo CNN, 1x3x32x32 -> 1x10 (committed as
                 test/models/tiny_cnn.onnx)

Every model is checked with onnx.checker (full_check) and run once in
onnxruntime on seeded inputs; the script fails if an output is not finite or
its spread is outside [0.1, 100] (a sign of activations that blew up or
died). The bytes are the same on every run and every machine: fixed seeds,
numpy's platform-independent generators, and calibrated statistics rounded
far above the last-bit noise of floating point (see calibrate.py).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import os
import sys
import time

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert  # noqa: E402
import cnn  # noqa: E402
from builder import DEFAULT_OPSET, MIN_OPSET, GraphBuilder, max_opset  # noqa: E402
from calibrate import calibrate_batchnorm  # noqa: E402
from inputs import natural_images  # noqa: E402
from reference import make_inputs, run_reference, stats  # noqa: E402

MODELS = ("resnet50", "mobilenetv2", "bert", "tiny_cnn")

# Seeds of the calibration images (two per CNN) and of the check run inputs.
CALIBRATION_SEED = 2024
CHECK_SEED = 0


def build(name: str, opset: int, bert_cfg: bert.BertConfig) -> GraphBuilder:
    """Builds one model's graph; CNNs get their batch norms calibrated."""
    if name == "bert":
        return bert.bert(opset, cfg=bert_cfg)
    b = {"resnet50": cnn.resnet50, "mobilenetv2": cnn.mobilenetv2,
         "tiny_cnn": cnn.tiny_cnn}[name](opset)
    shape = [d.dim_value for d in b.inputs[0].type.tensor_type.shape.dim]
    images = natural_images(np.random.default_rng(CALIBRATION_SEED),
                            [2] + shape[1:])
    calibrate_batchnorm(b, images, seed=CALIBRATION_SEED)
    return b


def save(model: onnx.ModelProto, path: str, external: bool) -> None:
    data = os.path.basename(path) + ".data"
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")  # onnx appends to an existing data file
    if external:
        onnx.save_model(model, path, save_as_external_data=True,
                        all_tensors_to_one_file=True, location=data,
                        size_threshold=1024)
        # onnx creates the data file owner-only; give it the model's mode.
        os.chmod(path + ".data", os.stat(path).st_mode & 0o777)
    else:
        onnx.save_model(model, path)


def check(path: str) -> dict[str, np.ndarray]:
    """onnx.checker (full) and one onnxruntime run; raises on bad outputs."""
    onnx.checker.check_model(path, full_check=True)
    model = onnx.load(path, load_external_data=False)
    outputs = run_reference(path, make_inputs(model, CHECK_SEED))
    for name, y in outputs.items():
        s = stats(y)
        if not s["finite"]:
            raise RuntimeError(f"{path}: output {name} is not finite")
        if not 0.1 <= s["std"] <= 100:
            raise RuntimeError(f"{path}: output {name} has std {s['std']:.3g},"
                               " outside [0.1, 100]")
    return outputs


def describe(name: str, b: GraphBuilder, path: str, seconds: float,
             outputs: dict[str, np.ndarray]) -> None:
    weight_bytes = sum(w.nbytes for w in b.weights.values())
    files = [path] + ([path + ".data"] if os.path.exists(path + ".data") else [])
    digest = hashlib.sha256()
    for f in files:
        with open(f, "rb") as fh:
            digest.update(fh.read())
    ops = collections.Counter(n.op_type for n in b.nodes)
    print(f"== {name}: {path}"
          f"{' (+ .data)' if len(files) > 1 else ''}")
    print(f"   opset {b.opset}, {b.num_params():,} parameters, "
          f"{weight_bytes:,} weight bytes, {len(b.nodes)} nodes, "
          f"generated in {seconds:.2f} s")
    print(f"   sha256 {digest.hexdigest()}")
    print("   ops: " + ", ".join(f"{op} {n}" for op, n in ops.most_common()))
    for oname, y in outputs.items():
        s = stats(y)
        print(f"   onnxruntime {oname} {'x'.join(map(str, y.shape))}: "
              f"min {s['min']:.4g} max {s['max']:.4g} mean {s['mean']:.4g} "
              f"std {s['std']:.4g}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--only", nargs="+", choices=MODELS, metavar="NAME",
                    help=f"generate only these ({', '.join(MODELS)})")
    ap.add_argument("--external-data", action="store_true",
                    help="write weights to <name>.onnx.data (ONNX external data)")
    ap.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                    help=f"default-domain opset, {MIN_OPSET}..{max_opset()} "
                         f"(default {DEFAULT_OPSET})")
    d = bert.BertConfig()
    g = ap.add_argument_group("bert sizes")
    for field in ("layers", "hidden", "heads", "intermediate", "seq_len",
                  "vocab"):
        default = getattr(d, field)
        g.add_argument(f"--bert-{field.replace('_', '-')}", type=int,
                       default=default, metavar="N", help=f"default {default}")
    g.add_argument("--bert-mask-dtype", choices=("int64", "float32"),
                   default=d.mask_dtype, help=f"default {d.mask_dtype}")
    args = ap.parse_args(argv)
    if not MIN_OPSET <= args.opset <= max_opset():
        ap.error(f"--opset must be in {MIN_OPSET}..{max_opset()}")
    try:
        bert_cfg = bert.BertConfig(
            layers=args.bert_layers, hidden=args.bert_hidden,
            heads=args.bert_heads, intermediate=args.bert_intermediate,
            seq_len=args.bert_seq_len, vocab=args.bert_vocab,
            max_positions=max(512, args.bert_seq_len),
            mask_dtype=args.bert_mask_dtype)
    except ValueError as e:
        ap.error(f"bert: {e}")

    os.makedirs(args.out, exist_ok=True)
    for name in args.only or MODELS:
        t0 = time.perf_counter()
        b = build(name, args.opset, bert_cfg)
        path = os.path.join(args.out, f"{name}.onnx")
        save(b.to_model(doc=f"Tessel benchmark model {name}, seeded weights"),
             path, args.external_data)
        seconds = time.perf_counter() - t0
        describe(name, b, path, seconds, check(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
