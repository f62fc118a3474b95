"""Batch-norm calibration: running statistics a trained CNN would have.

Random conv weights with placeholder running statistics (mean 0, variance 1)
let activations drift by orders of magnitude over 50 layers. A trained
network's running statistics match what each layer sees. We reproduce that by
running the graph once, in float64 numpy, on natural-image-like inputs, and
setting each BatchNormalization's running mean and variance to the per-channel
statistics of its input (with a small jitter, as a finite training run leaves),
before the layer is applied: every later layer sees calibrated activations.

Why float64 numpy rather than onnxruntime: the result must be the same bytes
on every machine. The statistics are rounded to 11 significant bits, far
coarser than the last-bit differences of float64 BLAS kernels across CPUs, so
the generated weights do not depend on the machine that generated them.

The interpreter knows the ops of the generated CNNs only.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from builder import GraphBuilder

KEEP_BITS = 11


def round_bits(x: np.ndarray, bits: int = KEEP_BITS) -> np.ndarray:
    """Rounds to `bits` significant bits (deterministic, machine-independent)."""
    m, e = np.frexp(x)
    return np.ldexp(np.round(m * (1 << bits)) / (1 << bits), e)


def _conv(x, w, b, strides, pads, group):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    sh, sw = strides
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    ho = (xp.shape[2] - kh) // sh + 1
    wo = (xp.shape[3] - kw) // sw + 1
    if group == c and cg == 1 and o == c:  # depthwise
        out = np.zeros((n, c, ho, wo))
        for i in range(kh):
            for j in range(kw):
                tap = xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
                out += tap * w[None, :, 0, i, j, None, None]
    else:
        win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
        og = o // group
        parts = []
        for g in range(group):
            wg = w[g * og:(g + 1) * og]
            xg = win[:, g * cg:(g + 1) * cg]
            # (n, cg, ho, wo, kh, kw) x (og, cg, kh, kw) -> (n, ho, wo, og)
            parts.append(np.tensordot(xg, wg, axes=([1, 4, 5], [1, 2, 3])))
        out = np.concatenate(parts, axis=3).transpose(0, 3, 1, 2)
    if b is not None:
        out = out + b[None, :, None, None]
    return out


def _maxpool(x, kernel, strides, pads):
    kh, kw = kernel
    sh, sw = strides
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
                constant_values=-np.inf)
    ho = (xp.shape[2] - kh) // sh + 1
    wo = (xp.shape[3] - kw) // sw + 1
    out = np.full(x.shape[:2] + (ho, wo), -np.inf)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, xp[:, :, i:i + sh * (ho - 1) + 1:sh,
                                     j:j + sw * (wo - 1) + 1:sw])
    return out


def _attrs(node) -> dict:
    out = {}
    for a in node.attribute:
        if a.ints:
            out[a.name] = list(a.ints)
        elif a.type == a.INT:
            out[a.name] = a.i
        elif a.type == a.FLOAT:
            out[a.name] = a.f
    return out


def calibrate_batchnorm(b: GraphBuilder, images: np.ndarray, seed: int,
                        jitter: float = 0.05) -> dict[str, np.ndarray]:
    """Sets every BatchNormalization's running statistics in `b.weights`.

    Returns the float64 values of the graph outputs (for a sanity check).
    """
    rng = np.random.default_rng(seed)
    env = {k: v.astype(np.float64) for k, v in b.weights.items()}
    env[b.inputs[0].name] = images.astype(np.float64)
    for node in b.nodes:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            y = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                      a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]),
                      a.get("group", 1))
        elif op == "BatchNormalization":
            x, gamma, beta = ins[0], ins[1], ins[2]
            mean = x.mean(axis=(0, 2, 3))
            var = x.var(axis=(0, 2, 3))
            var = np.maximum(var, 1e-3 * max(np.median(var), 1e-6))
            c = mean.shape[0]
            mean = mean + jitter * np.sqrt(var) * rng.standard_normal(c)
            var = var * np.exp(jitter * rng.standard_normal(c))
            mean, var = round_bits(mean), round_bits(var)
            b.weights[node.input[3]] = mean.astype(np.float32)
            b.weights[node.input[4]] = var.astype(np.float32)
            mean = mean.astype(np.float32).astype(np.float64)
            var = var.astype(np.float32).astype(np.float64)
            scale = gamma / np.sqrt(var + a.get("epsilon", 1e-5))
            y = (x - mean[None, :, None, None]) * scale[None, :, None, None] \
                + beta[None, :, None, None]
        elif op == "Relu":
            y = np.maximum(ins[0], 0.0)
        elif op == "Clip":
            y = np.clip(ins[0], ins[1], ins[2])
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "MaxPool":
            y = _maxpool(ins[0], a["kernel_shape"], a.get("strides", [1, 1]),
                         a.get("pads", [0, 0, 0, 0]))
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif op == "Gemm":
            w = ins[1].T if a.get("transB", 0) else ins[1]
            y = ins[0] @ w + ins[2]
        else:
            raise NotImplementedError(f"calibrate: no {op} ({node.name})")
        env[node.output[0]] = y
    return {o.name: env[o.name] for o in b.outputs}
