//===- QuantInfo.h - Integer parameters of quantized graph ops --*- C++ -*-===//
//
// Where the integers of a quantized graph come from: the reference parameters
// of a `quant` element type, and the requantization table (multiplier and
// shift per output channel, zero point, clamp bounds) of a quantized conv or
// matmul. The reference evaluation, the CPU lowering and the NPU emitter all
// call these functions; nothing else computes a multiplier. The rules
// themselves are in tessel/Reference/QuantKernels.h (MLIR-free).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_DIALECT_GRAPH_IR_QUANTINFO_H
#define TESSEL_DIALECT_GRAPH_IR_QUANTINFO_H

#include "tessel/Dialect/Graph/IR/GraphOps.h"
#include "tessel/Reference/QuantKernels.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include <optional>
#include <string>

namespace tessel::graph {

/// The quantized element type of a tensor type or element type, if any.
mlir::quant::QuantizedType getQuantizedElementType(mlir::Type t);

/// The reference parameters of a uniform quantized element type (per-tensor,
/// per-axis or sub-channel); nullopt for other types.
std::optional<ref::QuantParams> getQuantParams(mlir::Type elementType);

/// The storage dtype of a quantized element type (its signedness decides
/// between I8 and U8, ...).
std::optional<ref::DType> getStorageDType(mlir::quant::QuantizedType q);

/// Whether both element types are quantized with the same parameters
/// (scales, zero points, storage and range) or are equal.
bool haveSameQuantParams(mlir::Type a, mlir::Type b);

/// The integer clamp [lo, hi] a fused activation (none, relu, clip) becomes
/// in the quantized domain of `outElementType`; nullopt for activations
/// that are not a clamp.
std::optional<std::pair<int64_t, int64_t>>
getQuantizedClamp(ActivationAttr act, mlir::Type outElementType);

/// The output stage of a quantized conv or matmul that produces a quantized
/// tensor (requant mode): per output channel `{M, s} = quantizeMultiplier(
/// s_in * s_w[c] / s_out)`, the output zero point, the clamp of the fused
/// activation, the channel axis of the result. Fails (with `error`) for ops
/// that are not quantized convs/matmuls in requant mode.
llvm::FailureOr<ref::OutputStage> getOutputStage(mlir::Operation *op,
                                                 std::string &error);

/// The integer parameters of a quantized graph.add, graph.sub or graph.mul
/// (per-tensor operands and result): the zero points, the rescaling (add/sub:
/// both inputs to a common int32 scale, the exact sum to the output; mul:
/// one multiplier for the exact product) and the clamp of the fused
/// activation (add only; else the storage range). Fails (with `error`) for
/// other ops.
struct ElementwiseStage {
  ref::QuantParams lhs, rhs, out;
  bool isMul = false, isSub = false;
  ref::AddRescale add;         ///< add/sub.
  support::Requant mul;        ///< mul: quantizeMultiplier(sA * sB / sOut).
  int64_t lo = -128, hi = 127; ///< Clamp of the output (stored values).
};
llvm::FailureOr<ElementwiseStage> getElementwiseStage(mlir::Operation *op,
                                                      std::string &error);

/// Whether `op`'s reference evaluation implements its quantized types
/// (integer semantics); if not, `why` says what to do instead.
bool canEvaluateQuantized(mlir::Operation *op, std::string *why = nullptr);

/// A quantized element type with per-tensor parameters and f32 expressed
/// type, for `storage` I8, U8, I16 (narrow: range [-max, max]).
mlir::quant::UniformQuantizedType
makeQuantType(mlir::MLIRContext *ctx, ref::DType storage, double scale,
              int64_t zeroPoint, bool narrow = false);

/// Per-axis weights: symmetric (zero point 0), narrow range [-127, 127] for
/// i8, along `axis`.
mlir::quant::UniformQuantizedPerAxisType
makePerAxisQuantType(mlir::MLIRContext *ctx, ref::DType storage,
                     llvm::ArrayRef<double> scales,
                     llvm::ArrayRef<int64_t> zeroPoints, int32_t axis,
                     bool narrow = false);

} // namespace tessel::graph

#endif // TESSEL_DIALECT_GRAPH_IR_QUANTINFO_H
