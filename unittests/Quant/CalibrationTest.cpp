//===- CalibrationTest.cpp - Histograms, methods, tables, metrics ---------===//
#include "tessel/Quant/Calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace tessel::quant;

namespace {

ValueStats statsOf(const std::vector<double> &v) {
  ValueStats s;
  s.add(v.data(), static_cast<int64_t>(v.size()));
  return s;
}

TEST(HistogramTest, GrowsByMergingBins) {
  Histogram h(8);
  h.add(1.0); // The range becomes 2 (a power of two above the value).
  EXPECT_EQ(h.range(), 2.0);
  h.add(3.9);
  h.add(9.0); // Doubles twice: 16.
  EXPECT_EQ(h.range(), 16.0);
  EXPECT_EQ(h.total(), 3.0);
  double sum = 0;
  for (double c : h.counts())
    sum += c;
  EXPECT_EQ(sum, 3.0);
  EXPECT_EQ(h.counts()[0], 1.0); // 1.0 in [0, 2).
  EXPECT_EQ(h.counts()[1], 1.0); // 3.9 in [2, 4).
  EXPECT_EQ(h.counts()[4], 1.0); // 9.0 in [8, 10).
}

TEST(RangeTest, MaxIsNonSaturating) {
  ValueStats s = statsOf({-3.0, 1.0, 2.0});
  Range r = computeRange(s, {Method::Max, 8, false, 99.99});
  EXPECT_EQ(r.lo, -3.0);
  EXPECT_EQ(r.hi, 3.0);
  // A never-negative value keeps one side.
  Range p = computeRange(statsOf({0.0, 1.0, 5.0}), {Method::Max, 8, false});
  EXPECT_EQ(p.lo, 0.0);
  EXPECT_EQ(p.hi, 5.0);
}

TEST(RangeTest, MinMaxIsAffine) {
  Range r = computeRange(statsOf({-1.0, 3.0}), {Method::MinMax, 8, false});
  EXPECT_EQ(r.lo, -1.0);
  EXPECT_EQ(r.hi, 3.0);
  // The range always holds zero.
  Range z = computeRange(statsOf({2.0, 3.0}), {Method::MinMax, 8, false});
  EXPECT_EQ(z.lo, 0.0);
}

TEST(RangeTest, SaturatingMethodsClipOutliers) {
  // 100k normal samples plus one far outlier: KL, percentile and MSE clip
  // it, max does not.
  std::mt19937 rng(7);
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<double> v(100000);
  for (double &x : v)
    x = n(rng);
  v.push_back(60.0);
  ValueStats s = statsOf(v);
  for (Method m : {Method::KL, Method::Percentile, Method::MSE}) {
    Range r = computeRange(s, {m, 8, false, 99.99});
    EXPECT_LT(r.hi, 20.0) << methodName(m);
    EXPECT_GT(r.hi, 2.5) << methodName(m);
    EXPECT_EQ(r.lo, -r.hi) << methodName(m);
  }
  EXPECT_EQ(computeRange(s, {Method::Max, 8, false}).hi, 60.0);
  // Asymmetric: each side its own threshold.
  Range a = computeRange(s, {Method::Max, 8, true});
  EXPECT_EQ(a.hi, 60.0);
  EXPECT_LT(a.lo, -3.0);
  EXPECT_GT(a.lo, -10.0);
}

TEST(RangeTest, KLKeepsTheMaxOfSparseHistograms) {
  // Ten logits with an outlier: too few values for a divergence to mean
  // anything, so KL does not clip (it would clip the top logit).
  std::vector<double> v = {0.1, -0.3, 0.2, 0.05, -0.1, 0.4, -0.2, 0.3, 0.0,
                           9.0};
  ValueStats s = statsOf(v);
  EXPECT_EQ(computeRange(s, {Method::KL, 8, false}).hi, 9.0);
}

TEST(RangeTest, SixteenBitsKeepsTheMax) {
  ValueStats s = statsOf({-1.0, 0.5, 7.0});
  EXPECT_EQ(computeRange(s, {Method::KL, 16, false}).hi, 7.0);
}

TEST(ParamsTest, ActivationScalesAndZeroPoints) {
  ScaleZeroPoint a = activationParams({0.0, 255.0}, 8);
  EXPECT_EQ(a.scale, 1.0);
  EXPECT_EQ(a.zeroPoint, -128);
  ScaleZeroPoint s = activationParams({-127.0, 127.0}, 8);
  EXPECT_EQ(s.scale, 1.0);
  EXPECT_EQ(s.zeroPoint, 0);
  ScaleZeroPoint f = activationParams({-1.0, 3.0}, 8);
  EXPECT_FLOAT_EQ(f.scale, 4.0 / 255);
  EXPECT_EQ(f.zeroPoint, -64); // -128 + 1 / (4/255) = -64.25 -> -64.
  ScaleZeroPoint w = activationParams({-2.0, 1.0}, 16);
  EXPECT_FLOAT_EQ(w.scale, 2.0 / 32767);
  EXPECT_EQ(w.zeroPoint, 0);
  // Scales are fp32 values.
  EXPECT_EQ(f.scale, static_cast<double>(static_cast<float>(f.scale)));
  EXPECT_EQ(weightScale(12.7), static_cast<double>(static_cast<float>(0.1)));
}

TEST(TableTest, RoundTrips) {
  CalibrationTable t;
  t.header["method"] = "kl";
  t.set("conv1", {-1.5, 2.25, {-1.25, 1.25}});
  t.set("input", {0, 1, {0, 1}});
  std::string text = writeCalibrationTable(t);
  std::string error;
  std::optional<CalibrationTable> back = parseCalibrationTable(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->header["method"], "kl");
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries["conv1"].range.lo, -1.25);
  EXPECT_EQ(back->entries["conv1"].max, 2.25);
  EXPECT_EQ(back->order, (std::vector<std::string>{"conv1", "input"}));
  EXPECT_FALSE(parseCalibrationTable("conv1 1 2\n", error));
  EXPECT_NE(error.find("line 1"), std::string::npos);
}

TEST(TableTest, QTable) {
  std::string error;
  auto q = parseQTable("# keep the stem in float\nconv1 fp32\nfc int16 # wide\n",
                       error);
  ASSERT_TRUE(q) << error;
  EXPECT_EQ((*q)["conv1"], "fp32");
  EXPECT_EQ((*q)["fc"], "int16");
  EXPECT_FALSE(parseQTable("conv1 int4\n", error));
}

TEST(MetricsTest, CosineSqnrTop1) {
  std::vector<double> ref = {1, 2, 3, 4}, got = {1, 2, 3, 5};
  Agreement a;
  a.add(ref.data(), got.data(), 4);
  EXPECT_NEAR(a.sqnr(), 10 * std::log10(30.0), 1e-12);
  EXPECT_GT(a.cosine(), 0.99);
  Agreement same;
  same.add(ref.data(), ref.data(), 4);
  EXPECT_TRUE(std::isinf(same.sqnr()));
  EXPECT_DOUBLE_EQ(same.cosine(), 1.0);
  EXPECT_EQ(top1Agreement({0, 1, 5, 0}, {0, 2, 0, 1}, 2), 0.5);
}

} // namespace
