//===- GraphNNOps.td - Convolution, pooling, normalization -*- tablegen -*-===//
#ifndef TESSEL_GRAPH_NN_OPS
#define TESSEL_GRAPH_NN_OPS

include "tessel/Dialect/Graph/IR/GraphBase.td"

def Graph_ConvOp : Graph_Op<"conv", [Graph_InferType]> {
  let summary = "N-D convolution (grouped, depthwise, dilated) with bias and activation";
  let description = [{
    `pads` holds the begin pads of every spatial dim, then the end pads (the
    ONNX order). `layout` says where channels are: `nchw` (weights OIHW) or
    `nhwc` (weights OHWI); the same names serve 1-D and 3-D convs. The
    optional `bias` has shape [O]; the optional fused `activation` applies
    after it.

    ```mlir
    %y = graph.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64,
           pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$weight,
                       Optional<Graph_Tensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<I64Attr, "1">:$group,
                       DefaultValuedAttr<Graph_LayoutAttr, "Layout::NCHW">:$layout,
                       OptionalAttr<Graph_ActivationAttr>:$activation);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getNumSpatialDims() { return getInput().getType().getRank() - 2; }
    ::llvm::ArrayRef<int64_t> getPadsBegin() {
      return getPads().take_front(getNumSpatialDims());
    }
    ::llvm::ArrayRef<int64_t> getPadsEnd() {
      return getPads().take_back(getNumSpatialDims());
    }
    bool isChannelsLast() { return getLayout() == Layout::NHWC; }
  }];
}

def Graph_ConvTransposeOp : Graph_Op<"conv_transpose", [Graph_InferType]> {
  let summary = "N-D transposed convolution with explicit pads";
  let description = [{
    ONNX ConvTranspose with `auto_pad` and `output_shape` resolved into
    `pads` and `output_padding` at import. Weights are [C, O/group, K...]
    (`nchw`) or [C, K..., O/group] (`nhwc`).
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$weight,
                       Optional<Graph_Tensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$output_padding,
                       DefaultValuedAttr<I64Attr, "1">:$group,
                       DefaultValuedAttr<Graph_LayoutAttr, "Layout::NCHW">:$layout);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getNumSpatialDims() { return getInput().getType().getRank() - 2; }
  }];
}

class Graph_PoolOp<string mnemonic> : Graph_Op<mnemonic, [Graph_InferType]> {
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{
    int64_t getNumSpatialDims() { return getInput().getType().getRank() - 2; }
  }];
}

def Graph_MaxPoolOp : Graph_PoolOp<"max_pool"> {
  let summary = "N-D max pooling";
  let description = [{
    Padding never wins the max. With `ceil_mode` the output size rounds up,
    dropping a last window that would start in the end padding.
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                       DefaultValuedAttr<Graph_LayoutAttr, "Layout::NCHW">:$layout);
}

def Graph_AvgPoolOp : Graph_PoolOp<"avg_pool"> {
  let summary = "N-D average pooling";
  let description = [{
    Divides by the number of in-bounds elements, or with `count_include_pad`
    by the window size clipped to the explicitly padded input.
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                       DefaultValuedAttr<BoolAttr, "false">:$count_include_pad,
                       DefaultValuedAttr<Graph_LayoutAttr, "Layout::NCHW">:$layout);
  let hasVerifier = 1;
}

def Graph_BatchNormOp : Graph_Op<"batch_norm", [Graph_InferType]> {
  let summary = "Inference batch normalization";
  let description = [{
    `scale * (x - mean) / sqrt(var + epsilon) + bias` per channel; the
    channel dim is 1 (`nchw`) or the last (`nhwc`).
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$scale,
                       Graph_Tensor:$bias, Graph_Tensor:$mean, Graph_Tensor:$var,
                       F64Attr:$epsilon,
                       DefaultValuedAttr<Graph_LayoutAttr, "Layout::NCHW">:$layout);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_LayerNormOp : Graph_Op<"layer_norm", [Graph_InferType]> {
  let summary = "Layer normalization over the trailing dims from `axis`";
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$scale,
                       Optional<Graph_Tensor>:$bias, I64Attr:$axis, F64Attr:$epsilon);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_PadOp : Graph_Op<"pad", [Graph_InferType]> {
  let summary = "Pads (or, with negative pads, crops) every dim";
  let description = [{
    `pads` holds the begin pads of every dim, then the end pads.
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<Graph_PadModeAttr, "PadMode::Constant">:$mode,
                       DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
}

def Graph_ResizeOp : Graph_Op<"resize"> {
  let summary = "Resize by interpolation (ONNX Resize, opset 11+ semantics)";
  let description = [{
    The result type gives the output sizes; `scales` (one per dim) are the
    scales the coordinate transformation uses (output / input unless the
    model gave explicit scales). `roi` is used by `tf_crop_and_resize` only.
  }];
  let arguments = (ins Graph_Tensor:$input,
                       Graph_ResizeModeAttr:$mode,
                       Graph_CoordModeAttr:$coordinate_transformation_mode,
                       DefaultValuedAttr<Graph_NearestModeAttr, "NearestMode::RoundPreferFloor">:$nearest_mode,
                       DenseF64ArrayAttr:$scales,
                       DefaultValuedAttr<F64Attr, "-0.75">:$cubic_coeff_a,
                       DefaultValuedAttr<BoolAttr, "false">:$exclude_outside,
                       DefaultValuedAttr<F64Attr, "0.0">:$extrapolation_value,
                       OptionalAttr<DenseF64ArrayAttr>:$roi);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
}

def Graph_DepthToSpaceOp : Graph_Op<"depth_to_space", [Graph_InferType]> {
  let summary = "Rearranges channel blocks into spatial blocks (NCHW)";
  let arguments = (ins Graph_Tensor:$input, I64Attr:$block_size,
                       DefaultValuedAttr<BoolAttr, "false">:$crd);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_SpaceToDepthOp : Graph_Op<"space_to_depth", [Graph_InferType]> {
  let summary = "Rearranges spatial blocks into channels (NCHW)";
  let arguments = (ins Graph_Tensor:$input, I64Attr:$block_size,
                       DefaultValuedAttr<BoolAttr, "false">:$crd);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

#endif // TESSEL_GRAPH_NN_OPS
