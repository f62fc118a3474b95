//===- Passes.td - Hardware-independent graph passes -*- tablegen -*-===//
//
// The optimizer stage of every deployment flow (what onnx-simplifier,
// TensorRT's parser and TPU-MLIR's Top passes do). Each pass is a set of
// rewrite patterns applied greedily; a pattern that cannot apply leaves the
// graph as it is. The order they run in, and why, is in
// lib/Transforms/Pipelines.cpp (`tessel-graph-optimize`).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_GRAPH_TRANSFORMS_PASSES
#define TESSEL_GRAPH_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def GraphFoldConstants : Pass<"graph-fold-constants", "::mlir::func::FuncOp"> {
  let summary = "Evaluate ops whose operands are all constants, remove dead ops";
  let description = [{
    Every graph op with only constant operands is replaced by the constants
    its reference evaluation (`RefEvalOpInterface`) computes: shape
    subgraphs, weight preprocessing (transposes, casts, scales), anything.
    Op folders already do this within a 16M-element budget while
    canonicalizing; this pass takes its budget from `max-elements`
    (operand plus result elements of one op). Ops whose results are unused
    are erased.

    ```mlir
    %w = graph.constant dense<...> : tensor<4x3xf32>
    %t = graph.transpose %w {perm = array<i64: 1, 0>} : ...   // becomes a constant
    ```
  }];
  let options = [
    Option<"maxElements", "max-elements", "int64_t", /*default=*/"int64_t(1) << 25",
           "Largest op (operand plus result elements) to evaluate">
  ];
}

def GraphFoldBatchNorm : Pass<"graph-fold-batchnorm", "::mlir::func::FuncOp"> {
  let summary = "Fold batch norms and per-channel affine constants into convs and matmuls";
  let description = [{
    `batch_norm(conv(x, w, b))` becomes `conv(x, w', b')` with
    `w' = w * s` per output channel and `b' = (b - mean) * s + beta`, where
    `s = scale / sqrt(var + eps)`; the same for a matmul whose output's last
    dim is the batch norm's channel dim (scaling the columns of its constant
    right operand). With `fold-affine`, a `mul`, `div`, `add` or `sub` by a
    constant that broadcasts only along the channel dim folds into the conv's
    weights and bias (the matmul's columns and bias) the same way. Weights
    must be constants and the producer must have no other use and no fused
    activation. Arithmetic is in double precision, rounded once to the
    weight's element type. With `decompose`, a batch norm with no producer to
    fold into becomes `x * s + t` on per-channel constants.
  }];
  let options = [
    Option<"foldAffine", "fold-affine", "bool", /*default=*/"true",
           "Fold per-channel constant mul/div/add/sub into conv and matmul">,
    Option<"decompose", "decompose", "bool", /*default=*/"true",
           "Rewrite batch norms that cannot fold as a per-channel mul and add">
  ];
}

def GraphFuseActivations : Pass<"graph-fuse-activations", "::mlir::func::FuncOp"> {
  let summary = "Fuse biases and activations into conv, matmul and add";
  let description = [{
    `relu`, `clip` (ReLU6), `leaky_relu`, `sigmoid`, `tanh`, `hard_sigmoid`,
    `hard_swish` and `gelu` after a conv or matmul become its `activation`
    attribute. With `fuse-bias`, a constant `add` after a conv (per output
    channel) or a matmul (broadcasting to the output) first becomes the bias.
    With `fuse-into-add`, an activation after an elementwise `add` of same
    shaped tensors (a residual connection) is fused into the add, as TFLite's
    ADD does. The producer must have no other use and no fused activation.

    ```mlir
    %y = graph.conv %x, %w, %b {...} : ...
    %z = graph.relu %y : ...
    // becomes
    %z = graph.conv %x, %w, %b {activation = #graph.act<relu>, ...} : ...
    ```
  }];
  let options = [
    Option<"fuseBias", "fuse-bias", "bool", /*default=*/"true",
           "Fuse constant adds into the bias of convs and matmuls">,
    Option<"fuseIntoAdd", "fuse-into-add", "bool", /*default=*/"true",
           "Fuse activations into residual adds">
  ];
}

def GraphRecompose : Pass<"graph-recompose", "::mlir::func::FuncOp"> {
  let summary = "Recompose the op chains exporters write into single ops";
  let description = [{
    Matches what exporters write out and replaces it with the op it spells:

    - LayerNorm: `d = x - reduce_mean(x)`, `var = reduce_mean(d^2)` (`pow(d, 2)`
      or `d * d`), `d / sqrt(var + eps)` (or `d * reciprocal(sqrt(..))`,
      `d * pow(.., -0.5)`), optionally `* gamma + beta`, over trailing axes;
    - Gelu: `x * 0.5 * (1 + erf(x / sqrt 2))` in any association and operand
      order (`x / 1.41421` or `x * 0.7071`), and the tanh form
      `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`;
    - HardSigmoid: `clip(x * a + b, 0, 1)` and `clip(x + 3, 0, 6) / 6`;
      HardSwish: `x * clip(x + 3, 0, 6) / 6` and `x * hard_sigmoid(x, 1/6, 1/2)`;
    - Softmax: `exp(x - reduce_max(x)) / reduce_sum(exp(..))` along one axis,
      with or without the max subtraction (and LogSoftmax, `s - log(sum(exp(s)))`);
    - a matmul followed by the add of a constant that broadcasts to its
      output becomes a matmul with a bias.

    Constants must match to a relative `tolerance` (exporters print 1/sqrt(2)
    as 0.7071 or 0.70710677).
  }];
  let options = [
    Option<"layerNorm", "layer-norm", "bool", "true", "Recompose LayerNorm">,
    Option<"gelu", "gelu", "bool", "true", "Recompose Gelu (erf and tanh forms)">,
    Option<"hardSwish", "hard-swish", "bool", "true",
           "Recompose HardSigmoid and HardSwish">,
    Option<"softmax", "softmax", "bool", "true", "Recompose Softmax and LogSoftmax">,
    Option<"matmulBias", "matmul-bias", "bool", "true",
           "Fold constant adds into matmul biases">,
    Option<"tolerance", "tolerance", "double", "1e-4",
           "Relative tolerance on the constants of a pattern">
  ];
}

def GraphConvertLayout : Pass<"graph-convert-layout", "::mlir::func::FuncOp"> {
  let summary = "Rewrite layout-sensitive ops to a layout, sinking the transposes";
  let description = [{
    Every conv, conv_transpose, max_pool, avg_pool and batch_norm in another
    layout is rewritten to `layout`, wrapped in transposes (to the new layout
    on its input, back on its output; weight transposes fold into the
    constants). Transposes are then sunk through layout-agnostic ops
    (elementwise ops, permuting constant operands; concat, split, slice, pad,
    resize, reductions, softmax with their axes remapped; reshapes that only
    move size-1 dims) and inverse pairs cancel, so that only the transposes
    at the graph's boundary remain on ResNet- and MobileNet-style graphs.

    ```mlir
    %0 = graph.conv %x, %w {...} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
    // with layout=nhwc becomes
    %t = graph.transpose %x {perm = array<i64: 0, 2, 3, 1>} : ...
    %1 = graph.conv %t, %w2 {layout = #graph.layout<nhwc>, ...} : ...
    %0 = graph.transpose %1 {perm = array<i64: 0, 3, 1, 2>} : ...
    ```
  }];
  let options = [
    Option<"layout", "layout", "::tessel::graph::Layout",
           /*default=*/"::tessel::graph::Layout::NHWC", "Target layout",
           [{::llvm::cl::values(
               clEnumValN(::tessel::graph::Layout::NCHW, "nchw", "channels first"),
               clEnumValN(::tessel::graph::Layout::NHWC, "nhwc", "channels last"))}]>
  ];
}

def GraphSinkTransposes : Pass<"graph-sink-transposes", "::mlir::func::FuncOp"> {
  let summary = "Move transposes towards the outputs and cancel inverse pairs";
  let description = [{
    The second half of `graph-convert-layout` on its own: transposes move
    through layout-agnostic ops towards the graph outputs, and
    `transpose(transpose(x))` pairs that compose to the identity disappear.
    A transpose that cannot move stays where it is.
  }];
}


//===----------------------------------------------------------------------===//
// Post-training quantization (docs/quantization.md)
//===----------------------------------------------------------------------===//

def GraphQuantizePrepare : Pass<"graph-quantize-prepare", "::mlir::func::FuncOp"> {
  let summary = "Name every value and split non-clamp fused activations";
  let description = [{
    The first step of post-training quantization. A fused activation that
    is not a clamp (sigmoid, gelu, ...) leaves its conv/matmul/add as a
    separate op, so that the value before it is observed and quantized of
    its own; relu and clip stay fused (they become the integer clamp). Every
    op then gets a unique `tessel.name` (its ONNX node name where it has
    one), the key of calibration tables, mixed-precision tables and the
    quantization report.
  }];
}

def GraphCalibrate : Pass<"graph-calibrate", "::mlir::func::FuncOp"> {
  let summary = "Collect activation statistics with the reference interpreter";
  let description = [{
    Runs the function on each calibration sample with the reference
    interpreter, observing every float value, and records the range the
    calibration `method` derives from the statistics as a
    `tessel.calib = array<f64: min, max, lo, hi>` attribute (function
    arguments: an argument attribute). `table` also writes them as a
    calibration table file. Samples come from `data` (a folder of .npy or
    ONNX .pb tensors, see docs/quantization.md); without data the pass fails,
    unless `random-samples` asks for random inputs (with a warning: they do
    not represent real activations).
  }];
  let options = [
    Option<"data", "data", "std::string", "\"\"", "Calibration data folder">,
    Option<"method", "method", "std::string", "\"kl\"",
           "max, kl, minmax, percentile or mse">,
    Option<"bits", "bits", "int", "8", "Activation bits the ranges are for (8 or 16)">,
    Option<"asymmetric", "asymmetric", "bool", "false",
           "Separate thresholds for negative and positive values">,
    Option<"percentile", "percentile", "double", "99.99",
           "Percentile of |x| for method=percentile">,
    Option<"numSamples", "num-samples", "int", "0",
           "Use at most this many samples (0: all)">,
    Option<"randomSamples", "random-samples", "int", "0",
           "Calibrate on this many seeded random inputs (explicit request)">,
    Option<"seed", "seed", "int", "0", "Seed of the random inputs">,
    Option<"table", "table", "std::string", "\"\"",
           "Write the calibration table to this file">
  ];
}

def GraphQuantizeAnnotate : Pass<"graph-quantize-annotate", "::mlir::func::FuncOp"> {
  let summary = "Decide each op's precision and quantized result type";
  let description = [{
    From the calibrated ranges (the `tessel.calib` attributes, or a
    calibration `table` file) and the `scheme`, every op gets a
    `tessel.precision` (int8, int16, w8, fp16, fp32) and, when its result
    will be integer, the `tessel.qtype` it will have. A mixed-precision
    `qtable` (lines `name fp32|fp16|int8|int16`) overrides named ops.
    Nothing else changes: graph-quantize-rewrite acts on the annotations.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"w8a8\"",
           "w8a8, w8a16, w8-weight-only or fp16">,
    Option<"perChannel", "per-channel", "bool", "true",
           "Weights quantized per output channel (else per tensor)">,
    Option<"table", "table", "std::string", "\"\"",
           "Read the ranges from this calibration table file">,
    Option<"qtable", "qtable", "std::string", "\"\"",
           "Mixed-precision table: name fp32|fp16|int8|int16 per line">
  ];
}

def GraphQuantizeRewrite : Pass<"graph-quantize-rewrite", "::mlir::func::FuncOp"> {
  let summary = "Rewrite annotated ops into the quantized graph form";
  let description = [{
    Every op annotated int8/int16 becomes its quantized form: weights
    quantized per channel (symmetric, [-127, 127]), biases to i32 (i64 for
    int16 inputs) at scale s_in * s_w, relu/clip as the integer clamp,
    activations on 8-bit values as a `graph.lut`, `graph.quantize` where a
    float value enters the integer graph and `graph.dequantize` where an
    integer value leaves it. w8 ops keep float arithmetic on dequantized
    int8 weights; fp16 ops compute in f16 between casts.
  }];
  let options = [
    Option<"perChannel", "per-channel", "bool", "true",
           "Weights quantized per output channel (else per tensor)">
  ];
}

def GraphFoldQDQ : Pass<"graph-fold-qdq", "::mlir::func::FuncOp"> {
  let summary = "Fold QuantizeLinear/DequantizeLinear pairs into quantized ops";
  let description = [{
    Pre-quantized ONNX models (QDQ format) put DequantizeLinear before and
    QuantizeLinear after float ops. An op whose operands are all
    `graph.dequantize` results or constants and whose result only feeds
    `graph.quantize` ops of one type becomes the quantized op of the form
    graph-quantize-rewrite produces (float biases are quantized at
    s_in * s_w). A model without such pairs is unchanged.
  }];
}

#endif // TESSEL_GRAPH_TRANSFORMS_PASSES
