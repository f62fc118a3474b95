"""Convolutional models: ResNet-50 v1, MobileNetV2 1.0 and the tiny demo CNN.

The graphs are written the way PyTorch's exporter writes torchvision models
in eval mode: Conv without bias followed by BatchNormalization (not folded),
ReLU / ReLU6 as separate nodes, GlobalAveragePool + Flatten + Gemm(transB=1)
as the head. Tensor names follow the torchvision module paths.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from builder import GraphBuilder, WeightInit

IMAGE_SHAPE = [1, 3, 224, 224]


# -- shared layers -----------------------------------------------------------
def conv(b: GraphBuilder, init: WeightInit, x: str, prefix: str, in_c: int,
         out_c: int, k: int, stride: int = 1, group: int = 1) -> str:
    """A bias-free Conv with explicit padding k // 2, as torch exports it."""
    w = b.weight(f"{prefix}.weight", init.kaiming_conv(out_c, in_c // group, k))
    p = k // 2
    return b.node("Conv", [x, w], f"{prefix}/Conv", dilations=[1, 1],
                  group=group, kernel_shape=[k, k], pads=[p, p, p, p],
                  strides=[stride, stride])


def batchnorm(b: GraphBuilder, init: WeightInit, x: str, prefix: str,
              c: int) -> str:
    params = init.batchnorm(c)
    inputs = [x] + [b.weight(f"{prefix}.{k}", v) for k, v in params.items()]
    return b.node("BatchNormalization", inputs, f"{prefix}/BatchNormalization",
                  epsilon=1e-5, momentum=0.9)


def conv_bn(b: GraphBuilder, init: WeightInit, x: str, conv_name: str,
            bn_name: str, in_c: int, out_c: int, k: int, stride: int = 1,
            group: int = 1, act: str | None = "relu") -> str:
    """Conv -> BatchNormalization -> optional Relu or ReLU6 (Clip)."""
    y = conv(b, init, x, conv_name, in_c, out_c, k, stride, group)
    y = batchnorm(b, init, y, bn_name, out_c)
    if act == "relu":
        y = b.node("Relu", [y], f"{bn_name}/Relu")
    elif act == "relu6":
        y = relu6(b, y, f"{bn_name}/Clip")
    return y


def relu6(b: GraphBuilder, x: str, name: str) -> str:
    """ReLU6 as Clip with min/max inputs (opset >= 11), shared scalars."""
    if "relu6.min" not in b.weights:
        b.weight("relu6.min", np.array(0.0, np.float32))
        b.weight("relu6.max", np.array(6.0, np.float32))
    return b.node("Clip", [x, "relu6.min", "relu6.max"], name)


def classifier(b: GraphBuilder, init: WeightInit, x: str, prefix: str,
               in_c: int, classes: int, w_std: float) -> str:
    """GlobalAveragePool -> Flatten -> Gemm(transB=1) -> `logits`."""
    y = b.node("GlobalAveragePool", [x], "avgpool/GlobalAveragePool")
    y = b.node("Flatten", [y], "Flatten", axis=1)
    w = b.weight(f"{prefix}.weight", init.normal((classes, in_c), w_std))
    bias = b.weight(f"{prefix}.bias", init.normal((classes,), 0.01))
    y = b.node("Gemm", [y, w, bias], f"{prefix}/Gemm", out="logits",
               alpha=1.0, beta=1.0, transB=1)
    return b.output(y, TensorProto.FLOAT, [1, classes])


# -- ResNet-50 v1 (torchvision layout: stride on the 3x3 conv) ----------------
def bottleneck(b: GraphBuilder, init: WeightInit, x: str, prefix: str,
               in_c: int, width: int, stride: int) -> str:
    """1x1 reduce -> 3x3 (stride) -> 1x1 expand (x4), projection if needed."""
    out_c = width * 4
    y = conv_bn(b, init, x, f"{prefix}.conv1", f"{prefix}.bn1", in_c, width, 1)
    y = conv_bn(b, init, y, f"{prefix}.conv2", f"{prefix}.bn2", width, width, 3,
                stride)
    y = conv_bn(b, init, y, f"{prefix}.conv3", f"{prefix}.bn3", width, out_c, 1,
                act=None)
    shortcut = x
    if stride != 1 or in_c != out_c:
        shortcut = conv_bn(b, init, x, f"{prefix}.downsample.0",
                           f"{prefix}.downsample.1", in_c, out_c, 1, stride,
                           act=None)
    y = b.node("Add", [y, shortcut], f"{prefix}/Add")
    return b.node("Relu", [y], f"{prefix}/Relu")


def resnet50(opset: int, seed: int = 50, classes: int = 1000,
             blocks=(3, 4, 6, 3)) -> GraphBuilder:
    """ResNet-50 v1 (25.6 M parameters), input `input` 1x3x224x224."""
    b = GraphBuilder("resnet50", opset)
    init = WeightInit(seed)
    x = b.input("input", TensorProto.FLOAT, IMAGE_SHAPE)
    x = conv_bn(b, init, x, "conv1", "bn1", 3, 64, 7, stride=2)
    x = b.node("MaxPool", [x], "maxpool/MaxPool", ceil_mode=0,
               kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    in_c = 64
    for stage, n in enumerate(blocks):
        width = 64 << stage
        for i in range(n):
            stride = 2 if i == 0 and stage > 0 else 1
            x = bottleneck(b, init, x, f"layer{stage + 1}.{i}", in_c, width,
                           stride)
            in_c = width * 4
    classifier(b, init, x, "fc", in_c, classes, w_std=in_c ** -0.5)
    return b


# -- MobileNetV2 1.0 ------------------------------------------------------------
# (expansion t, output channels c, repeats n, first stride s), torchvision's.
MOBILENETV2_SETTINGS = [
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
]


def inverted_residual(b: GraphBuilder, init: WeightInit, x: str, prefix: str,
                      in_c: int, out_c: int, stride: int, t: int) -> str:
    """[1x1 expand ReLU6] -> 3x3 depthwise ReLU6 -> 1x1 linear projection."""
    hidden = in_c * t
    y, i = x, 0
    if t != 1:
        y = conv_bn(b, init, y, f"{prefix}.conv.0.0", f"{prefix}.conv.0.1",
                    in_c, hidden, 1, act="relu6")
        i = 1
    y = conv_bn(b, init, y, f"{prefix}.conv.{i}.0", f"{prefix}.conv.{i}.1",
                hidden, hidden, 3, stride, group=hidden, act="relu6")
    y = conv_bn(b, init, y, f"{prefix}.conv.{i + 1}", f"{prefix}.conv.{i + 2}",
                hidden, out_c, 1, act=None)
    if stride == 1 and in_c == out_c:
        y = b.node("Add", [x, y], f"{prefix}/Add")
    return y


def mobilenetv2(opset: int, seed: int = 2, classes: int = 1000) -> GraphBuilder:
    """MobileNetV2 1.0 224 (3.5 M parameters), input `input` 1x3x224x224."""
    b = GraphBuilder("mobilenetv2", opset)
    init = WeightInit(seed)
    x = b.input("input", TensorProto.FLOAT, IMAGE_SHAPE)
    x = conv_bn(b, init, x, "features.0.0", "features.0.1", 3, 32, 3, 2,
                act="relu6")
    in_c, idx = 32, 1
    for t, c, n, s in MOBILENETV2_SETTINGS:
        for i in range(n):
            x = inverted_residual(b, init, x, f"features.{idx}", in_c, c,
                                  s if i == 0 else 1, t)
            in_c, idx = c, idx + 1
    x = conv_bn(b, init, x, f"features.{idx}.0", f"features.{idx}.1", in_c,
                1280, 1, act="relu6")
    classifier(b, init, x, "classifier.1", 1280, classes, w_std=1280 ** -0.5)
    return b


# -- the tiny demo CNN ------------------------------------------------------------
def tiny_cnn(opset: int, seed: int = 7, classes: int = 10) -> GraphBuilder:
    """1x3x32x32 -> 10 logits: conv/bn/relu x2, residual, maxpool, depthwise.

    Small enough to commit (about 30 KB) and to read in full, yet it holds
    every pattern of the big CNNs: BN to fold, a residual Add, pooling, a
    grouped (depthwise) conv, a ReLU6 Clip, and the GAP/Flatten/Gemm head.
    """
    b = GraphBuilder("tiny_cnn", opset)
    init = WeightInit(seed)
    x = b.input("input", TensorProto.FLOAT, [1, 3, 32, 32])
    a = conv_bn(b, init, x, "stem.conv", "stem.bn", 3, 16, 3)
    y = conv_bn(b, init, a, "block.conv1", "block.bn1", 16, 16, 3)
    y = conv_bn(b, init, y, "block.conv2", "block.bn2", 16, 16, 3, act=None)
    y = b.node("Add", [y, a], "block/Add")
    y = b.node("Relu", [y], "block/Relu")
    y = b.node("MaxPool", [y], "pool/MaxPool", kernel_shape=[2, 2],
               strides=[2, 2])
    y = conv_bn(b, init, y, "dw.conv", "dw.bn", 16, 16, 3, group=16,
                act="relu6")
    y = conv_bn(b, init, y, "pw.conv", "pw.bn", 16, 32, 1)
    classifier(b, init, y, "fc", 32, classes, w_std=32 ** -0.5)
    return b
