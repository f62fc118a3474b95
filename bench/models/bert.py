"""A BERT-style encoder written the way PyTorch exports HuggingFace's BertModel.

What an exporter writes, and so what this graph holds:

* embeddings: three Gathers (word, position, token type) whose position and
  token-type ids are constant initializers, two Adds, then LayerNorm;
* LayerNorm written out (opset < 17 exporters, and many newer ones):
  ReduceMean -> Sub -> Pow(2) -> ReduceMean -> Add(eps) -> Sqrt -> Div ->
  Mul(gamma) -> Add(beta), with ReduceMean's `axes` an attribute before
  opset 18 and an input from opset 18;
* Linear layers as MatMul with a [in, out] weight followed by Add(bias,
  matmul) (the bias first, as torch writes it);
* heads split and merged with Reshape whose target shape is computed from the
  tensor's own Shape (Shape -> Gather -> Unsqueeze -> Concat), as dynamic-axis
  exports do, and Transposes; K^T is a second Transpose after the head split;
* scores Div by sqrt(head_dim), Add of the additive mask, Softmax(axis=-1);
* the mask turned into a bias inside the graph: Unsqueeze -> Unsqueeze ->
  Cast(float) -> Sub(1, mask) -> Mul(-10000);
* GELU in the erf form: Div(sqrt 2) -> Erf -> Add(1) -> Mul(x) -> Mul(0.5).

Unsqueeze takes `axes` as an input from opset 13, which the generators
require.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from onnx import TensorProto

from builder import GraphBuilder, WeightInit

MASK_BIAS = -10000.0
QK_GAIN = 1.6


@dataclasses.dataclass(frozen=True)
class BertConfig:
    layers: int = 4
    hidden: int = 256
    heads: int = 4
    intermediate: int = 1024
    seq_len: int = 128
    vocab: int = 8192
    max_positions: int = 512
    type_vocab: int = 2
    eps: float = 1e-12
    mask_dtype: str = "int64"  # or "float32"

    def __post_init__(self):
        if self.layers < 1:
            raise ValueError("layers must be at least 1")
        if self.hidden % self.heads:
            raise ValueError("hidden must be a multiple of heads")
        if self.seq_len > self.max_positions:
            raise ValueError("seq_len must not exceed max_positions")
        if self.mask_dtype not in ("int64", "float32"):
            raise ValueError("mask_dtype is int64 or float32")

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


def layer_norm(b: GraphBuilder, init: WeightInit, x: str, prefix: str,
               hidden: int, eps: float, out: str | None = None) -> str:
    """LayerNorm over the last axis, written out as exporters do."""
    gamma = b.weight(f"{prefix}.weight", init.normal((hidden,), 0.1, 1.0))
    beta = b.weight(f"{prefix}.bias", init.normal((hidden,), 0.05))
    mean = b.reduce_mean(x, [-1], f"{prefix}/ReduceMean")
    d = b.node("Sub", [x, mean], f"{prefix}/Sub")
    sq = b.node("Pow", [d, b.const(2.0, np.float32)], f"{prefix}/Pow")
    var = b.reduce_mean(sq, [-1], f"{prefix}/ReduceMean")
    var = b.node("Add", [var, b.const(eps, np.float32)], f"{prefix}/Add")
    std = b.node("Sqrt", [var], f"{prefix}/Sqrt")
    y = b.node("Div", [d, std], f"{prefix}/Div")
    y = b.node("Mul", [y, gamma], f"{prefix}/Mul")
    return b.node("Add", [y, beta], f"{prefix}/Add", out=out)


def linear(b: GraphBuilder, init: WeightInit, x: str, prefix: str, in_f: int,
           out_f: int, gain: float = 1.0) -> str:
    """MatMul by a [in, out] weight, then Add(bias, y) as torch writes it."""
    w = b.weight(f"{prefix}.weight",
                 init.normal((in_f, out_f), gain * in_f ** -0.5))
    bias = b.weight(f"{prefix}.bias", init.normal((out_f,), 0.02))
    y = b.node("MatMul", [x, w], f"{prefix}/MatMul")
    return b.node("Add", [bias, y], f"{prefix}/Add")


def gelu_erf(b: GraphBuilder, x: str, prefix: str) -> str:
    """0.5 * x * (1 + erf(x / sqrt(2))), in PyTorch's node order."""
    y = b.node("Div", [x, b.const(math.sqrt(2.0), np.float32)], f"{prefix}/Div")
    y = b.node("Erf", [y], f"{prefix}/Erf")
    y = b.node("Add", [y, b.const(1.0, np.float32)], f"{prefix}/Add")
    y = b.node("Mul", [x, y], f"{prefix}/Mul")
    return b.node("Mul", [y, b.const(0.5, np.float32)], f"{prefix}/Mul")


def dims_of(b: GraphBuilder, x: str, dims: list[int], prefix: str) -> list[str]:
    """`x.size(d)` for each d, as 1-element tensors ready to Concat."""
    shape = b.node("Shape", [x], f"{prefix}/Shape")
    out = []
    for d in dims:
        v = b.node("Gather", [shape, b.const(d)], f"{prefix}/Gather", axis=0)
        out.append(b.unsqueeze(v, [0], f"{prefix}/Unsqueeze"))
    return out


def split_heads(b: GraphBuilder, x: str, prefix: str, cfg: BertConfig) -> str:
    """[B, S, H] -> [B, heads, S, head_dim] via x.size()[:-1] + (heads, d)."""
    dims = dims_of(b, x, [0, 1], prefix)
    tail = [b.const([cfg.heads]), b.const([cfg.head_dim])]
    shape = b.node("Concat", dims + tail, f"{prefix}/Concat", axis=0)
    y = b.node("Reshape", [x, shape], f"{prefix}/Reshape")
    return b.node("Transpose", [y], f"{prefix}/Transpose", perm=[0, 2, 1, 3])


def merge_heads(b: GraphBuilder, x: str, prefix: str, cfg: BertConfig) -> str:
    """[B, heads, S, d] -> [B, S, H] via context.size()[:-2] + (H,)."""
    y = b.node("Transpose", [x], f"{prefix}/Transpose", perm=[0, 2, 1, 3])
    dims = dims_of(b, y, [0, 1], prefix)
    shape = b.node("Concat", dims + [b.const([cfg.hidden])], f"{prefix}/Concat",
                   axis=0)
    return b.node("Reshape", [y, shape], f"{prefix}/Reshape")


def self_attention(b: GraphBuilder, init: WeightInit, x: str, mask_bias: str,
                   prefix: str, cfg: BertConfig) -> str:
    h = cfg.hidden
    # Larger query/key weights give scores of std ~2.5: attention as peaked
    # as a trained model's rather than nearly uniform.
    q = split_heads(b, linear(b, init, x, f"{prefix}.query", h, h, QK_GAIN),
                    f"{prefix}/query", cfg)
    k = split_heads(b, linear(b, init, x, f"{prefix}.key", h, h, QK_GAIN),
                    f"{prefix}/key", cfg)
    v = split_heads(b, linear(b, init, x, f"{prefix}.value", h, h),
                    f"{prefix}/value", cfg)
    kt = b.node("Transpose", [k], f"{prefix}/Transpose", perm=[0, 1, 3, 2])
    s = b.node("MatMul", [q, kt], f"{prefix}/MatMul")
    s = b.node("Div", [s, b.const(math.sqrt(cfg.head_dim), np.float32)],
               f"{prefix}/Div")
    s = b.node("Add", [s, mask_bias], f"{prefix}/Add")
    p = b.node("Softmax", [s], f"{prefix}/Softmax", axis=-1)
    ctx = b.node("MatMul", [p, v], f"{prefix}/MatMul")
    return merge_heads(b, ctx, f"{prefix}/context", cfg)


def encoder_layer(b: GraphBuilder, init: WeightInit, x: str, mask_bias: str,
                  prefix: str, cfg: BertConfig, out: str | None = None) -> str:
    """Post-LN transformer layer: attention, residual, LN, FFN, residual, LN."""
    h = cfg.hidden
    a = self_attention(b, init, x, mask_bias, f"{prefix}.attention.self", cfg)
    a = linear(b, init, a, f"{prefix}.attention.output.dense", h, h)
    a = b.node("Add", [a, x], f"{prefix}.attention.output/Add")
    a = layer_norm(b, init, a, f"{prefix}.attention.output.LayerNorm", h,
                   cfg.eps)
    f = linear(b, init, a, f"{prefix}.intermediate.dense", h, cfg.intermediate)
    f = gelu_erf(b, f, f"{prefix}.intermediate.intermediate_act_fn")
    f = linear(b, init, f, f"{prefix}.output.dense", cfg.intermediate, h)
    f = b.node("Add", [f, a], f"{prefix}.output/Add")
    return layer_norm(b, init, f, f"{prefix}.output.LayerNorm", h, cfg.eps,
                      out)


def embeddings(b: GraphBuilder, init: WeightInit, ids: str,
               cfg: BertConfig) -> str:
    s, h = cfg.seq_len, cfg.hidden
    word = b.weight("embeddings.word_embeddings.weight",
                    init.normal((cfg.vocab, h), 0.05))
    pos = b.weight("embeddings.position_embeddings.weight",
                   init.normal((cfg.max_positions, h), 0.05))
    typ = b.weight("embeddings.token_type_embeddings.weight",
                   init.normal((cfg.type_vocab, h), 0.05))
    pos_ids = b.weight("embeddings.position_ids",
                       np.arange(s, dtype=np.int64)[None, :])
    type_ids = b.weight("embeddings.token_type_ids", np.zeros((1, s), np.int64))
    e = b.node("Gather", [word, ids], "embeddings.word_embeddings/Gather")
    t = b.node("Gather", [typ, type_ids], "embeddings.token_type_embeddings/Gather")
    e = b.node("Add", [e, t], "embeddings/Add")
    p = b.node("Gather", [pos, pos_ids], "embeddings.position_embeddings/Gather")
    e = b.node("Add", [e, p], "embeddings/Add")
    return layer_norm(b, init, e, "embeddings.LayerNorm", h, cfg.eps)


def mask_to_bias(b: GraphBuilder, mask: str) -> str:
    """[B, S] 1/0 mask -> [B, 1, 1, S] additive bias (0 or -10000)."""
    m = b.unsqueeze(mask, [1], "extended_attention_mask/Unsqueeze")
    m = b.unsqueeze(m, [2], "extended_attention_mask/Unsqueeze")
    m = b.node("Cast", [m], "extended_attention_mask/Cast",
               to=TensorProto.FLOAT)
    m = b.node("Sub", [b.const(1.0, np.float32), m], "extended_attention_mask/Sub")
    return b.node("Mul", [m, b.const(MASK_BIAS, np.float32)],
                  "extended_attention_mask/Mul")


def bert(opset: int, seed: int = 30522, cfg: BertConfig = BertConfig()
         ) -> GraphBuilder:
    """BERT encoder: `input_ids`, `attention_mask` -> `last_hidden_state`."""
    b = GraphBuilder("bert", opset)
    init = WeightInit(seed)
    mask_type = (TensorProto.INT64 if cfg.mask_dtype == "int64"
                 else TensorProto.FLOAT)
    ids = b.input("input_ids", TensorProto.INT64, [1, cfg.seq_len])
    mask = b.input("attention_mask", mask_type, [1, cfg.seq_len])
    bias = mask_to_bias(b, mask)
    x = embeddings(b, init, ids, cfg)
    for i in range(cfg.layers):
        last = i == cfg.layers - 1
        x = encoder_layer(b, init, x, bias, f"encoder.layer.{i}", cfg,
                          out="last_hidden_state" if last else None)
    b.output(x, TensorProto.FLOAT, [1, cfg.seq_len, cfg.hidden])
    return b
