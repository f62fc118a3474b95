//===- Kernels.h - Reference kernels for graph ops --------------*- C++ -*-===//
//
// One function per operation family, written as plain, obviously correct
// loops. Semantics follow ONNX (numpy broadcasting, ONNX attribute meanings);
// the comments below state every choice ONNX leaves open. All parameters are
// already normalized (non-negative axes, explicit pads, full-rank vectors):
// the graph dialect's ops carry them in that form.
//
// Errors (shape mismatch, bad parameter, integer division by zero, index out
// of range, unsupported element type) come back as Result errors, never as a
// crash.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_REFERENCE_KERNELS_H
#define TESSEL_REFERENCE_KERNELS_H

#include "tessel/Reference/Tensor.h"

#include <optional>

namespace tessel::ref {

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

enum class UnaryKind {
  Identity,
  Relu,
  Sigmoid,
  Tanh,
  Erf,
  Exp,
  Log,
  Sqrt,
  Reciprocal,
  Neg,
  Abs,
  Floor,
  Ceil,
  Round, ///< Half to even, as ONNX Round.
  Sign,
  Not, ///< Bool only.
  Sin,
  Cos,
  Softplus,
  Softsign,
  HardSwish,   ///< x * max(0, min(1, x/6 + 0.5)).
  Gelu,        ///< 0.5 x (1 + erf(x / sqrt 2)).
  GeluTanh,    ///< 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  Elu,         ///< alpha.
  Selu,        ///< alpha, beta = gamma.
  LeakyRelu,   ///< alpha.
  HardSigmoid, ///< max(0, min(1, alpha x + beta)).
  Clip,        ///< min = alpha, max = beta (for integers: rounded to integers).
  Mish,        ///< x tanh(softplus(x)).
};

struct UnaryParams {
  double alpha = 0.0;
  double beta = 0.0;
};

/// Float kinds compute in double and round to the element type. On integer
/// tensors, Relu/Neg/Abs/Sign/Clip/Identity are exact (Neg and Abs wrap);
/// other kinds on integers are an error. Not requires Bool.
Result<Tensor> unary(UnaryKind kind, const Tensor &x, UnaryParams params = {});

enum class BinaryKind {
  Add,
  Sub,
  Mul,
  Div,   ///< Integers: truncation toward zero; division by zero is an error.
  Pow,   ///< Integers: exact with wrap; a negative exponent is an error.
  Max,
  Min,
  Mod,   ///< ONNX Mod fmod=0 (integers): result has the divisor's sign.
  FMod,  ///< ONNX Mod fmod=1: C fmod (result has the dividend's sign).
  PRelu, ///< x < 0 ? slope * x : x, slope broadcast to x.
  And,   ///< Bool only.
  Or,
  Xor,
  Equal, ///< Comparisons produce Bool.
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
};

/// Numpy broadcasting of two shapes; nullopt if incompatible.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b);

/// Both operands must have the same element type (Pow may have any exponent
/// type; the result has the base's type). Integer Add/Sub/Mul wrap.
Result<Tensor> binary(BinaryKind kind, const Tensor &a, const Tensor &b);

/// cond is Bool; x and y have the same element type; three-way broadcasting.
Result<Tensor> where(const Tensor &cond, const Tensor &x, const Tensor &y);

/// Float to float: rounding; float to int: saturateToInt; int to int: wrap;
/// int to float: rounding; anything to Bool: != 0.
Result<Tensor> cast(const Tensor &x, DType to);

//===----------------------------------------------------------------------===//
// Linear algebra and neural-network layers
//===----------------------------------------------------------------------===//

/// numpy.matmul semantics (1-D operands promoted and the added dim removed,
/// batch dims broadcast), then `bias` (if any) broadcast-added to the result.
/// Integer operands accumulate exactly in int64 and wrap to the result type
/// (the element type of `a`); they may differ in type (u8 x i8), float
/// operands may not. Float results round once, after the bias is added.
Result<Tensor> matmul(const Tensor &a, const Tensor &b, const Tensor *bias);

/// N-D convolution (N = rank - 2 spatial dims, N >= 1).
///   channels-first: x [N, C, D1..Dn],  w [O, C/group, K1..Kn], y [N, O, ...]
///   channels-last:  x [N, D1..Dn, C],  w [O, K1..Kn, C/group], y [N, ..., O]
/// Output size per spatial dim:
///   floor((D + padBegin + padEnd - dilation * (K - 1) - 1) / stride) + 1.
/// bias, if any, has shape [O]. Element types and rounding as for matmul.
struct ConvParams {
  Shape strides;   ///< n entries.
  Shape dilations; ///< n entries.
  Shape padsBegin; ///< n entries.
  Shape padsEnd;   ///< n entries.
  int64_t group = 1;
  bool channelsLast = false;
};
Result<Tensor> conv(const Tensor &x, const Tensor &w, const Tensor *bias,
                    const ConvParams &p);

/// N-D transposed convolution (ONNX ConvTranspose with explicit pads).
///   channels-first: x [N, C, D...], w [C, O/group, K...], y [N, O, ...]
///   channels-last:  x [N, D..., C], w [C, K..., O/group], y [N, ..., O]
/// Output size: stride * (D - 1) + outputPadding + dilation * (K - 1) + 1
///              - padBegin - padEnd.
/// Output position i * stride + k * dilation - padBegin receives x[i] w[k].
/// Pads may be negative here (positions nothing reaches, which ONNX's
/// output_shape can ask for); the output must have at least one element
/// per spatial dim.
struct ConvTransposeParams {
  ConvParams conv;
  Shape outputPadding; ///< n entries.
};
Result<Tensor> convTranspose(const Tensor &x, const Tensor &w,
                             const Tensor *bias, const ConvTransposeParams &p);

/// N-D pooling. Output size per spatial dim:
///   (D + padBegin + padEnd - dilation * (K - 1) - 1) / stride + 1, with the
///   division rounded down, or up when ceilMode; with ceilMode a window that
///   would start inside the end padding only is dropped (ONNX/PyTorch rule).
/// Max pooling ignores padding. Average pooling divides by the count of
/// in-bounds elements, or by the count of elements inside the explicitly
/// padded input when countIncludePad (positions past the end padding that
/// ceilMode adds never count); on integers it truncates toward zero.
struct PoolParams {
  Shape kernel;
  Shape strides;
  Shape dilations;
  Shape padsBegin;
  Shape padsEnd;
  bool ceilMode = false;
  bool countIncludePad = false;
  bool channelsLast = false;
  /// Integer average pooling as the NPU's `pool.avg`: the quotient rounds
  /// half away from zero (instead of truncating), and with countIncludePad
  /// each padded tap adds `padValue` (a quantized tensor's zero point).
  bool roundHalfAway = false;
  int64_t padValue = 0;
};
Result<Tensor> maxPool(const Tensor &x, const PoolParams &p);
Result<Tensor> avgPool(const Tensor &x, const PoolParams &p);

/// Inference batch normalization; scale/bias/mean/var have shape [C] where C
/// is dim 1 (channels-first) or the last dim (channels-last).
Result<Tensor> batchNorm(const Tensor &x, const Tensor &scale,
                         const Tensor &bias, const Tensor &mean,
                         const Tensor &var, double epsilon, bool channelsLast);

/// ONNX LayerNormalization: normalize over dims [axis, rank); scale and bias
/// (optional) broadcast to those dims.
Result<Tensor> layerNorm(const Tensor &x, const Tensor &scale,
                         const Tensor *bias, int64_t axis, double epsilon);

/// Softmax (or log-softmax) along one axis (opset-13 semantics).
Result<Tensor> softmax(const Tensor &x, int64_t axis, bool logSoftmax);

enum class ReduceKind { Sum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSumExp };
/// Reduces over `axes` (sorted, unique, in range). An empty `axes` reduces
/// nothing (ONNX noop_with_empty_axes=1); callers expand "all axes"
/// themselves. Integer Mean truncates toward zero; L2 and LogSumExp need
/// floats.
Result<Tensor> reduce(ReduceKind kind, const Tensor &x, const Shape &axes,
                      bool keepDims);

/// ArgMax/ArgMin along `axis`; result element type I64. Ties pick the first
/// index, or the last when selectLastIndex.
Result<Tensor> argReduce(bool isMax, const Tensor &x, int64_t axis,
                         bool keepDims, bool selectLastIndex);

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// y.shape[i] = x.shape[perm[i]].
Result<Tensor> transpose(const Tensor &x, const Shape &perm);
Result<Tensor> reshape(const Tensor &x, const Shape &shape);
/// All inputs share the element type and every dim but `axis`.
Result<Tensor> concat(const std::vector<const Tensor *> &inputs, int64_t axis);
Result<std::vector<Tensor>> split(const Tensor &x, int64_t axis,
                                  const Shape &sizes);
/// Strided slice in normalized form: for each dim i, output element j reads
/// input index starts[i] + j * steps[i]; outShape gives the count per dim.
/// steps may be negative; every index read must be in range.
Result<Tensor> slice(const Tensor &x, const Shape &starts, const Shape &steps,
                     const Shape &outShape);
/// ONNX Gather: indices (I32 or I64; negative counts from the end) along
/// `axis`; out-of-range indices are an error.
Result<Tensor> gather(const Tensor &x, const Tensor &indices, int64_t axis);
/// ONNX GatherElements.
Result<Tensor> gatherElements(const Tensor &x, const Tensor &indices,
                              int64_t axis);
/// Numpy broadcast of x to `shape` (which must be broadcast-compatible and
/// equal to the broadcast of x's shape and itself).
Result<Tensor> broadcastTo(const Tensor &x, const Shape &shape);
Result<Tensor> tile(const Tensor &x, const Shape &repeats);

enum class PadMode { Constant, Reflect, Edge, Wrap };
/// Negative pads crop first; positive pads then extend the cropped tensor
/// (Reflect and Wrap repeat periodically, as numpy.pad). `value` is used by
/// Constant mode.
Result<Tensor> pad(const Tensor &x, const Shape &padsBegin,
                   const Shape &padsEnd, PadMode mode, double value);

/// ONNX Resize (opset 11+ semantics) with sizes already resolved.
struct ResizeParams {
  enum class Mode { Nearest, Linear, Cubic };
  enum class CoordMode {
    HalfPixel,
    HalfPixelSymmetric,
    PytorchHalfPixel,
    AlignCorners,
    Asymmetric,
    TfCropAndResize
  };
  enum class NearestMode { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };
  Mode mode = Mode::Nearest;
  CoordMode coordMode = CoordMode::HalfPixel;
  NearestMode nearestMode = NearestMode::RoundPreferFloor;
  double cubicCoeffA = -0.75;
  bool excludeOutside = false;
  double extrapolationValue = 0.0;
  std::vector<double> scales; ///< One per dim (output / input by default).
  Shape outShape;             ///< One per dim.
  std::vector<double> roi;    ///< 2 * rank entries, TfCropAndResize only.
};
/// The interpolation plan of one dim: for each output index, up to four
/// weighted input taps (or `extrapolate` for tf_crop_and_resize outside the
/// input). Interpolation is separable, one dim at a time, innermost first;
/// back ends reproduce the reference by applying the same plans.
struct ResizeTaps {
  bool extrapolate = false;
  int count = 0;
  int64_t index[4] = {0, 0, 0, 0};
  double weight[4] = {0, 0, 0, 0};
};
/// Validates `p` against an input of `inShape` and `dtype`, and plans every
/// dim.
Result<std::vector<std::vector<ResizeTaps>>>
resizePlans(const ResizeParams &p, const Shape &inShape, DType dtype);
/// Whether a dim's plan maps output o to input o with weight 1 (no pass).
bool resizeDimIsIdentity(const std::vector<ResizeTaps> &plan, int64_t inSize);

/// Linear and cubic interpolate every dim whose size changes (n-linear) and
/// need floats; Nearest copies any element type. excludeOutside does not
/// apply to Nearest.
Result<Tensor> resize(const Tensor &x, const ResizeParams &p);

/// ONNX DepthToSpace (DCR or CRD) and SpaceToDepth, channels-first 4-D.
/// SpaceToDepth is the inverse of DepthToSpace in the same mode; without a
/// mode it is DCR (ONNX's only order before opset 28).
Result<Tensor> depthToSpace(const Tensor &x, int64_t blockSize, bool crdMode);
Result<Tensor> spaceToDepth(const Tensor &x, int64_t blockSize);
Result<Tensor> spaceToDepth(const Tensor &x, int64_t blockSize, bool crdMode);

} // namespace tessel::ref

#endif // TESSEL_REFERENCE_KERNELS_H
