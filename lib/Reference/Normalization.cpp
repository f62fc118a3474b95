//===- Normalization.cpp - BatchNorm, LayerNorm and Softmax ---------------===//
//
// Float only. Statistics and the normalization itself are computed in double
// from the stored values, following the ONNX formulas literally (no folded
// scale/shift), and rounded once when stored.
//
//===----------------------------------------------------------------------===//
#include "KernelSupport.h"

#include <cmath>

namespace tessel::ref {
using namespace detail;

namespace {

/// Expands `t` (broadcastable to `shape`) into a flat vector of doubles of
/// numElements(shape) entries.
std::vector<double> expandTo(const Tensor &t, const Shape &shape) {
  std::vector<double> out(numElements(shape));
  std::array<Shape, 1> str = {broadcastStrides(t.shape(), shape)};
  forEachOffset(shape, str,
                [&](int64_t i, const auto &off) { out[i] = loadF(t, off[0]); });
  return out;
}

/// Whether `t` broadcasts to `shape` without changing it.
bool broadcastsTo(const Shape &from, const Shape &to) {
  std::optional<Shape> s = broadcastShapes(to, from);
  return s && *s == to;
}

} // namespace

Result<Tensor> batchNorm(const Tensor &x, const Tensor &scale,
                         const Tensor &bias, const Tensor &mean,
                         const Tensor &var, double epsilon, bool channelsLast) {
  const char *op = "BatchNormalization";
  if (std::optional<Failure> err = malformed(op, {{&x, "x"},
                                                  {&scale, "scale"},
                                                  {&bias, "bias"},
                                                  {&mean, "mean"},
                                                  {&var, "var"}}))
    return *err;
  if (x.rank() < 2)
    return fail(op, ": x must have rank >= 2, got ", x.typeString());
  if (!x.isFloat())
    return unsupported(op, x);
  int64_t c = channelsLast ? x.dim(x.rank() - 1) : x.dim(1);
  const std::pair<const char *, const Tensor *> params[] = {
      {"scale", &scale}, {"bias", &bias}, {"mean", &mean}, {"var", &var}};
  for (const auto &[what, t] : params) {
    if (!t->isFloat())
      return unsupported(op, *t, what);
    if (t->shape() != Shape{c})
      return fail(op, ": ", what, " must have shape [", c,
                  "] (the channels of x ", x.typeString(), "), got ",
                  t->typeString());
  }
  std::vector<double> stdDev(c);
  for (int64_t ch = 0; ch < c; ++ch)
    stdDev[ch] = std::sqrt(var.floats()[ch] + epsilon);

  Tensor y(x.dtype(), x.shape());
  int64_t n = x.numel();
  // Channels-first: the channel of flat index i is (i / inner) % c.
  int64_t inner = 1;
  if (!channelsLast)
    for (int64_t d = 2; d < x.rank(); ++d)
      inner *= x.dim(d);
  const double *xp = x.floats().data();
  for (int64_t i = 0; i < n; ++i) {
    int64_t ch = (i / inner) % c;
    double v = (xp[i] - mean.floats()[ch]) / stdDev[ch];
    y.setF(i, scale.floats()[ch] * v + bias.floats()[ch]);
  }
  return y;
}

Result<Tensor> layerNorm(const Tensor &x, const Tensor &scale,
                         const Tensor *bias, int64_t axis, double epsilon) {
  if (std::optional<Failure> err = malformed(
          "LayerNormalization", {{&x, "x"}, {&scale, "scale"}, {bias, "bias"}}))
    return *err;
  const char *op = "LayerNormalization";
  if (!x.isFloat())
    return unsupported(op, x);
  if (!axisInRange(axis, x.rank()))
    return fail(op, ": axis ", axis, " is out of range for x ", x.typeString());
  Shape tail(x.shape().begin() + axis, x.shape().end());
  if (!scale.isFloat())
    return unsupported(op, scale, "scale");
  if (!broadcastsTo(scale.shape(), tail))
    return fail(op, ": scale ", scale.typeString(),
                " does not broadcast to the normalized dims ", tail);
  if (bias && !bias->isFloat())
    return unsupported(op, *bias, "bias");
  if (bias && !broadcastsTo(bias->shape(), tail))
    return fail(op, ": bias ", bias->typeString(),
                " does not broadcast to the normalized dims ", tail);

  int64_t inner = numElements(tail);
  int64_t outer = inner == 0 ? 0 : x.numel() / inner;
  std::vector<double> s = expandTo(scale, tail);
  std::vector<double> b =
      bias ? expandTo(*bias, tail) : std::vector<double>(inner, 0.0);
  Tensor y(x.dtype(), x.shape());
  const double *xp = x.floats().data();
  for (int64_t o = 0; o < outer; ++o) {
    const double *row = xp + o * inner;
    double mean = 0;
    for (int64_t i = 0; i < inner; ++i)
      mean += row[i];
    mean /= static_cast<double>(inner);
    double var = 0;
    for (int64_t i = 0; i < inner; ++i)
      var += (row[i] - mean) * (row[i] - mean);
    var /= static_cast<double>(inner);
    double stdDev = std::sqrt(var + epsilon);
    for (int64_t i = 0; i < inner; ++i)
      y.setF(o * inner + i, (row[i] - mean) / stdDev * s[i] + b[i]);
  }
  return y;
}

Result<Tensor> softmax(const Tensor &x, int64_t axis, bool logSoftmax) {
  const char *op = logSoftmax ? "LogSoftmax" : "Softmax";
  if (std::optional<Failure> err = malformed(op, {{&x, "x"}}))
    return *err;
  if (!x.isFloat())
    return unsupported(op, x);
  if (!axisInRange(axis, x.rank()))
    return fail(op, ": axis ", axis, " is out of range for x ", x.typeString());
  int64_t len = x.dim(axis), inner = 1, outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d)
    inner *= x.dim(d);
  Tensor y(x.dtype(), x.shape());
  const double *xp = x.floats().data();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      const double *v = xp + o * len * inner + in;
      int64_t base = o * len * inner + in;
      // Subtracting the max keeps exp() in range for large inputs.
      double m = -INFINITY;
      for (int64_t j = 0; j < len; ++j)
        m = v[j * inner] > m ? v[j * inner] : m;
      double sum = 0;
      for (int64_t j = 0; j < len; ++j)
        sum += std::exp(v[j * inner] - m);
      for (int64_t j = 0; j < len; ++j) {
        double shifted = v[j * inner] - m;
        y.setF(base + j * inner,
               logSoftmax ? shifted - std::log(sum) : std::exp(shifted) / sum);
      }
    }
  }
  return y;
}

} // namespace tessel::ref
