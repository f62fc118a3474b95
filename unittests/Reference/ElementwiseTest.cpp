//===- ElementwiseTest.cpp - unary, binary, where, cast -------------------===//
#include "RefTestUtils.h"

#include <cmath>
#include <limits>

using namespace tessel::ref;
using namespace tessel::ref::test;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

//===----------------------------------------------------------------------===//
// unary
//===----------------------------------------------------------------------===//

TEST(UnaryTest, BasicFloatKinds) {
  Tensor x = f64({4}, {-2, -0.5, 0.25, 4});
  EXPECT_TRUE(matches(unary(UnaryKind::Relu, x), f64({4}, {0, 0, 0.25, 4})));
  EXPECT_TRUE(matches(unary(UnaryKind::Neg, x), f64({4}, {2, 0.5, -0.25, -4})));
  EXPECT_TRUE(matches(unary(UnaryKind::Abs, x), f64({4}, {2, 0.5, 0.25, 4})));
  EXPECT_TRUE(matches(unary(UnaryKind::Floor, x), f64({4}, {-2, -1, 0, 4})));
  EXPECT_TRUE(matches(unary(UnaryKind::Ceil, x), f64({4}, {-2, -0.0, 1, 4})));
  EXPECT_TRUE(matches(unary(UnaryKind::Sign, x), f64({4}, {-1, -1, 1, 1})));
  EXPECT_TRUE(
      matches(unary(UnaryKind::Reciprocal, x), f64({4}, {-0.5, -2, 4, 0.25})));
  EXPECT_TRUE(matches(unary(UnaryKind::Identity, x), x));
  EXPECT_TRUE(
      matches(unary(UnaryKind::Sqrt, f64({2}, {9, -1})), f64({2}, {3, kNaN})));
  EXPECT_TRUE(
      matches(unary(UnaryKind::Log, f64({2}, {1, 0})), f64({2}, {0, -kInf})));
  // 3 / (1 + |3|) = 0.75.
  EXPECT_TRUE(
      matches(unary(UnaryKind::Softsign, f64({1}, {3})), f64({1}, {0.75})));
}

TEST(UnaryTest, TranscendentalKindsMatchTheirFormulas) {
  Tensor one = f64({1}, {1});
  // 0.5 (1 + erf(1 / sqrt 2)).
  EXPECT_TRUE(matches(unary(UnaryKind::Gelu, one),
                      f64({1}, {0.8413447460685429}), 1e-15));
  // 0.5 (1 + tanh(sqrt(2 / pi) * (1 + 0.044715))).
  EXPECT_TRUE(matches(unary(UnaryKind::GeluTanh, one),
                      f64({1}, {0.8411919906082768}), 1e-15));
  // tanh(log(1 + e)).
  EXPECT_TRUE(matches(unary(UnaryKind::Mish, one),
                      f64({1}, {0.8650983882673103}), 1e-15));
  // 1 / (1 + e^-2).
  EXPECT_TRUE(matches(unary(UnaryKind::Sigmoid, f64({1}, {2})),
                      f64({1}, {0.8807970779778823}), 1e-15));
  EXPECT_TRUE(matches(unary(UnaryKind::Erf, f64({1}, {0})), f64({1}, {0})));
  EXPECT_TRUE(matches(unary(UnaryKind::Tanh, f64({1}, {0})), f64({1}, {0})));
  EXPECT_TRUE(matches(unary(UnaryKind::Sin, f64({1}, {0})), f64({1}, {0})));
  EXPECT_TRUE(matches(unary(UnaryKind::Cos, f64({1}, {0})), f64({1}, {1})));
}

TEST(UnaryTest, ParameterizedKindsUseAlphaAndBeta) {
  Tensor x = f64({3}, {-1, 0, 1});
  // Elu: alpha (e^x - 1) below 0.
  EXPECT_TRUE(matches(unary(UnaryKind::Elu, x, {1.0, 0}),
                      f64({3}, {-0.6321205588285577, 0, 1}), 1e-15));
  // Selu: gamma (alpha e^x - alpha) at or below 0, gamma x above;
  // 1.0507 * 1.67326 * (e^-1 - 1) = -1.1113275400111318.
  EXPECT_TRUE(matches(unary(UnaryKind::Selu, x, {1.67326, 1.0507}),
                      f64({3}, {-1.1113275400111318, 0, 1.0507}), 1e-14));
  EXPECT_TRUE(matches(unary(UnaryKind::LeakyRelu, x, {0.1, 0}),
                      f64({3}, {-0.1, 0, 1})));
  // HardSigmoid: clamp(0.2 x + 0.5, 0, 1).
  EXPECT_TRUE(
      matches(unary(UnaryKind::HardSigmoid, f64({3}, {-5, 1, 5}), {0.2, 0.5}),
              f64({3}, {0, 0.7, 1}), 1e-15));
  // HardSwish: x * clamp(x / 6 + 0.5, 0, 1): -4 -> 0, 1 -> 2/3, 3 -> 3.
  EXPECT_TRUE(matches(unary(UnaryKind::HardSwish, f64({3}, {-4, 1, 3})),
                      f64({3}, {0, 2.0 / 3.0, 3}), 1e-15));
}

TEST(UnaryTest, ClipPassesNaNAndHonoursBounds) {
  EXPECT_TRUE(
      matches(unary(UnaryKind::Clip, f32({4}, {-3, 0.5, 3, kNaN}), {-1, 2}),
              f32({4}, {-1, 0.5, 2, kNaN})));
  // min > max: ONNX Clip is min(max(x, lo), hi), so every element is hi.
  EXPECT_TRUE(matches(unary(UnaryKind::Clip, f32({2}, {-5, 5}), {3, 1}),
                      f32({2}, {1, 1})));
}

TEST(UnaryTest, RoundIsHalfToEven) {
  EXPECT_TRUE(matches(unary(UnaryKind::Round, f32({8}, {0.5, 1.5, 2.5, -0.5,
                                                        -1.5, -2.5, 2.4, 2.6})),
                      f32({8}, {0, 2, 2, -0.0, -2, -2, 2, 3})));
}

TEST(UnaryTest, SigmoidAndSoftplusStayFiniteForLargeInputs) {
  Tensor x = f64({2}, {-1000, 1000});
  EXPECT_TRUE(matches(unary(UnaryKind::Sigmoid, x), f64({2}, {0, 1})));
  // log(1 + e^1000) = 1000 + log(1 + e^-1000) = 1000, not inf.
  EXPECT_TRUE(matches(unary(UnaryKind::Softplus, x), f64({2}, {0, 1000})));
  EXPECT_TRUE(matches(unary(UnaryKind::Mish, x), f64({2}, {-0.0, 1000})));
}

TEST(UnaryTest, ResultIsRoundedToTheElementType) {
  // e rounded to f32.
  EXPECT_TRUE(matches(unary(UnaryKind::Exp, f32({1}, {1})),
                      f32({1}, {static_cast<float>(std::exp(1.0))})));
  // Exp(12) = 162754.79... overflows f16 (max 65504).
  Tensor h = Tensor::fromFloats(DType::F16, {1}, {12});
  EXPECT_TRUE(matches(unary(UnaryKind::Exp, h), DType::F16, {1}, {kInf}));
}

TEST(UnaryTest, IntegerKindsAreExactAndWrap) {
  Tensor x = i8({5}, {-128, -5, 0, 3, 127});
  EXPECT_TRUE(matches(unary(UnaryKind::Relu, x), i8({5}, {0, 0, 0, 3, 127})));
  // -(-128) = 128 wraps to -128 in i8; so does |-128|.
  EXPECT_TRUE(
      matches(unary(UnaryKind::Neg, x), i8({5}, {-128, 5, 0, -3, -127})));
  EXPECT_TRUE(matches(unary(UnaryKind::Abs, x), i8({5}, {-128, 5, 0, 3, 127})));
  EXPECT_TRUE(matches(unary(UnaryKind::Sign, x), i8({5}, {-1, -1, 0, 1, 1})));
  EXPECT_TRUE(matches(unary(UnaryKind::Identity, x), x));
  // Bounds round half away from zero: -1.6 -> -2, 2.5 -> 3.
  EXPECT_TRUE(matches(unary(UnaryKind::Clip, x, {-1.6, 2.5}),
                      i8({5}, {-2, -2, 0, 3, 3})));
  // Unsigned: Neg wraps modulo 2^8, Abs is the identity.
  Tensor u = Tensor::fromInts(DType::U8, {2}, {5, 200});
  EXPECT_TRUE(matches(unary(UnaryKind::Neg, u), DType::U8, {2}, {251, 56}));
  EXPECT_TRUE(matches(unary(UnaryKind::Abs, u), DType::U8, {2}, {5, 200}));
}

TEST(UnaryTest, IntegerClipWithInfiniteBoundsIsUnbounded) {
  Tensor x = i64({2}, {std::numeric_limits<int64_t>::min(),
                       std::numeric_limits<int64_t>::max()});
  EXPECT_TRUE(matches(unary(UnaryKind::Clip, x, {-kInf, kInf}), x));
}

TEST(UnaryTest, FloatOnlyKindsRejectIntegers) {
  EXPECT_TRUE(failsWith(unary(UnaryKind::Sigmoid, i32({1}, {1})),
                        "Sigmoid: unsupported element type i32"));
  EXPECT_TRUE(failsWith(unary(UnaryKind::Relu, boolean({1}, {1})),
                        "unsupported element type bool"));
}

TEST(UnaryTest, NotRequiresBool) {
  EXPECT_TRUE(matches(unary(UnaryKind::Not, boolean({2}, {0, 1})),
                      boolean({2}, {1, 0})));
  EXPECT_TRUE(failsWith(unary(UnaryKind::Not, f32({1}, {1})),
                        "Not: unsupported element type f32"));
}

TEST(UnaryTest, ZeroElementTensors) {
  EXPECT_TRUE(
      matches(unary(UnaryKind::Exp, f32({0, 3}, {})), DType::F32, {0, 3}, {}));
}

//===----------------------------------------------------------------------===//
// broadcastShapes, binary
//===----------------------------------------------------------------------===//

TEST(BroadcastTest, NumpyRules) {
  EXPECT_EQ(broadcastShapes({}, {2, 3}), (Shape{2, 3}));
  EXPECT_EQ(broadcastShapes({2, 1, 4}, {3, 1}), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcastShapes({0}, {1}), (Shape{0}));
  EXPECT_EQ(broadcastShapes({0}, {0}), (Shape{0}));
  EXPECT_EQ(broadcastShapes({0}, {2}), std::nullopt);
  EXPECT_EQ(broadcastShapes({2, 3}, {2}), std::nullopt);
}

TEST(BinaryTest, BroadcastsScalarsAndLowerRanks) {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_TRUE(matches(binary(BinaryKind::Add, x, f32({}, {10})),
                      f32({2, 3}, {11, 12, 13, 14, 15, 16})));
  // [3] is read as [1, 3].
  EXPECT_TRUE(matches(binary(BinaryKind::Sub, x, f32({3}, {1, 2, 3})),
                      f32({2, 3}, {0, 0, 0, 3, 3, 3})));
  // [2, 1] * [3] -> [2, 3] (outer product).
  EXPECT_TRUE(matches(
      binary(BinaryKind::Mul, f32({2, 1}, {1, 2}), f32({3}, {1, 10, 100})),
      f32({2, 3}, {1, 10, 100, 2, 20, 200})));
}

TEST(BinaryTest, IncompatibleShapesAreAnError) {
  EXPECT_TRUE(failsWith(binary(BinaryKind::Add, f32({2, 3}, {1, 2, 3, 4, 5, 6}),
                               f32({2}, {1, 2})),
                        "Add: shapes of f32[2x3] and f32[2] are not "
                        "broadcast-compatible"));
}

TEST(BinaryTest, MismatchedElementTypesAreAnError) {
  EXPECT_TRUE(failsWith(binary(BinaryKind::Add, f32({1}, {1}), f64({1}, {1})),
                        "same element type"));
}

TEST(BinaryTest, ZeroElementBroadcast) {
  EXPECT_TRUE(
      matches(binary(BinaryKind::Add, f32({0, 3}, {}), f32({3}, {1, 2, 3})),
              DType::F32, {0, 3}, {}));
}

TEST(BinaryTest, FloatResultIsRoundedToTheElementType) {
  // 1 + 2^-11 is halfway between the f16 values 1 and 1 + 2^-10: ties to
  // even give 1.
  Tensor one = Tensor::fromFloats(DType::F16, {1}, {1});
  Tensor tiny = Tensor::fromFloats(DType::F16, {1}, {std::ldexp(1.0, -11)});
  EXPECT_TRUE(
      matches(binary(BinaryKind::Add, one, tiny), DType::F16, {1}, {1}));
}

TEST(BinaryTest, IntegerAddSubMulWrap) {
  EXPECT_TRUE(matches(
      binary(BinaryKind::Add, i8({2}, {100, -100}), i8({2}, {100, -100})),
      i8({2}, {-56, 56})));
  EXPECT_TRUE(matches(binary(BinaryKind::Sub, i8({1}, {-100}), i8({1}, {100})),
                      i8({1}, {56})));
  EXPECT_TRUE(matches(binary(BinaryKind::Mul, i8({1}, {16}), i8({1}, {16})),
                      i8({1}, {0})));
  EXPECT_TRUE(
      matches(binary(BinaryKind::Add, i32({1}, {2147483647}), i32({1}, {1})),
              i32({1}, {-2147483648LL})));
  int64_t max64 = std::numeric_limits<int64_t>::max();
  int64_t min64 = std::numeric_limits<int64_t>::min();
  Result<Tensor> r = binary(BinaryKind::Add, i64({1}, {max64}), i64({1}, {1}));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->ints()[0], min64);
  // 2^62 * 4 = 2^64 = 0 modulo 2^64.
  r = binary(BinaryKind::Mul, i64({1}, {int64_t(1) << 62}), i64({1}, {4}));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->ints()[0], 0);
}

TEST(BinaryTest, IntegerDivisionTruncatesTowardZero) {
  EXPECT_TRUE(matches(binary(BinaryKind::Div, i32({4}, {7, -7, 7, -7}),
                             i32({4}, {2, 2, -2, -2})),
                      i32({4}, {3, -3, -3, 3})));
  // -128 / -1 = 128 wraps to -128.
  EXPECT_TRUE(matches(binary(BinaryKind::Div, i8({1}, {-128}), i8({1}, {-1})),
                      i8({1}, {-128})));
  int64_t min64 = std::numeric_limits<int64_t>::min();
  Result<Tensor> r = binary(BinaryKind::Div, i64({1}, {min64}), i64({1}, {-1}));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->ints()[0], min64);
}

TEST(BinaryTest, IntegerDivisionByZeroIsAnError) {
  for (BinaryKind k : {BinaryKind::Div, BinaryKind::Mod, BinaryKind::FMod})
    EXPECT_TRUE(failsWith(binary(k, i32({2}, {1, 2}), i32({2}, {1, 0})),
                          "integer division by zero (element 1"));
  // Float division by zero is IEEE.
  EXPECT_TRUE(matches(binary(BinaryKind::Div, f32({2}, {1, 0}), f32({1}, {0})),
                      f32({2}, {kInf, kNaN})));
}

TEST(BinaryTest, ModTakesTheDivisorsSignAndFModTheDividends) {
  Tensor a = i32({4}, {7, -7, 7, -7}), b = i32({4}, {3, 3, -3, -3});
  EXPECT_TRUE(matches(binary(BinaryKind::Mod, a, b), i32({4}, {1, 2, -2, -1})));
  EXPECT_TRUE(
      matches(binary(BinaryKind::FMod, a, b), i32({4}, {1, -1, 1, -1})));
  Tensor fa = f64({2}, {5.5, -5.5}), fb = f64({1}, {2});
  EXPECT_TRUE(matches(binary(BinaryKind::FMod, fa, fb), f64({2}, {1.5, -1.5})));
  EXPECT_TRUE(matches(binary(BinaryKind::Mod, fa, fb), f64({2}, {1.5, 0.5})));
}

TEST(BinaryTest, FloatModFollowsPython) {
  // Python's %: the divisor's sign, zero included; a finite dividend mod an
  // infinity of the other sign is that infinity.
  Result<Tensor> r = binary(BinaryKind::Mod, f64({4}, {-3, 3, 0, -0.0}),
                            f64({4}, {kInf, kInf, -2, 2}));
  EXPECT_TRUE(matches(r, f64({4}, {kInf, 3, 0, 0})));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(std::signbit(r->floats()[2])) << "0 mod -2 is -0";
  EXPECT_FALSE(std::signbit(r->floats()[3])) << "-0 mod 2 is +0";
  EXPECT_TRUE(
      matches(binary(BinaryKind::Mod, f64({2}, {kInf, 1}), f64({2}, {2, 0})),
              f64({2}, {kNaN, kNaN})));
}

TEST(BinaryTest, IntegerPowIsExactWithWrap) {
  EXPECT_TRUE(matches(
      binary(BinaryKind::Pow, i32({3}, {3, -2, 5}), i32({3}, {4, 3, 0})),
      i32({3}, {81, -8, 1})));
  // 2^10 = 1024 = 4 * 256 wraps to 0 in i8; the exponent may be i64.
  EXPECT_TRUE(matches(binary(BinaryKind::Pow, i8({1}, {2}), i64({1}, {10})),
                      i8({1}, {0})));
  EXPECT_TRUE(failsWith(binary(BinaryKind::Pow, i32({1}, {2}), i32({1}, {-1})),
                        "negative exponent -1"));
  // A float exponent with an integer base must be integral.
  EXPECT_TRUE(matches(binary(BinaryKind::Pow, i32({1}, {3}), f32({1}, {2})),
                      i32({1}, {9})));
  EXPECT_TRUE(failsWith(binary(BinaryKind::Pow, i32({1}, {3}), f32({1}, {0.5})),
                        "non-negative integral exponents"));
}

TEST(BinaryTest, FloatPowAcceptsAnIntegerExponent) {
  EXPECT_TRUE(matches(binary(BinaryKind::Pow, f32({2}, {2, 4}), i64({1}, {3})),
                      f32({2}, {8, 64})));
  EXPECT_TRUE(matches(binary(BinaryKind::Pow, f32({1}, {4}), f32({1}, {0.5})),
                      f32({1}, {2})));
}

TEST(BinaryTest, MaxMinPropagateNaN) {
  Tensor a = f32({3}, {1, kNaN, 5}), b = f32({3}, {2, 0, kNaN});
  EXPECT_TRUE(
      matches(binary(BinaryKind::Max, a, b), f32({3}, {2, kNaN, kNaN})));
  EXPECT_TRUE(
      matches(binary(BinaryKind::Min, a, b), f32({3}, {1, kNaN, kNaN})));
}

TEST(BinaryTest, U64ComparesAsUnsigned) {
  // Bit pattern 0x8000... is 2^63 as u64, not a negative number.
  Tensor big =
      Tensor::fromInts(DType::U64, {1}, {std::numeric_limits<int64_t>::min()});
  Tensor one = Tensor::fromInts(DType::U64, {1}, {1});
  EXPECT_TRUE(
      matches(binary(BinaryKind::Greater, big, one), boolean({1}, {1})));
  Result<Tensor> r = binary(BinaryKind::Max, big, one);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->ints()[0], std::numeric_limits<int64_t>::min());
  // 2^63 / 2 = 2^62 (an unsigned division).
  r = binary(BinaryKind::Div, big, Tensor::fromInts(DType::U64, {1}, {2}));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->ints()[0], int64_t(1) << 62);
}

TEST(BinaryTest, PReluBroadcastsSlopeToX) {
  Tensor x = f32({2, 2}, {-1, 2, -3, 4});
  EXPECT_TRUE(matches(binary(BinaryKind::PRelu, x, f32({2}, {0.5, 0.25})),
                      f32({2, 2}, {-0.5, 2, -1.5, 4})));
  // The slope may not grow x.
  EXPECT_TRUE(failsWith(binary(BinaryKind::PRelu, f32({2}, {1, 2}), x),
                        "PRelu: slope f32[2x2] must broadcast to x f32[2]"));
}

TEST(BinaryTest, LogicalKindsRequireBool) {
  Tensor a = boolean({4}, {0, 0, 1, 1}), b = boolean({4}, {0, 1, 0, 1});
  EXPECT_TRUE(
      matches(binary(BinaryKind::And, a, b), boolean({4}, {0, 0, 0, 1})));
  EXPECT_TRUE(
      matches(binary(BinaryKind::Or, a, b), boolean({4}, {0, 1, 1, 1})));
  EXPECT_TRUE(
      matches(binary(BinaryKind::Xor, a, b), boolean({4}, {0, 1, 1, 0})));
  EXPECT_TRUE(failsWith(binary(BinaryKind::And, i32({1}, {1}), i32({1}, {1})),
                        "And: unsupported element type i32"));
  EXPECT_TRUE(failsWith(binary(BinaryKind::Add, a, b),
                        "Add: unsupported element type bool"));
}

TEST(BinaryTest, ComparisonsProduceBool) {
  Tensor a = f32({3}, {1, 2, kNaN}), b = f32({3}, {2, 2, 1});
  EXPECT_TRUE(matches(binary(BinaryKind::Less, a, b), boolean({3}, {1, 0, 0})));
  EXPECT_TRUE(
      matches(binary(BinaryKind::LessEqual, a, b), boolean({3}, {1, 1, 0})));
  EXPECT_TRUE(
      matches(binary(BinaryKind::Greater, a, b), boolean({3}, {0, 0, 0})));
  EXPECT_TRUE(
      matches(binary(BinaryKind::GreaterEqual, a, b), boolean({3}, {0, 1, 0})));
  EXPECT_TRUE(
      matches(binary(BinaryKind::Equal, a, b), boolean({3}, {0, 1, 0})));
  EXPECT_TRUE(matches(binary(BinaryKind::Equal, i8({2}, {-1, 3}), i8({1}, {3})),
                      boolean({2}, {0, 1})));
}

//===----------------------------------------------------------------------===//
// where, cast
//===----------------------------------------------------------------------===//

TEST(WhereTest, ThreeWayBroadcast) {
  Tensor cond = boolean({2, 1}, {1, 0});
  Tensor x = f32({3}, {1, 2, 3});
  Tensor y = f32({}, {-1});
  EXPECT_TRUE(matches(where(cond, x, y), f32({2, 3}, {1, 2, 3, -1, -1, -1})));
}

TEST(WhereTest, RejectsBadOperands) {
  EXPECT_TRUE(failsWith(where(f32({1}, {1}), f32({1}, {1}), f32({1}, {1})),
                        "Where: cond must be bool"));
  EXPECT_TRUE(failsWith(where(boolean({1}, {1}), f32({1}, {1}), i32({1}, {1})),
                        "same element type"));
  EXPECT_TRUE(
      failsWith(where(boolean({2}, {1, 0}), f32({3}, {1, 2, 3}), f32({1}, {1})),
                "not broadcast-compatible"));
}

TEST(CastTest, FloatToIntTruncatesAndSaturates) {
  EXPECT_TRUE(matches(cast(f32({5}, {300, -300, -2.7, 2.7, kNaN}), DType::I8),
                      i8({5}, {127, -128, -2, 2, 0})));
  EXPECT_TRUE(
      matches(cast(f32({2}, {-1, 1e10}), DType::U8), DType::U8, {2}, {0, 255}));
}

TEST(CastTest, IntToIntWraps) {
  EXPECT_TRUE(
      matches(cast(i32({2}, {200, -129}), DType::I8), i8({2}, {-56, 127})));
  EXPECT_TRUE(matches(cast(Tensor::fromInts(DType::U8, {1}, {255}), DType::I8),
                      i8({1}, {-1})));
  // -1 as u64 is 2^64 - 1, which a cast to f64 reads as unsigned.
  Result<Tensor> u = cast(i8({1}, {-1}), DType::U64);
  ASSERT_TRUE(u.ok()) << u.error();
  EXPECT_TRUE(
      matches(cast(*u, DType::F64), f64({1}, {18446744073709551615.0})));
}

TEST(CastTest, AnythingToBoolIsNonZero) {
  EXPECT_TRUE(matches(cast(f32({4}, {0, -0.0, kNaN, 0.1}), DType::Bool),
                      boolean({4}, {0, 0, 1, 1})));
  EXPECT_TRUE(matches(cast(i32({3}, {0, 256, -1}), DType::Bool),
                      boolean({3}, {0, 1, 1})));
}

TEST(CastTest, IntToFloatRoundsOnce) {
  // 2^54 + 2^30 + 1 is above the f32 midpoint 2^54 + 2^30, so it rounds up
  // to 2^54 + 2^31. Going through double first would round to the midpoint
  // and then to even (2^54).
  int64_t v = (int64_t(1) << 54) + (int64_t(1) << 30) + 1;
  EXPECT_TRUE(matches(cast(i64({1}, {v}), DType::F32), DType::F32, {1},
                      {std::ldexp(1.0, 54) + std::ldexp(1.0, 31)}));
  EXPECT_TRUE(matches(cast(i64({1}, {16777217}), DType::F32), DType::F32, {1},
                      {16777216}));
  EXPECT_TRUE(
      matches(cast(f64({1}, {65520}), DType::F16), DType::F16, {1}, {kInf}));
}

} // namespace
