//===- GraphInterfaces.td - Interfaces of the graph dialect -*- tablegen -*-===//
//
// Every graph op carries its own reference evaluation, the way TPU-MLIR's Top
// ops carry an inference interface: constant folding, quantization
// calibration and the test oracles of every back end all call it.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_GRAPH_INTERFACES
#define TESSEL_GRAPH_INTERFACES

include "mlir/IR/OpBase.td"

def Graph_RefEvalOpInterface : OpInterface<"RefEvalOpInterface"> {
  let cppNamespace = "::tessel::graph";
  let description = [{
    Evaluates the op on host tensors with plain reference loops
    (`tessel/Reference/Kernels.h`). Operands and results are in operand and
    result order; a failure carries a message in `error`.
  }];
  let methods = [
    InterfaceMethod<
      "Computes the op's results from its operands' values.",
      "::llvm::LogicalResult", "evaluate",
      (ins "::llvm::ArrayRef<::tessel::ref::Tensor>":$operands,
           "::llvm::SmallVectorImpl<::tessel::ref::Tensor> &":$results,
           "std::string &":$error)>
  ];
}

#endif // TESSEL_GRAPH_INTERFACES
