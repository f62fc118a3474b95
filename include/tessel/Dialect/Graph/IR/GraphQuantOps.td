//===- GraphQuantOps.td - Quantization boundaries and tables -*- tablegen -*-===//
//
// The ops that exist only in quantized graphs. Every other graph op that has
// integer semantics on `quant` types (conv, matmul, add, sub, mul, relu,
// clip, pooling, reduce_mean/max/min, data movement) keeps its name; its
// reference evaluation follows docs/npu-isa.md and docs/quantization.md.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_GRAPH_QUANT_OPS
#define TESSEL_GRAPH_QUANT_OPS

include "tessel/Dialect/Graph/IR/GraphBase.td"

def Graph_QuantizeOp : Graph_Op<"quantize"> {
  let summary = "Float to quantized: sat(roundHalfEven(x / scale) + zp)";
  let description = [{
    The NPU's `convert.quant`: `x / scale` is computed in fp32 and rounded
    half to even (NaN becomes 0), the zero point is added and the result
    saturates to the storage range of the result type. The result type is a
    `!quant.uniform` type: per-tensor, per-axis or sub-channel (blocked).
    `quantize(dequantize(q))` to q's own type (8- or 16-bit storage) is `q`:
    the round trip is exact.

    ```mlir
    %q = graph.quantize %x : (tensor<1x8xf32>) -> tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Graph_DequantizeOp : Graph_Op<"dequantize"> {
  let summary = "Quantized to float: float32(q - zp) * scale";
  let description = [{
    The NPU's `convert.dequant`: the difference is exact, its conversion to
    fp32 and the product with the fp32 scale round to nearest even, then the
    value rounds to the result's float type. A dequantize of a constant
    never folds: quantized weights stay integers for the back ends and for
    the QDQ folding.

    ```mlir
    %x = graph.dequantize %q : (tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>) -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
}

def Graph_RequantizeOp : Graph_Op<"requantize"> {
  let summary = "Quantized to quantized with other parameters";
  let description = [{
    The NPU's `convert.requant`: `t = q - zp_in` exactly, then
    `sat(rhaz(t * M / 2^(31 + s)) + zp_out)` with
    `{M, s} = quantizeMultiplier(scale_in / scale_out)` (per-tensor, or
    per-axis along the same axis in and out). Used where a value must change
    its scale (concat inputs, int8 and int16 regions meeting).

    ```mlir
    %r = graph.requantize %q : (tensor<8x!quant.uniform<i8:f32, 0.1>>) -> tensor<8x!quant.uniform<i16:f32, 0.001>>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
}

def Graph_LutOp : Graph_Op<"lut"> {
  let summary = "Table lookup on 8-bit quantized values (non-linear activations)";
  let description = [{
    The NPU's `act.lut`: `y = table[q - min(storage)]` (index `q + 128` for
    i8 storage, `q` for u8). The 256 entries are output storage values; the
    quantize rewrite fills them with `quantize_out(f(dequantize_in(q)))` for
    the activation `f` that `function` names (for readers; the table alone
    defines the op).

    ```mlir
    %y = graph.lut %q {function = "sigmoid", table = array<i32: ...>}
         : (tensor<8x!quant.uniform<i8:f32, 0.05>>) -> tensor<8x!quant.uniform<i8:f32, 0.00390625:-128>>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI32ArrayAttr:$table,
                       OptionalAttr<StrAttr>:$function);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_StorageCastOp : Graph_Op<"storage_cast"> {
  let summary = "Reinterprets integers as a quantized type or back";
  let description = [{
    Between a `!quant.uniform` type and its storage integer type (same
    width and signedness; `ui8` for `u8` storage), or between two quantized
    types with the same storage: the stored integers do not change. The
    importer uses it where ONNX hands quantized tensors around as plain
    integers (QLinearConv's inputs and outputs, QuantizeLinear's result).

    ```mlir
    %q = graph.storage_cast %x : (tensor<8xui8>) -> tensor<8x!quant.uniform<u8:f32, 0.1:128>>
    ```
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
  let hasCanonicalizer = 1;
}

#endif // TESSEL_GRAPH_QUANT_OPS
