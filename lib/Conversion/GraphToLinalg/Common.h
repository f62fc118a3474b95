//===- Common.h - Shared helpers of the graph-to-linalg lowering -*- C++ -*-===//
#ifndef TESSEL_LIB_CONVERSION_GRAPHTOLINALG_COMMON_H
#define TESSEL_LIB_CONVERSION_GRAPHTOLINALG_COMMON_H

#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Reference/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace tessel::lowering {

/// Unsigned tensor element types become signless; everything else is kept.
class GraphTypeConverter : public mlir::TypeConverter {
public:
  GraphTypeConverter();
};

/// Whether a graph-level element type is an unsigned integer.
inline bool isUnsigned(mlir::Type t) {
  auto it = llvm::dyn_cast<mlir::IntegerType>(t);
  return it && it.isUnsigned();
}

/// The signless storage type of a graph-level element type (a quantized
/// type's storage integer).
mlir::Type signless(mlir::Type t);

/// The graph-level integer type a quantized type's storage stands for
/// (`ui8` for u8 storage, so that isUnsigned() holds); other types as they
/// are.
mlir::Type storageElementType(mlir::Type t);

/// The converted (signless) tensor type of a graph value.
mlir::RankedTensorType loweredType(mlir::Value v);
mlir::RankedTensorType loweredType(mlir::Type t);

/// Indexing map from an output of rank `outRank` to an operand of shape
/// `shape` under numpy broadcasting (right-aligned; size-1 dims read 0).
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx, int64_t outRank,
                             llvm::ArrayRef<int64_t> shape,
                             llvm::ArrayRef<int64_t> outShape);

/// An empty tensor of `type`, to be a destination.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type);

/// A tensor of `type` filled with `value`.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::Value value);

/// A scalar constant of a float or integer type.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

/// Scalar computations in the graph ops' semantics (graph-level element type
/// `type`, which says signedness). Float16/bfloat16 compute in f32.
mlir::Value emitUnary(mlir::OpBuilder &b, mlir::Location loc,
                      ref::UnaryKind kind, ref::UnaryParams params,
                      mlir::Value x, mlir::Type type);
mlir::Value emitBinary(mlir::OpBuilder &b, mlir::Location loc,
                       ref::BinaryKind kind, mlir::Value lhs, mlir::Value rhs,
                       mlir::Type type, mlir::Type rhsType);
/// Element type conversion with the graph's cast semantics.
mlir::Value emitCast(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                     mlir::Type from, mlir::Type to);
/// A fused activation, if any.
mlir::Value emitActivation(mlir::OpBuilder &b, mlir::Location loc,
                           graph::ActivationAttr act, mlir::Value x,
                           mlir::Type type);

/// An elementwise linalg.generic over `inputs` broadcast to `resultType`.
/// `body` gets the scalar operands and returns the result.
mlir::Value elementwise(
    mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType resultType,
    mlir::ValueRange inputs,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange)>
        body);

/// Reshape with collapse/expand (any static shapes with equal sizes).
mlir::Value reshapeTensor(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value v, mlir::RankedTensorType to);

/// The identity of a reduction over `type` (0, 1, -inf, +inf, ...).
mlir::Value reductionInit(mlir::OpBuilder &b, mlir::Location loc,
                          ref::ReduceKind kind, mlir::Type type,
                          bool isUnsigned);

/// The smallest/largest value of a float or integer type.
mlir::Value lowestValue(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Type type, bool isUnsigned);
mlir::Value highestValue(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Type type, bool isUnsigned);

/// Pads `x` (lowered) with `value` by `low`/`high` per dim (non-negative).
mlir::Value padTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                      llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                      mlir::Value value);

/// The convolution loop nest over a padded input: output dims (n, o, y...)
/// parallel, then (ic, k...) reduction, accumulating into `accType`'s
/// element type. `flip` reads the kernel reversed and `transposedWeights`
/// reads [C, O/g, K...] weights (both for conv_transpose); `elemType` says
/// float or integer arithmetic.
mlir::Value convLoops(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                      mlir::Value w, mlir::RankedTensorType accType,
                      llvm::ArrayRef<int64_t> strides,
                      llvm::ArrayRef<int64_t> dilations, int64_t group,
                      bool channelsLast, bool flip, bool transposedWeights,
                      mlir::Type elemType);

/// The batched, broadcasting product of `a` and `b` (1-D operands promoted)
/// accumulated in `acc`; `full` receives its shape (batch..., m, n).
mlir::Value matmulAccumulate(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value a, mlir::Value bm, mlir::Type acc,
                             bool isFloat,
                             llvm::SmallVectorImpl<int64_t> &full);

void populateElementwisePatterns(GraphTypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
void populateNNPatterns(GraphTypeConverter &converter,
                        mlir::RewritePatternSet &patterns);
void populateTensorPatterns(GraphTypeConverter &converter,
                            mlir::RewritePatternSet &patterns);
void populateReductionPatterns(GraphTypeConverter &converter,
                               mlir::RewritePatternSet &patterns);
/// Quantized ops (integer kernels reproducing the reference bit for bit).
void populateQuantPatterns(GraphTypeConverter &converter,
                           mlir::RewritePatternSet &patterns);
/// f32 conv and matmul as CPU micro-kernel calls (tcpu.ukernel).
void populateUKernelPatterns(GraphTypeConverter &converter,
                             mlir::RewritePatternSet &patterns);

} // namespace tessel::lowering

#endif // TESSEL_LIB_CONVERSION_GRAPHTOLINALG_COMMON_H
