//===- Interpreter.h - Reference execution of graph functions ---*- C++ -*-===//
//
// Runs a func.func of graph ops on host tensors with every op's reference
// evaluation. It is the oracle of the equivalence tests, the conformance run
// and quantization calibration (which observes every intermediate value).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_DIALECT_GRAPH_UTILS_INTERPRETER_H
#define TESSEL_DIALECT_GRAPH_UTILS_INTERPRETER_H

#include "tessel/Reference/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/FunctionExtras.h"

#include <string>
#include <vector>

namespace tessel::graph {

struct InterpretOptions {
  /// Called with every op result's value as it is computed.
  llvm::unique_function<void(mlir::Value, const ref::Tensor &)> observe;
};

/// Evaluates `func` on `inputs` (one per argument, matching its types).
/// Fails with a message naming the op that could not be evaluated.
llvm::FailureOr<std::vector<ref::Tensor>>
interpret(mlir::func::FuncOp func, llvm::ArrayRef<ref::Tensor> inputs,
          std::string &error, InterpretOptions options = {});

} // namespace tessel::graph

#endif // TESSEL_DIALECT_GRAPH_UTILS_INTERPRETER_H
