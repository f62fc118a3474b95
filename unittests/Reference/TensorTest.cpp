//===- TensorTest.cpp - Reference tensor storage and conversions ----------===//
#include "tessel/Reference/Tensor.h"
#include "tessel/Support/Float16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace tessel::ref;
using namespace tessel::support;

TEST(TensorTest, FloatStoresRoundToElementType) {
  Tensor t(DType::F32, {2});
  t.setF(0, 0.1);
  EXPECT_EQ(t.getF(0), static_cast<double>(0.1f));
  Tensor d(DType::F64, {1});
  d.setF(0, 0.1);
  EXPECT_EQ(d.getF(0), 0.1);
}

TEST(TensorTest, IntegerStoresWrapTwosComplement) {
  Tensor t(DType::I8, {3});
  t.setI(0, 127 + 1);
  t.setI(1, -129);
  t.setI(2, 255);
  EXPECT_EQ(t.getI(0), -128);
  EXPECT_EQ(t.getI(1), 127);
  EXPECT_EQ(t.getI(2), -1);
  Tensor u(DType::U8, {1});
  u.setI(0, -1);
  EXPECT_EQ(u.getI(0), 255);
}

TEST(TensorTest, FloatToIntSaturatesAndTruncates) {
  EXPECT_EQ(saturateToInt(DType::I8, 300.0), 127);
  EXPECT_EQ(saturateToInt(DType::I8, -300.0), -128);
  EXPECT_EQ(saturateToInt(DType::I8, -2.7), -2);
  EXPECT_EQ(saturateToInt(DType::U8, -2.7), 0);
  EXPECT_EQ(saturateToInt(DType::I32, std::nan("")), 0);
  Tensor t(DType::I16, {1});
  t.setF(0, 1e9);
  EXPECT_EQ(t.getI(0), 32767);
}

TEST(TensorTest, BoolIsZeroOrOne) {
  Tensor t(DType::Bool, {2});
  t.setI(0, 42);
  t.setF(1, 0.0);
  EXPECT_EQ(t.getI(0), 1);
  EXPECT_EQ(t.getI(1), 0);
}

TEST(TensorTest, ShapesAndStrides) {
  EXPECT_EQ(numElements({}), 1);
  EXPECT_EQ(numElements({2, 0, 3}), 0);
  EXPECT_EQ(stridesOf({2, 3, 4}), (Shape{12, 4, 1}));
  EXPECT_EQ(shapeToString({2, 3}), "2x3");
  EXPECT_EQ(Tensor(DType::I8, {2, 3}).typeString(), "i8[2x3]");
}

TEST(Float16Test, HalfRoundTripAndRounding) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00); // Rounds up to infinity.
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  // Smallest subnormal and a value halfway between 0 and it (ties to even).
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002);
  // 1 + 2^-11 is halfway between 1 and the next half: ties to even (1.0).
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(std::nanf("")))));
  for (uint32_t h = 0; h < 0x7c00; ++h)
    EXPECT_EQ(floatToHalf(halfToFloat(static_cast<uint16_t>(h))), h);
}

TEST(Float16Test, BFloat16Rounding) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(roundToFloat(DType::BF16, 1.0 + 1.0 / 256), 1.0); // Tie to even.
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(std::nanf("")))));
}
