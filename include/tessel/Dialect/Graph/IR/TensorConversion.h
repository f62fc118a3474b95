//===- TensorConversion.h - ElementsAttr <-> reference tensors --*- C++ -*-===//
#ifndef TESSEL_DIALECT_GRAPH_IR_TENSORCONVERSION_H
#define TESSEL_DIALECT_GRAPH_IR_TENSORCONVERSION_H

#include "tessel/Reference/Tensor.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <string>

namespace tessel::graph {

/// The reference dtype of an element type; quantized types map to their
/// storage type. nullopt for types the reference evaluators do not know.
std::optional<ref::DType> toDType(mlir::Type elementType);

/// The builtin element type of a reference dtype (unsigned types are `ui*`).
mlir::Type fromDType(mlir::MLIRContext *ctx, ref::DType dtype);

/// Reads a dense or dense_resource constant. Fails (with `error`) on element
/// types the reference does not know or a resource without data.
llvm::FailureOr<ref::Tensor> toTensor(mlir::ElementsAttr attr,
                                      std::string &error);

/// Builds the constant attribute of `type` holding `tensor`'s elements:
/// a splat or a small `dense` literal, or a `dense_resource` blob (named
/// after `nameHint`) when larger than kMaxInlineElements.
mlir::ElementsAttr toElementsAttr(mlir::RankedTensorType type,
                                  const ref::Tensor &tensor,
                                  llvm::StringRef nameHint = "folded");

/// Constants with more elements than this live in resource blobs.
constexpr int64_t kMaxInlineElements = 16;

/// The packed little-endian bytes of a non-splat dense or dense_resource
/// constant (not i1), without copying; nullopt otherwise.
std::optional<llvm::ArrayRef<char>> getRawBytes(mlir::ElementsAttr attr);

/// A constant of `type` holding `bytes` (packed, little-endian): a `dense`
/// literal when small, else a `dense_resource` blob named after `nameHint`.
mlir::ElementsAttr elementsFromRawBytes(mlir::RankedTensorType type,
                                        llvm::ArrayRef<char> bytes,
                                        llvm::StringRef nameHint);

/// A reference tensor from packed little-endian bytes of `elementType`
/// (quantized types read their storage). Fails if the size does not match.
llvm::FailureOr<ref::Tensor> fromRawBytes(mlir::Type elementType,
                                          llvm::ArrayRef<int64_t> shape,
                                          llvm::ArrayRef<char> bytes,
                                          std::string &error);

/// Raw little-endian bytes of `tensor` in the storage layout of `type`'s
/// element type.
std::vector<char> toRawBytes(mlir::Type elementType, const ref::Tensor &tensor);

} // namespace tessel::graph

#endif // TESSEL_DIALECT_GRAPH_IR_TENSORCONVERSION_H
