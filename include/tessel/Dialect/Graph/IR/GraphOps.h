//===- GraphOps.h - Operations of the graph dialect -------------*- C++ -*-===//
#ifndef TESSEL_DIALECT_GRAPH_IR_GRAPHOPS_H
#define TESSEL_DIALECT_GRAPH_IR_GRAPHOPS_H

#include "tessel/Dialect/Graph/IR/GraphDialect.h"
#include "tessel/Reference/Kernels.h"
#include "tessel/Reference/Tensor.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <string>

#include "tessel/Dialect/Graph/IR/GraphInterfaces.h.inc"

namespace tessel::graph {

/// Marks elementwise ops with numpy broadcasting (`Graph_BroadcastElementwise`
/// in GraphBase.td): result element i depends only on the operands'
/// broadcast elements at i, so the op commutes with any transpose of all its
/// operands and its result.
template <typename ConcreteType>
class BroadcastElementwise
    : public mlir::OpTrait::TraitBase<ConcreteType, BroadcastElementwise> {};

/// Verifies that an op with quantized types has integer semantics for them
/// (QuantInfo.cpp).
llvm::LogicalResult verifyQuantizedSemantics(mlir::Operation *op);

/// Graph ops accept quantized types only where they have integer semantics.
template <typename ConcreteType>
class QuantizedSemantics
    : public mlir::OpTrait::TraitBase<ConcreteType, QuantizedSemantics> {
public:
  static llvm::LogicalResult verifyTrait(mlir::Operation *op) {
    return verifyQuantizedSemantics(op);
  }
};

//===----------------------------------------------------------------------===//
// Helpers shared by the generated op definitions (GraphCommon.cpp).
//===----------------------------------------------------------------------===//

/// Types agree in shape; element types are equal, or both quantized (a
/// quantized result's scale is a choice, not a consequence of its operands).
bool areCompatibleModuloQuant(mlir::TypeRange lhs, mlir::TypeRange rhs);

/// The numpy broadcast of the operand shapes, with the first operand's
/// element type (or i1 when `boolResult`).
llvm::LogicalResult
inferBroadcastType(mlir::MLIRContext *ctx, std::optional<mlir::Location> loc,
                   llvm::ArrayRef<mlir::Type> operandTypes, bool boolResult,
                   llvm::SmallVectorImpl<mlir::Type> &types);

llvm::LogicalResult inferReduceType(std::optional<mlir::Location> loc,
                                    mlir::Type inputType,
                                    llvm::ArrayRef<int64_t> axes,
                                    bool keepDims,
                                    llvm::SmallVectorImpl<mlir::Type> &types);

/// Both operands have the same element type (Pow excepted) and broadcast.
llvm::LogicalResult verifyBinaryOperands(mlir::Operation *op);

/// `axes` are sorted, unique and in [0, rank).
llvm::LogicalResult verifyAxes(mlir::Operation *op,
                               llvm::ArrayRef<int64_t> axes, int64_t rank);

/// Whether any operand or result has a quantized element type. Ops without
/// an integer reference for quantized types do not fold or evaluate them.
bool hasQuantizedTypes(mlir::Operation *op);

/// The reference evaluation of an op with quantized types: the integer
/// semantics of docs/quantization.md (QuantInfo.cpp). Every op's evaluate()
/// calls it when hasQuantizedTypes(op); it fails, saying why, for ops that
/// have no integer semantics.
llvm::LogicalResult
evaluateQuantized(mlir::Operation *op, llvm::ArrayRef<ref::Tensor> operands,
                  llvm::SmallVectorImpl<ref::Tensor> &results,
                  std::string &error);

/// Constant folding evaluates in double precision; beyond this many elements
/// (operands plus results of one op) folders leave the op alone, and the
/// graph-fold-constants pass, whose budget is an option, takes over.
constexpr int64_t kFoldElementBudget = int64_t(1) << 24;

/// Folds a single-result op whose operands are all constants by evaluating
/// it with the reference kernels; null if it cannot or should not (size
/// budget, evaluation error).
mlir::OpFoldResult foldByEvaluation(mlir::Operation *op,
                                    llvm::ArrayRef<mlir::Attribute> operands);
/// The same for ops with any number of results, within `budget` elements.
llvm::LogicalResult
foldByEvaluation(mlir::Operation *op, llvm::ArrayRef<mlir::Attribute> operands,
                 llvm::SmallVectorImpl<mlir::OpFoldResult> &results,
                 int64_t budget = kFoldElementBudget);

llvm::LogicalResult evalUnary(ref::UnaryKind kind, ref::UnaryParams params,
                              llvm::ArrayRef<ref::Tensor> operands,
                              llvm::SmallVectorImpl<ref::Tensor> &results,
                              std::string &error);
llvm::LogicalResult evalBinary(ref::BinaryKind kind,
                               llvm::ArrayRef<ref::Tensor> operands,
                               llvm::SmallVectorImpl<ref::Tensor> &results,
                               std::string &error);
llvm::LogicalResult evalReduce(ref::ReduceKind kind,
                               llvm::ArrayRef<int64_t> axes, bool keepDims,
                               llvm::ArrayRef<ref::Tensor> operands,
                               llvm::SmallVectorImpl<ref::Tensor> &results,
                               std::string &error);

} // namespace tessel::graph

#define GET_OP_CLASSES
#include "tessel/Dialect/Graph/IR/GraphMathOps.h.inc"
#define GET_OP_CLASSES
#include "tessel/Dialect/Graph/IR/GraphNNOps.h.inc"
#define GET_OP_CLASSES
#include "tessel/Dialect/Graph/IR/GraphTensorOps.h.inc"
#define GET_OP_CLASSES
#include "tessel/Dialect/Graph/IR/GraphQuantOps.h.inc"

namespace tessel::graph {
/// The unary reference kernel and parameters of a fused activation.
std::pair<ref::UnaryKind, ref::UnaryParams>
activationKernel(ActivationAttr act);
} // namespace tessel::graph

#endif // TESSEL_DIALECT_GRAPH_IR_GRAPHOPS_H
