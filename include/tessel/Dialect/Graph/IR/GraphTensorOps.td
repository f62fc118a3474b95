//===- GraphTensorOps.td - Constants and data movement -*- tablegen -*-===//
#ifndef TESSEL_GRAPH_TENSOR_OPS
#define TESSEL_GRAPH_TENSOR_OPS

include "tessel/Dialect/Graph/IR/GraphBase.td"

def Graph_ConstantOp : Graph_Op<"constant", [ConstantLike]> {
  let summary = "A constant tensor";
  let description = [{
    Large constants (weights) are `dense_resource` blobs, which the importer
    keeps backed by the model file; small ones are `dense` literals.

    ```mlir
    %c = graph.constant dense<[1, 2]> : tensor<2xi64>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Graph_Tensor:$output);
  // `graph.constant dense<1.0> : tensor<2xf32>`, with `-> type` appended
  // when the result type differs (quantized constants hold their storage).
  let hasCustomAssemblyFormat = 1;
  let customFold = 1;
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
      build($_builder, $_state, value.getType(), value);
    }]>
  ];
}

def Graph_ReshapeOp : Graph_Op<"reshape"> {
  let summary = "Reinterprets the elements under the result's shape";
  let description = [{
    ONNX Reshape, Flatten, Squeeze and Unsqueeze all import as this op; the
    result type is the new shape.
  }];
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
  let hasCanonicalizer = 1;
}

def Graph_TransposeOp : Graph_Op<"transpose", [Graph_InferType]> {
  let summary = "Permutes dims: result dim i is input dim perm[i]";
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let customFold = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Whether the permutation only moves size-1 dims (so that the element
    /// order does not change and the op is a reshape).
    bool isPureReshape();
  }];
}

def Graph_ConcatOp : Graph_Op<"concat", [Graph_InferType]> {
  let summary = "Concatenates along one axis";
  let arguments = (ins Variadic<Graph_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
  let hasCanonicalizer = 1;
}

def Graph_SplitOp : Graph_Op<"split"> {
  let summary = "Splits along one axis; result types give the sizes";
  let arguments = (ins Graph_Tensor:$input, I64Attr:$axis);
  let results = (outs Variadic<Graph_Tensor>:$outputs);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
}

def Graph_SliceOp : Graph_Op<"slice"> {
  let summary = "Strided slice in normalized form";
  let description = [{
    Result element (j0, j1, ...) reads input element
    (starts[0] + j0 * steps[0], ...); the result type gives the counts. Steps
    are non-zero and may be negative; every element read is in bounds (the
    importer clamps ONNX's starts/ends to produce this form).
  }];
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$steps);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
}

def Graph_GatherOp : Graph_Op<"gather", [Graph_InferType]> {
  let summary = "ONNX Gather: takes slices along `axis` at the given indices";
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$indices, I64Attr:$axis);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_GatherElementsOp : Graph_Op<"gather_elements", [Graph_InferType]> {
  let summary = "ONNX GatherElements";
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$indices, I64Attr:$axis);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_BroadcastToOp : Graph_Op<"broadcast_to"> {
  let summary = "Numpy broadcast to the result's shape (ONNX Expand)";
  let arguments = (ins Graph_Tensor:$input);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let customFold = 1;
}

def Graph_TileOp : Graph_Op<"tile", [Graph_InferType]> {
  let summary = "Repeats the input `repeats[i]` times along dim i";
  let arguments = (ins Graph_Tensor:$input, DenseI64ArrayAttr:$repeats);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let customFold = 1;
}

#endif // TESSEL_GRAPH_TENSOR_OPS
