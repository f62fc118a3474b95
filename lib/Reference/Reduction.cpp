//===- Reduction.cpp - Reductions and ArgMax/ArgMin -----------------------===//
//
// One pass over the input in row-major order, each element accumulated into
// its output cell (the output strides are 0 along reduced dims). Floats
// accumulate in double; integers exactly in 128 bits, wrapped when stored.
//
// Reducing over no axes reduces each element alone, which is what ONNX's
// reference does with noop_with_empty_axes=1: Sum, Mean, Max, Min, Prod and
// LogSumExp return x; L1 and L2 return |x|; SumSquare returns x^2.
// Reducing an empty set gives the ONNX identities: Sum 0, Prod 1, Max -inf
// (or the type's minimum), Min +inf (or the maximum), LogSumExp -inf, L1/L2/
// SumSquare 0; float Mean is NaN and integer Mean an error.
//
//===----------------------------------------------------------------------===//
#include "KernelSupport.h"

#include <cmath>
#include <limits>

namespace tessel::ref {
using namespace detail;

namespace {

const char *reduceName(ReduceKind k) {
  switch (k) {
  case ReduceKind::Sum:
    return "ReduceSum";
  case ReduceKind::Mean:
    return "ReduceMean";
  case ReduceKind::Max:
    return "ReduceMax";
  case ReduceKind::Min:
    return "ReduceMin";
  case ReduceKind::Prod:
    return "ReduceProd";
  case ReduceKind::L1:
    return "ReduceL1";
  case ReduceKind::L2:
    return "ReduceL2";
  case ReduceKind::SumSquare:
    return "ReduceSumSquare";
  case ReduceKind::LogSumExp:
    return "ReduceLogSumExp";
  }
  return "Reduce";
}

/// The smallest and largest values of an integer type.
__int128 intTypeMin(DType t) {
  if (!isSigned(t))
    return 0;
  return -(static_cast<__int128>(1) << (bitWidth(t) - 1));
}
__int128 intTypeMax(DType t) {
  int bits = bitWidth(t) - (isSigned(t) ? 1 : 0);
  return (static_cast<__int128>(1) << bits) - 1;
}

/// The accumulator's start (LogSumExp accumulates sum(exp(x - max))).
double reduceInitF(ReduceKind k) {
  switch (k) {
  case ReduceKind::Max:
    return -INFINITY;
  case ReduceKind::Min:
    return INFINITY;
  case ReduceKind::Prod:
    return 1.0;
  default:
    return 0.0;
  }
}

Tensor reduceFloat(ReduceKind kind, const Tensor &x, const Shape &keepShape,
                   const Shape &outShape, const Shape &outStrides,
                   int64_t count) {
  int64_t nOut = numElements(keepShape);
  std::vector<double> acc(nOut, reduceInitF(kind));
  const double *xp = x.floats().data();
  std::array<Shape, 1> str = {outStrides};
  std::vector<double> maxes;
  if (kind == ReduceKind::LogSumExp) {
    // First pass: the max, subtracted before exp() for range.
    maxes.assign(nOut, -INFINITY);
    forEachOffset(x.shape(), str, [&](int64_t i, const auto &off) {
      double &m = maxes[off[0]];
      m = xp[i] > m ? xp[i] : m;
    });
  }
  forEachOffset(x.shape(), str, [&](int64_t i, const auto &off) {
    double v = xp[i];
    double &a = acc[off[0]];
    switch (kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean:
      a += v;
      break;
    case ReduceKind::Max: // NaN, once seen, sticks.
      a = (v > a || std::isnan(v)) ? v : a;
      break;
    case ReduceKind::Min:
      a = (v < a || std::isnan(v)) ? v : a;
      break;
    case ReduceKind::Prod:
      a *= v;
      break;
    case ReduceKind::L1:
      a += std::fabs(v);
      break;
    case ReduceKind::L2:
    case ReduceKind::SumSquare:
      a += v * v;
      break;
    case ReduceKind::LogSumExp: {
      double m = maxes[off[0]];
      a += std::isinf(m) ? 0.0 : std::exp(v - m);
      break;
    }
    }
  });
  Tensor y(x.dtype(), outShape);
  for (int64_t o = 0; o < nOut; ++o) {
    double r = acc[o];
    if (kind == ReduceKind::Mean)
      r /= static_cast<double>(count);
    else if (kind == ReduceKind::L2)
      r = std::sqrt(r);
    else if (kind == ReduceKind::LogSumExp)
      r = std::isinf(maxes[o]) ? maxes[o] : maxes[o] + std::log(r);
    y.setF(o, r);
  }
  return y;
}

Tensor reduceInt(ReduceKind kind, const Tensor &x, const Shape &keepShape,
                 const Shape &outShape, const Shape &outStrides,
                 int64_t count) {
  DType t = x.dtype();
  __int128 init = kind == ReduceKind::Max    ? intTypeMin(t)
                  : kind == ReduceKind::Min  ? intTypeMax(t)
                  : kind == ReduceKind::Prod ? 1
                                             : 0;
  std::vector<__int128> acc(numElements(keepShape), init);
  const int64_t *xp = x.ints().data();
  std::array<Shape, 1> str = {outStrides};
  forEachOffset(x.shape(), str, [&](int64_t i, const auto &off) {
    __int128 v = wideInt(t, xp[i]);
    __int128 &a = acc[off[0]];
    switch (kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean:
      a += v;
      break;
    case ReduceKind::Max:
      a = v > a ? v : a;
      break;
    case ReduceKind::Min:
      a = v < a ? v : a;
      break;
    case ReduceKind::Prod:
      a = mulWrap(a, v);
      break;
    case ReduceKind::L1:
      a += v < 0 ? -v : v;
      break;
    case ReduceKind::SumSquare:
      a = static_cast<__int128>(static_cast<uint64_t>(a) +
                                static_cast<uint64_t>(mulWrap(v, v)));
      break;
    default: // L2 and LogSumExp are rejected before.
      break;
    }
  });
  Tensor y(t, outShape);
  for (size_t o = 0; o < acc.size(); ++o)
    storeWide(y, o, kind == ReduceKind::Mean ? acc[o] / count : acc[o]);
  return y;
}

} // namespace

Result<Tensor> reduce(ReduceKind kind, const Tensor &x, const Shape &axes,
                      bool keepDims) {
  const char *op = reduceName(kind);
  if (std::optional<Failure> err = malformed(op, {{&x, "x"}}))
    return *err;
  if (x.dtype() == DType::Bool) {
    // Max is "any", Min is "all" (empty: false and true): reduce as u8,
    // whose empty-set identities are 0 and 255.
    if (kind != ReduceKind::Max && kind != ReduceKind::Min)
      return unsupported(op, x);
    Tensor u8(DType::U8, x.shape());
    u8.ints() = x.ints();
    Result<Tensor> r = reduce(kind, u8, axes, keepDims);
    if (!r)
      return r;
    Tensor b(DType::Bool, r->shape());
    for (int64_t i = 0; i < b.numel(); ++i)
      b.setI(i, r->getI(i));
    return b;
  }
  if (!x.isFloat() && (kind == ReduceKind::L2 || kind == ReduceKind::LogSumExp))
    return unsupported(op, x);
  int64_t rank = x.rank();
  std::vector<bool> reduced(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (!axisInRange(axes[i], rank))
      return fail(op, ": axis ", axes[i], " is out of range for x ",
                  x.typeString());
    if (i > 0 && axes[i] <= axes[i - 1])
      return fail(op, ": axes must be sorted and unique, got ",
                  shapeToString(axes), " (as a list)");
    reduced[axes[i]] = true;
  }
  Shape keepShape, outShape;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      count *= x.dim(d);
      keepShape.push_back(1);
      if (keepDims)
        outShape.push_back(1);
    } else {
      keepShape.push_back(x.dim(d));
      outShape.push_back(x.dim(d));
    }
  }
  Shape outStrides = stridesOf(keepShape);
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d])
      outStrides[d] = 0;
  if (x.isFloat())
    return reduceFloat(kind, x, keepShape, outShape, outStrides, count);
  if (kind == ReduceKind::Mean && count == 0 && numElements(keepShape) > 0)
    return fail(op, ": integer mean over an empty set (reduced dims of x ",
                x.typeString(), " have no elements)");
  return reduceInt(kind, x, keepShape, outShape, outStrides, count);
}

Result<Tensor> argReduce(bool isMax, const Tensor &x, int64_t axis,
                         bool keepDims, bool selectLastIndex) {
  const char *op = isMax ? "ArgMax" : "ArgMin";
  if (std::optional<Failure> err = malformed(op, {{&x, "x"}}))
    return *err;
  if (!axisInRange(axis, x.rank()))
    return fail(op, ": axis ", axis, " is out of range for x ", x.typeString());
  int64_t len = x.dim(axis), outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d)
    inner *= x.dim(d);
  Shape outShape = x.shape();
  if (keepDims)
    outShape[axis] = 1;
  else
    outShape.erase(outShape.begin() + axis);
  if (len == 0 && outer * inner > 0)
    return fail(op, ": axis ", axis, " of x ", x.typeString(),
                " is empty: no index to return");
  Tensor y(DType::I64, outShape);
  DType t = x.dtype();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      int64_t base = o * len * inner + in, best = 0;
      for (int64_t j = 1; j < len; ++j) {
        int64_t cur = base + j * inner, prev = base + best * inner;
        bool better, tie;
        if (x.isFloat()) {
          // NaN is the extreme of both orders (numpy's argmax/argmin).
          double v = x.floats()[cur], b = x.floats()[prev];
          bool vNan = std::isnan(v), bNan = std::isnan(b);
          better = (vNan && !bNan) || (!bNan && (isMax ? v > b : v < b));
          tie = (vNan && bNan) || v == b;
        } else {
          __int128 v = wideInt(t, x.ints()[cur]),
                   b = wideInt(t, x.ints()[prev]);
          better = isMax ? v > b : v < b;
          tie = v == b;
        }
        if (better || (tie && selectLastIndex))
          best = j;
      }
      y.ints()[o * inner + in] = best;
    }
  }
  return y;
}

} // namespace tessel::ref
