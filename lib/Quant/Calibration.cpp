//===- Calibration.cpp - Activation statistics and quantization ranges ----===//
#include "tessel/Quant/Calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace tessel::quant {

//===----------------------------------------------------------------------===//
// Histogram
//===----------------------------------------------------------------------===//

void Histogram::grow(double magnitude) {
  if (range_ == 0) {
    // The first range: the first value's magnitude rounded up to a power of
    // two, so that later doublings keep bin edges on a binary grid.
    range_ = std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(magnitude))) +
                                 1);
    return;
  }
  while (magnitude >= range_) {
    int n = bins();
    std::vector<double> merged(n, 0.0);
    for (int i = 0; i < n; ++i)
      merged[i / 2] += counts_[i];
    counts_ = std::move(merged);
    range_ *= 2;
  }
}

void Histogram::add(double magnitude) {
  if (!(magnitude > 0) || !std::isfinite(magnitude))
    return;
  if (magnitude >= range_)
    grow(magnitude);
  int b = static_cast<int>(magnitude / binWidth());
  counts_[std::min(b, bins() - 1)] += 1;
  total_ += 1;
}

void Histogram::merge(const Histogram &other) {
  if (other.total_ == 0)
    return;
  if (other.range_ > range_)
    grow(other.range_ * (1 - 1e-12));
  double w = other.binWidth();
  for (int i = 0; i < other.bins(); ++i) {
    if (other.counts_[i] == 0)
      continue;
    double center = (i + 0.5) * w;
    int b = std::min(static_cast<int>(center / binWidth()), bins() - 1);
    counts_[b] += other.counts_[i];
  }
  total_ += other.total_;
}

template <typename T> static void addValues(ValueStats &s, const T *d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double v = static_cast<double>(d[i]);
    if (!std::isfinite(v))
      continue;
    if (!s.seen) {
      s.min = s.max = v;
      s.seen = true;
    }
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    if (v > 0)
      s.positive.add(v);
    else if (v < 0)
      s.negative.add(-v);
    else
      s.zeros += 1;
  }
}

void ValueStats::add(const double *data, int64_t n) {
  addValues(*this, data, n);
}
void ValueStats::add(const float *data, int64_t n) {
  addValues(*this, data, n);
}

std::optional<Method> parseMethod(const std::string &name) {
  if (name == "max")
    return Method::Max;
  if (name == "kl" || name == "entropy")
    return Method::KL;
  if (name == "minmax")
    return Method::MinMax;
  if (name == "percentile")
    return Method::Percentile;
  if (name == "mse")
    return Method::MSE;
  return std::nullopt;
}

const char *methodName(Method m) {
  switch (m) {
  case Method::Max:
    return "max";
  case Method::KL:
    return "kl";
  case Method::MinMax:
    return "minmax";
  case Method::Percentile:
    return "percentile";
  case Method::MSE:
    return "mse";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// Thresholds
//===----------------------------------------------------------------------===//

namespace {

/// KL(P || Q) of TensorRT's entropy calibration for the first `i` bins
/// merged into `levels` quantized bins.
double klDivergence(const std::vector<double> &h, int i, int levels) {
  std::vector<double> p(h.begin(), h.begin() + i);
  for (size_t k = i; k < h.size(); ++k)
    p[i - 1] += h[k]; // Outliers clip into the last bin.
  // Q: each of the `levels` groups spreads its (unclipped) total evenly
  // over its non-empty bins.
  std::vector<double> q(i, 0.0);
  double groupSize = static_cast<double>(i) / levels;
  for (int g = 0; g < levels; ++g) {
    int start = static_cast<int>(std::floor(g * groupSize));
    int end = g == levels - 1 ? i
                              : static_cast<int>(std::floor((g + 1) * groupSize));
    double sum = 0;
    int nonZero = 0;
    for (int k = start; k < end; ++k) {
      sum += h[k];
      nonZero += h[k] != 0;
    }
    for (int k = start; k < end; ++k)
      q[k] = h[k] != 0 ? sum / nonZero : 0;
  }
  double pSum = 0, qSum = 0;
  for (int k = 0; k < i; ++k) {
    pSum += p[k];
    qSum += q[k];
  }
  if (pSum == 0 || qSum == 0)
    return std::numeric_limits<double>::infinity();
  double kl = 0;
  for (int k = 0; k < i; ++k) {
    if (p[k] == 0)
      continue;
    double pk = p[k] / pSum;
    // A bin Q left empty where P has mass: smoothed, as TensorRT does.
    double qk = q[k] > 0 ? q[k] / qSum : 1e-10;
    kl += pk * std::log(pk / qk);
  }
  return kl;
}

/// Expected squared error of quantizing the histogram's values with
/// threshold `t` over `levels` steps: clipping beyond t, and step^2 / 12 of
/// rounding within.
double quantizationError(const std::vector<double> &h, double width, double t,
                         int levels) {
  double step = t / levels;
  double err = 0;
  for (size_t k = 0; k < h.size(); ++k) {
    if (h[k] == 0)
      continue;
    double c = (k + 0.5) * width;
    double e = c > t ? (c - t) * (c - t) : step * step / 12;
    err += h[k] * e;
  }
  return err;
}

} // namespace

double threshold(const Histogram &h, double maxValue, Method m, int levels,
                 double percentile) {
  if (h.total() == 0 || maxValue <= 0)
    return std::max(0.0, maxValue);
  const std::vector<double> &c = h.counts();
  double w = h.binWidth();
  int n = h.bins();
  // The bins that hold data (the histogram's range may be twice the max).
  int used = std::min(n, static_cast<int>(std::ceil(maxValue / w)));
  used = std::max(used, 1);
  switch (m) {
  case Method::Max:
  case Method::MinMax:
    return maxValue;
  case Method::Percentile: {
    double target = h.total() * percentile / 100.0, cum = 0;
    for (int k = 0; k < used; ++k) {
      cum += c[k];
      if (cum >= target)
        return std::min(maxValue, (k + 1) * w);
    }
    return maxValue;
  }
  case Method::KL: {
    // KL needs a populated histogram: a few hundred values (a classifier's
    // logits on one sample) leave most bins empty, and the divergence then
    // favours thresholds that clip real values. Such tensors keep the max.
    if (used <= levels || h.total() < kMinKLValues)
      return maxValue;
    std::vector<double> hist(c.begin(), c.begin() + used);
    double best = std::numeric_limits<double>::infinity();
    int bestI = used;
    for (int i = levels; i <= used; ++i) {
      double kl = klDivergence(hist, i, levels);
      if (kl < best) {
        best = kl;
        bestI = i;
      }
    }
    return std::min(maxValue, bestI * w);
  }
  case Method::MSE: {
    std::vector<double> hist(c.begin(), c.begin() + used);
    double best = std::numeric_limits<double>::infinity();
    double bestT = maxValue;
    // Candidates at every bin edge up to the max.
    for (int i = 1; i <= used; ++i) {
      double t = std::min(maxValue, i * w);
      double e = quantizationError(hist, w, t, levels);
      if (e < best) {
        best = e;
        bestT = t;
      }
    }
    return bestT;
  }
  }
  return maxValue;
}

Range computeRange(const ValueStats &s, const RangeOptions &o) {
  Range r;
  if (!s.seen)
    return r;
  double lo = std::min(s.min, 0.0), hi = std::max(s.max, 0.0);
  if (o.method == Method::MinMax)
    return {lo, hi};
  // Quantization levels per side: a signed b-bit grid has 2^(b-1) - 1
  // positive levels; a one-sided (never negative) value uses all 2^b - 1.
  int half = (1 << (o.bits - 1)) - 1, full = (1 << o.bits) - 1;
  if (lo == 0) {
    r.hi = threshold(s.positive, hi, o.method, o.bits == 8 ? full : half,
                     o.percentile);
    return r;
  }
  if (o.asymmetric) {
    int levels = o.bits == 8 ? full : half;
    double tn = threshold(s.negative, -lo, o.method, levels, o.percentile);
    double tp = threshold(s.positive, hi, o.method, levels, o.percentile);
    return {-tn, tp};
  }
  Histogram both = s.positive;
  both.merge(s.negative);
  double t = threshold(both, std::max(-lo, hi), o.method, half, o.percentile);
  return {-t, t};
}

//===----------------------------------------------------------------------===//
// Quantization parameters
//===----------------------------------------------------------------------===//

static double asF32(double v) { return static_cast<double>(static_cast<float>(v)); }

/// A scale no smaller than what keeps quantize/dequantize finite.
static double safeScale(double s) {
  return s > 1e-30 && std::isfinite(s) ? asF32(s) : 1.0;
}

ScaleZeroPoint activationParams(Range r, int bits) {
  ScaleZeroPoint p;
  double lo = std::min(r.lo, 0.0), hi = std::max(r.hi, 0.0);
  if (bits == 16) {
    p.scale = safeScale(std::max(-lo, hi) / 32767.0);
    return p;
  }
  if (lo == 0) {
    p.scale = safeScale(hi / 255.0);
    p.zeroPoint = -128;
    return p;
  }
  if (lo == -hi) {
    p.scale = safeScale(hi / 127.0);
    return p;
  }
  p.scale = safeScale((hi - lo) / 255.0);
  double zp = std::nearbyint(-128.0 - lo / p.scale);
  p.zeroPoint = static_cast<int64_t>(std::clamp(zp, -128.0, 127.0));
  return p;
}

double weightScale(double absMax, int bits) {
  double levels = std::ldexp(1.0, bits - 1) - 1;
  return safeScale(absMax / levels);
}

//===----------------------------------------------------------------------===//
// Tables
//===----------------------------------------------------------------------===//

void CalibrationTable::set(const std::string &name, const TableEntry &e) {
  if (!entries.count(name))
    order.push_back(name);
  entries[name] = e;
}

std::string writeCalibrationTable(const CalibrationTable &t) {
  std::ostringstream os;
  os.precision(9);
  os << "# tessel calibration table v1\n";
  for (const auto &[k, v] : t.header)
    os << "# " << k << " " << v << "\n";
  os << "# name min max lo hi\n";
  for (const std::string &name : t.order) {
    const TableEntry &e = t.entries.at(name);
    os << name << " " << e.min << " " << e.max << " " << e.range.lo << " "
       << e.range.hi << "\n";
  }
  return os.str();
}

std::optional<CalibrationTable> parseCalibrationTable(const std::string &text,
                                                      std::string &error) {
  CalibrationTable t;
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty())
      continue;
    if (line[0] == '#') {
      std::istringstream h(line.substr(1));
      std::string key, value;
      if (h >> key && std::getline(h >> std::ws, value))
        t.header[key] = value;
      continue;
    }
    std::istringstream ls(line);
    std::string name;
    TableEntry e;
    if (!(ls >> name >> e.min >> e.max >> e.range.lo >> e.range.hi)) {
      error = "line " + std::to_string(lineNo) +
              ": expected 'name min max lo hi', got '" + line + "'";
      return std::nullopt;
    }
    t.set(name, e);
  }
  return t;
}

std::optional<std::map<std::string, std::string>>
parseQTable(const std::string &text, std::string &error) {
  std::map<std::string, std::string> table;
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    size_t hash = line.find('#');
    if (hash != std::string::npos)
      line = line.substr(0, hash);
    std::istringstream ls(line);
    std::string name, precision, extra;
    if (!(ls >> name))
      continue;
    if (!(ls >> precision) || (ls >> extra) ||
        (precision != "fp32" && precision != "fp16" && precision != "int8" &&
         precision != "int16")) {
      error = "line " + std::to_string(lineNo) +
              ": expected 'layer-name fp32|fp16|int8|int16'";
      return std::nullopt;
    }
    table[name] = precision;
  }
  return table;
}

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

void Agreement::add(const double *ref, const double *got, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double r = ref[i], g = got[i];
    if (!std::isfinite(r) || !std::isfinite(g))
      continue;
    dot += r * g;
    refNorm2 += r * r;
    gotNorm2 += g * g;
    noise2 += (r - g) * (r - g);
    ++count;
  }
}

double Agreement::cosine() const {
  if (refNorm2 == 0 && gotNorm2 == 0)
    return 1.0;
  if (refNorm2 == 0 || gotNorm2 == 0)
    return 0.0;
  return dot / std::sqrt(refNorm2 * gotNorm2);
}

double Agreement::sqnr() const {
  if (noise2 == 0)
    return std::numeric_limits<double>::infinity();
  if (refNorm2 == 0)
    return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(refNorm2 / noise2);
}

double top1Agreement(const std::vector<double> &ref,
                     const std::vector<double> &got, int64_t classes) {
  if (classes <= 0 || ref.size() != got.size() || ref.empty())
    return 0;
  int64_t rows = static_cast<int64_t>(ref.size()) / classes, agree = 0;
  for (int64_t r = 0; r < rows; ++r) {
    auto a = std::max_element(ref.begin() + r * classes,
                              ref.begin() + (r + 1) * classes);
    auto b = std::max_element(got.begin() + r * classes,
                              got.begin() + (r + 1) * classes);
    agree += (a - ref.begin()) - r * classes == (b - got.begin()) - r * classes;
  }
  return rows ? static_cast<double>(agree) / rows : 0;
}

} // namespace tessel::quant
