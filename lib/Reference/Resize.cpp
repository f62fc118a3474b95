//===- Resize.cpp - ONNX Resize (nearest, n-linear, n-cubic) --------------===//
//
// Each dim maps output index o to a fractional input coordinate by the
// coordinate transformation mode (ONNX formulas, with length_resized the
// integer output size), then to a few weighted input taps. Interpolation is
// separable: one pass per dim, innermost dim first, which is the order the
// ONNX reference nests its 1-D interpolations in. Neighbours outside the
// input take the edge value (the reference pads with "edge"); with
// excludeOutside their weights are dropped and the rest renormalized.
// Nearest copies stored values exactly and works on every element type.
//
//===----------------------------------------------------------------------===//
#include "KernelSupport.h"

#include <algorithm>
#include <cmath>

namespace tessel::ref {
using namespace detail;

namespace {

using Mode = ResizeParams::Mode;
using CoordMode = ResizeParams::CoordMode;
using NearestMode = ResizeParams::NearestMode;

using Taps = ResizeTaps;

double inputCoordinate(const ResizeParams &p, size_t d, int64_t o,
                       int64_t inSize, int64_t outSize, double scale,
                       size_t rank) {
  double x = static_cast<double>(o);
  double len = static_cast<double>(inSize);
  switch (p.coordMode) {
  case CoordMode::HalfPixel:
    return (x + 0.5) / scale - 0.5;
  case CoordMode::HalfPixelSymmetric: {
    double adjustment = static_cast<double>(outSize) / (scale * len);
    double offset = len / 2 * (1 - adjustment);
    return offset + (x + 0.5) / scale - 0.5;
  }
  case CoordMode::PytorchHalfPixel:
    return outSize > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  case CoordMode::AlignCorners:
    return outSize == 1 ? 0.0
                        : x * (len - 1) / static_cast<double>(outSize - 1);
  case CoordMode::Asymmetric:
    return x / scale;
  case CoordMode::TfCropAndResize: {
    double start = p.roi[d], end = p.roi[rank + d];
    if (outSize == 1)
      return 0.5 * (start + end) * (len - 1);
    return start * (len - 1) +
           x * (end - start) * (len - 1) / static_cast<double>(outSize - 1);
  }
  }
  return x;
}

/// Cubic convolution weights of the neighbours floor-1 .. floor+2 at
/// fractional position t in [0, 1) (Keys, coefficient a).
void cubicWeights(double t, double a, double w[4]) {
  auto near = [&](double s) { // |s| <= 1
    return ((a + 2) * s - (a + 3)) * s * s + 1;
  };
  auto far = [&](double s) { // 1 < |s| < 2
    return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
  };
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

int64_t nearestIndex(NearestMode m, double x) {
  double f = std::floor(x), t = x - f;
  switch (m) {
  case NearestMode::RoundPreferFloor:
    return static_cast<int64_t>(t <= 0.5 ? f : f + 1);
  case NearestMode::RoundPreferCeil:
    return static_cast<int64_t>(t < 0.5 ? f : f + 1);
  case NearestMode::Floor:
    return static_cast<int64_t>(f);
  case NearestMode::Ceil:
    return static_cast<int64_t>(std::ceil(x));
  }
  return static_cast<int64_t>(f);
}

std::vector<Taps> planDim(const ResizeParams &p, size_t d, int64_t inSize,
                          int64_t outSize, double scale, size_t rank) {
  std::vector<Taps> plan(outSize);
  auto clampIndex = [&](int64_t i) {
    return std::clamp<int64_t>(i, 0, inSize - 1);
  };
  for (int64_t o = 0; o < outSize; ++o) {
    Taps &tp = plan[o];
    double x = inputCoordinate(p, d, o, inSize, outSize, scale, rank);
    if (p.coordMode == CoordMode::TfCropAndResize &&
        (x < 0 || x > static_cast<double>(inSize - 1))) {
      tp.extrapolate = true;
      continue;
    }
    double f = std::floor(x), t = x - f;
    int64_t fi = static_cast<int64_t>(f);
    switch (p.mode) {
    case Mode::Nearest:
      tp.count = 1;
      tp.index[0] = nearestIndex(p.nearestMode, x);
      tp.weight[0] = 1.0;
      break;
    case Mode::Linear:
      tp.count = 2;
      tp.index[0] = fi, tp.index[1] = fi + 1;
      tp.weight[0] = 1 - t, tp.weight[1] = t;
      break;
    case Mode::Cubic:
      tp.count = 4;
      for (int k = 0; k < 4; ++k)
        tp.index[k] = fi - 1 + k;
      cubicWeights(t, p.cubicCoeffA, tp.weight);
      break;
    }
    if (p.excludeOutside && p.mode != Mode::Nearest) {
      double sum = 0;
      for (int k = 0; k < tp.count; ++k) {
        if (tp.index[k] < 0 || tp.index[k] >= inSize)
          tp.weight[k] = 0;
        sum += tp.weight[k];
      }
      for (int k = 0; k < tp.count; ++k)
        tp.weight[k] /= sum;
    }
    for (int k = 0; k < tp.count; ++k)
      tp.index[k] = clampIndex(tp.index[k]);
  }
  return plan;
}

/// Whether a dim's taps give output o exactly input o: all weight on index
/// o (taps on other indices have weight 0), so the pass can be skipped.
bool isIdentity(const std::vector<Taps> &plan, int64_t inSize) {
  if (static_cast<int64_t>(plan.size()) != inSize)
    return false;
  for (int64_t o = 0; o < inSize; ++o) {
    const Taps &tp = plan[o];
    if (tp.extrapolate)
      return false;
    double own = 0;
    for (int k = 0; k < tp.count; ++k) {
      if (tp.index[k] == o)
        own += tp.weight[k];
      else if (tp.weight[k] != 0)
        return false;
    }
    if (own != 1.0)
      return false;
  }
  return true;
}

} // namespace

Result<std::vector<std::vector<ResizeTaps>>>
resizePlans(const ResizeParams &p, const Shape &inShape, DType dtype) {
  const char *op = "Resize";
  std::string xType = std::string(name(dtype)) + "[" + shapeToString(inShape) + "]";
  size_t rank = inShape.size();
  if (p.outShape.size() != rank)
    return fail(op, ": outShape must have ", rank, " entries for x ", xType,
                ", got ", p.outShape.size());
  if (!p.scales.empty() && p.scales.size() != rank)
    return fail(op, ": scales must be empty or have ", rank, " entries for x ",
                xType, ", got ", p.scales.size());
  if (p.coordMode == CoordMode::TfCropAndResize && p.roi.size() != 2 * rank)
    return fail(op, ": tf_crop_and_resize needs a roi of ", 2 * rank,
                " entries, got ", p.roi.size());
  if (p.mode != Mode::Nearest && !isFloat(dtype))
    return fail(p.mode == Mode::Linear ? "Resize (linear)" : "Resize (cubic)",
                ": unsupported element type ", name(dtype), " (x: ", xType,
                ")");
  std::vector<std::vector<Taps>> plans(rank);
  for (size_t d = 0; d < rank; ++d) {
    int64_t in = inShape[d], out = p.outShape[d];
    if (out < 0)
      return fail(op, ": outShape[", d, "] must be >= 0, got ", out);
    if (in == 0 && out > 0)
      return fail(op, ": dim ", d, " of x ", xType,
                  " is empty and cannot be resized to ", out);
    double scale =
        p.scales.empty()
            ? (in == 0 ? 1.0
                       : static_cast<double>(out) / static_cast<double>(in))
            : p.scales[d];
    if (!(scale > 0) || !std::isfinite(scale))
      return fail(op, ": scales[", d, "] must be positive and finite, got ",
                  scale);
    plans[d] = planDim(p, d, in, out, scale, rank);
  }
  return plans;
}

bool resizeDimIsIdentity(const std::vector<ResizeTaps> &plan, int64_t inSize) {
  return isIdentity(plan, inSize);
}

Result<Tensor> resize(const Tensor &x, const ResizeParams &p) {
  if (std::optional<Failure> err = malformed("Resize", {{&x, "x"}}))
    return *err;
  Result<std::vector<std::vector<Taps>>> planned =
      resizePlans(p, x.shape(), x.dtype());
  if (!planned)
    return Result<Tensor>::error(planned.error());
  std::vector<std::vector<Taps>> &plans = planned.value();
  size_t rank = x.shape().size();
  if (p.mode == Mode::Nearest) {
    // One tap of weight 1 per output index: an exact gather.
    Shape inStrides = stridesOf(x.shape());
    std::vector<Shape> tables(rank);
    for (size_t d = 0; d < rank; ++d)
      for (const Taps &tp : plans[d])
        tables[d].push_back(tp.extrapolate ? -1 : tp.index[0] * inStrides[d]);
    return copyByTables(x, p.outShape, tables, p.extrapolationValue);
  }

  // Separable passes on doubles, innermost dim first.
  std::vector<double> cur(x.floats());
  Shape curShape = x.shape();
  for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
    int64_t in = curShape[d], out = p.outShape[d];
    if (isIdentity(plans[d], in))
      continue;
    int64_t outer = 1, inner = 1;
    for (int64_t k = 0; k < d; ++k)
      outer *= curShape[k];
    for (size_t k = d + 1; k < rank; ++k)
      inner *= curShape[k];
    std::vector<double> next(outer * out * inner, 0.0);
    for (int64_t o1 = 0; o1 < outer; ++o1) {
      for (int64_t o = 0; o < out; ++o) {
        const Taps &tp = plans[d][o];
        double *dst = next.data() + (o1 * out + o) * inner;
        if (tp.extrapolate) {
          std::fill_n(dst, inner, p.extrapolationValue);
          continue;
        }
        for (int k = 0; k < tp.count; ++k) {
          const double *src = cur.data() + (o1 * in + tp.index[k]) * inner;
          double w = tp.weight[k];
          for (int64_t j = 0; j < inner; ++j)
            dst[j] += w * src[j];
        }
      }
    }
    cur.swap(next);
    curShape[d] = out;
  }
  Tensor y(x.dtype(), p.outShape);
  for (int64_t i = 0, e = y.numel(); i < e; ++i)
    y.setF(i, cur[i]);
  return y;
}

} // namespace tessel::ref
