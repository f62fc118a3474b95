//===- Stats.h - Op counts and model size, before and after -----*- C++ -*-===//
//
// The table deployment engineers know from onnx-simplifier: op counts by
// type and the constant (weight) bytes, for the model as imported and as
// optimized.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_COMPILER_STATS_H
#define TESSEL_COMPILER_STATS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>

namespace tessel {

struct ModelStats {
  std::map<std::string, int64_t> opCounts; ///< By op name, constants apart.
  int64_t numOps = 0;                      ///< All ops but constants.
  int64_t numConstants = 0;
  int64_t constantBytes = 0;
};

/// Counts the ops of every function in `module`.
ModelStats collectStats(mlir::ModuleOp module);

/// Prints `before` and `after` side by side, with a title line; with
/// `onnxNodes` (node counts by ONNX op type), the original model's nodes
/// first.
void printStatsTable(llvm::raw_ostream &os, llvm::StringRef title,
                     const ModelStats &before, const ModelStats &after,
                     const std::map<std::string, int64_t> *onnxNodes = nullptr);

} // namespace tessel

#endif // TESSEL_COMPILER_STATS_H
