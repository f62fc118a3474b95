//===- QuantKernels.h - Bit-exact integer reference kernels -----*- C++ -*-===//
//
// The integer semantics of Tessel's quantized graph ops, formula for formula
// those of the NPU instruction set (docs/npu-isa.md, sections 4.4 and 4.5),
// built on the exact requantization of tessel/Support/QuantMath.h. The graph
// ops' reference evaluations, the CPU lowering and the NPU emitter all take
// their multipliers, shifts and clamp bounds from the functions here, so that
// every path computes the same integers (docs/quantization.md).
//
// Plain C++ (no MLIR or LLVM), like the rest of lib/Reference.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_REFERENCE_QUANTKERNELS_H
#define TESSEL_REFERENCE_QUANTKERNELS_H

#include "tessel/Reference/Kernels.h"
#include "tessel/Support/QuantMath.h"

#include <vector>

namespace tessel::ref {

//===----------------------------------------------------------------------===//
// Quantization parameters
//===----------------------------------------------------------------------===//

/// The affine map `real = scale * (q - zeroPoint)` of a quantized tensor:
/// one (scale, zero point) pair for the whole tensor, one per index of
/// `axis` (per-axis), or one per block of `blockSizes` elements (sub-channel,
/// ONNX's blocked quantization; the table has shape `tableShape`).
struct QuantParams {
  DType storage = DType::I8;      ///< Integer type of the stored values.
  int64_t qmin = -128;            ///< Storage range (may be narrowed).
  int64_t qmax = 127;
  std::vector<double> scales = {1.0};
  std::vector<int64_t> zeroPoints = {0};
  int64_t axis = -1;              ///< Per-axis: the dim the pairs vary along.
  Shape blockSizes;               ///< Sub-channel: block size per dim
                                  ///< (0: the whole dim).
  Shape tableShape;               ///< Sub-channel: shape of the pair table.

  bool isPerTensor() const { return axis < 0 && blockSizes.empty(); }
  /// A per-tensor parameter set.
  static QuantParams perTensor(DType storage, double scale, int64_t zeroPoint);
  /// The full range of an integer storage type.
  static QuantParams perTensor(DType storage, double scale, int64_t zeroPoint,
                               int64_t qmin, int64_t qmax);
};

/// Checks `p` against a tensor of `shape` (axis in range with one pair per
/// index, blocks tiling the shape, zero points within [qmin, qmax]).
std::optional<std::string> checkQuantParams(const QuantParams &p,
                                            const Shape &shape);

/// For every element of a tensor of `shape` (row-major), the index of its
/// (scale, zero point) pair. `p` must have passed checkQuantParams.
std::vector<int64_t> quantParamIndices(const QuantParams &p,
                                       const Shape &shape);

/// The quantized value of a real scalar with the `graph.quantize` rule:
/// `sat(roundHalfEven(float(v) / float(scale)) + zeroPoint)`, the division
/// in fp32 (ISA `convert.quant`); NaN quantizes to the zero point.
int64_t quantizeScalar(double v, double scale, int64_t zeroPoint,
                       int64_t qmin, int64_t qmax);

//===----------------------------------------------------------------------===//
// The scale rules (shared by every back end)
//===----------------------------------------------------------------------===//

/// The output stage of a conv or matmul output channel:
/// `quantizeMultiplier(sIn * sW / sOut)` (double arithmetic).
support::Requant outputMultiplier(double sIn, double sW, double sOut);

/// The multiplier of `graph.requantize` (and of a quantized relu/clip whose
/// output parameters differ): `quantizeMultiplier(sIn / sOut)`.
support::Requant rescaleMultiplier(double sIn, double sOut);

/// The rescaling of a quantized add or sub: both inputs go to a common int32
/// scale `sCommon = max(sA, sB) / 2^shiftBits` (shiftBits = 20 for 8-bit
/// inputs, 14 for 16-bit ones, so that the sum of two inputs fits in int32),
/// are added (subtracted) exactly, and the sum goes to the output scale.
struct AddRescale {
  int shiftBits = 20;
  double commonScale = 0;
  support::Requant lhs, rhs, out;
};
AddRescale addRescale(double sA, double sB, double sOut, int inputBits);

/// A quantized mul: the product of the zero-point-free inputs is exact in
/// int32 (ISA `eltwise.mul`), then requantized by `sA * sB / sOut`.
support::Requant mulMultiplier(double sA, double sB, double sOut);

/// The integer clamp bounds [lo, hi] of a fused activation in the quantized
/// domain of an output with (scale, zero point, storage range): none keeps
/// [qmin, qmax], relu is [zp, qmax], clip(a, b) is
/// [quantizeScalar(a), quantizeScalar(b)] within [qmin, qmax].
enum class ClampKind { None, Relu, Clip };
std::pair<int64_t, int64_t> activationClamp(ClampKind kind, double a, double b,
                                            double scale, int64_t zeroPoint,
                                            int64_t qmin, int64_t qmax);

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// `graph.quantize` (ISA `convert.quant`): float (f32, f16, bf16, f64 read
/// as fp32) to the storage type of `p`.
Result<Tensor> quantize(const Tensor &x, const QuantParams &p);

/// `graph.dequantize` (ISA `convert.dequant`): `float32(q - zp) * scale` in
/// fp32, then rounded to `out` (F32, F16, BF16; F64 keeps the fp32 value).
Result<Tensor> dequantize(const Tensor &q, const QuantParams &p, DType out);

/// `q - zeroPoint` per element, exactly, as a `wide` (I32 or I64) tensor.
Result<Tensor> subtractZeroPoints(const Tensor &q, const QuantParams &p,
                                  DType wide);

/// The output stage of a quantized conv or matmul (ISA 4.4 `requant`):
///   y = sat(clamp(sat(rhaz((acc + bias[c]) * M[c] / 2^(31 + s[c])) + zp),
///                 lo, hi))
/// with c the index along `channelAxis` of `acc` (-1: one entry for all),
/// `bias` (I32 or I64, one per channel) optional. `acc` is I32 or I64.
struct OutputStage {
  std::vector<support::Requant> requants; ///< One, or one per channel.
  int64_t channelAxis = -1;
  int64_t zeroPoint = 0;
  int64_t lo = -128, hi = 127;
  DType out = DType::I8;
};
Result<Tensor> requantizeAccumulators(const Tensor &acc, const Tensor *bias,
                                      const OutputStage &stage);

/// ISA `convert.requant` from `in` to `out` parameters (per-tensor or
/// per-axis along the same axis): t = q - zpIn, y = sat(clamp(
/// requantizeOutput(t, 0, rescaleMultiplier(sIn, sOut), zpOut), lo, hi)).
Result<Tensor> requantize(const Tensor &q, const QuantParams &in,
                          const QuantParams &out, int64_t lo, int64_t hi);

/// ISA `act.lut`: y = table[q - inMin] (256 entries for 8-bit inputs).
Result<Tensor> lookupTable(const Tensor &q, const std::vector<int64_t> &table,
                           int64_t inMin, DType out);

/// Quantized add/sub with numpy broadcasting (per-tensor parameters), in the
/// ISA's steps: each input `convert.requant`ed to the common int32 scale,
/// `eltwise.add`/`sub` in int32 (saturating), `convert.requant` to the
/// output with the clamp [lo, hi].
Result<Tensor> quantizedAdd(const Tensor &a, const QuantParams &pa,
                            const Tensor &b, const QuantParams &pb,
                            const QuantParams &out, bool subtract, int64_t lo,
                            int64_t hi);

/// Quantized mul: `convert.requant` of each input to its int32
/// zero-point-free value, `eltwise.mul` in int32 (saturating),
/// `convert.requant` by mulMultiplier to the output, clamped.
Result<Tensor> quantizedMul(const Tensor &a, const QuantParams &pa,
                            const Tensor &b, const QuantParams &pb,
                            const QuantParams &out, int64_t lo, int64_t hi);

/// ISA `pool.avg` on stored integers: the exact sum of the window's taps
/// (plus `padValue` for each padded tap with countIncludePad) divided by the
/// number of taps counted, rounded half away from zero, saturated to
/// [qmin, qmax].
Result<Tensor> quantizedAvgPool(const Tensor &q, const PoolParams &p,
                                int64_t padValue, int64_t qmin, int64_t qmax);

/// ISA `reduce.mean` on stored integers: sat(rhaz(sum / n)).
Result<Tensor> quantizedReduceMean(const Tensor &q, const Shape &axes,
                                   bool keepDims, int64_t qmin, int64_t qmax);

/// Division of an exact integer sum by a positive count, rounded half away
/// from zero.
int64_t divRoundHalfAway(__int128 sum, int64_t count);

} // namespace tessel::ref

#endif // TESSEL_REFERENCE_QUANTKERNELS_H
