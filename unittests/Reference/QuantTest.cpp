//===- QuantTest.cpp - Bit-exact integer reference kernels ----------------===//
//
// Pins the integer semantics of docs/npu-isa.md that the quantized graph ops
// follow: rounding (half to even when quantizing floats, half away from zero
// in every requantization), saturation, zero points, per-channel axes,
// int16 activations, and the scale rules every back end shares.
//
//===----------------------------------------------------------------------===//
#include "RefTestUtils.h"
#include "tessel/Reference/QuantKernels.h"

#include <cmath>
#include <limits>

using namespace tessel;
using namespace tessel::ref;
using namespace tessel::ref::test;
using support::Requant;

namespace {

Tensor ints(DType t, Shape shape, std::vector<int64_t> data) {
  return Tensor::fromInts(t, std::move(shape), std::move(data));
}

QuantParams perAxis(DType storage, int64_t axis, std::vector<double> scales,
                    std::vector<int64_t> zps) {
  QuantParams p = QuantParams::perTensor(storage, 1.0, 0);
  p.axis = axis;
  p.scales = std::move(scales);
  p.zeroPoints = std::move(zps);
  return p;
}

//===----------------------------------------------------------------------===//
// quantize / dequantize
//===----------------------------------------------------------------------===//

TEST(QuantizeTest, RoundsHalfToEven) {
  // x / 1 exactly on the .5 ties: ISA convert.quant rounds half to even.
  QuantParams p = QuantParams::perTensor(DType::I8, 1.0, 0);
  EXPECT_TRUE(matches(quantize(f32({8}, {0.5, 1.5, 2.5, 3.5, -0.5, -1.5,
                                         -2.5, 2.4999}),
                               p),
                      DType::I8, {8}, {0, 2, 2, 4, 0, -2, -2, 2}));
}

TEST(QuantizeTest, DividesInFloat32) {
  // 0.35f / 0.1f is exactly 3.5 in fp32 (3.4999999 in double): the tie
  // rounds to 4. 0.05f / 0.02f is 2.5 in fp32 (2.5000001 in double): 2.
  QuantParams p = QuantParams::perTensor(DType::I8, 0.1, 0);
  EXPECT_TRUE(matches(quantize(f32({1}, {0.35}), p), DType::I8, {1}, {4}));
  QuantParams q = QuantParams::perTensor(DType::I8, 0.02, 0);
  EXPECT_TRUE(matches(quantize(f32({1}, {0.05}), q), DType::I8, {1}, {2}));
}

TEST(QuantizeTest, SaturatesAndOffsetsByZeroPoint) {
  QuantParams u8 = QuantParams::perTensor(DType::U8, 0.5, 128);
  double inf = std::numeric_limits<double>::infinity();
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(matches(quantize(f32({6}, {0, 1, -64, 1000, -inf, nan}), u8),
                      DType::U8, {6}, {128, 130, 0, 255, 0, 128}));
  // A narrowed range (symmetric int8 weights) saturates at -127.
  QuantParams narrow = QuantParams::perTensor(DType::I8, 1.0, 0, -127, 127);
  EXPECT_TRUE(matches(quantize(f32({2}, {-500, 500}), narrow), DType::I8,
                      {2}, {-127, 127}));
}

TEST(QuantizeTest, PerAxisUsesEachChannelsScale) {
  // [2, 3] quantized along dim 1: scales 1, 2, 4 and zero points 0, 1, -1.
  QuantParams p = perAxis(DType::I8, 1, {1, 2, 4}, {0, 1, -1});
  EXPECT_TRUE(matches(quantize(f32({2, 3}, {4, 4, 4, -8, -8, -8}), p),
                      DType::I8, {2, 3}, {4, 3, 0, -8, -3, -3}));
  // Along dim 0.
  QuantParams q = perAxis(DType::I8, 0, {1, 10}, {0, 0});
  EXPECT_TRUE(matches(quantize(f32({2, 2}, {20, 30, 20, 30}), q), DType::I8,
                      {2, 2}, {20, 30, 2, 3}));
}

TEST(QuantizeTest, BlockedParameters) {
  // [2, 4] in blocks of 2 along dim 1: a 2x2 parameter table.
  QuantParams p = QuantParams::perTensor(DType::I8, 1.0, 0);
  p.blockSizes = {1, 2};
  p.tableShape = {2, 2};
  p.scales = {1, 2, 3, 4};
  p.zeroPoints = {0, 0, 0, 1};
  EXPECT_TRUE(matches(quantize(f32({2, 4}, {12, 12, 12, 12, 12, 12, 12, 12}),
                               p),
                      DType::I8, {2, 4}, {12, 12, 6, 6, 4, 4, 4, 4}));
}

TEST(QuantizeTest, Int16) {
  QuantParams p = QuantParams::perTensor(DType::I16, 1.0 / 1024, 0);
  EXPECT_TRUE(matches(quantize(f32({3}, {1.0, -31.9999, 100.0}), p),
                      DType::I16, {3}, {1024, -32768, 32767}));
}

TEST(QuantizeTest, RejectsBadParameters) {
  QuantParams p = perAxis(DType::I8, 1, {1, 2}, {0, 0});
  EXPECT_TRUE(failsWith(quantize(f32({2, 3}, {0, 0, 0, 0, 0, 0}), p),
                        "has 2 scales"));
  QuantParams z = QuantParams::perTensor(DType::I8, 0.0, 0);
  EXPECT_TRUE(failsWith(quantize(f32({1}, {0}), z), "positive"));
}

TEST(DequantizeTest, SubtractsZeroPointThenScalesInFloat32) {
  QuantParams p = QuantParams::perTensor(DType::U8, 0.1, 128);
  Result<Tensor> r = dequantize(ints(DType::U8, {3}, {128, 129, 0}), p,
                                DType::F32);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->getF(0), 0.0);
  EXPECT_EQ(r->getF(1), static_cast<double>(1.0f * 0.1f));
  EXPECT_EQ(r->getF(2), static_cast<double>(-128.0f * 0.1f));
  QuantParams a = perAxis(DType::I8, 0, {0.5, 2}, {0, -1});
  EXPECT_TRUE(matches(dequantize(ints(DType::I8, {2, 2}, {2, 3, 2, 3}), a,
                                 DType::F32),
                      f32({2, 2}, {1, 1.5, 6, 8})));
}

TEST(DequantizeTest, QuantizeRoundTripIsExactOnTheGrid) {
  QuantParams p = QuantParams::perTensor(DType::I8, 0.25, -3);
  Tensor grid(DType::I8, {256});
  for (int64_t i = 0; i < 256; ++i)
    grid.ints()[i] = i - 128;
  Result<Tensor> real = dequantize(grid, p, DType::F32);
  ASSERT_TRUE(real);
  Result<Tensor> back = quantize(*real, p);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ints(), grid.ints());
}

//===----------------------------------------------------------------------===//
// Multipliers and the conv/matmul output stage
//===----------------------------------------------------------------------===//

TEST(RequantTest, QuantizeMultiplierNormalizes) {
  Requant r = support::quantizeMultiplier(0.5);
  EXPECT_EQ(r.multiplier, 1 << 30);
  EXPECT_EQ(r.shift, 0);
  r = support::quantizeMultiplier(3.0); // 0.75 * 2^2.
  EXPECT_EQ(r.multiplier, 3 << 29);
  EXPECT_EQ(r.shift, -2);
  EXPECT_NEAR(support::requantScale(outputMultiplier(0.02, 0.5, 0.1)), 0.1,
              0.1 * 0x1p-30);
  EXPECT_EQ(support::quantizeMultiplier(0.0).multiplier, 0);
}

TEST(RequantTest, RoundsHalfAwayFromZero) {
  // M/2^31 = 0.5: odd accumulators land on .5 ties.
  OutputStage s;
  s.requants = {support::quantizeMultiplier(0.5)};
  s.lo = -128;
  s.hi = 127;
  EXPECT_TRUE(matches(requantizeAccumulators(
                          ints(DType::I32, {6}, {1, 3, 5, -1, -3, -5}),
                          nullptr, s),
                      DType::I8, {6}, {1, 2, 3, -1, -2, -3}));
}

TEST(RequantTest, BiasZeroPointClampAndSaturation) {
  // (acc + bias) * 0.25 + zp, then clamp to [lo, hi] (a fused ReLU is
  // lo = zp), saturating to int8 first.
  OutputStage s;
  s.requants = {support::quantizeMultiplier(0.25)};
  s.zeroPoint = -10;
  s.lo = -10;
  s.hi = 127;
  Tensor bias = ints(DType::I32, {1}, {8});
  EXPECT_TRUE(matches(requantizeAccumulators(
                          ints(DType::I32, {4}, {0, -48, 500, 100000}),
                          &bias, s),
                      DType::I8, {4}, {-8, -10, 117, 127}));
}

TEST(RequantTest, PerChannelAlongTheChannelAxis) {
  // acc [2, 2] (rows, channels), channel axis 1 with multipliers 1 and 0.5.
  OutputStage s;
  s.requants = {support::quantizeMultiplier(1.0),
                support::quantizeMultiplier(0.5)};
  s.channelAxis = 1;
  Tensor bias = ints(DType::I32, {2}, {1, 2});
  EXPECT_TRUE(matches(requantizeAccumulators(
                          ints(DType::I32, {2, 2}, {10, 10, 20, 20}), &bias,
                          s),
                      DType::I8, {2, 2}, {11, 6, 21, 11}));
}

TEST(RequantTest, Int16OutputsAndInt64Accumulators) {
  OutputStage s;
  s.requants = {support::quantizeMultiplier(1.0 / 65536)};
  s.out = DType::I16;
  s.lo = -32768;
  s.hi = 32767;
  int64_t big = int64_t(1) << 40;
  EXPECT_TRUE(matches(requantizeAccumulators(
                          ints(DType::I64, {3}, {big, -big, 98304}), nullptr,
                          s),
                      DType::I16, {3}, {32767, -32768, 2}));
}

TEST(RequantTest, ConvertRequantBetweenTypes) {
  // u8 (scale 1, zp 128) to i8 (scale 2, zp 0): (x - 128) / 2, half away.
  QuantParams in = QuantParams::perTensor(DType::U8, 1.0, 128);
  QuantParams out = QuantParams::perTensor(DType::I8, 2.0, 0);
  EXPECT_TRUE(matches(requantize(ints(DType::U8, {4}, {131, 125, 0, 255}), in,
                                 out, -128, 127),
                      DType::I8, {4}, {2, -2, -64, 64}));
}

//===----------------------------------------------------------------------===//
// Elementwise, tables, pooling
//===----------------------------------------------------------------------===//

TEST(QuantElementwiseTest, AddRescalesToACommonInt32Scale) {
  // Same scales: the sum is exact; zero points cancel.
  QuantParams p = QuantParams::perTensor(DType::I8, 0.5, 3);
  EXPECT_TRUE(matches(quantizedAdd(ints(DType::I8, {3}, {3, 5, 127}), p,
                                   ints(DType::I8, {3}, {3, 7, 127}), p, p,
                                   false, -128, 127),
                      DType::I8, {3}, {3, 9, 127}));
  AddRescale r = addRescale(0.5, 0.25, 1.0, 8);
  EXPECT_EQ(r.shiftBits, 20);
  EXPECT_DOUBLE_EQ(support::requantScale(r.lhs), 1 << 20);
  EXPECT_DOUBLE_EQ(support::requantScale(r.rhs), 1 << 19);
  EXPECT_EQ(addRescale(0.5, 0.25, 1.0, 16).shiftBits, 14);
}

TEST(QuantElementwiseTest, AddBroadcastsAndClamps) {
  // a (scale 1) + b (scale 2) into scale 1, ReLU clamp lo = 0.
  QuantParams pa = QuantParams::perTensor(DType::I8, 1.0, 0);
  QuantParams pb = QuantParams::perTensor(DType::I8, 2.0, 0);
  EXPECT_TRUE(matches(quantizedAdd(ints(DType::I8, {2, 2}, {1, 2, 3, -100}),
                                   pa, ints(DType::I8, {2}, {10, 1}), pb, pa,
                                   false, 0, 127),
                      DType::I8, {2, 2}, {21, 4, 23, 0}));
  EXPECT_TRUE(matches(quantizedAdd(ints(DType::I8, {2}, {1, 2}), pa,
                                   ints(DType::I8, {2}, {10, 1}), pb, pa,
                                   true, -128, 127),
                      DType::I8, {2}, {-19, 0}));
}

TEST(QuantElementwiseTest, MulIsExactThenRequantized) {
  QuantParams pa = QuantParams::perTensor(DType::I8, 0.5, 1);
  QuantParams out = QuantParams::perTensor(DType::I8, 0.25, 0);
  // (3 - 1) * 0.5 * (5 - 1) * 0.5 = 2 -> 8 at scale 0.25.
  EXPECT_TRUE(matches(quantizedMul(ints(DType::I8, {1}, {3}), pa,
                                   ints(DType::I8, {1}, {5}), pa, out, -128,
                                   127),
                      DType::I8, {1}, {8}));
}

TEST(QuantElementwiseTest, LookupTable) {
  std::vector<int64_t> table(256);
  for (int i = 0; i < 256; ++i)
    table[i] = (i - 128) / 2;
  EXPECT_TRUE(matches(lookupTable(ints(DType::I8, {3}, {-128, 0, 127}), table,
                                  -128, DType::I8),
                      DType::I8, {3}, {-64, 0, 63}));
}

TEST(QuantPoolTest, AverageRoundsHalfAwayAndCountsPaddingAsZeroPoint) {
  PoolParams p;
  p.kernel = {2};
  p.strides = {2};
  p.dilations = {1};
  p.padsBegin = {0};
  p.padsEnd = {0};
  // (1 + 2) / 2 = 1.5 -> 2; (-1 - 2) / 2 -> -2; (4 + 5) / 2 -> 5.
  EXPECT_TRUE(matches(quantizedAvgPool(ints(DType::I8, {1, 1, 6},
                                            {1, 2, -1, -2, 4, 5}),
                                       p, 0, -128, 127),
                      DType::I8, {1, 1, 3}, {2, -2, 5}));
  // With count_include_pad a padded tap adds the zero point 10.
  p.padsBegin = {1};
  p.countIncludePad = true;
  EXPECT_TRUE(matches(quantizedAvgPool(ints(DType::I8, {1, 1, 3}, {20, 1, 2}),
                                       p, 10, -128, 127),
                      DType::I8, {1, 1, 2}, {15, 2}));
}

TEST(QuantPoolTest, MeanRoundsHalfAway) {
  EXPECT_TRUE(matches(quantizedReduceMean(ints(DType::I8, {2, 2},
                                               {1, 2, -1, -2}),
                                          {1}, false, -128, 127),
                      DType::I8, {2}, {2, -2}));
  EXPECT_EQ(divRoundHalfAway(-7, 2), -4);
  EXPECT_EQ(divRoundHalfAway(7, 2), 4);
  EXPECT_EQ(divRoundHalfAway(5, 3), 2);
}

TEST(QuantClampTest, FusedActivationsBecomeIntegerBounds) {
  EXPECT_EQ(activationClamp(ClampKind::Relu, 0, 0, 0.1, -20, -128, 127),
            std::make_pair(int64_t(-20), int64_t(127)));
  // ReLU6 at scale 6/255 with zp -128: [-128, 127].
  EXPECT_EQ(activationClamp(ClampKind::Clip, 0, 6, 6.0 / 255, -128, -128, 127),
            std::make_pair(int64_t(-128), int64_t(127)));
  // ReLU6 at scale 0.1: 6 / 0.1 = 60.
  EXPECT_EQ(activationClamp(ClampKind::Clip, 0, 6, 0.1, 0, -128, 127),
            std::make_pair(int64_t(0), int64_t(60)));
}

} // namespace
