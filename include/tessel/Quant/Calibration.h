//===- Calibration.h - Activation statistics and quantization ranges -*- C++ -*-===//
//
// What post-training quantization computes from calibration data, without
// MLIR: per-value statistics (min, max and histograms of the magnitudes of
// the negative and positive values), the range each calibration method
// derives from them, the text formats of the calibration table and the
// mixed-precision table, and the accuracy metrics of the quantization
// report. docs/quantization.md describes each method.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_QUANT_CALIBRATION_H
#define TESSEL_QUANT_CALIBRATION_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tessel::quant {

/// A histogram of non-negative values over [0, range) in equal bins that
/// grows by doubling its range (merging bins pairwise) when a larger value
/// arrives, so that one pass over the data suffices.
class Histogram {
public:
  explicit Histogram(int bins = 2048) : counts_(bins, 0.0) {}
  void add(double magnitude);
  int bins() const { return static_cast<int>(counts_.size()); }
  double range() const { return range_; }
  double binWidth() const { return range_ / bins(); }
  double total() const { return total_; }
  const std::vector<double> &counts() const { return counts_; }
  /// Adds `other` (re-binned to this histogram's range if it differs).
  void merge(const Histogram &other);

private:
  void grow(double magnitude);
  std::vector<double> counts_;
  double range_ = 0; ///< 0 until the first non-zero value.
  double total_ = 0;
};

/// Statistics of one value over the calibration set.
struct ValueStats {
  double min = 0, max = 0;
  bool seen = false;
  Histogram positive{2048}, negative{2048}; ///< |x| of x > 0 and x < 0.
  double zeros = 0;                         ///< Count of exact zeros.
  void add(const double *data, int64_t n);
  void add(const float *data, int64_t n);
};

enum class Method { Max, KL, MinMax, Percentile, MSE };

/// "max", "kl", "minmax", "percentile", "mse"; nullopt otherwise.
std::optional<Method> parseMethod(const std::string &name);
const char *methodName(Method m);

struct RangeOptions {
  Method method = Method::KL;
  int bits = 8;              ///< Activation bits (8 or 16).
  bool asymmetric = false;   ///< Two-sided thresholds (affine ranges).
  double percentile = 99.99; ///< For Method::Percentile.
};

/// The real range [lo, hi] (lo <= 0 <= hi) a value is quantized over:
///  - minmax: [min, max];
///  - max, kl, percentile, mse: a threshold T from the histogram of |x|;
///    the range is [-T, T], or [0, T] for a value that is never negative
///    (all quantization levels then cover [0, T]); with `asymmetric` the
///    negative and positive sides get thresholds of their own.
struct Range {
  double lo = 0, hi = 0;
};
Range computeRange(const ValueStats &s, const RangeOptions &o);

/// Fewer observed values than this: KL keeps the max (see threshold()).
constexpr double kMinKLValues = 1024;

/// The threshold of one side's histogram for `levels` quantization levels
/// (exposed for tests).
double threshold(const Histogram &h, double maxValue, Method m, int levels,
                 double percentile);

//===----------------------------------------------------------------------===//
// Quantization parameters
//===----------------------------------------------------------------------===//

/// Scale and zero point of an activation quantized over `r`:
///  - 16-bit: symmetric, zero point 0, scale max(|lo|, |hi|) / 32767;
///  - 8-bit, lo = 0: scale hi / 255, zero point -128 (all 256 levels);
///  - 8-bit, lo = -hi: scale hi / 127, zero point 0;
///  - 8-bit otherwise: scale (hi - lo) / 255, zero point round(-128 - lo /
///    scale) (0 stays exactly representable).
/// Scales are rounded to fp32 (the arithmetic of quantize/dequantize).
struct ScaleZeroPoint {
  double scale = 1;
  int64_t zeroPoint = 0;
};
ScaleZeroPoint activationParams(Range r, int bits);

/// Symmetric weight scale for max |w| = `absMax` over [-127, 127] (8 bits).
double weightScale(double absMax, int bits = 8);

//===----------------------------------------------------------------------===//
// Table files
//===----------------------------------------------------------------------===//

/// One calibration table entry: the observed min/max and the range the
/// method chose.
struct TableEntry {
  double min = 0, max = 0;
  Range range;
};

/// The calibration table file: a header of `# key value` lines (method,
/// bits, samples...), then one line `name min max lo hi` per value (names
/// have no whitespace).
struct CalibrationTable {
  std::map<std::string, std::string> header;
  std::map<std::string, TableEntry> entries;
  /// Names in the order they were added (for writing).
  std::vector<std::string> order;
  void set(const std::string &name, const TableEntry &e);
};
std::string writeCalibrationTable(const CalibrationTable &t);
/// Parses a table; on failure `error` says which line is wrong.
std::optional<CalibrationTable> parseCalibrationTable(const std::string &text,
                                                      std::string &error);

/// The mixed-precision table: one `name precision` line per layer
/// (precision fp32, fp16, int8 or int16), `#` comments.
std::optional<std::map<std::string, std::string>>
parseQTable(const std::string &text, std::string &error);

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

/// Cosine similarity and signal-to-quantization-noise ratio (dB) of `got`
/// against `ref`: SQNR = 10 log10(sum ref^2 / sum (ref - got)^2) (infinite
/// when equal). Accumulates over several calls.
struct Agreement {
  double dot = 0, refNorm2 = 0, gotNorm2 = 0, noise2 = 0;
  int64_t count = 0;
  void add(const double *ref, const double *got, int64_t n);
  double cosine() const;
  double sqnr() const;
};

/// Fraction of rows (the last dim of size `classes`) whose argmax agrees.
double top1Agreement(const std::vector<double> &ref,
                     const std::vector<double> &got, int64_t classes);

} // namespace tessel::quant

#endif // TESSEL_QUANT_CALIBRATION_H
