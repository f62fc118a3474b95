//===- GraphOpsCommon.h - Private helpers of the op definitions -*- C++ -*-===//
#ifndef TESSEL_LIB_DIALECT_GRAPH_IR_GRAPHOPSCOMMON_H
#define TESSEL_LIB_DIALECT_GRAPH_IR_GRAPHOPSCOMMON_H

#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Reference/Kernels.h"

#include "mlir/IR/Diagnostics.h"

namespace tessel::graph {

/// Moves a kernel's value into `results`, or its message into `error`.
template <typename T>
llvm::LogicalResult take(ref::Result<T> result,
                         llvm::SmallVectorImpl<ref::Tensor> &results,
                         std::string &error) {
  if (!result) {
    error = result.error();
    return llvm::failure();
  }
  results.push_back(std::move(result.value()));
  return llvm::success();
}

inline ref::Shape toShape(llvm::ArrayRef<int64_t> a) {
  return ref::Shape(a.begin(), a.end());
}

inline mlir::RankedTensorType tensorType(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}

/// Applies a fused activation (if any) in place.
llvm::LogicalResult applyActivation(ActivationAttr act, ref::Tensor &t,
                                    std::string &error);

/// Emits `message` at `loc` if there is one; returns failure.
template <typename... Args>
llvm::LogicalResult fail(std::optional<mlir::Location> loc, Args &&...args) {
  return mlir::emitOptionalError(loc, std::forward<Args>(args)...);
}

/// Normalizes and checks an axis attribute against a rank.
llvm::LogicalResult checkAxis(std::optional<mlir::Location> loc,
                              llvm::StringRef what, int64_t axis,
                              int64_t rank);

} // namespace tessel::graph

#endif // TESSEL_LIB_DIALECT_GRAPH_IR_GRAPHOPSCOMMON_H
