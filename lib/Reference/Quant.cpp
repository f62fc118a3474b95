//===- Quant.cpp - Bit-exact integer reference kernels --------------------===//
//
// Every formula here is an instruction of docs/npu-isa.md written out on
// whole tensors; the comments name the instruction. Products and sums are
// formed exactly (64 or 128 bits) before any rounding, as the ISA states.
//
//===----------------------------------------------------------------------===//
#include "tessel/Reference/QuantKernels.h"

#include "KernelSupport.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessel::ref {
using namespace detail;
using support::Requant;

namespace {

/// The range of an integer storage type.
std::pair<int64_t, int64_t> storageRange(DType t) {
  int bits = bitWidth(t);
  if (!isSigned(t))
    return {0, bits >= 63 ? std::numeric_limits<int64_t>::max()
                          : (int64_t(1) << bits) - 1};
  if (bits >= 64)
    return {std::numeric_limits<int64_t>::min(),
            std::numeric_limits<int64_t>::max()};
  return {-(int64_t(1) << (bits - 1)), (int64_t(1) << (bits - 1)) - 1};
}

int64_t clampTo(__int128 v, int64_t lo, int64_t hi) {
  if (v < lo)
    return lo;
  if (v > hi)
    return hi;
  return static_cast<int64_t>(v);
}

/// Saturation to a storage type (sat_T of the ISA).
int64_t saturateTo(__int128 v, DType t) {
  return support::saturateInt(v, bitWidth(t), isSigned(t));
}

bool isIntegerStorage(DType t) { return isInteger(t); }

} // namespace

QuantParams QuantParams::perTensor(DType storage, double scale,
                                   int64_t zeroPoint) {
  auto [lo, hi] = storageRange(storage);
  return perTensor(storage, scale, zeroPoint, lo, hi);
}

QuantParams QuantParams::perTensor(DType storage, double scale,
                                   int64_t zeroPoint, int64_t qmin,
                                   int64_t qmax) {
  QuantParams p;
  p.storage = storage;
  p.qmin = qmin;
  p.qmax = qmax;
  p.scales = {scale};
  p.zeroPoints = {zeroPoint};
  return p;
}

std::optional<std::string> checkQuantParams(const QuantParams &p,
                                            const Shape &shape) {
  if (!isIntegerStorage(p.storage))
    return str("quantized storage must be an integer type, got ", p.storage);
  auto [lo, hi] = storageRange(p.storage);
  if (p.qmin < lo || p.qmax > hi || p.qmin > p.qmax)
    return str("quantized range [", p.qmin, ", ", p.qmax,
               "] is not within the storage type ", p.storage);
  if (p.scales.empty() || p.scales.size() != p.zeroPoints.size())
    return str("expected as many zero points as scales, got ",
               p.zeroPoints.size(), " and ", p.scales.size());
  for (double s : p.scales)
    if (!(s > 0) || !std::isfinite(s))
      return str("quantization scales must be positive and finite, got ", s);
  for (int64_t z : p.zeroPoints)
    if (z < lo || z > hi)
      return str("zero point ", z, " is outside the storage type ",
                 p.storage);
  int64_t rank = static_cast<int64_t>(shape.size());
  if (!p.blockSizes.empty()) {
    if (static_cast<int64_t>(p.blockSizes.size()) != rank ||
        static_cast<int64_t>(p.tableShape.size()) != rank)
      return str("block sizes and the parameter table must have rank ", rank);
    int64_t n = 1;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t b = p.blockSizes[d];
      int64_t rows = b <= 0 ? 1 : ceilDiv(shape[d], b);
      if (p.tableShape[d] != rows)
        return str("dim ", d, " of size ", shape[d], " in blocks of ", b,
                   " needs ", rows, " parameter rows, got ", p.tableShape[d]);
      n *= p.tableShape[d];
    }
    if (static_cast<int64_t>(p.scales.size()) != n)
      return str("the parameter table has ", p.scales.size(),
                 " entries, expected ", n);
    return std::nullopt;
  }
  if (p.axis < 0) {
    if (p.scales.size() != 1)
      return str("per-tensor quantization needs one scale, got ",
                 p.scales.size());
    return std::nullopt;
  }
  if (p.axis >= rank)
    return str("quantization axis ", p.axis, " is out of range for rank ",
               rank);
  if (static_cast<int64_t>(p.scales.size()) != shape[p.axis])
    return str("per-axis quantization along dim ", p.axis, " of size ",
               shape[p.axis], " has ", p.scales.size(), " scales");
  return std::nullopt;
}

std::vector<int64_t> quantParamIndices(const QuantParams &p,
                                       const Shape &shape) {
  int64_t n = numElements(shape);
  std::vector<int64_t> idx(n, 0);
  if (p.isPerTensor() || n == 0)
    return idx;
  int64_t rank = static_cast<int64_t>(shape.size());
  Shape strides = stridesOf(shape);
  if (p.blockSizes.empty()) {
    int64_t inner = strides[p.axis], dim = shape[p.axis];
    for (int64_t i = 0; i < n; ++i)
      idx[i] = (i / inner) % dim;
    return idx;
  }
  Shape tableStrides = stridesOf(p.tableShape);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rest = i, t = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t coord = rest / strides[d];
      rest %= strides[d];
      int64_t b = p.blockSizes[d];
      t += (b <= 0 ? 0 : coord / b) * tableStrides[d];
    }
    idx[i] = t;
  }
  return idx;
}

int64_t quantizeScalar(double v, double scale, int64_t zeroPoint,
                       int64_t qmin, int64_t qmax) {
  float q = static_cast<float>(v) / static_cast<float>(scale);
  if (std::isnan(q))
    return clampTo(zeroPoint, qmin, qmax);
  // Round half to even (the default rounding mode), then offset and
  // saturate; doubles hold every integer-valued float exactly.
  double r = static_cast<double>(std::nearbyint(q)) +
             static_cast<double>(zeroPoint);
  if (r <= static_cast<double>(qmin))
    return qmin;
  if (r >= static_cast<double>(qmax))
    return qmax;
  return static_cast<int64_t>(r);
}

//===----------------------------------------------------------------------===//
// Scale rules
//===----------------------------------------------------------------------===//

Requant outputMultiplier(double sIn, double sW, double sOut) {
  return support::quantizeMultiplier(sIn * sW / sOut);
}

Requant rescaleMultiplier(double sIn, double sOut) {
  return support::quantizeMultiplier(sIn / sOut);
}

AddRescale addRescale(double sA, double sB, double sOut, int inputBits) {
  AddRescale r;
  r.shiftBits = inputBits <= 8 ? 20 : 14;
  r.commonScale = std::ldexp(std::max(sA, sB), -r.shiftBits);
  r.lhs = support::quantizeMultiplier(sA / r.commonScale);
  r.rhs = support::quantizeMultiplier(sB / r.commonScale);
  r.out = support::quantizeMultiplier(r.commonScale / sOut);
  return r;
}

Requant mulMultiplier(double sA, double sB, double sOut) {
  return support::quantizeMultiplier(sA * sB / sOut);
}

std::pair<int64_t, int64_t> activationClamp(ClampKind kind, double a, double b,
                                            double scale, int64_t zeroPoint,
                                            int64_t qmin, int64_t qmax) {
  switch (kind) {
  case ClampKind::None:
    return {qmin, qmax};
  case ClampKind::Relu:
    return {quantizeScalar(0.0, scale, zeroPoint, qmin, qmax), qmax};
  case ClampKind::Clip:
    return {std::isinf(a) && a < 0
                ? qmin
                : quantizeScalar(a, scale, zeroPoint, qmin, qmax),
            std::isinf(b) && b > 0
                ? qmax
                : quantizeScalar(b, scale, zeroPoint, qmin, qmax)};
  }
  return {qmin, qmax};
}

int64_t divRoundHalfAway(__int128 sum, int64_t count) {
  __int128 mag = sum < 0 ? -sum : sum;
  __int128 q = (2 * mag + count) / (2 * static_cast<__int128>(count));
  return static_cast<int64_t>(sum < 0 ? -q : q);
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

static std::optional<Failure> checkQuantOperand(const char *op,
                                                const Tensor &t,
                                                const QuantParams &p,
                                                bool wantFloat) {
  if (std::optional<Failure> err = malformed(op, {{&t, "x"}}))
    return err;
  if (wantFloat != t.isFloat())
    return fail(op, ": expected a ", wantFloat ? "float" : "integer",
                " tensor, got ", t.typeString());
  if (!wantFloat && t.dtype() != p.storage)
    return fail(op, ": tensor ", t.typeString(),
                " does not have the storage type ", p.storage);
  if (std::optional<std::string> err = checkQuantParams(p, t.shape()))
    return fail(op, ": ", *err);
  return std::nullopt;
}

Result<Tensor> quantize(const Tensor &x, const QuantParams &p) {
  if (std::optional<Failure> err = checkQuantOperand("quantize", x, p, true))
    return *err;
  std::vector<int64_t> idx = quantParamIndices(p, x.shape());
  Tensor y(p.storage, x.shape());
  for (int64_t i = 0, e = x.numel(); i < e; ++i)
    y.ints()[i] = quantizeScalar(x.floats()[i], p.scales[idx[i]],
                                 p.zeroPoints[idx[i]], p.qmin, p.qmax);
  return y;
}

Result<Tensor> dequantize(const Tensor &q, const QuantParams &p, DType out) {
  if (std::optional<Failure> err =
          checkQuantOperand("dequantize", q, p, false))
    return *err;
  if (!tessel::ref::isFloat(out))
    return fail("dequantize: the result type must be a float type, got ",
                out);
  std::vector<int64_t> idx = quantParamIndices(p, q.shape());
  Tensor y(out, q.shape());
  for (int64_t i = 0, e = q.numel(); i < e; ++i) {
    int64_t d = q.ints()[i] - p.zeroPoints[idx[i]];
    float r = static_cast<float>(d) * static_cast<float>(p.scales[idx[i]]);
    y.setF(i, static_cast<double>(r));
  }
  return y;
}

Result<Tensor> subtractZeroPoints(const Tensor &q, const QuantParams &p,
                                  DType wide) {
  if (std::optional<Failure> err =
          checkQuantOperand("subtract zero points", q, p, false))
    return *err;
  std::vector<int64_t> idx = quantParamIndices(p, q.shape());
  Tensor y(wide, q.shape());
  for (int64_t i = 0, e = q.numel(); i < e; ++i)
    y.setI(i, q.ints()[i] - p.zeroPoints[idx[i]]);
  return y;
}

Result<Tensor> requantizeAccumulators(const Tensor &acc, const Tensor *bias,
                                      const OutputStage &s) {
  if (std::optional<Failure> err =
          malformed("requantize", {{&acc, "acc"}, {bias, "bias"}}))
    return *err;
  if (acc.dtype() != DType::I32 && acc.dtype() != DType::I64)
    return fail("requantize: accumulators must be i32 or i64, got ",
                acc.typeString());
  if (s.channelAxis >= acc.rank())
    return fail("requantize: channel axis ", s.channelAxis,
                " is out of range for ", acc.typeString());
  int64_t channels = s.channelAxis < 0 ? 1 : acc.dim(s.channelAxis);
  if (s.requants.size() != 1 &&
      static_cast<int64_t>(s.requants.size()) != channels)
    return fail("requantize: ", s.requants.size(), " multipliers for ",
                channels, " channels");
  if (bias && (bias->isFloat() || bias->numel() != channels))
    return fail("requantize: bias ", bias->typeString(), " must hold ",
                channels, " integers");
  int64_t inner = 1;
  if (s.channelAxis >= 0)
    inner = stridesOf(acc.shape())[s.channelAxis];
  int bits = bitWidth(s.out);
  bool isSignedOut = isSigned(s.out);
  Tensor y(s.out, acc.shape());
  for (int64_t i = 0, e = acc.numel(); i < e; ++i) {
    int64_t c = s.channelAxis < 0 ? 0 : (i / inner) % channels;
    const Requant &r = s.requants.size() == 1 ? s.requants[0] : s.requants[c];
    int64_t b = bias ? bias->ints()[c] : 0;
    int64_t v = support::requantizeOutput(acc.ints()[i], b, r, s.zeroPoint,
                                          bits, isSignedOut);
    y.ints()[i] = saturateTo(clampTo(v, s.lo, s.hi), s.out);
  }
  return y;
}

Result<Tensor> requantize(const Tensor &q, const QuantParams &in,
                          const QuantParams &out, int64_t lo, int64_t hi) {
  if (std::optional<Failure> err =
          checkQuantOperand("requantize", q, in, false))
    return *err;
  if (std::optional<std::string> err = checkQuantParams(out, q.shape()))
    return fail("requantize: ", *err);
  std::vector<int64_t> ii = quantParamIndices(in, q.shape());
  std::vector<int64_t> oi = quantParamIndices(out, q.shape());
  int bits = bitWidth(out.storage);
  bool isSignedOut = isSigned(out.storage);
  Tensor y(out.storage, q.shape());
  for (int64_t i = 0, e = q.numel(); i < e; ++i) {
    int64_t t = q.ints()[i] - in.zeroPoints[ii[i]];
    Requant r = rescaleMultiplier(in.scales[ii[i]], out.scales[oi[i]]);
    int64_t v = support::requantizeOutput(t, 0, r, out.zeroPoints[oi[i]], bits,
                                          isSignedOut);
    y.ints()[i] = saturateTo(clampTo(v, lo, hi), out.storage);
  }
  return y;
}

Result<Tensor> lookupTable(const Tensor &q, const std::vector<int64_t> &table,
                           int64_t inMin, DType out) {
  if (std::optional<Failure> err = malformed("lut", {{&q, "x"}}))
    return *err;
  if (q.isFloat())
    return unsupported("lut", q);
  Tensor y(out, q.shape());
  for (int64_t i = 0, e = q.numel(); i < e; ++i) {
    int64_t k = q.ints()[i] - inMin;
    if (k < 0 || k >= static_cast<int64_t>(table.size()))
      return fail("lut: value ", q.ints()[i], " is outside the ",
                  table.size(), "-entry table starting at ", inMin);
    y.setI(i, table[k]);
  }
  return y;
}

namespace {

/// Applies `fn(a, b)` (stored integers) over the numpy broadcast of `a` and
/// `b`, writing integer results of type `out`.
template <typename Fn>
Result<Tensor> broadcastInts(const char *op, const Tensor &a,
                             const Tensor &b, DType out, Fn fn) {
  if (std::optional<Failure> err = malformed(op, {{&a, "a"}, {&b, "b"}}))
    return *err;
  std::optional<Shape> shape = broadcastShapes(a.shape(), b.shape());
  if (!shape)
    return fail(op, ": shapes ", a.shape(), " and ", b.shape(),
                " do not broadcast");
  Tensor y(out, *shape);
  std::array<Shape, 2> strides = {broadcastStrides(a.shape(), *shape),
                                  broadcastStrides(b.shape(), *shape)};
  const int64_t *ap = a.ints().data(), *bp = b.ints().data();
  forEachOffset(*shape, strides,
                [&](int64_t i, const std::array<int64_t, 2> &off) {
                  y.ints()[i] = fn(ap[off[0]], bp[off[1]]);
                });
  return y;
}

std::optional<Failure> checkBinary(const char *op, const Tensor &a,
                                   const QuantParams &pa, const Tensor &b,
                                   const QuantParams &pb,
                                   const QuantParams &out) {
  for (auto [t, p] : {std::pair(&a, &pa), std::pair(&b, &pb)})
    if (std::optional<Failure> err = checkQuantOperand(op, *t, *p, false))
      return err;
  if (!pa.isPerTensor() || !pb.isPerTensor() || !out.isPerTensor())
    return fail(op, ": quantized elementwise ops need per-tensor parameters");
  if (std::optional<std::string> err = checkQuantParams(out, {}))
    return fail(op, ": ", *err);
  return std::nullopt;
}

constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

/// ISA `convert.requant` into i32 with zpout 0 and the full i32 clamp.
int64_t toInt32Scale(int64_t q, int64_t zp, Requant r) {
  return support::requantizeOutput(q - zp, 0, r, 0, 32, true);
}

} // namespace

Result<Tensor> quantizedAdd(const Tensor &a, const QuantParams &pa,
                            const Tensor &b, const QuantParams &pb,
                            const QuantParams &out, bool subtract, int64_t lo,
                            int64_t hi) {
  const char *op = subtract ? "quantized sub" : "quantized add";
  if (std::optional<Failure> err = checkBinary(op, a, pa, b, pb, out))
    return *err;
  AddRescale r =
      addRescale(pa.scales[0], pb.scales[0], out.scales[0],
                 std::max(bitWidth(pa.storage), bitWidth(pb.storage)));
  int64_t za = pa.zeroPoints[0], zb = pb.zeroPoints[0];
  int64_t zo = out.zeroPoints[0];
  int bits = bitWidth(out.storage);
  bool isSignedOut = isSigned(out.storage);
  return broadcastInts(op, a, b, out.storage, [&](int64_t x, int64_t y) {
    int64_t x32 = toInt32Scale(x, za, r.lhs);
    int64_t y32 = toInt32Scale(y, zb, r.rhs);
    int64_t s = clampTo(subtract ? __int128(x32) - y32 : __int128(x32) + y32,
                        kI32Min, kI32Max);
    int64_t v = support::requantizeOutput(s, 0, r.out, zo, bits, isSignedOut);
    return saturateTo(clampTo(v, lo, hi), out.storage);
  });
}

Result<Tensor> quantizedMul(const Tensor &a, const QuantParams &pa,
                            const Tensor &b, const QuantParams &pb,
                            const QuantParams &out, int64_t lo, int64_t hi) {
  if (std::optional<Failure> err =
          checkBinary("quantized mul", a, pa, b, pb, out))
    return *err;
  Requant m = mulMultiplier(pa.scales[0], pb.scales[0], out.scales[0]);
  int64_t za = pa.zeroPoints[0], zb = pb.zeroPoints[0];
  int64_t zo = out.zeroPoints[0];
  int bits = bitWidth(out.storage);
  bool isSignedOut = isSigned(out.storage);
  return broadcastInts(
      "quantized mul", a, b, out.storage, [&](int64_t x, int64_t y) {
        int64_t p = clampTo(__int128(x - za) * (y - zb), kI32Min, kI32Max);
        int64_t v = support::requantizeOutput(p, 0, m, zo, bits, isSignedOut);
        return saturateTo(clampTo(v, lo, hi), out.storage);
      });
}

Result<Tensor> quantizedAvgPool(const Tensor &q, const PoolParams &p,
                                int64_t padValue, int64_t qmin,
                                int64_t qmax) {
  if (q.isFloat())
    return unsupported("quantized avg_pool", q);
  PoolParams rp = p;
  rp.roundHalfAway = true;
  rp.padValue = padValue;
  Result<Tensor> r = avgPool(q, rp);
  if (!r)
    return r;
  for (int64_t &v : r->ints())
    v = clampTo(v, qmin, qmax);
  return r;
}

Result<Tensor> quantizedReduceMean(const Tensor &q, const Shape &axes,
                                   bool keepDims, int64_t qmin, int64_t qmax) {
  if (std::optional<Failure> err = malformed("quantized mean", {{&q, "x"}}))
    return *err;
  if (q.isFloat())
    return unsupported("quantized reduce_mean", q);
  Tensor wide(DType::I64, q.shape());
  wide.ints() = q.ints();
  Result<Tensor> sum = reduce(ReduceKind::Sum, wide, axes, keepDims);
  if (!sum)
    return sum;
  int64_t count = 1;
  for (int64_t a : axes)
    count *= q.dim(a);
  Tensor y(q.dtype(), sum->shape());
  for (int64_t i = 0, e = y.numel(); i < e; ++i)
    y.ints()[i] =
        count == 0 ? 0
                   : clampTo(divRoundHalfAway(sum->ints()[i], count), qmin,
                             qmax);
  return y;
}

} // namespace tessel::ref
