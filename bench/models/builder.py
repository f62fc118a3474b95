"""A small ONNX graph builder shared by the model generators.

Weights are kept as numpy arrays until `GraphBuilder.to_model()` so that a
generator can still change them (the batch-norm calibration does) without
re-encoding protobuf tensors. Node and tensor names follow the exporters'
habit of dotted module paths (`layer1.0.conv1.weight`), which keeps the
models readable in Netron and in Tessel's diagnostics.

The generators require opset 13 or newer. In that range `Clip` always takes
`min`/`max` as inputs (since 11) and `Unsqueeze`/`Squeeze` `axes` as an input
(since 13); the one spelling that still depends on the opset, `ReduceMean`'s
`axes` (an attribute before 18, an input from 18), is `reduce_mean` here.
"""

from __future__ import annotations

import collections

import numpy as np
import onnx
from onnx import helper, numpy_helper

MIN_OPSET = 13
DEFAULT_OPSET = 17
PRODUCER = "tessel-bench"


def max_opset() -> int:
    """The newest default-domain opset the installed onnx knows.

    (onnx 1.23.2 knows 28; onnxruntime 1.32 runs every generated model at
    every opset from 13 to 28.)
    """
    return onnx.defs.onnx_opset_version()


class GraphBuilder:
    """Accumulates nodes, initializers and graph I/O for one ONNX graph."""

    def __init__(self, name: str, opset: int = DEFAULT_OPSET):
        if opset < MIN_OPSET:
            raise ValueError(f"opset {opset} < {MIN_OPSET} is not supported")
        self.name = name
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.weights: dict[str, np.ndarray] = {}
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._counts: collections.Counter[str] = collections.Counter()

    # -- names ---------------------------------------------------------------
    def unique(self, base: str) -> str:
        """Returns `base`, or `base_N` if `base` was handed out before."""
        n = self._counts[base]
        self._counts[base] += 1
        return base if n == 0 else f"{base}_{n}"

    # -- graph I/O -------------------------------------------------------------
    def input(self, name: str, elem_type: int, shape: list) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def output(self, name: str, elem_type: int, shape: list) -> str:
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    # -- tensors -----------------------------------------------------------------
    def weight(self, name: str, value: np.ndarray) -> str:
        """Adds an initializer; the name must be new."""
        if name in self.weights:
            raise ValueError(f"initializer {name!r} defined twice")
        self.weights[name] = np.ascontiguousarray(value)
        return name

    def const(self, value, dtype=np.int64, name: str | None = None) -> str:
        """A `Constant` node (the exporters' spelling for shapes and scalars)."""
        arr = np.asarray(value, dtype=dtype)
        out = self.unique(name or "Constant")
        self.nodes.append(
            helper.make_node(
                "Constant", [], [out], name=out,
                value=numpy_helper.from_array(arr, out)))
        return out

    # -- nodes -------------------------------------------------------------------
    def node(self, op: str, inputs: list[str], name: str,
             out: str | None = None, **attrs) -> str:
        """Appends a one-output node; its output is named like the node.

        `out` names the output instead, e.g. after a graph output.
        """
        name = self.unique(name)
        out = out or name
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def unsqueeze(self, x: str, axes: list[int], name: str) -> str:
        return self.node("Unsqueeze", [x, self.const(axes)], name)

    def reduce_mean(self, x: str, axes: list[int], name: str,
                    keepdims: int = 1) -> str:
        if self.opset >= 18:
            return self.node("ReduceMean", [x, self.const(axes)], name,
                             keepdims=keepdims)
        return self.node("ReduceMean", [x], name, axes=axes, keepdims=keepdims)

    # -- result ------------------------------------------------------------------
    def num_params(self) -> int:
        return sum(int(w.size) for w in self.weights.values())

    def to_model(self, doc: str = "") -> onnx.ModelProto:
        initializers = [numpy_helper.from_array(w, n)
                        for n, w in self.weights.items()]
        graph = helper.make_graph(self.nodes, self.name, self.inputs,
                                  self.outputs, initializers)
        opsets = [helper.make_opsetid("", self.opset)]
        model = helper.make_model(graph, opset_imports=opsets,
                                  producer_name=PRODUCER, doc_string=doc)
        # The IR version an exporter would write for this opset, not the
        # newest one the installed onnx knows: older readers stay able to
        # load the model.
        model.ir_version = helper.find_min_ir_version_for(opsets)
        return model


class WeightInit:
    """Seeded weight initializers with the statistics of trained networks."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def normal(self, shape, std: float, mean: float = 0.0) -> np.ndarray:
        x = self.rng.standard_normal(shape, dtype=np.float32)
        return (x * np.float32(std) + np.float32(mean)).astype(np.float32)

    def kaiming_conv(self, out_c: int, in_c_per_group: int, k: int) -> np.ndarray:
        """Kaiming-normal, fan-out mode, ReLU gain (torchvision's CNN init)."""
        std = np.sqrt(2.0 / (out_c * k * k))
        return self.normal((out_c, in_c_per_group, k, k), std)

    def batchnorm(self, c: int) -> dict[str, np.ndarray]:
        """gamma ~ 1 +- 0.1 and beta ~ 0 +- 0.1, as after training.

        The running statistics are placeholders here: `calibrate.py` replaces
        them with the statistics the layer actually sees.
        """
        return {
            "weight": self.normal((c,), 0.1, 1.0),
            "bias": self.normal((c,), 0.1),
            "running_mean": np.zeros((c,), np.float32),
            "running_var": np.ones((c,), np.float32),
        }
